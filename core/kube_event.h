// The body of a `kube.event` message (docs/contracts.md): something a module tells about
// the Kubernetes object with uid `uid`, which kube/event_recorder.h writes as a Kubernetes
// Event. Here, in the shared core, so that a publisher (svc-monitor, an agent) needs no
// dependency on kube/. Pure.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace csim::core {

// {uid, reason, message, type: "Normal" | "Warning", component, host, summary}.
inline nlohmann::json kube_event_body(const std::string& uid, const std::string& reason,
                                      const std::string& message, const std::string& component,
                                      const std::string& host = "", bool warning = false) {
  return {{"uid", uid},
          {"reason", reason},
          {"message", message},
          {"type", warning ? "Warning" : "Normal"},
          {"component", component},
          {"host", host},
          {"summary", "event " + reason + ": " + message}};
}

}  // namespace csim::core
