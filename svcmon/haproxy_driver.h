// The `opencontrail` provider (Contrail's ha_proxy driver, contrail-reference.md
// §3.3-§3.5): a loadbalancer becomes a service-instance that carries the haproxy config.
//
// ensure: render the haproxy text (haproxy_config.h); create or update the SI
// [<domain>, <project>, <lb-uuid>] (parent project, ref -> haproxy-loadbalancer-template,
// service_instance_properties {interface_list [{virtual_network, ip_address}], ha_mode
// active-standby, scale_out {max_instances 2, auto_scale false}}, service_instance_bindings
// lb_version=v2, lb_uuid, haproxy_config, orchestrator=kubernetes for K8S:LOADBALANCER
// VIPs); the PUT is skipped when nothing differs. Then ref LB -> SI, the two netns
// instances (netns_instances.h) and their placement (vrouter_scheduler.h).
// A loadbalancer whose VIP VMI has no instance-ip gets no SI (Contrail deletes it).
// A text that cannot be rendered is recorded as an error; an existing SI keeps its
// last good text, and no SI is created without one.
//
// remove: drop the LB -> SI ref, delete the instances, then the SI.
//
// Thread: svc-monitor's strand only.
#pragma once

#include <string>

#include "controller/config_api.h"
#include "core/status.h"
#include "svcmon/context.h"
#include "svcmon/lb_graph.h"
#include "svcmon/lb_status.h"
#include "svcmon/vrouter_scheduler.h"

namespace csim::svcmon {

inline constexpr const char* kHaproxyTemplateName = "haproxy-loadbalancer-template";

// Makes the config right for an opencontrail loadbalancer. Fills `status` (SI, counts,
// instances, errors). Returns the first error.
core::Status ensure_haproxy_loadbalancer(const Context& ctx, VrouterScheduler& scheduler,
                                         const LbGraph& graph, LbStatus* status);

// Removes the SI of loadbalancer `lb_uuid` and its instances, if any. `graph` is the
// loadbalancer when it still exists (provider changed), else null (deleted): then the SI
// is found by name among all service-instances.
core::Status remove_haproxy_loadbalancer(const Context& ctx, const std::string& lb_uuid,
                                         const LbGraph* graph);

}  // namespace csim::svcmon
