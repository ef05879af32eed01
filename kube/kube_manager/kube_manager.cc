#include "kube/kube_manager/kube_manager.h"

#include <algorithm>
#include <optional>
#include <utility>

#include "kube/kube_manager/cluster_setup.h"
#include "kube/kube_manager/config_ops.h"
#include "kube/kube_manager/endpoints_reconciler.h"
#include "kube/kube_manager/namespace_reconciler.h"
#include "kube/kube_manager/naming.h"
#include "kube/kube_manager/pod_reconciler.h"
#include "kube/kube_manager/service_reconciler.h"

namespace csim::kube {

using nlohmann::json;

namespace {

// The kinds kube-manager watches, in resync order.
const std::vector<std::string>& watched_kinds() {
  static const std::vector<std::string> kinds = {"Namespace", "Pod", "Service", "Endpoints",
                                                 "Ingress"};
  return kinds;
}

// The config types reconcilers and sweeps read, loaded once per resync.
const std::vector<std::string>& resync_types() {
  static const std::vector<std::string> types = {
      "project", "security-group", "virtual-router", "virtual-machine",
      "virtual-machine-interface", "instance-ip", "floating-ip-pool", "floating-ip",
      "service-appliance-set", "loadbalancer", "loadbalancer-listener", "loadbalancer-pool",
      "loadbalancer-member"};
  return types;
}

}  // namespace

std::string KubeManager::Key::to_string() const {
  return kind + " " + (ns.empty() ? name : ns + "/" + name);
}

KubeManager::KubeManager(core::Bus& bus, ObjectStore& store, controller::ConfigApi& api,
                         KubeManagerOptions options)
    : bus_(bus),
      store_(store),
      options_(std::move(options)),
      cache_(api),
      ctx_(bus, store, cache_, options_),
      ingress_(ctx_),
      guard_(std::make_shared<Guard>()) {
  ctx_.enqueue = [this](const std::string& kind, const std::string& ns, const std::string& name) {
    if (resyncing_) return;  // the resync reaches that key in its own turn
    enqueue(Key{kind, ns, name});
  };
  ctx_.ensure_namespace = [this](const std::string& ns) -> core::Status {
    // The resync reconciles every Namespace first: once per namespace is enough.
    if (resyncing_ && ensured_namespaces_.count(ns)) return core::Status::ok();
    if (!store_.get("Namespace", "", ns))
      return core::not_found("namespace " + ns + " does not exist");
    core::Status s = reconcile_namespace(ctx_, ns);
    if (s.is_ok() && resyncing_) ensured_namespaces_.insert(ns);
    return s;
  };
}

KubeManager::~KubeManager() {
  std::lock_guard lock(guard_->mu);
  guard_->alive = false;
}

core::Status KubeManager::start() {
  {
    std::lock_guard lock(mu_);
    if (started_) return core::Status::ok();
  }
  core::TraceScope scope(bus_, kKubeManagerModule, "kube-manager start");
  if (!subscribed_) {
    subscribed_ = true;
    for (const auto& kind : watched_kinds()) {
      bus_.subscribe(kKubeManagerModule, watch_topic(kind),
                     [this, guard = guard_, kind](const core::Envelope& e) {
                       std::lock_guard lock(guard->mu);
                       if (guard->alive) on_watch(kind, e);
                     });
    }
  }
  if (auto s = provision_cluster(ctx_); !s) {
    ctx_.record("error", "kube-manager start failed: " + s.to_string());
    return s;
  }
  resync();
  size_t queued;
  {
    std::lock_guard lock(mu_);
    started_ = true;
    queued = queue_.size();
  }
  for (size_t i = 0; i < queued; ++i) post_drain();  // events that arrived during the resync
  return core::Status::ok();
}

void KubeManager::on_watch(const std::string& kind, const core::Envelope& e) {
  const json object = e.body.value("object", json::object());
  const json meta = object.value("metadata", json::object());
  Key key{kind, kind == "Namespace" ? "" : meta.value("namespace", ""), meta.value("name", "")};
  if (key.name.empty()) return;
  const std::string type = e.body.value("type", "");
  // Failed keys get another chance with every new event (kMaxAttempts in a row).
  std::vector<std::pair<Key, std::vector<std::string>>> retry;
  {
    std::lock_guard lock(mu_);
    if (auto it = last_error_.find(key); it != last_error_.end()) {
      it->second.attempts = 0;
      it->second.timed_retries = 0;
    }
    for (const auto& [k, info] : last_error_)
      if (info.attempts < kMaxAttempts) retry.emplace_back(k, info.gone_uids);
  }
  for (const auto& [k, uids] : retry) {
    if (uids.empty()) enqueue(k);
    for (const auto& uid : uids) enqueue(k, uid);
  }
  enqueue(key, type == "DELETED" ? meta.value("uid", "") : "");
}

void KubeManager::enqueue(const Key& key, const std::string& gone_uid) {
  bool fresh = false;
  {
    std::lock_guard lock(mu_);
    auto [it, inserted] = pending_.try_emplace(key);
    if (!gone_uid.empty() &&
        std::find(it->second.begin(), it->second.end(), gone_uid) == it->second.end())
      it->second.push_back(gone_uid);
    if (inserted) queue_.push_back(key);
    fresh = inserted && started_;
  }
  if (fresh) post_drain();
}

void KubeManager::post_drain() {
  bus_.post(kKubeManagerModule, [this, guard = guard_] {
    std::lock_guard lock(guard->mu);
    if (guard->alive) drain_one();
  });
}

void KubeManager::drain_one() {
  Key key;
  std::vector<std::string> gone;
  bool timed = false;
  {
    std::lock_guard lock(mu_);
    if (!started_ || queue_.empty()) return;
    key = queue_.front();
    queue_.pop_front();
    auto it = pending_.find(key);
    if (it != pending_.end()) {
      gone = std::move(it->second);
      pending_.erase(it);
    }
    timed = timed_queued_.erase(key) > 0;
  }
  core::Status s = reconcile(key, gone, /*cascade=*/true);
  finish(key, gone, s, timed);
}

core::Status KubeManager::reconcile(const Key& key, const std::vector<std::string>& gone_uids,
                                    bool cascade) {
  if (key.kind == "Namespace") {
    ensured_namespaces_.erase(key.name);
    core::Status s = reconcile_namespace(ctx_, key.name);
    if (s.is_ok() && resyncing_ && store_.get("Namespace", "", key.name))
      ensured_namespaces_.insert(key.name);
    return s;
  }
  if (key.kind == "Pod") return reconcile_pod(ctx_, key.ns, key.name, gone_uids);
  if (key.kind == "Endpoints") return reconcile_endpoints(ctx_, key.ns, key.name);
  if (key.kind == "Ingress") return ingress_.reconcile(key.ns, key.name, gone_uids);
  if (key.kind == "Service") {
    core::Status s = reconcile_service(ctx_, key.ns, key.name, gone_uids);
    if (cascade) {
      // Members follow the Service: its Endpoints (pool members) and the Ingresses that
      // route to it (§1.9, including clusterIP/port changes Contrail does not propagate).
      enqueue(Key{"Endpoints", key.ns, key.name});
      for (const auto& ing : ingress_.ingresses_using(key.ns, key.name))
        enqueue(Key{"Ingress", key.ns, ing});
    }
    return s;
  }
  return core::internal("kube-manager does not handle kind " + key.kind);
}

void KubeManager::finish(const Key& key, const std::vector<std::string>& gone_uids,
                         const core::Status& s, bool timed) {
  if (!s.is_ok())
    ctx_.record("error", "reconcile " + key.to_string() + " failed: " + s.to_string());
  {
    std::lock_guard lock(mu_);
    ++reconciles_;
    if (s.is_ok()) {
      last_error_.erase(key);
      timed_queued_.erase(key);
      return;
    }
    ++failures_;
    ErrorInfo& info = last_error_[key];
    info.error = s.to_string();
    info.at = core::rfc3339(bus_.clock().now());
    for (const auto& u : gone_uids)
      if (std::find(info.gone_uids.begin(), info.gone_uids.end(), u) == info.gone_uids.end())
        info.gone_uids.push_back(u);
    if (timed)
      ++info.timed_retries;
    else
      ++info.attempts;
    if (info.timed_retries < kTimedRetries)
      retry_after_locked(key, kFirstBackoff * (1 << info.timed_retries));
  }
}

void KubeManager::retry_after_locked(const Key& key, core::Nanos delay) {
  if (!timer_armed_.insert(key).second) return;  // its timer is waiting already
  bus_.post_after(kKubeManagerModule, delay, [this, guard = guard_, key] {
    std::lock_guard lock(guard->mu);
    if (!guard->alive) return;
    std::vector<std::string> uids;
    {
      std::lock_guard state(mu_);
      timer_armed_.erase(key);
      auto it = last_error_.find(key);
      if (it == last_error_.end()) return;  // it succeeded meanwhile
      uids = it->second.gone_uids;
      // A run an event queued already is that event's, not a timed retry.
      if (!pending_.count(key)) timed_queued_.insert(key);
    }
    if (uids.empty()) enqueue(key);
    for (const auto& uid : uids) enqueue(key, uid);
  });
}

void KubeManager::resync() {
  resyncing_ = true;
  ctx_.resyncing = true;
  cache_.enable(resync_types());
  const size_t cached = cache_.size();
  std::map<std::string, int> counts;
  std::map<std::string, std::set<std::string>> uids;  // kind -> uids in the store
  std::vector<Key> failed;
  for (const auto& kind : watched_kinds()) {
    for (const auto& obj : store_.list(kind)) {
      const json& meta = obj["metadata"];
      Key key{kind, kind == "Namespace" ? "" : meta.value("namespace", ""), meta.value("name", "")};
      uids[kind].insert(meta.value("uid", ""));
      core::Status st = reconcile(key, {}, /*cascade=*/false);
      if (!st.is_ok()) failed.push_back(key);
      finish(key, {}, st);
      ++counts[kind];
    }
  }

  // Orphans (§1.10 _sync_ingress_lb / _sync_service_lb / _sync_pod_vm /
  // _sync_namespace_project), at once instead of after 60 s.
  int orphans = 0;
  std::vector<std::pair<Key, std::vector<std::string>>> failed_sweeps;
  auto sweep = [&](const std::string& type, const std::string& kind, const controller::ConfigObject& o) {
    if (!owned_by_cluster(options_, o) || o.annotation("kind") != kind) return;
    const std::string ns = o.annotation("namespace").value_or("");
    const std::string name = o.annotation("name").value_or("");
    if (name.empty()) return;
    const std::string uid = type == "project" ? o.annotation("k8s_uuid").value_or("") : o.uuid;
    if (uids[kind].count(uid)) return;
    ++orphans;
    if (kind == "Namespace") {
      finish(Key{kind, "", ns}, {}, reconcile(Key{kind, "", ns}, {}, false));
    } else {
      Key key{kind, ns, name};
      core::Status st = reconcile(key, {o.uuid}, false);
      if (!st.is_ok()) failed_sweeps.push_back({key, {o.uuid}});
      finish(key, {o.uuid}, st);
    }
  };
  for (const auto& lb : ctx_.api.list("loadbalancer")) {
    sweep("loadbalancer", "Ingress", lb);
    sweep("loadbalancer", "Service", lb);
  }
  for (const auto& vm : ctx_.api.list("virtual-machine")) sweep("virtual-machine", "Pod", vm);
  // VIP interfaces no loadbalancer refers to, of a Service or Ingress uid that is gone
  // (a kill between the interface's create and the loadbalancer's, or between the
  // loadbalancer's delete and the interface's). Listed after the loadbalancers went.
  for (const auto& vmi : ctx_.api.list("virtual-machine-interface")) {
    if (vmi.props.value("virtual_machine_interface_device_owner", "") != "K8S:LOADBALANCER") continue;
    auto owner = parse_vip_interface_fq_name(options_, vmi.fq_name);
    if (!owner || uids[owner->kind].count(owner->uid)) continue;
    ++orphans;
    Key key{owner->kind, owner->ns, owner->name};
    core::Status st = reconcile(key, {owner->uid}, /*cascade=*/false);
    if (!st.is_ok()) failed_sweeps.push_back({key, {owner->uid}});
    finish(key, {owner->uid}, st);
  }
  // Ingress floating-ips on no interface (a kill inside release_floating_ip()).
  for (const auto& fip : ctx_.api.list("floating-ip")) {
    if (!is_detached_ingress_floating_ip(options_, fip)) continue;
    ++orphans;
    if (auto s = remove_if_present(ctx_.api, "floating-ip", fip.uuid); !s) {
      ctx_.record("error", "resync: " + s.to_string());
      continue;
    }
    ctx_.record("resync", "floating-ip " + fq_string(fip.fq_name) + " (" +
                              fip.props.value("floating_ip_address", std::string("?")) +
                              ") on no interface deleted");
  }
  for (const auto& project : ctx_.api.list("project")) sweep("project", "Namespace", project);
  // An orphan can hold what a live object needs (the apiserver reuses a deleted Service's
  // clusterIP, whose instance-ip the orphan still holds): retry what failed, once the
  // orphans are gone.
  if (orphans > 0)
    for (const auto& key : failed) finish(key, {}, reconcile(key, {}, /*cascade=*/false));
  // And a sweep that failed (another module wrote into what it deleted) gets one more go
  // now, rather than waiting for the next watch event.
  for (const auto& [key, gone] : failed_sweeps) finish(key, gone, reconcile(key, gone, false));
  cache_.disable();
  ensured_namespaces_.clear();
  ctx_.resyncing = false;
  resyncing_ = false;

  std::string summary = "resync: reconciled";
  for (const auto& kind : watched_kinds())
    summary += " " + std::to_string(counts[kind]) + " " + kind;
  summary += "; " + std::to_string(orphans) + " orphaned config object(s) of deleted Kubernetes objects removed";
  summary += " (" + std::to_string(cached) + " config objects read in bulk)";
  ctx_.record("resync", summary);
}

json KubeManager::introspect() const {
  json out;
  {
    std::lock_guard lock(mu_);
    out["module"] = kKubeManagerModule;
    out["started"] = started_;
    out["cluster"] = options_.cluster_name;
    out["queue_length"] = queue_.size();
    json queue = json::array();
    for (const auto& k : queue_) queue.push_back(k.to_string());
    out["queue"] = queue;
    json retry = json::array();
    for (const auto& [k, e] : last_error_)
      if (e.attempts < kMaxAttempts) retry.push_back(k.to_string());
    out["retry"] = retry;
    out["reconciles"] = reconciles_;
    out["failures"] = failures_;
    json errors = json::object();
    for (const auto& [k, e] : last_error_)
      errors[k.to_string()] = {{"error", e.error},
                               {"at", e.at},
                               {"attempts", e.attempts},
                               {"timed_retries", e.timed_retries}};
    out["last_error"] = errors;
  }
  out["service_index"] = ingress_.introspect()["service_index"];
  return out;
}

}  // namespace csim::kube
