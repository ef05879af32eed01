#include "kube/memory_store.h"

#include <algorithm>
#include <cctype>
#include <cstdio>

#include "kube/kinds.h"

namespace csim::kube {
namespace {

using nlohmann::json;

// The service network: 10.96.0.0/12.
constexpr uint32_t kServiceNet = 0x0A600000;
constexpr uint32_t kServiceMask = 0xFFF00000;
constexpr uint32_t kFirstAllocated = kServiceNet + 10;        // 10.96.0.10
constexpr uint32_t kServiceBroadcast = kServiceNet | ~kServiceMask;

std::optional<uint32_t> parse_ipv4(const std::string& s) {
  uint32_t out = 0;
  int parts = 0;
  size_t i = 0;
  while (parts < 4) {
    if (i >= s.size() || !std::isdigit(static_cast<unsigned char>(s[i]))) return std::nullopt;
    uint32_t v = 0;
    size_t digits = 0;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) {
      v = v * 10 + (s[i] - '0');
      if (++digits > 3 || v > 255) return std::nullopt;
      ++i;
    }
    out = (out << 8) | v;
    ++parts;
    if (parts < 4) {
      if (i >= s.size() || s[i] != '.') return std::nullopt;
      ++i;
    }
  }
  if (i != s.size()) return std::nullopt;
  return out;
}

std::string format_ipv4(uint32_t ip) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%u.%u.%u.%u", ip >> 24, (ip >> 16) & 255, (ip >> 8) & 255,
                ip & 255);
  return buf;
}

std::string lower(const std::string& s) {
  std::string out;
  for (char c : s) out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string str_at(const json& obj, const char* a, const char* b) {
  if (!obj.is_object()) return "";
  auto it = obj.find(a);
  if (it == obj.end() || !it->is_object()) return "";
  auto jt = it->find(b);
  if (jt == it->end() || !jt->is_string()) return "";
  return jt->get<std::string>();
}

std::string describe(const std::string& kind, const std::string& name) {
  return qualified_resource(kind) + " \"" + name + "\"";
}

bool is_headless_or_external(const json& service) {
  const json& spec = service.value("spec", json::object());
  if (spec.is_object() && spec.value("type", "") == "ExternalName") return true;
  return str_at(service, "spec", "clusterIP") == "None";
}

}  // namespace

MemoryObjectStore::MemoryObjectStore(core::Bus& bus, core::Clock& clock)
    : MemoryObjectStore(bus, clock, Options{}) {}

MemoryObjectStore::MemoryObjectStore(core::Bus& bus, core::Clock& clock, Options options)
    : bus_(bus), clock_(clock), options_(options) {
  rng_.seed(options_.seed ? *options_.seed : std::random_device{}());
  if (options_.create_default_namespace) {
    std::lock_guard lock(mu_);
    json ns = {{"apiVersion", "v1"},
               {"kind", "Namespace"},
               {"metadata", {{"name", "default"}}},
               {"status", {{"phase", "Active"}}}};
    ns["metadata"]["uid"] = new_uid();
    ns["metadata"]["resourceVersion"] = std::to_string(++rv_);
    ns["metadata"]["creationTimestamp"] = core::rfc3339(clock_.now());
    ns["metadata"]["generation"] = 1;
    Key key{"Namespace", "", "default"};
    // Not written to the persistence: a restored store brings its own "default".
    objects_[key] = std::move(ns);
  }
}

std::string MemoryObjectStore::new_uid() {
  uint64_t hi = rng_();
  uint64_t lo = rng_();
  hi = (hi & 0xFFFFFFFFFFFF0FFFull) | 0x0000000000004000ull;  // version 4
  lo = (lo & 0x3FFFFFFFFFFFFFFFull) | 0x8000000000000000ull;  // variant 10
  char buf[37];
  std::snprintf(buf, sizeof buf, "%08x-%04x-%04x-%04x-%012llx",
                static_cast<unsigned>(hi >> 32), static_cast<unsigned>((hi >> 16) & 0xFFFF),
                static_cast<unsigned>(hi & 0xFFFF), static_cast<unsigned>(lo >> 48),
                static_cast<unsigned long long>(lo & 0xFFFFFFFFFFFFull));
  return buf;
}

std::string MemoryObjectStore::random_suffix(size_t n) {
  static const char kAlphabet[] = "bcdfghjklmnpqrstvwxz2456789";
  std::string out;
  for (size_t i = 0; i < n; ++i) out += kAlphabet[rng_() % (sizeof kAlphabet - 1)];
  return out;
}

