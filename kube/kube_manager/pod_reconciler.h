// Pod -> virtual-machine, virtual-machine-interface, instance-ip and the virtual-router
// link (contrail-reference.md §2.3; KM vnc_pod.py).
//
//  - virtual-machine: uuid = pod uid, name "<cluster>__<ns>__<pod>" (a root object),
//    display "<ns>__<pod>", server_type "container", owner = the project, annotations
//    kind=Pod, owner, cluster, project, namespace, name, k8s_uuid, labels (JSON of the
//    pod's labels plus its namespace's labels plus namespace=<ns>, as Contrail adds them).
//  - virtual-machine-interface "<pod>__<uuid>" in project "<cluster>-<ns>": refs to the
//    default pod network, the VM and "<cluster>-<ns>-default-sg", port security on,
//    annotations … index="0/1", network="default".
//  - instance-ip "<pod>__<uuid>": refs network + VMI, subnet_uuid = the pod ipam's subnet,
//    so the API hands out the next address from the top (10.47.255.252 first).
//  - ref virtual-router [default-global-system-config, spec.nodeName] -> VM once the pod
//    is scheduled (the router must exist; until then the error is kept and retried).
// hostNetwork pods are ignored. When the pod is gone (or its uid changed) the config is
// deleted in Contrail's order: VR->VM ref, then per VMI its instance-ips, its floating-ips
// detached, the VMI; then the VM.
//
// Runs on kube-manager's strand.
#pragma once

#include <string>
#include <vector>

#include "core/status.h"
#include "kube/kube_manager/context.h"

namespace csim::kube {

// Makes the config of Pod ns/name right. `gone_uids`: uids from DELETED events for this
// key (their VMs are deleted too, if they still exist). Queues the Endpoints that list the
// pod when its interface was just created (ctx.enqueue).
core::Status reconcile_pod(Context& ctx, const std::string& ns, const std::string& name,
                           const std::vector<std::string>& gone_uids = {});

// Deletes the config of one pod VM (by uuid); OK when it does not exist.
core::Status delete_pod_config(Context& ctx, const std::string& vm_uuid);

}  // namespace csim::kube
