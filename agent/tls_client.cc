#include "agent/tls_client.h"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <poll.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace csim::agent {
namespace {

std::string errno_text(int err) {
  char buf[128];
  return strerror_r(err, buf, sizeof buf);
}

// The client context: no verification, no CA store loaded, unexpected EOF = end.
SSL_CTX* client_context() {
  static SSL_CTX* ctx = [] {
    SSL_CTX* c = SSL_CTX_new(TLS_client_method());
    if (c) {
      SSL_CTX_set_verify(c, SSL_VERIFY_NONE, nullptr);
      SSL_CTX_set_options(c, SSL_OP_IGNORE_UNEXPECTED_EOF);
      SSL_CTX_set_min_proto_version(c, TLS1_2_VERSION);
    }
    return c;
  }();
  return ctx;
}

// Why the last OpenSSL call failed.
std::string failure(int ssl_error, int saved_errno) {
  unsigned long e = ERR_get_error();
  std::string out;
  if (e != 0) {
    const char* reason = ERR_reason_error_string(e);
    out = reason ? reason : "OpenSSL error " + std::to_string(e);
  } else if (ssl_error == SSL_ERROR_SYSCALL) {
    out = saved_errno ? errno_text(saved_errno) : "connection closed by the server";
  } else if (ssl_error == SSL_ERROR_ZERO_RETURN) {
    out = "connection closed by the server";
  } else {
    out = "SSL error " + std::to_string(ssl_error);
  }
  ERR_clear_error();
  return out;
}

int left_ms(TlsClientSession::Deadline deadline) {
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(deadline -
                                                                  std::chrono::steady_clock::now())
                .count();
  return static_cast<int>(std::clamp<int64_t>(ms, 0, 1 << 30));
}

}  // namespace

TlsClientSession::TlsClientSession(int fd, ssl_st* ssl, std::string where)
    : fd_(fd), ssl_(ssl), where_(std::move(where)) {}

TlsClientSession::~TlsClientSession() {
  if (ssl_) {
    SSL_shutdown(ssl_);  // non-blocking socket: one attempt, no wait
    SSL_free(ssl_);
    ERR_clear_error();
  }
}

bool TlsClientSession::wait(int ssl_error, Deadline deadline) {
  struct pollfd pf = {fd_, static_cast<short>(ssl_error == SSL_ERROR_WANT_WRITE ? POLLOUT : POLLIN),
                      0};
  for (;;) {
    int ms = left_ms(deadline);
    if (ms == 0) return false;
    int r = poll(&pf, 1, ms);
    if (r < 0 && errno == EINTR) continue;
    return r > 0;
  }
}

core::Result<std::unique_ptr<TlsClientSession>> TlsClientSession::handshake(
    int fd, const std::string& sni, Deadline deadline, const std::string& where) {
  SSL_CTX* ctx = client_context();
  if (!ctx) return core::internal("TLS client context: " + failure(0, 0));
  ERR_clear_error();
  SSL* ssl = SSL_new(ctx);
  if (!ssl) return core::internal("SSL_new: " + failure(0, 0));
  std::unique_ptr<TlsClientSession> session(new TlsClientSession(fd, ssl, where));
  if (SSL_set_fd(ssl, fd) != 1) return core::internal("SSL_set_fd: " + failure(0, 0));
  if (!sni.empty() && SSL_set_tlsext_host_name(ssl, sni.c_str()) != 1)
    return core::invalid("TLS server name '" + sni + "': " + failure(0, 0));
  const std::string what = "TLS handshake with " + where;
  for (;;) {
    ERR_clear_error();
    errno = 0;
    int r = SSL_connect(ssl);
    if (r == 1) break;
    int saved = errno;
    int e = SSL_get_error(ssl, r);
    if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
      if (!session->wait(e, deadline)) return core::unavailable(what + " timed out");
      continue;
    }
    return core::unavailable(what + ": " + failure(e, saved));
  }
  TlsPeer& p = session->peer_;
  p.sni = sni;
  p.protocol = SSL_get_version(ssl);
  const char* cipher = SSL_get_cipher_name(ssl);
  p.cipher = cipher ? cipher : "";
  if (X509* cert = SSL_get1_peer_certificate(ssl)) {
    p.certificate = summarize_certificate(cert);
    X509_free(cert);
  }
  return session;
}

core::Status TlsClientSession::write_all(const std::string& data, Deadline deadline) {
  size_t done = 0;
  while (done < data.size()) {
    ERR_clear_error();
    errno = 0;
    size_t n = 0;
    int r = SSL_write_ex(ssl_, data.data() + done, data.size() - done, &n);
    if (r == 1) {
      done += n;
      continue;
    }
    int saved = errno;
    int e = SSL_get_error(ssl_, r);
    if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
      if (!wait(e, deadline)) return core::unavailable("send to " + where_ + " timed out");
      continue;
    }
    return core::unavailable("send to " + where_ + " over TLS: " + failure(e, saved));
  }
  return core::Status::ok();
}

core::Result<size_t> TlsClientSession::read_some(char* buf, size_t len, Deadline deadline) {
  for (;;) {
    ERR_clear_error();
    errno = 0;
    size_t n = 0;
    int r = SSL_read_ex(ssl_, buf, len, &n);
    if (r == 1) return n;
    int saved = errno;
    int e = SSL_get_error(ssl_, r);
    if (e == SSL_ERROR_ZERO_RETURN) return size_t{0};
    if (e == SSL_ERROR_SYSCALL && saved == 0 && ERR_peek_error() == 0) return size_t{0};
    if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
      if (!wait(e, deadline)) return core::unavailable("read from " + where_ + " timed out");
      continue;
    }
    return core::unavailable("read from " + where_ + " over TLS: " + failure(e, saved));
  }
}

}  // namespace csim::agent
