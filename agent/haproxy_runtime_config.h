// From the haproxy config Contrail renders (svc-monitor's text in the service-instance
// bindings, shown to users as is) to the config haproxy can run with on this machine,
// with every change listed. Contrail's text assumes a compute node; csim runs haproxy as
// its own child in a user namespace, so:
//   daemon                     removed: csim runs haproxy in the foreground and owns its pid
//   user haproxy / group ...   removed: no such ids inside csim's user namespace
//   log <socket> ...           removed: Contrail's log socket does not exist here
//   ulimit-n 200000            lowered to the hard RLIMIT_NOFILE (20000 on this machine)
//   maxconn 65000              lowered to what that ulimit-n allows (haproxy refuses more)
//   stats socket /var/lib/...  moved to <state_dir>/loadbalancer/haproxy/<lb>/haproxy.sock
//   + stats socket ...admin    a second, admin socket with expose-fd listeners, so a reload
//                              (-x, -sf) takes the listening sockets over: no refused
//                              connection during a reload
//   + hard-stop-after 10s      bounds how long a replaced process serves old connections
//   + httpclient.ssl.verify none  haproxy's internal HTTP client (unused) otherwise loads
//                              the system CA store at every start (~40 ms)
//
// The text is also checked: it comes from the config DB, which users can write, and
// haproxy can run programs and read files. Only the sections and directives svc-monitor
// renders are accepted (contrail-reference.md §3.5, and for `--semantics kubernetes`
// svcmon/kubernetes_routing.h: the acls `req.fhdr(host),field(1,:),lower -m str|reg ...`
// and `path_reg '<regex>'` with single-quoted regexes, and the no-match backend's
// `http-request return status 404 default-errorfiles`); `bind` and `server` addresses must
// be IPv4:port. Anything else is refused with the line number.
//
// TLS binds: svc-monitor's `ssl crt__<ns>__<secret> ... no-sslv3` tokens are replaced by
// the agent first (agent/haproxy_tls.h: `crt <instance dir>/<ns>__<secret>.pem`); here a
// bind accepts exactly `ssl`, one or more `crt <path>` where the path is a .pem file
// directly in paths.instance_dir, and `no-sslv3`. A `crt__` token left in the text is
// refused (nobody resolved it). Pure function, any thread.
#pragma once

#include <string>
#include <vector>

#include "core/status.h"

namespace csim::agent {

struct HaproxyRuntimePaths {
  std::string stats_socket;  // path written in the config for the stats socket
  std::string admin_socket;  // path of the admin socket (expose-fd listeners)
  std::string instance_dir;  // absolute; `crt` files must be directly in it ("" = no TLS bind)
};

struct HaproxyBind {
  std::string ip;
  int port = 0;
  bool ssl = false;  // TLS terminated here (`ssl crt ...`)
  bool operator==(const HaproxyBind&) const = default;
};

struct HaproxyRuntimeConfig {
  std::string text;                      // what haproxy runs with
  std::vector<std::string> adaptations;  // one line per change, in file order
  std::vector<HaproxyBind> binds;        // the frontends' addresses, in file order
};

// nofile_hard_limit: the hard RLIMIT_NOFILE haproxy will inherit.
core::Result<HaproxyRuntimeConfig> derive_haproxy_runtime_config(const std::string& contrail_text,
                                                                 const HaproxyRuntimePaths& paths,
                                                                 unsigned long nofile_hard_limit);

}  // namespace csim::agent
