// Validation of an Ingress's spec, in its own apiVersion (networking.k8s.io/v1,
// networking.k8s.io/v1beta1 or extensions/v1beta1), so that field paths name the fields
// the user wrote ("backend.serviceName" in v1beta1, "backend.service.name" in v1).
//
// Checks, each reported with its field path:
//  - at least one of rules / defaultBackend (spec.backend in the old versions);
//  - rules[].host: a DNS-1123 subdomain, optionally with a leading "*." wildcard; no
//    port, no IP address;
//  - rules[].http.paths: present and non-empty; every path has a backend;
//  - paths[].pathType: one of Exact, Prefix, ImplementationSpecific; required in v1
//    (the old versions default it to ImplementationSpecific);
//  - paths[].path: starts with '/' (it may be absent only for ImplementationSpecific,
//    as Kubernetes allows; it then matches everything); never contains whitespace,
//    control characters, '#', quotes, '\', '{' or '}' (paths go into haproxy.conf); for
//    Exact and Prefix also none of "//", "/./", "/../", "%2f" and no "/." or "/.." ending;
//  - backends: a Service name (DNS-1035 label) and a port (number 1-65535 or an IANA
//    port name); resource backends are rejected (csim serves Service backends only);
//  - tls[].hosts as rule hosts, tls[].secretName a DNS-1123 subdomain;
//    ingressClassName a DNS-1123 subdomain;
//  - unknown fields in spec, rules, paths and backends (a typo would silently change
//    routing), with a hint for backend/defaultBackend mix-ups between versions.
// Pure; thread-safe.
#pragma once

#include <nlohmann/json.hpp>

#include "kube/field_error.h"

namespace csim::kube {

// Appends the problems of `ingress`'s spec (metadata is validate_object_meta's job).
void validate_ingress_spec(const nlohmann::json& ingress, FieldErrors& errors);

}  // namespace csim::kube
