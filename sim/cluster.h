// The simulated cluster, assembled: one bus, one clock, the kube-apiserver's store and
// controllers, the config DB, kube-manager, svc-monitor, control-node, the gateway and
// one vrouter agent per compute node, wired exactly as docs/architecture.md draws them.
//
// This is the composition root: the only place that knows every module. `csim demo`,
// the end-to-end tests and the benchmarks all start a Cluster. It must be created
// inside the sandbox (agent/sandbox.h): it creates network namespaces.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/bus.h"
#include "core/status.h"

namespace csim::controller {
class ConfigApi;
}
namespace csim::kube {
class ObjectStore;
}

namespace csim::sim {

struct ClusterOptions {
  std::string state_dir;              // config.db, loadbalancer/haproxy/<lb>/…; must exist
  std::vector<std::string> nodes{"node-1", "node-2"};
  std::string csim_binary;            // run as `<csim_binary> echo-server …` in pod namespaces
  core::Bus::Mode bus_mode = core::Bus::Mode::kThreaded;
  uint64_t seed = 1;                  // svc-monitor's scheduler
  std::string semantics = "contrail"; // or "kubernetes" (docs/semantics.md)
  bool persist = false;               // keep the apiserver's objects in <state_dir>/kube.db
};

// What one request through the data plane returned.
struct Reply {
  int status = 0;
  std::string body;
  nlohmann::json echo;  // the echo server's JSON (pod, namespace, labels, …) or null
  std::string error;    // transport error, if any
  // HTTPS: the certificate the server presented (sha256 of its DER, lower-case hex, and
  // its subject CN then subjectAltNames).
  std::string certificate_sha256;
  std::vector<std::string> certificate_names;
};

class Cluster {
 public:
  // Starts every module and the data plane (fabric, gateway, vrouter namespaces, agents).
  static core::Result<std::unique_ptr<Cluster>> start(const ClusterOptions& options);
  ~Cluster();  // stop()

  core::Bus& bus();
  kube::ObjectStore& store();
  controller::ConfigApi& config();

  // Applies a YAML file (all or nothing) under a new trace named "apply <path>".
  // Returns the trace id. Objects without a namespace go to `ns`.
  core::Result<uint64_t> apply_file(const std::string& path, const std::string& ns = "default");
  // Deletes what the file names, traced as "delete <path>".
  core::Result<uint64_t> delete_file(const std::string& path, const std::string& ns = "default");

  // Waits until the Ingress has its addresses, its pods are ready, every agent applied the
  // control-node's latest view and haproxy serves on the active instance. Bounded by timeout.
  core::Status wait_ingress_ready(const std::string& ns, const std::string& name,
                                  std::chrono::milliseconds timeout);
  // The Ingress's status addresses: [external IP, VIP] (external IP may be absent).
  std::vector<std::string> ingress_addresses(const std::string& ns, const std::string& name);

  // Sends one HTTP request from the external-client namespace (HTTPS when `tls`: SNI = the
  // host without its port, no verification). The timeout is generous on purpose: on a
  // loaded machine a lost SYN or ARP answer costs the kernel's 1 s + 2 s retransmits; a
  // wrong answer still fails at once.
  Reply request(const std::string& ip, int port, const std::string& host, const std::string& path,
                std::chrono::milliseconds timeout = std::chrono::milliseconds(10000), bool tls = false);

  // The haproxy config svc-monitor rendered for an Ingress (the SI binding), and the runtime
  // config an agent derived from it with the list of adaptations (introspection JSON).
  std::string faithful_haproxy_config(const std::string& ingress_uid);
  nlohmann::json agents_introspect();

  // Stops agents (haproxy, echo servers), removes every namespace; idempotent.
  void stop();

  class Impl;

 private:
  explicit Cluster(std::unique_ptr<Impl> impl);
  // "" when every Service of `ns` with ready endpoints is spread over all of them in
  // `view` (the control-node's view of `node`); else what is still missing.
  std::string services_not_ready(const std::string& ns, const std::string& node,
                                 const nlohmann::json& view);
  std::unique_ptr<Impl> impl_;
};

}  // namespace csim::sim
