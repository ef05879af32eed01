// The program every simulated pod runs: a small HTTP/1.1 echo server.
//
//   csim echo-server --pod P --namespace N --node X --labels '{"app":"qa"}' --port 80 [--port 8080
//   ...]
//
// It listens on 0.0.0.0:<port> for each --port (in the pod's network namespace; the agent
// starts it there), prints one line "listening on :80 :8080" to stdout once every port is
// bound (the agent's readiness signal), and answers every request with 200 and a JSON
// body:
//   {"pod": P, "namespace": N, "node": X, "labels": {...}, "method": "GET",
//    "host": <Host header>, "path": <request target as received>, "headers": {<lower-case
//    name>: value, ...}, "ip": <local address the request came to>, "port": <local port>,
//    "client": <peer address>}
// HTTP/1.1 keep-alive and pipelining; HTTP/1.0 closes unless asked to keep alive. Bad
// requests get 400 (431 for a request head over 16 KiB, 413 for a body over 1 MiB,
// 501 for an unknown transfer coding) and the connection is closed. Idle connections
// are closed after 60 s. SIGTERM or SIGINT: closes everything and exits 0.
// Single-threaded (one epoll loop).
#pragma once

#include <map>
#include <string>
#include <vector>

#include "core/status.h"

namespace csim::agent {

struct EchoServerOptions {
  std::string pod;
  std::string kube_namespace;
  std::string node;
  std::string labels_json = "{}";  // a JSON object of strings
  std::vector<int> ports;
};

// Parses the command line (argv[0] is "echo-server"). Errors name the bad flag.
core::Result<EchoServerOptions> parse_echo_server_args(int argc, char** argv);

// Runs until SIGTERM/SIGINT. Returns 0 then, 1 if a port cannot be bound.
int serve_echo(const EchoServerOptions& options);

// The `csim echo-server` entry point: parse_echo_server_args + serve_echo; prints usage
// errors to stderr and returns 2 on bad arguments.
int run_echo_server(int argc, char** argv);

}  // namespace csim::agent
