#include "controller/control_node.h"

#include <atomic>

#include <gtest/gtest.h>

#include "controller/bootstrap.h"
#include "controller/config_db.h"
#include "controller/test_objects.h"
#include "core/view_assembler.h"

namespace csim::controller {
namespace {

using nlohmann::json;
using testing::CountingApi;
using testing::ref;

json subnet(const std::string& ip, int len) {
  return {{"subnet", {{"ip_prefix", ip}, {"ip_prefix_len", len}}}};
}

// The real config DB on ":memory:", a deterministic bus, and the control-node under test.
// Topology: node-1 and node-2; pod-a on node-1, pod-b on node-2; an haproxy SI with VM-0
// (node-1, local_preference 200) and VM-1 (node-2, 100) sharing the VIP instance-ip, a
// public floating-ip on the VIP, and a clusterIP service over pod-a and pod-b.
class ControlNodeTest : public ::testing::Test {
 protected:
  ControlNodeTest()
      : bus_(clock_, core::Bus::Mode::kDeterministic),
        db_(bus_, clock_, ":memory:", 3),
        api_(db_),
        cn_(bus_, api_) {
    bus_.subscribe("test", "xmpp.", [this](const core::Envelope& e) {
      pushes_.push_back({e.topic, e.body});
      push_traces_.push_back(e.trace_id);
      // Stand in for the agent: add the pushes up (each may carry only what changed).
      core::Status s = assembled_[e.topic.substr(5)].apply(e.body);
      EXPECT_TRUE(s.is_ok()) << s.to_string();
    });
    bus_.subscribe("test", "bgp.gateway", [this](const core::Envelope& e) {
      pushes_.push_back({e.topic, e.body});
      push_traces_.push_back(e.trace_id);
    });
    cn_.start();
  }
  ~ControlNodeTest() override { bus_.run_until_idle(); }

  ConfigObject create(const std::string& type, FqName fq, const std::string& parent_uuid,
                      std::vector<Ref> refs = {}, json props = json::object()) {
    return testing::must_create(db_, type, std::move(fq), parent_uuid, std::move(refs), std::move(props));
  }

  void link(const std::string& type, const std::string& uuid, const std::string& ref_type,
            const std::string& ref_uuid) {
    auto s = db_.ref_update(type, uuid, ref_type, ref_uuid, RefOp::kAdd);
    EXPECT_TRUE(s.is_ok()) << s.to_string();
  }

  // A pod: VM (linked from its node's virtual-router), VMI on the pod network, instance-ip.
  struct Pod {
    ConfigObject vm, vmi, iip;
  };
  Pod pod(const std::string& name, const std::string& node) {
    Pod p;
    p.vm = create("virtual-machine", {name + "-uid"}, "");
    p.vmi = create("virtual-machine-interface", {"default-domain", "k8s-default", name + "__vmi"},
                   project_.uuid,
                   {ref("virtual-machine", p.vm.uuid), ref("virtual-network", pod_vn_.uuid)});
    p.iip = create(
        "instance-ip", {name + "__iip"}, "",
        {ref("virtual-network", pod_vn_.uuid), ref("virtual-machine-interface", p.vmi.uuid)});
    link("virtual-router", vr_[node], "virtual-machine", p.vm.uuid);
    return p;
  }

