#include "controller/rest/rest_handler.h"

#include <algorithm>
#include <cctype>
#include <optional>
#include <set>

#include "controller/rest/query_params.h"
#include "controller/rest/vnc_json.h"
#include "controller/rest/vnc_types.h"

namespace csim::controller {
namespace {

using nlohmann::json;

constexpr char kModule[] = "config-api";

std::string join(const FqName& fq) {
  std::string out;
  for (size_t i = 0; i < fq.size(); ++i) out += (i ? ":" : "") + fq[i];
  return out;
}

// A Host header we can put into hrefs: host[:port] or [v6]:port, nothing else.
bool plain_host(const std::string& host) {
  if (host.empty() || host.size() > 255) return false;
  for (char c : host)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '-' && c != ':' &&
        c != '[' && c != ']')
      return false;
  return true;
}

RestResponse ok(json body) {
  RestResponse r;
  r.body = std::move(body);
  return r;
}

RestResponse with_status_name(RestResponse r, const char* name) {
  r.body["error"]["status"] = name;
  return r;
}

RestResponse from_status(const core::Status& s) {
  return with_status_name(error_response(http_status_of(s.code()), s.message()),
                          core::code_name(s.code()));
}

// A write's error: a missing parent or ref target is the request's fault (400).
RestResponse write_error(const core::Status& s) {
  if (s.code() == core::Code::kNotFound)
    return with_status_name(error_response(400, s.message()), "Invalid");
  return from_status(s);
}

RestResponse method_not_allowed(const std::string& method, const std::string& path,
                                const std::string& allow) {
  RestResponse r =
      error_response(405, method + " is not allowed on " + path + " (allowed: " + allow + ")");
  r.allow = allow;
  return r;
}

core::Result<json> parse_body(const std::string& body) {
  if (body.empty()) return core::invalid("the request has no body (JSON expected)");
  json j = json::parse(body, nullptr, false);
  if (j.is_discarded()) return core::invalid("the body is not valid JSON");
  return j;
}

bool wants_any(const std::optional<std::set<std::string>>& fields, const std::string& suffix) {
  if (!fields) return true;
  for (const auto& f : *fields)
    if (f.size() > suffix.size() && f.compare(f.size() - suffix.size(), suffix.size(), suffix) == 0)
      return true;
  return false;
}

bool wants_children(const std::optional<std::set<std::string>>& fields) {
  if (!fields) return true;
  for (const auto& f : *fields)
    if (is_children_field(f)) return true;
  return false;
}

// Everything one request needs.
class Call {
 public:
  Call(ConfigApi& api, core::Bus* bus, const RestRequest& req, const std::string& base_url)
      : api_(api), bus_(bus), req_(req), base_url_(base_url) {}

  RestResponse run() {
    auto target = parse_target(req_.target);
    if (!target) return from_status(target.status());
    query_ = target->query;
    const auto& seg = target->segments;
    path_ = req_.target.substr(0, req_.target.find('?'));
    const std::string& m = req_.method;

    if (seg.empty()) {
      if (m != "GET") return method_not_allowed(m, "/", "GET");
      return homepage();
    }
    if (seg.size() == 1) {
      const std::string& s = seg[0];
      if (s == "fqname-to-id" || s == "id-to-fqname" || s == "ref-update") {
        if (m != "POST") return method_not_allowed(m, path_, "POST");
        auto body = parse_body(req_.body);
        if (!body) return error_response(400, s + ": " + body.status().message());
        if (!body->is_object()) return error_response(400, s + ": the body must be a JSON object");
        if (s == "fqname-to-id") return fqname_to_id(*body);
        if (s == "id-to-fqname") return id_to_fqname(*body);
        return ref_update(*body);
      }
      if (auto type = type_of_collection(s)) {
        if (m == "GET") return list(*type);
        if (m == "POST") return create(*type);
        return method_not_allowed(m, path_, "GET, POST");
      }
      if (is_vnc_type(s))
        return error_response(
            404, "/" + s + " needs a uuid: /" + s + "/<uuid> (or list /" + collection_of(s) + ")");
      return error_response(404, "no such resource type or path: /" + s);
    }
    if (seg.size() == 2) {
      if (!is_vnc_type(seg[0])) return error_response(404, "no such resource type: " + seg[0]);
      if (m == "GET") return read(seg[0], seg[1]);
      if (m == "PUT") return update(seg[0], seg[1]);
      if (m == "DELETE") return remove(seg[0], seg[1]);
      return method_not_allowed(m, path_, "GET, PUT, DELETE");
    }
    return error_response(404, "no such path: " + path_);
  }

