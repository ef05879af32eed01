// `csim demo [FILE]`: the whole pipeline, narrated, for one Ingress file (default: the
// seed's simple-fanout). Starts the simulated cluster inside the sandbox, applies FILE,
// prints each hop as it happens, sends real HTTP requests from the external-client
// namespace, checks every reply against the Ingress by Contrail's rules, prints the
// haproxy config and the trace tree, removes everything it made, and returns 0 only if
// every request was routed right.
#pragma once

#include <string>

namespace csim::cli {

struct DemoOptions {
  std::string file = "testdata/simple-fanout.yaml";
  std::string csim_binary;        // this program, for `echo-server` in pod namespaces
  bool narrate = true;            // print each hop as it happens
  std::string semantics = "contrail";  // or "kubernetes" (docs/semantics.md)
  bool full_trace = false;        // print every hop of the trace, not only the path to haproxy
  std::string chrome_trace_path;  // also write the trace as Chrome trace events
  std::string json_trace_path;    // also write the trace tree as JSON
};

int run_demo(const DemoOptions& options);

}  // namespace csim::cli
