#include "kube/pod_scheduler.h"

#include <optional>
#include <vector>

#include "kube/object_util.h"

namespace csim::kube {
namespace {

using nlohmann::json;

uint64_t rv_of(const json& object) {
  const std::string rv = meta_string(object, "resourceVersion");
  uint64_t v = 0;
  for (char c : rv) {
    if (c < '0' || c > '9') return 0;
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  return v;
}

std::string node_of(const json& pod) {
  if (!pod.is_object()) return "";
  auto spec = pod.find("spec");
  if (spec == pod.end() || !spec->is_object()) return "";
  auto node = spec->find("nodeName");
  return node != spec->end() && node->is_string() ? node->get<std::string>() : "";
}

}  // namespace

PodScheduler::PodScheduler(core::Bus& bus, ObjectStore& store) : bus_(bus), store_(store) {}

void PodScheduler::start() {
  started_ = true;
  bus_.subscribe(kModule, watch_topic("Pod"), [this](const core::Envelope& e) {
    on_pod_event(e);
    schedule_pending();
  });
  bus_.subscribe(kModule, watch_topic("Node"),
                 [this](const core::Envelope&) { schedule_pending(); });
  bus_.post(kModule, [this] { schedule_pending(); });
}

void PodScheduler::on_pod_event(const core::Envelope& e) {
  if (!loaded_) return;  // the first pass lists the store
  const json& object = e.body.value("object", json::object());
  if (e.body.value("type", "") == "DELETED") {
    const Key key{meta_string(object, "namespace"), meta_string(object, "name")};
    auto it = pods_.find(key);
    if (it != pods_.end() && it->second.rv <= rv_of(object)) forget(key);
    return;
  }
  remember(object, false);
}

void PodScheduler::set_entry(const Key& key, CachedPod entry) {
  forget(key);
  if (!entry.terminal) {
    if (entry.node.empty())
      pending_.insert(key);
    else
      ++load_[entry.node];
  }
  pods_.emplace(key, std::move(entry));
}

void PodScheduler::forget(const Key& key) {
  auto it = pods_.find(key);
  if (it == pods_.end()) return;
  if (!it->second.terminal) {
    if (it->second.node.empty()) {
      pending_.erase(key);
    } else {
      auto l = load_.find(it->second.node);
      if (l != load_.end() && --l->second == 0) load_.erase(l);
    }
  }
  pods_.erase(it);
}

void PodScheduler::remember(const json& pod, bool force) {
  const Key key{meta_string(pod, "namespace"), meta_string(pod, "name")};
  const uint64_t rv = rv_of(pod);
  auto it = pods_.find(key);
  if (!force && it != pods_.end() && it->second.rv > rv) return;  // older than the cache
  set_entry(key, CachedPod{rv, node_of(pod), pod_is_terminal(pod)});
}

void PodScheduler::load_all() {
  pods_.clear();
  pending_.clear();
  load_.clear();
  for (const json& pod : store_.list("Pod")) remember(pod, true);
  loaded_ = true;
}

core::Status PodScheduler::schedule_pending() {
  if (!loaded_ || !started_) load_all();
  if (pending_.empty()) return core::Status::ok();
  std::vector<std::string> nodes;  // schedulable, by name (the store lists in name order)
  for (const json& node : store_.list("Node"))
    if (node_is_schedulable(node)) nodes.push_back(meta_string(node, "name"));
  if (nodes.empty()) return core::Status::ok();

  core::Status first_failure;
  const std::vector<Key> pending(pending_.begin(), pending_.end());
  for (const Key& key : pending) {
    // The cache may lag the store: bind what the store holds now.
    std::optional<json> current = store_.get("Pod", key.first, key.second);
    if (!current) {
      forget(key);
      continue;
    }
    if (pod_is_terminal(*current) || !node_of(*current).empty()) {
      remember(*current, true);
      continue;
    }
    std::string best = nodes.front();
    auto load = [&](const std::string& n) {
      auto it = load_.find(n);
      return it == load_.end() ? 0 : it->second;
    };
    for (const auto& n : nodes)
      if (load(n) < load(best)) best = n;
    json& pod = *current;
    if (!pod["spec"].is_object()) pod["spec"] = json::object();
    pod["spec"]["nodeName"] = best;
    auto r = store_.update(pod);  // carries the pod's resourceVersion
    if (r.is_ok()) {
      remember(*r, true);
      continue;
    }
    const core::Code code = r.status().code();
    if (code == core::Code::kConflict || code == core::Code::kNotFound) continue;  // next event
    core::Status failure(code, "bind pod " + key.first + "/" + key.second + " to " + best + ": " +
                                   r.status().message());
    const auto now = bus_.clock().now();
    bus_.record(kModule, "schedule failed", failure.to_string(), now, now);
    if (first_failure.is_ok()) first_failure = failure;
  }
  return first_failure;
}

bool PodScheduler::cache_matches_store() const {
  std::map<Key, std::pair<std::string, bool>> want, have;
  for (const json& pod : store_.list("Pod"))
    want[{meta_string(pod, "namespace"), meta_string(pod, "name")}] = {node_of(pod),
                                                                       pod_is_terminal(pod)};
  std::set<Key> pending;
  std::map<std::string, int> load;
  for (const auto& [key, p] : pods_) {
    have[key] = {p.node, p.terminal};
    if (p.terminal) continue;
    if (p.node.empty())
      pending.insert(key);
    else
      ++load[p.node];
  }
  return want == have && pending == pending_ && load == load_;
}

}  // namespace csim::kube
