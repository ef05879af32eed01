// The vrouter agent of one compute node (contrail-reference.md §4.2-4.7), plus its
// kubelet (agent/kubelet.h).
//
// start(): creates the node's vrouter namespace on the fabric (agent/dataplane.h), the
// Node object in the apiserver (Ready), subscribes `xmpp.<node>`, starts the kubelet and
// publishes `agent.status` up (its "XMPP session"; the control-node answers with the
// node's view).
//
// Each view is applied level-based: what the agent has is diffed against what the view
// says, in this order:
//   1. VN gateways on the vrouter's lo (pods and instances route via them);
//   2. service instances (§4.2 Usable(), §4.3 start/update/stop): per usable SI whose VM
//      is on this node, the namespace "vrouter-<vm>:<lb>" with gw-<vmi> (VIP/32, the MAC
//      svc-monitor computed, default via the VN gateway) and veth<vmi> in the vrouter;
//   3. routes: local /32 -> the interface's vrouter-side veth; remote /32 -> via the
//      winning node's underlay address over vhost0;
//   4. NAT (agent/vrouter_nat.h): floating IPs 1:1, clusterIP DNAT over the backends;
//   5. haproxy (agent/haproxy_supervisor.h): start, reload on a config change, stop;
//      wait (no process) while the config has no frontend; TLS certificates from
//      options.tls_secrets (see "TLS" below);
//   6. the kubelet gets the view (pods start once their VMI is there).
// then acknowledged with `agent.ack` {node, version, ok, error, summary}. Failures go
// upstream: the ack carries every error, `agent.haproxy` says "failed" with haproxy's
// own message. A haproxy that serves records the work span
// "haproxy pid N serving <vip>:<port> in namespace <ns>".
// Views arriving while one is applied are coalesced: only the newest is applied, older
// ones are acknowledged as superseded.
//
// TLS: `crt__<ns>__<secret>` tokens are resolved with options.tls_secrets (Contrail's
// agent reads the Kubernetes Secret, §4.6). A Secret that is missing or unusable leaves
// its certificate (or, when none is left, its TLS frontend) out: the instance keeps
// serving the rest, plain HTTP included; its `agent.haproxy` message and introspect()
// carry the error (state stays started/reloaded); the view's ack stays ok (the view
// was applied; what one Secret lacks is the instance's business). Secret changes reach
// haproxy through on_secret_changed(), which the agent also calls itself for every
// `kube.watch.secret` message when tls_secrets is set.
//
// stop(): publishes `agent.status` down, stops haproxy and the pods, removes the node's
// namespaces, marks the Node not ready.
//
// Threads: the `xmpp.<node>` handler runs on strand "agent.<node>" and only queues;
// applies run on strand "agent.<node>.apply"; the kubelet on "kubelet.<node>". start(),
// stop() and introspect() may be called from any thread that is not one of those
// strands. The agent must outlive the bus's queued work or be stopped first (stopped
// handlers do nothing).
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <shared_mutex>
#include <string>
#include <vector>

#include "agent/agent_view.h"
#include "agent/dataplane.h"
#include "agent/haproxy_supervisor.h"
#include "agent/kubelet.h"
#include "agent/tls_secrets.h"
#include "core/bus.h"
#include "core/view_assembler.h"
#include "kube/object_store.h"

namespace csim::agent {

struct AgentOptions {
  std::string node;         // DNS name of the compute node ("node-1")
  std::string underlay_ip;  // "" = the Dataplane picks the next free address
  std::string state_dir;    // this node's own directory (its /var/lib/contrail);
                            // two agents must not share one
  std::string
      csim_binary_path;  // runs `<it> echo-server ...` in pod namespaces ("" = /proc/self/exe)
  std::string haproxy_binary = "haproxy";
  // Certificates of TLS listeners. Unset: TLS frontends are left out, with an error.
  TlsSecretSource tls_secrets;
};

class VrouterAgent {
 public:
  VrouterAgent(core::Bus& bus, Dataplane& dataplane, kube::ObjectStore& store,
               AgentOptions options);
  ~VrouterAgent();  // stop()
  VrouterAgent(const VrouterAgent&) = delete;
  VrouterAgent& operator=(const VrouterAgent&) = delete;

