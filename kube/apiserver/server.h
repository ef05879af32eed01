// The kube-apiserver's front: HTTP/1.1 or HTTPS (keep-alive, chunked watch streams) that
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
// "Authorization: Bearer <token>" (compared in constant time), else 401 with a Status.
// kubectl (client-go) sends credentials only to https:// servers, so a token is for kubectl
// only together with `tls` (a certificate, e.g. from tls_cert.h, whose CA the kubeconfig
// carries); over plain HTTP a token-protected server serves curl-like clients only. With
// TLS (1.2 or 1.3), a plain-HTTP request on the port gets a 400 "Client sent an HTTP
// request to an HTTPS server." as Go's servers answer. Instead of binding, the server can
// adopt a listening socket made elsewhere (listen_fd: e.g. bound in the host's network
// namespace by a process that then entered a sandbox).
//
// Requests are handled by Router (router.h) on the server's own io_context threads;
// watches are fed by a WatchHub (watch_hub.h) created with the server, so watch history
// starts when the ApiServer is constructed. Every response carries Cache-Control:
// no-cache, private. Request bodies are limited to 3 MiB, idle keep-alive connections
// close after 5 minutes, TLS handshakes must finish within 30 s, and at most 512
// connections are served at once.
//
// Thread-safe: start()/stop() from any one thread; the rest is internal.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "core/bus.h"
#include "core/clock.h"
#include "core/status.h"
#include "kube/apiserver/watch_hub.h"
#include "kube/object_store.h"

namespace csim::kube::apiserver {

// The server's certificate (chain) and private key, PEM.
struct TlsOptions {
  std::string cert_pem;
  std::string key_pem;
};

struct ApiServerOptions {
  std::string listen_address = "127.0.0.1";
  uint16_t port = 0;           // 0 = a free port (see start()'s result)
  // An already bound, listening TCP socket to serve instead of binding listen_address:port
  // (-1 = bind). The server serves a duplicate; the caller keeps and closes its own. The
  // loopback/token rule applies to the socket's address.
  int listen_fd = -1;
  std::string token;           // bearer token; required for a non-loopback listen address
  std::optional<TlsOptions> tls;  // serve HTTPS with this certificate; plain HTTP when absent
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

  // Binds (or adopts listen_fd) and starts serving; returns the port. kInvalid for a
  // non-loopback address without a token, an unparseable address, a listen_fd that is not
  // a listening TCP socket, or a certificate/key OpenSSL refuses (its message included);
  // kUnavailable when the address cannot be bound. Once per ApiServer (kInvalid on a
  // second call).
  core::Result<uint16_t> start();
  // Closes the listener and every connection (watches end); idempotent.
  void stop();

  uint16_t port() const;    // 0 before start()
  // "http://127.0.0.1:<port>" ("https://..." with TLS; "[::1]" for IPv6). The address is
  // the one listened on (0.0.0.0 stays 0.0.0.0: clients must pick a real one).
  std::string url() const;
  size_t open_watches() const;

  class Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

// Constant-time comparison of a presented credential with the expected one (time depends
// only on expected's length).
bool constant_time_equals(const std::string& given, const std::string& expected);

}  // namespace csim::kube::apiserver
