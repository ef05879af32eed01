// Runs haproxy for loadbalancer instances, as Contrail's netns script does
// (contrail-reference.md §4.6), but as csim's own child:
//
//   <state_dir>/loadbalancer/haproxy/<lb-uuid>/
//       haproxy.conf.contrail   the text svc-monitor rendered (what users see)
//       haproxy.conf            the runtime text (haproxy_runtime_config.h lists the changes)
//       haproxy.sock            stats socket (level user), haproxy-admin.sock (reloads)
//       haproxy.pid             pid of the serving process
//       haproxy.log             haproxy's stdout/stderr (NOTICE/WARNING/ALERT lines)
//       <ns>__<secret>.pem      a TLS listener's certificate chain and key (mode 0600)
//
// start   `haproxy -db -f haproxy.conf` inside the instance's namespace. "Started" is
//         reported only once the stats socket answers `show info` with the new pid:
//         every frontend is bound by then. No fixed sleeps: inotify on the directory and a
//         pidfd wake the wait up.
// reload  `haproxy -c` on the new text first (a broken config never replaces a working
//         one), then a new process with `-x haproxy-admin.sock -sf <old pid>`: it takes
//         the listening sockets over and tells the old one to finish its connections.
// stop    SIGTERM to every process of the instance (SIGKILL after a grace period), then
//         the directory is removed (Contrail: kill -9 and rm -rf).
// wait    a config without any `bind` (svc-monitor publishes the service instance before
//         kube-manager's listeners exist) starts nothing: state "waiting", no process;
//         haproxy starts when the first frontend arrives (one start instead of a start
//         and a reload on the way from apply to traffic). A running instance whose new
//         config has no bind is reloaded as usual.
// Failures carry haproxy's own ALERT lines.
//
// TLS (contrail-reference.md §4.6, agent/haproxy_tls.h): each `crt__<ns>__<secret>` token
// is resolved through options.tls_secrets, checked with OpenSSL (tls_certificate.h) and
// written to <ns>__<secret>.pem in the instance directory before haproxy reads it. A
// certificate that cannot be had (no such Secret, a bad PEM, a key that does not match)
// is left out of its bind, and a TLS frontend left without any certificate is left out
// whole: the instance keeps serving its other frontends (plain HTTP on :80 above all),
// the status stays started/reloaded and `error` says what is not served. A changed
// certificate (same config text, new PEM bytes) reloads haproxy; the previous files are
// put back when the reload fails.
//
// Each state dir belongs to one vrouter agent (two agents must not share one: the paths
// of an LB's two instances would collide). Thread-safe; calls are serialised.
#pragma once

#include <sys/types.h>

#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "agent/haproxy_runtime_config.h"
#include "agent/process.h"
#include "agent/tls_certificate.h"
#include "agent/tls_secrets.h"
#include "core/clock.h"
#include "core/status.h"

namespace csim::agent {

struct HaproxyInstanceSpec {
  std::string lb_uuid;          // loadbalancer uuid (validated here)
  std::string netns;            // namespace the instance runs in (must exist)
  std::string contrail_config;  // haproxy_config from the SI bindings
};

// A certificate an instance serves.
struct HaproxyCertificate {
  std::string container;  // "default__foo-tls"
  std::string secret;     // "default/foo-tls"
  std::string file;       // its PEM file in the instance directory
  CertificateSummary leaf;
};

struct HaproxyStatus {
  std::string lb_uuid;
  std::string netns;
  std::string state;     // "started", "reloaded", "waiting", "stopped" or "failed"
  bool changed = false;  // whether the last apply() changed the state, process or files
  pid_t pid = 0;         // serving process (0 if none)
  // For "failed": what went wrong, with haproxy's ALERT lines. For a serving instance:
  // what it does not serve (TLS certificates or frontends left out), else "".
  std::string error;
  std::vector<HaproxyCertificate> certificates;  // served, in the order first met
  std::vector<std::string> adaptations;
  std::vector<std::string> warnings;  // WARNING lines haproxy printed at the last start
  std::vector<HaproxyBind> binds;
  std::string dir, conf_path, contrail_conf_path, socket_path, log_path;
  core::Nanos took{0};          // duration of the last start or reload
  std::vector<pid_t> draining;  // replaced processes still finishing connections
};
void to_json(nlohmann::json& j, const HaproxyStatus& s);

struct HaproxySupervisorOptions {
  std::string state_dir;  // required, absolute
  std::string haproxy_binary = "haproxy";
  core::Nanos start_timeout = std::chrono::seconds(10);
  core::Nanos stop_grace = std::chrono::seconds(2);
  // Also run `haproxy -c` before a first start (it always runs before a reload). Off by
  // default: a failing first start reports the same message, ~20 ms sooner on success.
  bool check_before_start = false;
  // Where `crt__<ns>__<secret>` certificates come from; unset = TLS binds are left out
  // with an error saying so.
  TlsSecretSource tls_secrets;
};

class HaproxySupervisor {
 public:
  explicit HaproxySupervisor(HaproxySupervisorOptions options);
  // Stops every instance.
  ~HaproxySupervisor();
  HaproxySupervisor(const HaproxySupervisor&) = delete;
  HaproxySupervisor& operator=(const HaproxySupervisor&) = delete;

  // Makes the instance run with this config: starts it, reloads it when the runtime text
  // or a certificate changed (or restarts it when its process died or its namespace
  // changed), waits when the config has no bind and nothing runs, or leaves it alone.
  // On failure the result is the error, status(lb) says "failed", and a process that was
  // serving keeps serving its previous config. Certificates are fetched at every call:
  // calling it again after a Secret changed is how a rotation reaches haproxy.
  core::Result<HaproxyStatus> apply(const HaproxyInstanceSpec& spec);
  // Stops the instance and removes its directory. OK if unknown.
  core::Status stop(const std::string& lb_uuid);
  void stop_all();

  // Current status; a process that died since is reported as failed.
  std::optional<HaproxyStatus> status(const std::string& lb_uuid);
  std::vector<HaproxyStatus> list();

  // Sends one command on the instance's stats socket ("show stat", "show info") and
  // returns the answer. Commands are one line; the socket's level is "user".
  core::Result<std::string> stats_command(const std::string& lb_uuid, const std::string& command);

  // The directory of an instance (whether it exists or not).
  std::string instance_dir(const std::string& lb_uuid) const;

 private:
  struct Instance;
  core::Status start_process_locked(Instance& inst, bool reload);
  void refresh_locked(Instance& inst);
  core::Status stop_locked(Instance& inst);

  HaproxySupervisorOptions options_;
  std::mutex mu_;
  std::map<std::string, std::unique_ptr<Instance>> instances_;
};

}  // namespace csim::agent
