// The `native` provider (Contrail's native driver, contrail-reference.md §2.5): a
// Service's clusterIP becomes an ECMP floating-ip over the Service's pods.
//
// For each instance-ip of the VIP VMI (the clusterIP) svc-monitor keeps one floating-ip
// whose parent is that instance-ip, named after the loadbalancer uuid, with the same
// address, floating_ip_traffic_direction=ingress, floating_ip_port_mappings_enable=true,
// floating_ip_port_mappings {port_mappings: [{protocol, src_port: listener port,
// dst_port: member port}]} (unique, sorted by src_port, protocol, dst_port), and refs to
// the project and to every enabled member's pod VMI (member annotation `vmi`). It follows
// members as they come and go. User floating-ips (external IPs) are not handled here.
//
// Thread: svc-monitor's strand only.
#pragma once

#include <string>

#include "core/status.h"
#include "svcmon/context.h"
#include "svcmon/lb_graph.h"
#include "svcmon/lb_status.h"

namespace csim::svcmon {

// Makes the clusterIP floating-ips of a native loadbalancer right. Fills
// status->native_fips and errors. Returns the first error.
core::Status ensure_native_loadbalancer(const Context& ctx, const LbGraph& graph, LbStatus* status);

// Deletes the floating-ips ensure_native_loadbalancer made for loadbalancer `lb_uuid`.
core::Status remove_native_loadbalancer(const Context& ctx, const std::string& lb_uuid);

}  // namespace csim::svcmon
