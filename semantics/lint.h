// `csim lint`'s analysis of one Ingress: where real Contrail routes a request differently
// from the Kubernetes Ingress rules (route.h), and plain mistakes.
//
// Differences are found by probing (probes.h): every probe request goes through
// route_contrail and route_kubernetes; each request they route to different backends is
// explained by its first cause in this order, and requests with the same cause are grouped
// into one finding (with the first such request as its example):
//   port        a Host header with ":port" does not match the rule's host on Contrail
//   wildcard    a "*." host: Contrail compares the Host header with the literal string
//   prefix      a Prefix path: Contrail matches only the exact path
//   resource    a resource backend: Contrail routes only to Services
//   empty       a rule with neither host nor path: haproxy never matches its empty condition
//   fallback    a host's requests that none of its paths match: Contrail falls back to the
//               host-less rules, Kubernetes does not
//   overlap     several Contrail rules match one request: real Contrail picks one at random
//   other       anything else (both outcomes are shown)
// An overlap is reported even when csim's spec order happens to agree with Kubernetes,
// because on real Contrail the order is random. When both routers find no backend,
// Contrail's 503 against Kubernetes' 404 is one warning per Ingress.
// Plain findings, without probing: a backend Service missing from `services` or without
// the port named (errors), a named Service port (a difference: Contrail needs a number),
// duplicate (host, path, pathType) entries (error), a kubernetes.io/ingress.class
// annotation or spec.ingressClassName other than opencontrail (warnings), and
// ImplementationSpecific paths that have a path (one warning: csim and Contrail match them
// exactly, other controllers as prefixes; portable Ingresses say Exact or Prefix).
// Pure; thread-safe.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace csim::semantics {

enum class Severity { kError, kDifference, kWarning };

const char* severity_name(Severity s);  // "error", "difference", "warning"

struct Finding {
  Severity severity = Severity::kWarning;
  std::string ingress;  // "default/simple-fanout"
  std::string field;    // networking.k8s.io/v1 field path: "spec.rules[0].http.paths[1]"
  std::string message;
  // For differences: a request that shows it, and what each semantics does with it.
  struct Request {
    std::string host;  // "" = no Host header
    std::string path;
  };
  std::optional<Request> example;
  std::string contrail;    // "503 (no rule matches, no default backend)"
  std::string kubernetes;  // "200 qa-webserver:80 (spec.rules[0]...: ... (longest matching path))"
  int requests = 0;        // probe requests that showed this cause (0: not found by probing)
};

// Every finding for one Ingress (any supported apiVersion; it is read as
// networking.k8s.io/v1), errors first, then differences, then warnings; within each, in
// spec order (findings about the whole Ingress first), then in the order found.
// `services` are the Kubernetes Service objects the Ingress may name (other kinds are
// ignored); a Service matches by metadata.namespace ("default" when absent) and name.
std::vector<Finding> lint_ingress(const nlohmann::json& ingress_v1,
                                  const std::vector<nlohmann::json>& services);

// True when `findings` hold an error or a difference (`csim lint` then exits 1).
bool lint_fails(const std::vector<Finding>& findings);

// {"severity", "ingress", "field", "message", "example": {"host", "path"} | null,
//  "contrail", "kubernetes", "requests"}.
nlohmann::json finding_to_json(const Finding& finding);

// One line: "difference: default/x: spec.rules[0].host: <message> (e.g. Host foo.com:80,
// path /a: contrail 503 (...); kubernetes 200 svc:80 (...))".
std::string finding_to_text(const Finding& finding);

}  // namespace csim::semantics
