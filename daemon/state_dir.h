// The state directory of one `csim up` daemon, and how a client tells whether a daemon
// runs for it.
//
//   <state>/csim.lock      locked by the daemon for its whole life (the authoritative
//                          "a csim runs here": free lock = no daemon, whatever else is there)
//   <state>/csim.pid       the daemon's pid on the host (the sandbox's outer process)
//   <state>/control.sock   the daemon's control channel (daemon/control_server.h)
//   <state>/kubeconfig     points kubectl at the daemon's API server (mode 0600)
//   <state>/csim.json      where the daemon serves, for `csim config` and `csim agent`
//                          (daemon/endpoints.h; mode 0600)
//   <state>/csim.log       the daemon's stdout and stderr
//   <state>/tls/           the API server's CA and certificate when it serves HTTPS (with
//                          --token): ca.crt, ca.key, apiserver.crt, apiserver.key (keys
//                          0600); kept and reused while valid (kube/apiserver/tls_cert.h)
//   <state>/cluster/       the simulated cluster's files (config.db, kube.db, nodes); kept
//                          between runs: `csim up` brings the same cluster back
//                          (daemon/cluster_dir.h says what a start removes)
//
// The state directory must not be under /run: csim's sandbox mounts its own /run, so the
// daemon would not see the same files as its clients.
//
// Pure path helpers and small file operations; thread-safe (no shared state).
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>

#include "core/status.h"

namespace csim::daemon {

struct StateDir {
  std::string dir;  // absolute, normalised

  std::string lock_file() const { return dir + "/csim.lock"; }
  std::string pid_file() const { return dir + "/csim.pid"; }
  std::string control_socket() const { return dir + "/control.sock"; }
  std::string kubeconfig() const { return dir + "/kubeconfig"; }
  std::string endpoints_file() const { return dir + "/csim.json"; }
  std::string log_file() const { return dir + "/csim.log"; }
  std::string cluster_dir() const { return dir + "/cluster"; }
  std::string tls_dir() const { return dir + "/tls"; }
};

// The state directory for `flag` (the --state-dir value, "" when absent): flag, else
// $CSIM_STATE_DIR, else $HOME/.csim. Made absolute and normalised (not created). kInvalid
// when none is set or the path is under /run.
core::Result<StateDir> resolve_state_dir(const std::string& flag);

// Creates the directory (and parents) with mode 0700 if absent; checks it is a directory
// owned by the caller and, once created, that its real path is not under /run.
core::Status ensure_state_dir(const StateDir& state);

// An exclusive lock on <state>/csim.lock, owned by the open file description (an OFD
// lock: shared by every process that inherited the descriptor, released when the last
// copy closes).
class InstanceLock {
 public:
  // Tries to take the lock without waiting. kAlreadyExists when someone holds it
  // (a daemon runs or is starting), kUnavailable when the file cannot be opened.
  static core::Result<InstanceLock> try_acquire(const StateDir& state);
  InstanceLock(InstanceLock&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  InstanceLock& operator=(InstanceLock&& other) noexcept;
  ~InstanceLock();  // releases (closes this descriptor; copies inherited by children keep it)

  int fd() const { return fd_; }
  // Gives the descriptor away (the caller now owns it and the lock with it).
  int release();

 private:
  explicit InstanceLock(int fd) : fd_(fd) {}
  int fd_ = -1;
};

// True when some process holds <state>/csim.lock (so a daemon runs or is starting).
bool lock_is_held(const StateDir& state);

// The pid in <state>/csim.pid, nullopt when absent or unreadable.
std::optional<pid_t> read_pid_file(const StateDir& state);
// Writes "<pid>\n" atomically (temp file + rename), mode 0644.
core::Status write_pid_file(const StateDir& state, pid_t pid);

// True when pid is alive (exists and is not a zombie).
bool process_alive(pid_t pid);
// True when pid is a `csim up` daemon: alive, its executable is named csim* (or is the
// same file as this process's), and its argv[1] is "up". Used before signalling a pid
// read from a pid file.
bool is_csim_daemon(pid_t pid);

// Removes path if it exists; OK when it did not.
core::Status remove_if_exists(const std::string& path);

// `s` quoted for a POSIX shell when it needs quoting ('...' with ' escaped).
std::string shell_quote(const std::string& s);

}  // namespace csim::daemon
