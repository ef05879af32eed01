// An Ingress flattened into what routing needs: its rules, their paths, the backends.
//
// Both routers (route.h) and the lint (lint.h) read an Ingress through this one model, so
// they agree on what a rule, a path and a backend are. The model reads the
// networking.k8s.io/v1 shape; an Ingress in extensions/v1beta1 or networking.k8s.io/v1beta1
// is converted first (kube::ingress_to_v1, which also gives its paths pathType
// ImplementationSpecific), and old-style backends ({serviceName, servicePort}, spec.backend)
// are read as well. The model never fails: parts with an unexpected shape are left out
// (validation, not routing, reports them). Pure; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace csim::semantics {

// Where a request goes: a Service and its port, or (Kubernetes only) a resource backend.
struct BackendRef {
  std::string service;                 // Service name; "" for a resource backend
  std::optional<int64_t> port_number;  // service.port.number
  std::string port_name;               // service.port.name ("" when a number is given)
  std::string resource;                // "Kind/name" (or "apiGroup/Kind/name") of a resource backend

  bool operator==(const BackendRef&) const = default;
  bool is_service() const { return !service.empty(); }
  // "qa-webserver:80", "qa-webserver:http", "resource storage.k8s.io/Bucket/b".
  std::string to_string() const;
};

// spec.rules[].http.paths[].pathType. Anything but "Exact" and "Prefix" (including absent)
// routes as ImplementationSpecific.
enum class PathType { kExact, kPrefix, kImplementationSpecific };

const char* path_type_name(PathType type);  // "Exact", "Prefix", "ImplementationSpecific"

// One entry of spec.rules[rule].http.paths[index].
struct IngressPath {
  int rule = -1;
  int index = -1;
  std::string host;                  // the rule's host as written; "" when it has none
  std::optional<std::string> path;   // nullopt when absent or ""
  PathType type = PathType::kImplementationSpecific;
  std::optional<BackendRef> backend;  // nullopt when the backend names no Service or resource

  // "spec.rules[0].http.paths[1]".
  std::string field() const;
};

// One entry of spec.rules[].
struct IngressRule {
  int index = -1;
  std::string host;  // "" when the rule has none
  bool has_http = false;  // the rule has an `http` object (Contrail skips rules without)
  std::vector<IngressPath> paths;

  std::string field() const;  // "spec.rules[0]"
};

// One entry of spec.tls[] that names a Secret.
struct IngressTls {
  std::vector<std::string> hosts;  // as written
  bool all_hosts = false;          // no `hosts` field: Contrail's pseudo-host "ALL"
  std::string secret;              // secretName
};

struct IngressModel {
  std::string name;
  std::string ns = "default";  // metadata.namespace, "default" when absent
  std::vector<IngressRule> rules;
  std::optional<BackendRef> default_backend;  // spec.defaultBackend (or spec.backend)
  std::string ingress_class_annotation;  // metadata.annotations[kubernetes.io/ingress.class]
  std::string ingress_class_name;        // spec.ingressClassName
  std::vector<IngressTls> tls;           // spec.tls[] entries with a secretName

  // Every path of every rule, in spec order (pointers into `rules`).
  std::vector<const IngressPath*> paths() const;
  // "default/simple-fanout".
  std::string id() const { return ns + "/" + name; }
};

inline constexpr const char* kDefaultBackendField = "spec.defaultBackend";

// Reads `ingress` (any supported Ingress apiVersion) into the model.
IngressModel ingress_model(const nlohmann::json& ingress);

// The backend an Ingress backend object names: {service: {name, port: {number|name}}},
// {serviceName, servicePort} or {resource: {apiGroup, kind, name}}; nullopt otherwise.
std::optional<BackendRef> backend_ref(const nlohmann::json& backend);

}  // namespace csim::semantics
