// The control plane of the simulated cluster: everything between the YAML and the
// vrouter agents, on one bus.
//
//   kube-apiserver store ─▶ endpoints controller, pod scheduler, deployment controller
//                       ─▶ kube-manager ─▶ config DB (SQLite) ─▶ svc-monitor, control-node
//                                                             ─▶ xmpp.<node>, bgp.gateway
//
// Agents (agent/) join it by publishing `agent.status` and creating their Node; the
// control plane itself needs no namespaces, so unit tests run it on a deterministic bus
// and play the agents' part by publishing their messages.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/bus.h"
#include "core/clock.h"
#include "core/status.h"

namespace csim::controller {
class ConfigApi;
class ControlNode;
}  // namespace csim::controller
namespace csim::kube {
class ObjectStore;
}
namespace csim::svcmon {
class SvcMonitor;
}

namespace csim::sim {

struct ControlPlaneOptions {
  std::string config_db_path = ":memory:";  // SQLite file of the config DB
  // SQLite file of the kube-apiserver's objects; "" = in memory only (lost at exit).
  std::string kube_db_path;
  // Ingress routing semantics svc-monitor renders: "contrail" (faithful) or "kubernetes".
  std::string semantics = "contrail";
  std::string state_dir = "/var/lib/contrail";  // goes into haproxy.conf's stats socket path
  std::vector<std::pair<std::string, std::string>> nodes{{"node-1", "169.254.1.1"},
                                                         {"node-2", "169.254.1.2"}};  // name, underlay
  uint64_t seed = 1;                        // scheduler and uid seeds (reproducible runs)
};

class ControlPlane {
 public:
  // Opens the config DB, provisions the defaults and one virtual-router per node, and
  // starts every module in pipeline order. The bus and clock must outlive it.
  static core::Result<std::unique_ptr<ControlPlane>> start(core::Bus& bus, core::Clock& clock,
                                                           const ControlPlaneOptions& options);
  ~ControlPlane();

  kube::ObjectStore& store();
  controller::ConfigApi& config();
  controller::ControlNode& control_node();
  svcmon::SvcMonitor& svc_monitor();

  // Every module's introspection, by module name.
  nlohmann::json introspect() const;

  // Destroys the modules one at a time, the last started first (control-node, svc-monitor,
  // kube-manager, the kube controllers, config DB, kube store), calling after(name) after
  // each: benchmarks measure what each one held. Only after bus.shutdown(); the control
  // plane serves nothing afterwards (its accessors must not be called).
  void destroy_modules(const std::function<void(const std::string& module)>& after);

  class Impl;

 private:
  explicit ControlPlane(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace csim::sim
