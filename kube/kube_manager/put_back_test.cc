// What a resync puts back (kube/kube_manager/README.md, "What a resync puts back"): a user
// writes kube-manager's objects through the config API (the real config DB), then a fresh
// KubeManager starts over the same store and DB; each test asserts which writes were
// undone and which were kept.
#include <map>

#include <gtest/gtest.h>

#include "kube/kube_manager/kube_manager.h"
#include "kube/kube_manager/test_cluster.h"

namespace csim::kube {
namespace {

using controller::ConfigObject;
using controller::FqName;
using nlohmann::json;
using testing::TestCluster;

// A listener with its pool and members.
struct Tree {
  ConfigObject listener;
  ConfigObject pool;
  std::vector<ConfigObject> members;
};

class PutBackTest : public ::testing::Test {
 protected:
  void SetUp() override { c.start_kube_manager(); }

  // The Service web (ports 80/TCP "http", 53/UDP) with two pods behind it.
  void make_service_with_members() {
    json a = c.make_pod("default", "web-a", {{"app", "web"}}, "node-1");
    json b = c.make_pod("default", "web-b", {{"app", "web"}}, "node-2");
    svc = c.make_service("default", "web",
                         json::array({{{"name", "http"}, {"port", 80}, {"targetPort", 8080}},
                                      {{"name", "dns"}, {"port", 53}, {"protocol", "UDP"}}}));
    c.settle();
    c.create(c.endpoints_body("default", "web", {a, b},
                              json::array({{{"name", "http"}, {"port", 8080}, {"protocol", "TCP"}},
                                           {{"name", "dns"}, {"port", 53}, {"protocol", "UDP"}}})));
    c.settle();
  }

  // Listener trees of a loadbalancer, by protocol_port.
  std::map<int, Tree> trees(const std::string& lb_uuid) {
    std::map<int, Tree> out;
    for (const auto& l : c.db.back_refs(lb_uuid, "loadbalancer-listener")) {
      Tree t;
      t.listener = l;
      auto pools = c.db.back_refs(l.uuid, "loadbalancer-pool");
      if (!pools.empty()) {
        t.pool = pools[0];
        t.members = c.db.children(t.pool.uuid, "loadbalancer-member");
      }
      out[l.props["loadbalancer_listener_properties"]["protocol_port"].get<int>()] = t;
    }
    return out;
  }

  void delete_tree(const Tree& t) {
    for (const auto& m : t.members) {
      ASSERT_TRUE(c.db.remove("loadbalancer-member", m.uuid));
    }
    if (!t.pool.uuid.empty()) {
      ASSERT_TRUE(c.db.remove("loadbalancer-pool", t.pool.uuid));
    }
    ASSERT_TRUE(c.db.remove("loadbalancer-listener", t.listener.uuid));
  }

  // A user's PUT: `change` edits the stored object.
  void put(const std::string& uuid, const std::function<void(ConfigObject&)>& change) {
    auto o = c.db.read(uuid);
    ASSERT_TRUE(o);
    change(*o);
    auto updated = c.db.update(*o);
    ASSERT_TRUE(updated.is_ok()) << updated.status().to_string();
  }

  // kube-manager restarts: a fresh one resyncs.
  void resync() {
    c.stop_kube_manager();
    c.start_kube_manager();
    EXPECT_TRUE(c.km->introspect()["last_error"].empty()) << c.km->introspect()["last_error"].dump();
  }

