// One HTTP/1.1 request from inside a network namespace: what `csim demo`, `csim curl` and
// the end-to-end tests use to play the external client (namespace "csim-ext").
//
// HTTPS (spec.tls): TLS over the same socket (agent/tls_client.h), with SNI = the Host
// header without its port unless spec.sni says otherwise (none for an IP address), and no
// certificate verification; the response says which certificate the server presented
// (response.tls->certificate: subject CN, subjectAltNames).
//
// The socket is opened by a helper thread that entered the namespace (a socket keeps its
// namespace for life); the request is then sent and read on the caller's thread, with
// one deadline for connect + send + read. Every input is checked before it reaches the
// wire: an IPv4 address, a port 1..65535, a token method, a Host header and a path
// without spaces or control characters. Thread-safe.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "agent/tls_client.h"
#include "core/clock.h"
#include "core/status.h"

namespace csim::agent {

struct HttpResponse {
  int status = 0;
  std::string reason;
  std::vector<std::pair<std::string, std::string>> headers;  // as received
  std::string body;                                          // de-chunked
  core::Nanos elapsed{0};                                    // connect to last byte
  std::optional<TlsPeer> tls;  // HTTPS: the server's certificate, protocol, cipher
  // First value of a header (case-insensitive name), "" if absent.
  std::string header(const std::string& name) const;
};

struct HttpRequestSpec {
  std::string netns;  // "" = the caller's own namespace
  std::string ip;
  int port = 80;
  std::string method = "GET";
  std::string host_header;  // "" = "<ip>:<port>" (or "<ip>" for port 80)
  std::string path = "/";
  std::vector<std::pair<std::string, std::string>> extra_headers;
  std::string body;
  core::Nanos timeout = std::chrono::seconds(5);
  bool tls = false;  // HTTPS (the port is still `port`: set 443)
  // TLS server name: "" = the Host header without ":port" (or none when that is an IPv4
  // address, as RFC 6066 wants); "-" = send none.
  std::string sni;
};

// Sends one request ("Connection: close") and reads the whole response. Errors say what
// failed and where: "connect 10.84.59.252:80 from csim-ext: Connection refused",
// "... timed out after 5000 ms", "malformed status line from ...",
// "TLS handshake with 10.84.59.252:443 from csim-ext: <OpenSSL's reason>".
core::Result<HttpResponse> http_request(const HttpRequestSpec& spec);

// The short form used by the CLI and tests.
core::Result<HttpResponse> http_request_in_netns(const std::string& netns_name,
                                                 const std::string& ip, int port,
                                                 const std::string& method,
                                                 const std::string& host_header,
                                                 const std::string& path, core::Nanos timeout);

}  // namespace csim::agent
