// The gateway between the external network and the fabric (docs/contracts.md): it
// listens to `bgp.gateway` (the control-node's best path per public floating-ip prefix)
// and keeps the gateway namespace's routes equal to it: <fip>/32 via the underlay
// address of the node with the best path (from the Dataplane; the message's
// underlay_ip when the node is not known here), over the fabric bridge.
// Each applied version is recorded as a work span ("gateway routes v3: 10.84.59.252/32
// via 169.254.1.1 (node-1)"); failures too, with the reason.
//
// Subscribes on construction (the fabric is created on the first message if start()
// did not create it before).
// Threads: the handler runs on the bus strand "gateway"; start(), stop() and
// introspect() may be called from any other thread. The Gateway must be destroyed (or
// stopped) before the bus.
#pragma once

#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <shared_mutex>
#include <string>

#include "agent/dataplane.h"
#include "core/bus.h"

namespace csim::agent {

class Gateway {
 public:
  static constexpr const char* kModule = "gateway";

  Gateway(core::Bus& bus, Dataplane& dataplane);
  ~Gateway();  // stop()
  Gateway(const Gateway&) = delete;
  Gateway& operator=(const Gateway&) = delete;

  // Creates the fabric now (instead of on the first message); subscribes again after a
  // stop().
  core::Status start();
  // Ignores later messages and withdraws the routes it installed. Idempotent.
  void stop();

  // {"version", "routes": [...], "error"}
  nlohmann::json introspect() const;

 private:
  struct Life {
    std::shared_mutex mu;
    bool alive = true;
  };
  void on_routes(const core::Envelope& e);
  void subscribe();

  core::Bus& bus_;
  Dataplane& dataplane_;
  std::shared_ptr<Life> life_;
  mutable std::mutex mu_;
  nlohmann::json state_ = {{"version", 0}, {"routes", nlohmann::json::array()}, {"error", ""}};
};

}  // namespace csim::agent
