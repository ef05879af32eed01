// DeploymentController: runs apps/v1 Deployments as pods (kube-controller-manager's
// deployment + replicaset controllers folded into one, without ReplicaSet objects).
//
// For Deployment ns/name with uid U:
//  - its pods are the pods of ns whose controller ownerReference is {apiVersion apps/v1,
//    kind Deployment, name, uid U, controller true, blockOwnerDeletion true};
//  - pods are made from spec.template: metadata.labels = template labels plus
//    pod-template-hash=<H>, template annotations, the ownerReference, spec = template
//    spec; named "<name>-<H>-<5 chars>", H = 10 hex digits hashed from the template, the
//    5 characters from Kubernetes' alphabet "bcdfghjklmnpqrstvwxz2456789", derived from
//    U (deterministic for a given store seed);
//  - spec.replicas (default 1) pods of the current template are kept: missing ones are
//    created, extra ones deleted (not-ready first, then unscheduled, then newest);
//  - pods of an older template are deleted (a "Recreate" rollout);
//  - status: {observedGeneration, replicas (all its pods), updatedReplicas (current
//    template), readyReplicas and availableReplicas (ready current pods)}, written only
//    when it changes;
//  - when the Deployment is gone (or recreated with another uid), its pods are deleted.
//
// Level-based: every kube.watch.deployment event reconciles that Deployment, every
// kube.watch.pod event the Deployment named by the pod's controller ownerReference.
// Runs on its own bus strand, module "deployment-controller".
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "core/bus.h"
#include "core/status.h"
#include "kube/object_store.h"

namespace csim::kube {

class DeploymentController {
 public:
  static constexpr const char* kModule = "deployment-controller";

  DeploymentController(core::Bus& bus, ObjectStore& store);

  // Subscribes to kube.watch.deployment and kube.watch.pod and queues a full resync on
  // the module's strand. Call once.
  void start();

  // Brings Deployment ns/name's pods and status in line. Called on the module's strand
  // (handlers); tests may call it when the bus is idle. Failures are returned and
  // recorded on the bus ("reconcile failed" work spans).
  core::Status reconcile(const std::string& ns, const std::string& name);
  // Reconciles every Deployment, and every Deployment name that still owns pods.
  void resync();

  // The pod-template-hash of a template: 10 lower-case hex digits.
  static std::string template_hash(const nlohmann::json& pod_template);

 private:
  void report(const core::Status& status);

  core::Bus& bus_;
  ObjectStore& store_;
};

}  // namespace csim::kube
