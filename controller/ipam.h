// Pure IPv4 helpers for the IPAM of the config DB: parse and format addresses and
// prefixes, and pick addresses the way Contrail's api-server does (vnc_addr_mgmt.py,
// addr_from_start=False): the default gateway is the last host address (last-1), the
// DNS/service address last-2, and instance addresses are handed out from the top of the
// subnet downward, so the first one is last-3 (10.47.255.252 in 10.32.0.0/12).
//
// Addresses are host-order uint32_t. No state, no locks: callable from any thread.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "core/status.h"

namespace csim::controller {

using Ipv4 = uint32_t;

// "10.47.255.254" -> address. kInvalid (naming the text) unless four decimal octets 0..255
// without leading zeros or stray characters.
core::Result<Ipv4> parse_ipv4(std::string_view text);
// address -> "10.47.255.254".
std::string format_ipv4(Ipv4 address);

// A network: address with the host bits clear and a length 0..32.
struct Ipv4Prefix {
  Ipv4 network = 0;
  int length = 0;

  Ipv4 mask() const;
  Ipv4 broadcast() const;  // the last address of the prefix
  bool contains(Ipv4 address) const;
  // "10.32.0.0/12".
  std::string to_string() const;
  bool operator==(const Ipv4Prefix&) const = default;
};

// (address, length) -> prefix. kInvalid if length is outside 0..32 or host bits are set
// ("10.32.0.1/12: host bits are set, did you mean 10.32.0.0/12?").
core::Result<Ipv4Prefix> make_prefix(Ipv4 address, int length);
// "10.32.0.0/12" -> prefix, with the errors of parse_ipv4 and make_prefix.
core::Result<Ipv4Prefix> parse_prefix(std::string_view text);

// Contrail's defaults for a subnet (meaningful for lengths up to 30):
// gateway = broadcast - 1, DNS/service address = broadcast - 2.
Ipv4 default_gateway(const Ipv4Prefix& subnet);
Ipv4 default_dns_server(const Ipv4Prefix& subnet);

// The next address to hand out: the highest host address of `subnet` (strictly between the
// network and broadcast addresses) that is not in `taken`. The caller puts the reserved
// gateway and DNS addresses into `taken`, so with Contrail's defaults the first answer is
// broadcast - 3, then downward, filling holes left by freed addresses from the top.
// nullopt when the subnet is full (or has no host addresses: lengths 31 and 32).
// Cost: O(log n + number of taken addresses directly below the answer).
std::optional<Ipv4> allocate_top_down(const Ipv4Prefix& subnet, const std::set<Ipv4>& taken);

// The same policy as allocate_top_down, kept as free ranges so that every operation is
// O(log ranges) however many addresses are taken (a dense /12 has one or two ranges).
// Host addresses only: the network and broadcast addresses are never free.
// A value type with no locks; the owner serialises access.
class AddressPool {
 public:
  explicit AddressPool(const Ipv4Prefix& subnet);

  const Ipv4Prefix& subnet() const { return subnet_; }
  bool is_free(Ipv4 address) const;
  // The address allocate_top_down would return: the highest free one; nullopt when full.
  std::optional<Ipv4> highest_free() const;
  // Marks an address taken. false if it is not a free host address of the subnet.
  bool take(Ipv4 address);
  // Marks an address free again. No-op for addresses outside the host range or already free.
  void release(Ipv4 address);
  uint64_t free_count() const;

 private:
  Ipv4Prefix subnet_;
  std::map<Ipv4, Ipv4> free_;  // first -> last address of each free range, disjoint, not adjacent
};

}  // namespace csim::controller
