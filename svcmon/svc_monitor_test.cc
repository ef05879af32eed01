// svc-monitor driven through the deterministic bus against the real SQLite config DB.
#include "svcmon/svc_monitor.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <random>
#include <set>

#include "controller/bootstrap.h"
#include "controller/config_db.h"
#include "controller/test_objects.h"
#include "core/bus.h"
#include "core/clock.h"
#include "svcmon/haproxy_config.h"
#include "svcmon/netns_instances.h"

namespace csim::svcmon {
namespace {

using controller::ConfigObject;
using controller::FqName;
using controller::Ref;
using nlohmann::json;
using controller::testing::CountingApi;
using controller::testing::make;
using controller::testing::ref;

constexpr const char* kProject = "k8s-default";
constexpr const char* kLbUuid = "6f1c2a0e-5b0d-4c8e-9a51-3f2b7c9d1e01";

json kvps(const std::vector<std::pair<std::string, std::string>>& kv) {
  json list = json::array();
  for (const auto& [k, v] : kv) list.push_back({{"key", k}, {"value", v}});
  return {{"key_value_pair", list}};
}

// One Ingress rule as kube-manager turns it into listener + pool + member (§1.2, §1.4).
struct Rule {
  std::string host;  // "" for none
  std::string path;  // "" for none
  std::string service_ip;
  int service_port = 80;
  bool is_default = false;
};

// The objects of one loadbalancer, as kube-manager makes them.
struct TestLb {
  std::string uuid;
  ConfigObject vmi, iip, lb;
  std::vector<ConfigObject> listeners, pools, members;
};

class SvcMonitorTest : public ::testing::Test {
 protected:
  SvcMonitorTest()
      : bus_(clock_, core::Bus::Mode::kDeterministic), db_(bus_, clock_, ":memory:", 7) {
    bus_.subscribe("test", "config.changed.",
                   [this](const core::Envelope& e) { changes_.push_back(e.body); });
    EXPECT_TRUE(controller::provision_defaults(db_).is_ok());
    project_ = must(db_.create(make("project", {"default-domain", kProject}, "domain",
                                    db_.read_fq("domain", {"default-domain"})->uuid)));
    ConfigObject ipam = make("network-ipam", {"default-domain", kProject, "k8s-pod-ipam"},
                             "project", project_.uuid);
    ipam.props["ipam_subnet_method"] = "flat-subnet";
    ipam.props["ipam_subnets"] = {
        {"subnets",
         json::array({{{"subnet", {{"ip_prefix", "10.32.0.0"}, {"ip_prefix_len", 12}}}}})}};
    ipam = must(db_.create(ipam));
    ConfigObject vn =
        make("virtual-network", {"default-domain", kProject, "k8s-default-pod-network"}, "project",
             project_.uuid);
    vn.refs.push_back(ref("network-ipam", ipam.uuid, {{"ipam_subnets", json::array()}}));
    pod_vn_ = must(db_.create(vn));
    for (const char* node : {"node-1", "node-2", "node-3"})
      EXPECT_TRUE(controller::add_virtual_router(db_, node, "169.254.1.1").is_ok());
    bus_.run_until_idle();
  }
  ~SvcMonitorTest() override { bus_.run_until_idle(); }

  static ConfigObject must(core::Result<ConfigObject> r) {
    EXPECT_TRUE(r.is_ok()) << r.status().to_string();
    return r.is_ok() ? *r : ConfigObject{};
  }

  void start(uint64_t seed = 1, controller::ConfigApi* api = nullptr) {
    monitor_ = std::make_unique<SvcMonitor>(bus_, api ? *api : db_,
                                            SvcMonitorOptions{"/var/lib/contrail", seed});
    ASSERT_TRUE(monitor_->start().is_ok());
    bus_.run_until_idle();
  }

  void agent(const std::string& node, const std::string& state) {
    bus_.publish("agent-" + node, "agent.status",
                 {{"node", node}, {"state", state}, {"summary", node + " " + state}});
    bus_.run_until_idle();
  }

  // The VIP VMI, its instance-ip and the loadbalancer (uuid = the Ingress uid).
  TestLb make_lb(const std::string& uuid, const std::string& provider = "opencontrail",
                 const std::string& device_owner = "K8S:LOADBALANCER") {
    TestLb t;
    t.uuid = uuid;
    const std::string name = "ing__" + uuid;
    ConfigObject vmi =
        make("virtual-machine-interface", {"default-domain", kProject, "k8s__Ingress__" + name},
             "project", project_.uuid);
    vmi.props["virtual_machine_interface_device_owner"] = device_owner;
    vmi.refs = {ref("virtual-network", pod_vn_.uuid)};
    t.vmi = must(db_.create(vmi));
    ConfigObject iip = make("instance-ip", {"ing__iip-" + uuid});
    iip.refs = {ref("virtual-network", pod_vn_.uuid), ref("virtual-machine-interface", t.vmi.uuid)};
    t.iip = must(db_.create(iip));
    ConfigObject lb =
        make("loadbalancer", {"default-domain", kProject, name}, "project", project_.uuid);
    lb.uuid = uuid;
    lb.props["loadbalancer_provider"] = provider;
    lb.props["loadbalancer_properties"] = {{"provisioning_status", "ACTIVE"},
                                           {"operating_status", "ONLINE"},
                                           {"vip_address", t.iip.props["instance_ip_address"]},
                                           {"admin_state", true}};
    lb.refs = {ref("virtual-machine-interface", t.vmi.uuid)};
    t.lb = must(db_.create(lb));
    return t;
  }

  // One listener + pool + member per rule, in spec order (pool annotation index).
  void add_rules(TestLb& t, const std::vector<Rule>& rules) {
    for (const auto& r : rules) {
      const size_t i = t.listeners.size();
      const std::string name = t.lb.name() + "-HTTP-80-" + std::to_string(i);
      ConfigObject l = make("loadbalancer-listener", {"default-domain", kProject, name}, "project",
                            project_.uuid);
      l.props["loadbalancer_listener_properties"] = {
          {"protocol", "HTTP"}, {"protocol_port", "80"}, {"admin_state", true}};
      l.refs = {ref("loadbalancer", t.uuid)};
      t.listeners.push_back(must(db_.create(l)));
      ConfigObject p =
          make("loadbalancer-pool", {"default-domain", kProject, name}, "project", project_.uuid);
      p.props["loadbalancer_pool_properties"] = {
          {"protocol", "HTTP"}, {"loadbalancer_method", "ROUND_ROBIN"}, {"admin_state", true}};
      std::vector<std::pair<std::string, std::string>> ann = {
          {"type", r.is_default ? "default" : "acl"}};
      if (!r.host.empty()) ann.emplace_back("host", r.host);
      if (!r.path.empty()) ann.emplace_back("path", r.path);
      ann.emplace_back("index", std::to_string(i));
      p.props["annotations"] = kvps(ann);
      p.refs = {ref("loadbalancer-listener", t.listeners.back().uuid)};
      t.pools.push_back(must(db_.create(p)));
      FqName mfq = t.pools.back().fq_name;
      mfq.push_back("member-" + std::to_string(i));
      ConfigObject m = make("loadbalancer-member", mfq, "loadbalancer-pool", t.pools.back().uuid);
      m.props["loadbalancer_member_properties"] = {{"address", r.service_ip},
                                                   {"protocol_port", r.service_port},
                                                   {"weight", 1},
                                                   {"admin_state", true}};
      m.props["annotations"] = kvps({{"serviceName", "svc-" + std::to_string(i)}});
      t.members.push_back(must(db_.create(m)));
    }
    bus_.run_until_idle();
  }