void MemoryObjectStore::publish_locked(const char* type, const json& object) {
  const std::string kind = object.value("kind", "");
  const std::string ns = str_at(object, "metadata", "namespace");
  const std::string name = str_at(object, "metadata", "name");
  std::string summary = std::string(type) + " " + lower(kind) + " " + (ns.empty() ? "" : ns + "/") +
                        name + " (rv " + str_at(object, "metadata", "resourceVersion") + ")";
  bus_.publish(kModule, watch_topic(kind),
               json{{"type", type}, {"object", object}, {"summary", std::move(summary)}});
}

core::Status MemoryObjectStore::put_locked(const Key& key, const json& object) {
  if (options_.persistence != nullptr) {
    core::Status s = options_.persistence->put(object, rv_);
    if (!s.is_ok()) return s;
  }
  objects_[key] = object;
  return core::Status::ok();
}

core::Status MemoryObjectStore::allocate_cluster_ip(json& service) {
  const std::string name = str_at(service, "metadata", "name");
  json& spec = service["spec"];
  if (!spec.is_object()) spec = json::object();
  if (is_headless_or_external(service)) return core::Status::ok();
  std::string given = spec.value("clusterIP", "");
  if (!given.empty()) {
    auto ip = parse_ipv4(given);
    if (!ip || (*ip & kServiceMask) != kServiceNet || *ip == kServiceNet ||
        *ip == kServiceBroadcast) {
      return core::invalid("Service \"" + name + "\" is invalid: spec.clusterIP: Invalid value: \"" +
                           given +
                           "\": provided IP is not in the valid range. The range of valid IPs "
                           "is 10.96.0.0/12");
    }
    if (cluster_ips_.count(*ip)) {
      return core::conflict("Service \"" + name + "\" is invalid: spec.clusterIP: Invalid value: \"" +
                            given + "\": provided IP is already allocated");
    }
    cluster_ips_.insert(*ip);
  } else {
    uint32_t ip = kFirstAllocated;
    while (ip < kServiceBroadcast && cluster_ips_.count(ip)) ++ip;
    if (ip >= kServiceBroadcast)
      return core::unavailable("Service \"" + name + "\": no free clusterIP left in 10.96.0.0/12");
    cluster_ips_.insert(ip);
    spec["clusterIP"] = format_ipv4(ip);
  }
  spec["clusterIPs"] = json::array({spec["clusterIP"]});
  return core::Status::ok();
}

core::Result<json> MemoryObjectStore::create(json object) {
  std::lock_guard lock(mu_);
  return create_locked(std::move(object));
}

core::Result<json> MemoryObjectStore::create_locked(json object) {
  if (!object.is_object()) return core::invalid("object is not a JSON object");
  const std::string kind = object.value("kind", "");
  const KindInfo* info = find_kind(kind);
  if (info == nullptr)
    return core::invalid("kind \"" + kind + "\" is not served (served: " + served_kind_names() + ")");
  if (!object["metadata"].is_object()) object["metadata"] = json::object();
  json& meta = object["metadata"];
  std::string name = meta.value("name", "");
  if (name.empty()) {
    std::string generate = meta.value("generateName", "");
    if (generate.empty()) return core::invalid(kind + ": metadata.name: Required value: name or generateName is required");
    // Retry on the rare collision; bounded.
    for (int attempt = 0; attempt < 16; ++attempt) {
      name = generate + random_suffix(5);
      std::string ns_try = info->namespaced ? meta.value("namespace", "default") : "";
      if (!objects_.count(Key{kind, ns_try, name})) break;
    }
    meta["name"] = name;
  }
  std::string ns;
  if (info->namespaced) {
    ns = meta.value("namespace", "");
    if (ns.empty()) ns = "default";
    meta["namespace"] = ns;
    if (!objects_.count(Key{"Namespace", "", ns}))
      return core::not_found("namespaces \"" + ns + "\" not found");
  } else {
    meta.erase("namespace");
  }
  Key key{kind, ns, name};
  if (objects_.count(key)) return core::already_exists(describe(kind, name) + " already exists");
  if (!object.contains("apiVersion") || !object["apiVersion"].is_string())
    object["apiVersion"] = info->storage_version;
  if (kind == "Namespace" && !object.contains("status"))
    object["status"] = {{"phase", "Active"}};
  if (kind == "Service") {
    core::Status s = allocate_cluster_ip(object);
    if (!s.is_ok()) return s;
  }
  meta["uid"] = new_uid();
  meta["creationTimestamp"] = core::rfc3339(clock_.now());
  meta["generation"] = 1;
  meta["resourceVersion"] = std::to_string(rv_ + 1);
  ++rv_;
  core::Status s = put_locked(key, object);
  if (!s.is_ok()) {
    --rv_;
    if (kind == "Service") {
      if (auto ip = parse_ipv4(str_at(object, "spec", "clusterIP"))) cluster_ips_.erase(*ip);
    }
    return s;
  }
  publish_locked("ADDED", object);
  return object;
}

