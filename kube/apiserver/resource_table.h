// The REST resources the API server serves: one entry per (group, version, resource).
//
// Built from kube/kinds.h (every served kind in every apiVersion it accepts: Ingress in
// networking.k8s.io/v1, networking.k8s.io/v1beta1 and extensions/v1beta1) plus
// endpointslices (discovery.k8s.io/v1), a read-only view the server derives from
// Endpoints (kube/apiserver/endpoint_slices.h). Short names are given only in a kind's own
// group, so `kubectl get ing` maps to networking.k8s.io without an ambiguity warning.
// Pure data, built once; thread-safe.
#pragma once

#include <string>
#include <vector>

namespace csim::kube::apiserver {

struct ApiResource {
  std::string group;       // "" for the core group
  std::string version;     // "v1"
  std::string resource;    // "ingresses"
  std::string kind;        // "Ingress"
  std::string store_kind;  // kind in the ObjectStore ("Endpoints" for endpointslices)
  bool namespaced = true;
  bool read_only = false;  // derived view: get, list, watch only
  bool has_status = false; // serves {name}/status
  bool has_scale = false;  // serves {name}/scale (autoscaling/v1 Scale): Deployments
  std::vector<std::string> short_names;
  std::vector<std::string> verbs;
  std::vector<std::string> categories;

  std::string group_version() const;   // "networking.k8s.io/v1", "v1"
  std::string qualified() const;       // "ingresses.networking.k8s.io", "services"
  std::string qualified_kind() const;  // "Ingress.networking.k8s.io", "Service"
  std::string singular() const;        // "ingress"
};

struct ApiGroup {
  std::string name;                   // "networking.k8s.io"
  std::vector<std::string> versions;  // preferred first: {"v1", "v1beta1"}
};

// Every served resource: core group first, then the groups in /apis order.
const std::vector<ApiResource>& api_resources();

// The groups of /apis (not the core group), in the order kubectl should prefer them:
// networking.k8s.io, apps, discovery.k8s.io, extensions.
const std::vector<ApiGroup>& api_groups();

// The entry, or nullptr.
const ApiResource* find_resource(const std::string& group, const std::string& version,
                                 const std::string& resource);
// Resources of one group version, in table order (empty when the version is not served).
std::vector<const ApiResource*> resources_of(const std::string& group, const std::string& version);
// True when (group, version) is served ("" , "v1" is the core group).
bool serves_group_version(const std::string& group, const std::string& version);

// What a request path names.
struct Route {
  enum class Type {
    kNotFound,         // not an API path: plain "404 page not found"
    kHealth,           // /healthz, /livez, /readyz
    kVersion,          // /version
    kCoreRoot,         // /api
    kGroupsRoot,       // /apis
    kGroup,            // /apis/{group}
    kGroupVersion,     // /api/v1, /apis/{group}/{version}
    kOpenApiV2,        // /openapi/v2
    kOpenApiV3Root,    // /openapi/v3
    kOpenApiV3Doc,     // /openapi/v3/api/v1, /openapi/v3/apis/{group}/{version}
    kUnknownResource,  // a served group version, but no such resource (404 Status)
    kResource,         // a resource, collection or object
  };
  Type type = Type::kNotFound;
  std::string group;    // kGroup, kGroupVersion, kOpenApiV3Doc, kUnknownResource, kResource
  std::string version;
  const ApiResource* resource = nullptr;  // kResource
  std::string ns;             // "" = cluster-scoped or all namespaces
  std::string name;           // "" = the collection
  std::string subresource;    // "status"
  bool legacy_watch = false;  // /api/v1/watch/... form
  std::string unknown;        // kUnknownResource: the resource name asked for
};

// Parses a decoded path. Namespaced resources: /api/v1/namespaces/{ns}/{resource}[/{name}[/{sub}]]
// and /api/v1/{resource} (all namespaces); cluster-scoped: /api/v1/{resource}[/{name}[/{sub}]];
// /api/v1/namespaces/{name}[/status] is the Namespace itself.
Route parse_route(const std::string& path);

}  // namespace csim::kube::apiserver
