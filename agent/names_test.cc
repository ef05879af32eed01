#include "agent/names.h"

#include <gtest/gtest.h>

namespace csim::agent {
namespace {

constexpr const char* kVm = "0f1e2d3c-4b5a-6978-8695-a4b3c2d1e0f9";
constexpr const char* kLb = "AAAABBBB-cccc-dddd-eeee-ffff00001111";

TEST(Names, Validation) {
  EXPECT_TRUE(is_uuid(kVm));
  EXPECT_TRUE(is_uuid(kLb));
  EXPECT_FALSE(is_uuid("0f1e2d3c-4b5a-6978-8695-a4b3c2d1e0f"));
  EXPECT_FALSE(is_uuid("0f1e2d3c/4b5a-6978-8695-a4b3c2d1e0f9"));
  EXPECT_TRUE(is_dns_label("node-1"));
  EXPECT_FALSE(is_dns_label("Node-1"));
  EXPECT_FALSE(is_dns_label("-node"));
  EXPECT_FALSE(is_dns_label("a/b"));
  EXPECT_TRUE(is_dns_subdomain("qa-webserver-5d8f.x"));
  EXPECT_FALSE(is_dns_subdomain("a..b"));
  EXPECT_TRUE(is_mac("02:0A:bc:00:11:22"));
  EXPECT_FALSE(is_mac("02:0A:bc:00:11"));
}

TEST(Names, NamespacesArePrefixedAndPredictable) {
  EXPECT_EQ(vrouter_netns_name("node-1"), "csim-vr-node-1");
  EXPECT_EQ(pod_netns_name("default", "qa-1"), "csim-pod-default.qa-1");
  EXPECT_EQ(instance_netns_name(kVm, kLb),
            std::string("vrouter-") + kVm + ":aaaabbbb-cccc-dddd-eeee-ffff00001111");
  std::string long_pod =
      std::string(60, 'a') + "." + std::string(60, 'b') + "." + std::string(60, 'c');
  std::string n = pod_netns_name("default", long_pod);
  EXPECT_EQ(n.size(), 60u);
  EXPECT_EQ(n, pod_netns_name("default", long_pod)) << "stable";
  EXPECT_NE(n, pod_netns_name("default", long_pod + "b"));
  // Untrusted strings never make a name.
  EXPECT_EQ(pod_netns_name("default", "../../etc"), "");
  EXPECT_EQ(vrouter_netns_name("node/1"), "");
  EXPECT_EQ(instance_netns_name("x", kLb), "");
}

TEST(Names, DevicesFitIn15Chars) {
  EXPECT_EQ(pod_tap_name(kVm), "tap0f1e2d3c-4b");
  EXPECT_EQ(instance_inside_name(kVm), "gw-0f1e2d3c-4b");
  EXPECT_EQ(instance_vrouter_name(kVm), "veth0f1e2d3c-4");
  EXPECT_EQ(fabric_port_name("node-1"), "vr-node-1");
  std::string long_node = "a-very-long-node-name";
  EXPECT_EQ(fabric_port_name(long_node).size(), 11u);
  EXPECT_LE(fabric_port_name(long_node).size(), 15u);
}

TEST(Names, ContrailMacFromIipUuid) {
  EXPECT_EQ(mac_from_iip_uuid("0f1e2d3c-4b5a-6978-8695-a4b3c2d1e0f9"), "02:0f:1e:2d:3c:4b");
}

}  // namespace
}  // namespace csim::agent
