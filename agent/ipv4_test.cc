#include "agent/ipv4.h"

#include <gtest/gtest.h>

namespace csim::agent {
namespace {

TEST(Ipv4, ParsesStrictDottedQuads) {
  EXPECT_EQ(parse_ipv4("10.47.255.254")->str(), "10.47.255.254");
  EXPECT_FALSE(parse_ipv4("10.47.255"));
  EXPECT_FALSE(parse_ipv4("10.47.255.256"));
  EXPECT_FALSE(parse_ipv4(" 10.0.0.1"));
  EXPECT_FALSE(parse_ipv4("10.0.0.1; rm"));
  EXPECT_FALSE(parse_ipv4(""));
}

TEST(Ipv4, PrefixesContainAndNormalise) {
  auto p = parse_ipv4_prefix("10.32.0.0/12");
  ASSERT_TRUE(p);
  EXPECT_TRUE(p->contains(*parse_ipv4("10.47.255.254")));
  EXPECT_FALSE(p->contains(*parse_ipv4("10.48.0.1")));
  EXPECT_EQ(parse_ipv4_prefix("10.47.1.2/12")->network().str(), "10.32.0.0/12");
  EXPECT_EQ(parse_ipv4_prefix("1.2.3.4")->str(), "1.2.3.4/32");
  EXPECT_TRUE(parse_ipv4_prefix("0.0.0.0/0")->contains(*parse_ipv4("8.8.8.8")));
  EXPECT_FALSE(parse_ipv4_prefix("1.2.3.4/33"));
  EXPECT_FALSE(parse_ipv4_prefix("1.2.3.4/"));
  EXPECT_FALSE(parse_ipv4_prefix("1.2.3.4/x"));
}

}  // namespace
}  // namespace csim::agent
