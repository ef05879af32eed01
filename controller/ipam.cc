#include "controller/ipam.h"

namespace csim::controller {
namespace {

// Parses a decimal number 0..max without sign or leading zeros.
std::optional<uint32_t> parse_decimal(std::string_view s, uint32_t max) {
  if (s.empty() || s.size() > 3 || (s.size() > 1 && s[0] == '0')) return std::nullopt;
  uint32_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + static_cast<uint32_t>(c - '0');
  }
  if (v > max) return std::nullopt;
  return v;
}

}  // namespace

core::Result<Ipv4> parse_ipv4(std::string_view text) {
  Ipv4 out = 0;
  std::string_view rest = text;
  for (int i = 0; i < 4; ++i) {
    size_t dot = rest.find('.');
    std::string_view part = i < 3 ? rest.substr(0, dot) : rest;
    if (i < 3 && dot == std::string_view::npos) break;
    auto octet = parse_decimal(part, 255);
    if (!octet) break;
    out = (out << 8) | *octet;
    if (i == 3) return out;
    rest = rest.substr(dot + 1);
  }
  return core::invalid("\"" + std::string(text) + "\" is not an IPv4 address (want a.b.c.d)");
}

std::string format_ipv4(Ipv4 a) {
  return std::to_string(a >> 24) + "." + std::to_string((a >> 16) & 255) + "." +
         std::to_string((a >> 8) & 255) + "." + std::to_string(a & 255);
}

Ipv4 Ipv4Prefix::mask() const { return length == 0 ? 0 : ~Ipv4{0} << (32 - length); }

Ipv4 Ipv4Prefix::broadcast() const { return network | ~mask(); }

bool Ipv4Prefix::contains(Ipv4 address) const { return (address & mask()) == network; }

std::string Ipv4Prefix::to_string() const {
  return format_ipv4(network) + "/" + std::to_string(length);
}

core::Result<Ipv4Prefix> make_prefix(Ipv4 address, int length) {
  if (length < 0 || length > 32)
    return core::invalid(format_ipv4(address) + "/" + std::to_string(length) +
                         ": prefix length must be 0..32");
  Ipv4Prefix p{address, length};
  if ((address & p.mask()) != address) {
    Ipv4Prefix fixed{address & p.mask(), length};
    return core::invalid(p.to_string() + ": host bits are set, did you mean " + fixed.to_string() +
                         "?");
  }
  return p;
}

core::Result<Ipv4Prefix> parse_prefix(std::string_view text) {
  size_t slash = text.find('/');
  if (slash == std::string_view::npos)
    return core::invalid("\"" + std::string(text) + "\" is not an IPv4 prefix (want a.b.c.d/len)");
  auto address = parse_ipv4(text.substr(0, slash));
  if (!address) return address.status();
  auto length = parse_decimal(text.substr(slash + 1), 32);
  if (!length) return core::invalid("\"" + std::string(text) + "\": prefix length must be 0..32");
  return make_prefix(*address, static_cast<int>(*length));
}

Ipv4 default_gateway(const Ipv4Prefix& subnet) { return subnet.broadcast() - 1; }
Ipv4 default_dns_server(const Ipv4Prefix& subnet) { return subnet.broadcast() - 2; }

std::optional<Ipv4> allocate_top_down(const Ipv4Prefix& subnet, const std::set<Ipv4>& taken) {
  if (subnet.length > 30) return std::nullopt;
  const Ipv4 lowest = subnet.network + 1;
  Ipv4 candidate = subnet.broadcast() - 1;
  // Walk the taken addresses at or below the candidate, from the top: the first gap wins.
  auto it = taken.upper_bound(candidate);
  while (it != taken.begin()) {
    --it;
    if (*it < candidate) break;  // gap found: candidate is free
    if (candidate == lowest) return std::nullopt;
    --candidate;  // *it == candidate: taken, try the next one down
  }
  return candidate;
}

AddressPool::AddressPool(const Ipv4Prefix& subnet) : subnet_(subnet) {
  if (subnet.length <= 30) free_.emplace(subnet.network + 1, subnet.broadcast() - 1);
}

bool AddressPool::is_free(Ipv4 a) const {
  auto it = free_.upper_bound(a);
  if (it == free_.begin()) return false;
  --it;
  return a <= it->second;
}

std::optional<Ipv4> AddressPool::highest_free() const {
  if (free_.empty()) return std::nullopt;
  return free_.rbegin()->second;
}

bool AddressPool::take(Ipv4 a) {
  auto it = free_.upper_bound(a);
  if (it == free_.begin()) return false;
  --it;
  const Ipv4 first = it->first, last = it->second;
  if (a > last) return false;
  free_.erase(it);
  if (first < a) free_.emplace(first, a - 1);
  if (a < last) free_.emplace(a + 1, last);
  return true;
}

void AddressPool::release(Ipv4 a) {
  if (subnet_.length > 30 || a <= subnet_.network || a >= subnet_.broadcast() || is_free(a)) return;
  Ipv4 first = a, last = a;
  auto next = free_.find(a + 1);
  if (next != free_.end()) {
    last = next->second;
    free_.erase(next);
  }
  auto prev = free_.lower_bound(a);
  if (prev != free_.begin()) {
    --prev;
    if (prev->second + 1 == a) {
      first = prev->first;
      free_.erase(prev);
    }
  }
  free_.emplace(first, last);
}

uint64_t AddressPool::free_count() const {
  uint64_t n = 0;
  for (const auto& [first, last] : free_) n += uint64_t{last} - first + 1;
  return n;
}

}  // namespace csim::controller
