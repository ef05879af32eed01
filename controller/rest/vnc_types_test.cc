#include "controller/rest/vnc_types.h"

#include <gtest/gtest.h>

#include <algorithm>

namespace csim::controller {
namespace {

TEST(VncTypesTest, ListIsSortedAndHasTheTypesCsimUses) {
  const auto& t = vnc_types();
  EXPECT_TRUE(std::is_sorted(t.begin(), t.end()));
  EXPECT_EQ(std::adjacent_find(t.begin(), t.end()), t.end());
  for (const char* type : {"loadbalancer",
                           "loadbalancer-listener",
                           "loadbalancer-pool",
                           "loadbalancer-member",
                           "virtual-machine-interface",
                           "instance-ip",
                           "floating-ip",
                           "floating-ip-pool",
                           "service-instance",
                           "service-template",
                           "virtual-machine",
                           "virtual-router",
                           "virtual-network",
                           "network-ipam",
                           "project",
                           "domain",
                           "global-system-config",
                           "security-group",
                           "service-appliance-set",
                           "virtual-DNS"})
    EXPECT_TRUE(is_vnc_type(type)) << type;
  EXPECT_FALSE(is_vnc_type("loadbalancers"));
  EXPECT_FALSE(is_vnc_type("loadbalancer_pool"));
  EXPECT_FALSE(is_vnc_type(""));
}

TEST(VncTypesTest, CollectionsAreTheTypePlusS) {
  EXPECT_EQ(type_of_collection("loadbalancer-pools"), "loadbalancer-pool");
  EXPECT_EQ(type_of_collection("network-policys"), "network-policy");  // as Contrail spells it
  EXPECT_EQ(type_of_collection("virtual-DNSs"), "virtual-DNS");
  EXPECT_EQ(type_of_collection("loadbalancer-pool"), std::nullopt);
  EXPECT_EQ(type_of_collection("widgets"), std::nullopt);
  EXPECT_EQ(type_of_collection("s"), std::nullopt);
  EXPECT_EQ(collection_of("instance-ip"), "instance-ips");
}

TEST(VncTypesTest, FieldNames) {
  EXPECT_EQ(type_field("virtual-machine-interface"), "virtual_machine_interface");
  EXPECT_EQ(type_from_field("virtual_machine_interface"), "virtual-machine-interface");
  EXPECT_EQ(ref_field_type("virtual_machine_interface_refs"), "virtual-machine-interface");
  EXPECT_EQ(ref_field_type("virtual_DNS_refs"), "virtual-DNS");
  EXPECT_EQ(ref_field_type("loadbalancer_listener_back_refs"), std::nullopt);
  EXPECT_EQ(ref_field_type("widget_refs"), std::nullopt);
  EXPECT_EQ(ref_field_type("_refs"), std::nullopt);
  EXPECT_TRUE(is_back_ref_field("loadbalancer_listener_back_refs"));
  EXPECT_FALSE(is_back_ref_field("widget_back_refs"));
  EXPECT_TRUE(is_children_field("loadbalancer_members"));
  EXPECT_TRUE(is_children_field("floating_ip_pools"));
  EXPECT_FALSE(is_children_field("loadbalancer-members"));
  EXPECT_FALSE(is_children_field("ipam_subnets"));
  EXPECT_FALSE(is_children_field("annotations"));
}

TEST(VncTypesTest, SchemaParents) {
  EXPECT_EQ(schema_parents("loadbalancer-member"), std::vector<std::string>{"loadbalancer-pool"});
  EXPECT_EQ(schema_parents("loadbalancer"), std::vector<std::string>{"project"});
  EXPECT_EQ(schema_parents("instance-ip"), std::vector<std::string>{});
  EXPECT_EQ(schema_parents("floating-ip"),
            (std::vector<std::string>{"floating-ip-pool", "instance-ip"}));
  EXPECT_EQ(schema_parents("fabric"), std::nullopt);
}

}  // namespace
}  // namespace csim::controller
