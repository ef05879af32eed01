#include "agent/vrouter_nat.h"

#include <gtest/gtest.h>

#include "agent/netns.h"
#include "agent/nftables.h"
#include "agent/test_util.h"

namespace csim::agent {
namespace {

Ipv4 I(const char* s) { return *parse_ipv4(s); }

std::vector<ViewService> services() {
  return {{I("10.96.0.10"), "tcp", 80, {{I("10.47.255.251"), 8080}, {I("10.47.255.252"), 8080}}},
          {I("10.96.0.11"), "udp", 53, {{I("10.47.255.251"), 5353}}},
          {I("10.96.0.12"), "tcp", 443, {}}};
}

TEST(VrouterNat, RendersFipsServicesHairpinAndRejects) {
  std::string t = render_vrouter_nat(services(), {{I("10.84.59.252"), I("10.47.255.250"), "x"}},
                                     I("10.47.255.254"));
  EXPECT_EQ(t.rfind("table ip csim\ndelete table ip csim\ntable ip csim {\n", 0), 0u)
      << "atomic replace";
  EXPECT_NE(t.find("ip daddr 10.96.0.10 tcp dport 80 dnat ip to numgen inc mod 2 map { 0 : "
                   "10.47.255.251 . 8080, "
                   "1 : 10.47.255.252 . 8080 }\n"),
            std::string::npos)
      << t;
  EXPECT_NE(t.find("ip daddr 10.96.0.11 udp dport 53 dnat ip to numgen inc mod 1 map { 0 : "
                   "10.47.255.251 . 5353 }"),
            std::string::npos);
  EXPECT_NE(t.find("ip daddr 10.84.59.252 dnat ip to 10.47.255.250\n    jump services"),
            std::string::npos)
      << t;
  EXPECT_NE(
      t.find(
          "ct status dnat ip saddr 10.47.255.252 ip daddr 10.47.255.252 snat ip to 10.47.255.254"),
      std::string::npos);
  EXPECT_NE(t.find("ip daddr 10.96.0.12 tcp dport 443 reject with tcp reset"), std::string::npos);
  EXPECT_EQ(render_vrouter_nat({}, {}, std::nullopt).find("unbacked"), std::string::npos);
}

TEST(VrouterNat, NftablesAcceptsTheRenderedTable) {
  auto ns = create_netns("csim-t-nat");
  CSIM_ASSERT_OK(ns);
  CSIM_EXPECT_OK(
      apply_nft(**ns, render_vrouter_nat(services(), {{I("10.84.59.252"), I("10.47.255.250"), "x"}},
                                         I("10.47.255.254"))));
  CSIM_EXPECT_OK(apply_nft(**ns, render_vrouter_nat({}, {}, std::nullopt)));
  delete_netns("csim-t-nat");
}

}  // namespace
}  // namespace csim::agent
