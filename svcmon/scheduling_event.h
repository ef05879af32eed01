// The Kubernetes Event that tells where svc-monitor placed a loadbalancer's haproxy
// instances, so that `kubectl describe ing/NAME` shows it beside kube-manager's and the
// agents' Events (kube.event in docs/contracts.md; kube/event_recorder.h writes it).
//
//   Normal  Scheduled         scheduled on node-1 (active) and node-2 (standby), service-instance X
//   Warning FailedScheduling  standby not scheduled (only one live vrouter); active on node-1, ...
//
// The loadbalancer's uuid is its Ingress's or Service's uid (kube-manager reuses it), so
// the Event lands on that object. Pure: no bus, no state.
#pragma once

#include <optional>

#include <nlohmann/json.hpp>

#include "svcmon/lb_status.h"

namespace csim::svcmon {

// The instances' placement as one line: "node-1 (active) and node-2 (standby)"; an
// unscheduled instance reads "standby not scheduled (<reason>)". "" without instances.
std::string placement_text(const LbStatus& status);

// The kube.event body to publish after a reconcile that left `now`, when its placement
// differs from `before`'s (nullptr: first reconcile of this run: told when the scheduler
// placed, moved or failed to place an instance, not for a placement a restart finds made);
// nullopt when there is nothing to tell (same placement, no haproxy instances, e.g. a
// native provider).
std::optional<nlohmann::json> scheduling_event(const LbStatus* before, const LbStatus& now);

}  // namespace csim::svcmon
