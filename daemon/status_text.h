// `csim status` as text: the daemon's status reply (daemon/daemon.h, op "status") laid
// out for people, with host pids next to the sandbox's pids when known. Pure; any thread.
#pragma once

#include <sys/types.h>

#include <functional>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace csim::daemon {

// host_pid maps a sandbox pid to the host's (nullopt when unknown).
std::string format_status(const nlohmann::json& status,
                          const std::function<std::optional<pid_t>(pid_t)>& host_pid);

// "2h03m", "4m07s", "12s".
std::string format_duration_s(int64_t seconds);

}  // namespace csim::daemon
