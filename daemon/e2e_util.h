// Helpers for the daemon's end-to-end tests with the real `csim` binary and real kubectl
// (restart_e2e_test, crash_e2e_test): running commands (bounded), one csim session per
// state directory, and a scan of /proc for what a dead run may have left.
//
// The tests run inside csim's test sandbox (agent/test_main.cc); every daemon they start
// makes its own sandbox inside that one. /proc may be the host's: processes are only
// looked at when they belong to this test's PID namespace or one nested in it.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <set>
#include <utility>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "daemon/state_dir.h"

namespace csim::daemon::e2e {

struct Outcome {
  int code = -1;  // exit code, 128+N when killed by signal N, -1 when it could not run
  std::string out;
  std::string err;
  std::string all() const { return out + err; }
};

// $TEST_TMPDIR, else /tmp.
std::string tmp_root();
// Runs argv to completion (bounded; killed after timeout) with HOME=tmp_root().
Outcome run(const std::vector<std::string>& argv, std::chrono::seconds timeout = std::chrono::seconds(60));

std::vector<std::string> split(const std::string& s, char sep);
std::vector<std::string> split_ws(const std::string& line);
// The JSON document that starts at the first '{' of `text` (null when there is none).
nlohmann::json json_after_brace(const std::string& text);

// One state directory driven through the real binary.
class Session {
 public:
  Session(std::string csim, StateDir state);

  const StateDir& state() const { return state_; }
  // `csim up --state-dir S --port 0 --config-port 0 --introspect-port 0 <extra>`.
  Outcome up(const std::vector<std::string>& extra = {}) const;
  // `csim <args[0]> --state-dir S <args[1:]...>`.
  Outcome csim(const std::vector<std::string>& args, std::chrono::seconds timeout = std::chrono::seconds(60)) const;
  // kubectl with the session's kubeconfig and its own cache directory.
  Outcome kubectl(const std::vector<std::string>& args, std::chrono::seconds timeout = std::chrono::seconds(60)) const;
  // `csim curl -m 3 URL` until its output starts with `want` (bounded by limit).
  Outcome curl_until(const std::string& url, const std::string& want,
                     std::chrono::seconds limit = std::chrono::seconds(60)) const;
  // Down if a daemon runs; SIGKILL of the pid file's csim if that did not stop it.
  void shut_down() const;

 private:
  std::string csim_;
  StateDir state_;
  std::string cache_;
};

// A running csim's sandbox, taken before it is killed: its processes and namespaces,
// and every other process of this test that could hold on to them. Processes are told
// apart by (pid, start time), so a recycled pid or namespace inode number of the next
// run is not mistaken for a remnant.
struct SandboxProbe {
  using Proc = std::pair<pid_t, uint64_t>;  // pid, start time (clock ticks after boot)
  Proc outer{0, 0};                          // csim.pid
  pid_t init = 0;                            // the sandbox's PID 1, as this test sees it
  ino_t pid_ns = 0, mnt_ns = 0;
  std::set<ino_t> net_ns;     // of every process in the sandbox (pods, haproxy, PID 1)
  std::set<Proc> sandbox;     // every process in the sandbox
  std::set<Proc> bystanders;  // every other process of this test (itself, kubectl, ...)
};
SandboxProbe probe_sandbox(pid_t outer);

// What of a dead sandbox is still there: its outer process, any of its processes, any
// bystander that is in one of its namespaces or holds one open. Empty when all went.
std::vector<std::string> remains_of(const SandboxProbe& dead);

// csim and haproxy processes (of this test's PID namespace and the ones nested in it)
// that belong to no live daemon: neither `live_outer` itself nor inside its sandbox.
// Zombies do not count (they are dead). Each entry: "pid N exe (cmdline)".
std::vector<std::string> stray_processes(pid_t live_outer);

}  // namespace csim::daemon::e2e