  void build() {
    ASSERT_TRUE(provision_defaults(db_).is_ok());
    for (const auto& [node, ip] :
         {std::pair{"node-1", "169.254.1.1"}, std::pair{"node-2", "169.254.1.2"}}) {
      auto vr = add_virtual_router(db_, node, ip);
      ASSERT_TRUE(vr.is_ok()) << vr.status().to_string();
      vr_[node] = *vr;
    }
    auto domain = *db_.read_fq("domain", {"default-domain"});
    project_ = create("project", {"default-domain", "k8s-default"}, domain.uuid);
    auto pod_ipam =
        create("network-ipam", {"default-domain", "k8s-default", "k8s-pod-ipam"}, project_.uuid, {},
               {{"ipam_subnets", {{"subnets", json::array({subnet("10.32.0.0", 12)})}}}});
    pod_vn_ = create("virtual-network",
                     {"default-domain", "k8s-default", "k8s-default-pod-network"}, project_.uuid,
                     {ref("network-ipam", pod_ipam.uuid, {{"ipam_subnets", json::array()}})});
    auto svc_ipam =
        create("network-ipam", {"default-domain", "k8s-default", "k8s-service-ipam"}, project_.uuid,
               {}, {{"ipam_subnets", {{"subnets", json::array({subnet("10.96.0.0", 12)})}}}});
    svc_vn_ =
        create("virtual-network", {"default-domain", "k8s-default", "k8s-default-service-network"},
               project_.uuid, {ref("network-ipam", svc_ipam.uuid)});

    a_ = pod("pod-a", "node-1");  // 10.47.255.252
    b_ = pod("pod-b", "node-2");  // 10.47.255.251

    // The ingress loadbalancer: kube-manager's VIP VMI and instance-ip (10.47.255.250)...
    auto lb = create("loadbalancer", {"default-domain", "k8s-default", "ingress"}, project_.uuid);
    vip_vmi_ = create("virtual-machine-interface", {"default-domain", "k8s-default", "ingress-vip"},
                      project_.uuid, {ref("virtual-network", pod_vn_.uuid)});
    vip_iip_ = create(
        "instance-ip", {"ingress-vip-iip"}, "",
        {ref("virtual-network", pod_vn_.uuid), ref("virtual-machine-interface", vip_vmi_.uuid)});
    // ... and the public floating-ip (10.84.59.252) on it.
    auto pool = *db_.read_fq("floating-ip-pool", {"default-domain", "default-project", "__public__",
                                                  "__fip_pool_public__"});
    FqName fip_fq = pool.fq_name;
    fip_fq.push_back("ingress-fip");
    fip_ =
        create("floating-ip", fip_fq, pool.uuid, {ref("virtual-machine-interface", vip_vmi_.uuid)});
    // svc-monitor: template, SI, two VMs with a VMI each sharing the VIP and the FIP.
    auto st = create("service-template", {"default-domain", "haproxy-loadbalancer-template"},
                     domain.uuid);
    si_ = create("service-instance", {"default-domain", "k8s-default", "ingress__si"},
                 project_.uuid, {ref("service-template", st.uuid)},
                 {{"service_instance_properties", {{"ha_mode", "active-standby"}}}});
    for (int i = 0; i < 2; ++i) {
      const std::string name = "default-domain__k8s-default__lb__" + std::to_string(i + 1);
      vm_[i] = create("virtual-machine", {name}, "", {ref("service-instance", si_.uuid)});
      vmi_[i] = create(
          "virtual-machine-interface", {"default-domain", "k8s-default", name + "__right__1"},
          project_.uuid,
          {ref("virtual-machine", vm_[i].uuid), ref("virtual-network", pod_vn_.uuid)},
          {{"virtual_machine_interface_properties",
            {{"service_interface_type", "right"}, {"local_preference", i == 0 ? 200 : 100}}}});
      link("instance-ip", vip_iip_.uuid, "virtual-machine-interface", vmi_[i].uuid);
      link("floating-ip", fip_.uuid, "virtual-machine-interface", vmi_[i].uuid);
      link("virtual-router", vr_[i == 0 ? "node-1" : "node-2"], "virtual-machine", vm_[i].uuid);
    }
    (void)lb;

    // A Service: clusterIP instance-ip 10.96.0.10 and the native LB's floating-ip under it.
    auto svc_vmi = create("virtual-machine-interface", {"default-domain", "k8s-default", "svc-vmi"},
                          project_.uuid, {ref("virtual-network", svc_vn_.uuid)});
    auto cip = create(
        "instance-ip", {"svc-iip"}, "",
        {ref("virtual-network", svc_vn_.uuid), ref("virtual-machine-interface", svc_vmi.uuid)},
        {{"instance_ip_address", "10.96.0.10"}});
    svc_fip_ =
        create("floating-ip", {"svc-iip", "svc-lb"}, cip.uuid,
               {ref("virtual-machine-interface", a_.vmi.uuid),
                ref("virtual-machine-interface", b_.vmi.uuid)},
               {{"floating_ip_port_mappings",
                 {{"port_mappings",
                   json::array({{{"protocol", "TCP"}, {"src_port", 80}, {"dst_port", 8080}}})}}}});
  }

  void agent(const std::string& node, const std::string& state) {
    bus_.publish("agent-" + node, "agent.status",
                 {{"node", node},
                  {"state", state},
                  {"underlay_ip", node == "node-1" ? "169.254.1.1" : "169.254.1.2"},
                  {"summary", node + " " + state}});
  }

  // Pushes since the last call, as (topic, body), after running the bus.
  std::vector<std::pair<std::string, json>> pushes() {
    bus_.run_until_idle();
    return std::exchange(pushes_, {});
  }
  static std::vector<std::string> topics(const std::vector<std::pair<std::string, json>>& p) {
    std::vector<std::string> out;
    for (const auto& [t, b] : p) out.push_back(t + " v" + std::to_string(b["version"].get<int>()));
    return out;
  }