  const std::string& node() const { return options_.node; }
  std::string module() const { return "agent." + options_.node; }

  // See above. Errors: bad node name or underlay address, state_dir in use by another
  // agent, the data plane or the apiserver refused. Calling it on a started agent is OK.
  core::Status start();
  // See above. Idempotent. The agent can be started again afterwards.
  void stop();
  bool running() const;

  // Like the real agent's introspect (:8085): node, state, applied/acked view versions,
  // service instances (namespace, haproxy pid and state, last command and its error,
  // adaptations, certificates), pods, installed routes and NAT.
  nlohmann::json introspect() const;

  // The Secret <ns>/<name> was added, modified or deleted: every instance whose config
  // names it fetches its certificates again and reloads haproxy when the PEM bytes
  // changed (a deleted Secret leaves its certificate out). Any thread once start()
  // returned; the work runs on the apply strand; nothing happens when stopped.
  void on_secret_changed(const std::string& ns, const std::string& name);

 private:
  struct Life {
    std::shared_mutex mu;
    bool alive = true;
  };
  // One haproxy instance this agent runs (keyed by VM uuid).
  struct SiRun {
    ViewServiceInstance spec;
    std::string netns;
    std::string vrouter_dev;
    bool endpoint = false;
    std::string last_command;  // "start", "update" or "stop" (Contrail's command names)
    std::string state;         // "started", "reloaded", "stopped", "failed"
    std::string error;
    std::string failed_config;  // config that failed (not retried until it changes)
    pid_t pid = 0;
    std::vector<HaproxyBind> binds;
    std::vector<std::string> adaptations;
    std::vector<HaproxyCertificate> certificates;
  };

  void on_view(const core::Envelope& e);
  void apply_if_latest(uint64_t version);
  void apply_body(uint64_t version, const nlohmann::json& body,
                  const std::function<void(bool, const std::string&, const std::string&)>& ack);
  core::Status apply(const AgentView& view);
  // Steps of apply(); each returns the errors it met.
  void reconcile_endpoints(const AgentView& view, std::vector<std::string>& errors);
  void sync_routes(std::vector<std::string>& errors);
  void reconcile_haproxy(const AgentView& view, std::vector<std::string>& errors);
  // Applies one instance's config (cause: why, for the summary; "" for a view).
  // retry_failed: apply even a config that failed before (a Secret changed).
  void apply_haproxy(SiRun& run, const std::string& cause, bool retry_failed,
                     std::vector<std::string>& errors);
  void reload_for_secret(const std::string& ns, const std::string& name);
  void stop_si(SiRun& run, const std::string& why, std::vector<std::string>& errors);
  void publish_haproxy(const SiRun& run, const std::string& summary);
  void on_port(const std::string& vmi, const std::string& dev, bool plugged);
  void update_snapshot();
  void set_node_ready(bool ready);

  core::Bus& bus_;
  Dataplane& dataplane_;
  kube::ObjectStore& store_;
  AgentOptions options_;
  std::shared_ptr<Life> life_;
  std::unique_ptr<Kubelet> kubelet_;
  std::unique_ptr<HaproxySupervisor> haproxy_;
  std::string underlay_;
  int lock_fd_ = -1;

  // Receive strand -> apply strand hand-over: each message is added to the whole view as
  // it arrives (in order; a push may carry only what changed); the apply strand applies
  // the newest whole view, skipping versions superseded meanwhile.
  std::mutex inbox_mu_;
  core::ViewAssembler received_;  // the whole view the messages so far add up to
  bool inbox_pending_ = false;    // received_ holds a version not yet applied
  uint64_t inbox_version_ = 0;

  // Apply strand only (and start/stop while no strand runs).
  std::shared_ptr<const AgentView> view_;     // last applied
  std::map<std::string, SiRun> sis_;          // by VM uuid
  std::map<std::string, std::string> ports_;  // VMI uuid -> vrouter-side device
  std::string nat_text_;

  mutable std::mutex snapshot_mu_;
  nlohmann::json snapshot_;  // what introspect() shows about views and SIs
};

}  // namespace csim::agent
