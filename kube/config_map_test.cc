#include "kube/config_map.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "kube/base64.h"
#include "kube/validation.h"

namespace csim::kube {
namespace {

using nlohmann::json;

json config_map() {
  return {{"apiVersion", "v1"},
          {"kind", "ConfigMap"},
          {"metadata", {{"name", "web-config"}, {"namespace", "shop"}}},
          {"data", {{"nginx.conf", "server { listen 80; }\n"}, {"LOG_LEVEL", "debug"}}},
          {"binaryData", {{"logo.png", base64_encode(std::string("\x89PNG\0", 5))}}}};
}

std::vector<std::string> messages(const json& o) {
  std::vector<std::string> out;
  for (const auto& e : validate(o)) out.push_back(e.to_string());
  return out;
}

TEST(ConfigMap, DataAndBinaryDataAreValid) { EXPECT_TRUE(messages(config_map()).empty()); }

TEST(ConfigMap, EachBadFieldIsNamed) {
  json cm = config_map();
  cm["data"]["bad key"] = "x";
  cm["data"]["port"] = 80;
  cm["binaryData"]["blob"] = "not base64!";
  cm["binaryData"]["LOG_LEVEL"] = base64_encode("x");
  cm["immutable"] = "yes";
  auto m = messages(cm);
  ASSERT_EQ(m.size(), 5u) << ::testing::PrintToString(m);
  auto has = [&](const std::string& part) {
    for (const auto& s : m)
      if (s.find(part) != std::string::npos) return true;
    return false;
  };
  EXPECT_TRUE(has("data[bad key]"));
  EXPECT_TRUE(has("data[port]"));
  EXPECT_TRUE(has("binaryData[blob]"));
  EXPECT_TRUE(has("binaryData[LOG_LEVEL]: duplicate of key present in data"))
      << ::testing::PrintToString(m);
  EXPECT_TRUE(has("immutable"));
}

TEST(ConfigMap, MoreThanOneMebibyteIsRefused) {
  json cm = config_map();
  cm["data"]["big"] = std::string(kMaxConfigMapBytes, 'x');
  auto m = messages(cm);
  ASSERT_EQ(m.size(), 1u);
  EXPECT_NE(m[0].find("Too long"), std::string::npos) << m[0];
}

}  // namespace
}  // namespace csim::kube