 private:
  // Runs a write inside a trace scope named after the request, when tracing.
  template <class Fn>
  auto traced(Fn fn) const {
    std::optional<core::TraceScope> scope;
    if (bus_) scope.emplace(*bus_, kModule, req_.method + " " + path_);
    return fn();
  }

  ShapeOptions shape(bool hrefs, std::optional<std::set<std::string>> fields) const {
    ShapeOptions o;
    o.base_url = base_url_;
    o.hrefs = hrefs;
    o.fields = std::move(fields);
    return o;
  }

  // The object of that type and uuid, or the 404 that says it is not there.
  core::Result<ConfigObject> find(const std::string& type, const std::string& uuid) const {
    auto o = api_.read(uuid);
    if (!o || o->type != type)
      return core::not_found(type + " " + uuid + " not found" +
                             (o ? " (that uuid is a " + o->type + ")" : ""));
    return std::move(*o);
  }

  RestResponse homepage() const {
    json links = json::array();
    auto add = [&](const std::string& href, const std::string& name, const std::string& rel,
                   const char* method) {
      json l = {{"href", base_url_ + href}, {"name", name}, {"rel", rel}};
      if (method) l["method"] = method;
      links.push_back({{"link", std::move(l)}});
    };
    for (const auto& t : vnc_types()) {
      add("/" + collection_of(t), t, "collection", nullptr);
      add("/" + t, t, "resource-base", nullptr);
    }
    add("/fqname-to-id", "name-to-id", "action", "POST");
    add("/id-to-fqname", "id-to-name", "action", "POST");
    add("/ref-update", "ref-update", "action", "POST");
    return ok({{"href", base_url_}, {"links", std::move(links)}});
  }

  RestResponse read(const std::string& type, const std::string& uuid) const {
    auto opts = parse_read_options(query_);
    if (!opts) return from_status(opts.status());
    auto o = find(type, uuid);
    if (!o) return from_status(o.status());
    const std::string etag =
        "\"" + o->props.value("id_perms", json::object()).value("last_modified", "") + "\"";
    if (!req_.if_none_match.empty() && req_.if_none_match == etag) {
      RestResponse r;
      r.status = 304;
      r.etag = etag;
      return r;
    }
    std::vector<ConfigObject> back_refs, children;
    Related related;
    if (!opts->exclude_back_refs && wants_any(opts->fields, "_back_refs")) {
      back_refs = api_.back_refs(uuid);
      related.back_refs = &back_refs;
    }
    if (!opts->exclude_children && wants_children(opts->fields)) {
      children = api_.children(uuid);
      related.children = &children;
    }
    RestResponse r =
        ok({{type, vnc_object(*o, related, shape(!opts->exclude_hrefs, opts->fields))}});
    r.etag = etag;
    return r;
  }

  // Parent uuids named by parent_fq_name_str (+ parent_type).
  core::Result<std::vector<std::string>> parents_by_fq(const std::string& type,
                                                       const ListOptions& o) const {
    std::vector<std::string> types;
    if (!o.parent_type.empty()) {
      types.push_back(type_from_field(o.parent_type));
    } else if (auto p = schema_parents(type); p && !p->empty()) {
      types = *p;
    } else {
      types = vnc_types();
    }
    std::vector<std::string> out;
    for (const auto& t : types)
      if (auto p = api_.read_fq(t, *o.parent_fq_name)) out.push_back(p->uuid);
    if (out.empty())
      return core::not_found("parent " + (o.parent_type.empty() ? "" : o.parent_type + " ") +
                             join(*o.parent_fq_name) + " not found");
    return out;
  }

