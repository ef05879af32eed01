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

  refresh(ctx);
  // virtual-router objects by name (a node name is its vrouter's name; list() order, so
  // the last of a name wins as before).
  std::vector<std::pair<controller::FqName, std::string>> by_fq;
  for (const auto& [uuid, vr] : vrouters_) by_fq.emplace_back(vr.fq_name, uuid);
  std::sort(by_fq.begin(), by_fq.end());
  std::map<std::string, std::string> vrouters;  // name -> uuid
  for (const auto& [fq, uuid] : by_fq)
    if (!fq.empty()) vrouters[fq.back()] = uuid;

  // 1. Current placements; drop those on a vrouter whose agent is down.
  for (auto& in : instances) {
    in.vrouter.clear();
    in.unscheduled_reason.clear();
    in.placement_changed = false;
    if (in.vm_uuid.empty()) continue;
    std::vector<std::pair<std::string, std::string>> hosts;  // (name, uuid), by name
    for (const auto& [uuid, vr] : vrouters_)
      if (vr.vms.count(in.vm_uuid))
        hosts.emplace_back(vr.fq_name.empty() ? "" : vr.fq_name.back(), uuid);
    std::sort(hosts.begin(), hosts.end(),
              [](const auto& a, const auto& b) { return a.first < b.first; });
    for (const auto& [name, uuid] : hosts) {
      const bool down = agent_state(name) == AgentState::kDown;
      if (!down && in.vrouter.empty()) {
        in.vrouter = name;
        continue;
      }
      const auto start = ctx.now();
      core::Status s = ctx.api.ref_update("virtual-router", uuid, "virtual-machine", in.vm_uuid,
                                          controller::RefOp::kDelete);
      keep_error(s);
      if (s) {
        vrouters_[uuid].vms.erase(in.vm_uuid);
        in.placement_changed = true;
        ctx.record("unschedule",
                   "unscheduled " + in.vm_name + " from " + name +
                       (down ? ": agent down" : ": already placed on " + in.vrouter),
                   start);
      }
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
        in.placement_changed = true;
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
    in.placement_changed = true;
    vrouters_[vrouters[node]].vms.insert(in.vm_uuid);
    last_reason_.erase(in.vm_uuid);
    ctx.record("schedule", "scheduled " + in.vm_name + " on " + node + " (" + role(in) + ")",
               start);
  }
  return first_error;
}

void VrouterScheduler::vrouter_changed(const std::string& uuid) { stale_.insert(uuid); }

void VrouterScheduler::forget_vrouters() {
  listed_ = false;
  vrouters_.clear();
  stale_.clear();
}

void VrouterScheduler::refresh(const Context& ctx) {
  auto keep = [this](const controller::ConfigObject& vr) {
    const auto vms = vr.ref_uuids("virtual-machine");
    vrouters_[vr.uuid] = Vrouter{vr.fq_name, std::set<std::string>(vms.begin(), vms.end())};
  };
  if (!listed_) {
    vrouters_.clear();
    for (const auto& vr : ctx.api.list("virtual-router")) keep(vr);
    listed_ = true;
    stale_.clear();
    return;
  }
  for (const auto& uuid : stale_) {
    auto vr = ctx.api.read(uuid);
    if (vr && vr->type == "virtual-router") {
      keep(*vr);
    } else {
      vrouters_.erase(uuid);
    }
  }
  stale_.clear();
}

}  // namespace csim::svcmon
