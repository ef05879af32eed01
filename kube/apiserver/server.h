// The kube-apiserver's HTTP front: plain HTTP/1.1 (keep-alive, chunked watch streams) that
// unmodified kubectl 1.27-1.33 talks to, over the object store.
//
//   MemoryObjectStore store(bus, clock);
//   ApiServer server(store, bus, {.listen_address = "127.0.0.1", .port = 0});
//   auto port = server.start();          // Result<uint16_t>: the port it listens on
//   write_kubeconfig(path, server.url(), "");   // kube/apiserver/kubeconfig.h
//   ... kubectl --kubeconfig path get ing -o wide ...
//   server.stop();
//
// Listens on 127.0.0.1 (or ::1) unless given another listen address AND a bearer token;
// with a token every request but /healthz, /livez and /readyz must carry
// "Authorization: Bearer <token>" (compared in constant time), else 401.
// NOTE: kubectl (client-go) sends credentials only to https:// servers; over this plain
// HTTP it sends no Authorization header at all, so a token-protected server serves curl
// and other HTTP clients but refuses kubectl. kubectl use stays on loopback (or a tunnel
// to it) unless TLS is added. Requests are
// handled by Router (router.h) on the server's own io_context threads; watches are fed by a
// WatchHub (watch_hub.h) created with the server, so watch history starts when the
// ApiServer is constructed. Every response carries Cache-Control: no-cache, private.
// Request bodies are limited to 3 MiB, idle keep-alive connections close after 5 minutes,
// and at most 512 connections are served at once.
//
// Thread-safe: start()/stop() from any one thread; the rest is internal.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "core/bus.h"
#include "core/clock.h"
#include "core/status.h"
#include "kube/apiserver/watch_hub.h"
#include "kube/object_store.h"

namespace csim::kube::apiserver {

struct ApiServerOptions {
  std::string listen_address = "127.0.0.1";
  uint16_t port = 0;           // 0 = a free port (see start()'s result)
  std::string token;           // bearer token; required for a non-loopback listen address
  int threads = 2;             // io_context threads
  core::Clock* clock = nullptr;  // AGE columns; the system clock when null
  WatchHub::Options watch;
};

class ApiServer {
 public:
  // `store` and `bus` are not owned and must outlive the server.
  ApiServer(ObjectStore& store, core::Bus& bus, ApiServerOptions options = {});
  ~ApiServer();  // stop()
  ApiServer(const ApiServer&) = delete;
  ApiServer& operator=(const ApiServer&) = delete;

  // Binds and starts serving; returns the port. kInvalid for a non-loopback address without
  // a token or an unparseable address; kUnavailable when the address cannot be bound.
  // Once per ApiServer (kInvalid on a second call).
  core::Result<uint16_t> start();
  // Closes the listener and every connection (watches end); idempotent.
  void stop();

  uint16_t port() const;    // 0 before start()
  std::string url() const;  // "http://127.0.0.1:<port>" ("http://[::1]:<port>" for IPv6)
  size_t open_watches() const;

  class Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

// Constant-time comparison of a presented credential with the expected one (time depends
// only on expected's length).
bool constant_time_equals(const std::string& given, const std::string& expected);

}  // namespace csim::kube::apiserver
