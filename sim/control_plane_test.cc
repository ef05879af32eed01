// The control plane end to end on a deterministic bus: the seed's simple-fanout from YAML to
// the views the control-node pushes to the agents. The test plays the agents' part (Node
// objects, agent.status, pod readiness as a kubelet would report it); no namespaces needed.
#include "sim/control_plane.h"

#include <gtest/gtest.h>

#include "controller/config_api.h"
#include "controller/control_node.h"
#include "kube/apply.h"
#include "kube/object_store.h"

namespace csim::sim {
namespace {

using nlohmann::json;

class ControlPlaneTest : public ::testing::Test {
 protected:
  void SetUp() override {
    bus_.subscribe("test-gateway", "bgp.gateway", [&](const core::Envelope& e) { gateway_ = e.body; });
    auto cp = ControlPlane::start(bus_, clock_, {});
    ASSERT_TRUE(cp.is_ok()) << cp.status().to_string();
    cp_ = std::move(*cp);
    for (const char* node : {"node-1", "node-2"}) {
      json n = {{"apiVersion", "v1"},
                {"kind", "Node"},
                {"metadata", {{"name", node}}},
                {"status", {{"conditions", {{{"type", "Ready"}, {"status", "True"}}}}}}};
      ASSERT_TRUE(cp_->store().create(n).is_ok());
      bus_.publish(std::string("agent-") + node, "agent.status",
                   {{"node", node}, {"state", "up"}, {"underlay_ip", node == std::string("node-1") ? "169.254.1.1" : "169.254.1.2"}});
    }
    bus_.run_until_idle();
  }

  // What a kubelet does once the pod's interface is up: Running, Ready, with its IP.
  void make_pods_ready() {
    for (const auto& pod : cp_->store().list("Pod")) {
      const std::string uid = pod["metadata"]["uid"];
      std::string ip;
      for (const auto& vmi : cp_->config().back_refs(uid, "virtual-machine-interface"))
        for (const auto& iip : cp_->config().back_refs(vmi.uuid, "instance-ip"))
          ip = iip.props.value("instance_ip_address", "");
      ASSERT_FALSE(ip.empty()) << "no instance-ip for pod " << pod["metadata"]["name"];
      json status = {{"phase", "Running"},
                     {"podIP", ip},
                     {"conditions", {{{"type", "Ready"}, {"status", "True"}}}}};
      ASSERT_TRUE(cp_->store()
                      .update_status("Pod", pod["metadata"]["namespace"], pod["metadata"]["name"], status)
                      .is_ok());
    }
    bus_.run_until_idle();
  }

