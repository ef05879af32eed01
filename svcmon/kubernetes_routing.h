// The frontend lines that route an Ingress's requests by the Kubernetes Ingress semantics
// (`--semantics kubernetes`, design.md §2, docs/semantics.md), entirely in haproxy.conf:
// semantics/route.h's route_kubernetes is the reference behaviour, and these lines make
// haproxy 2.6 decide exactly as it does.
//
// Input: the pools of one frontend with their annotations (kube-manager writes them, see
// kube/kube_manager/ingress_backends.h): `type` ("acl" | "default"; absent = default),
// `host` (as written, maybe "*.foo.com"), `path`, `pathType` ("Exact" | "Prefix"; anything
// else, or absent, is ImplementationSpecific), `index` (spec order) and `claimed_hosts`
// (hosts of rules without a backend of their own, comma-separated: they still own their
// host). Output, in this order:
//
//   # kubernetes semantics: ...                                    (one comment line)
//   acl <pool>_host req.fhdr(host),field(1,:),lower -m str foo.com   exact host, port dropped
//   acl <pool>_host req.fhdr(host),field(1,:),lower -m reg '^[^.]+\.foo\.com$'   "*.foo.com"
//   acl <pool>_path path /foo                                       Exact; ImplementationSpecific
//   acl <pool>_path path_reg '^/*foo/+bar(/.*)?$'                   Prefix /foo/bar, by segments
//   acl ingress_hosts ... -m str <every exact host of the Ingress>  (only when needed)
//   acl ingress_wildcards ... -m reg <every wildcard of the Ingress> (only when needed)
//   use_backend <pool> if <pool>_host <pool>_path                  sorted by precedence:
//       exact-host pools, `use_backend <fallback> if ingress_hosts`,
//       wildcard-host pools, `use_backend <fallback> if ingress_wildcards`,
//       host-less pools; inside each group the longest path first (a Prefix's trailing '/'
//       does not count), Exact (and ImplementationSpecific with a path) before Prefix at
//       equal length, then spec order
//   default_backend <fallback>   the first `default` pool, else kNoMatchBackend (404)
//
// A pool whose condition can never be true (Exact without a path) gets no use_backend
// line; a pool whose condition is always true (host-less Prefix "/" or path-less
// ImplementationSpecific) gets `use_backend <pool>` without `if`. Regexes are anchored,
// single-quoted (haproxy interprets nothing inside) and escape every ASCII character that
// is not a letter or digit, so a user's string is always a literal.
//
// Pure functions; thread-safe.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace csim::svcmon {

// The backend every unmatched request of a frontend without a default pool goes to:
// `http-request return status 404 default-errorfiles`.
inline constexpr const char* kNoMatchBackend = "no-match-404";
// The frontend an Ingress loadbalancer gets on port 80 when it has no listener at all
// (every rule's backend is missing or not a Service): it answers 404, as ingress-nginx
// does for an Ingress with nothing to route, instead of refusing connections.
inline constexpr const char* kNoRulesFrontend = "no-rules-80";
// The pool annotation kube-manager sets on a backend it could not resolve (the Service is
// missing, has no clusterIP, or no port of that name); the value says why. The pool has no
// member. The kubernetes semantics routes it like any pool, so its requests get haproxy's
// 503 (no server), as ingress-nginx answers; Contrail's renderer never sees such a pool
// (svc-monitor hides it: Contrail has no listener for such a backend).
inline constexpr const char* kBackendUnavailableAnnotation = "backend_unavailable";
// Its body lines (after "backend no-match-404").
std::vector<std::string> no_match_backend_lines();

// The acl fetch of the Host header without its ":port", lower case. req.fhdr (not hdr)
// keeps a value with commas whole, as route_kubernetes does.
inline constexpr const char* kHostFetch = "req.fhdr(host),field(1,:),lower";

// One pool as the routing sees it.
struct RoutingPool {
  std::string uuid;
  std::map<std::string, std::string> annotations;
};

// The lines of one frontend (without the leading TAB).
struct KubernetesRouting {
  std::vector<std::string> lines;
  bool uses_no_match_backend = false;
};

// frontend_pools: the enabled pools of this frontend, in spec order. ingress_pools: every
// pool of the loadbalancer (their hosts and claimed_hosts are the hosts the Ingress owns).
// The annotations must have passed kubernetes_host_problem / kubernetes_path_problem.
KubernetesRouting kubernetes_routing(const std::vector<RoutingPool>& frontend_pools,
                                     const std::vector<RoutingPool>& ingress_pools);

// Why `host` (a host or claimed_hosts annotation that is already one safe token) cannot be
// routed by the Kubernetes semantics, or "" when it can: it has a ':' (an Ingress host
// never has a port, and haproxy's fetch drops everything after one), or starts with '-'
// (haproxy would read it as a flag).
std::string kubernetes_host_problem(std::string_view host);
// Why a non-empty `path` annotation (already one safe token) cannot be routed: it does not
// start with '/'. An empty path means "no path".
std::string kubernetes_path_problem(std::string_view path);

// `literal` with every ASCII character that is not a letter or digit preceded by a
// backslash (PCRE2 reads "\<non-alphanumeric>" as that character itself). Bytes >= 0x80
// are kept as they are: they are no metacharacters.
std::string regex_escape(std::string_view literal);
// The path_reg pattern of a Prefix path, element by element: "/foo/bar" ->
// "^/*foo/+bar(/.*)?$" (empty segments count for nothing, as in semantics/match.h);
// "" for a prefix without segments ("/"), which matches every path.
std::string prefix_path_regex(std::string_view prefix);
// The Host pattern of a wildcard host: "*.Foo.com" -> "^[^.]+\.foo\.com$" (exactly one
// non-empty label before the suffix; compared with the lower-cased Host).
std::string wildcard_host_regex(std::string_view rule_host);

}  // namespace csim::svcmon
