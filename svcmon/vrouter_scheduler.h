// Where the network-namespace VMs of a service-instance run (contrail-reference.md §3.7,
// Contrail's RandomScheduler), and which vrouters are live.
//
// Liveness comes from `agent.status` ({node, state: up|down}); a node's name is its
// virtual-router's name. A vrouter never heard of is "unknown": VMs already on it stay
// there, but nothing new is placed on it. Placement of one SI's VMs:
//  1. a VM whose vrouter's agent is down loses the VR->VM ref (a simplified §3.9 check,
//     without Contrail's 3 missed polls / 60 s ticks);
//  2. each VM without a vrouter gets a random live vrouter, excluding vrouters that host
//     the SI's other VM (anti-affinity), via ref_update(virtual-router, vr,
//     virtual-machine, vm, ADD). Index 0 (active) is placed first.
// With no candidate the VM stays unscheduled and the reason is recorded (once per
// change of reason) and kept in its InstanceStatus: never silently.
//
// Randomness: std::mt19937_64 seeded by the caller, candidates sorted by name, pick =
// rng() % n, so a seed gives the same placements on every platform.
//
// Vrouters are read through a cache: every virtual-router refers to every VM of its node
// (thousands of refs), so reading them on each placement made a reconcile O(VMs on the
// nodes). The first place() lists them; later ones re-read only those that
// vrouter_changed() named since (SvcMonitor calls it for config.changed.virtual-router),
// and place() keeps the cache in step with its own ref changes.
//
// Thread: svc-monitor's strand only.
#pragma once

#include <cstdint>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "core/status.h"
#include "svcmon/context.h"
#include "svcmon/lb_status.h"

namespace csim::svcmon {

class VrouterScheduler {
 public:
  enum class AgentState { kUnknown, kUp, kDown };

  explicit VrouterScheduler(uint64_t seed);

  // Records an agent.status report. Returns true when the state changed.
  bool set_agent_state(const std::string& node, bool up);
  AgentState agent_state(const std::string& node) const;
  // node -> "up" | "down", by name.
  std::map<std::string, std::string> agent_states() const;

  // Brings the vrouter placement of one SI's instances (vm_uuid filled in) in line with
  // liveness, as described above. Sets each instance's vrouter / unscheduled_reason.
  // Returns the first config API error (placement of the other VM is still attempted).
  core::Status place(const Context& ctx, std::vector<InstanceStatus>& instances);

  // Virtual-router `uuid` was created, changed or deleted: re-read it at the next place().
  void vrouter_changed(const std::string& uuid);
  // Forget every vrouter: the next place() lists them again (resync).
  void forget_vrouters();

 private:
  struct Vrouter {
    controller::FqName fq_name;  // [default-global-system-config, <node>]
    std::set<std::string> vms;   // its virtual-machine refs
  };
  // Brings the cache up to date (list at first, then the changed ones).
  void refresh(const Context& ctx);

  std::map<std::string, Vrouter> vrouters_;  // uuid -> as last read
  std::set<std::string> stale_;              // uuids to re-read
  bool listed_ = false;
  std::mt19937_64 rng_;
  std::map<std::string, bool> up_;                  // node -> up
  std::map<std::string, std::string> last_reason_;  // vm uuid -> last recorded reason
};

}  // namespace csim::svcmon