  // A Service as kube-manager makes it: a native loadbalancer (uuid given) whose clusterIP
  // is a VIP VMI + instance-ip, one TCP listener on `port` and a pool with one member per
  // pod VMI (annotation vmi).
  TestLb make_native_lb(const std::string& uuid, const std::vector<std::string>& pod_vmis,
                        int port = 80) {
    TestLb t = make_lb(uuid, "native", "");
    ConfigObject l = make("loadbalancer-listener", {"default-domain", kProject, uuid + "-TCP"},
                          "project", project_.uuid);
    l.props["loadbalancer_listener_properties"] = {{"protocol", "TCP"}, {"protocol_port", port}};
    l.refs = {ref("loadbalancer", uuid)};
    t.listeners.push_back(must(db_.create(l)));
    ConfigObject p = make("loadbalancer-pool", {"default-domain", kProject, uuid + "-TCP"},
                          "project", project_.uuid);
    p.props["loadbalancer_pool_properties"] = {{"protocol", "TCP"}};
    p.refs = {ref("loadbalancer-listener", t.listeners.back().uuid)};
    t.pools.push_back(must(db_.create(p)));
    for (const auto& vmi : pod_vmis) add_native_member(t, vmi);
    return t;
  }
  void add_native_member(TestLb& t, const std::string& pod_vmi) {
    FqName fq = t.pools.back().fq_name;
    fq.push_back("m-" + std::to_string(member_seq_++));
    ConfigObject m = make("loadbalancer-member", fq, "loadbalancer-pool", t.pools.back().uuid);
    m.props["loadbalancer_member_properties"] = {{"protocol_port", 8080}, {"admin_state", true}};
    m.props["annotations"] = kvps({{"vmi", pod_vmi}});
    t.members.push_back(must(db_.create(m)));
  }
  std::string pod_vmi(const std::string& name) {
    ConfigObject p = make("virtual-machine-interface", {"default-domain", kProject, name},
                          "project", project_.uuid);
    p.refs = {ref("virtual-network", pod_vn_.uuid)};
    return must(db_.create(p)).uuid;
  }
  // kube-manager's delete (§1.8): members, pools, listeners, the loadbalancer; once
  // svc-monitor let go of them, the VIP's instance-ips and VMI.
  void delete_lb(const TestLb& t, const std::vector<std::string>& extra_iips = {},
                 const std::vector<std::string>& fips = {}) {
    for (const auto& m : t.members) EXPECT_TRUE(db_.remove("loadbalancer-member", m.uuid).is_ok());
    for (const auto& p : t.pools) EXPECT_TRUE(db_.remove("loadbalancer-pool", p.uuid).is_ok());
    for (const auto& l : t.listeners)
      EXPECT_TRUE(db_.remove("loadbalancer-listener", l.uuid).is_ok());
    EXPECT_TRUE(db_.remove("loadbalancer", t.uuid).is_ok());
    bus_.run_until_idle();
    for (const auto& fip : fips) EXPECT_TRUE(db_.remove("floating-ip", fip).is_ok());
    for (const auto& iip : extra_iips) {
      auto s = db_.remove("instance-ip", iip);
      EXPECT_TRUE(s.is_ok()) << s.to_string();
    }
    auto s = db_.remove("instance-ip", t.iip.uuid);
    EXPECT_TRUE(s.is_ok()) << s.to_string();
    s = db_.remove("virtual-machine-interface", t.vmi.uuid);
    EXPECT_TRUE(s.is_ok()) << s.to_string();
    bus_.run_until_idle();
  }

  TestLb fanout() {
    TestLb t = make_lb(kLbUuid);
    add_rules(t, {{"", "/foo", "10.96.0.11", 4200}, {"", "/bar", "10.96.0.12", 8080}});
    return t;
  }

  std::optional<ConfigObject> si_of(const TestLb& t) {
    return db_.read_fq("service-instance", {"default-domain", kProject, t.uuid});
  }
  std::string binding(const ConfigObject& si, const std::string& key) {
    for (const auto& kv : si.props["service_instance_bindings"]["key_value_pair"])
      if (kv["key"] == key) return kv["value"];
    return "<missing>";
  }
  std::optional<ConfigObject> vm(const TestLb& t, int index) {
    return db_.read_fq("virtual-machine", {"default-domain__" + std::string(kProject) + "__" +
                                           t.uuid + "__" + std::to_string(index + 1)});
  }
  std::optional<ConfigObject> vmi(const TestLb& t, int index) {
    return db_.read_fq("virtual-machine-interface",
                       {"default-domain", kProject,
                        "default-domain__" + std::string(kProject) + "__" + t.uuid + "__" +
                            std::to_string(index + 1) + "__right__1"});
  }
  // Names of the vrouters that hold a ref to the VM.
  std::vector<std::string> hosts(const ConfigObject& vm) {
    std::vector<std::string> out;
    for (const auto& vr : db_.back_refs(vm.uuid, "virtual-router")) out.push_back(vr.name());
    return out;
  }
  std::string host(const TestLb& t, int index) {
    auto v = vm(t, index);
    if (!v) return "<no vm>";
    auto h = hosts(*v);
    if (h.size() > 1) return "<several>";
    return h.empty() ? "" : h.front();
  }
  // Work records of svc-monitor whose name is `name`.
  std::vector<std::string> work(const std::string& name) {
    std::vector<std::string> out;
    for (const auto& s : bus_.spans())
      if (s.kind == "work" && s.module == "svc-monitor" && s.topic == name)
        out.push_back(s.summary);
    return out;
  }
  int count_changes(const std::string& type, const std::string& op) {
    int n = 0;
    for (const auto& c : changes_)
      if (c["type"] == type && c["op"] == op) ++n;
    return n;
  }

