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
// its error (introspect()) and is retried two ways, as a controller's rate-limited work
// queue: by itself after a backoff (kFirstBackoff, doubling, kTimedRetries times in a
// row, one timer per key: a cause that heals by itself, such as a node's virtual-router
// that appears late,
// heals the key without any other event), and when the next watch event of any key
// arrives (up to kMaxAttempts failures of those in a row; an event of the key itself
// starts both counts over).
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

#include <chrono>
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
  // ... and by itself after 0.25, 0.5, 1 and 2 s (kThreaded buses; a deterministic bus
  // runs a retry at once, in its turn). A pending retry keeps the bus from idling, so a
  // key that keeps failing delays a settle by those 3.75 s once.
  static constexpr int kTimedRetries = 4;
  static constexpr core::Nanos kFirstBackoff = std::chrono::milliseconds(250);

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
  //  "last_error": {"<key>": {"error", "at", "attempts", "timed_retries"}},
  //  "service_index": {...}}
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
    int attempts = 0;       // failures in a row, of runs not started by the timer
    int timed_retries = 0;  // timed retries in a row (each failed)
    std::vector<std::string> gone_uids;  // of DELETED events, for the retries
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
  // Records the outcome of a reconcile (`timed`: the timer queued it) and, on failure,
  // keeps the key for the next event and arms its timed retry (mu_ held by neither).
  void finish(const Key& key, const std::vector<std::string>& gone_uids, const core::Status& s,
              bool timed = false);
  // After `delay`, queues `key` again if it is still failing (in last_error_).
  // One timer per key at a time (mu_ held).
  void retry_after_locked(const Key& key, core::Nanos delay);
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
  std::set<Key> timer_armed_;                        // keys with a timed retry waiting
  std::set<Key> timed_queued_;                       // queued by the timer, not yet run
  std::map<Key, ErrorInfo> last_error_;  // the keys failing now (a success erases)
  uint64_t reconciles_ = 0;
  uint64_t failures_ = 0;
};

}  // namespace csim::kube
