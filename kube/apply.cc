#include "kube/apply.h"

#include <algorithm>
#include <map>
#include <optional>
#include <set>

#include "kube/defaults.h"
#include "kube/ingress_conversion.h"
#include "kube/kinds.h"
#include "kube/merge_patch.h"
#include "kube/validation.h"

namespace csim::kube {
namespace {

using nlohmann::json;

constexpr int kWriteAttempts = 3;

std::string lower(const std::string& s) {
  std::string out;
  for (char c : s) out += static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  return out;
}

// "ingress.networking.k8s.io/web", "service/web", as kubectl prints them.
std::string resource_ref(const std::string& kind, const std::string& name) {
  const KindInfo* info = find_kind(kind);
  std::string group = info ? info->group : "";
  return lower(kind) + (group.empty() ? "" : "." + group) + "/" + name;
}

std::string object_ref(const std::string& kind, const std::string& ns, const std::string& name) {
  return kind + " " + (ns.empty() ? "" : ns + "/") + name;
}

std::string join_lines(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& l : lines) out += (out.empty() ? "" : "\n") + l;
  return out;
}

// The object as the store should receive it: namespace filled in, status and
// server-set metadata dropped, Ingress converted to v1, defaults applied.
core::Result<json> normalize(json obj, const KindInfo& info, const std::string& ns) {
  if (!obj.contains("metadata") || !obj["metadata"].is_object()) obj["metadata"] = json::object();
  json& meta = obj["metadata"];
  if (info.namespaced)
    meta["namespace"] = ns;
  else
    meta.erase("namespace");
  obj.erase("status");
  for (const char* f : {"uid", "resourceVersion", "creationTimestamp", "generation",
                        "managedFields", "selfLink", "deletionTimestamp"})
    meta.erase(f);
  if (info.kind == "Ingress") {
    auto v1 = ingress_to_v1(obj);
    if (!v1.is_ok()) return v1.status();
    obj = std::move(*v1);
  }
  apply_defaults(obj);
  return obj;
}

// A Service an Ingress backend names, in the Ingress's own apiVersion.
struct BackendRef {
  std::string field;    // "spec.rules[0].http.paths[0].backend.serviceName"
  std::string service;
  json port;            // number or name (null when absent)
};

std::vector<BackendRef> backend_refs(const json& ingress) {
  std::vector<BackendRef> refs;
  const bool v1 = ingress.value("apiVersion", "") == kIngressV1;
  auto add = [&](const json& b, const std::string& f) {
    if (!b.is_object()) return;
    if (v1) {
      if (!b.contains("service") || !b["service"].is_object()) return;
      const json& s = b["service"];
      if (!s.contains("name") || !s["name"].is_string()) return;
      json port;
      if (s.contains("port") && s["port"].is_object())
        port = s["port"].contains("number") ? s["port"]["number"] : s["port"].value("name", json());
      refs.push_back({f + ".service.name", s["name"], port});
    } else {
      if (!b.contains("serviceName") || !b["serviceName"].is_string()) return;
      refs.push_back({f + ".serviceName", b["serviceName"], b.value("servicePort", json())});
    }
  };
  const json& spec = ingress.value("spec", json::object());
  if (!spec.is_object()) return refs;
  const char* default_field = v1 ? "defaultBackend" : "backend";
  if (spec.contains(default_field)) add(spec[default_field], std::string("spec.") + default_field);
  if (spec.contains("rules") && spec["rules"].is_array()) {
    for (size_t i = 0; i < spec["rules"].size(); ++i) {
      const json& rule = spec["rules"][i];
      if (!rule.is_object() || !rule.contains("http") || !rule["http"].is_object()) continue;
      const json& paths = rule["http"].value("paths", json::array());
      if (!paths.is_array()) continue;
      for (size_t j = 0; j < paths.size(); ++j)
        if (paths[j].is_object() && paths[j].contains("backend"))
          add(paths[j]["backend"], "spec.rules[" + std::to_string(i) + "].http.paths[" +
                                       std::to_string(j) + "].backend");
    }
  }
  return refs;
}

// Does the Service (spec) have the port an Ingress backend names?
bool service_has_port(const json& service, const json& port) {
  const json& spec = service.value("spec", json::object());
  if (!spec.is_object() || !spec.contains("ports") || !spec["ports"].is_array()) return false;
  for (const json& p : spec["ports"]) {
    if (!p.is_object()) continue;
    if (port.is_number_integer() && p.value("port", json()) == port) return true;
    if (port.is_string() && p.value("name", json()) == port) return true;
  }
  return false;
}

struct Item {
  const LoadedObject* src = nullptr;
  const KindInfo* info = nullptr;
  std::string ns;
  std::string name;
  json desired;  // normalized, with the last-applied annotation
};

// One write done, for the rollback.
struct Done {
  const Item* item;
  bool created;
  json previous;  // the object before an update
};

std::string rollback(ObjectStore& store, const std::vector<Done>& done) {
  std::vector<std::string> failures;
  for (auto it = done.rbegin(); it != done.rend(); ++it) {
    const Item& item = *it->item;
    if (it->created) {
      auto r = store.remove(item.info->kind, item.ns, item.name);
      if (!r.is_ok() && r.status().code() != core::Code::kNotFound)
        failures.push_back("delete " + object_ref(item.info->kind, item.ns, item.name) + ": " +
                           r.status().message());
    } else {
      json prev = it->previous;
      prev["metadata"].erase("resourceVersion");
      auto r = store.update(prev);
      if (!r.is_ok())
        failures.push_back("restore " + object_ref(item.info->kind, item.ns, item.name) + ": " +
                           r.status().message());
    }
  }
  if (failures.empty()) return "; rolled back the " + std::to_string(done.size()) + " earlier write(s)";
  return "; rollback FAILED: " + join_lines(failures);
}

// The last-applied configuration of `current`, normalized like the desired object.
json last_applied(const json& current, const Item& item) {
  const json& meta = current.value("metadata", json::object());
  if (!meta.contains("annotations") || !meta["annotations"].is_object()) return json::object();
  const json& ann = meta["annotations"];
  if (!ann.contains(kLastAppliedAnnotation) || !ann[kLastAppliedAnnotation].is_string())
    return json::object();
  json parsed = json::parse(ann[kLastAppliedAnnotation].get<std::string>(), nullptr, false);
  if (parsed.is_discarded() || !parsed.is_object()) return json::object();
  auto normalized = normalize(parsed, *item.info, item.ns);
  return normalized.is_ok() ? *normalized : json::object();
}

// Creates or updates one object. Returns the action, or the failure.
core::Result<std::string> write(ObjectStore& store, const Item& item, std::vector<Done>& done) {
  core::Status last;
  for (int attempt = 0; attempt < kWriteAttempts; ++attempt) {
    auto existing = store.get(item.info->kind, item.ns, item.name);
    if (!existing) {
      auto r = store.create(item.desired);
      if (r.is_ok()) {
        done.push_back({&item, true, json()});
        return std::string("created");
      }
      last = r.status();
      if (last.code() == core::Code::kAlreadyExists) continue;  // raced with another writer
      return last;
    }
    json current = *existing;
    json patch = three_way_merge_patch(last_applied(current, item), item.desired, current);
    json merged = current;
    merged.merge_patch(patch);
    if (merged == current) return std::string("unchanged");
    auto r = store.update(merged);
    if (r.is_ok()) {
      done.push_back({&item, false, current});
      return std::string("configured");
    }
    last = r.status();
    if (last.code() == core::Code::kConflict || last.code() == core::Code::kNotFound) continue;
    return last;
  }
  return last;
}

}  // namespace

