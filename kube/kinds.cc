#include "kube/kinds.h"

namespace csim::kube {

const std::vector<KindInfo>& served_kinds() {
  static const std::vector<KindInfo> kKinds = {
      {"Namespace", "", "v1", {"v1"}, "namespaces", {"ns"}, false, 0},
      {"Node", "", "v1", {"v1"}, "nodes", {"no"}, false, 1},
      {"Secret", "", "v1", {"v1"}, "secrets", {}, true, 2},
      {"ConfigMap", "", "v1", {"v1"}, "configmaps", {"cm"}, true, 2},
      {"Service", "", "v1", {"v1"}, "services", {"svc"}, true, 2},
      {"Endpoints", "", "v1", {"v1"}, "endpoints", {"ep"}, true, 3},
      {"Deployment", "apps", "apps/v1", {"apps/v1"}, "deployments", {"deploy"}, true, 4},
      {"Pod", "", "v1", {"v1"}, "pods", {"po"}, true, 5},
      {"Ingress",
       "networking.k8s.io",
       "networking.k8s.io/v1",
       {"networking.k8s.io/v1", "networking.k8s.io/v1beta1", "extensions/v1beta1"},
       "ingresses",
       {"ing"},
       true,
       6},
      {"Event", "", "v1", {"v1"}, "events", {"ev"}, true, 7},
  };
  return kKinds;
}

const KindInfo* find_kind(const std::string& kind) {
  for (const auto& k : served_kinds())
    if (k.kind == kind) return &k;
  return nullptr;
}

std::string qualified_resource(const std::string& kind) {
  const KindInfo* info = find_kind(kind);
  if (info == nullptr) {
    std::string lower;
    for (char c : kind) lower += static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
    return lower;
  }
  return info->group.empty() ? info->resource : info->resource + "." + info->group;
}

std::string served_kind_names() {
  std::string out;
  for (const auto& k : served_kinds()) {
    if (!out.empty()) out += ", ";
    out += k.kind;
  }
  return out;
}

}  // namespace csim::kube
