// The write verbs of Router: create, update, patch, delete, deletecollection.
#include <algorithm>
#include <variant>

#include "kube/apiserver/api_status.h"
#include "kube/apiserver/conversion.h"
#include "kube/apiserver/patch.h"
#include "kube/apiserver/protobuf_body.h"
#include "kube/apiserver/router.h"
#include "kube/apiserver/selectors.h"
#include "kube/defaults.h"
#include "kube/kinds.h"
#include "kube/validation.h"

namespace csim::kube::apiserver {

using nlohmann::json;

namespace {

constexpr int kPatchAttempts = 5;
constexpr auto kTombstoneTtl = std::chrono::minutes(5);
constexpr size_t kMaxTombstones = 10000;

bool is_json_content(const std::string& content_type) {
  std::string type = to_lower(trim(split(content_type, ';')[0]));
  return type.empty() || type == "application/json" || type == "*/*";
}

core::Result<json> parse_json(const std::string& body, const std::string& what) {
  json parsed = json::parse(body, nullptr, false);
  if (parsed.is_discarded()) return core::invalid(what + " is not valid JSON");
  return parsed;
}

std::string meta_str(const json& object, const char* field) {
  if (!object.is_object() || !object.contains("metadata") || !object["metadata"].is_object()) return "";
  const json& v = object["metadata"].value(field, json());
  return v.is_string() ? v.get<std::string>() : "";
}

void ensure_metadata(json& object) {
  if (!object.contains("metadata") || !object["metadata"].is_object()) object["metadata"] = json::object();
}

// The body of a POST/PUT as an object of `res`'s kind in the URL's namespace, or the
// error response.
std::variant<json, Response> decode_object(const Request& req, const ApiResource& res,
                                           const std::string& ns) {
  json obj;
  if (is_protobuf_content_type(req.header("content-type"))) {
    auto decoded = decode_protobuf_object(req.body);
    if (!decoded.is_ok()) {
      if (is_unsupported_protobuf(decoded.status()))
        return status_response(415, "UnsupportedMediaType", decoded.status().message());
      return bad_request(decoded.status().message());
    }
    obj = std::move(*decoded);
  } else if (!is_json_content(req.header("content-type"))) {
    return status_response(415, "UnsupportedMediaType",
                           "the body of the request was in an unknown format - accepted media types "
                           "include: application/json, application/vnd.kubernetes.protobuf (v1 "
                           "Namespace, Secret, ConfigMap, Service; apps/v1 Deployment; networking.k8s.io/v1 "
                           "Ingress)");
  } else {
    auto parsed = parse_json(req.body, "the request body");
    if (!parsed.is_ok()) return bad_request(parsed.status().message());
    obj = std::move(*parsed);
  }
  if (!obj.is_object()) return bad_request("the request body must be a JSON object (a " + res.kind + ")");
  if (!obj.contains("kind")) obj["kind"] = res.kind;
  if (!obj.contains("apiVersion")) obj["apiVersion"] = res.group_version();
  if (obj["kind"] != res.kind)
    return bad_request(res.kind + " in version \"" + res.version + "\" cannot be handled as a " + res.kind +
                       ": the object's kind " + obj["kind"].dump() + " does not match the resource " +
                       res.qualified());
  ensure_metadata(obj);
  json& meta = obj["metadata"];
  if (res.namespaced) {
    std::string body_ns = meta.value("namespace", json("")).is_string() ? meta.value("namespace", "") : "";
    if (!body_ns.empty() && body_ns != ns)
      return bad_request("the namespace of the provided object does not match the namespace sent on "
                         "the request");
    meta["namespace"] = ns;
  } else {
    meta.erase("namespace");
  }
  for (const char* f : {"creationTimestamp", "generation", "managedFields", "selfLink",
                        "deletionTimestamp", "deletionGracePeriodSeconds"})
    meta.erase(f);
  return obj;
}

// Precondition / identity failures of a patched object.
std::optional<Response> check_identity(const ApiResource& res, const json& before, const json& after,
                                       const std::string& name) {
  if (!after.is_object()) return bad_request("the patched object is not a JSON object");
  if (after.value("kind", json()) != before.value("kind", json()) ||
      after.value("apiVersion", json()) != before.value("apiVersion", json()))
    return bad_request("a patch may not change kind or apiVersion (" + before.value("apiVersion", json()).dump() +
                       " " + before.value("kind", json()).dump() + ")");
  std::vector<FieldError> errors;
  if (meta_str(after, "name") != meta_str(before, "name"))
    errors.push_back({"metadata.name", FieldError::Type::kInvalid, json(meta_str(after, "name")),
                      "field is immutable"});
  if (meta_str(after, "namespace") != meta_str(before, "namespace"))
    errors.push_back({"metadata.namespace", FieldError::Type::kInvalid,
                      json(meta_str(after, "namespace")), "field is immutable"});
  if (!errors.empty()) return invalid(res, name, errors);
  return std::nullopt;
}

bool patch_sets_resource_version(PatchType type, const json& patch) {
  if (type == PatchType::kJson) {
    if (!patch.is_array()) return false;
    for (const json& op : patch)
      if (op.is_object() && op.value("path", json()) == "/metadata/resourceVersion") return true;
    return false;
  }
  return patch.is_object() && patch.contains("metadata") && patch["metadata"].is_object() &&
         patch["metadata"].contains("resourceVersion") && patch["metadata"]["resourceVersion"].is_string();
}

}  // namespace

Response Router::create(const Request& req, const Route& route) {
  const ApiResource& res = *route.resource;
  auto decoded = decode_object(req, res, route.ns);
  if (auto* err = std::get_if<Response>(&decoded)) return *err;
  json obj = std::get<json>(std::move(decoded));
  json& meta = obj["metadata"];
  meta.erase("uid");
  meta.erase("resourceVersion");
  if (res.kind != "Node") obj.erase("status");  // kube keeps status on create only for Nodes
  const std::string name = meta.value("name", json("")).is_string() && !meta.value("name", "").empty()
                               ? meta.value("name", "")
                               : (meta.value("generateName", json("")).is_string() ? meta.value("generateName", "") : "");
  std::vector<FieldError> errors = validate(obj);
  if (!errors.empty()) return invalid(res, name, errors);
  auto storage = to_storage(res, obj);
  if (!storage.is_ok()) return from_store_error(res, name, storage.status());
  apply_defaults(*storage);
  if (res.namespaced && !store_.get("Namespace", "", route.ns)) return namespace_not_found(route.ns);
  if (req.param("dryRun") == "All") {
    if (!meta_str(*storage, "name").empty() && lookup(res, route.ns, meta_str(*storage, "name")))
      return already_exists(res, name);
    (*storage)["metadata"]["creationTimestamp"] = core::rfc3339(clock_.now());
    auto ext = to_external(res, *storage);
    return json_response(201, ext.is_ok() ? *ext : *storage);
  }
  core::Result<json> created = [&] {
    core::TraceScope scope(bus_, "kube-apiserver", trace_name(req, "create", route, name));
    return store_.create(*storage);
  }();
  if (!created.is_ok()) return from_store_error(res, name, created.status());
  {
    // A new object of that name: an old namespace-deletion tombstone no longer applies.
    std::lock_guard lock(tombstones_mu_);
    tombstones_.erase(Key{res.store_kind, route.ns, meta_str(*created, "name")});
  }
  auto ext = to_external(res, *created);
  if (!ext.is_ok()) return status_response(500, "InternalError", ext.status().message());
  return json_response(201, *ext);
}

Response Router::update(const Request& req, const Route& route) {
  const ApiResource& res = *route.resource;
  const std::string& name = route.name;
  auto decoded = decode_object(req, res, route.ns);
  if (auto* err = std::get_if<Response>(&decoded)) return *err;
  json obj = std::get<json>(std::move(decoded));
  json& meta = obj["metadata"];
  std::string body_name = meta.value("name", json("")).is_string() ? meta.value("name", "") : "";
  if (body_name.empty()) meta["name"] = name;
  else if (body_name != name)
    return bad_request("the name of the object (" + body_name + ") does not match the name on the URL (" +
                       name + ")");
  auto current = lookup(res, route.ns, name);
  if (!current) return not_found(res, name);
  const std::string given_rv = meta_str(obj, "resourceVersion");
  if (!given_rv.empty() && given_rv != meta_str(*current, "resourceVersion")) return conflict(res, name);

  if (route.subresource == "status") {
    if (req.param("dryRun") == "All") {
      json out = *current;
      out["status"] = obj.value("status", json());
      auto ext = to_external(res, out);
      return json_response(200, ext.is_ok() ? *ext : out);
    }
    core::Result<json> updated = [&] {
      core::TraceScope scope(bus_, "kube-apiserver", trace_name(req, "update", route, name));
      return store_.update_status(res.store_kind, route.ns, name, obj.value("status", json()));
    }();
    if (!updated.is_ok()) return from_store_error(res, name, updated.status());
    auto ext = to_external(res, *updated);
    return json_response(200, ext.is_ok() ? *ext : *updated);
  }

  std::vector<FieldError> errors = validate(obj);
  if (!errors.empty()) return invalid(res, name, errors);
  auto storage = to_storage(res, obj);
  if (!storage.is_ok()) return from_store_error(res, name, storage.status());
  apply_defaults(*storage);
  if (req.param("dryRun") == "All") {
    json out = *storage;
    for (const char* f : {"uid", "creationTimestamp", "generation", "resourceVersion"})
      if ((*current)["metadata"].contains(f)) out["metadata"][f] = (*current)["metadata"][f];
    if (current->contains("status")) out["status"] = (*current)["status"];
    auto ext = to_external(res, out);
    return json_response(200, ext.is_ok() ? *ext : out);
  }
  core::Result<json> updated = [&] {
    core::TraceScope scope(bus_, "kube-apiserver", trace_name(req, "update", route, name));
    return store_.update(*storage);
  }();
  if (!updated.is_ok()) return from_store_error(res, name, updated.status());
  auto ext = to_external(res, *updated);
  if (!ext.is_ok()) return status_response(500, "InternalError", ext.status().message());
  return json_response(200, *ext);
}

Response Router::patch(const Request& req, const Route& route) {
  const ApiResource& res = *route.resource;
  const std::string& name = route.name;
  auto type = patch_type(req.header("content-type"));
  if (!type)
    return status_response(415, "UnsupportedMediaType",
                           "the body of the request was in an unknown format - accepted media types "
                           "include: application/json-patch+json, application/merge-patch+json, "
                           "application/strategic-merge-patch+json");
  if (*type == PatchType::kApply)
    return status_response(415, "UnsupportedMediaType",
                           "server-side apply (application/apply-patch+yaml) is not supported by "
                           "csim's API server; use client-side apply (kubectl apply without "
                           "--server-side)");
  auto parsed = parse_json(req.body, "the patch");
  if (!parsed.is_ok()) return bad_request(parsed.status().message());
  const json& patch_body = *parsed;
  const bool explicit_rv = patch_sets_resource_version(*type, patch_body);
  const bool dry = req.param("dryRun") == "All";

  for (int attempt = 0;; ++attempt) {
    auto current = lookup(res, route.ns, name);
    if (!current) return not_found(res, name);
    auto ext = to_external(res, *current);
    if (!ext.is_ok()) return status_response(500, "InternalError", ext.status().message());
    auto patched_or = apply_patch(*type, res.kind, *ext, patch_body);
    if (!patched_or.is_ok())
      return status_response(422, "Invalid", patched_or.status().message(),
                             json{{"name", name}, {"kind", res.kind}});
    json patched = std::move(*patched_or);
    if (auto bad = check_identity(res, *ext, patched, name)) return *bad;
    if (!explicit_rv) patched["metadata"]["resourceVersion"] = meta_str(*current, "resourceVersion");
    else if (meta_str(patched, "resourceVersion") != meta_str(*current, "resourceVersion"))
      return conflict(res, name);

    core::Result<json> result = core::internal("unreachable");
    if (route.subresource == "status") {
      if (dry) return json_response(200, patched);
      core::TraceScope scope(bus_, "kube-apiserver", trace_name(req, "patch", route, name));
      result = store_.update_status(res.store_kind, route.ns, name, patched.value("status", json()));
    } else {
      std::vector<FieldError> errors = validate(patched);
      if (!errors.empty()) return invalid(res, name, errors);
      auto storage = to_storage(res, patched);
      if (!storage.is_ok()) return from_store_error(res, name, storage.status());
      apply_defaults(*storage);
      if (dry) {
        auto out = to_external(res, *storage);
        return json_response(200, out.is_ok() ? *out : *storage);
      }
      core::TraceScope scope(bus_, "kube-apiserver", trace_name(req, "patch", route, name));
      result = store_.update(*storage);
    }
    if (!result.is_ok()) {
      // A concurrent write between our read and write: patch the new state again.
      if (result.status().code() == core::Code::kConflict && !explicit_rv && attempt + 1 < kPatchAttempts &&
          result.status().message().find("has been modified") != std::string::npos)
        continue;
      return from_store_error(res, name, result.status());
    }
    auto out = to_external(res, *result);
    if (!out.is_ok()) return status_response(500, "InternalError", out.status().message());
    return json_response(200, *out);
  }
}

Response Router::remove(const Request& req, const Route& route) {
  const ApiResource& res = *route.resource;
  const std::string& name = route.name;
  json options = json::object();
  if (!trim(req.body).empty()) {
    auto parsed = parse_json(req.body, "the DeleteOptions body");
    if (!parsed.is_ok()) return bad_request(parsed.status().message());
    if (parsed->is_object()) options = std::move(*parsed);
  }
  const std::string ns = res.namespaced ? route.ns : "";
  auto current = lookup(res, ns, name);
  if (!current) {
    if (auto gone = take_tombstone({res.store_kind, ns, name})) {
      auto ext = to_external(res, *gone);
      return json_response(200, ext.is_ok() ? *ext : *gone);
    }
    return not_found(res, name);
  }
  if (options.contains("preconditions") && options["preconditions"].is_object()) {
    const json& pre = options["preconditions"];
    for (const char* f : {"uid", "resourceVersion"}) {
      if (pre.contains(f) && pre[f].is_string() && pre[f].get<std::string>() != meta_str(*current, f)) {
        std::string field = f == std::string("uid") ? "UID" : "ResourceVersion";
        return status_response(409, "Conflict",
                               "Precondition failed: " + field + " in precondition: " +
                                   pre[f].get<std::string>() + ", " + field +
                                   " in object meta: " + meta_str(*current, f),
                               json{{"name", name}, {"kind", res.resource}});
      }
    }
  }
  if (res.store_kind == "Namespace" && name == "default")
    return status_response(403, "Forbidden",
                           "namespaces \"default\" is forbidden: this namespace may not be deleted",
                           json{{"name", name}, {"kind", "namespaces"}});
  const bool dry = req.param("dryRun") == "All" ||
                   (options.contains("dryRun") && options["dryRun"].is_array() && !options["dryRun"].empty());
  if (dry) {
    auto ext = to_external(res, *current);
    return json_response(200, ext.is_ok() ? *ext : *current);
  }
  if (res.store_kind == "Namespace") remember_deleted_namespace(name);
  core::Result<json> removed = [&] {
    core::TraceScope scope(bus_, "kube-apiserver", trace_name(req, "delete", route, name));
    return store_.remove(res.store_kind, ns, name);
  }();
  if (!removed.is_ok()) {
    if (removed.status().code() == core::Code::kNotFound) {
      if (auto gone = take_tombstone({res.store_kind, ns, name})) removed = *gone;
    }
    if (!removed.is_ok()) return from_store_error(res, name, removed.status());
  }
  auto ext = to_external(res, *removed);
  return json_response(200, ext.is_ok() ? *ext : *removed);
}

Response Router::remove_collection(const Request& req, const Route& route) {
  const ApiResource& res = *route.resource;
  auto labels = LabelSelector::parse(req.param("labelSelector"));
  if (!labels.is_ok()) return bad_request(labels.status().message());
  auto fields = FieldSelector::parse(req.param("fieldSelector"), res.kind);
  if (!fields.is_ok()) return bad_request(fields.status().message());
  const bool dry = req.param("dryRun") == "All";
  json items = json::array();
  core::TraceScope scope(bus_, "kube-apiserver", trace_name(req, "deletecollection", route, ""));
  for (const json& stored : stored_list(res, route.ns)) {
    auto ext = to_external(res, stored);
    if (!ext.is_ok()) continue;
    const json& meta = ext->value("metadata", json::object());
    if (!labels->matches(meta.value("labels", json())) || !fields->matches(*ext)) continue;
    const std::string name = meta_str(stored, "name");
    if (res.store_kind == "Namespace" && name == "default") continue;
    if (!dry) {
      if (res.store_kind == "Namespace") remember_deleted_namespace(name);
      auto removed = store_.remove(res.store_kind, meta_str(stored, "namespace"), name);
      if (!removed.is_ok()) {
        if (removed.status().code() == core::Code::kNotFound) continue;
        return from_store_error(res, name, removed.status());
      }
      auto out = to_external(res, *removed);
      items.push_back(out.is_ok() ? *out : *removed);
    } else {
      items.push_back(*ext);
    }
  }
  return json_response(200, json{{"kind", res.kind + "List"},
                                 {"apiVersion", res.group_version()},
                                 {"metadata", {{"resourceVersion", std::to_string(store_.resource_version())}}},
                                 {"items", items}});
}

void Router::remember_deleted_namespace(const std::string& ns) {
  const core::Nanos now = clock_.now();
  std::vector<std::pair<Key, json>> doomed;
  for (const KindInfo& k : served_kinds()) {
    if (!k.namespaced) continue;
    for (const json& o : store_.list(k.kind, ns)) doomed.push_back({Key{k.kind, ns, meta_str(o, "name")}, o});
  }
  std::lock_guard lock(tombstones_mu_);
  for (auto it = tombstones_.begin(); it != tombstones_.end();) {
    if (now - it->second.second > kTombstoneTtl) it = tombstones_.erase(it);
    else ++it;
  }
  for (auto& [key, object] : doomed) {
    if (tombstones_.size() >= kMaxTombstones) break;
    tombstones_[key] = {std::move(object), now};
  }
}

std::optional<json> Router::take_tombstone(const Key& key) {
  std::lock_guard lock(tombstones_mu_);
  auto it = tombstones_.find(key);
  if (it == tombstones_.end()) return std::nullopt;
  std::optional<json> out;
  if (clock_.now() - it->second.second <= kTombstoneTtl) out = std::move(it->second.first);
  tombstones_.erase(it);
  return out;
}

}  // namespace csim::kube::apiserver
