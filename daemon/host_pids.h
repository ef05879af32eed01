// Pids of csim's sandbox as the host sees them. The daemon reports pids of its own PID
// namespace (haproxy 23); `csim status` shows the host's pid too, found by reading the
// host's /proc: the sandbox's PID 1 is the child of the outer process in csim.pid, and
// a host process belongs to the sandbox when /proc/<pid>/ns/pid is the same namespace;
// the last NSpid of /proc/<pid>/status is its pid inside. Best effort: unknown pids map
// to nothing. Not thread-safe (a snapshot); build one per use.
#pragma once

#include <sys/types.h>

#include <map>
#include <optional>

namespace csim::daemon {

class SandboxPids {
 public:
  // Scans /proc for the sandbox of the outer process `outer_pid`.
  static SandboxPids scan(pid_t outer_pid);

  // The host pid of a sandbox pid, if that process is (still) there.
  std::optional<pid_t> host_pid(pid_t sandbox_pid) const;
  // The sandbox's PID 1 on the host (0 when not found).
  pid_t init_pid() const { return init_; }
  size_t size() const { return map_.size(); }

 private:
  pid_t init_ = 0;
  std::map<pid_t, pid_t> map_;  // sandbox pid -> host pid
};

}  // namespace csim::daemon
