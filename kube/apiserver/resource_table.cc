#include "kube/apiserver/resource_table.h"

#include <algorithm>

#include "kube/apiserver/http_message.h"
#include "kube/kinds.h"

namespace csim::kube::apiserver {
namespace {

const std::vector<std::string> kWriteVerbs = {"create", "delete", "deletecollection", "get",
                                              "list",   "patch",  "update",           "watch"};
const std::vector<std::string> kReadVerbs = {"get", "list", "watch"};

// Groups of /apis in the order kubectl should prefer them (§3.3 of kubectl-wire.md: the
// first group that serves a bare resource name wins).
const std::vector<std::string> kGroupOrder = {"networking.k8s.io", "apps", "discovery.k8s.io",
                                              "extensions"};

std::pair<std::string, std::string> split_api_version(const std::string& api_version) {
  size_t slash = api_version.find('/');
  if (slash == std::string::npos) return {"", api_version};
  return {api_version.substr(0, slash), api_version.substr(slash + 1)};
}

int group_rank(const std::string& group) {
  if (group.empty()) return -1;
  auto it = std::find(kGroupOrder.begin(), kGroupOrder.end(), group);
  return it == kGroupOrder.end() ? static_cast<int>(kGroupOrder.size())
                                 : static_cast<int>(it - kGroupOrder.begin());
}

std::vector<ApiResource> build_resources() {
  std::vector<ApiResource> out;
  for (const KindInfo& info : served_kinds()) {
    for (const std::string& api_version : info.api_versions) {
      auto [group, version] = split_api_version(api_version);
      ApiResource r;
      r.group = group;
      r.version = version;
      r.resource = info.resource;
      r.kind = info.kind;
      r.store_kind = info.kind;
      r.namespaced = info.namespaced;
      r.has_status = info.kind != "Event" && info.kind != "Endpoints";
      r.has_scale = info.kind == "Deployment";
      if (group == info.group) r.short_names = info.short_names;
      r.verbs = kWriteVerbs;
      if (info.kind == "Pod" || info.kind == "Service" || info.kind == "Deployment")
        r.categories = {"all"};
      out.push_back(std::move(r));
    }
  }
  ApiResource slices;
  slices.group = "discovery.k8s.io";
  slices.version = "v1";
  slices.resource = "endpointslices";
  slices.kind = "EndpointSlice";
  slices.store_kind = "Endpoints";
  slices.namespaced = true;
  slices.read_only = true;
  slices.verbs = kReadVerbs;
  out.push_back(std::move(slices));
  std::stable_sort(out.begin(), out.end(), [](const ApiResource& a, const ApiResource& b) {
    return group_rank(a.group) < group_rank(b.group);
  });
  return out;
}

}  // namespace

std::string ApiResource::group_version() const {
  return group.empty() ? version : group + "/" + version;
}
std::string ApiResource::qualified() const {
  return group.empty() ? resource : resource + "." + group;
}
std::string ApiResource::qualified_kind() const {
  return group.empty() ? kind : kind + "." + group;
}
std::string ApiResource::singular() const { return to_lower(kind); }

const std::vector<ApiResource>& api_resources() {
  static const std::vector<ApiResource> kResources = build_resources();
  return kResources;
}

const std::vector<ApiGroup>& api_groups() {
  static const std::vector<ApiGroup> kGroups = [] {
    std::vector<ApiGroup> groups;
    for (const ApiResource& r : api_resources()) {
      if (r.group.empty()) continue;
      auto it = std::find_if(groups.begin(), groups.end(),
                             [&](const ApiGroup& g) { return g.name == r.group; });
      if (it == groups.end()) {
        groups.push_back({r.group, {}});
        it = groups.end() - 1;
      }
      if (std::find(it->versions.begin(), it->versions.end(), r.version) == it->versions.end())
        it->versions.push_back(r.version);
    }
    // Preferred (storage) version first: kinds.h lists the storage version first, and a
    // group's versions keep that order; "v1" before "v1beta1" as a tie-break.
    for (ApiGroup& g : groups)
      std::stable_sort(g.versions.begin(), g.versions.end(), [](const std::string& a, const std::string& b) {
        bool a_beta = a.find("beta") != std::string::npos || a.find("alpha") != std::string::npos;
        bool b_beta = b.find("beta") != std::string::npos || b.find("alpha") != std::string::npos;
        return !a_beta && b_beta;
      });
    return groups;
  }();
  return kGroups;
}

const ApiResource* find_resource(const std::string& group, const std::string& version,
                                 const std::string& resource) {
  for (const ApiResource& r : api_resources())
    if (r.group == group && r.version == version && r.resource == resource) return &r;
  return nullptr;
}

std::vector<const ApiResource*> resources_of(const std::string& group, const std::string& version) {
  std::vector<const ApiResource*> out;
  for (const ApiResource& r : api_resources())
    if (r.group == group && r.version == version) out.push_back(&r);
  return out;
}

bool serves_group_version(const std::string& group, const std::string& version) {
  return !resources_of(group, version).empty();
}

namespace {

// Resource part of a path, after /api/v1 or /apis/{group}/{version}.
Route parse_resource_path(const std::string& group, const std::string& version,
                          std::vector<std::string> seg) {
  Route route;
  route.group = group;
  route.version = version;
  if (!seg.empty() && seg[0] == "watch") {
    route.legacy_watch = true;
    seg.erase(seg.begin());
  }
  if (seg.empty()) {
    route.type = Route::Type::kNotFound;
    return route;
  }
  auto unknown = [&](const std::string& name) {
    route.type = Route::Type::kUnknownResource;
    route.unknown = name;
    return route;
  };
  const ApiResource* res = nullptr;
  size_t rest = 0;
  if (seg[0] == "namespaces" && seg.size() >= 3 && seg[2] != "status" && seg[2] != "finalize") {
    res = find_resource(group, version, seg[2]);
    if (res == nullptr || !res->namespaced) return unknown(seg[2]);
    route.ns = seg[1];
    rest = 3;
  } else {
    res = find_resource(group, version, seg[0]);
    if (res == nullptr) return unknown(seg[0]);
    rest = 1;
  }
  if (seg.size() > rest + 2) return unknown(seg.back());
  route.resource = res;
  if (seg.size() > rest) route.name = seg[rest];
  if (seg.size() > rest + 1) route.subresource = seg[rest + 1];
  for (const std::string& s : seg)
    if (s.empty()) {
      route.type = Route::Type::kNotFound;
      return route;
    }
  route.type = Route::Type::kResource;
  return route;
}

}  // namespace

Route parse_route(const std::string& raw_path) {
  std::string path = raw_path;
  while (path.size() > 1 && path.back() == '/') path.pop_back();
  Route route;
  if (path == "/healthz" || path == "/livez" || path == "/readyz") {
    route.type = Route::Type::kHealth;
    return route;
  }
  if (path == "/version") {
    route.type = Route::Type::kVersion;
    return route;
  }
  if (path == "/api") {
    route.type = Route::Type::kCoreRoot;
    return route;
  }
  if (path == "/apis") {
    route.type = Route::Type::kGroupsRoot;
    return route;
  }
  if (path == "/openapi/v2" || path == "/swagger-2.0.0.pb-v1") {
    route.type = Route::Type::kOpenApiV2;
    return route;
  }
  if (path == "/openapi/v3") {
    route.type = Route::Type::kOpenApiV3Root;
    return route;
  }
  if (path.empty() || path[0] != '/') return route;
  std::vector<std::string> seg = split(std::string_view(path).substr(1), '/');
  if (seg.size() >= 3 && seg[0] == "openapi" && seg[1] == "v3") {
    if (seg.size() == 4 && seg[2] == "api" && serves_group_version("", seg[3])) {
      route.type = Route::Type::kOpenApiV3Doc;
      route.version = seg[3];
    } else if (seg.size() == 5 && seg[2] == "apis" && serves_group_version(seg[3], seg[4])) {
      route.type = Route::Type::kOpenApiV3Doc;
      route.group = seg[3];
      route.version = seg[4];
    }
    return route;
  }
  if (seg[0] == "api" && seg.size() >= 2) {
    if (!serves_group_version("", seg[1])) return route;
    if (seg.size() == 2) {
      route.type = Route::Type::kGroupVersion;
      route.version = seg[1];
      return route;
    }
    return parse_resource_path("", seg[1], std::vector<std::string>(seg.begin() + 2, seg.end()));
  }
  if (seg[0] == "apis" && seg.size() >= 2) {
    bool group_known = std::any_of(api_groups().begin(), api_groups().end(),
                                   [&](const ApiGroup& g) { return g.name == seg[1]; });
    if (!group_known) return route;
    if (seg.size() == 2) {
      route.type = Route::Type::kGroup;
      route.group = seg[1];
      return route;
    }
    if (!serves_group_version(seg[1], seg[2])) return route;
    if (seg.size() == 3) {
      route.type = Route::Type::kGroupVersion;
      route.group = seg[1];
      route.version = seg[2];
      return route;
    }
    return parse_resource_path(seg[1], seg[2], std::vector<std::string>(seg.begin() + 3, seg.end()));
  }
  return route;
}

}  // namespace csim::kube::apiserver
