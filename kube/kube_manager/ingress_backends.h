// The backends an Ingress asks for (contrail-reference.md §1.4; KM vnc_ingress.py
// _get_tls_dict / _get_new_backend_list), read from the networking.k8s.io/v1 shape the
// object store keeps: one backend per (rule, path) of rules with an `http` block, one for
// spec.defaultBackend, plus a TERMINATED_HTTPS copy where TLS applies. pathType is
// ignored, as Contrail ignores it.
//
// csim addition: every backend carries `index`, the position of its (rule, path) in spec
// order ("0", "1", …; the default backend gets the last index; an HTTPS copy shares the
// index of its HTTP twin). It is written as the pool annotation "index" so svc-monitor
// can order a frontend's rules by spec order instead of at random.
//
// csim additions for `--semantics kubernetes` (svcmon/kubernetes_routing.h; Contrail's
// renderer ignores them): the path's `pathType` as written, and `claimed_hosts`, the
// hosts of the rules that give no backend at all (no `http`, no paths, or only backends
// that are not Services), comma-separated in spec order and the same on every backend of
// the Ingress: under the Kubernetes semantics such a rule still owns its host (its
// requests get the default backend or 404, never a host-less rule).
//
// Pure functions; thread-safe.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace csim::kube {

// The pool annotation kube-manager sets on a backend whose Service it cannot resolve (the
// Service is missing, has no clusterIP, or no port of the servicePort's name); the value
// says why ("Service default/web not found"). Such a backend keeps its listener and pool,
// without member. svc-monitor reads it under this name (svcmon/kubernetes_routing.h
// kBackendUnavailableAnnotation): `--semantics kubernetes` answers 503 for it,
// `--semantics contrail` hides the pool (Contrail has no listener for such a backend).
inline constexpr const char* kBackendUnavailableAnnotation = "backend_unavailable";

struct IngressBackend {
  // Listener: "HTTP" (port 80) or "TERMINATED_HTTPS" (port 443) with its TLS containers
  // ("<ns>__<secretName>").
  std::string listener_protocol = "HTTP";
  std::string default_tls_container;        // "" when not set
  std::vector<std::string> sni_containers;  // empty when not set
  std::string pool_protocol = "HTTP";
  // Pool annotations (§1.4): host and path when the rule/path has them, type "acl" for
  // rule paths and "default" for spec.defaultBackend.
  std::optional<std::string> host;
  std::optional<std::string> path;
  std::string type = "acl";
  int index = 0;
  // pathType as written (nullopt when absent or not a string); not for the default backend.
  std::optional<std::string> path_type;
  // Hosts of the rules without a backend (see above); the same for every backend.
  std::vector<std::string> claimed_hosts;
  // Member: the Service and its port as written (a number, or a port name).
  std::string service_name;
  std::optional<int> service_port_number;
  std::string service_port_name;
  // Where it came from, for messages: "spec.rules[0].http.paths[1]".
  std::string source;

  // The listener's protocol_port: 80, or 443 for TERMINATED_HTTPS.
  int listener_port() const { return listener_protocol == "TERMINATED_HTTPS" ? 443 : 80; }
  // "80" or "http" (the servicePort as the user wrote it).
  std::string service_port_text() const;
};

// Backends of `spec` (an Ingress's .spec in v1 shape; spec.backend with serviceName /
// servicePort is accepted too) in Contrail's order. `ns` names the TLS containers.
// Paths whose backend is not a Service (backend.resource) are skipped with a note in
// `skipped` ("spec.rules[0].http.paths[1]: backend is not a Service; skipped").
std::vector<IngressBackend> ingress_backends(const nlohmann::json& spec, const std::string& ns,
                                             std::vector<std::string>* skipped = nullptr);

// The pool annotations of a backend in Contrail's order host, path, type, then csim's
// index, pathType (when set) and claimed_hosts (when not empty, joined with ',').
std::vector<std::pair<std::string, std::string>> pool_annotations(const IngressBackend& b);

}  // namespace csim::kube
