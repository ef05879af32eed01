// TCP listening sockets made by `csim up` in the host's network namespace, before it
// enters the sandbox: a socket stays in the namespace it was made in, so the daemon
// serves these from inside and the host's kubectl and curl reach them.
//
// Safety rule (csim's API servers): a non-loopback address needs a token; loopback is
// 127.0.0.0/8 and ::1. Pure functions and syscalls; thread-safe.
#pragma once

#include <cstdint>
#include <string>

#include "core/status.h"

namespace csim::daemon {

struct Listener {
  int fd = -1;          // O_CLOEXEC set; the caller owns it
  std::string address;  // as given ("127.0.0.1", "::1", "0.0.0.0")
  uint16_t port = 0;    // the bound port (the chosen one when 0 was asked)
};

// True for a literal IPv4/IPv6 loopback address; false for anything else (names too).
bool is_loopback_address(const std::string& address);
// kInvalid unless address is an IPv4 or IPv6 literal, and unless it is loopback or
// token is non-empty. `what` names the option in the message ("--listen").
core::Status check_listen_address(const std::string& address, const std::string& token,
                                  const std::string& what);
// Binds address:port (SO_REUSEADDR) and listens. kUnavailable naming the address and the
// error ("127.0.0.1:8082: Address already in use").
core::Result<Listener> bind_listener(const std::string& address, uint16_t port, int backlog = 512);
// The host part of a URL that reaches a server listening on `address`: "127.0.0.1" for
// 0.0.0.0, "[::1]" for :: and brackets for other IPv6 literals.
std::string url_host(const std::string& address);

// A token may go into HTTP headers and YAML: 8..256 printable ASCII characters, no spaces.
core::Status check_token(const std::string& token);

}  // namespace csim::daemon
