#include "kube/apiserver/discovery.h"

#include "kube/apiserver/http_message.h"
#include "kube/apiserver/resource_table.h"

namespace csim::kube::apiserver {

using nlohmann::json;

namespace {

const std::vector<std::string> kStatusVerbs = {"get", "patch", "update"};

json group_version_entry(const std::string& group, const std::string& version) {
  return {{"groupVersion", group.empty() ? version : group + "/" + version}, {"version", version}};
}

json legacy_group(const ApiGroup& g) {
  json versions = json::array();
  for (const std::string& v : g.versions) versions.push_back(group_version_entry(g.name, v));
  return {{"name", g.name},
          {"versions", versions},
          {"preferredVersion", group_version_entry(g.name, g.versions.front())}};
}

const ApiGroup* find_group(const std::string& name) {
  for (const ApiGroup& g : api_groups())
    if (g.name == name) return &g;
  return nullptr;
}

json aggregated_resource(const ApiResource& r) {
  json e = {{"resource", r.resource},
            {"responseKind", {{"group", r.group}, {"version", r.version}, {"kind", r.kind}}},
            {"scope", r.namespaced ? "Namespaced" : "Cluster"},
            {"singularResource", r.singular()},
            {"verbs", r.verbs}};
  if (!r.short_names.empty()) e["shortNames"] = r.short_names;
  if (!r.categories.empty()) e["categories"] = r.categories;
  json subresources = json::array();
  if (r.has_status)
    subresources.push_back({{"subresource", "status"},
                            {"responseKind", {{"group", r.group}, {"version", r.version}, {"kind", r.kind}}},
                            {"verbs", kStatusVerbs}});
  if (r.has_scale)
    subresources.push_back({{"subresource", "scale"},
                            {"responseKind", {{"group", "autoscaling"}, {"version", "v1"}, {"kind", "Scale"}}},
                            {"verbs", kStatusVerbs}});
  if (!subresources.empty()) e["subresources"] = subresources;
  return e;
}

json aggregated_versions(const std::string& group, const std::vector<std::string>& versions) {
  json out = json::array();
  for (const std::string& v : versions) {
    json resources = json::array();
    for (const ApiResource* r : resources_of(group, v)) resources.push_back(aggregated_resource(*r));
    out.push_back({{"version", v}, {"resources", resources}, {"freshness", "Current"}});
  }
  return out;
}

// Path of a resource's object URL, as OpenAPI writes it.
std::string object_path(const ApiResource& r) {
  std::string base = r.group.empty() ? "/api/" + r.version : "/apis/" + r.group + "/" + r.version;
  if (r.namespaced) base += "/namespaces/{namespace}";
  return base + "/" + r.resource + "/{name}";
}

// --- A minimal protobuf writer (length-delimited and string fields only). ---
class Pb {
 public:
  Pb& str(int field, const std::string& s) {
    key(field);
    varint(s.size());
    buf_ += s;
    return *this;
  }
  Pb& msg(int field, const Pb& m) { return str(field, m.buf_); }
  const std::string& bytes() const { return buf_; }

