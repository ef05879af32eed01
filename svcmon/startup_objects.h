// The objects svc-monitor creates at start when they are missing (contrail-reference.md
// §3.1): the service-appliance-sets [default-global-system-config, opencontrail] and
// [default-global-system-config, native] (with their Contrail driver names), and the
// service-template [default-domain, haproxy-loadbalancer-template] (loadbalancer,
// in-network-nat, network-namespace, ordered interfaces right + left with shared_ip,
// service scaling, version 1).
//
// Thread: any (svc-monitor calls it from start(), before it subscribes).
#pragma once

#include "core/status.h"
#include "svcmon/context.h"

namespace csim::svcmon {

// Creates the objects above that do not exist yet. NotFound when the controller's
// bootstrap objects (global-system-config default-global-system-config, domain
// default-domain) are missing; other config API errors as returned.
core::Status ensure_startup_objects(const Context& ctx);

}  // namespace csim::svcmon
