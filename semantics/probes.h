// The requests the lint sends through both routers to find where they disagree.
//
// First no Host header; then for every rule host: the host itself, with ":80", in upper case; for a wildcard host
// "*.foo.com": a host it covers ("csim-probe.foo.com", also with ":80"), one label too deep
// and the bare suffix. For every path: the path itself, path + "/x" (the sub-path), path +
// "/", a sibling path + "x" (for a path ending in '/': path + "x" and the path without the
// slash); for a path-less entry "/" and "/csim-any". Then an unmatched host, "/" and an
// unmatched path. The probes are every host with every path, deduplicated,
// in this order (so the first probe that shows a difference is the most telling one).
// Pure; thread-safe.
#pragma once

#include <string>
#include <vector>

#include "semantics/ingress_model.h"

namespace csim::semantics {

struct ProbeRequest {
  std::string host;  // the Host header's value; "" = no Host header
  std::string path;  // the request path
  bool operator==(const ProbeRequest&) const = default;
};

inline constexpr const char* kUnmatchedHost = "csim-unmatched.example";
inline constexpr const char* kUnmatchedPath = "/csim-unmatched";

// The Host header values to probe `ingress` with, in order, without duplicates.
std::vector<std::string> probe_hosts(const IngressModel& ingress);
// The paths to probe `ingress` with, in order, without duplicates.
std::vector<std::string> probe_paths(const IngressModel& ingress);
// probe_hosts × probe_paths, hosts outermost.
std::vector<ProbeRequest> probe_requests(const IngressModel& ingress);

}  // namespace csim::semantics
