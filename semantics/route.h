// Which backend answers a request, under each of csim's two Ingress semantics
// (design.md §2; docs/semantics.md has the two side by side, with examples).
//
// contrail (faithful; contrail-reference.md §1.4, §6.1): every (rule, path) becomes one
//   haproxy `use_backend` whose condition ANDs `hdr(host) -i <host>` (if the rule has a host)
//   and `path <path>` (if the path has one). So: the path is an exact, case-sensitive match;
//   pathType is ignored; the Host header is compared whole and case-insensitively, so a
//   ":port" breaks the match and "*.foo.com" only matches the literal header "*.foo.com";
//   a rule with neither host nor path renders an empty condition, which haproxy never
//   matches (verified against haproxy 2.6); rules without `http` and backends that name no
//   Service are skipped. The first matching entry wins, in spec order (csim's one
//   deliberate improvement: on Contrail the order is a Python set's, i.e. random). No
//   match: spec.defaultBackend, else haproxy has no backend: 503.
// kubernetes (conformant with the Ingress API): the Host header's port is ignored; the host
//   selects the rules first: rules whose host equals it, else the `*.` wildcard rule that
//   covers exactly its first label, else the host-less rules; there is no fall-back from a
//   host's rules to the host-less ones (the API: "requests are first evaluated for a host
//   match, then routed to the backend associated with the matching IngressRuleValue").
//   Among the chosen rules' paths: Exact; Prefix element by element; ImplementationSpecific
//   is csim's choice: an exact match when it has a path (what Contrail, the implementation
//   simulated, does), every path when it has none. The longest path wins (a Prefix's
//   trailing '/' does not count), Exact (and ImplementationSpecific with a path) before
//   Prefix at equal length, then spec order. No match: spec.defaultBackend, else 404.
//
// Both routers assume that every Service exists (lint.h reports missing ones) and model
// the HTTP (port 80) frontend; https_view() gives what the HTTPS (443) frontend serves. `path` is the request target; its query string is dropped.
// Pure functions; thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "semantics/ingress_model.h"

namespace csim::semantics {

enum class Semantics { kContrail, kKubernetes };

// "contrail" / "kubernetes".
const char* semantics_name(Semantics s);
// The inverse of semantics_name; nullopt for anything else.
std::optional<Semantics> parse_semantics(std::string_view name);

inline constexpr int kStatusRouted = 200;           // a backend answers (its own status)
inline constexpr int kStatusContrailNoBackend = 503;  // haproxy without a backend
inline constexpr int kStatusKubernetesNoMatch = 404;

struct RouteDecision {
  std::optional<BackendRef> backend;
  int status = 0;   // kStatusRouted when `backend` is set, else 503 (contrail) or 404 (kubernetes)
  std::string why;  // "spec.rules[0].http.paths[1]: host foo.com, Prefix /foo (longest match)"
  // What decided: the matching spec.rules[rule].http.paths[path], or the default backend
  // (rule == path == -1, field "spec.defaultBackend"), or nothing (field "").
  int rule = -1;
  int path = -1;
  std::string field;

  // Same backend (or both none) and same status: what a client could tell apart.
  bool same_outcome(const RouteDecision& other) const {
    return backend == other.backend && status == other.status;
  }
  // "200 qa-webserver:80", or "503" when no backend answers.
  std::string outcome() const;
};

// The two routers. `ingress` is an Ingress in networking.k8s.io/v1 shape (older versions
// are converted, see ingress_model.h); `host_header` is the Host header's value ("" = no
// Host header); `path` the request target.
RouteDecision route_contrail(const nlohmann::json& ingress, std::string_view host_header,
                             std::string_view path);
RouteDecision route_kubernetes(const nlohmann::json& ingress, std::string_view host_header,
                               std::string_view path);
RouteDecision route(Semantics semantics, const nlohmann::json& ingress,
                    std::string_view host_header, std::string_view path);

// The part of an Ingress its HTTPS (port 443, TLS-terminating) frontend routes, under both
// semantics: kube-manager gives a path an HTTPS copy (contrail-reference.md §1.4) when its
// rule's host is one of spec.tls[].hosts, or when it has a path and a spec.tls entry
// without hosts exists ("ALL"); the default backend gets one when "ALL" exists. Rules left
// with no path are dropped, except rules that had no backend at all (they still own their
// host under the Kubernetes semantics, on both ports). An Ingress without spec.tls has no
// HTTPS frontend: `has_https` is false.
struct HttpsView {
  bool has_https = false;
  IngressModel model;
};
HttpsView https_view(const IngressModel& ingress);

// The same on an already-read model (the lint probes one Ingress many times).
RouteDecision route_contrail(const IngressModel& ingress, std::string_view host_header,
                             std::string_view path);
RouteDecision route_kubernetes(const IngressModel& ingress, std::string_view host_header,
                               std::string_view path);

// Every path entry whose haproxy condition is true for the request on Contrail, in spec
// order (route_contrail takes the first; real Contrail any of them). The pointers point into
// `ingress`, which must outlive them.
std::vector<const IngressPath*> contrail_matching_paths(const IngressModel& ingress,
                                                        std::string_view host_header,
                                                        std::string_view path);

// The indices of the rules the Kubernetes semantics picks for a Host header before looking
// at paths: the exact-host rules, else the wildcard rule, else the host-less rules.
std::vector<int> kubernetes_host_rules(const IngressModel& ingress, std::string_view host_header);

// "host foo.com, Prefix /foo" / "any host, path /qa.html" (contrail: no pathType) /
// "host foo.com, any path".
std::string describe_path(const IngressPath& path, Semantics semantics);

}  // namespace csim::semantics
