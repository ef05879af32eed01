// Serves a listening TCP socket that lives in another network namespace by relaying each
// connection to an address of the calling process's own namespace.
//
// `csim up` binds the API server's port on the host (outer process), but the daemon and
// its kube::apiserver::ApiServer run inside csim's sandbox, whose network namespace the
// host cannot reach. The ApiServer binds only by itself (it cannot adopt a descriptor),
// so the daemon runs it on 127.0.0.1:<free port> inside the sandbox and a TcpForwarder
// accepts on the host socket and relays bytes both ways (half-closes are passed on, so
// kubectl's watches end when either side ends them). At most 512 connections at once.
//
// Threads: one io thread of its own; start()/stop() from one owner thread.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "core/status.h"

namespace csim::daemon {

class TcpForwarder {
 public:
  // listen_fd: a listening TCP socket (a duplicate is served; the caller keeps its own).
  // target: an IPv4/IPv6 address and port reachable from this process's namespace.
  TcpForwarder(int listen_fd, std::string target_ip, uint16_t target_port);
  ~TcpForwarder();  // stop()
  TcpForwarder(const TcpForwarder&) = delete;
  TcpForwarder& operator=(const TcpForwarder&) = delete;

  // kInvalid when listen_fd is not a listening TCP socket or the target is not an IP.
  core::Status start();
  // Closes the listener and every relayed connection; joins the thread. Idempotent.
  void stop();

  // Connections relayed so far (for tests and status).
  uint64_t connections() const;

  class Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace csim::daemon