  core::SimulatedClock clock_;
  core::Bus bus_;
  controller::ConfigDb db_;
  std::unique_ptr<SvcMonitor> monitor_;
  std::vector<json> changes_;
  ConfigObject project_, pod_vn_;
  int member_seq_ = 0;
};

TEST_F(SvcMonitorTest, StartCreatesApplianceSetsAndTemplateOnce) {
  start();
  auto oc = db_.read_fq("service-appliance-set", {"default-global-system-config", "opencontrail"});
  auto native = db_.read_fq("service-appliance-set", {"default-global-system-config", "native"});
  auto st = db_.read_fq("service-template", {"default-domain", "haproxy-loadbalancer-template"});
  ASSERT_TRUE(oc && native && st);
  EXPECT_EQ(
      oc->props["service_appliance_driver"],
      "svc_monitor.services.loadbalancer.drivers.ha_proxy.driver.OpencontrailLoadbalancerDriver");
  const json& p = st->props["service_template_properties"];
  EXPECT_EQ(p["service_virtualization_type"], "network-namespace");
  EXPECT_EQ(p["service_mode"], "in-network-nat");
  EXPECT_EQ(p["service_type"], "loadbalancer");
  EXPECT_EQ(p["interface_type"][0]["service_interface_type"], "right");
  EXPECT_EQ(p["interface_type"][0]["shared_ip"], true);
  // A second svc-monitor (a restart) finds them and creates nothing.
  const int before = count_changes("service-template", "create");
  SvcMonitor again(bus_, db_, SvcMonitorOptions{});
  ASSERT_TRUE(again.start().is_ok());
  bus_.run_until_idle();
  EXPECT_EQ(count_changes("service-template", "create"), before);
  EXPECT_EQ(count_changes("service-appliance-set", "create"), 2);
}

TEST_F(SvcMonitorTest, StartFailsWithoutBootstrapObjects) {
  core::SimulatedClock clock;
  core::Bus bus(clock, core::Bus::Mode::kDeterministic);
  controller::ConfigDb empty(bus, clock, ":memory:");
  SvcMonitor m(bus, empty, SvcMonitorOptions{});
  auto s = m.start();
  EXPECT_EQ(s.code(), core::Code::kNotFound);
  EXPECT_NE(s.message().find("default-global-system-config"), std::string::npos);
}

TEST_F(SvcMonitorTest, KubernetesSemanticsRendersTheIngressApisRules) {
  SvcMonitorOptions options;
  options.semantics = "kubernetes";
  monitor_ = std::make_unique<SvcMonitor>(bus_, db_, options);
  ASSERT_TRUE(monitor_->start().is_ok());
  bus_.run_until_idle();
  TestLb t = fanout();
  auto si = si_of(t);
  ASSERT_TRUE(si);
  const std::string text = binding(*si, "haproxy_config");
  const std::string p0 = t.pools[0].uuid;
  EXPECT_NE(text.find("\tacl " + p0 + "_path path /foo\n"), std::string::npos) << text;
  EXPECT_NE(text.find("\tuse_backend " + p0 + " if " + p0 + "_path\n"), std::string::npos);
  EXPECT_NE(text.find("\tdefault_backend no-match-404\n"), std::string::npos) << text;
  EXPECT_NE(text.find("\nbackend no-match-404\n\tmode http\n\thttp-request return status 404 "
                      "default-errorfiles\n"),
            std::string::npos);
  EXPECT_EQ(text.find(" if  "), std::string::npos) << "none of Contrail's empty conditions";
}

TEST_F(SvcMonitorTest, UnknownSemanticsIsRefusedAtStart) {
  SvcMonitorOptions options;
  options.semantics = "nginx";
  SvcMonitor m(bus_, db_, options);
  auto s = m.start();
  EXPECT_EQ(s.code(), core::Code::kInvalid);
  EXPECT_EQ(s.message(),
            "svc-monitor: semantics \"nginx\" is neither \"contrail\" nor \"kubernetes\"");
  bus_.run_until_idle();
  EXPECT_EQ(count_changes("service-appliance-set", "create"), 0) << "nothing was started";
}

TEST_F(SvcMonitorTest, ServiceInstanceCarriesTheRenderedText) {
  start();
  TestLb t = fanout();
  auto si = si_of(t);
  ASSERT_TRUE(si);

  // The renderer's output for the same objects, built independently of svc-monitor.
  HaproxyLoadbalancer expected;
  expected.uuid = t.uuid;
  expected.vip_address = t.iip.props["instance_ip_address"];
  for (size_t i = 0; i < t.listeners.size(); ++i) {
    expected.listeners.push_back({t.listeners[i].uuid, "HTTP", 80});
    expected.pools.push_back(
        {t.pools[i].uuid,
         t.listeners[i].uuid,
         "HTTP",
         "ROUND_ROBIN",
         true,
         {{"type", "acl"}, {"path", i == 0 ? "/foo" : "/bar"}, {"index", std::to_string(i)}}});
  }
  expected.members.push_back({t.members[0].uuid, t.pools[0].uuid, "10.96.0.11", 4200});
  expected.members.push_back({t.members[1].uuid, t.pools[1].uuid, "10.96.0.12", 8080});
  auto text = render_haproxy_config(expected);
  ASSERT_TRUE(text.is_ok());
  EXPECT_EQ(binding(*si, "haproxy_config"), *text);
  EXPECT_NE(text->find("frontend " + t.listeners[0].uuid + "\n"), std::string::npos);
  EXPECT_EQ(binding(*si, "lb_version"), "v2");
  EXPECT_EQ(binding(*si, "lb_uuid"), t.uuid);
  EXPECT_EQ(binding(*si, "orchestrator"), "kubernetes");

  const json& props = si->props["service_instance_properties"];
  EXPECT_EQ(props["ha_mode"], "active-standby");
  EXPECT_EQ(props["scale_out"], json({{"max_instances", 2}, {"auto_scale", false}}));
  EXPECT_EQ(props["interface_list"],
            json::array({{{"virtual_network", "default-domain:k8s-default:k8s-default-pod-network"},
                          {"ip_address", expected.vip_address}}}));
  EXPECT_EQ(si->parent_uuid, project_.uuid);
  EXPECT_EQ(si->ref_uuids("service-template"),
            std::vector<std::string>{
                db_.read_fq("service-template", {"default-domain", "haproxy-loadbalancer-template"})
                    ->uuid});
  EXPECT_EQ(db_.read(t.uuid)->ref_uuids("service-instance"), std::vector<std::string>{si->uuid});

  auto rendered = work("haproxy.render");
  ASSERT_FALSE(rendered.empty());
  EXPECT_EQ(rendered.back(),
            "rendered haproxy.conf for lb " + t.uuid + " (1 frontends, 2 backends)");
  auto intro = monitor_->introspect();
  ASSERT_EQ(intro["loadbalancers"].size(), 1u);
  EXPECT_EQ(intro["loadbalancers"][0]["service_instance"]["uuid"], si->uuid);
  EXPECT_EQ(intro["loadbalancers"][0]["service_instance"]["backends"], 2);
}

TEST_F(SvcMonitorTest, NonKubernetesVipIsNotMergedAndHasNoOrchestrator) {
  start();
  TestLb t = make_lb(kLbUuid, "opencontrail", "neutron:LOADBALANCER");
  add_rules(t, {{"", "/foo", "10.96.0.11", 80}, {"", "/bar", "10.96.0.12", 80}});
  auto si = si_of(t);
  ASSERT_TRUE(si);
  EXPECT_EQ(binding(*si, "orchestrator"), "<missing>");
  EXPECT_EQ(count_sections(binding(*si, "haproxy_config")).frontends, 2);
}

TEST_F(SvcMonitorTest, TwoInstancesOnTwoDifferentLiveVrouters) {
  start();
  agent("node-1", "up");
  agent("node-2", "up");
  TestLb t = fanout();
  auto si = si_of(t);
  ASSERT_TRUE(si);
  const std::string mac = "02:" + t.iip.uuid.substr(0, 2) + ":" + t.iip.uuid.substr(2, 2) + ":" +
                          t.iip.uuid.substr(4, 2) + ":" + t.iip.uuid.substr(6, 2) + ":" +
                          t.iip.uuid.substr(9, 2);
  std::set<std::string> nodes;
  for (int i = 0; i < 2; ++i) {
    auto v = vm(t, i);
    ASSERT_TRUE(v) << "instance " << i;
    EXPECT_EQ(v->ref_uuids("service-instance"), std::vector<std::string>{si->uuid});
    EXPECT_EQ(v->props["display_name"], v->name() + "__network-namespace");
    auto h = hosts(*v);
    ASSERT_EQ(h.size(), 1u);
    nodes.insert(h.front());
    auto itf = vmi(t, i);
    ASSERT_TRUE(itf);
    EXPECT_EQ(itf->ref_uuids("virtual-machine"), std::vector<std::string>{v->uuid});
    EXPECT_EQ(itf->ref_uuids("virtual-network"), std::vector<std::string>{pod_vn_.uuid});
    EXPECT_EQ(
        itf->props["virtual_machine_interface_properties"],
        json({{"service_interface_type", "right"}, {"local_preference", i == 0 ? 200 : 100}}));
    EXPECT_EQ(itf->props["virtual_machine_interface_mac_addresses"],
              json({{"mac_address", {mac}}}));
    EXPECT_EQ(itf->props["id_perms"]["user_visible"], false);
  }
  EXPECT_EQ(nodes, (std::set<std::string>{"node-1", "node-2"}));

  // The VIP instance-ip is shared by the KM VMI and both netns VMIs, active-standby.
  auto iip = db_.read(t.iip.uuid);
  EXPECT_EQ(iip->props["instance_ip_mode"], "active-standby");
  std::set<std::string> iip_vmis;
  for (const auto& u : iip->ref_uuids("virtual-machine-interface")) iip_vmis.insert(u);
  EXPECT_EQ(iip_vmis, (std::set<std::string>{t.vmi.uuid, vmi(t, 0)->uuid, vmi(t, 1)->uuid}));

  auto scheduled = work("schedule");
  ASSERT_EQ(scheduled.size(), 2u);
  EXPECT_EQ(scheduled[0],
            "scheduled " + vm(t, 0)->name() + " on " + host(t, 0) + " (active, local-pref 200)");
  EXPECT_EQ(scheduled[1],
            "scheduled " + vm(t, 1)->name() + " on " + host(t, 1) + " (standby, local-pref 100)");
  auto intro = monitor_->introspect()["loadbalancers"][0]["instances"];
  EXPECT_EQ(intro[0]["vrouter"], host(t, 0));
  EXPECT_EQ(intro[1]["role"], "standby");
}

// The placement is told as a Kubernetes Event on the loadbalancer's object (kube.event),
// once per placement, not on every reconcile.
TEST_F(SvcMonitorTest, PlacementIsPublishedAsAnEventOncePerChange) {
  std::vector<json> events;
  bus_.subscribe("test-events", "kube.event",
                 [&](const core::Envelope& e) { events.push_back(e.body); });
  start();
  agent("node-1", "up");
  TestLb t = fanout();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0]["uid"], t.uuid);
  EXPECT_EQ(events[0]["reason"], "FailedScheduling");
  EXPECT_EQ(events[0]["type"], "Warning");
  EXPECT_EQ(events[0]["component"], "svc-monitor");

