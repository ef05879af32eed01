#include "kube/apiserver/scale.h"

namespace csim::kube::apiserver {

using nlohmann::json;

json scale_of(const json& deployment) {
  const json empty = json::object();
  const json& meta = deployment.contains("metadata") && deployment["metadata"].is_object() ? deployment["metadata"] : empty;
  const json& spec = deployment.contains("spec") && deployment["spec"].is_object() ? deployment["spec"] : empty;
  const json& status = deployment.contains("status") && deployment["status"].is_object() ? deployment["status"] : empty;
  json scale_meta = json::object();
  for (const char* f : {"name", "namespace", "uid", "resourceVersion", "creationTimestamp"})
    if (meta.contains(f)) scale_meta[f] = meta[f];
  std::string selector;
  if (spec.contains("selector") && spec["selector"].is_object() && spec["selector"].contains("matchLabels") &&
      spec["selector"]["matchLabels"].is_object()) {
    for (auto it = spec["selector"]["matchLabels"].begin(); it != spec["selector"]["matchLabels"].end(); ++it)
      selector += (selector.empty() ? "" : ",") + it.key() + "=" + (it.value().is_string() ? it.value().get<std::string>() : it.value().dump());
  }
  const json replicas = spec.contains("replicas") && spec["replicas"].is_number_integer() ? spec["replicas"] : json(1);
  const json current = status.contains("replicas") && status["replicas"].is_number_integer() ? status["replicas"] : json(0);
  return {{"kind", "Scale"},
          {"apiVersion", "autoscaling/v1"},
          {"metadata", scale_meta},
          {"spec", {{"replicas", replicas}}},
          {"status", {{"replicas", current}, {"selector", selector}}}};
}

core::Result<int64_t> replicas_of(const json& scale) {
  if (!scale.is_object() || !scale.contains("spec") || !scale["spec"].is_object() ||
      !scale["spec"].contains("replicas"))
    return core::invalid("spec.replicas: Required value");
  const json& r = scale["spec"]["replicas"];
  if (!r.is_number_integer()) return core::invalid("spec.replicas: Invalid value: " + r.dump() + ": must be an integer");
  int64_t n = r.get<int64_t>();
  if (n < 0)
    return core::invalid("spec.replicas: Invalid value: " + std::to_string(n) +
                         ": must be greater than or equal to 0");
  return n;
}

}  // namespace csim::kube::apiserver
