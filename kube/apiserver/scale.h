// The scale subresource of Deployments (autoscaling/v1 Scale), what `kubectl scale` reads
// and patches: spec.replicas, status.replicas and status.selector ("app=web"). Pure;
// thread-safe.
#pragma once

#include <cstdint>

#include <nlohmann/json.hpp>

#include "core/status.h"

namespace csim::kube::apiserver {

// The Scale of a stored Deployment.
nlohmann::json scale_of(const nlohmann::json& deployment);

// spec.replicas of a Scale: an integer >= 0; kInvalid (message "spec.replicas: ...") otherwise.
core::Result<int64_t> replicas_of(const nlohmann::json& scale);

}  // namespace csim::kube::apiserver
