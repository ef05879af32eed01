#include "kube/apiserver/patch.h"

#include "kube/apiserver/http_message.h"
#include "kube/apiserver/strategic_merge.h"

namespace csim::kube::apiserver {

using nlohmann::json;

std::optional<PatchType> patch_type(const std::string& content_type) {
  std::string type = to_lower(trim(split(content_type, ';')[0]));
  if (type == "application/json-patch+json") return PatchType::kJson;
  if (type == "application/merge-patch+json") return PatchType::kMerge;
  if (type == "application/strategic-merge-patch+json") return PatchType::kStrategicMerge;
  if (type == "application/apply-patch+yaml" || type == "application/apply-patch+json")
    return PatchType::kApply;
  return std::nullopt;
}

core::Result<json> apply_patch(PatchType type, const std::string& kind, const json& object,
                               const json& patch) {
  switch (type) {
    case PatchType::kMerge: {
      if (!patch.is_object()) return core::invalid("a merge patch must be a JSON object");
      json out = object;
      out.merge_patch(patch);
      return out;
    }
    case PatchType::kStrategicMerge:
      return strategic_merge(kind, object, patch);
    case PatchType::kJson: {
      if (!patch.is_array()) return core::invalid("a JSON patch must be a JSON array of operations");
      try {
        return object.patch(patch);
      } catch (const json::exception& e) {
        return core::invalid(std::string("json patch: ") + e.what());
      }
    }
    case PatchType::kApply:
      break;
  }
  return core::invalid("server-side apply (application/apply-patch+yaml) is not supported");
}

}  // namespace csim::kube::apiserver
