// Strategic merge patch (application/strategic-merge-patch+json), as kube-apiserver applies
// the patches kubectl apply / edit / label send (kubectl-wire.md §6).
//
// Maps merge recursively; null deletes a key. Lists follow each field's patch strategy,
// which Kubernetes keeps in its Go types; patch_list_meta() has the ones of csim's kinds:
//  - merge by key: containers, initContainers, ephemeralContainers, volumes,
//    imagePullSecrets (name); container ports (containerPort); env (name); volumeMounts
//    (mountPath); volumeDevices (devicePath); hostAliases (ip); topologySpreadConstraints
//    (topologyKey); Service spec.ports (port); metadata.ownerReferences (uid); status
//    conditions (type); Node status.addresses (type); Pod status.podIPs (ip);
//  - set of primitives: metadata.finalizers, Node spec.podCIDRs;
//  - everything else (all Ingress lists: rules, paths, tls, hosts) is atomic: replaced whole.
// Directives: $patch: replace|delete|merge (in maps and as list elements),
// $setElementOrder/<list>, $deleteFromPrimitiveList/<list>, $retainKeys. Directive keys
// never reach the result. Pure; thread-safe.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/status.h"

namespace csim::kube::apiserver {

struct ListMeta {
  std::string merge_key;  // "" = a set of primitives (merged by value)
};

// How the list at `path` (field names from the object root, no indices:
// {"spec", "template", "spec", "containers"}) of a `kind` object merges; nullopt = atomic.
std::optional<ListMeta> patch_list_meta(const std::string& kind, const std::vector<std::string>& path);

// Applies `patch` to `original` (both JSON objects). kInvalid when the patch is not an
// object or a directive is malformed ("$setElementOrder/containers: must be a list").
core::Result<nlohmann::json> strategic_merge(const std::string& kind, const nlohmann::json& original,
                                             const nlohmann::json& patch);

}  // namespace csim::kube::apiserver