  agent("node-2", "up");
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[1]["reason"], "Scheduled");
  EXPECT_EQ(events[1]["message"], "scheduled on node-1 (active) and node-2 (standby), "
                                  "service-instance " + si_of(t)->name());
  EXPECT_EQ(events[1]["host"], "node-1");

  // A change that leaves the placement alone tells nothing new.
  ConfigObject lb = *db_.read(t.uuid);
  lb.props["display_name"] = "default__ing";
  must(db_.update(lb));
  monitor_->resync();
  bus_.run_until_idle();
  EXPECT_EQ(events.size(), 2u);

  // A restarted svc-monitor finds the placement made: nothing new to tell.
  monitor_.reset();
  start();
  agent("node-1", "up");
  agent("node-2", "up");
  EXPECT_EQ(host(t, 0), "node-1");
  EXPECT_EQ(events.size(), 2u);
  // Unless it has to move something.
  agent("node-3", "up");
  agent("node-1", "down");
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[2]["reason"], "Scheduled");
  EXPECT_EQ(events[2]["host"], "node-3");
}

TEST_F(SvcMonitorTest, ReconcileConvergesWithoutRewrites) {
  start();
  agent("node-1", "up");
  agent("node-2", "up");
  TestLb t = fanout();
  changes_.clear();
  // A change that does not affect the result: svc-monitor reconciles and writes nothing.
  ConfigObject lb = *db_.read(t.uuid);
  lb.props["display_name"] = "default__ing";
  must(db_.update(lb));
  monitor_->resync();
  bus_.run_until_idle();
  EXPECT_EQ(changes_.size(), 1u) << changes_.back().dump();
}

TEST_F(SvcMonitorTest, AntiAffinityWithThreeVrouters) {
  start();
  agent("node-1", "up");
  agent("node-2", "up");
  agent("node-3", "up");
  // Many loadbalancers (each a fresh random choice): the two instances never share a vrouter,
  // and the choices spread over all three.
  std::set<std::string> used;
  for (int n = 0; n < 40; ++n) {
    char uuid[40];
    std::snprintf(uuid, sizeof uuid, "00000000-0000-4000-8000-%012d", n);
    TestLb t = make_lb(uuid);
    add_rules(t, {{"", "/", "10.96.0.11", 80}});
    const std::string a = host(t, 0), b = host(t, 1);
    ASSERT_FALSE(a.empty());
    ASSERT_FALSE(b.empty());
    EXPECT_NE(a, b) << "lb " << n;
    used.insert(a);
    used.insert(b);
  }
  EXPECT_EQ(used, (std::set<std::string>{"node-1", "node-2", "node-3"}));
}

// The scheduler alone, over many seeds: distinct vrouters always; same seed, same choice.
TEST(VrouterSchedulerSeeds, AntiAffinityAndDeterminismOverSeeds) {
  std::set<std::pair<std::string, std::string>> placements;
  for (uint64_t seed = 0; seed < 30; ++seed) {
    std::pair<std::string, std::string> first_run;
    for (int run = 0; run < 2; ++run) {
      core::SimulatedClock clock;
      core::Bus bus(clock, core::Bus::Mode::kDeterministic);
      controller::ConfigDb db(bus, clock, ":memory:", 1);
      ASSERT_TRUE(controller::provision_defaults(db).is_ok());
      for (const char* node : {"node-1", "node-2", "node-3"})
        ASSERT_TRUE(controller::add_virtual_router(db, node, "169.254.1.1").is_ok());
      std::vector<InstanceStatus> instances(2);
      for (int i = 0; i < 2; ++i) {
        ConfigObject v;
        v.type = "virtual-machine";
        v.fq_name = {"vm-" + std::to_string(i)};
        instances[i].index = i;
        instances[i].vm_name = v.fq_name[0];
        instances[i].vm_uuid = db.create(v)->uuid;
      }
      VrouterScheduler s(seed);
      for (const char* node : {"node-1", "node-2", "node-3"}) s.set_agent_state(node, true);
      Context ctx{bus, db, "/var/lib/contrail"};
      ASSERT_TRUE(s.place(ctx, instances).is_ok());
      ASSERT_FALSE(instances[0].vrouter.empty());
      ASSERT_FALSE(instances[1].vrouter.empty());
      EXPECT_NE(instances[0].vrouter, instances[1].vrouter) << "seed " << seed;
      std::pair<std::string, std::string> p{instances[0].vrouter, instances[1].vrouter};
      if (run == 0)
        first_run = p;
      else
        EXPECT_EQ(p, first_run) << "seed " << seed;
      placements.insert(p);
      bus.run_until_idle();
    }
  }
  EXPECT_GT(placements.size(), 3u);  // the seed matters
}

TEST_F(SvcMonitorTest, OneLiveVrouterLeavesStandbyUnscheduledWithAReason) {
  start();
  agent("node-1", "up");
  TestLb t = fanout();
  EXPECT_EQ(host(t, 0), "node-1");
  EXPECT_EQ(host(t, 1), "");
  auto failed = work("schedule.failed");
  ASSERT_EQ(failed.size(), 1u);  // recorded once, not on every reconcile
  EXPECT_EQ(failed[0], "cannot schedule " + vm(t, 1)->name() +
                           " (standby, local-pref 100): no vrouters are available: live vrouters "
                           "[node-1], excluded by anti-affinity [node-1]");
  auto inst = monitor_->introspect()["loadbalancers"][0]["instances"][1];
  EXPECT_TRUE(inst["vrouter"].is_null());
  EXPECT_NE(inst["unscheduled_reason"].get<std::string>().find("no vrouters are available"),
            std::string::npos);

  // A second agent comes up: the waiting instance is placed there.
  agent("node-2", "up");
  EXPECT_EQ(host(t, 0), "node-1");
  EXPECT_EQ(host(t, 1), "node-2");
  EXPECT_FALSE(
      monitor_->introspect()["loadbalancers"][0]["instances"][1].contains("unscheduled_reason"));
}

