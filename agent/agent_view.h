// The agent's view (`xmpp.<node>`, docs/contracts.md) parsed into what the vrouter agent
// acts on: the node's interfaces with their addresses, the service instances it must run
// (with Contrail's usability rules, contrail-reference.md §4.2), routes, services and
// floating IPs. Every uuid, address and MAC is validated here; entries that fail are
// left out and named in `problems` (so one bad object cannot stop the rest).
// Pure function, any thread.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "agent/ipv4.h"
#include "core/status.h"

namespace csim::agent {

// A virtual-machine-interface of this node, with what the agent needs to plug it.
struct ViewInterface {
  std::string uuid;
  std::string vm_uuid;
  std::string service_interface_type;  // "right", "left" or "" (pods)
  std::string mac;                     // "" when the config has none
  std::string iip_uuid;                // first instance-ip (by fq_name order of the view)
  std::optional<Ipv4> ip;
  int prefix_len = 32;          // of the subnet that contains ip
  std::optional<Ipv4> gateway;  // default gateway of that subnet
  bool operator==(const ViewInterface&) const = default;
};

// One haproxy instance to run: a service-instance's VM on this node (§4.2 "Usable()").
struct ViewServiceInstance {
  std::string si_uuid;
  std::string si_name;  // fq_name joined with ':'
  std::string vm_uuid;
  std::string lb_uuid;  // binding lb_uuid
  std::string haproxy_config;
  std::vector<std::pair<std::string, std::string>> bindings;  // all kvps, in order
  std::optional<ViewInterface> right;
  bool usable = false;
  std::string not_usable;  // why not, when !usable
};

struct ViewRoute {
  Ipv4Prefix prefix;
  bool local = false;
  std::string vmi;               // local: the interface
  std::string node;              // remote: the node with the best path
  std::optional<Ipv4> underlay;  // remote: that node's underlay address, when given
  int local_pref = 100;
};

struct ViewService {
  Ipv4 cluster_ip;
  std::string protocol;  // "tcp" or "udp"
  int port = 0;
  std::vector<std::pair<Ipv4, int>> backends;
};

struct ViewFloatingIp {
  Ipv4 fip;
  Ipv4 fixed_ip;
  std::string vmi;
};

struct AgentView {
  uint64_t version = 0;
  std::string node;
  std::map<std::string, ViewInterface> interfaces;     // by VMI uuid
  std::set<std::string> vms;                           // VM uuids reached from the node
  std::vector<ViewServiceInstance> service_instances;  // by SI uuid, then VM uuid
  std::vector<ViewRoute> routes;
  std::vector<ViewService> services;
  std::vector<ViewFloatingIp> floating_ips;
  std::set<Ipv4> gateways;  // default gateways of the subnets of this node's interfaces
  std::vector<std::string> problems;

  // The interfaces of a VM, by uuid.
  std::vector<const ViewInterface*> interfaces_of(const std::string& vm_uuid) const;
};

// Parses a view; kInvalid when it is not a view at all (not an object, no version).
core::Result<AgentView> parse_agent_view(const nlohmann::json& body);

}  // namespace csim::agent
