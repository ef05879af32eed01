// IPv4 addresses and prefixes as the data plane needs them: strict parsing (dotted quad
// only, as inet_pton), printing, containment. Pure functions, any thread.
#pragma once

#include <compare>
#include <cstdint>
#include <optional>
#include <string>

namespace csim::agent {

struct Ipv4 {
  uint32_t value = 0;  // host byte order
  auto operator<=>(const Ipv4&) const = default;
  std::string str() const;
  std::string to_string() const { return str(); }
  uint32_t network_order() const;
};

struct Ipv4Prefix {
  Ipv4 addr;
  int len = 32;
  auto operator<=>(const Ipv4Prefix&) const = default;
  // "10.47.255.252/32"
  std::string str() const;
  std::string to_string() const { return str(); }
  bool contains(Ipv4 ip) const;
  // The prefix with host bits cleared.
  Ipv4Prefix network() const;
};

std::optional<Ipv4> parse_ipv4(const std::string& text);
// "a.b.c.d/n" (n in 0..32), or "a.b.c.d" meaning /32.
std::optional<Ipv4Prefix> parse_ipv4_prefix(const std::string& text);

}  // namespace csim::agent