// A compute node provisioned after svc-monitor read the vrouters (its virtual-router is
// new) is a candidate once its agent is up.
TEST_F(SvcMonitorTest, AVrouterProvisionedLaterIsUsed) {
  start();
  agent("node-1", "up");
  TestLb t = fanout();
  EXPECT_EQ(host(t, 0), "node-1");
  EXPECT_EQ(host(t, 1), "");
  ASSERT_TRUE(controller::add_virtual_router(db_, "node-9", "169.254.1.9").is_ok());
  bus_.run_until_idle();
  agent("node-9", "up");
  EXPECT_EQ(host(t, 0), "node-1");
  EXPECT_EQ(host(t, 1), "node-9");
}

TEST_F(SvcMonitorTest, NoLiveVrouterSchedulesNothing) {
  start();
  TestLb t = fanout();
  ASSERT_TRUE(vm(t, 0) && vm(t, 1));
  EXPECT_EQ(host(t, 0), "");
  EXPECT_EQ(host(t, 1), "");
  EXPECT_EQ(work("schedule.failed").size(), 2u);
}

TEST_F(SvcMonitorTest, AgentDownReschedulesAwayFromIt) {
  start();
  agent("node-1", "up");
  agent("node-2", "up");
  agent("node-3", "up");
  TestLb t = fanout();
  const std::string active = host(t, 0), standby = host(t, 1);
  ASSERT_NE(active, standby);
  std::set<std::string> all = {"node-1", "node-2", "node-3"};
  all.erase(active);
  all.erase(standby);
  const std::string spare = *all.begin();

  agent(active, "down");
  EXPECT_EQ(host(t, 0), spare);    // the only live vrouter not hosting the standby
  EXPECT_EQ(host(t, 1), standby);  // untouched
  auto unscheduled = work("unschedule");
  ASSERT_EQ(unscheduled.size(), 1u);
  EXPECT_EQ(unscheduled[0], "unscheduled " + vm(t, 0)->name() + " from " + active + ": agent down");
  // The active keeps its local preference (Contrail never swaps, §3.6).
  EXPECT_EQ(vmi(t, 0)->props["virtual_machine_interface_properties"]["local_preference"], 200);

  // With only one live vrouter left for two instances, one waits.
  agent(standby, "down");
  EXPECT_EQ(host(t, 0), spare);
  EXPECT_EQ(host(t, 1), "");
  EXPECT_EQ(monitor_->introspect()["agents"][active], "down");
}

TEST_F(SvcMonitorTest, MemberChangeUpdatesTheText) {
  start();
  TestLb t = fanout();
  const std::string before = binding(*si_of(t), "haproxy_config");
  const int updates = count_changes("service-instance", "update");
  ConfigObject m = *db_.read(t.members[1].uuid);
  m.props["loadbalancer_member_properties"]["address"] = "10.96.0.99";
  must(db_.update(m));
  bus_.run_until_idle();
  const std::string after = binding(*si_of(t), "haproxy_config");
  EXPECT_NE(after, before);
  EXPECT_NE(after.find("\tserver " + t.members[1].uuid + " 10.96.0.99:8080 weight 1\n"),
            std::string::npos);
  EXPECT_EQ(count_changes("service-instance", "update"), updates + 1);

  // A new rule (listener + pool + member) appears in the same frontend, after the others.
  add_rules(t, {{"foo.com", "", "10.96.0.13", 80}});
  const std::string third = binding(*si_of(t), "haproxy_config");
  EXPECT_NE(third.find("\tuse_backend " + t.pools[2].uuid + " if " + t.pools[2].uuid + "_host \n"),
            std::string::npos);
  EXPECT_LT(third.find("use_backend " + t.pools[1].uuid),
            third.find("use_backend " + t.pools[2].uuid));

  // A member deleted: its server line goes.
  ASSERT_TRUE(db_.remove("loadbalancer-member", t.members[2].uuid).is_ok());
  bus_.run_until_idle();
  EXPECT_EQ(binding(*si_of(t), "haproxy_config").find(t.members[2].uuid), std::string::npos);
}

TEST_F(SvcMonitorTest, RenderRefusalIsRecordedAndCreatesNoServiceInstance) {
  start();
  TestLb t = make_lb(kLbUuid);
  add_rules(t, {{"foo.com bar.com", "/", "10.96.0.11", 80}});
  EXPECT_FALSE(si_of(t));
  auto lb = monitor_->introspect()["loadbalancers"][0];
  ASSERT_FALSE(lb["errors"].empty());
  EXPECT_NE(lb["errors"][0].get<std::string>().find("annotations.host \"foo.com bar.com\""),
            std::string::npos)
      << lb["errors"].dump();
  auto failed = work("haproxy.render.failed");
  ASSERT_FALSE(failed.empty());
  EXPECT_NE(failed.back().find("loadbalancer-pool " + t.pools[0].uuid + ": annotations.host"),
            std::string::npos);
}

TEST_F(SvcMonitorTest, RenderRefusalKeepsTheLastGoodText) {
  start();
  TestLb t = fanout();
  const std::string good = binding(*si_of(t), "haproxy_config");
  ConfigObject p = *db_.read(t.pools[0].uuid);
  p.props["annotations"] = kvps({{"type", "acl"}, {"path", "/a#b"}, {"index", "0"}});
  must(db_.update(p));
  bus_.run_until_idle();
  EXPECT_EQ(binding(*si_of(t), "haproxy_config"), good);
  EXPECT_FALSE(monitor_->introspect()["loadbalancers"][0]["errors"].empty());
}

TEST_F(SvcMonitorTest, FloatingIpOfTheVipFollowsBothInstances) {
  start();
  agent("node-1", "up");
  agent("node-2", "up");
  TestLb t = fanout();
  auto pool = db_.read_fq("floating-ip-pool", {"default-domain", "default-project", "__public__",
                                               "__fip_pool_public__"});
  ASSERT_TRUE(pool);
  ConfigObject fip =
      make("floating-ip",
           {"default-domain", "default-project", "__public__", "__fip_pool_public__", "ext"},
           "floating-ip-pool", pool->uuid);
  fip.refs = {ref("project", project_.uuid), ref("virtual-machine-interface", t.vmi.uuid)};
  fip = must(db_.create(fip));
  bus_.run_until_idle();
  std::set<std::string> refs;
  for (const auto& u : db_.read(fip.uuid)->ref_uuids("virtual-machine-interface")) refs.insert(u);
  EXPECT_EQ(refs, (std::set<std::string>{t.vmi.uuid, vmi(t, 0)->uuid, vmi(t, 1)->uuid}));

  // kube-manager deallocates it (clears the FIP's VMI refs, then deletes it): nothing blocks.
  ConfigObject f = *db_.read(fip.uuid);
  f.refs = {ref("project", project_.uuid)};
  must(db_.update(f));
  bus_.run_until_idle();
  EXPECT_TRUE(db_.remove("floating-ip", fip.uuid).is_ok());
  bus_.run_until_idle();
  EXPECT_TRUE(si_of(t));
}

