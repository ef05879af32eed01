// A loadbalancer and the config objects around it, read once per reconcile, and the
// reverse question: which loadbalancers does a changed object belong to (the reaction map
// of §3.2: member -> pool -> listener -> loadbalancer; instance-ip / floating-ip ->
// VIP VMI -> loadbalancer).
//
// Thread: svc-monitor's strand (reads through ConfigApi, which is thread-safe).
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "controller/config_api.h"
#include "core/status.h"
#include "svcmon/haproxy_config.h"

namespace csim::svcmon {

struct LbGraph {
  controller::ConfigObject lb;
  std::string provider;  // loadbalancer_provider; "opencontrail" when unset (§3.1)
  std::vector<controller::ConfigObject> listeners;  // referring to lb, by uuid
  std::vector<controller::ConfigObject> pools;      // referring to those listeners, by uuid
  std::vector<controller::ConfigObject> members;    // children of those pools, by uuid
  std::optional<controller::ConfigObject> vip_vmi;  // lb's virtual_machine_interface ref
  std::optional<controller::ConfigObject> vip_vn;   // the VIP VMI's virtual-network
  std::vector<controller::ConfigObject> vip_iips;   // instance-ips of the VIP VMI, by uuid
  std::vector<controller::ConfigObject> vip_fips;   // floating-ips of the VIP VMI, by uuid

  // loadbalancer_properties.vip_address.
  std::string vip_address() const;
  // The VIP VMI's device owner is K8S:LOADBALANCER.
  bool kubernetes() const;
  // The instance-ip whose address is the VIP, else the first by uuid; null if none.
  const controller::ConfigObject* primary_iip() const;
  // The SI svc-monitor keeps for this LB: [<domain>, <project>, <lb-uuid>] (§3.4).
  controller::FqName service_instance_fq_name() const;
  // Every uuid read into this graph (to map later changes of them back to the LB).
  std::vector<std::string> uuids() const;
};

// Reads loadbalancer `uuid` and what hangs off it; nullopt when it does not exist.
std::optional<LbGraph> read_lb_graph(const controller::ConfigApi& api, const std::string& uuid);

// The renderer's input, from the graph's VNC properties; Invalid naming the object and
// property when one cannot be read (e.g. a protocol_port that is not a number).
core::Result<HaproxyLoadbalancer> to_haproxy_input(const LbGraph& graph,
                                                   const std::string& state_dir);

// Answers "which loadbalancers refer to this virtual-machine-interface".
using LbsOfVmi = std::function<std::vector<std::string>(const std::string& vmi_uuid)>;

// Loadbalancer uuids that a change of object (type, uuid) may affect, found by walking
// the current config (nothing when the object no longer exists), except for a
// virtual-machine-interface, which is answered by `lbs_of_vmi` from its uuid alone
// (without reading it; also once it is gone). Sorted, unique.
// `lbs_of_vmi` answers the VMI -> loadbalancer step; null asks the config API
// (back_refs), whose cost grows with every ref to the VMI — a pod's VMI is referred to by
// the clusterIP floating-ip of every Service over the pod — so SvcMonitor passes what it
// learnt from its last reconcile of each loadbalancer instead.
std::vector<std::string> affected_loadbalancers(const controller::ConfigApi& api,
                                                const std::string& type, const std::string& uuid,
                                                const LbsOfVmi& lbs_of_vmi = nullptr);

}  // namespace csim::svcmon
