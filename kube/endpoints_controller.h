// EndpointsController: keeps each Service's Endpoints equal to its ready pods (what
// kube-controller-manager's endpoints controller does).
//
// For a Service with a non-empty spec.selector (and type other than ExternalName), the
// Endpoints object of the same name holds the pods of the Service's namespace whose
// labels match the selector and that have status.podIP and are not terminal:
//   subsets[].addresses          pods whose Ready condition is True
//   subsets[].notReadyAddresses  the others
//   subsets[].ports              each Service port: {name (when the port has one), port,
//                                protocol}, port = the targetPort resolved for that pod:
//                                a number as is (absent: the Service port), a name
//                                through the pod's containers[].ports[].name. A pod that
//                                lacks a named port is left out of that port.
// Pods with the same resolved ports share a subset. Order is deterministic: subsets by
// ports, addresses by IP. Each address: {ip, nodeName, targetRef {kind: Pod, namespace,
// name, uid}}. metadata.labels mirror the Service's labels. Without ready or unready
// pods, subsets is []. The object is written only when it differs from the stored one.
// Services without a selector keep the Endpoints their owner writes; when a Service is
// deleted, its Endpoints are deleted.
//
// Level-based and coalesced, as kube-controller-manager's work queue: every
// kube.watch.service / kube.watch.pod / kube.watch.endpoints event marks the Services it
// can affect and posts one pass (if none is pending) that reconciles each marked Service
// once from the store's current state, under the trace context of the newest event that
// marked it. A burst of events for a Service's pods (3 replicas created, scheduled, made
// ready) thus costs one reconcile of it per pass rather than one per event. A pod event
// affects the Services of the pod's namespace whose selector matches the pod's labels
// now, and those whose Endpoints list the pod now (it may have to leave them); no other
// Service's Endpoints can depend on the pod. A reconcile reads the Service, its
// Endpoints and only the pods its selector matches (ObjectStore::list_if).
// Cost per pod event: a scan of the namespace's Services and Endpoints inside the store
// (no copies); per reconcile a scan of the namespace's pods inside the store plus copies
// of the matching ones; never O(Services x pods) per event.
// Runs on its own bus strand, module "endpoints-controller".
#pragma once

#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/bus.h"
#include "core/status.h"
#include "kube/object_store.h"

namespace csim::kube {

class EndpointsController {
 public:
  static constexpr const char* kModule = "endpoints-controller";

  EndpointsController(core::Bus& bus, ObjectStore& store);

  // Subscribes to the watch topics and queues a full resync on the module's strand.
  // Call once.
  void start();

  // Brings the Endpoints of Service ns/name in line with the store. Called on the
  // module's strand (handlers); tests may call it when the bus is idle. Failures are
  // returned and recorded on the bus ("reconcile failed" work spans).
  core::Status reconcile(const std::string& ns, const std::string& name);
  // Reconciles every Service and deletes Endpoints whose Service is gone.
  void resync();

  // The Endpoints `service` should have, given `pods` (those of its namespace).
  static nlohmann::json desired_endpoints(const nlohmann::json& service,
                                          const std::vector<nlohmann::json>& pods);

 private:
  void on_event(const core::Envelope& e);
  // Marks Service ns/name for the next pass, posting one if none is pending. Strand only.
  void mark(const std::string& ns, const std::string& name);
  // Reconciles every marked Service once. Strand only.
  void drain();
  // The Services a pod event can affect (see the header), by name.
  std::vector<std::string> services_for_pod(const nlohmann::json& pod) const;
  void report(const core::Status& status);

  core::Bus& bus_;
  ObjectStore& store_;
  // Strand only: Services to reconcile (ns, name), each with the trace context of the
  // newest event that marked it; whether a pass is posted.
  std::map<std::pair<std::string, std::string>, core::TraceContext> marked_;
  bool pass_pending_ = false;
};

}  // namespace csim::kube
