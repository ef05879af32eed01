// The simulated data plane, realised with namespaces inside csim's sandbox
// (docs/contracts.md, "Data plane topology"):
//
//   csim-ext   eth0 198.51.100.2/24, default via 198.51.100.1
//      │ veth
//   csim-gw    ext0 198.51.100.1/24; bridge "fabric" 169.254.0.1/16; ip_forward
//      │       routes from bgp.gateway (sync_gateway_routes)
//      ├── vr-<node> ══ vhost0 of csim-vr-<node> (169.254.1.N/16, default via 169.254.0.1,
//      │                ip_forward, rp_filter 0; VN gateways on lo; routes and NAT from
//      │                the node's agent)
//      │                  ├── tap…  ══ eth0 of a pod namespace       (add_endpoint)
//      │                  └── veth… ══ gw-… of a haproxy instance ns (add_endpoint)
//
// Everything is done over rtnetlink and libnftables from csim itself (a pod endpoint is
// about a millisecond). Level-based helpers (sync_*) remember what they installed and
// change only the difference. The Dataplane describes nothing by itself: agents and the
// gateway tell it what to realise.
//
// Thread-safety: every method may be called from any thread. Calls for different nodes
// run in parallel; calls for one node are serialised.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "agent/ipv4.h"
#include "agent/netlink.h"
#include "agent/netns.h"
#include "core/status.h"

namespace csim::agent {

struct DataplaneOptions {
  std::string bridge = "fabric";
  Ipv4Prefix gateway_underlay = *parse_ipv4_prefix("169.254.0.1/16");
  Ipv4 first_node_underlay = *parse_ipv4("169.254.1.1");
  Ipv4Prefix gateway_external = *parse_ipv4_prefix("198.51.100.1/24");
  Ipv4Prefix client_external = *parse_ipv4_prefix("198.51.100.2/24");
};

// A namespace with one veth to a node's vrouter: a pod or a haproxy instance.
struct EndpointSpec {
  std::string node;
  std::string netns;           // created (a leftover of that name is replaced)
  std::string inside_ifname;   // "eth0" for pods, "gw-<vmi>" for haproxy instances
  std::string vrouter_ifname;  // "tap<vmi>" / "veth<vmi>", in the vrouter namespace
  std::string mac;             // MAC inside ("" = random)
  Ipv4Prefix address;          // inside, e.g. 10.47.255.252/32
  Ipv4 gateway;                // default route via it, onlink (the VN gateway)
};

class Dataplane {
 public:
  explicit Dataplane(DataplaneOptions options = {});
  // Removes whatever it still has (best effort; call destroy() to see errors).
  ~Dataplane();
  Dataplane(const Dataplane&) = delete;
  Dataplane& operator=(const Dataplane&) = delete;

  const DataplaneOptions& options() const { return options_; }

  // Creates the gateway and external-client namespaces and the underlay bridge.
  // Idempotent (a second call does nothing).
  core::Status create_fabric();
  // Removes every endpoint, node and the fabric this Dataplane made. Processes running
  // in endpoints must have been stopped by their owners.
  core::Status destroy();

  // Creates the vrouter namespace of a node joined to the fabric bridge, with the given
  // underlay address or the next free one (169.254.1.1, .2, ...). Returns the address.
  // A node that exists already keeps its address (and is returned as is).
  core::Result<Ipv4> add_node(const std::string& node, std::optional<Ipv4> underlay = std::nullopt);
  // Removes the node's endpoints, its vrouter namespace and its fabric port.
  core::Status remove_node(const std::string& node);
  std::optional<Ipv4> node_underlay_ip(const std::string& node) const;
  // All nodes and their underlay addresses, by name.
  std::map<std::string, Ipv4> nodes() const;

  // Creates the endpoint's namespace, the veth to the vrouter, the address, the MAC and
  // the default route. The vrouter side gets proxy_arp. Returns the namespace.
  core::Result<std::shared_ptr<Netns>> add_endpoint(const EndpointSpec& spec);
  // Deletes the veth and the endpoint namespace; forgets vrouter routes through the veth.
  core::Status remove_endpoint(const std::string& node, const std::string& netns);

  // Level-based: makes the routes this Dataplane installed in the node's vrouter equal
  // to `routes` (one per prefix). On partial failure, the rest is still applied and the
  // error lists every route that failed.
  core::Status sync_vrouter_routes(const std::string& node, const std::vector<RouteSpec>& routes);
  // Adds (or replaces) one route in the vrouter and records it as installed, so a later
  // sync_vrouter_routes that wants it too changes nothing (the kubelet routes a pod's
  // address as soon as its interface exists).
  core::Status add_vrouter_route(const std::string& node, const RouteSpec& route);
  // Level-based: /32 addresses on the vrouter's lo (the VN gateways it answers for).
  core::Status sync_vrouter_local_addresses(const std::string& node,
                                            const std::set<Ipv4>& addresses);
  // Replaces the vrouter's nftables ruleset (skipped when the text is unchanged).
  core::Status set_vrouter_nat(const std::string& node, const std::string& ruleset);
  // Level-based: routes in the gateway namespace (from bgp.gateway).
  core::Status sync_gateway_routes(const std::vector<RouteSpec>& routes);

  // Namespace handles (nullptr when absent).
  std::shared_ptr<Netns> gateway_ns() const;
  std::shared_ptr<Netns> external_ns() const;
  std::shared_ptr<Netns> vrouter_ns(const std::string& node) const;
  // The external client's address (what requests from csim-ext come from).
  Ipv4 external_client_ip() const { return options_.client_external.addr; }

  // What exists: fabric, nodes with underlay ip, endpoints, installed routes and NAT.
  nlohmann::json introspect() const;

 private:
  struct RouteState {
    std::map<Ipv4Prefix, RouteSpec> installed;
  };
  struct NodeState {
    std::mutex mu;  // serialises changes of this node
    std::string name;
    Ipv4 underlay;
    std::shared_ptr<Netns> ns;
    std::string fabric_port;
    RouteState routes;
    std::set<Ipv4> local_addresses;
    std::string nat;
    std::map<std::string, std::string> endpoints;  // netns -> vrouter ifname
  };

  core::Status sync_routes(Netns& ns, RouteState& state, const std::vector<RouteSpec>& routes);
  std::shared_ptr<NodeState> node_state(const std::string& node) const;
  // Called with n.mu held and mu_ not held.
  core::Status remove_node_locked(NodeState& n);

  DataplaneOptions options_;
  mutable std::mutex mu_;  // the maps below and the fabric handles
  std::shared_ptr<Netns> gateway_;
  std::shared_ptr<Netns> external_;
  RouteState gateway_routes_;
  mutable std::mutex gateway_routes_mu_;
  std::map<std::string, std::shared_ptr<NodeState>> nodes_;
};

}  // namespace csim::agent
