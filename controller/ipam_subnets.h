// The IPAM subnets of the config, as Contrail stores them (IpamSubnetType):
//
//   {"subnet": {"ip_prefix": "10.32.0.0", "ip_prefix_len": 12},
//    "default_gateway": "10.47.255.254", "dns_server_address": "10.47.255.253",
//    "subnet_uuid": "<uuid>", ...}
//
// A list of them lives on a network-ipam as props.ipam_subnets.subnets (flat-subnet, as
// kube-manager makes them) or on a virtual-network's ref to its ipam as
// attr.ipam_subnets (user-defined subnets, as for the public network).
// Pure functions; callable from any thread.
#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "controller/ipam.h"
#include "core/status.h"

namespace csim::controller {

struct IpamSubnet {
  Ipv4Prefix prefix;
  Ipv4 gateway = 0;  // 0 when the subnet has none ("0.0.0.0")
  Ipv4 dns = 0;      // 0 when the subnet has none
  std::string subnet_uuid;
};

// Validates a list of IpamSubnetType entries and fills in what the api-server fills in:
// default_gateway (last-1) and dns_server_address (last-2) when absent, and a
// subnet_uuid, kept from the entry of the same prefix in `previous` (the stored list,
// or null) or else made by `make_uuid`. `where` names the list in errors, e.g.
// "network-ipam default-domain:k8s-default:k8s-pod-ipam: props.ipam_subnets.subnets".
// kInvalid (naming the field) for a malformed entry, a prefix with host bits, a prefix
// longer than /30, a gateway or DNS address outside the subnet, or a prefix listed twice.
// `list` may be null (no subnets).
core::Status complete_subnets(nlohmann::json& list, const nlohmann::json& previous,
                              const std::string& where,
                              const std::function<std::string()>& make_uuid);

// Parses a list that complete_subnets accepted. Entries that fail to parse are skipped
// (stored lists were validated when written).
std::vector<IpamSubnet> parse_subnets(const nlohmann::json& list);

// The subnet list of a network-ipam's props (props.ipam_subnets.subnets), or null.
const nlohmann::json& ipam_subnet_list(const nlohmann::json& ipam_props);
// The subnet list of a virtual-network -> network-ipam ref attr (attr.ipam_subnets), or null.
const nlohmann::json& ref_subnet_list(const nlohmann::json& attr);

}  // namespace csim::controller
