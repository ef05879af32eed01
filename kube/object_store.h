// The kube-apiserver's object store: Kubernetes objects as JSON, with uid,
// resourceVersion, creationTimestamp, generation, and watch events on the bus.
//
// Kinds: Namespace, Node, Pod, Service, Endpoints, Ingress, Deployment, Event.
// Ingress is stored once, in networking.k8s.io/v1 shape (kube/ingress_conversion.h
// converts extensions/v1beta1 and networking.k8s.io/v1beta1 on the way in).
//
// Every successful write bumps the store's resourceVersion and publishes:
//   topic "kube.watch.<kind in lower case>"   e.g. "kube.watch.ingress"
//   body  {"type": "ADDED"|"MODIFIED"|"DELETED", "object": {...},
//          "summary": "ADDED ingress default/simple-fanout"}
// A module that watches a kind subscribes to that topic; list() gives the initial state.
// Thread-safe. This is also the "API client" kube-manager and the kubelets use.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/status.h"

namespace csim::kube {

// "Ingress" -> "kube.watch.ingress"
std::string watch_topic(const std::string& kind);

class ObjectStore {
 public:
  virtual ~ObjectStore() = default;

  // Stores a new object. Sets metadata.uid (uuid4), resourceVersion, creationTimestamp,
  // generation=1, and metadata.namespace="default" for namespaced kinds without one.
  // kAlreadyExists if (kind, namespace, name) exists; kNotFound if the namespace does not
  // exist (for namespaced kinds). The object must already be validated.
  virtual core::Result<nlohmann::json> create(nlohmann::json object) = 0;

  // Replaces spec/metadata (not status) of an existing object. When the given object has
  // metadata.resourceVersion it must match the stored one (kConflict otherwise).
  // Bumps generation when spec changes.
  virtual core::Result<nlohmann::json> update(nlohmann::json object) = 0;

  // Replaces .status of an existing object (the status subresource).
  virtual core::Result<nlohmann::json> update_status(const std::string& kind,
                                                     const std::string& ns,
                                                     const std::string& name,
                                                     nlohmann::json status) = 0;

  // Deletes; returns the last state. kNotFound if absent. Deleting a Namespace deletes
  // every object in it first.
  virtual core::Result<nlohmann::json> remove(const std::string& kind, const std::string& ns,
                                              const std::string& name) = 0;

  virtual std::optional<nlohmann::json> get(const std::string& kind, const std::string& ns,
                                            const std::string& name) const = 0;
  // Objects of a kind in a namespace ("" = all namespaces), ordered by namespace, name.
  virtual std::vector<nlohmann::json> list(const std::string& kind,
                                           const std::string& ns = "") const = 0;
  // The objects of list(kind, ns) for which `keep` returns true, same order. Costs one
  // copy per kept object (list() copies every object). `keep` runs while the store may
  // hold its lock: it must be quick and must not call the store. The default filters
  // list(); stores override it to filter before copying.
  virtual std::vector<nlohmann::json> list_if(
      const std::string& kind, const std::string& ns,
      const std::function<bool(const nlohmann::json&)>& keep) const;
  // Current resourceVersion of the store.
  virtual uint64_t resource_version() const = 0;
};

// Namespaced kinds are every kind but Namespace and Node.
bool is_namespaced(const std::string& kind);

}  // namespace csim::kube
