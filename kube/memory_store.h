// MemoryObjectStore: the kube-apiserver's object store, in memory (kube::ObjectStore).
//
// Semantics (see object_store.h for the interface contract):
//  - create(): sets metadata.uid (uuid4), resourceVersion (decimal string of a store-wide
//    counter), creationTimestamp (RFC 3339 from the clock), generation=1 and, for
//    namespaced kinds, metadata.namespace="default" when absent. metadata.generateName
//    without a name gets a 5-character suffix. Status given on create is kept (csim's
//    agents create Nodes with their status); kube/apply.h drops status from YAML.
//    Namespaces get status.phase "Active" when they have none.
//  - Service: spec.clusterIP is allocated from 10.96.0.0/12 when absent or "" (and the
//    type is not ExternalName), lowest free address from 10.96.0.10 upward; "None" means
//    headless (nothing allocated). A given clusterIP must lie in the range (kInvalid)
//    and be free (kConflict). spec.clusterIPs mirrors spec.clusterIP. On update an absent
//    clusterIP keeps the stored one; changing it is kInvalid (immutable).
//  - update(): keeps uid, creationTimestamp and status; takes everything else from the
//    given object; bumps generation when spec changes. An update that changes nothing
//    returns the stored object without a new resourceVersion or watch event (so
//    level-based controllers converge). Same for update_status().
//  - remove(): the DELETED event carries the object with the deletion's resourceVersion.
//    Deleting a Namespace deletes its objects first, in reverse apply order (Event,
//    Ingress, Pod, Deployment, Endpoints, Service; each kind by name), each with its own
//    DELETED event. The "default"
//    namespace cannot be deleted (kInvalid).
//  - Kinds outside kube/kinds.h are rejected (kInvalid).
// Watch events are published on the bus by module "kube-apiserver" while the store's
// lock is held, so they reach every subscriber in resourceVersion order.
//
// Thread-safe: every method may be called from any thread (bus handlers included).
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/bus.h"
#include "core/clock.h"
#include "core/status.h"
#include "kube/object_store.h"
#include "kube/store_persistence.h"

namespace csim::kube {

class MemoryObjectStore : public ObjectStore {
 public:
  struct Options {
    // Seeds the uid / generateName generator (tests and replays); random when absent.
    std::optional<uint64_t> seed;
    // Written through on every change when set; not owned; must outlive the store.
    StorePersistence* persistence = nullptr;
    // Creates the "default" Namespace at construction (without a watch event).
    bool create_default_namespace = true;
  };

  static constexpr const char* kModule = "kube-apiserver";

  MemoryObjectStore(core::Bus& bus, core::Clock& clock);
  MemoryObjectStore(core::Bus& bus, core::Clock& clock, Options options);

  core::Result<nlohmann::json> create(nlohmann::json object) override;
  core::Result<nlohmann::json> update(nlohmann::json object) override;
  core::Result<nlohmann::json> update_status(const std::string& kind, const std::string& ns,
                                             const std::string& name,
                                             nlohmann::json status) override;
  core::Result<nlohmann::json> remove(const std::string& kind, const std::string& ns,
                                      const std::string& name) override;
  std::optional<nlohmann::json> get(const std::string& kind, const std::string& ns,
                                    const std::string& name) const override;
  std::vector<nlohmann::json> list(const std::string& kind,
                                   const std::string& ns = "") const override;
  // Filters under the lock: copies only the kept objects.
  std::vector<nlohmann::json> list_if(
      const std::string& kind, const std::string& ns,
      const std::function<bool(const nlohmann::json&)>& keep) const override;
  uint64_t resource_version() const override;

  // Loads objects as they were persisted (uid, resourceVersion, ... kept), without
  // watch events and without writing them to the persistence; the store's
  // resourceVersion becomes max(resource_version, the objects' versions). For a
  // restart: call before any module subscribes. kInvalid for an object without
  // kind/name, kAlreadyExists for a duplicate.
  core::Status restore(const std::vector<nlohmann::json>& objects, uint64_t resource_version);

 private:
  using Key = std::tuple<std::string, std::string, std::string>;  // kind, namespace, name

  core::Result<nlohmann::json> create_locked(nlohmann::json object);
  core::Result<nlohmann::json> remove_locked(const Key& key);
  core::Status allocate_cluster_ip(nlohmann::json& service);
  core::Status put_locked(const Key& key, const nlohmann::json& object);
  void publish_locked(const char* type, const nlohmann::json& object);
  std::string new_uid();
  std::string random_suffix(size_t n);

  core::Bus& bus_;
  core::Clock& clock_;
  Options options_;
  mutable std::mutex mu_;
  std::map<Key, nlohmann::json> objects_;
  std::set<uint32_t> cluster_ips_;  // allocated Service clusterIPs (host order)
  uint64_t rv_ = 0;
  std::mt19937_64 rng_;
};

}  // namespace csim::kube
