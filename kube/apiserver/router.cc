// Dispatch, discovery and the read verbs (list, get, watch) of Router; the write verbs
// are in router_writes.cc.
#include "kube/apiserver/router.h"

#include "kube/apiserver/api_status.h"
#include "kube/apiserver/conversion.h"
#include "kube/apiserver/discovery.h"
#include "kube/apiserver/endpoint_slices.h"
#include "kube/apiserver/selectors.h"
#include "kube/apiserver/tables.h"

namespace csim::kube::apiserver {

using nlohmann::json;

namespace {

Response text_response(int code, const std::string& text) {
  Response r;
  r.status = code;
  r.content_type = "text/plain; charset=utf-8";
  r.body = text;
  return r;
}

// False when the client accepts neither JSON nor anything (only protobuf or YAML).
bool accepts_json(const std::string& accept) {
  if (trim(accept).empty()) return true;
  for (const std::string& range : split(accept, ',')) {
    std::string type = to_lower(trim(split(range, ';')[0]));
    if (type == "application/json" || type == "*/*" || type == "application/*") return true;
  }
  return false;
}

Response not_acceptable() {
  return status_response(406, "NotAcceptable",
                         "only the following media types are accepted: application/json, "
                         "application/json;as=Table;v=v1;g=meta.k8s.io");
}

// object[key] when object is an object that has it, else null (no copy: watches call this
// once per watcher and event).
const json& member(const json& object, const char* key) {
  static const json kNull;
  if (!object.is_object()) return kNull;
  auto it = object.find(key);
  return it == object.end() ? kNull : *it;
}

// Parses ?labelSelector= and ?fieldSelector= into a predicate over external objects.
struct Selectors {
  LabelSelector labels;
  FieldSelector fields;
  bool matches(const json& object) const {
    return labels.matches(member(member(object, "metadata"), "labels")) && fields.matches(object);
  }
};

core::Result<Selectors> parse_selectors(const Request& req, const ApiResource& res) {
  Selectors s;
  auto labels = LabelSelector::parse(req.param("labelSelector"));
  if (!labels.is_ok()) return labels.status();
  auto fields = FieldSelector::parse(req.param("fieldSelector"), res.kind);
  if (!fields.is_ok()) return fields.status();
  s.labels = std::move(*labels);
  s.fields = std::move(*fields);
  return s;
}

std::string rv_of(const json& object) {
  const json& meta = object.value("metadata", json::object());
  return meta.is_object() && meta.value("resourceVersion", json()).is_string()
             ? meta["resourceVersion"].get<std::string>()
             : "";
}

}  // namespace

Router::Router(ObjectStore& store, core::Bus& bus, WatchHub& hub, core::Clock& clock)
    : store_(store), bus_(bus), hub_(hub), clock_(clock) {}

Response Router::handle(const Request& req) {
  try {
    return dispatch(req);
  } catch (const std::exception& e) {
    // A malformed value this code did not expect must not take the server down.
    return status_response(500, "InternalError",
                           "internal error handling " + req.method + " " + req.path + ": " + e.what());
  }
}

Response Router::dispatch(const Request& req) {
  Route route = parse_route(req.path);
  const bool get = req.method == "GET" || req.method == "HEAD";
  auto only_get = [&](Response r) { return get ? r : method_not_allowed(); };
  switch (route.type) {
    case Route::Type::kHealth:
      return only_get(text_response(200, "ok"));
    case Route::Type::kVersion:
      return only_get(json_response(200, version_info()));
    case Route::Type::kCoreRoot:
    case Route::Type::kGroupsRoot: {
      if (!get) return method_not_allowed();
      const bool core = route.type == Route::Type::kCoreRoot;
      if (auto v = aggregated_discovery_version(req.header("accept"))) {
        Response r = json_response(200, aggregated_discovery(core, *v));
        r.content_type = aggregated_content_type(*v);
        return r;
      }
      return json_response(200, core ? core_api_versions() : api_group_list());
    }
    case Route::Type::kGroup:
      return only_get(json_response(200, api_group(route.group)));
    case Route::Type::kGroupVersion:
      return only_get(json_response(200, api_resource_list(route.group, route.version)));
    case Route::Type::kOpenApiV2: {
      if (!get) return method_not_allowed();
      Response r;
      r.content_type = kOpenApiV2ContentType;
      r.body = openapi_v2_protobuf();
      return r;
    }
    case Route::Type::kOpenApiV3Root:
      return only_get(json_response(200, openapi_v3_root()));
    case Route::Type::kOpenApiV3Doc:
      return only_get(json_response(200, openapi_v3_document(route.group, route.version)));
    case Route::Type::kUnknownResource:
      return status_response(404, "NotFound", "the server could not find the requested resource",
                             json{{"kind", route.unknown}});
    case Route::Type::kResource:
      return handle_resource(req, route);
    case Route::Type::kNotFound:
      break;
  }
  return text_response(404, "404 page not found\n");
}

Response Router::handle_resource(const Request& req, const Route& route) {
  const ApiResource& res = *route.resource;
  if (!route.subresource.empty() && !(route.subresource == "status" && res.has_status) &&
      !(route.subresource == "scale" && res.has_scale))
    return status_response(404, "NotFound", "the server could not find the requested resource");
  if (!accepts_json(req.header("accept"))) return not_acceptable();
  const std::string w = req.param("watch");
  const bool watching = route.legacy_watch || w == "true" || w == "1";
  // A namespaced object needs its namespace in the URL.
  if (res.namespaced && route.ns.empty() && !route.name.empty())
    return status_response(404, "NotFound", "the server could not find the requested resource");
  const std::string& m = req.method;
  const bool reading = m == "GET" || m == "HEAD";
  if (!reading) {
    const std::string dry = req.param("dryRun");
    if (!dry.empty() && dry != "All")
      return status_response(400, "BadRequest",
                             "dryRun: Unsupported value: \"" + dry + "\": supported values: \"All\"");
  }
  if (route.subresource == "scale") {
    if (watching || (!reading && m != "PUT" && m != "PATCH")) return method_not_allowed();
    return scale(req, route);
  }
  if (reading) {
    if (watching) return watch(req, route);
    return route.name.empty() ? list(req, route) : get(req, route);
  }
  if (res.read_only || watching) return method_not_allowed();
  if (m == "POST") {
    if (!route.name.empty() || (res.namespaced && route.ns.empty())) return method_not_allowed();
    return create(req, route);
  }
  if (m == "PUT") return route.name.empty() ? method_not_allowed() : update(req, route);
  if (m == "PATCH") return route.name.empty() ? method_not_allowed() : patch(req, route);
  if (m == "DELETE") {
    if (!route.subresource.empty()) return method_not_allowed();
    return route.name.empty() ? remove_collection(req, route) : remove(req, route);
  }
  return method_not_allowed();
}

std::optional<json> Router::lookup(const ApiResource& res, const std::string& ns,
                                   const std::string& name) const {
  if (res.kind == "EndpointSlice") {
    for (const json& ep : store_.list(res.store_kind, ns))
      if (endpoint_slice_name(ep) == name) return ep;
    return std::nullopt;
  }
  return store_.get(res.store_kind, res.namespaced ? ns : "", name);
}

std::vector<json> Router::stored_list(const ApiResource& res, const std::string& ns) const {
  return store_.list(res.store_kind, res.namespaced ? ns : "");
}

Response Router::list(const Request& req, const Route& route) {
  const ApiResource& res = *route.resource;
  auto selectors = parse_selectors(req, res);
  if (!selectors.is_ok()) return bad_request(selectors.status().message());
  // Read the version first: the list holds at least everything up to it, so a watch
  // from it misses nothing (at worst it repeats a change).
  const std::string rv = std::to_string(store_.resource_version());
  std::vector<json> items;
  for (json& stored : stored_list(res, route.ns)) {
    auto ext = to_external(res, std::move(stored));
    if (!ext.is_ok()) return status_response(500, "InternalError", ext.status().message());
    if (selectors->matches(*ext)) items.push_back(std::move(*ext));
  }
  if (auto table = table_accept(req.header("accept"))) {
    TableOptions opts;
    opts.now = clock_.now();
    opts.api_version = *table;
    if (req.has_param("includeObject")) opts.include_object = req.param("includeObject");
    return json_response(200, make_table(res.kind, items, rv, opts));
  }
  json out = {{"kind", res.kind + "List"},
              {"apiVersion", res.group_version()},
              {"metadata", {{"resourceVersion", rv}}}};
  out["items"] = std::move(items);
  return json_response(200, out);
}

Response Router::get(const Request& req, const Route& route) {
  const ApiResource& res = *route.resource;
  auto stored = lookup(res, route.ns, route.name);
  if (!stored) return not_found(res, route.name);
  auto ext = to_external(res, *stored);
  if (!ext.is_ok()) return status_response(500, "InternalError", ext.status().message());
  if (auto table = table_accept(req.header("accept")); table && route.subresource.empty()) {
    TableOptions opts;
    opts.now = clock_.now();
    opts.api_version = *table;
    if (req.has_param("includeObject")) opts.include_object = req.param("includeObject");
    return json_response(200, make_table(res.kind, {*ext}, rv_of(*ext), opts));
  }
  return json_response(200, *ext);
}

Response Router::watch(const Request& req, const Route& route) {
  const ApiResource& res = *route.resource;
  auto selectors_or = parse_selectors(req, res);
  if (!selectors_or.is_ok()) return bad_request(selectors_or.status().message());
  const Selectors selectors = std::move(*selectors_or);
  const std::string name = route.name;  // GET .../{name}?watch=true (deprecated form)
  const std::string ns = res.namespaced ? route.ns : "";
  // How this watch sees a stored object: converted to the URL's version (the same for every
  // watch of the resource), then filtered by namespace, name and selectors (its own).
  auto convert = [&res](const json& stored) -> std::optional<json> {
    auto ext = to_external(res, stored);
    if (!ext.is_ok()) return std::nullopt;
    return std::move(*ext);
  };
  auto in_namespace = [ns](const json& stored) {
    return ns.empty() || member(member(stored, "metadata"), "namespace") == ns;
  };
  auto match = [selectors, name, in_namespace](const json& stored, const json& ext) {
    if (!in_namespace(stored)) return false;
    if (!name.empty() && member(member(ext, "metadata"), "name") != name) return false;
    return selectors.matches(ext);
  };
  WatchStream::Select select = [convert, match, in_namespace](const json& stored) -> std::optional<json> {
    try {
      if (!in_namespace(stored)) return std::nullopt;
      auto ext = convert(stored);
      if (!ext || !match(stored, *ext)) return std::nullopt;
      return ext;
    } catch (const std::exception&) {
      return std::nullopt;  // an object this watcher cannot show
    }
  };

  std::optional<std::string> table = table_accept(req.header("accept"));
  TableOptions base;
  base.api_version = table.value_or("meta.k8s.io/v1");
  if (req.has_param("includeObject")) base.include_object = req.param("includeObject");
  auto first = std::make_shared<bool>(true);
  core::Clock* clock = &clock_;
  const std::string kind = res.kind;
  WatchStream::Encode encode = [table, base, first, clock, kind](const std::string& type,
                                                                  const json& object) {
    if (table && type != "ERROR") {
      TableOptions opts = base;
      opts.now = clock->now();
      opts.include_columns = *first;
      json row = make_table(kind, {object}, rv_of(object), opts);
      *first = false;
      return "{\"type\":" + json(type).dump() + ",\"object\":" + row.dump() + "}\n";
    }
    return "{\"type\":" + json(type).dump() + ",\"object\":" + object.dump() + "}\n";
  };
  // Plain JSON watches of one resource see every object the same way: the hub encodes each
  // event once for all of them. (Table watches carry columns in their first event only and
  // an AGE of their own, so each encodes for itself.)
  std::optional<WatchStream::Shared> shared;
  if (!table)
    shared = WatchStream::Shared{"json " + res.group_version() + " " + res.resource, convert, match};

  std::chrono::seconds watch_timeout{0};
  if (const std::string timeout = req.param("timeoutSeconds"); !timeout.empty()) {
    try {
      long long s = std::stoll(timeout);
      if (s > 0) watch_timeout = std::chrono::seconds(s);
    } catch (const std::exception&) {
      return bad_request("invalid timeoutSeconds \"" + timeout + "\"");
    }
  }

  const std::string rv_param = req.param("resourceVersion");
  uint64_t from = 0;
  std::vector<std::pair<std::string, json>> initial;
  if (rv_param.empty() || rv_param == "0") {
    from = store_.resource_version();
    for (const json& stored : stored_list(res, ns))
      if (auto selected = select(stored)) initial.emplace_back("ADDED", std::move(*selected));
  } else {
    try {
      size_t used = 0;
      from = std::stoull(rv_param, &used);
      if (used != rv_param.size()) throw std::invalid_argument("trailing");
    } catch (const std::exception&) {
      return bad_request("invalid resource version \"" + rv_param + "\"");
    }
  }

  WatchHub::Start start = hub_.watch(res.store_kind, from, select, encode, std::move(initial), shared);
  Response r;
  r.status = 200;
  if (start.expired) {
    // kube-apiserver answers a too-old version with an ERROR event in a 200 stream.
    auto expired = std::make_shared<WatchStream>(WatchStream::Select(), encode, 1);
    expired->push("ERROR", status_body(410, "Expired",
                                       "too old resource version: " + std::to_string(from) + " (" +
                                           std::to_string(start.oldest) + ")"));
    expired->finish();
    r.watch = expired;
  } else {
    r.watch = start.stream;
  }
  r.watch_timeout = watch_timeout;
  return r;
}

std::string Router::trace_name(const Request& req, const std::string& verb, const Route& route,
                               const std::string& name) const {
  std::string command = req.header("kubectl-command");
  std::string who = command.empty() ? "HTTP " + req.method : command;
  std::string object = route.resource->resource;
  if (!route.subresource.empty()) object += "/" + route.subresource;
  return who + ": " + verb + " " + object + " " + (route.ns.empty() ? "" : route.ns + "/") + name;
}

}  // namespace csim::kube::apiserver
