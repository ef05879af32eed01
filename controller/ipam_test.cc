#include "controller/ipam.h"

#include <gtest/gtest.h>

namespace csim::controller {
namespace {

Ipv4 ip(const char* s) { return *parse_ipv4(s); }
Ipv4Prefix net(const char* s) { return *parse_prefix(s); }

TEST(IpamTest, ParsesAndFormatsAddresses) {
  auto a = parse_ipv4("10.47.255.254");
  ASSERT_TRUE(a.is_ok()) << a.status().to_string();
  EXPECT_EQ(*a, (10u << 24) | (47u << 16) | (255u << 8) | 254u);
  EXPECT_EQ(format_ipv4(*a), "10.47.255.254");
  EXPECT_EQ(format_ipv4(0), "0.0.0.0");
  EXPECT_EQ(format_ipv4(0xffffffffu), "255.255.255.255");
  for (const char* bad : {"", "10.0.0", "10.0.0.0.1", "10.0.0.256", "10.0.0.-1", "010.0.0.1",
                          "10..0.1", "10.0.0.1 ", "a.b.c.d", "10.0.0.1/32", "1234.0.0.1"}) {
    auto r = parse_ipv4(bad);
    EXPECT_FALSE(r.is_ok()) << bad;
    if (!r.is_ok()) {
      EXPECT_EQ(r.status().code(), core::Code::kInvalid);
      EXPECT_NE(r.status().message().find(std::string("\"") + bad + "\""), std::string::npos)
          << r.status().message();
    }
  }
}

TEST(IpamTest, ParsesPrefixesAndRejectsHostBits) {
  auto p = parse_prefix("10.32.0.0/12");
  ASSERT_TRUE(p.is_ok()) << p.status().to_string();
  EXPECT_EQ(p->network, ip("10.32.0.0"));
  EXPECT_EQ(p->length, 12);
  EXPECT_EQ(p->broadcast(), ip("10.47.255.255"));
  EXPECT_EQ(p->to_string(), "10.32.0.0/12");
  EXPECT_EQ(net("0.0.0.0/0").broadcast(), 0xffffffffu);
  EXPECT_EQ(net("10.1.2.3/32").broadcast(), ip("10.1.2.3"));

  auto host = parse_prefix("10.32.0.1/12");
  ASSERT_FALSE(host.is_ok());
  EXPECT_EQ(host.status().message(), "10.32.0.1/12: host bits are set, did you mean 10.32.0.0/12?");
  for (const char* bad : {"10.32.0.0", "10.32.0.0/33", "10.32.0.0/", "10.32.0.0/-1", "10.32.0.0/1a",
                          "10.32.0/12", "10.32.0.0/012"})
    EXPECT_FALSE(parse_prefix(bad).is_ok()) << bad;
  EXPECT_FALSE(make_prefix(0, 40).is_ok());
}

TEST(IpamTest, Contains) {
  Ipv4Prefix p = net("10.32.0.0/12");
  EXPECT_TRUE(p.contains(ip("10.32.0.0")));
  EXPECT_TRUE(p.contains(ip("10.47.255.255")));
  EXPECT_FALSE(p.contains(ip("10.48.0.0")));
  EXPECT_FALSE(p.contains(ip("10.31.255.255")));
  EXPECT_TRUE(net("0.0.0.0/0").contains(ip("198.51.100.2")));
  EXPECT_TRUE(net("10.1.2.3/32").contains(ip("10.1.2.3")));
  EXPECT_FALSE(net("10.1.2.3/32").contains(ip("10.1.2.4")));
}

TEST(IpamTest, ContrailDefaultsAreAtTheTopOfTheSubnet) {
  EXPECT_EQ(format_ipv4(default_gateway(net("10.32.0.0/12"))), "10.47.255.254");
  EXPECT_EQ(format_ipv4(default_dns_server(net("10.32.0.0/12"))), "10.47.255.253");
  EXPECT_EQ(format_ipv4(default_gateway(net("10.84.59.0/24"))), "10.84.59.254");
  EXPECT_EQ(format_ipv4(default_gateway(net("10.96.0.0/12"))), "10.111.255.254");
}

TEST(IpamTest, AllocatesFromTheTopDownSkippingTakenAddresses) {
  Ipv4Prefix p = net("10.32.0.0/12");
  std::set<Ipv4> taken = {default_gateway(p), default_dns_server(p)};
  std::vector<std::string> got;
  for (int i = 0; i < 4; ++i) {
    auto a = allocate_top_down(p, taken);
    ASSERT_TRUE(a.has_value());
    got.push_back(format_ipv4(*a));
    taken.insert(*a);
  }
  EXPECT_EQ(got, (std::vector<std::string>{"10.47.255.252", "10.47.255.251", "10.47.255.250",
                                           "10.47.255.249"}));
  // A freed address in the middle is the next one handed out; then allocation goes on below.
  taken.erase(ip("10.47.255.251"));
  EXPECT_EQ(format_ipv4(*allocate_top_down(p, taken)), "10.47.255.251");
  taken.insert(ip("10.47.255.251"));
  EXPECT_EQ(format_ipv4(*allocate_top_down(p, taken)), "10.47.255.248");
  // Addresses outside the subnet do not matter.
  taken.insert(ip("10.48.0.5"));
  taken.insert(ip("10.1.0.0"));
  EXPECT_EQ(format_ipv4(*allocate_top_down(p, taken)), "10.47.255.248");
}

TEST(IpamTest, WithoutReservationsTheTopHostAddressComesFirst) {
  EXPECT_EQ(format_ipv4(*allocate_top_down(net("10.84.59.0/24"), {})), "10.84.59.254");
}

TEST(IpamTest, FullAndTinySubnetsHaveNoAddress) {
  Ipv4Prefix p = net("192.0.2.0/29");  // hosts .1 .. .6
  std::set<Ipv4> taken;
  std::vector<std::string> got;
  while (auto a = allocate_top_down(p, taken)) {
    got.push_back(format_ipv4(*a));
    taken.insert(*a);
    ASSERT_LT(got.size(), 10u);
  }
  EXPECT_EQ(got, (std::vector<std::string>{"192.0.2.6", "192.0.2.5", "192.0.2.4", "192.0.2.3",
                                           "192.0.2.2", "192.0.2.1"}));
  EXPECT_FALSE(allocate_top_down(net("192.0.2.0/31"), {}).has_value());
  EXPECT_FALSE(allocate_top_down(net("192.0.2.1/32"), {}).has_value());
  EXPECT_EQ(format_ipv4(*allocate_top_down(net("192.0.2.0/30"), {})), "192.0.2.2");
}

TEST(AddressPoolTest, HandsOutTheSameAddressesAsAllocateTopDown) {
  Ipv4Prefix p = net("10.32.0.0/12");
  AddressPool pool(p);
  EXPECT_EQ(pool.free_count(), (1u << 20) - 2);
  ASSERT_TRUE(pool.take(default_gateway(p)));
  ASSERT_TRUE(pool.take(default_dns_server(p)));
  EXPECT_FALSE(pool.take(default_gateway(p))) << "already taken";
  EXPECT_FALSE(pool.take(p.network)) << "not a host address";
  EXPECT_FALSE(pool.take(p.broadcast()));
  EXPECT_FALSE(pool.take(ip("10.48.0.1")));
  std::set<Ipv4> taken = {default_gateway(p), default_dns_server(p)};
  // Take, release in the middle and at the edges, and compare with the reference each step.
  std::vector<std::pair<char, const char*>> ops = {{'a', ""},
                                                   {'a', ""},
                                                   {'a', ""},
                                                   {'a', ""},
                                                   {'r', "10.47.255.251"},
                                                   {'a', ""},
                                                   {'a', ""},
                                                   {'t', "10.32.0.1"},
                                                   {'t', "10.40.0.0"},
                                                   {'r', "10.47.255.254"},
                                                   {'a', ""},
                                                   {'a', ""},
                                                   {'r', "10.47.255.250"},
                                                   {'r', "10.47.255.249"},
                                                   {'r', "10.47.255.251"},
                                                   {'a', ""},
                                                   {'a', ""},
                                                   {'r', "10.40.0.0"},
                                                   {'r', "10.40.0.0"},
                                                   {'a', ""}};
  for (const auto& [op, arg] : ops) {
    if (op == 'a') {
      auto want = allocate_top_down(p, taken);
      auto got = pool.highest_free();
      ASSERT_EQ(got, want);
      ASSERT_TRUE(pool.take(*got));
      taken.insert(*got);
    } else if (op == 't') {
      ASSERT_TRUE(pool.take(ip(arg)));
      taken.insert(ip(arg));
    } else {
      pool.release(ip(arg));
      taken.erase(ip(arg));
    }
    for (Ipv4 a : taken) ASSERT_FALSE(pool.is_free(a)) << format_ipv4(a);
    ASSERT_EQ(pool.free_count(), (1u << 20) - 2 - taken.size());
  }
  EXPECT_TRUE(pool.is_free(ip("10.40.0.0")));
  EXPECT_FALSE(pool.is_free(ip("10.32.0.1")));
}

TEST(AddressPoolTest, FullTinyAndDenseSubnets) {
  AddressPool small(net("192.0.2.0/30"));  // hosts .1 .2
  EXPECT_EQ(format_ipv4(*small.highest_free()), "192.0.2.2");
  EXPECT_TRUE(small.take(ip("192.0.2.2")));
  EXPECT_TRUE(small.take(ip("192.0.2.1")));
  EXPECT_FALSE(small.highest_free().has_value());
  small.release(ip("192.0.2.3"));  // broadcast: ignored
  EXPECT_FALSE(small.highest_free().has_value());
  small.release(ip("192.0.2.1"));
  EXPECT_EQ(format_ipv4(*small.highest_free()), "192.0.2.1");
  EXPECT_FALSE(AddressPool(net("192.0.2.0/31")).highest_free().has_value());
  // 100k dense allocations stay cheap (one free range).
  AddressPool big(net("10.32.0.0/12"));
  for (int i = 0; i < 100000; ++i) ASSERT_TRUE(big.take(*big.highest_free()));
  EXPECT_EQ(format_ipv4(*big.highest_free()), "10.46.121.94");
}

}  // namespace
}  // namespace csim::controller
