#include "controller/ipam_subnets.h"

#include <gtest/gtest.h>

namespace csim::controller {
namespace {

using nlohmann::json;

json subnet(const std::string& ip, int len) {
  return {{"subnet", {{"ip_prefix", ip}, {"ip_prefix_len", len}}}};
}

std::function<std::string()> counter() {
  auto n = std::make_shared<int>(0);
  return [n] { return "uuid-" + std::to_string(++*n); };
}

TEST(IpamSubnetsTest, FillsGatewayDnsAndSubnetUuid) {
  json list = json::array({subnet("10.32.0.0", 12)});
  ASSERT_TRUE(complete_subnets(list, nullptr, "ipam", counter()).is_ok());
  EXPECT_EQ(list[0]["default_gateway"], "10.47.255.254");
  EXPECT_EQ(list[0]["dns_server_address"], "10.47.255.253");
  EXPECT_EQ(list[0]["subnet_uuid"], "uuid-1");
  auto parsed = parse_subnets(list);
  ASSERT_EQ(parsed.size(), 1u);
  EXPECT_EQ(parsed[0].prefix.to_string(), "10.32.0.0/12");
  EXPECT_EQ(format_ipv4(parsed[0].gateway), "10.47.255.254");
  EXPECT_EQ(format_ipv4(parsed[0].dns), "10.47.255.253");
  EXPECT_EQ(parsed[0].subnet_uuid, "uuid-1");
}

TEST(IpamSubnetsTest, KeepsGivenValuesAndPreviousUuidsByPrefix) {
  json previous = json::array({subnet("10.84.59.0", 24), subnet("10.96.0.0", 12)});
  previous[0]["subnet_uuid"] = "old-a";
  previous[1]["subnet_uuid"] = "old-b";
  json list = json::array({subnet("10.96.0.0", 12), subnet("192.0.2.0", 24)});
  list[1]["default_gateway"] = "192.0.2.1";
  list[1]["dns_server_address"] = "0.0.0.0";
  list[1]["extra"] = "kept";
  ASSERT_TRUE(complete_subnets(list, previous, "vn", counter()).is_ok());
  EXPECT_EQ(list[0]["subnet_uuid"], "old-b");
  EXPECT_EQ(list[1]["subnet_uuid"], "uuid-1");
  EXPECT_EQ(list[1]["default_gateway"], "192.0.2.1");
  EXPECT_EQ(list[1]["extra"], "kept");
  auto parsed = parse_subnets(list);
  ASSERT_EQ(parsed.size(), 2u);
  EXPECT_EQ(parsed[1].dns, 0u) << "0.0.0.0 means no DNS address";
}

TEST(IpamSubnetsTest, RejectsBadEntriesNamingTheField) {
  struct Case {
    json entry;
    std::string message;
  };
  std::vector<Case> cases = {
      {json::object(), "x[0].subnet: missing (want {ip_prefix, ip_prefix_len})"},
      {{{"subnet", {{"ip_prefix", 10}, {"ip_prefix_len", 8}}}},
       "x[0].subnet.ip_prefix: missing or not a string"},
      {{{"subnet", {{"ip_prefix", "10.0.0.0"}}}},
       "x[0].subnet.ip_prefix_len: missing or not an integer"},
      {subnet("10.0.0.0", 31),
       "x[0].subnet.ip_prefix_len: 31 must be 0..30 (a subnet needs host addresses)"},
      {subnet("10.0.0.1", 8),
       "x[0].subnet: 10.0.0.1/8: host bits are set, did you mean 10.0.0.0/8?"},
      {subnet("10.0.0", 8),
       "x[0].subnet.ip_prefix: \"10.0.0\" is not an IPv4 address (want a.b.c.d)"},
  };
  for (auto& c : cases) {
    json list = json::array({c.entry});
    auto s = complete_subnets(list, nullptr, "x", counter());
    EXPECT_EQ(s.code(), core::Code::kInvalid) << c.entry.dump();
    EXPECT_EQ(s.message(), c.message);
  }
  json gw = json::array({subnet("10.0.0.0", 24)});
  gw[0]["default_gateway"] = "10.0.1.1";
  EXPECT_EQ(complete_subnets(gw, nullptr, "x", counter()).message(),
            "x[0].default_gateway: 10.0.1.1 is not in 10.0.0.0/24");
  json twice = json::array({subnet("10.0.0.0", 24), subnet("10.0.0.0", 24)});
  EXPECT_EQ(complete_subnets(twice, nullptr, "x", counter()).message(),
            "x[1].subnet: 10.0.0.0/24 is listed twice");
  json not_list = json::object();
  EXPECT_EQ(complete_subnets(not_list, nullptr, "x", counter()).message(), "x: must be a list");
  json null_list;
  EXPECT_TRUE(complete_subnets(null_list, nullptr, "x", counter()).is_ok());
}

TEST(IpamSubnetsTest, FindsTheListOnAnIpamAndOnARefAttr) {
  json props = {{"ipam_subnets", {{"subnets", json::array({subnet("10.32.0.0", 12)})}}}};
  EXPECT_EQ(ipam_subnet_list(props).size(), 1u);
  EXPECT_TRUE(ipam_subnet_list(json::object()).is_null());
  json attr = {{"ipam_subnets", json::array({subnet("10.84.59.0", 24)})}};
  EXPECT_EQ(ref_subnet_list(attr).size(), 1u);
  EXPECT_TRUE(ref_subnet_list(nullptr).is_null());
}

}  // namespace
}  // namespace csim::controller
