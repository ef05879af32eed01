// What the control-node sends each vrouter agent, computed from the config graph: a pure
// function of the config (read through ConfigApi) and of which agents are live.
//
// The walk follows Contrail's IFMap graph walker (contrail-reference.md §4.1) from each
// node's virtual-router [default-global-system-config, <node>]:
//   VR -> VM (VR refs) -> SI (VM refs) -> ST (SI refs)
//   VM -> VMI (VMIs that refer to the VM) -> instance-ips / floating-ips that refer to the
//   VMI, VN (VMI refs) -> network-ipam (VN refs)
// A VM is hosted on every node whose virtual-router refers to it.
//
// Routes (docs/contracts.md): every instance-ip address of a VMI hosted on a live node is
// a /32 path with the VMI's virtual_machine_interface_properties.local_preference (100
// when absent). Per prefix the best path wins: higher local_pref, then lower node name,
// then lower VMI uuid. Every live node gets every prefix: "local" (with the VMI) where the
// best path is its own, else "remote" to the winning node (with that node's underlay_ip).
//
// Services: floating-ips whose parent is an instance-ip (the native load balancer's
// clusterIP): one entry per port mapping, backends = the instance-ip addresses of the
// referenced VMIs hosted on live nodes, with dst_port. Services without a live backend
// are left out. Every live node gets every service.
//
// Floating IPs (1:1 NAT): floating-ips whose parent is a floating-ip-pool, per node for
// each referenced VMI the node hosts: fixed_ip = props.floating_ip_fixed_ip_address, or
// the first instance-ip address of the VMI. The gateway gets the best path per such
// floating-ip over the live nodes hosting one of its VMIs (same preference rules).
//
// Everything is ordered (objects by type then fq_name, prefixes and addresses
// numerically), so equal config gives byte-equal JSON. Thread: any; reads ConfigApi only.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "controller/config_api.h"

namespace csim::controller {

// node name -> underlay ip ("" when unknown) of every live agent.
using LiveAgents = std::map<std::string, std::string>;

struct AgentViews {
  // node -> {"objects": [...], "routes": [...], "services": [...], "floating_ips": [...]}
  // for every live agent (an agent without a virtual-router gets empty objects).
  std::map<std::string, nlohmann::json> nodes;
  // [{"prefix", "node", "local_pref", "underlay_ip"}] best path per public floating-ip.
  nlohmann::json gateway_routes = nlohmann::json::array();
};

// Reads the graph with one list() per type (no per-object queries) and computes the
// views of all live agents and the gateway's routes.
AgentViews compute_agent_views(const ConfigApi& api, const LiveAgents& live);

}  // namespace csim::controller