TEST_F(SvcMonitorTest, LoadbalancerDeleteRemovesServiceInstanceVmsAndVmis) {
  start();
  agent("node-1", "up");
  agent("node-2", "up");
  TestLb t = fanout();
  const std::string si_uuid = si_of(t)->uuid;
  ASSERT_TRUE(vm(t, 0) && vm(t, 1) && vmi(t, 0) && vmi(t, 1));

  // kube-manager's delete order (§1.8): members, pools, listeners, then the loadbalancer.
  for (const auto& m : t.members) ASSERT_TRUE(db_.remove("loadbalancer-member", m.uuid).is_ok());
  for (const auto& p : t.pools) ASSERT_TRUE(db_.remove("loadbalancer-pool", p.uuid).is_ok());
  for (const auto& l : t.listeners)
    ASSERT_TRUE(db_.remove("loadbalancer-listener", l.uuid).is_ok());
  bus_.run_until_idle();
  auto s = db_.remove("loadbalancer", t.uuid);
  ASSERT_TRUE(s.is_ok()) << s.to_string();
  bus_.run_until_idle();

  EXPECT_FALSE(db_.read(si_uuid));
  EXPECT_FALSE(vm(t, 0));
  EXPECT_FALSE(vm(t, 1));
  EXPECT_FALSE(vmi(t, 0));
  EXPECT_FALSE(vmi(t, 1));
  for (const char* node : {"node-1", "node-2"})
    EXPECT_TRUE(db_.read_fq("virtual-router", {"default-global-system-config", node})
                    ->ref_uuids("virtual-machine")
                    .empty());
  EXPECT_EQ(db_.read(t.iip.uuid)->ref_uuids("virtual-machine-interface"),
            std::vector<std::string>{t.vmi.uuid});
  // kube-manager can now delete the VIP instance-ip and VMI.
  EXPECT_TRUE(db_.remove("instance-ip", t.iip.uuid).is_ok());
  EXPECT_TRUE(db_.remove("virtual-machine-interface", t.vmi.uuid).is_ok());
  bus_.run_until_idle();
  EXPECT_TRUE(monitor_->introspect()["loadbalancers"].empty());
  EXPECT_FALSE(work("si.delete").empty());
}

TEST_F(SvcMonitorTest, StartupSyncBuildsExistingLoadbalancersAndRemovesLeftovers) {
  // Before svc-monitor starts: a loadbalancer made while it was down, and the leftovers
  // of one deleted while it was down (its SI, a VM on node-1 with its VMI).
  TestLb t = fanout();
  const std::string gone = "0d9e8f7a-6b5c-4d3e-8f2a-1b0c9d8e7f01";
  ConfigObject si =
      make("service-instance", {"default-domain", kProject, gone}, "project", project_.uuid);
  si.props["service_instance_bindings"] =
      kvps({{"lb_version", "v2"}, {"lb_uuid", gone}, {"haproxy_config", "x"}});
  si = must(db_.create(si));
  ConfigObject v = make("virtual-machine", {"default-domain__k8s-default__" + gone + "__1"});
  v.refs = {ref("service-instance", si.uuid)};
  v = must(db_.create(v));
  ConfigObject itf =
      make("virtual-machine-interface", {"default-domain", kProject, v.name() + "__right__1"},
           "project", project_.uuid);
  itf.refs = {ref("virtual-machine", v.uuid), ref("virtual-network", pod_vn_.uuid)};
  itf = must(db_.create(itf));
  auto vr = db_.read_fq("virtual-router", {"default-global-system-config", "node-1"});
  ASSERT_TRUE(
      db_.ref_update("virtual-router", vr->uuid, "virtual-machine", v.uuid, controller::RefOp::kAdd)
          .is_ok());
  bus_.run_until_idle();
  EXPECT_FALSE(si_of(t));

  start();
  EXPECT_TRUE(si_of(t));
  EXPECT_FALSE(db_.read(si.uuid));
  EXPECT_FALSE(db_.read(v.uuid));
  EXPECT_FALSE(db_.read(itf.uuid));
  EXPECT_TRUE(db_.read(vr->uuid)->ref_uuids("virtual-machine").empty());
}

TEST_F(SvcMonitorTest, NativeLoadbalancerGetsClusterIpFloatingIp) {
  start();
  // The Service VIP (clusterIP) and two pods' VMIs.
  ConfigObject svc_vmi =
      make("virtual-machine-interface", {"default-domain", kProject, "k8s__Service__web"},
           "project", project_.uuid);
  svc_vmi.refs = {ref("virtual-network", pod_vn_.uuid)};
  svc_vmi = must(db_.create(svc_vmi));
  ConfigObject iip = make("instance-ip", {"web__iip"});
  iip.props["instance_ip_address"] = "10.47.0.10";
  iip.refs = {ref("virtual-network", pod_vn_.uuid), ref("virtual-machine-interface", svc_vmi.uuid)};
  iip = must(db_.create(iip));
  std::vector<ConfigObject> pods;
  for (int i = 0; i < 2; ++i) {
    ConfigObject p =
        make("virtual-machine-interface", {"default-domain", kProject, "pod-" + std::to_string(i)},
             "project", project_.uuid);
    p.refs = {ref("virtual-network", pod_vn_.uuid)};
    pods.push_back(must(db_.create(p)));
  }
  const std::string lb_uuid = "5e4d3c2b-1a09-4f8e-9d7c-6b5a4f3e2d10";
  ConfigObject lb = make("loadbalancer", {"default-domain", kProject, "web__" + lb_uuid}, "project",
                         project_.uuid);
  lb.uuid = lb_uuid;
  lb.props["loadbalancer_provider"] = "native";
  lb.props["loadbalancer_properties"] = {{"vip_address", "10.47.0.10"}};
  lb.refs = {ref("virtual-machine-interface", svc_vmi.uuid)};
  must(db_.create(lb));
  ConfigObject l = make("loadbalancer-listener", {"default-domain", kProject, "web-TCP-80"},
                        "project", project_.uuid);
  l.props["loadbalancer_listener_properties"] = {{"protocol", "TCP"}, {"protocol_port", 80}};
  l.refs = {ref("loadbalancer", lb_uuid)};
  l = must(db_.create(l));
  ConfigObject p = make("loadbalancer-pool", {"default-domain", kProject, "web-TCP-80"}, "project",
                        project_.uuid);
  p.props["loadbalancer_pool_properties"] = {{"protocol", "TCP"}};
  p.refs = {ref("loadbalancer-listener", l.uuid)};
  p = must(db_.create(p));
  std::vector<ConfigObject> members;
  for (int i = 0; i < 2; ++i) {
    FqName fq = p.fq_name;
    fq.push_back("m" + std::to_string(i));
    ConfigObject m = make("loadbalancer-member", fq, "loadbalancer-pool", p.uuid);
    m.props["loadbalancer_member_properties"] = {{"protocol_port", 8080}, {"admin_state", true}};
    m.props["annotations"] = kvps({{"vmi", pods[i].uuid}, {"vm", "pod-uid-" + std::to_string(i)}});
    members.push_back(must(db_.create(m)));
  }
  bus_.run_until_idle();

  auto fips = db_.children(iip.uuid, "floating-ip");
  ASSERT_EQ(fips.size(), 1u);
  const ConfigObject& fip = fips[0];
  EXPECT_EQ(fip.props["floating_ip_address"], "10.47.0.10");
  EXPECT_EQ(fip.props["floating_ip_traffic_direction"], "ingress");
  EXPECT_EQ(fip.props["floating_ip_port_mappings_enable"], true);
  EXPECT_EQ(fip.props["floating_ip_port_mappings"],
            json::parse(R"({"port_mappings":[{"protocol":"TCP","src_port":80,"dst_port":8080}]})"));
  std::set<std::string> vmis;
  for (const auto& u : fip.ref_uuids("virtual-machine-interface")) vmis.insert(u);
  EXPECT_EQ(vmis, (std::set<std::string>{pods[0].uuid, pods[1].uuid}));
  EXPECT_EQ(fip.ref_uuids("project"), std::vector<std::string>{project_.uuid});
  EXPECT_FALSE(db_.read_fq("service-instance", {"default-domain", kProject, lb_uuid}));

  // A pod goes away: its member is deleted, the FIP lets go of its VMI.
  ASSERT_TRUE(db_.remove("loadbalancer-member", members[1].uuid).is_ok());
  bus_.run_until_idle();
  EXPECT_EQ(db_.read(fip.uuid)->ref_uuids("virtual-machine-interface"),
            std::vector<std::string>{pods[0].uuid});
  EXPECT_TRUE(db_.remove("virtual-machine-interface", pods[1].uuid).is_ok());

  // The Service is deleted: the FIP goes, so kube-manager can delete the clusterIP.
  ASSERT_TRUE(db_.remove("loadbalancer-member", members[0].uuid).is_ok());
  ASSERT_TRUE(db_.remove("loadbalancer-pool", p.uuid).is_ok());
  ASSERT_TRUE(db_.remove("loadbalancer-listener", l.uuid).is_ok());
  ASSERT_TRUE(db_.remove("loadbalancer", lb_uuid).is_ok());
  bus_.run_until_idle();
  EXPECT_TRUE(db_.children(iip.uuid, "floating-ip").empty());
  EXPECT_TRUE(db_.remove("instance-ip", iip.uuid).is_ok());
}