  RestResponse list(const std::string& type) const {
    auto opts = parse_list_options(query_);
    if (!opts) return from_status(opts.status());
    const ListOptions& o = *opts;
    const std::string key = collection_of(type);

    std::vector<std::string> parents = o.parent_ids;
    if (o.parent_fq_name) {
      auto p = parents_by_fq(type, o);
      if (!p) return from_status(p.status());
      parents.insert(parents.end(), p->begin(), p->end());
    }
    std::vector<ConfigObject> objs;
    if (!o.parent_ids.empty() || o.parent_fq_name) {
      std::set<std::string> seen;
      for (const auto& p : parents) {
        if (!seen.insert(p).second) continue;
        auto children = api_.list(type, p);
        objs.insert(objs.end(), std::make_move_iterator(children.begin()),
                    std::make_move_iterator(children.end()));
      }
    } else {
      objs = api_.list(type);
    }
    std::optional<std::set<std::string>> referring;
    if (!o.back_ref_ids.empty()) {
      referring.emplace();
      for (const auto& id : o.back_ref_ids)
        for (const auto& holder : api_.back_refs(id, type)) referring->insert(holder.uuid);
    }
    const std::set<std::string> uuids(o.obj_uuids.begin(), o.obj_uuids.end());
    const std::set<FqName> fqs(o.fq_names.begin(), o.fq_names.end());
    auto keep = [&](const ConfigObject& c) {
      if (referring && !referring->count(c.uuid)) return false;
      if (!uuids.empty() && !uuids.count(c.uuid)) return false;
      if (!fqs.empty() && !fqs.count(c.fq_name)) return false;
      for (const auto& [field, value] : o.filters) {
        auto it = c.props.find(field);
        if (it == c.props.end()) return false;
        if (!(it->is_string() ? it->get<std::string>() == value : it->dump() == value))
          return false;
      }
      return true;
    };
    objs.erase(
        std::remove_if(objs.begin(), objs.end(), [&](const ConfigObject& c) { return !keep(c); }),
        objs.end());

    if (o.count) return ok({{key, {{"count", objs.size()}}}});

    json marker;
    if (o.page_limit) {
      std::sort(objs.begin(), objs.end(),
                [](const ConfigObject& a, const ConfigObject& b) { return a.uuid < b.uuid; });
      auto first =
          std::upper_bound(objs.begin(), objs.end(), o.page_marker,
                           [](const std::string& m, const ConfigObject& c) { return m < c.uuid; });
      if (o.page_marker.empty()) first = objs.begin();
      const size_t remaining = static_cast<size_t>(objs.end() - first);
      const size_t take = std::min(remaining, *o.page_limit);
      std::vector<ConfigObject> page(std::make_move_iterator(first),
                                     std::make_move_iterator(first + take));
      if (take < remaining) marker = page.back().uuid;
      objs = std::move(page);
    } else {
      std::sort(objs.begin(), objs.end(), [](const ConfigObject& a, const ConfigObject& b) {
        return a.fq_name != b.fq_name ? a.fq_name < b.fq_name : a.uuid < b.uuid;
      });
    }

    const ShapeOptions opt = shape(!o.exclude_hrefs, o.fields);
    json entries = json::array();
    // Back-refs and children only when fields= names some (a detailed list has properties
    // and refs, as the api-server's).
    const bool with_back_refs = o.fields && wants_any(o.fields, "_back_refs");
    const bool with_children = o.fields && wants_children(o.fields);
    for (const ConfigObject& c : objs) {
      std::vector<ConfigObject> back_refs, children;
      Related related;
      if (with_back_refs) {
        back_refs = api_.back_refs(c.uuid);
        related.back_refs = &back_refs;
      }
      if (with_children) {
        children = api_.children(c.uuid);
        related.children = &children;
      }
      if (o.detail)
        entries.push_back({{type, vnc_object(c, related, opt)}});
      else
        entries.push_back(vnc_list_entry(c, related, opt));
    }
    json body = {{key, std::move(entries)}};
    if (o.page_limit) body["marker"] = marker;
    return ok(std::move(body));
  }

