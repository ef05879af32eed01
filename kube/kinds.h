// The kinds csim's kube-apiserver serves: their API versions, resource names and scope.
//
// One table, shared by the store (which kinds exist), validation (which apiVersions are
// accepted), apply (in which order kinds are written) and, later, the HTTP server
// (discovery, URLs, "ingresses.networking.k8s.io" in messages). Pure data; thread-safe.
#pragma once

#include <string>
#include <vector>

namespace csim::kube {

struct KindInfo {
  std::string kind;                       // "Ingress"
  std::string group;                      // "networking.k8s.io" ("" for the core group)
  std::string storage_version;            // apiVersion objects are stored in: "networking.k8s.io/v1"
  std::vector<std::string> api_versions;  // accepted on input, storage version first
  std::string resource;                   // plural resource name: "ingresses"
  std::vector<std::string> short_names;   // "ing"
  bool namespaced = true;
  int apply_rank = 0;                     // apply writes lower ranks first, deletes them last
};

// Every served kind, in apply order (Namespace first, Ingress last).
const std::vector<KindInfo>& served_kinds();

// The entry for `kind` ("Ingress"), or nullptr when csim does not serve it.
const KindInfo* find_kind(const std::string& kind);

// "ingresses.networking.k8s.io", "services" (core group): how Kubernetes names a
// resource in messages. Falls back to the lower-case kind for unknown kinds.
std::string qualified_resource(const std::string& kind);

// "Namespace, Node, Pod, ..." (for error messages).
std::string served_kind_names();

}  // namespace csim::kube
