// csim's private sandbox: a user + mount + network + PID namespace that holds every
// simulated address, namespace and process, so nothing of the simulated cluster touches
// the host and nothing is left behind when csim exits.
//
//   outer csim ──clone(NEWUSER|NEWNS|NEWNET|NEWPID)──▶ csim again (PID 1 of the sandbox)
//      waits, forwards SIGINT/SIGTERM/SIGHUP,            /run is a private tmpfs (/run/netns
//      exits with the child's code                       for named namespaces), fresh /proc,
//                                                        lo up, uid 0 mapped to the caller
//
// The child runs with PR_SET_PDEATHSIG=SIGKILL, so kill -9 of the outer process kills
// PID 1 of the sandbox, and the kernel then kills every process in it (haproxy, echo
// servers) and frees every namespace. Works for a normal user where unprivileged user
// namespaces are allowed (the default on Debian 12).
#pragma once

#include "core/status.h"

namespace csim::agent {

// Environment variable that marks the inside of the sandbox ("1").
inline constexpr const char* kSandboxEnv = "CSIM_SANDBOX";

// Call early in main(), before starting threads that matter (the outer process only
// waits). Outside the sandbox: re-executes /proc/self/exe with the same argv inside a new
// sandbox, waits for it and exits with its exit code (128+N if killed by signal N); it
// never returns, except with an error when the kernel refuses user namespaces (the
// message says which sysctl to change). Inside: sets the sandbox up once and returns OK
// (also when called again). In the sandbox, csim is PID 1: signals without a handler are
// ignored there, so this installs SIGINT/SIGTERM/SIGHUP handlers that _exit(128+N); a
// program that wants a graceful shutdown installs its own after this call.
// Paths under /run are private inside (the host's /run is hidden).
core::Status enter_sandbox(int argc, char** argv);

// True inside a sandbox set up by enter_sandbox (this process or an ancestor).
bool in_sandbox();

// Whether enter_sandbox could mount a fresh /proc for the sandbox's PID namespace (it
// cannot where /proc is partly masked, e.g. in some containers; csim works either way).
bool sandbox_has_private_proc();

}  // namespace csim::agent
