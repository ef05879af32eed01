#include "kube/object_store.h"

#include <cctype>

namespace csim::kube {

std::string watch_topic(const std::string& kind) {
  std::string lower;
  for (char c : kind) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return "kube.watch." + lower;
}

std::vector<nlohmann::json> ObjectStore::list_if(
    const std::string& kind, const std::string& ns,
    const std::function<bool(const nlohmann::json&)>& keep) const {
  std::vector<nlohmann::json> out;
  for (nlohmann::json& o : list(kind, ns))
    if (keep(o)) out.push_back(std::move(o));
  return out;
}

bool is_namespaced(const std::string& kind) { return kind != "Namespace" && kind != "Node"; }

}  // namespace csim::kube