std::string ApplyReport::to_string() const {
  std::string out;
  for (const auto& e : entries) out += resource_ref(e.kind, e.name) + " " + e.action + "\n";
  for (const auto& w : warnings) out += "Warning: " + w + "\n";
  return out;
}

core::Result<ApplyReport> apply_objects(ObjectStore& store, std::vector<LoadedObject> objects,
                                        const std::string& default_namespace) {
  std::vector<std::string> errors;
  std::vector<Item> items;
  items.reserve(objects.size());
  // Namespaces and Services of this apply, valid or not (an invalid Service is reported
  // once, not again by every Ingress that names it).
  std::set<std::string> namespaces;
  std::map<std::pair<std::string, std::string>, const json*> services;
  for (const LoadedObject& lo : objects) {
    const json& o = lo.object;
    const json& meta = o.value("metadata", json::object());
    if (!meta.is_object() || !meta.contains("name") || !meta["name"].is_string()) continue;
    if (o.value("kind", json()) == "Namespace") namespaces.insert(meta["name"].get<std::string>());
    if (o.value("kind", json()) == "Service") {
      std::string ns = meta.value("namespace", json("")).is_string() ? meta.value("namespace", "") : "";
      services[{ns.empty() ? default_namespace : ns, meta["name"].get<std::string>()}] = &o;
    }
  }
  // 1-2: validate and normalize each object.
  for (const LoadedObject& lo : objects) {
    auto problems = validate(lo.object);
    for (const auto& p : problems) errors.push_back(lo.where(p.field) + ": " + p.to_string());
    if (!problems.empty()) continue;
    Item item;
    item.src = &lo;
    item.info = find_kind(lo.object["kind"]);
    const json& meta = lo.object["metadata"];
    if (!meta.contains("name") || !meta["name"].is_string()) {
      errors.push_back(lo.where("metadata.name") +
                       ": metadata.name: is required for apply (generateName works only with "
                       "create)");
      continue;
    }
    item.name = meta["name"];
    if (item.info->namespaced) {
      item.ns = meta.value("namespace", json("")).is_string() ? meta.value("namespace", "") : "";
      if (item.ns.empty()) item.ns = default_namespace;
    }
    auto desired = normalize(lo.object, *item.info, item.ns);
    if (!desired.is_ok()) {
      errors.push_back(lo.where() + ": " + desired.status().message());
      continue;
    }
    // What the user wrote (namespace filled in), as kubectl records it.
    json applied = lo.object;
    if (item.info->namespaced) applied["metadata"]["namespace"] = item.ns;
    if (applied["metadata"].contains("annotations") && applied["metadata"]["annotations"].is_object()) {
      applied["metadata"]["annotations"].erase(kLastAppliedAnnotation);
      if (applied["metadata"]["annotations"].empty()) applied["metadata"].erase("annotations");
    }
    item.desired = std::move(*desired);
    item.desired["metadata"]["annotations"][kLastAppliedAnnotation] = applied.dump();
    items.push_back(std::move(item));
  }

  // 3: the objects against each other and the store.
  std::map<std::tuple<std::string, std::string, std::string>, const Item*> seen;
  for (const Item& item : items) {
    auto key = std::make_tuple(item.info->kind, item.ns, item.name);
    auto [it, inserted] = seen.emplace(key, &item);
    if (!inserted) {
      errors.push_back(item.src->where() + ": " + object_ref(item.info->kind, item.ns, item.name) +
                       " appears twice in this apply (first at " + it->second->src->where() + ")");
    }
  }
  ApplyReport report;
  std::map<std::string, bool> namespace_exists;
  for (const Item& item : items) {
    if (item.info->namespaced && !namespaces.count(item.ns)) {
      auto found = namespace_exists.find(item.ns);
      if (found == namespace_exists.end())
        found = namespace_exists.emplace(item.ns, store.get("Namespace", "", item.ns).has_value()).first;
      if (!found->second)
        errors.push_back(item.src->where("metadata.namespace") + ": metadata.namespace: namespace \"" +
                         item.ns + "\" not found (neither in the cluster nor in this apply)");
    }
    if (item.info->kind != "Ingress") continue;
    for (const BackendRef& ref : backend_refs(item.src->object)) {
      std::optional<json> stored;
      const json* service = nullptr;
      auto in_apply = services.find({item.ns, ref.service});
      if (in_apply != services.end()) {
        service = in_apply->second;
      } else if ((stored = store.get("Service", item.ns, ref.service))) {
        service = &*stored;
      }
      if (service == nullptr) {
        errors.push_back(item.src->where(ref.field) + ": " + ref.field + ": Service \"" + ref.service +
                         "\" not found in namespace \"" + item.ns +
                         "\" (neither in the cluster nor in this apply)");
      } else if (!ref.port.is_null() && !service_has_port(*service, ref.port)) {
        report.warnings.push_back(item.src->where(ref.field) + ": " + ref.field + ": Service \"" +
                                  ref.service + "\" has no port " + ref.port.dump());
      }
    }
  }
  if (!errors.empty()) return core::invalid(join_lines(errors));

  // 4: write, in apply order; roll back on failure.
  std::vector<const Item*> order;
  for (const Item& item : items) order.push_back(&item);
  std::stable_sort(order.begin(), order.end(), [](const Item* a, const Item* b) {
    return a->info->apply_rank < b->info->apply_rank;
  });
  std::vector<Done> done;
  for (const Item* item : order) {
    auto action = write(store, *item, done);
    if (!action.is_ok()) {
      std::string message = item->src->where() + ": " +
                            object_ref(item->info->kind, item->ns, item->name) + ": " +
                            action.status().message();
      if (!done.empty()) message += rollback(store, done);
      return core::Status(action.status().code(), message);
    }
    report.entries.push_back({item->info->kind, item->ns, item->name, *action, item->src->where()});
  }
  return report;
}

