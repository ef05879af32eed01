// The client side of TLS over a connected, non-blocking TCP socket, for the HTTPS
// requests of `csim curl` and the tests (agent/http_client.h). It verifies nothing (csim's
// certificates are self-signed test certificates): it reports which certificate the
// server presented, so a test can assert WHICH one haproxy served for which SNI.
//
// Every call takes the request's deadline and says what timed out or failed, with
// OpenSSL's reason: "TLS handshake with 10.84.59.252:443 from csim-ext: ...".
// A session is used by one thread at a time; sessions on different threads are
// independent (the shared client context is made once, thread-safely).
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "agent/tls_certificate.h"
#include "core/status.h"

struct ssl_st;  // OpenSSL's SSL

namespace csim::agent {

// What the server presented.
struct TlsPeer {
  std::string sni;                 // the server name sent ("" = none)
  std::string protocol;            // "TLSv1.3"
  std::string cipher;              // "TLS_AES_256_GCM_SHA384"
  CertificateSummary certificate;  // the server's leaf certificate (empty if none)
};

class TlsClientSession {
 public:
  using Deadline = std::chrono::steady_clock::time_point;

  // Handshakes on `fd` (connected, O_NONBLOCK; the caller keeps owning it), sending `sni`
  // unless empty. where: "<ip>:<port>[ from <netns>]" for messages.
  static core::Result<std::unique_ptr<TlsClientSession>> handshake(int fd, const std::string& sni,
                                                                   Deadline deadline,
                                                                   const std::string& where);
  ~TlsClientSession();  // sends close_notify (best effort, never blocks)
  TlsClientSession(const TlsClientSession&) = delete;
  TlsClientSession& operator=(const TlsClientSession&) = delete;

  const TlsPeer& peer() const { return peer_; }

  // Writes every byte before the deadline.
  core::Status write_all(const std::string& data, Deadline deadline);
  // Reads up to `len` bytes: the count, 0 when the server closed the connection (with or
  // without close_notify), or an error.
  core::Result<size_t> read_some(char* buf, size_t len, Deadline deadline);

 private:
  TlsClientSession(int fd, ssl_st* ssl, std::string where);
  // Waits for the socket as OpenSSL asked (ssl_error: SSL_ERROR_WANT_*); false on timeout.
  bool wait(int ssl_error, Deadline deadline);

  int fd_;
  ssl_st* ssl_;
  std::string where_;
  TlsPeer peer_;
};

}  // namespace csim::agent
