// The vrouter's NAT as one nftables table ("ip csim"), rendered from the agent's view:
//  - floating IPs: 1:1 DNAT fip -> fixed address (the reply is un-NATed by conntrack);
//  - services: clusterIP:port DNAT to numgen round-robin over the backends, with port
//    mapping (Contrail's native load balancer: ECMP with port translation), for
//    traffic entering the vrouter and traffic it originates;
//  - hairpin: a pod that reaches itself through a clusterIP gets its source rewritten
//    to the VN gateway, so the reply comes back through the vrouter;
//  - a service listed without backends answers with a TCP reset (ICMP for UDP) instead
//    of a silent drop.
// The text replaces the whole table in one transaction. Pure function, any thread.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "agent/agent_view.h"
#include "agent/ipv4.h"

namespace csim::agent {

inline constexpr const char* kVrouterNatTable = "csim";

std::string render_vrouter_nat(const std::vector<ViewService>& services,
                               const std::vector<ViewFloatingIp>& floating_ips,
                               std::optional<Ipv4> hairpin_source);

}  // namespace csim::agent