  static json route(const std::string& prefix, json nexthop, int pref) {
    return {{"prefix", prefix}, {"nexthop", std::move(nexthop)}, {"local_pref", pref}};
  }
  static json local(const std::string& vmi) { return {{"type", "local"}, {"vmi", vmi}}; }
  static json remote(const std::string& node) {
    return {{"type", "remote"},
            {"node", node},
            {"underlay_ip", node == "node-1" ? "169.254.1.1" : "169.254.1.2"}};
  }
  static std::set<std::string> object_names(const json& view) {
    std::set<std::string> out;
    for (const auto& o : view["objects"])
      out.insert(o["type"].get<std::string>() + " " + o["fq_name"].back().get<std::string>());
    return out;
  }

  core::SimulatedClock clock_;
  core::Bus bus_;
  ConfigDb db_;
  CountingApi api_;
  ControlNode cn_;
  std::vector<std::pair<std::string, json>> pushes_;
  std::map<std::string, core::ViewAssembler> assembled_;  // node -> what its pushes add up to
  std::vector<uint64_t> push_traces_;
  std::map<std::string, std::string> vr_;
  ConfigObject project_, pod_vn_, svc_vn_, vip_vmi_, vip_iip_, fip_, si_, svc_fip_;
  ConfigObject vm_[2], vmi_[2];
  Pod a_, b_;
};

TEST_F(ControlNodeTest, RoutesServicesAndFloatingIpsPerNode) {
  build();
  EXPECT_EQ(vip_iip_.props["instance_ip_address"], "10.47.255.250");
  EXPECT_EQ(fip_.props["floating_ip_address"], "10.84.59.252");
  EXPECT_EQ(topics(pushes()), (std::vector<std::string>{"bgp.gateway v1"}))
      << "no agent is live yet";
  EXPECT_TRUE(cn_.view_of("node-1").is_null());

  agent("node-1", "up");
  agent("node-2", "up");
  auto p = pushes();
  ASSERT_EQ(topics(p),
            (std::vector<std::string>{"xmpp.node-1 v1", "xmpp.node-2 v1", "bgp.gateway v2"}));
  const json& v1 = p[0].second;
  const json& v2 = p[1].second;
  EXPECT_EQ(v1["node"], "node-1");
  EXPECT_EQ(v1["summary"], "view v1: 2 VMs, 1 SI, 3 routes, 1 service, 1 FIP");
  EXPECT_EQ(v1["routes"], json::array({route("10.47.255.250/32", local(vmi_[0].uuid), 200),
                                       route("10.47.255.251/32", remote("node-2"), 100),
                                       route("10.47.255.252/32", local(a_.vmi.uuid), 100)}));
  EXPECT_EQ(v2["routes"], json::array({route("10.47.255.250/32", remote("node-1"), 200),
                                       route("10.47.255.251/32", local(b_.vmi.uuid), 100),
                                       route("10.47.255.252/32", remote("node-1"), 100)}));
  const json services =
      json::array({{{"cluster_ip", "10.96.0.10"},
                    {"protocol", "TCP"},
                    {"port", 80},
                    {"backends", json::array({{{"ip", "10.47.255.251"}, {"port", 8080}},
                                              {{"ip", "10.47.255.252"}, {"port", 8080}}})}}});
  EXPECT_EQ(v1["services"], services);
  EXPECT_EQ(v2["services"], services);
  EXPECT_EQ(v1["floating_ips"],
            json::array(
                {{{"fip", "10.84.59.252"}, {"fixed_ip", "10.47.255.250"}, {"vmi", vmi_[0].uuid}}}));
  EXPECT_EQ(v2["floating_ips"],
            json::array(
                {{{"fip", "10.84.59.252"}, {"fixed_ip", "10.47.255.250"}, {"vmi", vmi_[1].uuid}}}));
  EXPECT_EQ(p[2].second["routes"], json::array({{{"prefix", "10.84.59.252/32"},
                                                 {"node", "node-1"},
                                                 {"local_pref", 200},
                                                 {"underlay_ip", "169.254.1.1"}}}));
  EXPECT_EQ(p[2].second["summary"], "gateway v2: 1 route: 10.84.59.252/32 -> node-1");

  // Each agent sees only what its node hosts: its VR, VMs, their SI and template, VMIs
  // with their instance-ips and floating-ips, networks and ipams. No loadbalancer.
  EXPECT_EQ(object_names(v1),
            (std::set<std::string>{
                "virtual-router node-1",
                "virtual-machine pod-a-uid",
                "virtual-machine default-domain__k8s-default__lb__1",
                "service-instance ingress__si",
                "service-template haproxy-loadbalancer-template",
                "virtual-machine-interface pod-a__vmi",
                "virtual-machine-interface default-domain__k8s-default__lb__1__right__1",
                "instance-ip pod-a__iip",
                "instance-ip ingress-vip-iip",
                "floating-ip ingress-fip",
                "floating-ip svc-lb",
                "virtual-network k8s-default-pod-network",
                "network-ipam k8s-pod-ipam",
            }));
  EXPECT_EQ(object_names(v2),
            (std::set<std::string>{
                "virtual-router node-2",
                "virtual-machine pod-b-uid",
                "virtual-machine default-domain__k8s-default__lb__2",
                "service-instance ingress__si",
                "service-template haproxy-loadbalancer-template",
                "virtual-machine-interface pod-b__vmi",
                "virtual-machine-interface default-domain__k8s-default__lb__2__right__1",
                "instance-ip pod-b__iip",
                "instance-ip ingress-vip-iip",
                "floating-ip ingress-fip",
                "floating-ip svc-lb",
                "virtual-network k8s-default-pod-network",
                "network-ipam k8s-pod-ipam",
            }));
  // Objects are the stored ones, in a stable order (type, then fq_name).
  json vr_obj;
  for (const auto& o : v1["objects"])
    if (o["type"] == "virtual-router") vr_obj = o;
  // Projected: the props an agent acts on, not id_perms or display_name.
  EXPECT_EQ(vr_obj, json(agent_projection(*db_.read(vr_["node-1"]))));
  EXPECT_EQ(vr_obj["props"], (json{{"virtual_router_ip_address", "169.254.1.1"}}));
  EXPECT_EQ(v1["objects"][0]["type"], "floating-ip");
  // The first push to an agent is its whole view (base 0).
  EXPECT_EQ(v1["base"], 0);
  json whole = v1;
  whole.erase("base");
  EXPECT_EQ(cn_.view_of("node-1"), whole);
}

TEST_F(ControlNodeTest, FailoverWithdrawsTheDownAgentsPaths) {
  build();
  agent("node-1", "up");
  agent("node-2", "up");
  pushes();

  agent("node-1", "down");
  auto p = pushes();
  ASSERT_EQ(topics(p), (std::vector<std::string>{"xmpp.node-2 v2", "bgp.gateway v2"}))
      << "nothing to the down agent";
  const json& v2 = p[0].second;
  EXPECT_EQ(v2["routes"], json::array({route("10.47.255.250/32", local(vmi_[1].uuid), 100),
                                       route("10.47.255.251/32", local(b_.vmi.uuid), 100)}))
      << "the standby's path wins; pod-a's path is withdrawn";
  EXPECT_EQ(v2["services"][0]["backends"],
            json::array({{{"ip", "10.47.255.251"}, {"port", 8080}}}));
  EXPECT_EQ(p[1].second["routes"], json::array({{{"prefix", "10.84.59.252/32"},
                                                 {"node", "node-2"},
                                                 {"local_pref", 100},
                                                 {"underlay_ip", "169.254.1.2"}}}));
  auto info = cn_.introspect();
  EXPECT_EQ(info["agents"]["node-1"]["state"], "down");
  EXPECT_EQ(info["agents"]["node-2"]["version"], 2);

  // node-1 comes back: it gets its full view again (v2), the active path wins again.
  agent("node-1", "up");
  p = pushes();
  ASSERT_EQ(topics(p),
            (std::vector<std::string>{"xmpp.node-1 v2", "xmpp.node-2 v3", "bgp.gateway v3"}));
  EXPECT_EQ(p[0].second["routes"][0], route("10.47.255.250/32", local(vmi_[0].uuid), 200));
  EXPECT_EQ(p[1].second["routes"][0], route("10.47.255.250/32", remote("node-1"), 200));
  EXPECT_EQ(p[2].second["routes"][0]["node"], "node-1");

  // Both down: no agent gets anything, the gateway has no route.
  agent("node-1", "down");
  agent("node-2", "down");
  p = pushes();
  ASSERT_EQ(topics(p), (std::vector<std::string>{"bgp.gateway v4"}));
  EXPECT_EQ(p[0].second["routes"], json::array());
}

TEST_F(ControlNodeTest, AnAgentThatReconnectsGetsItsViewEvenIfUnchanged) {
  build();
  agent("node-2", "up");
  pushes();
  agent("node-2", "up");  // a new XMPP session: the agent starts empty
  EXPECT_EQ(topics(pushes()), (std::vector<std::string>{"xmpp.node-2 v2"}));
}

TEST_F(ControlNodeTest, UnchangedRecomputePublishesNothing) {
  build();
  agent("node-1", "up");
  agent("node-2", "up");
  pushes();
  const uint64_t before = cn_.introspect()["recomputes"];
  // A walked type that reaches no view: a recompute runs, nothing changed, nothing is sent.
  create("virtual-machine", {"unscheduled-vm"}, "");
  EXPECT_TRUE(pushes().empty());
  EXPECT_EQ(cn_.introspect()["recomputes"].get<uint64_t>(), before + 1);
  // Types that never reach agents do not even cause a recompute.
  create("loadbalancer-listener", {"default-domain", "k8s-default", "l"}, project_.uuid);
  EXPECT_TRUE(pushes().empty());
  EXPECT_EQ(cn_.introspect()["recomputes"].get<uint64_t>(), before + 1);
  // A change of a prop agents are not sent (agent_projection) sends nothing.
  ConfigObject vm = *db_.read(b_.vm.uuid);
  vm.props["display_name"] = "pod-b";
  ASSERT_TRUE(db_.update(vm).is_ok());
  EXPECT_TRUE(pushes().empty());
  EXPECT_EQ(cn_.introspect()["recomputes"].get<uint64_t>(), before + 2);
  // An update to an object in node-2's view only goes to node-2.
  ConfigObject vmi = *db_.read(b_.vmi.uuid);
  vmi.props["virtual_machine_interface_mac_addresses"] = {{"mac_address", {"02:00:00:00:00:0b"}}};
  ASSERT_TRUE(db_.update(vmi).is_ok());
  EXPECT_EQ(topics(pushes()), (std::vector<std::string>{"xmpp.node-2 v2"}));
}

TEST_F(ControlNodeTest, ABurstOfChangesIsOneRecompute) {
  agent("node-1", "up");
  agent("node-2", "up");
  pushes();
  const uint64_t before = cn_.introspect()["recomputes"];
  build();  // ~40 config writes without running the bus in between
  auto p = pushes();
  EXPECT_EQ(cn_.introspect()["recomputes"].get<uint64_t>(), before + 1);
  ASSERT_EQ(topics(p),
            (std::vector<std::string>{"xmpp.node-1 v2", "xmpp.node-2 v2", "bgp.gateway v2"}));
  EXPECT_EQ(p[0].second["routes"].size(), 3u);
}

TEST_F(ControlNodeTest, ServicesSkipBackendsOnDownNodesAndEmptyServices) {
  build();
  agent("node-2", "up");
  auto p = pushes();
  ASSERT_EQ(topics(p), (std::vector<std::string>{"xmpp.node-2 v1", "bgp.gateway v1"}));
  EXPECT_EQ(p[0].second["services"][0]["backends"],
            json::array({{{"ip", "10.47.255.251"}, {"port", 8080}}}));
  // Remove pod-b from the service: no live backend left, so no service entry.
  ConfigObject fip = *db_.read(svc_fip_.uuid);
  fip.refs = {ref("virtual-machine-interface", a_.vmi.uuid)};
  ASSERT_TRUE(db_.update(fip).is_ok());
  p = pushes();
  ASSERT_EQ(topics(p), (std::vector<std::string>{"xmpp.node-2 v2"}));
  EXPECT_EQ(p[0].second["services"], json::array());
}

TEST_F(ControlNodeTest, MovingAVmMovesItsObjectsAndRoutes) {
  build();
  agent("node-1", "up");
  agent("node-2", "up");
  pushes();
  // svc-monitor reschedules VM-0 from node-1 to node-2 (both instances on node-2 now).
  ASSERT_TRUE(db_.ref_update("virtual-router", vr_["node-1"], "virtual-machine", vm_[0].uuid,
                             RefOp::kDelete)
                  .is_ok());
  ASSERT_TRUE(
      db_.ref_update("virtual-router", vr_["node-2"], "virtual-machine", vm_[0].uuid, RefOp::kAdd)
          .is_ok());
  auto p = pushes();
  ASSERT_EQ(topics(p),
            (std::vector<std::string>{"xmpp.node-1 v2", "xmpp.node-2 v2", "bgp.gateway v2"}));
  // Changes: node-1 is told VM-0 (and what hangs off it) left, node-2 gets them.
  EXPECT_EQ(p[0].second["base"], 1);
  const json& removed = p[0].second["removed"];
  EXPECT_NE(std::find(removed.begin(), removed.end(), json(vm_[0].uuid)), removed.end()) << removed;
  EXPECT_FALSE(
      object_names(cn_.view_of("node-1")).count("virtual-machine default-domain__k8s-default__lb__1"));
  EXPECT_TRUE(
      object_names(p[1].second).count("virtual-machine default-domain__k8s-default__lb__1"));
  EXPECT_EQ(p[1].second["removed"], json::array());
  EXPECT_EQ(p[1].second["routes"][0], route("10.47.255.250/32", local(vmi_[0].uuid), 200));
  EXPECT_EQ(p[1].second["floating_ips"].size(), 2u);
  EXPECT_EQ(p[0].second["floating_ips"], json::array());
  EXPECT_EQ(p[2].second["routes"][0]["node"], "node-2");
  EXPECT_EQ(p[2].second["routes"][0]["local_pref"], 200);
}

TEST_F(ControlNodeTest, AcksAndBadStatusMessagesShowInIntrospection) {
  agent("node-1", "up");
  pushes();
  bus_.publish("agent-node-1", "agent.ack",
               {{"node", "node-1"},
                {"version", 1},
                {"ok", false},
                {"error", "ip route: RTNETLINK answers"}});
  bus_.publish("agent-x", "agent.status", {{"node", "node-9"}, {"state", "sideways"}});
  bus_.run_until_idle();
  auto info = cn_.introspect();
  EXPECT_EQ(info["agents"]["node-1"]["acked_version"], 1);
  EXPECT_EQ(info["agents"]["node-1"]["ack_ok"], false);
  EXPECT_EQ(info["agents"]["node-1"]["ack_error"], "ip route: RTNETLINK answers");
  EXPECT_FALSE(info["agents"].contains("node-9"));
  bool recorded = false;
  for (const auto& s : bus_.spans())
    if (s.module == "control-node" && s.topic == "agent.status ignored") recorded = true;
  EXPECT_TRUE(recorded);
  // An agent without a virtual-router still gets an (empty) view.
  EXPECT_EQ(cn_.view_of("node-1")["objects"], json::array());
}

// An agent that could not apply a change (it holds another version) asks for the whole
// view; it gets it, unchanged, as the next version.
TEST_F(ControlNodeTest, AResyncAckGetsTheWholeViewAgain) {
  build();
  agent("node-1", "up");
  auto first = pushes();
  ASSERT_EQ(topics(first), (std::vector<std::string>{"xmpp.node-1 v1", "bgp.gateway v1"}));
  bus_.publish("agent-node-1", "agent.ack",
               {{"node", "node-1"},
                {"version", 1},
                {"ok", false},
                {"resync", true},
                {"error", "view v1 is a change on v0"}});
  auto p = pushes();
  ASSERT_EQ(topics(p), (std::vector<std::string>{"xmpp.node-1 v2"}));
  EXPECT_EQ(p[0].second["base"], 0);
  EXPECT_EQ(p[0].second["objects"], first[0].second["objects"]);
  EXPECT_FALSE(p[0].second.contains("removed"));
}

// After the first recompute (one list() per walked type), a change is read by itself:
// one read per changed object, however large the graph, and no list().
TEST_F(ControlNodeTest, AChangeReadsOnlyTheChangedObjects) {
  build();
  agent("node-1", "up");
  agent("node-2", "up");
  pushes();
  EXPECT_GT(api_.lists, 0u) << "the first recompute lists the walked types";
  api_.lists = api_.reads = api_.queries = 0;
  // Twenty pods more: each is 4 writes (VM, VMI, instance-ip, VR ref) of 4 objects
  // (the VR once), read once each although the VR changed twenty times.
  for (int i = 0; i < 20; ++i) pod("bulk-" + std::to_string(i), i % 2 ? "node-2" : "node-1");
  pushes();
  EXPECT_EQ(api_.lists, 0u);
  EXPECT_EQ(api_.queries, 0u);
  EXPECT_EQ(api_.reads, 20u * 3 + 2);
  EXPECT_EQ(cn_.last_recompute().objects_read, 62u);
  EXPECT_EQ(cn_.view_of("node-1")["routes"].size(), 23u);
}

// A change inside one node's view builds and pushes that view only; the other agent's
// view is neither rebuilt nor re-sent, nor is the gateway.
TEST_F(ControlNodeTest, AChangeInOneViewBuildsOnlyThatView) {
  build();
  agent("node-1", "up");
  agent("node-2", "up");
  pushes();
  ConfigObject si = *db_.read(si_.uuid);  // reached by both nodes (VM-0 and VM-1)
  ConfigObject vmi = *db_.read(a_.vmi.uuid);
  vmi.props["virtual_machine_interface_mac_addresses"] = {{"mac_address", {"02:00:00:00:00:0a"}}};
  ASSERT_TRUE(db_.update(vmi).is_ok());
  EXPECT_EQ(topics(pushes()), (std::vector<std::string>{"xmpp.node-1 v2"}));
  auto stats = cn_.last_recompute();
  EXPECT_EQ(stats.views_built, 1u);
  EXPECT_EQ(stats.walks, 0u);
  EXPECT_EQ(stats.walk_changes, 0u);
  EXPECT_EQ(stats.prefixes, 0u);
  EXPECT_EQ(stats.floating_ips, 0u);
  // The service-instance is in both views: both are rebuilt and pushed, nothing else.
  si.props["service_instance_bindings"]["key_value_pair"].push_back(
      {{"key", "note"}, {"value", "changed"}});
  ASSERT_TRUE(db_.update(si).is_ok());
  EXPECT_EQ(topics(pushes()), (std::vector<std::string>{"xmpp.node-1 v3", "xmpp.node-2 v2"}));
  EXPECT_EQ(cn_.last_recompute().views_built, 2u);
}

// svc-monitor changing one Service's port mapping: every agent gets the new services
// (every view carries every service), the gateway is not touched.
TEST_F(ControlNodeTest, AServiceChangeReachesEveryViewButNotTheGateway) {
  build();
  agent("node-1", "up");
  agent("node-2", "up");
  pushes();
  ConfigObject fip = *db_.read(svc_fip_.uuid);
  fip.props["floating_ip_port_mappings"]["port_mappings"][0]["dst_port"] = 9090;
  ASSERT_TRUE(db_.update(fip).is_ok());
  auto p = pushes();
  ASSERT_EQ(topics(p), (std::vector<std::string>{"xmpp.node-1 v2", "xmpp.node-2 v2"}));
  EXPECT_EQ(p[0].second["services"][0]["backends"][0]["port"], 9090);
  EXPECT_EQ(cn_.last_recompute().floating_ips, 1u);
  EXPECT_EQ(cn_.last_recompute().prefixes, 0u);
}

// A burst is one recompute, and its pushes belong to the trace of the newest change.
TEST_F(ControlNodeTest, ABurstIsPushedUnderTheNewestChangesTrace) {
  build();
  agent("node-1", "up");
  agent("node-2", "up");
  pushes();
  const uint64_t before = cn_.introspect()["recomputes"];
  uint64_t newest = 0;
  for (const char* name : {"x", "y"}) {
    core::TraceScope scope(bus_, "test", std::string("apply ") + name);
    ConfigObject vmi = *db_.read(b_.vmi.uuid);
    vmi.props["virtual_machine_interface_mac_addresses"] = {
        {"mac_address", {std::string("02:00:00:00:00:") + (name[0] == 'x' ? "01" : "02")}}};
    ASSERT_TRUE(db_.update(vmi).is_ok());
    newest = scope.trace_id();
  }
  push_traces_.clear();
  EXPECT_EQ(topics(pushes()), (std::vector<std::string>{"xmpp.node-2 v2"}));
  EXPECT_EQ(cn_.introspect()["recomputes"].get<uint64_t>(), before + 1);
  EXPECT_EQ(push_traces_, std::vector<uint64_t>{newest});
  EXPECT_EQ(cn_.view_of("node-2")["summary"],
            "view v2: 2 VMs, 1 SI, 3 routes, 1 service, 1 FIP (change on v1: 1 object, 0 removed)");
}

// The views equal the from-scratch computation after any of the above.
TEST_F(ControlNodeTest, ViewsEqualTheFromScratchComputation) {
  build();
  agent("node-1", "up");
  agent("node-2", "up");
  pushes();
  ASSERT_TRUE(db_.ref_update("virtual-router", vr_["node-1"], "virtual-machine", vm_[0].uuid,
                             RefOp::kDelete)
                  .is_ok());
  pod("pod-c", "node-2");
  ConfigObject fip = *db_.read(svc_fip_.uuid);
  fip.refs = {ref("virtual-machine-interface", b_.vmi.uuid)};
  ASSERT_TRUE(db_.update(fip).is_ok());
  pushes();
  AgentViews ref_views =
      compute_agent_views(db_, {{"node-1", "169.254.1.1"}, {"node-2", "169.254.1.2"}});
  for (const auto& [node, view] : ref_views.nodes) {
    json got = cn_.view_of(node);
    for (const char* k : {"version", "node", "summary"}) got.erase(k);
    EXPECT_EQ(got, view) << node;
    // What the agent gets by adding up the pushes is the same view.
    json added = assembled_[node].view();
    for (const char* k : {"version", "node", "summary"}) added.erase(k);
    EXPECT_EQ(added, view) << node;
  }
  EXPECT_EQ(cn_.introspect()["gateway"]["routes"], ref_views.gateway_routes);
}

// Threaded bus (the pacing runs through Bus::post_after there): a stream of changes made
// while recomputes run ends with views equal to the from-scratch computation, in fewer
// recomputes than changes.
TEST(ControlNodeThreadedTest, PacedRecomputesConvergeToTheFromScratchViews) {
  core::SystemClock& clock = core::SystemClock::instance();
  core::Bus bus(clock, core::Bus::Mode::kThreaded, 3);
  ConfigDb db(bus, clock, ":memory:", 9);
  ControlNode cn(bus, db);
  std::atomic<int> changes{0};
  bus.subscribe("test", "config.changed.", [&](const core::Envelope&) { ++changes; });
  std::map<std::string, core::ViewAssembler> assembled;  // the agents' side, on one strand
  std::atomic<int> refused{0};
  bus.subscribe("test", "xmpp.", [&](const core::Envelope& e) {
    if (!assembled[e.topic.substr(5)].apply(e.body).is_ok()) ++refused;
  });
  cn.start();
  ASSERT_TRUE(provision_defaults(db).is_ok());
  std::map<std::string, std::string> vr;
  for (const auto& [node, ip] :
       {std::pair{"node-1", "169.254.1.1"}, std::pair{"node-2", "169.254.1.2"}}) {
    auto r = add_virtual_router(db, node, ip);
    ASSERT_TRUE(r.is_ok()) << r.status().to_string();
    vr[node] = *r;
    bus.publish("agent-" + std::string(node), "agent.status",
                {{"node", node}, {"state", "up"}, {"underlay_ip", ip}});
  }
  auto make = [&](const std::string& type, FqName fq, const std::string& parent,
                  std::vector<Ref> refs, json props) {
    return testing::must_create(db, type, std::move(fq), parent, std::move(refs), std::move(props));
  };
  auto domain = *db.read_fq("domain", {"default-domain"});
  auto project = make("project", {"default-domain", "k8s-default"}, domain.uuid, {}, json::object());
  auto ipam = make("network-ipam", {"default-domain", "k8s-default", "k8s-pod-ipam"}, project.uuid,
                   {}, {{"ipam_subnets", {{"subnets", json::array({subnet("10.32.0.0", 12)})}}}});
  auto vn = make("virtual-network", {"default-domain", "k8s-default", "k8s-default-pod-network"},
                 project.uuid, {ref("network-ipam", ipam.uuid, {{"ipam_subnets", json::array()}})},
                 json::object());
  for (int i = 0; i < 40; ++i) {
    const std::string name = "pod-" + std::to_string(i);
    auto vm = make("virtual-machine", {name + "-uid"}, "", {}, json::object());
    auto vmi = make("virtual-machine-interface", {"default-domain", "k8s-default", name + "__vmi"},
                    project.uuid, {ref("virtual-machine", vm.uuid), ref("virtual-network", vn.uuid)},
                    json::object());
    make("instance-ip", {name + "__iip"}, "",
         {ref("virtual-network", vn.uuid), ref("virtual-machine-interface", vmi.uuid)},
         json::object());
    ASSERT_TRUE(db.ref_update("virtual-router", vr[i % 2 ? "node-2" : "node-1"], "virtual-machine",
                              vm.uuid, RefOp::kAdd)
                    .is_ok());
  }
  ASSERT_TRUE(bus.run_until_idle(std::chrono::seconds(30)));
  AgentViews want = compute_agent_views(db, {{"node-1", "169.254.1.1"}, {"node-2", "169.254.1.2"}});
  for (const auto& [node, view] : want.nodes) {
    json got = cn.view_of(node);
    ASSERT_TRUE(got.is_object()) << node;
    for (const char* k : {"version", "node", "summary"}) got.erase(k);
    EXPECT_EQ(got, view) << node;
    EXPECT_EQ(view["routes"].size(), 40u);
    json added = assembled[node].view();
    for (const char* k : {"version", "node", "summary"}) added.erase(k);
    EXPECT_EQ(added, view) << node;
  }
  EXPECT_EQ(refused.load(), 0);
  EXPECT_LT(cn.introspect()["recomputes"].get<int>(), changes.load());
  bus.shutdown();
}

}  // namespace
}  // namespace csim::controller