  // The parent a create names, resolved: (type, uuid, fq_name), or none for a root object.
  struct Parent {
    std::string type, uuid;
    FqName fq_name;
  };

  core::Result<std::optional<Parent>> resolve_parent(const std::string& what, const VncWrite& w,
                                                     const std::optional<FqName>& fq) const {
    if (!w.parent_uuid.empty()) {
      auto p = api_.read(w.parent_uuid);
      if (!p)
        return core::invalid(what + ": parent " +
                             (w.parent_type.empty() ? "" : w.parent_type + " ") + w.parent_uuid +
                             " does not exist");
      if (!w.parent_type.empty() && p->type != w.parent_type)
        return core::invalid(what + ": parent " + w.parent_uuid + " is a " + p->type + ", not a " +
                             w.parent_type);
      return std::optional<Parent>(Parent{p->type, p->uuid, p->fq_name});
    }
    if (!fq || fq->size() < 2) {
      if (!w.parent_type.empty())
        return core::invalid(what + ": parent_type " + w.parent_type +
                             " needs parent_uuid or an fq_name that starts with the parent's");
      return std::optional<Parent>();
    }
    const FqName pfq(fq->begin(), fq->end() - 1);
    std::vector<std::string> types;
    if (!w.parent_type.empty()) {
      types.push_back(w.parent_type);
    } else if (auto p = schema_parents(w.type); p && !p->empty()) {
      types = *p;
    } else {
      types = vnc_types();
    }
    std::vector<ConfigObject> found;
    for (const auto& t : types)
      if (auto p = api_.read_fq(t, pfq)) found.push_back(std::move(*p));
    if (found.empty())
      return core::invalid(what + ": parent " + (w.parent_type.empty() ? "" : w.parent_type + " ") +
                           join(pfq) + " does not exist");
    if (found.size() > 1)
      return core::invalid(what + ": parent " + join(pfq) + " is ambiguous (a " + found[0].type +
                           " and a " + found[1].type + "); give parent_type");
    return std::optional<Parent>(Parent{found[0].type, found[0].uuid, found[0].fq_name});
  }

  RestResponse create(const std::string& type) const {
    auto body = parse_body(req_.body);
    if (!body) return error_response(400, "create " + type + ": " + body.status().message());
    auto w = parse_vnc_write(type, *body);
    if (!w) return from_status(w.status());
    if (!w->uuid.empty() && !is_canonical_uuid(w->uuid))
      return error_response(400, type + ".uuid: \"" + w->uuid +
                                     "\" is not a uuid (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)");
    std::optional<FqName> fq = w->fq_name;
    const std::string what = "create " + type +
                             (fq        ? " " + join(*fq)
                              : w->name ? " " + *w->name
                                        : std::string());
    if (fq && w->name && *w->name != fq->back())
      return error_response(
          400, what + ": name \"" + *w->name + "\" is not the last element of fq_name");
    if (!fq && !w->name) return error_response(400, what + ": needs fq_name (or name)");

    auto parent = resolve_parent(what, *w, fq);
    if (!parent) return from_status(parent.status());
    if (!fq) {
      fq = *parent ? (*parent)->fq_name : FqName{};
      fq->push_back(*w->name);
    }
    if (auto allowed = schema_parents(type)) {
      if (allowed->empty() && *parent)
        return error_response(400, what + ": " + type +
                                       " is a root object: it has no parent (got " +
                                       (*parent)->type + " " + (*parent)->uuid + ")");
      if (!allowed->empty() && (!*parent || std::find(allowed->begin(), allowed->end(),
                                                      (*parent)->type) == allowed->end())) {
        std::string names;
        for (size_t i = 0; i < allowed->size(); ++i) names += (i ? " or " : "") + (*allowed)[i];
        return error_response(400, what + ": the parent of a " + type + " must be a " + names +
                                       (*parent ? " (got " + (*parent)->type + ")"
                                                : " (none given: set parent_type and parent_uuid "
                                                  "or an fq_name under the parent)"));
      }
    }
    ConfigObject obj = object_for_create(*w, *fq);
    obj.parent_type = *parent ? (*parent)->type : "";
    obj.parent_uuid = *parent ? (*parent)->uuid : "";
    auto created = traced([&] { return api_.create(std::move(obj)); });
    if (!created) return write_error(created.status());
    return ok({{type, vnc_object(*created, Related{}, shape(true, std::set<std::string>{}))}});
  }

