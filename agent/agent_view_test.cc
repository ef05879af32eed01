#include "agent/agent_view.h"

#include <gtest/gtest.h>

#include "agent/test_views.h"

namespace csim::agent {
namespace {

using namespace test_views;
constexpr const char* kUid = "d0000000-0000-4000-8000-000000000001";

TEST(AgentView, ParsesInterfacesInstancesRoutesServicesAndFips) {
  auto v = parse_agent_view(view(1, 7, kUid, haproxy_config()));
  ASSERT_TRUE(v.is_ok()) << v.status().message();
  EXPECT_EQ(v->version, 7u);
  EXPECT_EQ(v->node, "node-1");
  EXPECT_TRUE(v->problems.empty()) << v->problems.front();

  ASSERT_EQ(v->interfaces.size(), 2u);
  const ViewInterface& pod = v->interfaces.at(kVmiA);
  EXPECT_EQ(pod.vm_uuid, kUid);
  EXPECT_EQ(pod.ip->str(), "10.47.255.252");
  EXPECT_EQ(pod.prefix_len, 12);
  EXPECT_EQ(pod.gateway->str(), "10.47.255.254");
  EXPECT_EQ(pod.mac, "");
  EXPECT_EQ(v->interfaces_of(kUid).size(), 1u);
  ASSERT_EQ(v->gateways.size(), 1u);

  ASSERT_EQ(v->service_instances.size(), 1u);
  const auto& si = v->service_instances[0];
  EXPECT_TRUE(si.usable) << si.not_usable;
  EXPECT_EQ(si.si_uuid, kSi);
  EXPECT_EQ(si.vm_uuid, kVm0);
  EXPECT_EQ(si.lb_uuid, kLb);
  EXPECT_EQ(si.haproxy_config, haproxy_config());
  EXPECT_EQ(si.bindings.size(), 4u);
  ASSERT_TRUE(si.right);
  EXPECT_EQ(si.right->uuid, kVmi0);
  EXPECT_EQ(si.right->ip->str(), kVip);
  EXPECT_EQ(si.right->mac, kMac);
  EXPECT_EQ(si.right->iip_uuid, kVipIip);

  ASSERT_EQ(v->routes.size(), 3u);
  EXPECT_FALSE(v->routes[0].local);
  EXPECT_EQ(v->routes[0].node, "node-2");
  EXPECT_EQ(v->routes[0].underlay->str(), "169.254.1.2");
  EXPECT_TRUE(v->routes[2].local);
  EXPECT_EQ(v->routes[2].vmi, kVmi0);
  EXPECT_EQ(v->routes[2].local_pref, 200);

  ASSERT_EQ(v->services.size(), 1u);
  EXPECT_EQ(v->services[0].protocol, "tcp");
  EXPECT_EQ(v->services[0].backends.size(), 2u);
  ASSERT_EQ(v->floating_ips.size(), 1u);
  EXPECT_EQ(v->floating_ips[0].fixed_ip.str(), kVip);
}

TEST(AgentView, UsabilityFollowsContrailsRules) {
  auto body = view(1, 1, kUid, "");
  auto v = parse_agent_view(body);
  ASSERT_TRUE(v.is_ok());
  ASSERT_EQ(v->service_instances.size(), 1u);
  EXPECT_FALSE(v->service_instances[0].usable);
  EXPECT_EQ(v->service_instances[0].not_usable, "no haproxy_config in the bindings yet");

  // Without the VIP instance-ip, the right interface has no address.
  json objects = json::array();
  for (const auto& o : body["objects"])
    if (o["uuid"] != kVipIip) objects.push_back(o);
  body["objects"] = objects;
  v = parse_agent_view(body);
  ASSERT_TRUE(v.is_ok());
  EXPECT_EQ(v->service_instances[0].not_usable,
            std::string("right interface ") + kVmi0 + " has no instance-ip");

  // A template of another virtualization type is not the agent's business.
  for (auto& o : body["objects"])
    if (o["type"] == "service-template")
      o["props"]["service_template_properties"]["service_virtualization_type"] = "virtual-machine";
  v = parse_agent_view(body);
  ASSERT_TRUE(v.is_ok());
  EXPECT_TRUE(v->service_instances.empty());
}

TEST(AgentView, BadEntriesAreSkippedAndNamed) {
  auto body = view(1, 1, kUid, haproxy_config());
  body["routes"].push_back(
      {{"prefix", "10.1.1.1/40"}, {"nexthop", {{"type", "local"}, {"vmi", kVmi0}}}});
  body["routes"].push_back(
      {{"prefix", "10.1.1.2/32"}, {"nexthop", {{"type", "remote"}, {"node", "../x"}}}});
  body["services"].push_back({{"cluster_ip", "10.96.0.11; drop"}, {"port", 80}});
  body["floating_ips"].push_back({{"fip", "nope"}, {"fixed_ip", kVip}});
  body["objects"].push_back(object("instance-ip", "not-a-uuid", {"x"},
                                   {{"instance_ip_address", "1.2.3.4"}}, json::array()));
  for (auto& o : body["objects"])
    if (o["uuid"] == kSi)
      o["props"]["service_instance_bindings"]["key_value_pair"][1]["value"] = "../../etc";
  auto v = parse_agent_view(body);
  ASSERT_TRUE(v.is_ok());
  EXPECT_EQ(v->routes.size(), 3u);
  EXPECT_EQ(v->services.size(), 1u);
  EXPECT_EQ(v->floating_ips.size(), 1u);
  EXPECT_FALSE(v->service_instances[0].usable);
  EXPECT_EQ(v->problems.size(), 6u);
  for (const auto& p : v->problems) EXPECT_FALSE(p.empty());
}

TEST(AgentView, RejectsWhatIsNotAView) {
  EXPECT_FALSE(parse_agent_view(json::array()).is_ok());
  EXPECT_FALSE(parse_agent_view({{"node", "node-1"}}).is_ok());
  auto empty = parse_agent_view({{"version", 3}});
  ASSERT_TRUE(empty.is_ok());
  EXPECT_TRUE(empty->interfaces.empty());
}

}  // namespace
}  // namespace csim::agent
