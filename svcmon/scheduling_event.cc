#include "svcmon/scheduling_event.h"

#include <algorithm>
#include <string>

#include "core/kube_event.h"
#include "svcmon/context.h"

namespace csim::svcmon {
namespace {

std::string role(int index) { return index == 0 ? "active" : "standby"; }

bool all_scheduled(const LbStatus& s) {
  return std::all_of(s.instances.begin(), s.instances.end(),
                     [](const InstanceStatus& in) { return !in.vrouter.empty(); });
}

}  // namespace

std::string placement_text(const LbStatus& status) {
  std::string out;
  for (size_t i = 0; i < status.instances.size(); ++i) {
    const InstanceStatus& in = status.instances[i];
    if (i > 0) out += i + 1 == status.instances.size() ? " and " : ", ";
    if (in.vrouter.empty()) {
      out += role(in.index) + " not scheduled (" +
             (in.unscheduled_reason.empty() ? "no live vrouter" : in.unscheduled_reason) + ")";
    } else {
      out += in.vrouter + " (" + role(in.index) + ")";
    }
  }
  return out;
}

std::optional<nlohmann::json> scheduling_event(const LbStatus* before, const LbStatus& now) {
  if (now.instances.empty()) return std::nullopt;
  const std::string placement = placement_text(now);
  if (before != nullptr && placement_text(*before) == placement) return std::nullopt;
  // First sight in this run: told only when the scheduler did something, not for the
  // placement a restart finds already made (its Event is there from the earlier run).
  if (before == nullptr && std::none_of(now.instances.begin(), now.instances.end(),
                                        [](const InstanceStatus& in) { return in.placement_changed; }))
    return std::nullopt;
  const bool ok = all_scheduled(now);
  std::string message = (ok ? "scheduled on " : "") + placement;
  if (!now.service_instance_fq_name.empty())
    message += ", service-instance " + now.service_instance_fq_name.back();
  std::string host;
  for (const auto& in : now.instances)
    if (in.index == 0) host = in.vrouter;
  const std::string reason = ok ? "Scheduled" : "FailedScheduling";
  return core::kube_event_body(now.uuid, reason, message, kModule, host, /*warning=*/!ok);
}

}  // namespace csim::svcmon