  RestResponse update(const std::string& type, const std::string& uuid) const {
    auto stored = find(type, uuid);
    if (!stored) return from_status(stored.status());
    auto body = parse_body(req_.body);
    if (!body)
      return error_response(400, "update " + type + " " + uuid + ": " + body.status().message());
    auto w = parse_vnc_write(type, *body);
    if (!w) return from_status(w.status());
    if (!w->uuid.empty() && w->uuid != uuid)
      return error_response(400, "update " + type + " " + uuid + ": the body's uuid " + w->uuid +
                                     " is not the one in the URL");
    if (w->name && *w->name != stored->name())
      return error_response(400, "update " + type + " " + uuid + ": name cannot change (is " +
                                     stored->name() + ", got " + *w->name + ")");
    ConfigObject merged = merge_update(*stored, *w);
    if (w->fq_name) merged.fq_name = *w->fq_name;  // the DB refuses a change, naming it
    if (!w->parent_uuid.empty()) merged.parent_uuid = w->parent_uuid;
    auto updated = traced([&] { return api_.update(std::move(merged)); });
    if (!updated) return write_error(updated.status());
    return ok({{type, {{"uuid", uuid}, {"href", vnc_href(base_url_, type, uuid)}}}});
  }

  RestResponse remove(const std::string& type, const std::string& uuid) const {
    auto stored = find(type, uuid);
    if (!stored) return from_status(stored.status());
    core::Status s = traced([&] { return api_.remove(type, uuid); });
    if (!s) return from_status(s);
    return RestResponse{};
  }

  RestResponse fqname_to_id(const json& body) const {
    const json type = body.value("type", json());
    const json fq = body.value("fq_name", json());
    if (!type.is_string() || !fq.is_array() || fq.empty() ||
        !std::all_of(fq.begin(), fq.end(), [](const json& e) { return e.is_string(); }))
      return error_response(400,
                            "fqname-to-id: the body must be {\"type\": \"<type>\", "
                            "\"fq_name\": [\"...\"]}");
    const std::string t = type_from_field(type.get<std::string>());
    const FqName name = fq.get<FqName>();
    if (!is_vnc_type(t)) return error_response(404, "fqname-to-id: no such type " + t);
    auto o = api_.read_fq(t, name);
    if (!o) return error_response(404, "fqname-to-id: " + t + " " + join(name) + " not found");
    return ok({{"uuid", o->uuid}});
  }

  RestResponse id_to_fqname(const json& body) const {
    const json uuid = body.value("uuid", json());
    if (!uuid.is_string())
      return error_response(400, "id-to-fqname: the body must be {\"uuid\": \"...\"}");
    auto o = api_.read(uuid.get<std::string>());
    if (!o) return error_response(404, "id-to-fqname: " + uuid.get<std::string>() + " not found");
    return ok({{"fq_name", o->fq_name}, {"type", o->type}});
  }

