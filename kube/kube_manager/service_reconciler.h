// Service -> "native" loadbalancer (contrail-reference.md §2.4; KM vnc_service.py,
// loadbalancer.py): uuid = Service uid, name "<svc>__<uid>", VIP interface
// "<cluster>__Service__<svc>__<uid>" on the default service network with an instance-ip
// whose address is spec.clusterIP (subnet = the service ipam's), and per spec.ports entry
// one listener "<lb>-<PROTO>-<port>-<uuid>" (protocol TCP, or UDP for anything else;
// annotation portName when the port is named) with one pool of the same name.
//
// Level-based: listeners are matched to ports by (protocol_port, protocol) as Contrail
// does; a listener whose port left the spec is deleted (Contrail keeps it), and a changed
// port name updates portName. Headless Services (clusterIP "None") get nothing; a Service
// without a clusterIP yet is skipped until it has one. When the Service is gone (or its
// uid changed) the loadbalancer is deleted in vnc_service_delete's order. A VIP interface
// left without loadbalancer (a kill inside create or delete) is adopted when the Service
// wants a loadbalancer (config_ops.h create_vip_interface) and deleted for a gone uid or a
// headless Service. Loadbalancers of other uids of this name (a delete and re-create) come
// with the uids of their DELETED events, or, after a kill, from the resync's sweep; the
// project's loadbalancers are listed by annotations only when the Service wants none
// (O(loadbalancers of the namespace), so not on every reconcile).
// Members come from Endpoints (endpoints_reconciler.h).
//
// Runs on kube-manager's strand.
#pragma once

#include <string>
#include <vector>

#include "core/status.h"
#include "kube/kube_manager/context.h"

namespace csim::kube {

// Makes the native loadbalancer of Service ns/name right. `gone_uids`: uids from DELETED
// events for this key.
core::Status reconcile_service(Context& ctx, const std::string& ns, const std::string& name,
                               const std::vector<std::string>& gone_uids = {});

// Loadbalancers in project "<cluster>-<ns>" that this cluster made for the Kubernetes
// object kind/ns/name (annotations kind, namespace, name, cluster, owner).
std::vector<controller::ConfigObject> loadbalancers_for(Context& ctx, const std::string& kind,
                                                        const std::string& ns,
                                                        const std::string& name);

}  // namespace csim::kube
