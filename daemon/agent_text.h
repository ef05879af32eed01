// `csim agent list` and `csim agent show NODE` as text: the introspection pages
// (daemon/introspect_view.h) laid out for people, with host pids next to the sandbox's
// when known. Pure; any thread.
#pragma once

#include <sys/types.h>

#include <functional>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace csim::daemon {

// The page of GET /agents -> one line per agent under a header, then any failed view.
std::string format_agent_list(const nlohmann::json& agents_page);

// The page of GET /agents/<node> -> the agent, its service instances (namespace, vip and
// ports, haproxy state and pid, last command, error, adaptations), the ones not usable
// and its pods. host_pid maps a sandbox pid to the host's (nullopt when unknown).
std::string format_agent(const nlohmann::json& agent,
                         const std::function<std::optional<pid_t>(pid_t)>& host_pid);

}  // namespace csim::daemon
