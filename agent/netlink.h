// A small rtnetlink client: links (veth, bridge), addresses, routes and per-device IPv4
// settings, sent as netlink messages from csim itself (no `ip` process: a whole pod
// interface takes well under a millisecond).
//
// A socket belongs to the network namespace it was opened in, for its whole life, so an
// Rtnl opened inside a namespace configures that namespace from any thread. Devices are
// named by their name in that namespace. Errors name the operation, the object and the
// namespace, with the kernel's extended-ack text when it gives one:
//   "add route 10.1.2.3/32 dev tap1234 in csim-vr-node-1: No such device"
// Thread-safe: one request at a time per socket (internal mutex).
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "agent/ipv4.h"
#include "core/status.h"

namespace csim::agent {

class Rtnl;

// One end of a veth pair.
struct VethEnd {
  std::string name;   // <= 15 chars
  int netns_fd = -1;  // namespace to create it in (-1: the socket's)
  std::string mac;    // "" = kernel's random address
  bool up = true;
  // For the second end when it goes to another namespace and must come up: a socket in
  // that namespace (the kernel cannot bring a veth peer up while creating the pair).
  Rtnl* rtnl = nullptr;
};

// A route in the main table.
struct RouteSpec {
  Ipv4Prefix dst;
  std::optional<Ipv4> gateway;  // nexthop; none = directly on `dev`
  std::string dev;              // output device ("" only with a gateway)
  bool onlink = false;          // gateway reachable on dev without a covering subnet
  std::optional<Ipv4> src;      // preferred source address
  bool operator==(const RouteSpec& o) const;
  // "10.47.255.250/32 via 169.254.1.2 dev vhost0"
  std::string str() const;
};

// IPv4 per-device settings (net.ipv4.conf.<dev>.*), by IPV4_DEVCONF_* index.
enum class InetConf : int {
  kForwarding = 1,  // IPV4_DEVCONF_FORWARDING
  kProxyArp = 3,    // IPV4_DEVCONF_PROXY_ARP
  kRpFilter = 8,    // IPV4_DEVCONF_RP_FILTER
};

class Rtnl {
 public:
  // Opens a socket in the calling thread's network namespace. `label` names that
  // namespace in error messages.
  static core::Result<std::unique_ptr<Rtnl>> open(std::string label);
  ~Rtnl();
  Rtnl(const Rtnl&) = delete;
  Rtnl& operator=(const Rtnl&) = delete;

  const std::string& label() const { return label_; }

  // Index of a device, kNotFound if there is none by that name.
  core::Result<int> link_index(const std::string& name);
  // Creates a veth pair; each end goes to its netns_fd and gets its MAC and state (the
  // second end is brought up through b.rtnl, or this socket when it stays here).
  core::Status add_veth(const VethEnd& a, const VethEnd& b);
  // Creates a bridge (STP off) and brings it up.
  core::Status add_bridge(const std::string& name);
  // Brings a device up (or down).
  core::Status set_up(const std::string& name, bool up = true);
  // Enslaves a device to a bridge.
  core::Status set_master(const std::string& name, const std::string& master);
  // Sets net.ipv4.conf.<name>.<setting> through netlink (no /proc write needed).
  core::Status set_inet_conf(const std::string& name,
                             const std::vector<std::pair<InetConf, uint32_t>>& values);
  // Deletes a device (and a veth's peer with it). OK if it does not exist.
  core::Status delete_link(const std::string& name);
  // Adds (or keeps) an address on a device.
  core::Status add_address(const std::string& dev, Ipv4Prefix address);
  // Removes an address from a device. OK if it is not there.
  core::Status delete_address(const std::string& dev, Ipv4Prefix address);
  // Adds or replaces the route to spec.dst.
  core::Status replace_route(const RouteSpec& spec);
  // Deletes the route to dst in the main table. OK if there is none.
  core::Status delete_route(Ipv4Prefix dst);
  // Routes of the main table (IPv4), as the kernel has them, for checks and introspection.
  core::Result<std::vector<RouteSpec>> list_routes();

 private:
  Rtnl(int fd, std::string label) : fd_(fd), label_(std::move(label)) {}
  // Sends one request and waits for its ack; "what" prefixes the error.
  core::Status request(std::vector<uint8_t>& msg, const std::string& what);
  core::Result<int> link_index_locked(const std::string& name);

  std::mutex mu_;
  int fd_;
  uint32_t seq_ = 1;
  std::string label_;
};

}  // namespace csim::agent