TEST_F(SvcMonitorTest, ProviderSwitchTearsDownTheServiceInstance) {
  start();
  agent("node-1", "up");
  agent("node-2", "up");
  TestLb t = fanout();
  ASSERT_TRUE(si_of(t));
  ConfigObject lb = *db_.read(t.uuid);
  lb.props["loadbalancer_provider"] = "native";
  must(db_.update(lb));
  bus_.run_until_idle();
  EXPECT_FALSE(si_of(t));
  EXPECT_FALSE(vm(t, 0));
  EXPECT_EQ(db_.read(t.uuid)->ref_uuids("service-instance").size(), 0u);
  EXPECT_EQ(db_.children(t.iip.uuid, "floating-ip").size(), 1u);
}

TEST_F(SvcMonitorTest, VipWithoutInstanceIpHasNoServiceInstance) {
  start();
  TestLb t = fanout();
  ASSERT_TRUE(si_of(t));
  ASSERT_TRUE(db_.remove("instance-ip", t.iip.uuid).is_ok());
  bus_.run_until_idle();
  EXPECT_FALSE(si_of(t));
  EXPECT_FALSE(vm(t, 0));
}

// What one change costs does not grow with the number of loadbalancers: no list() of a
// type, and the same reads and query rows whether 5 or 45 Services share the pods.
TEST_F(SvcMonitorTest, OneServiceChangeCostsTheSameAtAnyScale) {
  CountingApi api(db_);
  start(1, &api);
  std::vector<std::string> pods;
  for (int i = 0; i < 2; ++i) pods.push_back(pod_vmi("pod-" + std::to_string(i)));
  std::vector<TestLb> lbs;
  auto grow = [&](int to) {
    while (static_cast<int>(lbs.size()) < to) {
      char uuid[40];
      std::snprintf(uuid, sizeof uuid, "00000000-0000-4000-8000-%012zu", lbs.size());
      lbs.push_back(make_native_lb(uuid, pods));
      bus_.run_until_idle();
    }
  };
  // Patch one Service's port, then delete another: the reads of both, at a given size.
  auto cost = [&](int port) {
    api.reset();
    ConfigObject l = *db_.read(lbs[1].listeners[0].uuid);
    l.props["loadbalancer_listener_properties"]["protocol_port"] = port;
    must(db_.update(l));
    bus_.run_until_idle();
    TestLb gone = lbs.back();
    lbs.pop_back();
    delete_lb(gone);
    return std::vector<size_t>{api.lists, api.reads, api.queries, api.rows};
  };
  grow(6);
  const auto small = cost(81);
  grow(46);
  const auto large = cost(82);
  EXPECT_EQ(small[0], 0u) << "no list() per change";
  EXPECT_EQ(large, small) << "lists, reads, queries, rows at 5 vs 45 Services";
  EXPECT_GT(small[1], 0u);
  // And the work was done: the patched Service's floating-ip maps port 82.
  auto fips = db_.children(lbs[1].iip.uuid, "floating-ip");
  ASSERT_EQ(fips.size(), 1u);
  EXPECT_EQ(fips[0].props["floating_ip_port_mappings"]["port_mappings"][0]["src_port"], 82);
}

size_t stats_si_creates = 0, stats_stale_deletes = 0;  // over the random sequences

// Random creates, updates and deletes of native and opencontrail loadbalancers (fixed seed)
// end where a svc-monitor started from scratch on the final config finds nothing to write
// and reports the same loadbalancers: service-instances with their texts and placements,
// clusterIP floating-ips, no leftovers of deleted ones.
class RandomSequence : public SvcMonitorTest {
 public:
  void TestBody() override {}
  void run(uint64_t seed, int rounds);
};

