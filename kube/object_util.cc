#include "kube/object_util.h"

namespace csim::kube {

using nlohmann::json;

std::string meta_string(const json& object, const char* field) {
  if (!object.is_object() || !object.contains("metadata") || !object["metadata"].is_object())
    return "";
  const json& meta = object["metadata"];
  if (!meta.contains(field) || !meta[field].is_string()) return "";
  return meta[field].get<std::string>();
}

bool has_true_condition(const json& object, const std::string& type) {
  if (!object.is_object() || !object.contains("status") || !object["status"].is_object())
    return false;
  const json& status = object["status"];
  if (!status.contains("conditions") || !status["conditions"].is_array()) return false;
  for (const json& c : status["conditions"]) {
    if (c.is_object() && c.value("type", json()) == type && c.value("status", json()) == "True")
      return true;
  }
  return false;
}

bool pod_is_terminal(const json& pod) {
  if (!pod.is_object() || !pod.contains("status") || !pod["status"].is_object()) return false;
  const json phase = pod["status"].value("phase", json());
  return phase == "Succeeded" || phase == "Failed";
}

bool pod_is_ready(const json& pod) { return !pod_is_terminal(pod) && has_true_condition(pod, "Ready"); }

bool node_is_schedulable(const json& node) {
  if (!has_true_condition(node, "Ready")) return false;
  if (node.contains("spec") && node["spec"].is_object() &&
      node["spec"].value("unschedulable", json(false)) == true)
    return false;
  return true;
}

bool selector_matches_labels(const json& selector, const json& labels) {
  if (!selector.is_object() || selector.empty()) return false;
  if (!labels.is_object()) return false;
  for (auto it = selector.begin(); it != selector.end(); ++it) {
    if (!labels.contains(it.key()) || labels[it.key()] != it.value()) return false;
  }
  return true;
}

std::optional<json> controller_owner(const json& object) {
  if (!object.is_object() || !object.contains("metadata") || !object["metadata"].is_object())
    return std::nullopt;
  const json& meta = object["metadata"];
  if (!meta.contains("ownerReferences") || !meta["ownerReferences"].is_array()) return std::nullopt;
  for (const json& ref : meta["ownerReferences"])
    if (ref.is_object() && ref.value("controller", json(false)) == true) return ref;
  return std::nullopt;
}

bool endpoints_list_pod(const nlohmann::json& endpoints, const char* field,
                        const std::string& value) {
  auto subsets = endpoints.find("subsets");
  if (subsets == endpoints.end() || !subsets->is_array()) return false;
  for (const auto& subset : *subsets) {
    if (!subset.is_object()) continue;
    for (const char* list_field : {"addresses", "notReadyAddresses"}) {
      auto list = subset.find(list_field);
      if (list == subset.end() || !list->is_array()) continue;
      for (const auto& address : *list) {
        if (!address.is_object()) continue;
        auto ref = address.find("targetRef");
        if (ref == address.end() || !ref->is_object()) continue;
        auto v = ref->find(field);
        if (v != ref->end() && v->is_string() && v->get_ref<const std::string&>() == value)
          return true;
      }
    }
  }
  return false;
}

}  // namespace csim::kube
