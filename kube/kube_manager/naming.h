// How kube-manager names things, as Contrail's kube-manager does (contrail-reference.md
// §1.2, §2.1-§2.4; KM vnc_common.py make_name, vnc_kubernetes_config.py, config_db.py
// _get_annotations): "__"-joined names, "<cluster>-<ns>" projects, the annotation set
// every kube-manager object carries, and small helpers around KeyValuePairs.
//
// Pure functions; thread-safe (new_uuid4 uses a thread-local generator).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "controller/config_api.h"
#include "kube/kube_manager/options.h"

namespace csim::kube {

// "a__b__c" (VncCommon.make_name / make_display_name).
std::string join_name(const std::vector<std::string>& parts);

// Project of a namespace: "<cluster>-<ns>" and its fq_name [domain, "<cluster>-<ns>"].
std::string project_name(const KubeManagerOptions& o, const std::string& ns);
controller::FqName project_fq_name(const KubeManagerOptions& o, const std::string& ns);
// "<cluster>-<ns>-default-sg" and its fq_name under the namespace's project.
std::string security_group_name(const KubeManagerOptions& o, const std::string& ns);
controller::FqName security_group_fq_name(const KubeManagerOptions& o, const std::string& ns);
// Cluster objects in project "<cluster>-default" (§2.1).
std::string pod_ipam_name(const KubeManagerOptions& o);           // "k8s-pod-ipam"
std::string service_ipam_name(const KubeManagerOptions& o);       // "k8s-service-ipam"
std::string pod_network_name(const KubeManagerOptions& o);        // "k8s-default-pod-network"
std::string service_network_name(const KubeManagerOptions& o);    // "k8s-default-service-network"
// The virtual-router of a node: [default-global-system-config, <node>].
controller::FqName virtual_router_fq_name(const std::string& node);
// A service-appliance-set: [default-global-system-config, <provider>].
controller::FqName service_appliance_set_fq_name(const std::string& provider);

// A random RFC 4122 version-4 uuid, lower case ("0b6d…-4…").
std::string new_uuid4();
// True for 36 characters of lower-case hex digits and dashes in the 8-4-4-4-12 layout.
bool is_uuid_text(const std::string& s);

// The VIP interface of the loadbalancer of a Service or an Ingress (kind "Service" or
// "Ingress"): "<cluster>__<kind>__<name>__<uid>" in the namespace's project (§1.2 #1).
std::string vip_interface_name(const KubeManagerOptions& o, const std::string& kind,
                               const std::string& name, const std::string& uid);
controller::FqName vip_interface_fq_name(const KubeManagerOptions& o, const std::string& kind,
                                         const std::string& ns, const std::string& name,
                                         const std::string& uid);
// Whose VIP interface an fq_name is: nullopt unless it is
// [domain, "<cluster>-<ns>", "<cluster>__<Service|Ingress>__<name>__<uid>"].
struct VipOwner {
  std::string kind;  // "Service" or "Ingress"
  std::string ns;
  std::string name;
  std::string uid;
};
std::optional<VipOwner> parse_vip_interface_fq_name(const KubeManagerOptions& o,
                                                    const controller::FqName& fq);

// Annotations in the order they are written (KeyValuePairs keep their order).
// A value is a string, or null (Contrail writes externalIP=None when there is none).
using KeyValues = std::vector<std::pair<std::string, nlohmann::json>>;

// The annotations DBBaseKM._get_annotations builds, in Python's insertion order:
// kind, owner, cluster, project, namespace, name, then `extra` in its order.
KeyValues k8s_annotations(const KubeManagerOptions& o, const std::string& kind,
                          const std::string& ns, const std::string& name,
                          const KeyValues& extra = {});
// {"key_value_pair": [{"key": k, "value": v}, ...]}
nlohmann::json key_value_pairs(const KeyValues& kvs);
// The object's annotations as a map (non-string values dumped as JSON, null as "null").
std::map<std::string, std::string> annotation_map(const controller::ConfigObject& o);
// The object's annotations in stored order.
KeyValues annotation_list(const controller::ConfigObject& o);
// True when the object carries cluster=<cluster_name> and owner=<cluster_owner>.
bool owned_by_cluster(const KubeManagerOptions& o, const controller::ConfigObject& obj);

// json.dumps(d) of a flat dict of strings as Python prints it: {"a": "1", "b": "2"}
// (keys in sorted order, so the text is deterministic).
std::string python_json_dumps(const nlohmann::json& flat_object);

// A floating-ip-pool given as Contrail's dict string
// "{'domain': 'default-domain', 'project': 'p', 'network': 'n', 'name': 'pool'}"
// (single or double quotes; KM common/utils.py get_fip_pool_fq_name_from_dict_string)
// -> [domain, project, network, name]. nullopt when it is not such a dict.
std::optional<controller::FqName> parse_fip_pool_dict(const std::string& text);

// "a:b:c" for messages.
std::string fq_string(const controller::FqName& fq);

}  // namespace csim::kube
