#include "agent/ipv4.h"

#include <arpa/inet.h>

namespace csim::agent {

std::string Ipv4::str() const {
  return std::to_string(value >> 24) + "." + std::to_string((value >> 16) & 0xff) + "." +
         std::to_string((value >> 8) & 0xff) + "." + std::to_string(value & 0xff);
}

uint32_t Ipv4::network_order() const { return htonl(value); }

std::string Ipv4Prefix::str() const { return addr.str() + "/" + std::to_string(len); }

static uint32_t mask_of(int len) { return len == 0 ? 0 : ~uint32_t{0} << (32 - len); }

bool Ipv4Prefix::contains(Ipv4 ip) const {
  return (ip.value & mask_of(len)) == (addr.value & mask_of(len));
}

Ipv4Prefix Ipv4Prefix::network() const { return {Ipv4{addr.value & mask_of(len)}, len}; }

std::optional<Ipv4> parse_ipv4(const std::string& text) {
  if (text.empty() || text.size() > 15) return std::nullopt;
  struct in_addr a;
  if (inet_pton(AF_INET, text.c_str(), &a) != 1) return std::nullopt;
  return Ipv4{ntohl(a.s_addr)};
}

std::optional<Ipv4Prefix> parse_ipv4_prefix(const std::string& text) {
  auto slash = text.find('/');
  if (slash == std::string::npos) {
    auto ip = parse_ipv4(text);
    if (!ip) return std::nullopt;
    return Ipv4Prefix{*ip, 32};
  }
  auto ip = parse_ipv4(text.substr(0, slash));
  std::string len_text = text.substr(slash + 1);
  if (!ip || len_text.empty() || len_text.size() > 2) return std::nullopt;
  int len = 0;
  for (char c : len_text) {
    if (c < '0' || c > '9') return std::nullopt;
    len = len * 10 + (c - '0');
  }
  if (len > 32) return std::nullopt;
  return Ipv4Prefix{*ip, len};
}

}  // namespace csim::agent
