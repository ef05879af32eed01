// Cluster provisioning at kube-manager start (contrail-reference.md §2.1; KM
// vnc_kubernetes.py _provision_cluster): projects "<cluster>-default" and
// "<cluster>-kube-system" under the domain, the flat-subnet network-ipams
// "<cluster>-pod-ipam" and "<cluster>-service-ipam" (subnets stored on the ipam), and the
// virtual-networks "<cluster>-default-pod-network" / "-service-network" with a ref to their
// ipam. Idempotent: what exists is kept (an ipam whose subnet differs from the options is
// updated), what is missing is created.
//
// Runs on the caller's thread (KubeManager::start, before it subscribes).
#pragma once

#include "core/status.h"
#include "kube/kube_manager/context.h"

namespace csim::kube {

// Provisions the cluster and fills ctx.cluster. kNotFound when the domain does not exist
// (controller bootstrap must run first); kInvalid for a bad subnet option.
core::Status provision_cluster(Context& ctx);

}  // namespace csim::kube