 private:
  void key(int field) { varint(static_cast<uint64_t>(field) << 3 | 2); }
  void varint(uint64_t v) {
    while (v >= 0x80) {
      buf_ += static_cast<char>((v & 0x7F) | 0x80);
      v >>= 7;
    }
    buf_ += static_cast<char>(v);
  }
  std::string buf_;
};

}  // namespace

json version_info() {
  return {{"major", kServerMajor},
          {"minor", kServerMinor},
          {"gitVersion", kServerGitVersion},
          {"gitCommit", "0000000000000000000000000000000000000000"},
          {"gitTreeState", "clean"},
          {"buildDate", "2024-12-11T00:00:00Z"},
          {"goVersion", "go1.23.4"},
          {"compiler", "gc"},
          {"platform", "linux/amd64"}};
}

json core_api_versions() {
  return {{"kind", "APIVersions"},
          {"versions", {"v1"}},
          {"serverAddressByClientCIDRs",
           json::array({{{"clientCIDR", "0.0.0.0/0"}, {"serverAddress", "127.0.0.1"}}})}};
}

json api_group_list() {
  json groups = json::array();
  for (const ApiGroup& g : api_groups()) groups.push_back(legacy_group(g));
  return {{"kind", "APIGroupList"}, {"apiVersion", "v1"}, {"groups", groups}};
}

json api_group(const std::string& group) {
  const ApiGroup* g = find_group(group);
  if (g == nullptr) return nullptr;
  json out = legacy_group(*g);
  out["kind"] = "APIGroup";
  out["apiVersion"] = "v1";
  return out;
}

json api_resource_list(const std::string& group, const std::string& version) {
  auto resources = resources_of(group, version);
  if (resources.empty()) return nullptr;
  json list = json::array();
  for (const ApiResource* r : resources) {
    json e = {{"name", r->resource},
              {"singularName", r->singular()},
              {"namespaced", r->namespaced},
              {"kind", r->kind},
              {"verbs", r->verbs}};
    if (!r->short_names.empty()) e["shortNames"] = r->short_names;
    if (!r->categories.empty()) e["categories"] = r->categories;
    list.push_back(e);
    if (r->has_status)
      list.push_back({{"name", r->resource + "/status"},
                      {"singularName", ""},
                      {"namespaced", r->namespaced},
                      {"kind", r->kind},
                      {"verbs", kStatusVerbs}});
    if (r->has_scale)
      list.push_back({{"name", r->resource + "/scale"},
                      {"singularName", ""},
                      {"namespaced", r->namespaced},
                      {"group", "autoscaling"},
                      {"version", "v1"},
                      {"kind", "Scale"},
                      {"verbs", kStatusVerbs}});
  }
  return {{"kind", "APIResourceList"},
          {"apiVersion", "v1"},
          {"groupVersion", group.empty() ? version : group + "/" + version},
          {"resources", list}};
}

std::optional<std::string> aggregated_discovery_version(const std::string& accept) {
  for (const std::string& range : split(accept, ',')) {
    std::vector<std::string> parts = split(range, ';');
    std::string type = to_lower(trim(parts[0]));
    std::string g, v, as;
    for (size_t i = 1; i < parts.size(); ++i) {
      std::string p = trim(parts[i]);
      size_t eq = p.find('=');
      if (eq == std::string::npos) continue;
      std::string k = to_lower(p.substr(0, eq));
      std::string val = p.substr(eq + 1);
      if (k == "g") g = val;
      if (k == "v") v = val;
      if (k == "as") as = val;
    }
    if (type == "application/json" && as == "APIGroupDiscoveryList" && g == "apidiscovery.k8s.io" &&
        (v == "v2" || v == "v2beta1"))
      return v;
    if (type == "application/json" && as.empty()) return std::nullopt;  // legacy preferred
    if (type == "*/*" || type == "application/*") return std::nullopt;
  }
  return std::nullopt;
}

json aggregated_discovery(bool core, const std::string& version) {
  json items = json::array();
  if (core) {
    items.push_back({{"metadata", json::object()}, {"versions", aggregated_versions("", {"v1"})}});
  } else {
    for (const ApiGroup& g : api_groups())
      items.push_back({{"metadata", {{"name", g.name}}}, {"versions", aggregated_versions(g.name, g.versions)}});
  }
  return {{"kind", "APIGroupDiscoveryList"},
          {"apiVersion", "apidiscovery.k8s.io/" + version},
          {"metadata", json::object()},
          {"items", items}};
}

std::string aggregated_content_type(const std::string& version) {
  return "application/json;g=apidiscovery.k8s.io;v=" + version + ";as=APIGroupDiscoveryList";
}

json openapi_v3_root() {
  json paths = json::object();
  paths["api/v1"] = {{"serverRelativeURL", "/openapi/v3/api/v1"}};
  for (const ApiGroup& g : api_groups())
    for (const std::string& v : g.versions) {
      std::string key = "apis/" + g.name + "/" + v;
      paths[key] = {{"serverRelativeURL", "/openapi/v3/" + key}};
    }
  return {{"paths", paths}};
}

json openapi_v3_document(const std::string& group, const std::string& version) {
  json paths = json::object();
  for (const ApiResource* r : resources_of(group, version)) {
    if (r->read_only) continue;
    paths[object_path(*r)] = {
        {"patch",
         {{"x-kubernetes-action", "patch"},
          {"x-kubernetes-group-version-kind",
           {{"group", r->group}, {"version", r->version}, {"kind", r->kind}}},
          {"parameters",
           json::array({{{"name", "fieldValidation"}, {"in", "query"}, {"schema", {{"type", "string"}}}},
                        {{"name", "fieldManager"}, {"in", "query"}, {"schema", {{"type", "string"}}}},
                        {{"name", "dryRun"}, {"in", "query"}, {"schema", {{"type", "string"}}}}})}}}};
  }
  return {{"openapi", "3.0.0"},
          {"info", {{"title", "Kubernetes (csim)"}, {"version", kServerGitVersion}}},
          {"paths", paths}};
}

std::string openapi_v2_protobuf() {
  // gnostic openapi.v2 field numbers: Document{swagger=1, info=2, paths=8};
  // Info{title=1, version=2}; Paths{path=2}; NamedPathItem{name=1, value=2};
  // PathItem{patch=8}; Operation{parameters=8, responses=9, vendor_extension=13};
  // ParametersItem{parameter=1}; Parameter{non_body_parameter=2};
  // NonBodyParameter{query_parameter_sub_schema=3}; QueryParameterSubSchema{in=2, name=4, type=6};
  // Responses{response_code=1}; NamedResponseValue{name=1, value=2}; ResponseValue{response=1};
  // Response{description=1}; NamedAny{name=1, value=2}; Any{yaml=2}.
  Pb paths;
  for (const ApiResource& r : api_resources()) {
    if (r.read_only) continue;
    Pb operation;
    for (const char* param : {"fieldValidation", "fieldManager", "dryRun"}) {
      Pb query;
      query.str(2, "query").str(4, param).str(6, "string");
      Pb non_body;
      non_body.msg(3, query);
      Pb parameter;
      parameter.msg(2, non_body);
      Pb item;
      item.msg(1, parameter);
      operation.msg(8, item);
    }
    Pb response;
    response.str(1, "OK");
    Pb response_value;
    response_value.msg(1, response);
    Pb named_response;
    named_response.str(1, "200").msg(2, response_value);
    Pb responses;
    responses.msg(1, named_response);
    operation.msg(9, responses);
    Pb any;
    any.str(2, "group: \"" + r.group + "\"\nkind: " + r.kind + "\nversion: " + r.version + "\n");
    Pb extension;
    extension.str(1, "x-kubernetes-group-version-kind").msg(2, any);
    operation.msg(13, extension);
    Pb path_item;
    path_item.msg(8, operation);
    Pb named_path;
    named_path.str(1, object_path(r)).msg(2, path_item);
    paths.msg(2, named_path);
  }
  Pb info;
  info.str(1, "Kubernetes (csim)").str(2, kServerGitVersion);
  Pb doc;
  doc.str(1, "2.0").msg(2, info).msg(8, paths);
  return doc.bytes();
}

}  // namespace csim::kube::apiserver
