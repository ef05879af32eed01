// svc-monitor: turns loadbalancers in the config DB into what the data plane needs
// (contrail-reference.md §3): for provider `opencontrail` a service-instance with the
// haproxy config text and two network-namespace VMs on two different live vrouters
// (haproxy_driver.h, netns_instances.h, vrouter_scheduler.h); for provider `native`
// clusterIP floating-ips with port mappings over the Service's pods (native_driver.h).
//
// Inputs (bus, module "svc-monitor"):
//  - "config.changed." — loadbalancer, -listener, -pool, -member, instance-ip,
//    floating-ip and virtual-machine-interface changes are mapped to the loadbalancers
//    they affect (member -> pool -> listener -> loadbalancer; IIP/FIP -> VIP VMI -> LB,
//    the VMI step from each loadbalancer's refs as its last reconcile read them; objects
//    svc-monitor saw at the last reconcile, for deletions); virtual-router changes wake
//    loadbalancers with unscheduled instances and refresh the scheduler's vrouters;
//    service-instance and floating-ip changes keep the name index (name_index.h).
//    A change costs the loadbalancers it touches: no reconcile lists a whole type
//    (svcmon/README.md, "Cost per change").
//  - "agent.status" {node, state: up|down}: vrouter liveness for the scheduler. A node
//    going down unschedules and reschedules the VMs on it; a node coming up schedules
//    the VMs that were waiting.
// Level-based: a handler only marks loadbalancer uuids dirty and posts one reconcile pass
// on the module's strand; a pass reads the current config of each dirty loadbalancer and
// makes it right (create what is missing, update what differs, delete what is stale).
// svc-monitor's own writes come back as notifications; the pass they trigger finds
// nothing to do. Errors are kept per loadbalancer (introspect()) and recorded in the
// trace, never swallowed; the next change or resync() retries.
//
// Lifetime: the bus keeps the subscriptions, so a SvcMonitor must outlive the bus's
// deliveries (construct it after the bus, destroy it after the bus has drained).
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "controller/config_api.h"
#include "core/bus.h"
#include "core/status.h"
#include "svcmon/context.h"
#include "svcmon/lb_status.h"
#include "svcmon/vrouter_scheduler.h"

namespace csim::svcmon {

struct SvcMonitorOptions {
  // Where agents keep loadbalancer state; goes into haproxy.conf's stats socket line
  // (<state_dir>/loadbalancer/haproxy/<lb-uuid>/haproxy.sock).
  std::string state_dir = "/var/lib/contrail";
  // Seed of the scheduler's random choices (same seed, same placements).
  uint64_t seed = 0;
  // Ingress routing rendered into haproxy.conf (design.md §2, docs/semantics.md):
  // "contrail" (Contrail's acls, faithful) or "kubernetes" (the Ingress API's rules, see
  // kubernetes_routing.h). Anything else makes start() fail.
  std::string semantics = "contrail";
};

class SvcMonitor {
 public:
  SvcMonitor(core::Bus& bus, controller::ConfigApi& api, SvcMonitorOptions options);
  SvcMonitor(const SvcMonitor&) = delete;
  SvcMonitor& operator=(const SvcMonitor&) = delete;

  // Creates the startup objects (startup_objects.h), subscribes, and queues a reconcile
  // of every loadbalancer (startup sync). Call once, from any thread. Returns why the
  // options' semantics is unknown or the startup objects could not be created (then
  // nothing is subscribed).
  core::Status start();

  // Queues a reconcile of every loadbalancer and of every service-instance or native
  // floating-ip svc-monitor made whose loadbalancer is gone (the periodic check of §3.9).
  // Thread-safe.
  void resync();

  // For the CLI: {"module", "agents": {node: up|down}, "loadbalancers": [LbStatus...]},
  // loadbalancers by uuid. Thread-safe.
  nlohmann::json introspect() const;

 private:
  // All below run on the module's strand.
  void on_config_changed(const core::Envelope& e);
  void on_agent_status(const core::Envelope& e);
  void mark_dirty(const std::string& lb_uuid);
  void run_pass();
  void resync_now();
  void reconcile(const std::string& lb_uuid);
  void set_related(const std::string& lb_uuid, std::vector<std::string> uuids);
  void set_vmis(const std::string& lb_uuid, std::vector<std::string> vmis);

  core::Bus& bus_;
  controller::ConfigApi& api_;
  SvcMonitorOptions options_;
  NameIndex names_;  // ctx_.names
  Context ctx_;
  VrouterScheduler scheduler_;

  std::set<std::string> dirty_;
  bool pass_posted_ = false;
  std::map<std::string, std::set<std::string>> lbs_of_object_;  // uuid -> lb uuids
  std::map<std::string, std::vector<std::string>> objects_of_lb_;
  // The VMI -> loadbalancer step of affected_loadbalancers(), from each loadbalancer's
  // refs as its last reconcile read them (a loadbalancer not reconciled since it appeared
  // or changed is dirty anyway). Saves a back-refs query over every ref to a pod's VMI.
  std::map<std::string, std::set<std::string>> lbs_of_vmi_;  // VMI uuid -> lb uuids
  std::map<std::string, std::vector<std::string>> vmis_of_lb_;
  std::set<std::string> unscheduled_lbs_;  // LBs with an instance waiting for a vrouter
  std::set<std::string> cleanup_pending_;  // LBs whose other-provider cleanup failed

  mutable std::mutex mu_;                      // guards the two below
  std::map<std::string, LbStatus> status_;     // by lb uuid
  std::map<std::string, std::string> agents_;  // node -> "up" | "down"
};

}  // namespace csim::svcmon
