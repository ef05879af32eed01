// Endpoints -> members of a Service's native loadbalancer pools (contrail-reference.md
// §2.4; KM vnc_endpoints.py).
//
// Only subsets[0].ports is used (as Contrail); the pods are the targetRef uids of every
// subset's `addresses`. For each listener of the Service's loadbalancer, the first port
// with the same protocol (and the same name, when both have one) gives the members: one
// per pod whose VMI has an instance-ip equal to the endpoint address, with
// protocol_port = the endpoint port, no address, annotations vmi=<pod VMI uuid>,
// vm=<pod uid>. Members of pods no longer listed are removed; a changed endpoint port
// updates protocol_port (level-based; Contrail would keep the old one). Pods whose
// interface is not there yet are skipped (the pod's reconcile queues the Endpoints again).
//
// Runs on kube-manager's strand.
#pragma once

#include <string>

#include "core/status.h"
#include "kube/kube_manager/context.h"

namespace csim::kube {

// Makes the members of Service ns/name's pools match Endpoints ns/name. OK (nothing to do)
// when the Service or its loadbalancer does not exist (yet).
core::Status reconcile_endpoints(Context& ctx, const std::string& ns, const std::string& name);

}  // namespace csim::kube
