// The topology of docs/contracts.md, wired by hand (no agent): a request from the
// external client reaches an endpoint through gateway -> vrouter (FIP DNAT), and that
// endpoint reaches a pod on the other node through a clusterIP DNAT.
#include "agent/dataplane.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <nlohmann/json.hpp>

#include "agent/http_client.h"
#include "agent/names.h"
#include "agent/process.h"
#include "agent/test_util.h"

namespace csim::agent {
namespace {

using namespace std::chrono_literals;

std::unique_ptr<ChildProcess> start_echo(const std::string& netns, const std::string& pod,
                                         int port) {
  int p[2];
  EXPECT_EQ(pipe2(p, O_CLOEXEC), 0);
  Command cmd{{"/proc/self/exe", "echo-server", "--pod", pod, "--namespace", "default", "--node",
               "n", "--port", std::to_string(port)},
              netns};
  auto child = start_process(cmd, {-1, p[1], 2});
  close(p[1]);
  EXPECT_TRUE(child.is_ok()) << child.status().message();
  char c;
  std::string line;
  struct pollfd pf = {p[0], POLLIN, 0};
  while (poll(&pf, 1, 5000) == 1 && read(p[0], &c, 1) == 1 && c != '\n') line += c;
  close(p[0]);
  EXPECT_EQ(line.rfind("listening on", 0), 0u);
  return child.is_ok() ? std::move(*child) : nullptr;
}

Ipv4Prefix P(const char* s) { return *parse_ipv4_prefix(s); }
Ipv4 I(const char* s) { return *parse_ipv4(s); }

TEST(Dataplane, FabricNodesEndpointsRoutesAndNat) {
  Dataplane dp;
  CSIM_ASSERT_OK(dp.create_fabric());
  CSIM_ASSERT_OK(dp.create_fabric());  // idempotent
  auto n1 = dp.add_node("node-1");
  auto n2 = dp.add_node("node-2");
  CSIM_ASSERT_OK(n1);
  CSIM_ASSERT_OK(n2);
  EXPECT_EQ(n1->str(), "169.254.1.1");
  EXPECT_EQ(n2->str(), "169.254.1.2");
  EXPECT_EQ(dp.add_node("node-1")->str(), "169.254.1.1") << "existing node keeps its address";
  EXPECT_EQ(dp.node_underlay_ip("node-2")->str(), "169.254.1.2");
  EXPECT_FALSE(dp.add_node("bad/name").is_ok());

  const std::string vmi_pod = "11111111-2222-3333-4444-555555555555";
  const std::string vmi_lb = "aaaaaaaa-2222-3333-4444-555555555555";
  auto start = std::chrono::steady_clock::now();
  auto pod = dp.add_endpoint({"node-2", "csim-pod-default.qa-1", "eth0", pod_tap_name(vmi_pod), "",
                              P("10.47.255.251/32"), I("10.47.255.254")});
  auto took = std::chrono::steady_clock::now() - start;
  CSIM_ASSERT_OK(pod);
  std::cerr << "pod endpoint created in "
            << std::chrono::duration_cast<std::chrono::microseconds>(took).count() << " us\n";
  auto lb = dp.add_endpoint({"node-1", "csim-t-lb", instance_inside_name(vmi_lb),
                             instance_vrouter_name(vmi_lb), "02:aa:bb:cc:dd:ee",
                             P("10.47.255.248/32"), I("10.47.255.254")});
  CSIM_ASSERT_OK(lb);

  for (const char* node : {"node-1", "node-2"}) {
    CSIM_ASSERT_OK(dp.sync_vrouter_local_addresses(node, {I("10.47.255.254")}));
  }
  CSIM_ASSERT_OK(dp.sync_vrouter_routes(
      "node-1", {{P("10.47.255.248/32"), std::nullopt, instance_vrouter_name(vmi_lb)},
                 {P("10.47.255.251/32"), I("169.254.1.2"), "vhost0"}}));
  CSIM_ASSERT_OK(dp.sync_vrouter_routes(
      "node-2", {{P("10.47.255.251/32"), std::nullopt, pod_tap_name(vmi_pod)},
                 {P("10.47.255.248/32"), I("169.254.1.1"), "vhost0"}}));
  CSIM_ASSERT_OK(dp.set_vrouter_nat("node-1", R"(table ip csim
delete table ip csim
table ip csim {
  chain prerouting {
    type nat hook prerouting priority dstnat; policy accept;
    ip daddr 10.84.59.252 dnat ip to 10.47.255.248
    ip daddr 10.96.0.10 tcp dport 80 dnat ip to numgen inc mod 1 map { 0 : 10.47.255.251 . 8080 }
  }
}
)"));
  CSIM_ASSERT_OK(dp.sync_gateway_routes({{P("10.84.59.252/32"), I("169.254.1.1"), "fabric"}}));

  auto pod_server = start_echo("csim-pod-default.qa-1", "qa-1", 8080);
  auto lb_server = start_echo("csim-t-lb", "lb-stand-in", 80);
  ASSERT_TRUE(pod_server && lb_server);

  // external client -> gateway -> node-1 vrouter (FIP DNAT) -> endpoint
  auto r = http_request_in_netns(kExternalNetns, "10.84.59.252", 80, "GET", "foo", "/x", 3s);
  CSIM_ASSERT_OK(r);
  auto j = nlohmann::json::parse(r->body);
  EXPECT_EQ(j["pod"], "lb-stand-in");
  EXPECT_EQ(j["ip"], "10.47.255.248");
  EXPECT_EQ(j["client"], "198.51.100.2");

  // endpoint -> its vrouter (clusterIP DNAT) -> fabric -> node-2 vrouter -> pod
  auto c = http_request_in_netns("csim-t-lb", "10.96.0.10", 80, "GET", "svc", "/", 3s);
  CSIM_ASSERT_OK(c);
  auto k = nlohmann::json::parse(c->body);
  EXPECT_EQ(k["pod"], "qa-1");
  EXPECT_EQ(k["ip"], "10.47.255.251");
  EXPECT_EQ(k["port"], 8080);
  EXPECT_EQ(k["client"], "10.47.255.248");

  // Withdraw the gateway route: the FIP is unreachable again (level-based sync).
  CSIM_ASSERT_OK(dp.sync_gateway_routes({}));
  auto gone = http_request_in_netns(kExternalNetns, "10.84.59.252", 80, "GET", "foo", "/x", 300ms);
  EXPECT_FALSE(gone.is_ok());

  auto info = dp.introspect();
  EXPECT_EQ(info["nodes"]["node-1"]["underlay_ip"], "169.254.1.1");
  EXPECT_EQ(info["nodes"]["node-2"]["routes"].size(), 2u);

  pod_server->stop(2s);
  lb_server->stop(2s);
  CSIM_ASSERT_OK(dp.remove_endpoint("node-2", "csim-pod-default.qa-1"));
  EXPECT_EQ(dp.introspect()["nodes"]["node-2"]["routes"].size(), 1u)
      << "the route through the tap went with it";
  CSIM_ASSERT_OK(dp.destroy());
  auto left = list_netns();
  EXPECT_TRUE(std::none_of(left.begin(), left.end(), [](const std::string& n) {
    return n.rfind("csim-", 0) == 0;
  })) << "destroy() leaves no csim- namespace";
}

TEST(Dataplane, RouteSyncReportsBadRoutesAndKeepsGoodOnes) {
  Dataplane dp;
  CSIM_ASSERT_OK(dp.create_fabric());
  CSIM_ASSERT_OK(dp.add_node("node-9"));
  auto st = dp.sync_vrouter_routes("node-9", {{P("10.1.0.1/32"), std::nullopt, "nosuchdev"},
                                              {P("10.1.0.2/32"), I("169.254.0.1"), "vhost0"}});
  ASSERT_FALSE(st.is_ok());
  EXPECT_NE(st.message().find("10.1.0.1/32"), std::string::npos) << st.message();
  EXPECT_NE(st.message().find("nosuchdev"), std::string::npos) << st.message();
  auto routes = dp.vrouter_ns("node-9")->rtnl().list_routes();
  CSIM_ASSERT_OK(routes);
  EXPECT_TRUE(std::any_of(routes->begin(), routes->end(),
                          [](const RouteSpec& r) { return r.dst.str() == "10.1.0.2/32"; }));
  EXPECT_EQ(dp.add_endpoint(
                  {"node-404", "csim-t-x", "eth0", "tapx", "", P("10.0.0.1/32"), I("10.0.0.254")})
                .status()
                .code(),
            core::Code::kNotFound);
  auto bad_nat = dp.set_vrouter_nat("node-9", "table ip csim { bogus }");
  EXPECT_FALSE(bad_nat.is_ok());
}

}  // namespace
}  // namespace csim::agent
