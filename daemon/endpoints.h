// <state>/csim.json: where a running `csim up` daemon serves, for clients on the host
// (`csim config`, `csim agent`). Written by the daemon once everything listens, removed
// when it stops (and, after a crash, by the next `csim up` or `csim down`). Mode 0600:
// it carries the token when there is one, as the kubeconfig does.
//
//   {"pid": N, "listen_address": "127.0.0.1", "api_port": N, "config_port": 8082,
//    "introspect_port": 8085, "token": "..."}            (token only when set)
//
// A file found while no daemon holds the lock is stale: clients check the lock first.
// Pure functions and small file operations; thread-safe.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "core/status.h"
#include "daemon/state_dir.h"

namespace csim::daemon {

struct DaemonEndpoints {
  pid_t pid = 0;  // the daemon's pid on the host (as csim.pid)
  std::string listen_address = "127.0.0.1";
  uint16_t api_port = 0;
  uint16_t config_port = 0;
  uint16_t introspect_port = 0;
  std::string token;  // "" = none
};

nlohmann::json endpoints_to_json(const DaemonEndpoints& e);
// kInvalid naming the field that is missing or of the wrong type.
core::Result<DaemonEndpoints> endpoints_from_json(const nlohmann::json& j);

// Writes <state>/csim.json atomically (temp file + rename), mode 0600.
core::Status write_endpoints(const StateDir& state, const DaemonEndpoints& e);
// Reads it. kNotFound when absent, kInvalid when it does not parse.
core::Result<DaemonEndpoints> read_endpoints(const StateDir& state);

// The IPv4 address a client on this host dials to reach a server listening on
// `listen_address`: 127.0.0.1 for 0.0.0.0, the address itself for other IPv4 literals.
// kInvalid for IPv6 ("csim's HTTP client speaks IPv4 only ...").
core::Result<std::string> client_ipv4(const std::string& listen_address);

}  // namespace csim::daemon