  RestResponse ref_update(const json& body) const {
    auto str = [&](const char* key) {
      auto it = body.find(key);
      return it != body.end() && it->is_string() ? it->get<std::string>() : std::string();
    };
    const std::string type = type_from_field(str("type"));
    const std::string uuid = str("uuid");
    const std::string ref_type = type_from_field(str("ref-type"));
    std::string ref_uuid = str("ref-uuid");
    std::string op = str("operation");
    std::transform(op.begin(), op.end(), op.begin(), ::toupper);
    if (type.empty() || uuid.empty() || ref_type.empty() || (op != "ADD" && op != "DELETE"))
      return error_response(400,
                            "ref-update: the body needs \"type\", \"uuid\", \"ref-type\", "
                            "\"ref-uuid\" (or \"ref-fq-name\") and \"operation\" (ADD or "
                            "DELETE)");
    if (!is_vnc_type(type)) return error_response(400, "ref-update: no such type " + type);
    if (!is_vnc_type(ref_type))
      return error_response(400, "ref-update: no such ref-type " + ref_type);
    auto o = find(type, uuid);
    if (!o) return from_status(o.status());
    const std::string what = "ref-update " + type + " " + uuid + " -> " + ref_type;
    if (ref_uuid.empty()) {
      const json fq = body.value("ref-fq-name", json());
      if (!fq.is_array() || fq.empty() ||
          !std::all_of(fq.begin(), fq.end(), [](const json& e) { return e.is_string(); }))
        return error_response(400, what + ": needs \"ref-uuid\" or \"ref-fq-name\"");
      auto target = api_.read_fq(ref_type, fq.get<FqName>());
      if (!target)
        return error_response(
            400, what + ": " + ref_type + " " + join(fq.get<FqName>()) + " does not exist");
      ref_uuid = target->uuid;
    }
    json attr = body.value("attr", json());
    core::Status s = traced([&] {
      return api_.ref_update(type, uuid, ref_type, ref_uuid,
                             op == "ADD" ? RefOp::kAdd : RefOp::kDelete, attr);
    });
    if (!s) return write_error(s);
    return ok({{"uuid", uuid}});
  }

  ConfigApi& api_;
  core::Bus* bus_;
  const RestRequest& req_;
  const std::string base_url_;
  QueryParams query_;
  std::string path_;
};

}  // namespace

int http_status_of(core::Code code) {
  switch (code) {
    case core::Code::kOk:
      return 200;
    case core::Code::kInvalid:
      return 400;
    case core::Code::kNotFound:
      return 404;
    case core::Code::kAlreadyExists:
      return 409;
    case core::Code::kConflict:
      return 409;
    case core::Code::kUnavailable:
      return 503;
    case core::Code::kInternal:
      return 500;
  }
  return 500;
}

RestResponse error_response(int http_status, const std::string& message) {
  const char* name = "Error";
  switch (http_status) {
    case 400:
      name = core::code_name(core::Code::kInvalid);
      break;
    case 404:
      name = core::code_name(core::Code::kNotFound);
      break;
    case 409:
      name = core::code_name(core::Code::kConflict);
      break;
    case 503:
      name = core::code_name(core::Code::kUnavailable);
      break;
    case 500:
      name = core::code_name(core::Code::kInternal);
      break;
    case 401:
      name = "Unauthorized";
      break;
    case 405:
      name = "MethodNotAllowed";
      break;
    case 413:
      name = "PayloadTooLarge";
      break;
    default:
      break;
  }
  RestResponse r;
  r.status = http_status;
  r.body = {{"error", {{"code", http_status}, {"status", name}, {"message", message}}}};
  return r;
}

RestHandler::RestHandler(ConfigApi& api, core::Bus* trace_bus) : api_(api), trace_bus_(trace_bus) {}

RestResponse RestHandler::handle(const RestRequest& request,
                                 const std::string& default_host) const {
  const std::string host = plain_host(request.host) ? request.host : default_host;
  try {
    return Call(api_, trace_bus_, request, "http://" + host).run();
  } catch (const std::exception& e) {  // e.g. a stored value of an unexpected JSON type
    return error_response(500,
                          request.method + " " + request.target + ": internal error: " + e.what());
  }
}

}  // namespace csim::controller
