// KubeManagerOptions: the knobs of csim's kube-manager, with Contrail's defaults
// (contrail-reference.md §2.1: cluster name "k8s", owner "k8s", domain "default-domain",
// pod subnet 10.32.0.0/12, service subnet 10.96.0.0/12) and the public floating-ip pool
// that csim's bootstrap creates. Plain data.
#pragma once

#include <string>
#include <vector>

namespace csim::kube {

struct KubeManagerOptions {
  std::string cluster_name = "k8s";             // [KUBERNETES] cluster_name
  std::string cluster_owner = "k8s";            // kubernetes_cluster_owner (annotation "owner")
  std::string domain = "default-domain";        // kubernetes_cluster_domain
  std::string pod_subnet = "10.32.0.0/12";      // pod_subnets
  std::string service_subnet = "10.96.0.0/12";  // service_subnets
  // [VNC] public_fip_pool as a floating-ip-pool fq_name
  // (domain, project, network, pool); empty = none configured.
  std::vector<std::string> public_fip_pool = {"default-domain", "default-project", "__public__",
                                              "__fip_pool_public__"};
};

}  // namespace csim::kube
