// Objects between the store's version and the version a request's URL names.
//
// The store keeps every kind in one version (Ingress in networking.k8s.io/v1); a request to
// /apis/extensions/v1beta1/... reads and writes extensions/v1beta1 shapes
// (kube/ingress_conversion.h converts). EndpointSlices are derived from Endpoints
// (kube/apiserver/endpoint_slices.h). Pure; thread-safe.
#pragma once

#include <nlohmann/json.hpp>

#include "core/status.h"
#include "kube/apiserver/resource_table.h"

namespace csim::kube::apiserver {

// A stored object as `res` serves it (apiVersion and kind set to the resource's). Pass an
// rvalue when the stored copy is no longer needed (lists): it is converted in place.
core::Result<nlohmann::json> to_external(const ApiResource& res, nlohmann::json stored);

// An object of `res`'s kind in any version the kind accepts -> the store's version.
core::Result<nlohmann::json> to_storage(const ApiResource& res, const nlohmann::json& external);

}  // namespace csim::kube::apiserver