  core::SimulatedClock clock_;
  core::Bus bus_{clock_, core::Bus::Mode::kDeterministic};
  std::unique_ptr<ControlPlane> cp_;
  json gateway_;
};

TEST_F(ControlPlaneTest, SimpleFanoutReachesBothAgentsAsAnActiveStandbyPair) {
  auto applied = kube::apply_file(cp_->store(), "testdata/simple-fanout.yaml");
  ASSERT_TRUE(applied.is_ok()) << applied.status().to_string();
  bus_.run_until_idle();
  make_pods_ready();

  auto ingress = cp_->store().get("Ingress", "default", "simple-fanout");
  ASSERT_TRUE(ingress);
  const json lb_status = (*ingress)["status"]["loadBalancer"]["ingress"];
  ASSERT_EQ(lb_status.size(), 2u) << ingress->dump();
  const std::string fip = lb_status[0]["ip"], vip = lb_status[1]["ip"];
  EXPECT_EQ(fip, "10.84.59.252");
  EXPECT_EQ(vip.rfind("10.47.255.", 0), 0u) << vip;

  // svc-monitor: one service-instance whose haproxy text routes the two paths to the clusterIPs.
  const std::string uid = (*ingress)["metadata"]["uid"];
  auto lb = cp_->config().read(uid);
  ASSERT_TRUE(lb);
  auto sis = lb->ref_uuids("service-instance");
  ASSERT_EQ(sis.size(), 1u);
  auto si = cp_->config().read(sis[0]);
  ASSERT_TRUE(si);
  std::string text;
  for (const auto& kv : si->props["service_instance_bindings"]["key_value_pair"])
    if (kv["key"] == "haproxy_config") text = kv["value"];
  EXPECT_NE(text.find("path /qa.html\n"), std::string::npos) << text;
  EXPECT_NE(text.find("path /dev.html\n"), std::string::npos) << text;
  EXPECT_NE(text.find("bind " + vip + ":80 "), std::string::npos) << text;
  EXPECT_LT(text.find("/qa.html"), text.find("/dev.html")) << "rules in spec order";
  for (const char* svc : {"qa-webserver", "dev-webserver"}) {
    auto s = cp_->store().get("Service", "default", svc);
    ASSERT_TRUE(s);
    const std::string cluster_ip = (*s)["spec"]["clusterIP"];
    EXPECT_NE(text.find(" " + cluster_ip + ":80 weight 1"), std::string::npos) << svc << "\n" << text;
  }

  // control-node: each agent got one haproxy VM; the VIP is local on both (each node routes
  // it to its own instance only if it is the best path) and the active node wins everywhere.
  json v1 = cp_->control_node().view_of("node-1"), v2 = cp_->control_node().view_of("node-2");
  auto vip_route = [&](const json& view) {
    for (const auto& r : view["routes"])
      if (r["prefix"] == vip + "/32") return r;
    return json();
  };
  json r1 = vip_route(v1), r2 = vip_route(v2);
  ASSERT_FALSE(r1.is_null()) << v1.dump();
  ASSERT_FALSE(r2.is_null()) << v2.dump();
  EXPECT_EQ(r1["local_pref"], 200);
  EXPECT_EQ(r2["local_pref"], 200);
  const bool node1_active = r1["nexthop"]["type"] == "local";
  EXPECT_EQ(r2["nexthop"]["type"], node1_active ? "remote" : "local");
  const std::string active = node1_active ? "node-1" : "node-2";

  // Both agents NAT the external IP to the VIP; the gateway sends it to the active node.
  for (const json* v : {&v1, &v2}) {
    bool nat = false;
    for (const auto& f : (*v)["floating_ips"]) nat |= (f["fip"] == fip && f["fixed_ip"] == vip);
    EXPECT_TRUE(nat) << v->dump();
  }
  bool routed = false;
  for (const auto& r : gateway_["routes"]) routed |= (r["prefix"] == fip + "/32" && r["node"] == active);
  EXPECT_TRUE(routed) << gateway_.dump();

  // clusterIPs are spread over the ready pods with port mapping 80 -> 8080.
  ASSERT_EQ(v1["services"].size(), 2u) << v1["services"].dump();
  for (const auto& s : v1["services"]) {
    EXPECT_EQ(s["port"], 80);
    ASSERT_EQ(s["backends"].size(), 2u);
    for (const auto& b : s["backends"]) EXPECT_EQ(b["port"], 8080);
  }
}

TEST_F(ControlPlaneTest, DeletingTheFileRemovesEveryConfigObjectItMade) {
  const size_t before = cp_->config().list("loadbalancer").size();
  ASSERT_TRUE(kube::apply_file(cp_->store(), "testdata/simple-fanout.yaml").is_ok());
  bus_.run_until_idle();
  make_pods_ready();
  EXPECT_EQ(cp_->config().list("loadbalancer").size(), before + 3);  // ingress + 2 services
  EXPECT_EQ(cp_->config().list("service-instance").size(), 1u);
  ASSERT_TRUE(kube::delete_file(cp_->store(), "testdata/simple-fanout.yaml").is_ok());
  bus_.run_until_idle();
  EXPECT_EQ(cp_->config().list("loadbalancer").size(), before);
  EXPECT_TRUE(cp_->config().list("service-instance").empty());
  EXPECT_TRUE(cp_->config().list("floating-ip").empty());
  for (const char* type : {"loadbalancer-listener", "loadbalancer-pool", "loadbalancer-member"})
    EXPECT_TRUE(cp_->config().list(type).empty()) << type;
  // Only the two services' ... none: every pod VM is gone, as are the haproxy VMs.
  EXPECT_TRUE(cp_->config().list("virtual-machine").empty());
}

}  // namespace
}  // namespace csim::sim
