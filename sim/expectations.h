// Which Service should answer a request, by Contrail's rules — so that `csim demo` (and the
// end-to-end tests) can check every reply of the real data plane against the Ingress spec.
//
// Contrail's semantics (contrail-reference.md §6.1): a path matches exactly (no prefix,
// pathType ignored), the Host header is compared whole and case-insensitively (a ":port"
// breaks the match), host and path of a rule are ANDed, rules are tried in spec order
// (csim's one deliberate improvement: Contrail's order is random), then spec.backend /
// defaultBackend, else haproxy answers 503.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace csim::sim {

struct ExpectedCase {
  std::string host;     // Host header to send ("" = the address the request goes to)
  std::string path;
  std::optional<std::string> service;  // the Service that must answer, or none
  int status = 200;     // 200 with a service; else 503 (contrail) or 404 (kubernetes)
  std::string why;      // "rule 0 path /qa.html", "no rule matches, no default backend"
  bool https = false;   // sent over HTTPS to port 443 (SNI = host)
  // HTTPS: the Secret ("<ns>/<name>") whose certificate must be served, "" when the
  // Ingress leaves it to haproxy's choice (no spec.tls entry covers the host and none
  // is without hosts).
  std::string tls_secret;
};

// The Service name that answers (host header, path) for an Ingress (any apiVersion), or
// nullopt when haproxy has no backend for it (semantics/route.h route_contrail).
std::optional<std::string> contrail_route(const nlohmann::json& ingress, const std::string& host,
                                          const std::string& path);

// One case per (rule, path), plus probes that no rule matches (an unknown path, and an unknown
// host when rules have hosts); each case's expectation comes from the routing rules of
// `semantics` ("contrail": contrail_route(); "kubernetes": semantics::route_kubernetes, where
// an unmatched request gets 404 instead of 503). An Ingress with spec.tls also gets the same
// cases over HTTPS, routed as its 443 frontend routes them (semantics::https_view), each
// with the Secret whose certificate SNI must select.
std::vector<ExpectedCase> expected_cases(const nlohmann::json& ingress,
                                         const std::string& semantics = "contrail");

// The Service (among `services`, Kubernetes Service objects) whose selector matches the
// labels of the pod that answered; nullopt when none or several do.
std::optional<std::string> service_for_labels(const std::vector<nlohmann::json>& services,
                                              const nlohmann::json& labels);

}  // namespace csim::sim
