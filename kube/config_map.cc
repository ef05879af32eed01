#include "kube/config_map.h"

#include <set>
#include <string>

#include "kube/base64.h"
#include "kube/secret.h"

namespace csim::kube {

using nlohmann::json;

void validate_config_map(const json& cm, FieldErrors& e) {
  size_t total = 0;
  std::set<std::string> data_keys;
  if (cm.contains("data") && !cm["data"].is_null() && e.expect_object("data", cm["data"])) {
    for (const auto& [key, value] : cm["data"].items()) {
      const std::string f = "data[" + key + "]";
      data_keys.insert(key);
      if (auto p = config_key_problem(key); !p.empty()) e.invalid(f, key, p);
      if (e.expect_string(f, value)) total += value.get_ref<const std::string&>().size();
    }
  }
  if (cm.contains("binaryData") && !cm["binaryData"].is_null() &&
      e.expect_object("binaryData", cm["binaryData"])) {
    for (const auto& [key, value] : cm["binaryData"].items()) {
      const std::string f = "binaryData[" + key + "]";
      if (auto p = config_key_problem(key); !p.empty()) e.invalid(f, key, p);
      if (data_keys.count(key)) e.invalid(f, key, "duplicate of key present in data");
      if (!e.expect_string(f, value)) continue;
      auto bytes = base64_decode(value.get<std::string>());
      if (!bytes) {
        e.invalid(f, "<value omitted>", "must be base64-encoded");
        continue;
      }
      total += bytes->size();
    }
  }
  if (cm.contains("immutable") && !cm["immutable"].is_null() && !cm["immutable"].is_boolean())
    e.invalid("immutable", cm["immutable"], "must be a boolean");
  if (total > kMaxConfigMapBytes)
    e.invalid("data", "<value omitted>",
              "Too long: must have at most " + std::to_string(kMaxConfigMapBytes) + " bytes");
}

}  // namespace csim::kube
