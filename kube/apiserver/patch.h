// PATCH bodies: which patch type a Content-Type names, and applying one to an object.
//
//   application/json-patch+json            RFC 6902 (JSON Patch)
//   application/merge-patch+json           RFC 7386 (JSON merge patch)
//   application/strategic-merge-patch+json kube/apiserver/strategic_merge.h
//   application/apply-patch+yaml           server-side apply: not supported (415)
// Pure; thread-safe.
#pragma once

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "core/status.h"

namespace csim::kube::apiserver {

enum class PatchType { kJson, kMerge, kStrategicMerge, kApply };

// From a Content-Type header (parameters ignored); nullopt for anything else.
std::optional<PatchType> patch_type(const std::string& content_type);

// Applies `patch` to `object` (an object of API kind `kind` in the request's version).
// kInvalid with a message when the patch is malformed or a JSON Patch operation fails
// ("json patch: ... path '/spec/x' not found"); kApply is rejected.
core::Result<nlohmann::json> apply_patch(PatchType type, const std::string& kind,
                                         const nlohmann::json& object, const nlohmann::json& patch);

}  // namespace csim::kube::apiserver