core::Result<json> MemoryObjectStore::update(json object) {
  std::lock_guard lock(mu_);
  if (!object.is_object()) return core::invalid("object is not a JSON object");
  const std::string kind = object.value("kind", "");
  const KindInfo* info = find_kind(kind);
  if (info == nullptr)
    return core::invalid("kind \"" + kind + "\" is not served (served: " + served_kind_names() + ")");
  if (!object["metadata"].is_object()) object["metadata"] = json::object();
  json& meta = object["metadata"];
  const std::string name = meta.value("name", "");
  if (name.empty()) return core::invalid(kind + ": metadata.name: Required value");
  std::string ns;
  if (info->namespaced) {
    ns = meta.value("namespace", "");
    if (ns.empty()) ns = "default";
    meta["namespace"] = ns;
  } else {
    meta.erase("namespace");
  }
  Key key{kind, ns, name};
  auto it = objects_.find(key);
  if (it == objects_.end()) return core::not_found(describe(kind, name) + " not found");
  const json& old = it->second;
  const json old_meta = old.value("metadata", json::object());
  const std::string given_rv = meta.value("resourceVersion", "");
  if (!given_rv.empty() && given_rv != old_meta.value("resourceVersion", "")) {
    return core::conflict("Operation cannot be fulfilled on " + describe(kind, name) +
                          ": the object has been modified; please apply your changes to the "
                          "latest version and try again");
  }
  if (!object.contains("apiVersion")) object["apiVersion"] = old["apiVersion"];
  if (kind == "Service") {
    json& spec = object["spec"];
    if (!spec.is_object()) spec = json::object();
    const std::string old_ip = str_at(old, "spec", "clusterIP");
    const std::string new_ip = spec.value("clusterIP", "");
    if (new_ip.empty()) {
      if (!old_ip.empty()) spec["clusterIP"] = old_ip;
    } else if (new_ip != old_ip) {
      return core::invalid("Service \"" + name + "\" is invalid: spec.clusterIP: Invalid value: \"" +
                           new_ip + "\": field is immutable");
    }
    if (old.contains("spec") && old["spec"].is_object() && old["spec"].contains("clusterIPs"))
      spec["clusterIPs"] = old["spec"]["clusterIPs"];
  }
  for (const char* field : {"uid", "creationTimestamp", "generation", "resourceVersion"}) {
    if (old_meta.contains(field))
      meta[field] = old_meta[field];
    else
      meta.erase(field);
  }
  if (old.contains("status"))
    object["status"] = old["status"];
  else
    object.erase("status");
  if (object == old) return old;  // nothing changed: no new version, no event
  if (object.value("spec", json()) != old.value("spec", json()))
    meta["generation"] = old_meta.value("generation", 0) + 1;
  meta["resourceVersion"] = std::to_string(rv_ + 1);
  ++rv_;
  core::Status s = put_locked(key, object);
  if (!s.is_ok()) {
    --rv_;
    return s;
  }
  publish_locked("MODIFIED", object);
  return object;
}

core::Result<json> MemoryObjectStore::update_status(const std::string& kind, const std::string& ns,
                                                    const std::string& name, json status) {
  std::lock_guard lock(mu_);
  const KindInfo* info = find_kind(kind);
  if (info == nullptr)
    return core::invalid("kind \"" + kind + "\" is not served (served: " + served_kind_names() + ")");
  Key key{kind, info->namespaced ? (ns.empty() ? "default" : ns) : "", name};
  auto it = objects_.find(key);
  if (it == objects_.end()) return core::not_found(describe(kind, name) + " not found");
  json object = it->second;
  if (status.is_null())
    object.erase("status");
  else
    object["status"] = std::move(status);
  if (object == it->second) return object;
  object["metadata"]["resourceVersion"] = std::to_string(rv_ + 1);
  ++rv_;
  core::Status s = put_locked(key, object);
  if (!s.is_ok()) {
    --rv_;
    return s;
  }
  publish_locked("MODIFIED", object);
  return object;
}

