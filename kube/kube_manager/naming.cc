#include "kube/kube_manager/naming.h"

#include <cstdio>
#include <random>

namespace csim::kube {

std::string join_name(const std::vector<std::string>& parts) {
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i) {
    if (i) out += "__";
    out += parts[i];
  }
  return out;
}

std::string project_name(const KubeManagerOptions& o, const std::string& ns) {
  return o.cluster_name + "-" + ns;
}

controller::FqName project_fq_name(const KubeManagerOptions& o, const std::string& ns) {
  return {o.domain, project_name(o, ns)};
}

std::string security_group_name(const KubeManagerOptions& o, const std::string& ns) {
  return o.cluster_name + "-" + ns + "-default-sg";
}

controller::FqName security_group_fq_name(const KubeManagerOptions& o, const std::string& ns) {
  return {o.domain, project_name(o, ns), security_group_name(o, ns)};
}

std::string pod_ipam_name(const KubeManagerOptions& o) { return o.cluster_name + "-pod-ipam"; }
std::string service_ipam_name(const KubeManagerOptions& o) {
  return o.cluster_name + "-service-ipam";
}
std::string pod_network_name(const KubeManagerOptions& o) {
  return o.cluster_name + "-default-pod-network";
}
std::string service_network_name(const KubeManagerOptions& o) {
  return o.cluster_name + "-default-service-network";
}

controller::FqName virtual_router_fq_name(const std::string& node) {
  return {"default-global-system-config", node};
}

controller::FqName service_appliance_set_fq_name(const std::string& provider) {
  return {"default-global-system-config", provider};
}

std::string new_uuid4() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  uint64_t hi = rng();
  uint64_t lo = rng();
  hi = (hi & 0xffffffffffff0fffULL) | 0x0000000000004000ULL;  // version 4
  lo = (lo & 0x3fffffffffffffffULL) | 0x8000000000000000ULL;  // variant 10xx
  char buf[37];
  std::snprintf(buf, sizeof(buf), "%08x-%04x-%04x-%04x-%012llx",
                static_cast<unsigned>(hi >> 32), static_cast<unsigned>((hi >> 16) & 0xffff),
                static_cast<unsigned>(hi & 0xffff), static_cast<unsigned>(lo >> 48),
                static_cast<unsigned long long>(lo & 0xffffffffffffULL));
  return buf;
}

bool is_uuid_text(const std::string& s) {
  if (s.size() != 36) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (c != '-') return false;
    } else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
      return false;
    }
  }
  return true;
}

std::string vip_interface_name(const KubeManagerOptions& o, const std::string& kind,
                               const std::string& name, const std::string& uid) {
  return join_name({o.cluster_name, kind, name, uid});
}

controller::FqName vip_interface_fq_name(const KubeManagerOptions& o, const std::string& kind,
                                         const std::string& ns, const std::string& name,
                                         const std::string& uid) {
  controller::FqName fq = project_fq_name(o, ns);
  fq.push_back(vip_interface_name(o, kind, name, uid));
  return fq;
}

std::optional<VipOwner> parse_vip_interface_fq_name(const KubeManagerOptions& o,
                                                    const controller::FqName& fq) {
  if (fq.size() != 3 || fq[0] != o.domain) return std::nullopt;
  const std::string project_prefix = o.cluster_name + "-";
  if (fq[1].size() <= project_prefix.size() || fq[1].rfind(project_prefix, 0) != 0)
    return std::nullopt;
  VipOwner owner;
  owner.ns = fq[1].substr(project_prefix.size());
  const std::string& name = fq[2];
  for (const char* kind : {"Service", "Ingress"}) {
    const std::string prefix = join_name({o.cluster_name, kind}) + "__";
    if (name.rfind(prefix, 0) != 0) continue;
    const std::string rest = name.substr(prefix.size());  // "<name>__<uid>"
    const size_t cut = rest.rfind("__");
    if (cut == std::string::npos || cut == 0 || cut + 2 >= rest.size()) return std::nullopt;
    owner.kind = kind;
    owner.name = rest.substr(0, cut);
    owner.uid = rest.substr(cut + 2);
    return owner;
  }
  return std::nullopt;
}

KeyValues k8s_annotations(const KubeManagerOptions& o, const std::string& kind,
                          const std::string& ns, const std::string& name, const KeyValues& extra) {
  KeyValues kvs = {{"kind", kind},
                   {"owner", o.cluster_owner},
                   {"cluster", o.cluster_name},
                   {"project", project_name(o, ns)},
                   {"namespace", ns},
                   {"name", name}};
  for (const auto& kv : extra) kvs.push_back(kv);
  return kvs;
}

nlohmann::json key_value_pairs(const KeyValues& kvs) {
  nlohmann::json list = nlohmann::json::array();
  for (const auto& [k, v] : kvs) list.push_back({{"key", k}, {"value", v}});
  return {{"key_value_pair", list}};
}

KeyValues annotation_list(const controller::ConfigObject& o) {
  KeyValues out;
  auto a = o.props.find("annotations");
  if (a == o.props.end() || !a->is_object()) return out;
  auto kvps = a->find("key_value_pair");
  if (kvps == a->end() || !kvps->is_array()) return out;
  for (const auto& kv : *kvps) {
    if (!kv.is_object()) continue;
    out.emplace_back(kv.value("key", ""), kv.contains("value") ? kv["value"] : nlohmann::json());
  }
  return out;
}

std::map<std::string, std::string> annotation_map(const controller::ConfigObject& o) {
  std::map<std::string, std::string> out;
  for (const auto& [k, v] : annotation_list(o))
    out[k] = v.is_string() ? v.get<std::string>() : v.dump();
  return out;
}

bool owned_by_cluster(const KubeManagerOptions& o, const controller::ConfigObject& obj) {
  return obj.annotation("cluster") == o.cluster_name &&
         obj.annotation("owner") == o.cluster_owner;
}

std::string python_json_dumps(const nlohmann::json& flat_object) {
  if (!flat_object.is_object()) return flat_object.dump();
  std::string out = "{";
  bool first = true;
  for (const auto& [k, v] : flat_object.items()) {  // nlohmann::json objects are key-sorted
    if (!first) out += ", ";
    first = false;
    out += nlohmann::json(k).dump() + ": " + v.dump();
  }
  return out + "}";
}

std::optional<controller::FqName> parse_fip_pool_dict(const std::string& text) {
  std::string s = text;
  for (char& c : s)
    if (c == '\'') c = '"';
  nlohmann::json j = nlohmann::json::parse(s, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return std::nullopt;
  controller::FqName fq;
  for (const char* key : {"domain", "project", "network", "name"}) {
    auto it = j.find(key);
    if (it == j.end() || !it->is_string() || it->get<std::string>().empty()) return std::nullopt;
    fq.push_back(it->get<std::string>());
  }
  return fq;
}

std::string fq_string(const controller::FqName& fq) {
  std::string out;
  for (size_t i = 0; i < fq.size(); ++i) {
    if (i) out += ":";
    out += fq[i];
  }
  return out;
}

}  // namespace csim::kube
