// Defaulting: the fields the kube-apiserver fills in before storing an object.
//
// Applied to objects in their storage version, after validation (shapes it does not
// expect are left alone):
//  - Service: spec.type "ClusterIP"; ports[].protocol "TCP"; ports[].targetPort = port.
//  - Pod spec (also a Deployment's template): restartPolicy "Always";
//    containers[].ports[].protocol "TCP".
//  - Deployment: spec.replicas 1.
//  - Secret: type "Opaque"; stringData folded into data (kube/secret.h normalize_secret);
//  - Ingress: none here (the old versions' pathType default is part of conversion).
// A field that is present is never changed. Pure; thread-safe.
#pragma once

#include <nlohmann/json.hpp>

namespace csim::kube {

void apply_defaults(nlohmann::json& object);

}  // namespace csim::kube
