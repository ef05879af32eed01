// ResyncCache: the config API as kube-manager's reconcilers see it. Normally a plain
// pass-through to the real config API. While enabled (kube-manager's resync at start),
// every object of the enabled types is loaded once (one list() per type) and reads of
// those types are served from memory: a resync of N Kubernetes objects costs a few list
// queries instead of ~10 single-object queries per object, and nothing is O(n²).
//
// While enabled:
//  - read_fq / list of an enabled type, back_refs with an enabled from_type and children
//    with an enabled child_type are answered from memory (absence included), ordered as
//    the config DB orders them (fq_name, then type, then uuid).
//  - read(uuid) is answered from memory when the uuid is cached, else by the real API
//    (an object of another type, or one another module created since the load).
//  - every write goes to the real API first; what it returns replaces the cached object
//    (a ref_update edits the cached refs the same way), a delete drops it. Writes of other modules
//    (svc-monitor, REST users) made while enabled are not seen: the window is one resync,
//    and read_fresh() gives a read-modify-write the current object. A delete the config
//    DB refuses (kConflict: children or refs) reloads the object's current children and
//    back-refs, so that a caller that looks again sees what another module added.
// Disabled, it holds nothing and forwards every call.
//
// Thread: used only on kube-manager's strand (or by start() before it subscribes), like
// the Context that holds it; enable()/disable() from the same thread.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "controller/config_api.h"

namespace csim::kube {

class ResyncCache : public controller::ConfigApi {
 public:
  explicit ResyncCache(controller::ConfigApi& backing);

  // Loads every object of `types` and serves their reads from memory until disable().
  // Calling it while enabled reloads.
  void enable(const std::vector<std::string>& types);
  // Drops everything loaded; calls go straight to the real API again.
  void disable();
  bool enabled() const { return enabled_; }
  // Objects held (for tests and the resync's trace line).
  size_t size() const { return objects_.size(); }

  // The real config API.
  controller::ConfigApi& backing() const { return backing_; }

  core::Result<controller::ConfigObject> create(controller::ConfigObject object) override;
  core::Result<controller::ConfigObject> update(controller::ConfigObject object) override;
  core::Status remove(const std::string& type, const std::string& uuid) override;
  core::Status ref_update(const std::string& type, const std::string& uuid,
                          const std::string& ref_type, const std::string& ref_uuid,
                          controller::RefOp op, nlohmann::json attr = nullptr) override;

  std::optional<controller::ConfigObject> read(const std::string& uuid) const override;
  std::optional<controller::ConfigObject> read_fq(const std::string& type,
                                                  const controller::FqName& fq) const override;
  std::vector<controller::ConfigObject> list(const std::string& type,
                                             const std::string& parent_uuid = "") const override;
  std::vector<controller::ConfigObject> back_refs(const std::string& uuid,
                                                  const std::string& from_type = "") const override;
  std::vector<controller::ConfigObject> children(const std::string& uuid,
                                                 const std::string& child_type = "") const override;

  // Cheap forms of read_fq and back_refs for objects with many refs (a virtual-router
  // refers to every VM on its node): the uuids only, nothing copied while enabled.
  std::optional<std::string> uuid_of(const std::string& type,
                                     const controller::FqName& fq) const override;
  // uuids of the objects of from_type that refer to uuid, in back_refs()' order.
  std::vector<std::string> back_ref_uuids(const std::string& uuid,
                                          const std::string& from_type) const override;

 private:
  bool cached(const std::string& type) const { return enabled_ && types_.count(type) > 0; }
  void put(controller::ConfigObject o);
  void drop(const std::string& uuid);
  // The cached objects of `uuids` whose type is `type`, in the config DB's order.
  std::vector<const controller::ConfigObject*> collect(const std::set<std::string>* uuids,
                                                       const std::string& type) const;

  controller::ConfigApi& backing_;
  bool enabled_ = false;
  std::set<std::string> types_;
  std::unordered_map<std::string, controller::ConfigObject> objects_;       // uuid -> object
  std::map<std::pair<std::string, controller::FqName>, std::string> by_fq_;  // (type, fq) -> uuid
  std::unordered_map<std::string, std::set<std::string>> back_refs_;  // to uuid -> from uuids
  std::unordered_map<std::string, std::set<std::string>> children_;   // parent uuid -> uuids
};

// api.read(uuid), past a ResyncCache when `api` is one: for a read-modify-write, which must
// start from the object as stored now.
std::optional<controller::ConfigObject> read_fresh(const controller::ConfigApi& api,
                                                   const std::string& uuid);

}  // namespace csim::kube