  TestCluster c;
  json svc;
};

TEST_F(PutBackTest, ServiceListenersPoolsAndMembersArePutBack) {
  make_service_with_members();
  const std::string lb = svc["metadata"]["uid"];
  auto before = trees(lb);
  ASSERT_EQ(before.size(), 2u);
  ASSERT_EQ(before[80].members.size(), 2u);

  // Deleted: the whole UDP/53 tree; one member of 80; the pool of 80 would need its
  // members gone first, so delete the 80 tree's other member and pool in a second step.
  delete_tree(before[53]);
  ASSERT_TRUE(c.db.remove("loadbalancer-member", before[80].members[0].uuid));
  resync();
  auto after = trees(lb);
  ASSERT_EQ(after.size(), 2u);
  EXPECT_EQ(after[53].listener.props["loadbalancer_listener_properties"]["protocol"], "UDP");
  EXPECT_EQ(after[53].listener.annotation("portName"), "dns") << "with its annotations";
  EXPECT_EQ(after[53].members.size(), 2u) << "members follow from the Endpoints";
  EXPECT_EQ(after[80].listener.uuid, before[80].listener.uuid);
  EXPECT_EQ(after[80].members.size(), 2u);

  for (const auto& m : after[80].members) {

    ASSERT_TRUE(c.db.remove("loadbalancer-member", m.uuid));

  }
  ASSERT_TRUE(c.db.remove("loadbalancer-pool", after[80].pool.uuid));
  resync();
  after = trees(lb);
  EXPECT_EQ(after[80].listener.uuid, before[80].listener.uuid);
  ASSERT_FALSE(after[80].pool.uuid.empty()) << "the pool is put back under the same listener";
  EXPECT_EQ(after[80].pool.name(), after[80].listener.name());
  EXPECT_EQ(after[80].members.size(), 2u);
}

TEST_F(PutBackTest, ServiceListenerPortAndMemberPortArePutBackAdminStateAndWeightAreKept) {
  make_service_with_members();
  const std::string lb = svc["metadata"]["uid"];
  auto before = trees(lb);
  // The TCP listener moved to 8080; the UDP listener disabled, one of its members moved
  // to port 9999, the other one weighted.
  put(before[80].listener.uuid, [](ConfigObject& o) {
    o.props["loadbalancer_listener_properties"]["protocol_port"] = 8080;
  });
  put(before[53].listener.uuid, [](ConfigObject& o) {
    o.props["loadbalancer_listener_properties"]["admin_state"] = false;
    o.props.erase("annotations");  // portName
  });
  put(before[53].members[0].uuid, [](ConfigObject& o) {
    o.props["loadbalancer_member_properties"]["protocol_port"] = 9999;
  });
  put(before[53].members[1].uuid, [](ConfigObject& o) {
    o.props["loadbalancer_member_properties"]["weight"] = 5;
  });
  resync();
  auto after = trees(lb);
  ASSERT_EQ(after.size(), 2u) << "no listener on 8080 is left";
  ASSERT_TRUE(after.count(80));
  EXPECT_NE(after[80].listener.uuid, before[80].listener.uuid)
      << "a Service listener is matched by (port, protocol): the moved one is replaced";
  EXPECT_EQ(after[80].listener.annotation("portName"), "http");
  ASSERT_EQ(after[80].members.size(), 2u);
  for (const auto& m : after[80].members)
    EXPECT_EQ(m.props["loadbalancer_member_properties"]["protocol_port"], 8080);

  EXPECT_EQ(after[53].listener.uuid, before[53].listener.uuid);
  EXPECT_EQ(after[53].listener.props["loadbalancer_listener_properties"]["admin_state"], false)
      << "a listener's admin_state is not put back";
  EXPECT_EQ(after[53].listener.annotation("portName"), "dns") << "its portName is";
  std::map<std::string, ConfigObject> members;
  for (const auto& m : after[53].members) members[m.uuid] = m;
  ASSERT_EQ(members.size(), 2u);
  ASSERT_TRUE(members.count(before[53].members[0].uuid)) << "updated in place";
  EXPECT_EQ(members[before[53].members[0].uuid].props["loadbalancer_member_properties"]["protocol_port"], 53);
  ASSERT_TRUE(members.count(before[53].members[1].uuid));
  EXPECT_EQ(members[before[53].members[1].uuid].props["loadbalancer_member_properties"]["weight"], 5)
      << "a member's weight is not put back";
}

TEST_F(PutBackTest, DisabledServiceMemberStaysOutOfTraffic) {
  // PUT /loadbalancer-member admin_state false takes a server out of traffic and keeps it
  // out: neither a resync nor an Endpoints change puts it back.
  make_service_with_members();
  auto before = trees(svc["metadata"]["uid"]);
  const std::string member = before[80].members[0].uuid;
  put(member, [](ConfigObject& o) { o.props["loadbalancer_member_properties"]["admin_state"] = false; });
  resync();
  auto m = c.db.read(member);
  ASSERT_TRUE(m) << "the member is kept, not replaced";
  EXPECT_EQ(m->props["loadbalancer_member_properties"]["admin_state"], false);

  // An Endpoints port change updates the port, and only the port.
  json ep = c.get("Endpoints", "default", "web");
  ep["subsets"][0]["ports"][0]["port"] = 8081;
  c.update(ep);
  c.settle();
  m = c.db.read(member);
  ASSERT_TRUE(m);
  EXPECT_EQ(m->props["loadbalancer_member_properties"]["protocol_port"], 8081);
  EXPECT_EQ(m->props["loadbalancer_member_properties"]["admin_state"], false);
}

TEST_F(PutBackTest, DeletedServiceLoadbalancerIsPutBackOnItsVipInterface) {
  make_service_with_members();
  const std::string lb = svc["metadata"]["uid"];
  auto old = c.db.read(lb);
  const std::string vmi = old->ref_uuids("virtual-machine-interface").at(0);
  for (const auto& [port, t] : trees(lb)) delete_tree(t);
  ASSERT_TRUE(c.db.remove("loadbalancer", lb));
  resync();
  auto again = c.db.read(lb);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->ref_uuids("virtual-machine-interface"), std::vector<std::string>{vmi})
      << "the VIP interface (and its clusterIP) is adopted";
  EXPECT_EQ(again->props["loadbalancer_properties"]["vip_address"], svc["spec"]["clusterIP"]);
  auto after = trees(lb);
  EXPECT_EQ(after.size(), 2u);
  EXPECT_EQ(after[80].members.size(), 2u);
}

TEST_F(PutBackTest, ServiceLoadbalancerPropertiesAndVipAddressAreNotPutBack) {
  make_service_with_members();
  const std::string lb = svc["metadata"]["uid"];
  put(lb, [](ConfigObject& o) { o.props["loadbalancer_properties"]["admin_state"] = false; });
  auto vmi = c.db.read(c.db.read(lb)->ref_uuids("virtual-machine-interface").at(0));
  auto iip = c.db.back_refs(vmi->uuid, "instance-ip").at(0);
  ASSERT_TRUE(c.db.remove("instance-ip", iip.uuid));
  resync();
  EXPECT_EQ(c.db.read(lb)->props["loadbalancer_properties"]["admin_state"], false);
  EXPECT_TRUE(c.db.back_refs(vmi->uuid, "instance-ip").empty())
      << "the VIP instance-ip of an existing loadbalancer is not checked (as in Contrail)";
}

TEST_F(PutBackTest, PodInterfaceAddressRouterLinkAndLabelsArePutBack) {
  json pod = c.make_pod("default", "web", {{"app", "web"}}, "node-1");
  c.settle();
  const std::string uid = pod["metadata"]["uid"];
  auto vmi = c.db.back_refs(uid, "virtual-machine-interface").at(0);
  auto iip = c.db.back_refs(vmi.uuid, "instance-ip").at(0);
  auto vr = c.read_fq("virtual-router", {"default-global-system-config", "node-1"});
  const json labels = *c.db.read(uid)->annotation("labels");

  ASSERT_TRUE(c.db.remove("instance-ip", iip.uuid));
  ASSERT_TRUE(c.db.remove("virtual-machine-interface", vmi.uuid));
  ASSERT_TRUE(c.db.ref_update("virtual-router", vr->uuid, "virtual-machine", uid, controller::RefOp::kDelete));
  put(uid, [](ConfigObject& o) {
    auto kvs = o.props["annotations"]["key_value_pair"];
    for (auto& kv : kvs)
      if (kv["key"] == "labels") kv["value"] = "{}";
    o.props["annotations"]["key_value_pair"] = kvs;
  });
  resync();
  auto vmis = c.db.back_refs(uid, "virtual-machine-interface");
  ASSERT_EQ(vmis.size(), 1u) << "a new interface";
  EXPECT_NE(vmis[0].uuid, vmi.uuid);
  EXPECT_EQ(c.db.back_refs(vmis[0].uuid, "instance-ip").size(), 1u);
  EXPECT_EQ(c.db.back_refs(uid, "virtual-router").size(), 1u);
  EXPECT_EQ(*c.db.read(uid)->annotation("labels"), labels);
}

TEST_F(PutBackTest, NamespaceSecurityGroupAndAnnotationsArePutBackRulesAreNot) {
  c.make_namespace("dev");
  c.settle();
  auto project = c.read_fq("project", {"default-domain", "k8s-dev"});
  auto sg = c.read_fq("security-group", {"default-domain", "k8s-dev", "k8s-dev-default-sg"});
  const json annotations = project->props["annotations"];
  put(project->uuid, [](ConfigObject& o) { o.props.erase("annotations"); });
  ASSERT_TRUE(c.db.remove("security-group", sg->uuid));
  resync();
  EXPECT_EQ(c.read_fq("project", {"default-domain", "k8s-dev"})->props["annotations"], annotations);
  auto again = c.read_fq("security-group", {"default-domain", "k8s-dev", "k8s-dev-default-sg"});
  ASSERT_TRUE(again);
  EXPECT_EQ(again->props["security_group_entries"]["policy_rule"].size(), 4u);

  put(again->uuid, [](ConfigObject& o) { o.props["security_group_entries"]["policy_rule"] = json::array(); });
  resync();
  EXPECT_TRUE(c.read_fq("security-group", {"default-domain", "k8s-dev", "k8s-dev-default-sg"})
                  ->props["security_group_entries"]["policy_rule"]
                  .empty())
      << "rules are not compared";

  // The whole project (empty but for its security group).
  ASSERT_TRUE(c.db.remove("security-group", c.read_fq("security-group", {"default-domain", "k8s-dev", "k8s-dev-default-sg"})->uuid));
  ASSERT_TRUE(c.db.remove("project", project->uuid));
  resync();
  auto recreated = c.read_fq("project", {"default-domain", "k8s-dev"});
  ASSERT_TRUE(recreated);
  EXPECT_EQ(recreated->props["annotations"], annotations);
  EXPECT_TRUE(c.read_fq("security-group", {"default-domain", "k8s-dev", "k8s-dev-default-sg"}));
}

TEST_F(PutBackTest, IngressBackendsArePutBackMemberAdminStateIsKept) {
  c.make_service("default", "web", json::array({{{"port", 80}}}));
  c.make_service("default", "api", json::array({{{"port", 8000}}}));
  const json paths = json::array(
      {{{"path", "/a"}, {"pathType", "Prefix"}, {"backend", {{"service", {{"name", "web"}, {"port", {{"number", 80}}}}}}}},
       {{"path", "/b"}, {"pathType", "Exact"}, {"backend", {{"service", {{"name", "api"}, {"port", {{"number", 8000}}}}}}}},
       {{"path", "/c"}, {"pathType", "Prefix"}, {"backend", {{"service", {{"name", "web"}, {"port", {{"number", 80}}}}}}}}});
  json ing = c.make_ingress("default", "front",
                            {{"rules", json::array({{{"host", "a.example"}, {"http", {{"paths", paths}}}},
                                                    {{"host", "only.example"}}})}});
  c.settle();
  const std::string lb = ing["metadata"]["uid"];
  // By path.
  auto by_path = [&] {
    std::map<std::string, Tree> out;
    for (const auto& l : c.db.back_refs(lb, "loadbalancer-listener")) {
      Tree t;
      t.listener = l;
      t.pool = c.db.back_refs(l.uuid, "loadbalancer-pool").at(0);
      t.members = c.db.children(t.pool.uuid, "loadbalancer-member");
      out[*t.pool.annotation("path")] = t;
    }
    return out;
  };
  auto before = by_path();
  ASSERT_EQ(before.size(), 3u);
  EXPECT_EQ(before["/b"].pool.annotation("pathType"), "Exact");
  EXPECT_EQ(before["/a"].pool.annotation("claimed_hosts"), "only.example");

  delete_tree(before["/a"]);
  put(before["/b"].listener.uuid, [](ConfigObject& o) {
    o.props["loadbalancer_listener_properties"]["protocol_port"] = 8080;
  });
  put(before["/b"].members[0].uuid, [](ConfigObject& o) {
    o.props["loadbalancer_member_properties"]["protocol_port"] = 1;
    o.props["loadbalancer_member_properties"]["admin_state"] = false;
  });
  put(before["/c"].pool.uuid, [](ConfigObject& o) {
    json kvs = json::array();
    for (const auto& kv : o.props["annotations"]["key_value_pair"]) {
      if (kv["key"] == "pathType" || kv["key"] == "claimed_hosts") continue;
      kvs.push_back(kv["key"] == "index" ? json{{"key", "index"}, {"value", "7"}} : kv);
    }
    o.props["annotations"]["key_value_pair"] = kvs;
  });
  resync();
  auto after = by_path();
  ASSERT_EQ(after.size(), 3u);
  EXPECT_NE(after["/a"].listener.uuid, before["/a"].listener.uuid) << "a deleted backend is recreated";
  EXPECT_EQ(after["/a"].members.size(), 1u);
  EXPECT_EQ(after["/b"].listener.uuid, before["/b"].listener.uuid) << "the port is put back in place";
  EXPECT_EQ(after["/b"].listener.props["loadbalancer_listener_properties"]["protocol_port"], 80);
  ASSERT_EQ(after["/b"].members.size(), 1u);
  EXPECT_EQ(after["/b"].members[0].uuid, before["/b"].members[0].uuid);
  EXPECT_EQ(after["/b"].members[0].props["loadbalancer_member_properties"]["protocol_port"], 8000)
      << "the member's port is put back";
  EXPECT_EQ(after["/b"].members[0].props["loadbalancer_member_properties"]["admin_state"], false)
      << "its admin_state is not";
  EXPECT_EQ(after["/c"].pool.uuid, before["/c"].pool.uuid) << "csim's annotations are put back in place";
  EXPECT_EQ(after["/c"].pool.props["annotations"], before["/c"].pool.props["annotations"]);

  // Contrail's own annotations (host, path, type) are the backend's identity: a pool
  // whose path was changed no longer matches, so the backend is replaced.
  put(after["/c"].pool.uuid, [](ConfigObject& o) {
    for (auto& kv : o.props["annotations"]["key_value_pair"])
      if (kv["key"] == "path") kv["value"] = "/z";
  });
  resync();
  auto replaced = by_path();
  EXPECT_FALSE(replaced.count("/z"));
  ASSERT_TRUE(replaced.count("/c"));
  EXPECT_NE(replaced["/c"].pool.uuid, after["/c"].pool.uuid);
}

TEST_F(PutBackTest, IngressFloatingIpAndLoadbalancerArePutBack) {
  c.make_service("default", "web", json::array({{{"port", 80}}}));
  json ing = c.make_ingress("default", "front",
                            {{"defaultBackend", {{"service", {{"name", "web"}, {"port", {{"number", 80}}}}}}}});
  c.settle();
  const std::string lb = ing["metadata"]["uid"];
  const std::string vmi = c.db.read(lb)->ref_uuids("virtual-machine-interface").at(0);
  const std::string vip = c.db.read(lb)->props["loadbalancer_properties"]["vip_address"];
  auto fip = c.db.back_refs(vmi, "floating-ip").at(0);

  ASSERT_TRUE(c.db.remove("floating-ip", fip.uuid));
  resync();
  auto fips = c.db.back_refs(vmi, "floating-ip");
  ASSERT_EQ(fips.size(), 1u) << "a new external IP is allocated";
  json status = c.get("Ingress", "default", "front")["status"]["loadBalancer"]["ingress"];
  ASSERT_EQ(status.size(), 2u);
  EXPECT_EQ(status[0]["ip"], fips[0].props["floating_ip_address"]);

  // The loadbalancer itself: deleted (listeners first), put back on the same interface.
  for (const auto& l : c.db.back_refs(lb, "loadbalancer-listener")) {
    Tree t;
    t.listener = l;
    t.pool = c.db.back_refs(l.uuid, "loadbalancer-pool").at(0);
    t.members = c.db.children(t.pool.uuid, "loadbalancer-member");
    delete_tree(t);
  }
  ASSERT_TRUE(c.db.remove("loadbalancer", lb));
  resync();
  auto again = c.db.read(lb);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->ref_uuids("virtual-machine-interface"), std::vector<std::string>{vmi});
  EXPECT_EQ(again->props["loadbalancer_properties"]["vip_address"], vip) << "same VIP";
  EXPECT_EQ(c.db.back_refs(vmi, "floating-ip").at(0).uuid, fips[0].uuid) << "same external IP";
  EXPECT_EQ(c.db.back_refs(lb, "loadbalancer-listener").size(), 1u);
}

}  // namespace
}  // namespace csim::kube