core::Result<json> MemoryObjectStore::remove(const std::string& kind, const std::string& ns,
                                             const std::string& name) {
  std::lock_guard lock(mu_);
  const KindInfo* info = find_kind(kind);
  if (info == nullptr)
    return core::invalid("kind \"" + kind + "\" is not served (served: " + served_kind_names() + ")");
  Key key{kind, info->namespaced ? (ns.empty() ? "default" : ns) : "", name};
  if (!objects_.count(key)) return core::not_found(describe(kind, name) + " not found");
  if (kind == "Namespace") {
    if (name == "default")
      return core::invalid("namespaces \"default\" is forbidden: this namespace may not be deleted");
    // Everything in the namespace first, in reverse apply order.
    const auto& kinds = served_kinds();
    for (auto k = kinds.rbegin(); k != kinds.rend(); ++k) {
      if (!k->namespaced) continue;
      std::vector<Key> doomed;
      for (auto it = objects_.lower_bound(Key{k->kind, name, ""});
           it != objects_.end() && std::get<0>(it->first) == k->kind &&
           std::get<1>(it->first) == name;
           ++it)
        doomed.push_back(it->first);
      for (const Key& d : doomed) {
        auto r = remove_locked(d);
        if (!r.is_ok()) return r.status();
      }
    }
  }
  return remove_locked(key);
}

core::Result<json> MemoryObjectStore::remove_locked(const Key& key) {
  auto it = objects_.find(key);
  json object = it->second;
  const uint64_t rv = rv_ + 1;
  if (options_.persistence != nullptr) {
    core::Status s = options_.persistence->erase(std::get<0>(key), std::get<1>(key),
                                                 std::get<2>(key), rv);
    if (!s.is_ok()) return s;
  }
  rv_ = rv;
  objects_.erase(it);
  if (std::get<0>(key) == "Service") {
    if (auto ip = parse_ipv4(str_at(object, "spec", "clusterIP"))) cluster_ips_.erase(*ip);
  }
  object["metadata"]["resourceVersion"] = std::to_string(rv);
  publish_locked("DELETED", object);
  return object;
}

std::optional<json> MemoryObjectStore::get(const std::string& kind, const std::string& ns,
                                           const std::string& name) const {
  std::lock_guard lock(mu_);
  const KindInfo* info = find_kind(kind);
  if (info == nullptr) return std::nullopt;
  auto it = objects_.find(Key{kind, info->namespaced ? (ns.empty() ? "default" : ns) : "", name});
  if (it == objects_.end()) return std::nullopt;
  return it->second;
}

std::vector<json> MemoryObjectStore::list(const std::string& kind, const std::string& ns) const {
  std::lock_guard lock(mu_);
  std::vector<json> out;
  for (auto it = objects_.lower_bound(Key{kind, ns, ""});
       it != objects_.end() && std::get<0>(it->first) == kind; ++it) {
    if (!ns.empty() && std::get<1>(it->first) != ns) break;
    out.push_back(it->second);
  }
  return out;
}

std::vector<json> MemoryObjectStore::list_if(
    const std::string& kind, const std::string& ns,
    const std::function<bool(const json&)>& keep) const {
  std::lock_guard lock(mu_);
  std::vector<json> out;
  for (auto it = objects_.lower_bound(Key{kind, ns, ""});
       it != objects_.end() && std::get<0>(it->first) == kind; ++it) {
    if (!ns.empty() && std::get<1>(it->first) != ns) break;
    if (keep(it->second)) out.push_back(it->second);
  }
  return out;
}

uint64_t MemoryObjectStore::resource_version() const {
  std::lock_guard lock(mu_);
  return rv_;
}

core::Status MemoryObjectStore::restore(const std::vector<json>& objects,
                                        uint64_t resource_version) {
  std::lock_guard lock(mu_);
  uint64_t max_rv = std::max(rv_, resource_version);
  for (const json& o : objects) {
    const std::string kind = o.is_object() ? o.value("kind", "") : "";
    const std::string name = str_at(o, "metadata", "name");
    const KindInfo* info = find_kind(kind);
    if (info == nullptr || name.empty())
      return core::invalid("restore: object without a served kind or a name: " + o.dump().substr(0, 200));
    Key key{kind, info->namespaced ? str_at(o, "metadata", "namespace") : "", name};
    if (info->namespaced && std::get<1>(key).empty())
      return core::invalid("restore: " + kind + " \"" + name + "\" has no namespace");
    auto existing = objects_.find(key);
    // The constructor's "default" namespace yields to a persisted one.
    if (existing != objects_.end() && !(kind == "Namespace" && name == "default"))
      return core::already_exists("restore: " + describe(kind, name) + " appears twice");
    objects_[key] = o;
    if (kind == "Service") {
      if (auto ip = parse_ipv4(str_at(o, "spec", "clusterIP"))) cluster_ips_.insert(*ip);
    }
    const std::string rv = str_at(o, "metadata", "resourceVersion");
    if (!rv.empty() && std::all_of(rv.begin(), rv.end(), ::isdigit))
      max_rv = std::max<uint64_t>(max_rv, std::stoull(rv));
  }
  rv_ = max_rv;
  return core::Status::ok();
}

}  // namespace csim::kube
