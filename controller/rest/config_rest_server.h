// ConfigRestServer: Contrail's config API (the api-server's VNC REST API on :8082) over
// plain HTTP/1.1 with keep-alive, serving any ConfigApi (csim's config DB). What each URL
// does is in rest_handler.h.
//
//   ConfigRestServer server(db, {.listen_address = "127.0.0.1", .port = 8082});
//   auto port = server.start();   // then: curl http://127.0.0.1:8082/loadbalancers?detail=True
//   ...
//   server.stop();
//
// Safety: it listens on a loopback address (127.0.0.0/8, ::1) unless it is given a bearer
// token; with a token every request must carry it (X-Auth-Token: <token> or Authorization:
// Bearer <token>), compared in constant time, else 401. Bodies over max_body_bytes get 413
// without being read; at most max_connections at once (more are closed at accept); a
// connection idle for idle_timeout is closed.
//
// Threads: start() starts one thread that runs the server's own io_context; requests are
// handled on it one at a time (ConfigApi is thread-safe, so other modules keep writing).
// start() and stop() are called from one owner thread.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "controller/config_api.h"
#include "core/bus.h"
#include "core/status.h"

namespace csim::controller {

struct RestOptions {
  std::string listen_address = "127.0.0.1";  // an IPv4 or IPv6 address, not a name
  uint16_t port = 8082;                      // 0: any free port (start() says which)
  std::string token;                         // required for a non-loopback listen_address
  // An already bound and listening TCP socket to serve instead of binding listen_address:port
  // (e.g. made by the outer csim in the host's network namespace before it enters the
  // sandbox: the socket stays in the namespace it was made in). The server serves a
  // duplicate; the caller keeps and closes its own. The token rule applies to its address.
  int listen_fd = -1;
  size_t max_body_bytes = 1 << 20;  // 1 MiB
  int max_connections = 64;
  std::chrono::seconds idle_timeout{60};
  // When given, each write runs in a trace rooted at "PUT /<type>/<uuid>" (module
  // "config-api"), so `csim trace` shows the REST call that caused a change.
  core::Bus* trace_bus = nullptr;
};

class ConfigRestServer {
 public:
  ConfigRestServer(ConfigApi& api, RestOptions options = {});
  ~ConfigRestServer();  // stop()
  ConfigRestServer(const ConfigRestServer&) = delete;
  ConfigRestServer& operator=(const ConfigRestServer&) = delete;

  // Binds (or adopts listen_fd) and starts serving; returns the port it listens on. kInvalid
  // for a listen address that is not an IP address, or is not loopback while the token is
  // empty, for a listen_fd that is not a listening TCP socket, or if already started;
  // kUnavailable when the address cannot be bound (naming it and the error).
  core::Result<uint16_t> start();

  // Closes the listener and every connection (requests in flight finish first), joins the
  // thread. Idempotent; start() may be called again afterwards.
  void stop();

  // The bound port while running, else 0.
  uint16_t port() const;

  class Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace csim::controller
