// JSON merge patches (RFC 7386) and the three-way patch `kubectl apply` computes.
//
// three_way_merge_patch(original, modified, current) is the patch that turns `current`
// (the live object) into what the user now wants (`modified`), where `original` is what
// the user applied last time (the last-applied-configuration annotation):
//  - a field in `original` but not in `modified` is deleted (null in the patch),
//  - a field in `modified` that differs from `current` is set,
//  - fields only in `current` (set by the server or controllers: clusterIP, nodeName,
//    status, other annotations) are left alone.
// Lists are replaced as a whole (JSON merge-patch semantics). Apply the patch with
// nlohmann::json::merge_patch. Pure; thread-safe.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace csim::kube {

inline constexpr const char* kLastAppliedAnnotation =
    "kubectl.kubernetes.io/last-applied-configuration";

nlohmann::json three_way_merge_patch(const nlohmann::json& original,
                                     const nlohmann::json& modified,
                                     const nlohmann::json& current);

}  // namespace csim::kube
