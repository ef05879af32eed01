#include "kube/kube_manager/resync_cache.h"

#include <algorithm>
#include <utility>

namespace csim::kube {

using controller::ConfigObject;
using controller::FqName;

namespace {

// The config DB's order: fq_name, then type, then uuid.
bool db_order(const ConfigObject& a, const ConfigObject& b) {
  if (a.fq_name != b.fq_name) return a.fq_name < b.fq_name;
  if (a.type != b.type) return a.type < b.type;
  return a.uuid < b.uuid;
}

}  // namespace

ResyncCache::ResyncCache(controller::ConfigApi& backing) : backing_(backing) {}

void ResyncCache::enable(const std::vector<std::string>& types) {
  disable();
  for (const auto& type : types) {
    for (auto& o : backing_.list(type)) put(std::move(o));
    types_.insert(type);
  }
  enabled_ = true;
}

void ResyncCache::disable() {
  enabled_ = false;
  types_.clear();
  objects_.clear();
  by_fq_.clear();
  back_refs_.clear();
  children_.clear();
}

void ResyncCache::put(ConfigObject o) {
  drop(o.uuid);
  by_fq_[{o.type, o.fq_name}] = o.uuid;
  for (const auto& r : o.refs) back_refs_[r.uuid].insert(o.uuid);
  if (!o.parent_uuid.empty()) children_[o.parent_uuid].insert(o.uuid);
  std::string uuid = o.uuid;
  objects_.insert_or_assign(std::move(uuid), std::move(o));
}

void ResyncCache::drop(const std::string& uuid) {
  auto it = objects_.find(uuid);
  if (it == objects_.end()) return;
  const ConfigObject& o = it->second;
  by_fq_.erase({o.type, o.fq_name});
  for (const auto& r : o.refs) {
    auto b = back_refs_.find(r.uuid);
    if (b == back_refs_.end()) continue;
    b->second.erase(uuid);
    if (b->second.empty()) back_refs_.erase(b);
  }
  if (auto c = children_.find(o.parent_uuid); c != children_.end()) {
    c->second.erase(uuid);
    if (c->second.empty()) children_.erase(c);
  }
  objects_.erase(it);
}

std::vector<const ConfigObject*> ResyncCache::collect(const std::set<std::string>* uuids,
                                                     const std::string& type) const {
  std::vector<const ConfigObject*> out;
  if (!uuids) return out;
  for (const auto& uuid : *uuids) {
    auto it = objects_.find(uuid);
    if (it != objects_.end() && it->second.type == type) out.push_back(&it->second);
  }
  std::sort(out.begin(), out.end(), [](const ConfigObject* a, const ConfigObject* b) { return db_order(*a, *b); });
  return out;
}

namespace {

std::vector<ConfigObject> copies(const std::vector<const ConfigObject*>& objects) {
  std::vector<ConfigObject> out;
  out.reserve(objects.size());
  for (const ConfigObject* o : objects) out.push_back(*o);
  return out;
}

}  // namespace

// ---- writes: the real API first, then the copy -------------------------------------------

core::Result<ConfigObject> ResyncCache::create(ConfigObject object) {
  auto created = backing_.create(std::move(object));
  if (created.is_ok() && cached(created->type)) put(*created);
  return created;
}

core::Result<ConfigObject> ResyncCache::update(ConfigObject object) {
  auto updated = backing_.update(std::move(object));
  if (updated.is_ok() && cached(updated->type)) put(*updated);
  return updated;
}

core::Status ResyncCache::remove(const std::string& type, const std::string& uuid) {
  core::Status s = backing_.remove(type, uuid);
  if (enabled_ && (s.is_ok() || s.code() == core::Code::kNotFound)) drop(uuid);
  if (enabled_ && s.code() == core::Code::kConflict) {
    // Refused: something hangs off it that the cache may not know (another module wrote it
    // since the load). Load what is there now, so that the caller's next look sees it.
    for (auto& o : backing_.children(uuid))
      if (cached(o.type)) put(std::move(o));
    for (auto& o : backing_.back_refs(uuid))
      if (cached(o.type)) put(std::move(o));
  }
  return s;
}

core::Status ResyncCache::ref_update(const std::string& type, const std::string& uuid,
                                     const std::string& ref_type, const std::string& ref_uuid,
                                     controller::RefOp op, nlohmann::json attr) {
  core::Status s = backing_.ref_update(type, uuid, ref_type, ref_uuid, op, attr);
  if (!s.is_ok() || !cached(type)) return s;
  auto it = objects_.find(uuid);
  if (it == objects_.end()) {
    if (auto fresh = backing_.read(uuid)) put(std::move(*fresh));
    return s;
  }
  // Edited in place, as the DB did it: a virtual-router refers to every VM on its node,
  // so reading it back (or copying it) per pod would make a resync O(n²).
  std::vector<controller::Ref>& refs = it->second.refs;
  auto same = [&](const controller::Ref& r) { return r.type == ref_type && r.uuid == ref_uuid; };
  if (op == controller::RefOp::kDelete) {
    std::erase_if(refs, same);
    if (auto b = back_refs_.find(ref_uuid); b != back_refs_.end()) {
      b->second.erase(uuid);
      if (b->second.empty()) back_refs_.erase(b);
    }
    return s;
  }
  if (auto r = std::find_if(refs.begin(), refs.end(), same); r != refs.end()) {
    r->attr = std::move(attr);
    return s;
  }
  FqName to;
  if (auto target = objects_.find(ref_uuid); target != objects_.end()) to = target->second.fq_name;
  else if (auto target = backing_.read(ref_uuid)) to = target->fq_name;
  refs.push_back(controller::Ref{ref_type, ref_uuid, std::move(to), std::move(attr)});
  back_refs_[ref_uuid].insert(uuid);
  return s;
}

// ---- reads ---------------------------------------------------------------------------------

std::optional<ConfigObject> ResyncCache::read(const std::string& uuid) const {
  if (enabled_) {
    auto it = objects_.find(uuid);
    if (it != objects_.end()) return it->second;
  }
  return backing_.read(uuid);
}

std::optional<ConfigObject> ResyncCache::read_fq(const std::string& type, const FqName& fq) const {
  if (!cached(type)) return backing_.read_fq(type, fq);
  auto it = by_fq_.find({type, fq});
  if (it == by_fq_.end()) return std::nullopt;
  return objects_.at(it->second);
}

std::vector<ConfigObject> ResyncCache::list(const std::string& type,
                                            const std::string& parent_uuid) const {
  if (!cached(type)) return backing_.list(type, parent_uuid);
  std::vector<ConfigObject> out;
  // by_fq_ is ordered by (type, fq_name): the objects of `type` are one sorted range.
  for (auto it = by_fq_.lower_bound({type, FqName{}}); it != by_fq_.end() && it->first.first == type; ++it) {
    const ConfigObject& o = objects_.at(it->second);
    if (parent_uuid.empty() || o.parent_uuid == parent_uuid) out.push_back(o);
  }
  return out;
}

std::vector<ConfigObject> ResyncCache::back_refs(const std::string& uuid,
                                                 const std::string& from_type) const {
  if (!cached(from_type)) return backing_.back_refs(uuid, from_type);
  auto it = back_refs_.find(uuid);
  return copies(collect(it == back_refs_.end() ? nullptr : &it->second, from_type));
}

std::vector<ConfigObject> ResyncCache::children(const std::string& uuid,
                                                const std::string& child_type) const {
  if (!cached(child_type)) return backing_.children(uuid, child_type);
  auto it = children_.find(uuid);
  return copies(collect(it == children_.end() ? nullptr : &it->second, child_type));
}

std::optional<std::string> ResyncCache::uuid_of(const std::string& type, const FqName& fq) const {
  if (!cached(type)) return backing_.uuid_of(type, fq);
  auto it = by_fq_.find({type, fq});
  if (it == by_fq_.end()) return std::nullopt;
  return it->second;
}

std::vector<std::string> ResyncCache::back_ref_uuids(const std::string& uuid,
                                                     const std::string& from_type) const {
  std::vector<std::string> out;
  if (!cached(from_type)) return backing_.back_ref_uuids(uuid, from_type);
  auto it = back_refs_.find(uuid);
  for (const ConfigObject* o : collect(it == back_refs_.end() ? nullptr : &it->second, from_type))
    out.push_back(o->uuid);
  return out;
}

std::optional<ConfigObject> read_fresh(const controller::ConfigApi& api, const std::string& uuid) {
  if (auto* cache = dynamic_cast<const ResyncCache*>(&api))
    return cache->backing().read(uuid);
  return api.read(uuid);
}

}  // namespace csim::kube
