// KubeManager: csim's contrail-kube-manager. It turns Kubernetes Namespaces, Pods,
// Services, Endpoints and Ingresses into Contrail config objects through the config API,
// named and annotated as Contrail's kube-manager names them (contrail-reference.md §1, §2;
// the per-kind rules are in the *_reconciler.h headers next to this one).
//
// Level-based: a watch handler (kube.watch.<kind>) only queues the object's key
// (kind, namespace, name; for a DELETED event also the uid) and posts one drain on the
// module's strand; a drain takes one key, reads the object's current state from the
// store and makes the config right (creates what is missing, updates what differs,
// deletes what is stale). Keys are de-duplicated while queued. A failed reconcile keeps
// its error (introspect()) and is retried when the next watch event arrives, up to
// kMaxAttempts times in a row.
//
// start(): provisions the cluster (§2.1) and resyncs at once (not after Contrail's 60 s
// timer, §1.10): every Namespace, Pod, Service, Endpoints and Ingress in the store is
// reconciled in that order, then config objects annotated cluster=<cluster>, owner=<owner>
// whose Kubernetes object is gone (or has another uid) are deleted (loadbalancers,
// virtual-machines, projects), and so are what a kill in the middle of a create or a
// delete leaves without annotations: VIP interfaces (with their instance-ips) no
// loadbalancer refers to whose Service or Ingress uid is gone, and Ingress floating-ips
// on no interface. The watch
// subscriptions are made before the resync lists the store, but events are only
// processed once the resync is done (so nothing between list and watch is lost).
// The resync reads the config objects it needs once, in bulk (resync_cache.h), and writes
// only what differs: a resync of a converged store writes nothing.
//
// Threads: start() runs on the caller's thread; handlers and drains run on the bus strand
// "kube-manager"; introspect() may be called from any thread. The object must outlive its
// bus deliveries; after destruction, deliveries still queued for it do nothing.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include <nlohmann/json.hpp>

#include "controller/config_api.h"
#include "core/bus.h"
#include "core/status.h"
#include "kube/kube_manager/context.h"
#include "kube/kube_manager/ingress_reconciler.h"
#include "kube/kube_manager/options.h"
#include "kube/kube_manager/resync_cache.h"
#include "kube/object_store.h"

namespace csim::kube {

class KubeManager {
 public:
  // A failing key is retried on the next watch events, this many times in a row at most.
  static constexpr int kMaxAttempts = 5;

  KubeManager(core::Bus& bus, ObjectStore& store, controller::ConfigApi& api,
              KubeManagerOptions options = {});
  ~KubeManager();
  KubeManager(const KubeManager&) = delete;
  KubeManager& operator=(const KubeManager&) = delete;

  // Subscribes to kube.watch.{namespace,pod,service,endpoints,ingress}, provisions the
  // cluster and resyncs (see above). Errors: the provisioning's (e.g. kNotFound when the
  // domain does not exist); errors of single objects are kept per key, not returned.
  // Calling it again after success is a no-op.
  core::Status start();

  // For `csim` introspection:
  // {"module", "started", "cluster", "queue_length", "queue": ["Ingress default/x", …],
  //  "retry": [...], "reconciles", "failures",
  //  "last_error": {"<key>": {"error", "at", "attempts"}}, "service_index": {...}}
  nlohmann::json introspect() const;

 private:
  struct Key {
    std::string kind;  // "Namespace", "Pod", "Service", "Endpoints", "Ingress"
    std::string ns;    // "" for Namespace
    std::string name;
    auto operator<=>(const Key&) const = default;
    std::string to_string() const;
  };
  struct ErrorInfo {
    std::string error;
    std::string at;
    int attempts = 0;
  };
  // Lets handlers queued on the bus outlive this object harmlessly.
  struct Guard {
    std::mutex mu;
    bool alive = true;
  };

  void on_watch(const std::string& kind, const core::Envelope& e);
  // Queues `key` (with a uid from a DELETED event) and posts a drain for a new key.
  void enqueue(const Key& key, const std::string& gone_uid = "");
  void post_drain();
  void drain_one();
  // Reconciles one key; `cascade` queues dependants (Service -> Endpoints and Ingresses).
  core::Status reconcile(const Key& key, const std::vector<std::string>& gone_uids, bool cascade);
  void finish(const Key& key, const std::vector<std::string>& gone_uids, const core::Status& s);
  void resync();

  core::Bus& bus_;
  ObjectStore& store_;
  const KubeManagerOptions options_;
  ResyncCache cache_;  // the config API; serves the resync's reads (resync_cache.h)
  Context ctx_;
  IngressReconciler ingress_;
  std::shared_ptr<Guard> guard_;
  bool subscribed_ = false;
  bool resyncing_ = false;  // cascades are skipped: the resync visits every key in order
  std::set<std::string> ensured_namespaces_;  // made right during this resync

  mutable std::mutex mu_;  // guards everything below (introspect() reads it)
  bool started_ = false;
  std::deque<Key> queue_;
  std::map<Key, std::vector<std::string>> pending_;  // queued keys -> gone uids
  std::map<Key, std::vector<std::string>> retry_;    // failed keys -> gone uids
  std::map<Key, ErrorInfo> last_error_;
  uint64_t reconciles_ = 0;
  uint64_t failures_ = 0;
};

}  // namespace csim::kube
