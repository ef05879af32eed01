// The control-node: turns the config graph into what each vrouter agent must know, and
// pushes it over the bus, as contrail-control does over XMPP (docs/contracts.md).
//
// Inputs (bus): "config.changed.<type>" for the types the walk reads (virtual-router,
// virtual-machine, service-instance, service-template, virtual-machine-interface,
// instance-ip, floating-ip, virtual-network, network-ipam; loadbalancer* objects never
// reach agents), "agent.status" ({node, state: up|down, underlay_ip}: an agent is live
// between its up and its down; a down agent's paths are withdrawn) and "agent.ack"
// (kept for introspection).
// Outputs (bus): "xmpp.<node>" to every live agent — {version, base, node, summary,
// objects, removed, routes, services, floating_ips}, see docs/contracts.md and
// controller/agent_views.h — and "bgp.gateway" — {version, routes: [{prefix, node,
// local_pref, underlay_ip}], summary}.
//
// Level-based and coalesced: a message only marks the state dirty and posts one
// recompute on the module's strand (if none is pending), so a burst of config changes
// gives one recompute. A view (or the gateway's routes) is published only when it
// differs from what that receiver last got, with version + 1. A push carries what
// changed since the agent's version ("base"): the objects that entered the view or
// changed as sent (only objects the mirror replaced since the push, which a change
// does, are compared), the uuids of those that left, the routes, services and
// floating IPs whole. An agent that comes up (again), or acks with "resync", gets the
// whole view ("base": 0). The control-node keeps what it sent each agent (the objects
// as sent, by uuid: the mirror's own immutable objects, shared while unchanged, so what
// the agents were sent costs no memory of its own at rest), which view_of() assembles.
//
// Paced: a recompute starts no sooner than kPacingFactor times the previous one's
// duration after that one ended (and at most kMaxPacing later; Bus::post_after), so a
// long stream of changes keeps the control-node busy at most 1 / (1 + kPacingFactor) of
// the time and coalesces into fewer, larger recomputes. A change after a quiet period is
// recomputed at once; small views (ms to build) wait ms. At scale each recompute still
// walks every member of a view and rebuilds the routes (O(view), cheaper than the whole
// views pushed before); with 1,000 Ingresses and whole views a 500 ms cap let the
// control-node take ~40% of a core from the modules that write the config
// (bench/ingress_scale: converged 57 s, with 2 s 47 s). Deterministic buses run
// post_after() at once (tests unchanged).
//
// Incremental (controller/agent_views.h, AgentViewsIndex): the first recompute reads the
// walked types once; after that a recompute reads only the objects named by the
// config.changed messages since the previous one (each once, however many messages),
// and rebuilds only the views those objects can reach. Views equal what
// compute_agent_views() gives for the objects as read.
//
// Threads: handlers and recomputes run on the bus strand "control-node". view_of() and
// introspect() may be called from any thread. The ControlNode must outlive the bus's
// queued work (destroy the bus, or run it idle, first).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>

#include "controller/agent_views.h"
#include "controller/config_api.h"
#include "core/bus.h"

namespace csim::controller {

class ControlNode {
 public:
  static constexpr const char* kModule = "control-node";
  // Idle time after a recompute, in multiples of its duration (at most 1/5 of a core).
  static constexpr int kPacingFactor = 4;
  // The longest a recompute waits for pacing: how stale a view may get under sustained
  // churn, beyond the recompute itself.
  static constexpr core::Nanos kMaxPacing = std::chrono::milliseconds(2000);

  ControlNode(core::Bus& bus, const ConfigApi& api);
  ControlNode(const ControlNode&) = delete;
  ControlNode& operator=(const ControlNode&) = delete;

  // Subscribes to the inputs and posts a first recompute (which publishes the gateway's
  // initial routes). Call once.
  void start();

  // The last view published to `node` (with version and summary), or null if none.
  nlohmann::json view_of(const std::string& node) const;

  // For the CLI: {"recomputes": n, "agents": {node: {state, underlay_ip, version,
  // objects, routes (in the view last pushed), acked_version, ack_ok, ack_error}},
  // "gateway": {version, routes}}.
  nlohmann::json introspect() const;

  // What the last recompute did (tests and benchmarks). Thread-safe.
  struct RecomputeStats {
    size_t objects_read = 0;  // objects read one by one (the first recompute lists instead)
    size_t views_built = 0;   // agent views assembled (and compared with the last push)
    size_t prefixes = 0, floating_ips = 0, walks = 0, walk_changes = 0;  // AgentViewsIndex::Stats
  };
  RecomputeStats last_recompute() const;

 private:
  struct Agent {
    bool live = false;
    std::string underlay_ip;
    uint64_t version = 0;  // of the last view published to it
    bool resend = true;    // push its view on the next recompute even if unchanged
    // What the agent was sent (so a push carries only what changed, and view_of() can
    // show the whole view): each object of its view as last sent, by uuid (immutable,
    // shared with the mirror while unchanged); the routes, services and floating_ips of
    // the last push, serialized ("" before the first push); the last summary.
    std::map<std::string, std::shared_ptr<const ConfigObject>> sent_objects;
    std::string sent_rest;
    size_t sent_routes = 0;
    std::string summary;
    uint64_t acked_version = 0;
    bool ack_ok = true;
    std::string ack_error;
  };

  void on_config_changed(const core::Envelope& e);
  void on_agent_status(const core::Envelope& e);
  void on_agent_ack(const core::Envelope& e);
  // Posts a recompute unless one is pending. Strand only.
  void schedule();
  void recompute();

  core::Bus& bus_;
  const ConfigApi& api_;
  bool pending_ = false;                        // strand only
  core::Nanos last_start_{0}, last_end_{0};     // strand only: the last recompute (bus clock)
  core::TraceContext latest_context_;           // strand only: context of the newest change
  AgentViewsIndex index_;                       // strand only
  bool loaded_ = false;                         // strand only: index_ holds the whole graph
  std::map<std::string, std::string> changed_;  // strand only: uuid -> type since last recompute

  mutable std::mutex mu_;  // guards what view_of() and introspect() read
  std::map<std::string, Agent> agents_;
  uint64_t gateway_version_ = 0;
  nlohmann::json gateway_routes_;  // null until first published
  uint64_t recomputes_ = 0;
  RecomputeStats last_stats_;
};

}  // namespace csim::controller
