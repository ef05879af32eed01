#include "kube/pod_scheduler.h"

#include <map>
#include <vector>

#include "kube/object_util.h"

namespace csim::kube {

using nlohmann::json;

PodScheduler::PodScheduler(core::Bus& bus, ObjectStore& store) : bus_(bus), store_(store) {}

void PodScheduler::start() {
  auto handler = [this](const core::Envelope&) { schedule_pending(); };
  bus_.subscribe(kModule, watch_topic("Pod"), handler);
  bus_.subscribe(kModule, watch_topic("Node"), handler);
  bus_.post(kModule, [this] { schedule_pending(); });
}

core::Status PodScheduler::schedule_pending() {
  std::vector<std::string> nodes;  // schedulable, by name (the store lists in name order)
  for (const json& node : store_.list("Node"))
    if (node_is_schedulable(node)) nodes.push_back(meta_string(node, "name"));
  if (nodes.empty()) return core::Status::ok();

  std::map<std::string, int> load;
  for (const auto& n : nodes) load[n] = 0;
  std::vector<json> pending;
  for (const json& pod : store_.list("Pod")) {
    if (pod_is_terminal(pod)) continue;
    const json& spec = pod.value("spec", json::object());
    const json node = spec.is_object() ? spec.value("nodeName", json()) : json();
    if (node.is_string() && !node.get<std::string>().empty()) {
      auto it = load.find(node.get<std::string>());
      if (it != load.end()) ++it->second;
      continue;
    }
    pending.push_back(pod);
  }

  core::Status first_failure;
  for (json& pod : pending) {
    std::string best = nodes.front();
    for (const auto& n : nodes)
      if (load[n] < load[best]) best = n;
    if (!pod["spec"].is_object()) pod["spec"] = json::object();
    pod["spec"]["nodeName"] = best;
    auto r = store_.update(pod);  // carries the pod's resourceVersion
    if (r.is_ok()) {
      ++load[best];
      continue;
    }
    const core::Code code = r.status().code();
    if (code == core::Code::kConflict || code == core::Code::kNotFound) continue;  // next event
    core::Status failure(code, "bind pod " + meta_string(pod, "namespace") + "/" +
                                   meta_string(pod, "name") + " to " + best + ": " +
                                   r.status().message());
    const auto now = bus_.clock().now();
    bus_.record(kModule, "schedule failed", failure.to_string(), now, now);
    if (first_failure.is_ok()) first_failure = failure;
  }
  return first_failure;
}

}  // namespace csim::kube
