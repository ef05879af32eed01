#include "daemon/listener.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace csim::daemon {
namespace {

bool parse(const std::string& address, sockaddr_storage& out, socklen_t& len) {
  std::memset(&out, 0, sizeof out);
  auto* v4 = reinterpret_cast<sockaddr_in*>(&out);
  if (inet_pton(AF_INET, address.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    len = sizeof(sockaddr_in);
    return true;
  }
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&out);
  if (inet_pton(AF_INET6, address.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    len = sizeof(sockaddr_in6);
    return true;
  }
  return false;
}

}  // namespace

bool is_loopback_address(const std::string& address) {
  sockaddr_storage s;
  socklen_t len;
  if (!parse(address, s, len)) return false;
  if (s.ss_family == AF_INET) {
    uint32_t a = ntohl(reinterpret_cast<sockaddr_in*>(&s)->sin_addr.s_addr);
    return (a >> 24) == 127;
  }
  return IN6_IS_ADDR_LOOPBACK(&reinterpret_cast<sockaddr_in6*>(&s)->sin6_addr);
}

core::Status check_listen_address(const std::string& address, const std::string& token,
                                  const std::string& what) {
  sockaddr_storage s;
  socklen_t len;
  if (!parse(address, s, len))
    return core::invalid(what + " " + address + ": not an IPv4 or IPv6 address");
  if (!is_loopback_address(address) && token.empty())
    return core::invalid(what + " " + address +
                         " is not a loopback address: csim listens elsewhere only with --token");
  return core::Status::ok();
}

core::Result<Listener> bind_listener(const std::string& address, uint16_t port, int backlog) {
  sockaddr_storage s;
  socklen_t len;
  if (!parse(address, s, len)) return core::invalid(address + ": not an IPv4 or IPv6 address");
  if (s.ss_family == AF_INET) reinterpret_cast<sockaddr_in*>(&s)->sin_port = htons(port);
  else reinterpret_cast<sockaddr_in6*>(&s)->sin6_port = htons(port);
  const std::string where =
      (s.ss_family == AF_INET6 ? "[" + address + "]" : address) + ":" + std::to_string(port);
  int fd = socket(s.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return core::unavailable("socket for " + where + ": " + std::strerror(errno));
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (s.ss_family == AF_INET6) setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
  if (bind(fd, reinterpret_cast<sockaddr*>(&s), len) != 0 || listen(fd, backlog) != 0) {
    int err = errno;
    close(fd);
    return core::unavailable("cannot listen on " + where + ": " + std::strerror(err));
  }
  sockaddr_storage bound;
  socklen_t blen = sizeof bound;
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &blen) != 0) {
    int err = errno;
    close(fd);
    return core::unavailable("getsockname for " + where + ": " + std::strerror(err));
  }
  Listener l;
  l.fd = fd;
  l.address = address;
  l.port = ntohs(bound.ss_family == AF_INET ? reinterpret_cast<sockaddr_in*>(&bound)->sin_port
                                            : reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port);
  return l;
}

std::string url_host(const std::string& address) {
  if (address == "0.0.0.0") return "127.0.0.1";
  if (address == "::" || address == "::0") return "[::1]";
  if (address.find(':') != std::string::npos) return "[" + address + "]";
  return address;
}

core::Status check_token(const std::string& token) {
  if (token.size() < 8 || token.size() > 256)
    return core::invalid("--token must be 8 to 256 characters long");
  for (char c : token) {
    if (c <= ' ' || c > '~') return core::invalid("--token may hold printable ASCII characters only, no spaces");
  }
  return core::Status::ok();
}

}  // namespace csim::daemon
