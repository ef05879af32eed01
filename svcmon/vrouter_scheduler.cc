#include "svcmon/vrouter_scheduler.h"

#include <algorithm>
#include <set>

namespace csim::svcmon {
namespace {

std::string join_names(const std::vector<std::string>& v) {
  std::string out;
  for (size_t i = 0; i < v.size(); ++i) out += (i ? ", " : "") + v[i];
  return out.empty() ? "none" : out;
}

std::string role(const InstanceStatus& in) {
  return std::string(in.index == 0 ? "active" : "standby") + ", local-pref " +
         std::to_string(in.local_preference);
}

}  // namespace

VrouterScheduler::VrouterScheduler(uint64_t seed) : rng_(seed) {}

bool VrouterScheduler::set_agent_state(const std::string& node, bool up) {
  auto it = up_.find(node);
  if (it != up_.end() && it->second == up) return false;
  up_[node] = up;
  return true;
}

VrouterScheduler::AgentState VrouterScheduler::agent_state(const std::string& node) const {
  auto it = up_.find(node);
  if (it == up_.end()) return AgentState::kUnknown;
  return it->second ? AgentState::kUp : AgentState::kDown;
}

std::map<std::string, std::string> VrouterScheduler::agent_states() const {
  std::map<std::string, std::string> out;
  for (const auto& [node, up] : up_) out[node] = up ? "up" : "down";
  return out;
}

core::Status VrouterScheduler::place(const Context& ctx, std::vector<InstanceStatus>& instances) {
  core::Status first_error;
  auto keep_error = [&](const core::Status& s) {
    if (!s && first_error) first_error = s;
  };

  // virtual-router objects by name (a node name is its vrouter's name).
  std::map<std::string, std::string> vrouters;  // name -> uuid
  for (const auto& vr : ctx.api.list("virtual-router")) vrouters[vr.name()] = vr.uuid;

  // 1. Current placements; drop those on a vrouter whose agent is down.
  for (auto& in : instances) {
    in.vrouter.clear();
    in.unscheduled_reason.clear();
    if (in.vm_uuid.empty()) continue;
    auto hosts = ctx.api.back_refs(in.vm_uuid, "virtual-router");
    std::sort(hosts.begin(), hosts.end(),
              [](const auto& a, const auto& b) { return a.name() < b.name(); });
    for (const auto& vr : hosts) {
      const bool down = agent_state(vr.name()) == AgentState::kDown;
      if (!down && in.vrouter.empty()) {
        in.vrouter = vr.name();
        continue;
      }
      const auto start = ctx.now();
      core::Status s = ctx.api.ref_update("virtual-router", vr.uuid, "virtual-machine", in.vm_uuid,
                                          controller::RefOp::kDelete);
      keep_error(s);
      if (s)
        ctx.record("unschedule",
                   "unscheduled " + in.vm_name + " from " + vr.name() +
                       (down ? ": agent down" : ": already placed on " + in.vrouter),
                   start);
    }
  }

  // 2. Place each VM without a vrouter, active first.
  for (auto& in : instances) {
    if (in.vm_uuid.empty() || !in.vrouter.empty()) continue;
    std::set<std::string> taken;
    for (const auto& other : instances)
      if (&other != &in && !other.vrouter.empty()) taken.insert(other.vrouter);
    std::vector<std::string> live, candidates;
    for (const auto& [name, uuid] : vrouters) {
      if (agent_state(name) != AgentState::kUp) continue;
      live.push_back(name);
      if (!taken.count(name)) candidates.push_back(name);
    }
    if (candidates.empty()) {
      std::vector<std::string> excluded(taken.begin(), taken.end());
      in.unscheduled_reason = "no vrouters are available: live vrouters [" + join_names(live) +
                              "], excluded by anti-affinity [" + join_names(excluded) + "]";
      if (last_reason_[in.vm_uuid] != in.unscheduled_reason) {
        last_reason_[in.vm_uuid] = in.unscheduled_reason;
        const auto start = ctx.now();
        ctx.record(
            "schedule.failed",
            "cannot schedule " + in.vm_name + " (" + role(in) + "): " + in.unscheduled_reason,
            start);
      }
      continue;
    }
    const std::string& node = candidates[rng_() % candidates.size()];
    const auto start = ctx.now();
    core::Status s = ctx.api.ref_update("virtual-router", vrouters[node], "virtual-machine",
                                        in.vm_uuid, controller::RefOp::kAdd);
    if (!s) {
      keep_error(s);
      in.unscheduled_reason = "scheduling on " + node + " failed: " + s.to_string();
      continue;
    }
    in.vrouter = node;
    last_reason_.erase(in.vm_uuid);
    ctx.record("schedule", "scheduled " + in.vm_name + " on " + node + " (" + role(in) + ")",
               start);
  }
  return first_error;
}

}  // namespace csim::svcmon
