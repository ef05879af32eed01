// PodScheduler: binds pods to nodes (what kube-scheduler does, with one rule).
//
// Every pod without spec.nodeName that is not terminal goes to the schedulable Node
// (Ready condition True, not spec.unschedulable) that has the fewest non-terminal pods,
// ties broken by node name; pods are taken in (namespace, name) order, so a batch spreads
// evenly. The binding is an update of the pod's spec.nodeName guarded by its
// resourceVersion (a pod changed meanwhile is left for the next event). Without a
// schedulable Node pods stay pending until one becomes Ready. Nodes are created by the
// agents (agent/), not here.
//
// Level-based: every kube.watch.pod and kube.watch.node event schedules every pending pod
// from the store's current state. Runs on its own bus strand, module "pod-scheduler".
#pragma once

#include <string>

#include "core/bus.h"
#include "core/status.h"
#include "kube/object_store.h"

namespace csim::kube {

class PodScheduler {
 public:
  static constexpr const char* kModule = "pod-scheduler";

  PodScheduler(core::Bus& bus, ObjectStore& store);

  // Subscribes to kube.watch.pod and kube.watch.node and queues a first pass on the
  // module's strand. Call once.
  void start();

  // Binds every pending pod it can. Called on the module's strand (handlers); tests may
  // call it when the bus is idle. Returns the first failure (others are recorded on the
  // bus as "schedule failed" work spans); a stale pod is not a failure.
  core::Status schedule_pending();

 private:
  core::Bus& bus_;
  ObjectStore& store_;
};

}  // namespace csim::kube
