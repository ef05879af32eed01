// Validation of Kubernetes objects before they are stored (what the kube-apiserver checks).
//
// validate() returns every problem it finds, each with its field path, in the object's
// own apiVersion (an extensions/v1beta1 Ingress is checked with its own field names:
// "spec.rules[0].http.paths[0].backend.serviceName: is required"). It checks:
//  - kind (served kinds: kube/kinds.h) and apiVersion (the versions each kind accepts);
//  - metadata: name as Kubernetes checks it for the kind (Namespace and Service: DNS
//    labels, Service a DNS-1035 label; the others DNS-1123 subdomains), namespace,
//    label keys and values, annotation keys and values;
//  - Service: type, clusterIP, ports (1-65535, names, protocol, targetPort number or
//    name, duplicates), selector;
//  - Pod and Deployment: containers (names, image, ports, env values), restartPolicy,
//    Deployment replicas, selector (and that it matches the template's labels);
//  - Endpoints: addresses and ports;
//  - Secret: see kube/secret.h;
//  - Ingress: see kube/ingress_validation.h.
// Scalars of the wrong type (a label value `true` unquoted in YAML) are reported, not
// coerced. Status is not validated. Pure; thread-safe.
#pragma once

#include <vector>

#include <nlohmann/json.hpp>

#include "kube/field_error.h"

namespace csim::kube {

std::vector<FieldError> validate(const nlohmann::json& object);

// Pieces other validators (and the HTTP server) reuse; each appends to `errors`.
void validate_object_meta(const nlohmann::json& object, FieldErrors& errors);
void validate_labels(const nlohmann::json& labels, const std::string& field, FieldErrors& errors);
void validate_pod_spec(const nlohmann::json& spec, const std::string& field, bool in_template,
                       FieldErrors& errors);

}  // namespace csim::kube
