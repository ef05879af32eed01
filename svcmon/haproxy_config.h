// The haproxy configuration text svc-monitor stores in a service-instance's bindings
// (key "haproxy_config"): Contrail's haproxy driver `get_config_v2`, as a pure function.
//
// Input is plain data (no config API, no bus): the loadbalancer's VIP, its listeners,
// pools and members, and the state directory for the stats socket line. Output is the
// text, byte for byte as Contrail renders it (contrail-reference.md §3.5): TAB-indented
// section bodies, `bind <vip>:<port> ` with its trailing space, `use_backend X if  Y`
// with Contrail's doubled space, a TAB-only line after each pool block, one frontend
// per port when the listeners are merged (Kubernetes loadbalancers), file ending in a
// blank line.
//
// Deliberate differences from Contrail (documented in docs/, see also the tests):
//  - Order. Contrail iterates a Python set of listener uuids, so frontend names and
//    use_backend order are random. Here pools are ordered by their `index` annotation
//    (kube-manager writes "0", "1", ... in Ingress spec order, the default backend last;
//    pools without one come after, ties by uuid), listeners by their first pool, and
//    the frontend of a port is named after its first listener. Backends follow the same
//    order; members of a pool are ordered by uuid.
//  - Refusals instead of broken text. Every uuid, address, host, path and TLS container
//    name that reaches the text must be one safe token: non-empty, no whitespace, no
//    control characters, no '#', quotes or backslash (uuids also no '/'); addresses must
//    be IPv4/IPv6 literals, ports 1..65535. Unknown protocols and methods, and custom
//    attributes that are unknown or out of range, are refused too (Contrail raises or
//    skips them silently). The error names the object and the field.
//  - A frontend whose pools are all disabled still ends its last line with a newline
//    (Contrail glues the next `frontend` onto it).
//  - Health monitors and session persistence are not modelled (kube-manager sets none).
//  - With RoutingSemantics::kKubernetes, each http frontend routes by the Ingress API
//    instead (kubernetes_routing.h): its pools' acls, then the use_backend lines sorted
//    by precedence, then `default_backend` (the default pool, else the backend
//    `no-match-404`, which answers 404 and comes after the pools' backends). The global,
//    defaults and backend sections are the same in both. Host and path annotations must
//    then also be routable (no ':' or leading '-' in a host, a path starting with '/';
//    an empty path means none), and no pool may be called `no-match-404`. An Ingress
//    loadbalancer without any enabled listener gets `frontend no-rules-80` on <vip>:80,
//    answering 404 (kNoRulesFrontend). Pools annotated `backend_unavailable` are routed
//    like any pool (their backend has no server: 503); the contrail semantics hides them,
//    their members and the listeners they leave without a pool.
//
// Thread-safety: pure functions, callable from any thread.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/status.h"

namespace csim::svcmon {

// Which Ingress routing the frontends' acl / use_backend lines implement (design.md §2,
// docs/semantics.md). kContrail: Contrail's lines, byte for byte (exact path, Host compared
// whole, rule order = spec order). kKubernetes: the Ingress API's rules (Exact / Prefix by
// path segments / ImplementationSpecific, longest match first, Host port ignored, `*.`
// wildcards, default backend, else 404), see kubernetes_routing.h. Only frontends in http
// mode route by the Kubernetes rules; a tcp frontend is rendered as Contrail does.
enum class RoutingSemantics { kContrail, kKubernetes };

// "contrail" / "kubernetes".
const char* routing_semantics_name(RoutingSemantics s);
// The inverse of routing_semantics_name; nullopt for anything else.
std::optional<RoutingSemantics> parse_routing_semantics(std::string_view name);

// A loadbalancer-listener (loadbalancer_listener_properties).
struct HaproxyListener {
  std::string uuid;
  std::string protocol;  // HTTP, HTTPS, TCP or TERMINATED_HTTPS
  int protocol_port = 0;
  bool admin_state = true;
  int connection_limit = 0;           // `maxconn N` in the frontend when > 0
  std::string default_tls_container;  // "<ns>__<secret>", TERMINATED_HTTPS only
  std::vector<std::string> sni_containers;
};

// A loadbalancer-pool (loadbalancer_pool_properties, annotations, custom attributes).
struct HaproxyPool {
  std::string uuid;
  std::string listener_uuid;  // the listener it hangs off (kube-manager: exactly one)
  std::string protocol;       // HTTP, HTTPS, TCP or TERMINATED_HTTPS (backend mode)
  std::string method;         // ROUND_ROBIN, LEAST_CONNECTIONS or SOURCE_IP
  bool admin_state = true;
  // The pool's annotations key_value_pair, by key: "type" ("acl" | "default" | absent),
  // "host", "path", and "index" (decimal spec order, csim's addition). The Kubernetes
  // semantics also reads csim's "pathType" (as written in the Ingress) and
  // "claimed_hosts" (comma-separated hosts of rules without a backend of their own).
  // Others are ignored.
  std::map<std::string, std::string> annotations;
  // loadbalancer_pool_custom_attributes in stored order (keys of custom_attributes.yml:
  // max_conn, ssl_ciphers, client_timeout, http_server_close, rate_limit_sessions, ...).
  std::vector<std::pair<std::string, std::string>> custom_attributes;
};

// A loadbalancer-member (child of its pool).
struct HaproxyMember {
  std::string uuid;
  std::string pool_uuid;
  std::string address;  // the backend Service's clusterIP for Ingress
  int protocol_port = 0;
  int weight = 1;
  bool admin_state = true;
};

struct HaproxyLoadbalancer {
  std::string uuid;
  std::string vip_address;
  // True when the VIP VMI's device owner is K8S:LOADBALANCER: listeners on the same port
  // share one frontend (Contrail's get_listeners). False: one frontend per listener.
  bool merge_listeners_by_port = true;
  std::vector<HaproxyListener> listeners;
  std::vector<HaproxyPool> pools;
  std::vector<HaproxyMember> members;
  // Directory under which `loadbalancer/haproxy/<lb-uuid>/haproxy.sock` lives
  // ("/var/lib/contrail" in Contrail).
  std::string state_dir = "/var/lib/contrail";
  RoutingSemantics semantics = RoutingSemantics::kContrail;
};

// Renders the haproxy.conf text for `lb`, or an Invalid status that names the object and
// field that cannot be rendered safely ("loadbalancer-pool <uuid>: annotations.host ...").
core::Result<std::string> render_haproxy_config(const HaproxyLoadbalancer& lb);

// Whether going from old_text to new_text needs haproxy to reload. For now: any change.
bool needs_reload(const std::string& old_text, const std::string& new_text);

// How many `frontend` and `backend` sections a rendered text holds (for traces).
struct HaproxySectionCounts {
  int frontends = 0;
  int backends = 0;
};
HaproxySectionCounts count_sections(const std::string& text);

}  // namespace csim::svcmon
