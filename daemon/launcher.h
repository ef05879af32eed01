// Starting and stopping the `csim up` daemon (daemon/daemon.h) from the command line.
//
// launch_daemon (`csim up`), in the caller's process A:
//   1. takes <state>/csim.lock (refuses when taken: a csim runs or is starting there;
//      when csim.pid names a process that is gone, the sandbox of a killed csim is still
//      being torn down: waits for the lock up to 10 s), then removes what a run that
//      ended without `csim down` left (csim.pid, control.sock, kubeconfig, csim.json) and
//      reports it; the nodes are those of <state>/cluster unless given,
//   2. binds the API, config API and introspection sockets in the host's network namespace,
//   3. forks B: setsid, stdio to <state>/csim.log, every other descriptor closed; B puts
//      the daemon configuration (descriptor numbers, its own pid, the token) in the
//      environment (CSIM_DAEMON, never argv) and calls agent::enter_sandbox, which
//      re-executes `<reexec_argv>` (csim up) inside the sandbox as C and waits for it;
//   4. waits (bounded) for C's one-line report on a pipe and returns it, or the error
//      with the tail of the log. The lock descriptor is shared by A, B and C (one open
//      file): it stays held while B or C lives.
// B is what csim.pid names: SIGTERM to it is forwarded to C (a graceful stop); SIGKILL
// to it kills C (PR_SET_PDEATHSIG) and with it the whole sandbox.
//
// daemon_child_main (C) is what `csim up` runs when it finds CSIM_DAEMON and the
// sandbox's init mark in its environment.
//
// stop_daemon (`csim down`): asks over the control socket, waits for the lock to be
// released (bounded), else SIGKILLs the pid in csim.pid if it is still a csim daemon,
// then removes control.sock, csim.pid, kubeconfig and csim.json.
//
// Call launch_daemon from a single-threaded process (it forks).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/clock.h"
#include "core/status.h"
#include "daemon/state_dir.h"

namespace csim::daemon {

inline constexpr const char* kDaemonEnv = "CSIM_DAEMON";

struct UpOptions {
  StateDir state;
  std::string listen_address = "127.0.0.1";
  std::string token;
  uint16_t api_port = 0;        // 0 = a free port
  uint16_t config_port = 8082;  // 0 = a free port
  uint16_t introspect_port = 8085;  // the agents' introspection (as the real agent's); 0 = free
  // node-1 .. node-N; 0 = the nodes <state>/cluster was made with, else 2. A number
  // other than the recorded one is refused (daemon/cluster_dir.h).
  int nodes = 0;
  core::Nanos ready_timeout = std::chrono::seconds(90);
  // What enter_sandbox re-executes (/proc/self/exe with this argv); it must reach
  // daemon_child_main. Tests whose binary is not csim give their own.
  std::vector<std::string> reexec_argv{"csim", "up"};
  std::string csim_binary;  // for pod echo servers; "" = this executable
};

// Checks the options (listen address and token rule, ports, node count 0..8). Pure.
core::Status check_up_options(const UpOptions& options);

// See above. Returns the daemon's ready report ({"ok":true, "pid", "api_url",
// "config_url", "introspect_url", "kubeconfig", "log", "control_socket", "nodes",
// "restored" (the cluster came back from <state>/cluster), "removed_leftovers", and
// "previous_pid" when a run that had not stopped was cleaned up, ...}). Errors:
// kAlreadyExists when a daemon runs for the state dir (the message names its pid),
// kInvalid for bad options or a --nodes other than the state dir's cluster has,
// kUnavailable when a port cannot be bound or the daemon
// failed or did not report in time (the message carries its error and log tail).
core::Result<nlohmann::json> launch_daemon(const UpOptions& options);

// True in the process that launch_daemon's re-execution started inside the sandbox.
bool is_daemon_child();
// The daemon's main (C): finishes the sandbox set-up, reads and clears CSIM_DAEMON,
// runs daemon::run_daemon. Returns the exit code.
int daemon_child_main(int argc, char** argv);

struct DownReport {
  bool was_running = false;
  pid_t pid = 0;        // from csim.pid (0 if unknown)
  bool graceful = false;  // stopped by the control request
  bool killed = false;    // SIGKILLed after the wait
};

// See above. kUnavailable when the daemon is still there after SIGKILL (or cannot be
// signalled), naming the pid.
core::Result<DownReport> stop_daemon(const StateDir& state,
                                     core::Nanos timeout = std::chrono::seconds(20));

}  // namespace csim::daemon
