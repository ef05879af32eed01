// Discovery and OpenAPI documents (kubectl-wire.md §2-§4).
//
//  - /version: minor "32" (the gcloud kubectl dispatcher then runs its bundled 1.32).
//  - Legacy discovery: /api (APIVersions), /apis (APIGroupList, networking.k8s.io first),
//    /api/v1 and /apis/{g}/{v} (APIResourceList), /apis/{g} (APIGroup).
//  - Aggregated discovery (APIGroupDiscoveryList, apidiscovery.k8s.io v2 or v2beta1) for
//    /api and /apis when the Accept header asks for it; the response Content-Type must
//    then be aggregated_content_type(version).
//  - /openapi/v3 and /openapi/v3/{api/v1 | apis/g/v}: per group version, one PATCH operation
//    per writable resource tagged with its group-version-kind and declaring the
//    `fieldValidation` query parameter, so kubectl >= 1.29 delegates --validate to the server.
//  - /openapi/v2: the same paths as a gnostic protobuf Document (kubectl 1.27/1.28 only
//    read protobuf v2), without definitions, so kubectl's apply computes patches from its
//    compiled-in types.
// Built from resource_table.h. Pure; thread-safe.
#pragma once

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace csim::kube::apiserver {

inline constexpr const char* kServerMajor = "1";
inline constexpr const char* kServerMinor = "32";
inline constexpr const char* kServerGitVersion = "v1.32.0";
inline constexpr const char* kOpenApiV2ContentType =
    "application/com.github.proto-openapi.spec.v2.v1.0+protobuf";  // Go-parseable form

nlohmann::json version_info();

nlohmann::json core_api_versions();                       // /api (legacy)
nlohmann::json api_group_list();                          // /apis (legacy)
nlohmann::json api_group(const std::string& group);       // /apis/{g}; null if unknown
nlohmann::json api_resource_list(const std::string& group, const std::string& version);  // null if unknown

// "v2" or "v2beta1" when the Accept header asks for an APIGroupDiscoveryList (the first
// acceptable media range wins), else nullopt (serve the legacy document).
std::optional<std::string> aggregated_discovery_version(const std::string& accept);
// `core`: the document for /api, else for /apis. `version`: "v2" or "v2beta1".
nlohmann::json aggregated_discovery(bool core, const std::string& version);
std::string aggregated_content_type(const std::string& version);

nlohmann::json openapi_v3_root();
nlohmann::json openapi_v3_document(const std::string& group, const std::string& version);
// The serialized protobuf (gnostic openapi.v2.Document).
std::string openapi_v2_protobuf();

}  // namespace csim::kube::apiserver
