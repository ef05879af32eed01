#include "agent/netns.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>

#include "agent/process.h"
#include "agent/test_util.h"

namespace csim::agent {
namespace {

using namespace std::chrono_literals;

// Deletes the namespaces a test made, also when it fails half-way.
struct Cleanup {
  std::vector<std::string> names;
  ~Cleanup() {
    for (const auto& n : names) delete_netns(n);
  }
};

sockaddr_in addr(const char* ip, int port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  inet_pton(AF_INET, ip, &a.sin_addr);
  return a;
}

TEST(Netns, CreateListDelete) {
  Cleanup c{{"csim-t-a"}};
  auto ns = create_netns("csim-t-a");
  ASSERT_TRUE(ns.is_ok()) << ns.status().message();
  auto names = list_netns();
  EXPECT_NE(std::find(names.begin(), names.end(), "csim-t-a"), names.end());
  auto again = create_netns("csim-t-a", {}, /*replace=*/false);
  EXPECT_EQ(again.status().code(), core::Code::kAlreadyExists);
  auto opened = open_netns("csim-t-a");
  ASSERT_TRUE(opened.is_ok()) << opened.status().message();
  EXPECT_TRUE(delete_netns("csim-t-a").is_ok());
  names = list_netns();
  EXPECT_EQ(std::find(names.begin(), names.end(), "csim-t-a"), names.end());
  EXPECT_EQ(open_netns("csim-t-a").status().code(), core::Code::kNotFound);
  EXPECT_TRUE(delete_netns("csim-t-a").is_ok()) << "deleting twice is fine";
}

TEST(Netns, SweepRemovesOnlyPrefixedNames) {
  Cleanup c{{"csim-t-sweep1", "vrouter-t-sweep2", "other-t-sweep3"}};
  for (const auto& n : c.names) CSIM_ASSERT_OK(create_netns(n));
  auto removed = sweep_netns({"csim-t-sweep", "vrouter-t-sweep"});
  CSIM_ASSERT_OK(removed);
  EXPECT_EQ(*removed, (std::vector<std::string>{"csim-t-sweep1", "vrouter-t-sweep2"}));
  auto left = list_netns();
  EXPECT_NE(std::find(left.begin(), left.end(), "other-t-sweep3"), left.end());
}

TEST(Netns, RejectsBadNames) {
  EXPECT_EQ(create_netns("../x").status().code(), core::Code::kInvalid);
  EXPECT_EQ(create_netns("").status().code(), core::Code::kInvalid);
  EXPECT_EQ(create_netns("..").status().code(), core::Code::kInvalid);
}

TEST(Netns, VethPairCarriesTcpBetweenTwoNamespaces) {
  Cleanup c{{"csim-t-left", "csim-t-right"}};
  auto left = create_netns("csim-t-left");
  auto right = create_netns("csim-t-right", {{"net/ipv4/ip_forward", "1"}});
  ASSERT_TRUE(left.is_ok() && right.is_ok());
  auto& l = **left;
  auto& r = **right;
  CSIM_ASSERT_OK(
      l.rtnl().add_veth({"eth0", -1, "02:00:00:00:00:01"}, {"peer0", r.fd(), "", true, &r.rtnl()}));
  CSIM_ASSERT_OK(l.rtnl().add_address("eth0", *parse_ipv4_prefix("10.9.0.1/24")));
  CSIM_ASSERT_OK(r.rtnl().add_address("peer0", *parse_ipv4_prefix("10.9.0.2/24")));
  ASSERT_TRUE(r.rtnl().link_index("peer0").is_ok()) << "the peer is in the right namespace";
  EXPECT_EQ(l.rtnl().link_index("peer0").status().code(), core::Code::kNotFound);

  auto server = socket_in_netns(r.fd(), r.name(), AF_INET, SOCK_STREAM);
  ASSERT_TRUE(server.is_ok());
  auto sa = addr("10.9.0.2", 7000);
  int one = 1;
  setsockopt(*server, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  ASSERT_EQ(bind(*server, reinterpret_cast<sockaddr*>(&sa), sizeof sa), 0) << std::strerror(errno);
  ASSERT_EQ(listen(*server, 4), 0);

  auto client = socket_in_netns(l.fd(), l.name(), AF_INET, SOCK_STREAM);
  ASSERT_TRUE(client.is_ok());
  ASSERT_EQ(connect(*client, reinterpret_cast<sockaddr*>(&sa), sizeof sa), 0)
      << std::strerror(errno);
  int conn = accept(*server, nullptr, nullptr);
  ASSERT_GE(conn, 0);
  ASSERT_EQ(write(*client, "ping", 4), 4);
  char buf[8] = {0};
  struct pollfd pf = {conn, POLLIN, 0};
  ASSERT_EQ(poll(&pf, 1, 2000), 1);
  ASSERT_EQ(read(conn, buf, sizeof buf), 4);
  EXPECT_STREQ(buf, "ping");
  // The server saw the client's address from the other namespace.
  sockaddr_in peer{};
  socklen_t len = sizeof peer;
  getpeername(conn, reinterpret_cast<sockaddr*>(&peer), &len);
  char ip[INET_ADDRSTRLEN];
  inet_ntop(AF_INET, &peer.sin_addr, ip, sizeof ip);
  EXPECT_STREQ(ip, "10.9.0.1");
  close(conn);
  close(*client);
  close(*server);
}

TEST(Netns, RoutesAreReplacedListedAndDeleted) {
  Cleanup c{{"csim-t-routes"}};
  auto ns = create_netns("csim-t-routes");
  ASSERT_TRUE(ns.is_ok());
  auto& rt = (*ns)->rtnl();
  CSIM_ASSERT_OK(rt.add_veth({"a0"}, {"b0"}));
  RouteSpec direct{*parse_ipv4_prefix("10.1.2.3/32"), std::nullopt, "a0"};
  CSIM_ASSERT_OK(rt.replace_route(direct));
  RouteSpec via{*parse_ipv4_prefix("10.5.0.0/16"), parse_ipv4("10.1.2.3"), "a0", true};
  ASSERT_TRUE(rt.replace_route(via).is_ok()) << "onlink gateway";
  RouteSpec moved{*parse_ipv4_prefix("10.1.2.3/32"), std::nullopt, "b0"};
  CSIM_ASSERT_OK(rt.replace_route(moved));
  auto routes = rt.list_routes();
  ASSERT_TRUE(routes.is_ok());
  bool saw_moved = false, saw_via = false;
  for (const auto& r : *routes) {
    if (r.dst.str() == "10.1.2.3/32") saw_moved = r.dev == "b0";
    if (r.dst.str() == "10.5.0.0/16")
      saw_via = r.gateway && r.gateway->str() == "10.1.2.3" && r.onlink && r.dev == "a0";
  }
  EXPECT_TRUE(saw_moved);
  EXPECT_TRUE(saw_via);
  CSIM_ASSERT_OK(rt.delete_route(*parse_ipv4_prefix("10.1.2.3/32")));
  ASSERT_TRUE(rt.delete_route(*parse_ipv4_prefix("10.1.2.3/32")).is_ok()) << "absent is fine";
  routes = rt.list_routes();
  for (const auto& r : *routes) EXPECT_NE(r.dst.str(), "10.1.2.3/32");

  auto bad = rt.replace_route({*parse_ipv4_prefix("10.7.0.0/16"), std::nullopt, "nosuchdev"});
  ASSERT_FALSE(bad.is_ok());
  EXPECT_NE(bad.message().find("nosuchdev"), std::string::npos) << bad.message();
  EXPECT_NE(bad.message().find("csim-t-routes"), std::string::npos) << bad.message();
}

TEST(Netns, SysctlsAndInetConfAreWrittenInsideTheNamespace) {
  Cleanup c{{"csim-t-sysctl"}};
  auto ns = create_netns("csim-t-sysctl", {{"net/ipv4/ip_forward", "1"}});
  ASSERT_TRUE(ns.is_ok()) << ns.status().message();
  CSIM_ASSERT_OK((*ns)->rtnl().add_veth({"v0"}, {"v1"}));
  CSIM_ASSERT_OK(
      (*ns)->rtnl().set_inet_conf("v0", {{InetConf::kProxyArp, 1}, {InetConf::kRpFilter, 0}}));
  auto fwd =
      run_command({{"cat", "/proc/sys/net/ipv4/ip_forward", "/proc/sys/net/ipv4/conf/v0/proxy_arp"},
                   "csim-t-sysctl"},
                  "", 5s);
  ASSERT_TRUE(fwd.is_ok()) << fwd.status().message();
  EXPECT_EQ(fwd->out, "1\n1\n");
  // Our own namespace is untouched.
  auto here = run_command({{"cat", "/proc/sys/net/ipv4/ip_forward"}}, "", 5s);
  ASSERT_TRUE(here.is_ok());
  EXPECT_EQ(here->out, "0\n");
}

TEST(Netns, BridgeWithPorts) {
  Cleanup c{{"csim-t-br"}};
  auto ns = create_netns("csim-t-br");
  ASSERT_TRUE(ns.is_ok());
  auto& rt = (*ns)->rtnl();
  CSIM_ASSERT_OK(rt.add_bridge("fabric"));
  CSIM_ASSERT_OK(rt.add_veth({"p0"}, {"q0"}));
  CSIM_ASSERT_OK(rt.set_master("p0", "fabric"));
  auto out = run_command({{"cat", "/sys/class/net/p0/master/uevent"}, "csim-t-br"}, "", 5s);
  // sysfs shows the namespace of whoever mounted it; check through netlink instead.
  EXPECT_TRUE(rt.link_index("fabric").is_ok());
  auto bad = rt.set_master("p0", "nosuchbridge");
  EXPECT_EQ(bad.code(), core::Code::kNotFound);
  EXPECT_TRUE(rt.delete_link("p0").is_ok());
  EXPECT_EQ(rt.link_index("q0").status().code(), core::Code::kNotFound)
      << "a veth's peer goes with it";
  EXPECT_TRUE(rt.delete_link("p0").is_ok()) << "absent is fine";
}

TEST(Netns, ProcessStartedInNamespaceSeesOnlyItsDevices) {
  Cleanup c{{"csim-t-proc"}};
  auto ns = create_netns("csim-t-proc");
  ASSERT_TRUE(ns.is_ok());
  CSIM_ASSERT_OK((*ns)->rtnl().add_veth({"inside0"}, {"inside1"}));
  auto r = run_command({{"cat", "/proc/net/dev"}, "csim-t-proc"}, "", 5s);
  ASSERT_TRUE(r.is_ok()) << r.status().message();
  EXPECT_NE(r->out.find("inside0"), std::string::npos) << r->out;
}

}  // namespace
}  // namespace csim::agent