void RandomSequence::run(uint64_t seed, int rounds) {
  start(seed);
  std::mt19937_64 rng(seed);
  auto pick = [&](size_t n) { return static_cast<size_t>(rng() % n); };
  std::vector<std::string> pods;
  for (int i = 0; i < 4; ++i) pods.push_back(pod_vmi("pod-" + std::to_string(i)));
  struct Lb {
    TestLb t;
    std::vector<std::string> detached_iips;  // instance-ips taken off the VIP VMI
    std::vector<std::string> fips;           // user floating-ips on the VIP VMI
  };
  const auto pool = *db_.read_fq("floating-ip-pool", {"default-domain", "default-project",
                                                      "__public__", "__fip_pool_public__"});
  std::vector<Lb> lbs;
  int seq = 0;
  auto next_uuid = [&] {
    char uuid[40];
    std::snprintf(uuid, sizeof uuid, "10000000-0000-4000-8000-%012d", seq++);
    return std::string(uuid);
  };
  auto some_pods = [&] {
    std::vector<std::string> out;
    for (const auto& p : pods)
      if (pick(2)) out.push_back(p);
    return out;
  };
  for (int round = 0; round < rounds; ++round) {
    const size_t op = pick(11);
    if (op == 0 || lbs.empty()) {
      lbs.push_back({make_native_lb(next_uuid(), some_pods(), 80 + static_cast<int>(pick(3)))});
    } else if (op == 1) {
      Lb lb{make_lb(next_uuid())};
      add_rules(lb.t, {{"", "/a", "10.96.0.11", 80}, {"", "", "10.96.0.12", 8080, true}});
      lbs.push_back(lb);
    } else if (op == 2) {
      const size_t i = pick(lbs.size());
      delete_lb(lbs[i].t, lbs[i].detached_iips, lbs[i].fips);
      lbs.erase(lbs.begin() + static_cast<long>(i));
    } else if (op == 3) {  // a Service's port
      Lb& lb = lbs[pick(lbs.size())];
      ConfigObject l = *db_.read(lb.t.listeners[0].uuid);
      l.props["loadbalancer_listener_properties"]["protocol_port"] = 80 + static_cast<int>(pick(3));
      must(db_.update(l));
    } else if (op == 4) {  // a pod comes or goes
      Lb& lb = lbs[pick(lbs.size())];
      if (!lb.t.members.empty() && pick(2)) {
        EXPECT_TRUE(db_.remove("loadbalancer-member", lb.t.members.back().uuid).is_ok());
        lb.t.members.pop_back();
      } else {
        add_native_member(lb.t, pods[pick(pods.size())]);
      }
    } else if (op == 5) {  // provider switch
      Lb& lb = lbs[pick(lbs.size())];
      ConfigObject o = *db_.read(lb.t.uuid);
      o.props["loadbalancer_provider"] =
          o.props.value("loadbalancer_provider", "") == "native" ? "opencontrail" : "native";
      must(db_.update(o));
    } else if (op == 6) {  // the VIP's instance-ip is replaced: a new one, the old let go
      Lb& lb = lbs[pick(lbs.size())];
      ConfigObject iip = make("instance-ip", {"iip-" + std::to_string(seq++)});
      iip.refs = {ref("virtual-network", pod_vn_.uuid),
                  ref("virtual-machine-interface", lb.t.vmi.uuid)};
      ConfigObject fresh = must(db_.create(iip));
      bus_.run_until_idle();
      EXPECT_TRUE(db_.ref_update("instance-ip", lb.t.iip.uuid, "virtual-machine-interface",
                                 lb.t.vmi.uuid, controller::RefOp::kDelete)
                      .is_ok());
      lb.detached_iips.push_back(lb.t.iip.uuid);
      lb.t.iip = fresh;
    } else if (op == 7) {  // an external IP: a public floating-ip on the VIP VMI, or not
      Lb& lb = lbs[pick(lbs.size())];
      if (!lb.fips.empty() && pick(2)) {
        // svc-monitor's refs from it to the instances' VMIs go with it.
        EXPECT_TRUE(db_.remove("floating-ip", lb.fips.back()).is_ok());
        lb.fips.pop_back();
      } else {
        ConfigObject fip = make("floating-ip", pool.fq_name, "floating-ip-pool", pool.uuid);
        fip.fq_name.push_back("ext-" + std::to_string(seq++));
        fip.refs = {ref("virtual-machine-interface", lb.t.vmi.uuid)};
        lb.fips.push_back(must(db_.create(fip)).uuid);
      }
    } else {
      agent("node-" + std::to_string(1 + pick(3)), pick(3) ? "up" : "down");
    }
    bus_.run_until_idle();
  }
  stats_si_creates += work("si.create").size();
  stats_stale_deletes += work("native.fip.delete").size();
  const json before = monitor_->introspect();
  const size_t writes = changes_.size();

  // A second svc-monitor, started from scratch on the same config and told the same agent
  // states: its startup sync reconciles every loadbalancer and must find nothing to do.
  SvcMonitor fresh(bus_, db_, SvcMonitorOptions{"/var/lib/contrail", 99});
  ASSERT_TRUE(fresh.start().is_ok());
  for (const auto& [node, state] : before["agents"].items())
    bus_.publish("agent-" + node, "agent.status",
                 {{"node", node}, {"state", state}, {"summary", node + " " + std::string(state)}});
  bus_.run_until_idle();
  std::string written;
  for (size_t i = writes; i < changes_.size(); ++i) written += changes_[i].dump() + "\n";
  EXPECT_EQ(changes_.size(), writes) << "the fresh svc-monitor wrote:\n" << written;
  EXPECT_EQ(fresh.introspect()["loadbalancers"], before["loadbalancers"]);
  EXPECT_EQ(before["loadbalancers"].size(), lbs.size());
}

TEST(SvcMonitorRandom, ChangesEndWhereAFreshSvcMonitorFindsNothingToDo) {
  for (uint64_t seed = 1; seed <= 12; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    RandomSequence sequence;
    sequence.run(seed, 40);
  }
  EXPECT_GT(stats_si_creates, 0u);
  EXPECT_GT(stats_stale_deletes, 0u) << "clusterIP floating-ips were removed (stale or deleted)";
}

// The same module on the threaded bus (its own strand; introspect() from this thread).
TEST(SvcMonitorThreaded, BuildsTheServiceInstanceAndSchedulesBoth) {
  core::SimulatedClock clock;
  core::Bus bus(clock, core::Bus::Mode::kThreaded, 4);
  controller::ConfigDb db(bus, clock, ":memory:", 3);
  ASSERT_TRUE(controller::provision_defaults(db).is_ok());
  for (const char* node : {"node-1", "node-2"})
    ASSERT_TRUE(controller::add_virtual_router(db, node, "169.254.1.1").is_ok());
  SvcMonitor monitor(bus, db, SvcMonitorOptions{"/var/lib/contrail", 5});
  ASSERT_TRUE(monitor.start().is_ok());
  for (const char* node : {"node-1", "node-2"})
    bus.publish("agent", "agent.status", {{"node", node}, {"state", "up"}});

  auto project = db.read_fq("project", {"default-domain", "default-project"});
  auto vn = db.read_fq("virtual-network", {"default-domain", "default-project", "__public__"});
  ASSERT_TRUE(project && vn);
  ConfigObject vmi = make("virtual-machine-interface", {"default-domain", "default-project", "vip"},
                          "project", project->uuid);
  vmi.props["virtual_machine_interface_device_owner"] = "K8S:LOADBALANCER";
  vmi.refs = {ref("virtual-network", vn->uuid)};
  vmi = *db.create(vmi);
  ConfigObject iip = make("instance-ip", {"vip-iip"});
  iip.refs = {ref("virtual-network", vn->uuid), ref("virtual-machine-interface", vmi.uuid)};
  iip = *db.create(iip);
  ConfigObject lb =
      make("loadbalancer", {"default-domain", "default-project", "ing"}, "project", project->uuid);
  lb.props["loadbalancer_properties"] = {{"vip_address", iip.props["instance_ip_address"]}};
  lb.refs = {ref("virtual-machine-interface", vmi.uuid)};
  lb = *db.create(lb);
  ConfigObject l = make("loadbalancer-listener", {"default-domain", "default-project", "l"},
                        "project", project->uuid);
  l.props["loadbalancer_listener_properties"] = {{"protocol", "HTTP"}, {"protocol_port", "80"}};
  l.refs = {ref("loadbalancer", lb.uuid)};
  l = *db.create(l);
  ConfigObject p = make("loadbalancer-pool", {"default-domain", "default-project", "l"}, "project",
                        project->uuid);
  p.props["loadbalancer_pool_properties"] = {{"protocol", "HTTP"},
                                             {"loadbalancer_method", "ROUND_ROBIN"}};
  p.props["annotations"] = kvps({{"type", "default"}, {"index", "0"}});
  p.refs = {ref("loadbalancer-listener", l.uuid)};
  p = *db.create(p);
  ConfigObject m = make("loadbalancer-member", {"default-domain", "default-project", "l", "m"},
                        "loadbalancer-pool", p.uuid);
  m.props["loadbalancer_member_properties"] = {{"address", "10.96.0.10"}, {"protocol_port", 80}};
  ASSERT_TRUE(db.create(m).is_ok());

  ASSERT_TRUE(bus.run_until_idle(std::chrono::seconds(20)));
  auto intro = monitor.introspect();
  ASSERT_EQ(intro["loadbalancers"].size(), 1u) << intro.dump();
  const json& st = intro["loadbalancers"][0];
  EXPECT_EQ(st["service_instance"]["frontends"], 1);
  std::set<std::string> nodes;
  for (const auto& in : st["instances"])
    if (in["vrouter"].is_string()) nodes.insert(in["vrouter"].get<std::string>());
  EXPECT_EQ(nodes, (std::set<std::string>{"node-1", "node-2"})) << st.dump();
  auto si = db.read_fq("service-instance", {"default-domain", "default-project", lb.uuid});
  ASSERT_TRUE(si);
  EXPECT_NE(si->props["service_instance_bindings"].dump().find("default_backend " + p.uuid),
            std::string::npos);
}

}  // namespace
}  // namespace csim::svcmon
