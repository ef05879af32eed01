// PodScheduler: binds pods to nodes (what kube-scheduler does, with one rule).
//
// Every pod without spec.nodeName that is not terminal goes to the schedulable Node
// (Ready condition True, not spec.unschedulable) that has the fewest non-terminal pods,
// ties broken by node name; pending pods are taken in (namespace, name) order, so a batch
// spreads evenly. The binding is an update of the pod's spec.nodeName guarded by its
// resourceVersion (a pod changed meanwhile is left for the next event). Without a
// schedulable Node pods stay pending until one becomes Ready. Nodes are created by the
// agents (agent/), not here.
//
// Level-based, from an informer-style cache: the scheduler keeps, per pod, its binding
// and whether it is terminal (the first pass lists the pods; then every kube.watch.pod
// event updates the pod it carries, newer resourceVersions only), with the pending pods
// and each node's load derived from it. Every kube.watch.pod / kube.watch.node event
// schedules every pending pod of the cache; each is re-read (store get) before it is
// bound, so a stale cache entry costs a read, never a wrong binding. Cost per pod event:
// O(log pods + pending pods), not O(pods). Node events list the Nodes (a handful).
// Runs on its own bus strand, module "pod-scheduler".
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <utility>

#include <nlohmann/json.hpp>

#include "core/bus.h"
#include "core/status.h"
#include "kube/object_store.h"

namespace csim::kube {

class PodScheduler {
 public:
  static constexpr const char* kModule = "pod-scheduler";

  PodScheduler(core::Bus& bus, ObjectStore& store);

  // Subscribes to kube.watch.pod and kube.watch.node and queues a first pass (which
  // lists the pods into the cache) on the module's strand. Call once.
  void start();

  // Binds every pending pod it can. Called on the module's strand (handlers); tests may
  // call it when the bus is idle. Before start() every call lists the pods; after it, the
  // first call lists them and later ones use the cache the watch events keep. Returns the first failure (others are
  // recorded on the bus as "schedule failed" work spans); a stale pod is not a failure.
  core::Status schedule_pending();

  // For tests (bus idle, after start()): whether the cache equals what listing the store
  // gives now (bindings, terminal pods, pending set, load per node).
  bool cache_matches_store() const;

 private:
  using Key = std::pair<std::string, std::string>;  // namespace, name
  struct CachedPod {
    uint64_t rv = 0;
    std::string node;  // "" = not bound
    bool terminal = false;
  };

  void on_pod_event(const core::Envelope& e);
  // Sets the cache entry of `pod` (as stored now, or as an event carried it) unless the
  // cache holds a newer resourceVersion; `force` takes it whatever its version.
  void remember(const nlohmann::json& pod, bool force);
  void forget(const Key& key);
  void set_entry(const Key& key, CachedPod entry);
  void load_all();

  core::Bus& bus_;
  ObjectStore& store_;
  bool started_ = false;                // set by start(): watch events keep the cache
  bool loaded_ = false;                 // strand only: the cache holds every pod
  std::map<Key, CachedPod> pods_;       // strand only
  std::set<Key> pending_;               // strand only: cached pods not bound, not terminal
  std::map<std::string, int> load_;     // strand only: non-terminal cached pods per node
};

}  // namespace csim::kube
