// Ingress API versions: extensions/v1beta1 and networking.k8s.io/v1beta1 <-> networking.k8s.io/v1.
//
// The store keeps Ingresses in networking.k8s.io/v1; these functions convert on the way
// in and out, as the kube-apiserver's conversion does:
//   spec.backend                          <-> spec.defaultBackend
//   backend.serviceName                   <-> backend.service.name
//   backend.servicePort (number)          <-> backend.service.port.number
//   backend.servicePort (string)          <-> backend.service.port.name
//   paths[].pathType absent (old versions) -> "ImplementationSpecific" (the v1beta1 default)
// Every other field (metadata, tls, ingressClassName, resource backends, status, unknown
// fields) is copied unchanged, so v1 -> old -> v1 is the identity and old -> v1 -> old is
// the identity once pathType is set. Conversion does not validate: shapes it does not
// expect are copied as they are (validation reports them). Pure; thread-safe.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "core/status.h"

namespace csim::kube {

inline constexpr const char* kIngressV1 = "networking.k8s.io/v1";
inline constexpr const char* kIngressNetworkingV1beta1 = "networking.k8s.io/v1beta1";
inline constexpr const char* kIngressExtensionsV1beta1 = "extensions/v1beta1";

// True for the three apiVersions an Ingress may have.
bool is_ingress_api_version(const std::string& api_version);

// An Ingress in any supported version -> networking.k8s.io/v1. kInvalid when the object is
// not an Ingress or its apiVersion is not supported.
core::Result<nlohmann::json> ingress_to_v1(const nlohmann::json& ingress);

// A networking.k8s.io/v1 Ingress -> `api_version` (any supported one). kInvalid when the
// object is not a v1 Ingress or `api_version` is not supported.
core::Result<nlohmann::json> ingress_from_v1(const nlohmann::json& ingress,
                                             const std::string& api_version);

}  // namespace csim::kube
