// ConfigMaps (v1): what csim checks. csim stores and serves them (kubectl create / apply
// / get / describe / delete configmap) so that manifests holding one apply whole; no
// module reads them (no pod mounts them in csim).
//
// validate_config_map: data keys and binaryData keys ([-._a-zA-Z0-9]+, <= 253, see
// config_key_problem), data values strings, binaryData values base64, no key in both,
// immutable a boolean, total size (data values plus decoded binaryData) <= 1 MiB, as
// the Kubernetes API server checks them.
//
// Pure functions; thread-safe.
#pragma once

#include <cstddef>

#include <nlohmann/json.hpp>

#include "kube/field_error.h"

namespace csim::kube {

inline constexpr size_t kMaxConfigMapBytes = 1024 * 1024;

void validate_config_map(const nlohmann::json& config_map, FieldErrors& errors);

}  // namespace csim::kube
