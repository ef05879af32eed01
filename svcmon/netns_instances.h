// The two network-namespace instances of an opencontrail loadbalancer's service-instance
// (contrail-reference.md §3.6, Contrail's NetworkNamespaceManager):
//  - virtual-machine `<domain>__<project>__<lb-uuid>__<i+1>` (root object, display_name
//    + "__network-namespace"), ref -> the SI;
//  - its VMI `<vm-name>__right__1` in the SI's project, refs -> the VM and the VIP's
//    virtual-network, virtual_machine_interface_properties {service_interface_type:
//    right, local_preference: 200 (i=0, active) | 100 (i=1, standby)}, the MAC
//    "02:" + the VIP instance-ip uuid's first bytes (both VMIs share it), id_perms
//    user_visible false;
//  - the VIP instance-ip(s): refs -> both VMIs, instance_ip_mode active-standby;
//  - every floating-ip of the VIP VMI: refs -> both VMIs. Refs from instance-ips and
//    floating-ips that are no longer the VIP's are removed.
//
// Thread: svc-monitor's strand only.
#pragma once

#include <string>
#include <vector>

#include "controller/config_api.h"
#include "core/status.h"
#include "svcmon/context.h"
#include "svcmon/lb_graph.h"
#include "svcmon/lb_status.h"

namespace csim::svcmon {

inline constexpr int kActiveLocalPreference = 200;   // svc_info._ACTIVE_LOCAL_PREFERENCE
inline constexpr int kStandbyLocalPreference = 100;  // svc_info._STANDBY_LOCAL_PREFERENCE
inline constexpr int kNetnsInstances = 2;            // scale_out.max_instances

// "<si_fq[0]>__<si_fq[1]>__<si_fq[2]>__<index+1>"
std::string netns_vm_name(const controller::FqName& si_fq_name, int index);
// "02:" + uuid[0:2]:[2:4]:[4:6]:[6:8]:[9:11] (instance_manager.py), e.g. "02:6f:1c:2a:0e:5b".
// "" when the uuid is too short.
std::string netns_mac(const std::string& iip_uuid);

// Creates what is missing and corrects what differs, as listed above, for service-instance
// `si` of loadbalancer `graph` (which must have a VIP VMI, VN and instance-ip). Fills
// `instances` (index, names, uuids, local preference; not the vrouter). Returns the first
// error; later steps are still attempted where they do not depend on the failed one.
core::Status ensure_netns_instances(const Context& ctx, const LbGraph& graph,
                                    const controller::ConfigObject& si,
                                    std::vector<InstanceStatus>* instances);

// Deletes the instances of `si` in an order the config API accepts: refs from
// instance-ips / floating-ips to each VMI, the VMI, the VR->VM refs, the VM.
core::Status remove_netns_instances(const Context& ctx, const controller::ConfigObject& si);

}  // namespace csim::svcmon