core::Result<ApplyReport> apply_file(ObjectStore& store, const std::string& path,
                                     const std::string& default_namespace) {
  auto loaded = load_yaml_file(path);
  if (!loaded.is_ok()) return loaded.status();
  return apply_objects(store, std::move(*loaded), default_namespace);
}

core::Result<ApplyReport> apply_yaml(ObjectStore& store, const std::string& text,
                                     const std::string& name, const std::string& default_namespace) {
  auto loaded = load_yaml_string(text, name);
  if (!loaded.is_ok()) return loaded.status();
  return apply_objects(store, std::move(*loaded), default_namespace);
}

core::Result<ApplyReport> delete_objects(ObjectStore& store, std::vector<LoadedObject> objects,
                                         const std::string& default_namespace,
                                         bool ignore_not_found) {
  std::vector<std::string> errors;
  std::vector<Item> items;
  bool only_not_found = true;
  for (const LoadedObject& lo : objects) {
    Item item;
    item.src = &lo;
    const std::string kind = lo.object.is_object() && lo.object.value("kind", json("")).is_string()
                                 ? lo.object.value("kind", "")
                                 : "";
    item.info = find_kind(kind);
    if (item.info == nullptr) {
      errors.push_back(lo.where("kind") + ": kind: \"" + kind + "\" is not served (served: " +
                       served_kind_names() + ")");
      only_not_found = false;
      continue;
    }
    const json meta = lo.object.is_object() ? lo.object.value("metadata", json::object()) : json::object();
    if (!meta.is_object()) {
      errors.push_back(lo.where("metadata") + ": metadata: must be a mapping");
      only_not_found = false;
      continue;
    }
    item.name = meta.value("name", json("")).is_string() ? meta.value("name", "") : "";
    if (item.info->namespaced) {
      item.ns = meta.value("namespace", json("")).is_string() ? meta.value("namespace", "") : "";
      if (item.ns.empty()) item.ns = default_namespace;
    }
    if (!ignore_not_found && !store.get(kind, item.ns, item.name))
      errors.push_back(lo.where() + ": " + qualified_resource(kind) + " \"" + item.name +
                       "\" not found" + (item.ns.empty() ? "" : " in namespace \"" + item.ns + "\""));
    items.push_back(std::move(item));
  }
  if (!errors.empty())
    return core::Status(only_not_found ? core::Code::kNotFound : core::Code::kInvalid,
                        join_lines(errors));
  std::vector<const Item*> order;
  for (const Item& item : items) order.push_back(&item);
  std::stable_sort(order.begin(), order.end(), [](const Item* a, const Item* b) {
    return a->info->apply_rank > b->info->apply_rank;
  });
  ApplyReport report;
  for (const Item* item : order) {
    auto r = store.remove(item->info->kind, item->ns, item->name);
    std::string action = "deleted";
    if (!r.is_ok()) {
      if (r.status().code() != core::Code::kNotFound || !ignore_not_found) {
        std::string message = item->src->where() + ": " +
                              object_ref(item->info->kind, item->ns, item->name) + ": " +
                              r.status().message();
        if (!report.entries.empty())
          message += " (already deleted: " + std::to_string(report.entries.size()) + " object(s))";
        return core::Status(r.status().code(), message);
      }
      action = "not found";
    }
    report.entries.push_back({item->info->kind, item->ns, item->name, action, item->src->where()});
  }
  return report;
}

core::Result<ApplyReport> delete_file(ObjectStore& store, const std::string& path,
                                      const std::string& default_namespace, bool ignore_not_found) {
  auto loaded = load_yaml_file(path);
  if (!loaded.is_ok()) return loaded.status();
  return delete_objects(store, std::move(*loaded), default_namespace, ignore_not_found);
}

}  // namespace csim::kube
