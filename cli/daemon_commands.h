// The developer's sandbox as a background daemon (daemon/): `csim up`, `csim down`,
// `csim status`, `csim curl`, `csim exec`, `csim config`, `csim agent`. Each takes the
// subcommand's own argv (argv[0] is the subcommand name, e.g. "up") and returns the
// process's exit code.
//
//   csim up [--state-dir DIR] [--port N] [--config-port N] [--introspect-port N]
//           [--listen ADDR --token T] [--nodes N]
//   csim down [--state-dir DIR]
//   csim status [--state-dir DIR] [--json]
//   csim curl [--state-dir DIR] [--host H] [-X METHOD] [-H 'K: V'] [-d BODY] [-i] [--from NS] URL
//   csim exec [--state-dir DIR] NAMESPACE -- CMD ARGS...   |   csim exec --list
//   csim config get TYPE UUID|FQ:NAME | config list TYPE [--detail] | config types  [--state-dir DIR]
//   csim agent list [--json] | agent show NODE [--json]                [--state-dir DIR]
//
// `csim config` and `csim agent` talk HTTP to the daemon's config API and introspection
// ports (found in <state>/csim.json, daemon/endpoints.h) and print JSON (pretty) or text.
//
// The state directory is --state-dir, else $CSIM_STATE_DIR, else $HOME/.csim.
// Exit codes: 0 done; 1 failed (message on stderr: no daemon, unknown type, object or
// node, ...); 2 usage. `csim curl` exits 0 on any
// HTTP answer and 1 on a transport error. `csim exec` exits with the command's code
// (128+N when killed by signal N), 127 when the command is not found, 126 when it could
// not be started, 125 when csim itself failed.
// run_up must be called before anything starts threads (it forks); the daemon itself
// is `csim up` re-executed inside the sandbox (run_up recognises that).
#pragma once

namespace csim::cli {

int run_up(int argc, char** argv);
int run_down(int argc, char** argv);
int run_status(int argc, char** argv);
int run_curl(int argc, char** argv);
int run_exec(int argc, char** argv);
int run_config(int argc, char** argv);  // `csim config ...`
int run_agent(int argc, char** argv);   // `csim agent ...`

// Lines for `csim help`.
extern const char* const kDaemonUsage;

}  // namespace csim::cli
