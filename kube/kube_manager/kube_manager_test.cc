// kube-manager through the bus: Namespaces, Pods, Services, Endpoints, provisioning and
// the resync at start (the Ingress cases are in ingress_test.cc).
#include "kube/kube_manager/kube_manager.h"

#include <gtest/gtest.h>

#include <atomic>

#include "kube/kube_manager/test_cluster.h"

namespace csim::kube {
namespace {

using testing::kvps;
using testing::TestCluster;
using nlohmann::json;
using KV = std::vector<std::pair<std::string, json>>;

TEST(KubeManagerTest, StartProvisionsTheCluster) {
  TestCluster c;
  c.start_kube_manager();
  auto dflt = c.read_fq("project", {"default-domain", "k8s-default"});
  auto sys = c.read_fq("project", {"default-domain", "k8s-kube-system"});
  ASSERT_TRUE(dflt);
  ASSERT_TRUE(sys);
  auto pod_ipam = c.read_fq("network-ipam", {"default-domain", "k8s-default", "k8s-pod-ipam"});
  ASSERT_TRUE(pod_ipam);
  EXPECT_EQ(pod_ipam->props["ipam_subnet_method"], "flat-subnet");
  const json& subnet = pod_ipam->props["ipam_subnets"]["subnets"][0];
  EXPECT_EQ(subnet["subnet"], (json{{"ip_prefix", "10.32.0.0"}, {"ip_prefix_len", 12}}));
  EXPECT_EQ(subnet["default_gateway"], "10.47.255.254");
  EXPECT_EQ(subnet["dns_server_address"], "10.47.255.253");
  EXPECT_FALSE(subnet["subnet_uuid"].get<std::string>().empty());
  auto svc_ipam = c.read_fq("network-ipam", {"default-domain", "k8s-default", "k8s-service-ipam"});
  ASSERT_TRUE(svc_ipam);
  EXPECT_EQ(svc_ipam->props["ipam_subnets"]["subnets"][0]["subnet"]["ip_prefix"], "10.96.0.0");

  auto pod_vn = c.read_fq("virtual-network", {"default-domain", "k8s-default", "k8s-default-pod-network"});
  auto svc_vn = c.read_fq("virtual-network", {"default-domain", "k8s-default", "k8s-default-service-network"});
  ASSERT_TRUE(pod_vn);
  ASSERT_TRUE(svc_vn);
  EXPECT_EQ(pod_vn->ref_uuids("network-ipam"), std::vector<std::string>{pod_ipam->uuid});
  EXPECT_EQ(svc_vn->ref_uuids("network-ipam"), std::vector<std::string>{svc_ipam->uuid});
  EXPECT_EQ(pod_vn->props["address_allocation_mode"], "flat-subnet-only");

  // The "default" Namespace exists in the store: its project got its annotations and SG.
  EXPECT_EQ(dflt->annotation("kind"), "Namespace");
  EXPECT_TRUE(c.read_fq("security-group", {"default-domain", "k8s-default", "k8s-default-default-sg"}));

  // Idempotent: a second kube-manager over the same DB creates nothing new.
  const size_t ipams = c.list("network-ipam").size();
  const size_t vns = c.list("virtual-network").size();
  c.stop_kube_manager();
  c.start_kube_manager();
  EXPECT_EQ(c.list("network-ipam").size(), ipams);
  EXPECT_EQ(c.list("virtual-network").size(), vns);
  EXPECT_TRUE(c.recorded("cluster k8s already provisioned"));
  EXPECT_TRUE(c.km->introspect()["last_error"].empty()) << c.km->introspect().dump();
}

TEST(KubeManagerTest, NamespaceBecomesProjectWithSecurityGroup) {
  TestCluster c;
  c.start_kube_manager();
  json ns = c.make_namespace("dev", {{"team", "a"}});
  c.settle();
  auto project = c.read_fq("project", {"default-domain", "k8s-dev"});
  ASSERT_TRUE(project);
  EXPECT_EQ(kvps(*project), (KV{{"kind", "Namespace"}, {"owner", "k8s"}, {"cluster", "k8s"},
                                {"project", "k8s-dev"}, {"namespace", "dev"}, {"name", "dev"},
                                {"k8s_uuid", ns["metadata"]["uid"]}, {"isolated", "False"}}));
  auto sg = c.read_fq("security-group", {"default-domain", "k8s-dev", "k8s-dev-default-sg"});
  ASSERT_TRUE(sg);
  EXPECT_EQ(sg->parent_uuid, project->uuid);
  const json& rules = sg->props["security_group_entries"]["policy_rule"];
  ASSERT_EQ(rules.size(), 4u);
  EXPECT_EQ(rules[0]["src_addresses"][0]["subnet"]["ip_prefix"], "0.0.0.0");
  EXPECT_EQ(rules[0]["dst_addresses"][0]["security_group"], "local");
  EXPECT_EQ(rules[1]["ethertype"], "IPv6");
  EXPECT_EQ(rules[2]["src_addresses"][0]["security_group"], "local");
  EXPECT_EQ(sg->annotation("name"), "k8s-dev-default-sg");
  EXPECT_EQ(sg->annotation("kind"), "Namespace");

  c.remove("Namespace", "", "dev");
  c.settle();
  EXPECT_FALSE(c.read_fq("security-group", {"default-domain", "k8s-dev", "k8s-dev-default-sg"}));
  EXPECT_FALSE(c.read_fq("project", {"default-domain", "k8s-dev"}));
  EXPECT_TRUE(c.recorded("namespace dev deleted"));
}

TEST(KubeManagerTest, PodGetsVmInterfaceAddressAndRouterLinkWhenScheduled) {
  TestCluster c;
  c.start_kube_manager();
  json pod = c.make_pod("default", "web-1", {{"app", "web"}});
  c.settle();
  const std::string uid = pod["metadata"]["uid"];

  auto vm = c.db.read(uid);
  ASSERT_TRUE(vm);
  EXPECT_EQ(vm->type, "virtual-machine");
  EXPECT_EQ(vm->fq_name, controller::FqName{"k8s__default__web-1"});
  EXPECT_EQ(vm->props["display_name"], "default__web-1");
  EXPECT_EQ(vm->props["server_type"], "container");
  EXPECT_EQ(kvps(*vm), (KV{{"kind", "Pod"}, {"owner", "k8s"}, {"cluster", "k8s"},
                           {"project", "k8s-default"}, {"namespace", "default"}, {"name", "web-1"},
                           {"k8s_uuid", uid}, {"labels", R"({"app": "web", "namespace": "default"})"}}));

  auto vmis = c.db.back_refs(uid, "virtual-machine-interface");
  ASSERT_EQ(vmis.size(), 1u);
  const auto& vmi = vmis[0];
  EXPECT_EQ(vmi.fq_name, (controller::FqName{"default-domain", "k8s-default", "web-1__" + vmi.uuid}));
  auto pod_vn = c.read_fq("virtual-network", {"default-domain", "k8s-default", "k8s-default-pod-network"});
  auto sg = c.read_fq("security-group", {"default-domain", "k8s-default", "k8s-default-default-sg"});
  EXPECT_EQ(vmi.ref_uuids("virtual-network"), std::vector<std::string>{pod_vn->uuid});
  EXPECT_EQ(vmi.ref_uuids("virtual-machine"), std::vector<std::string>{uid});
  EXPECT_EQ(vmi.ref_uuids("security-group"), std::vector<std::string>{sg->uuid});
  EXPECT_EQ(vmi.annotation("index"), "0/1");
  EXPECT_EQ(vmi.annotation("network"), "default");

  auto iips = c.db.back_refs(vmi.uuid, "instance-ip");
  ASSERT_EQ(iips.size(), 1u);
  EXPECT_EQ(iips[0].props["instance_ip_address"], "10.47.255.252") << "top-down from 10.32.0.0/12";
  EXPECT_EQ(iips[0].name().rfind("web-1__", 0), 0u);
  auto pod_ipam = c.read_fq("network-ipam", {"default-domain", "k8s-default", "k8s-pod-ipam"});
  EXPECT_EQ(iips[0].props["subnet_uuid"], pod_ipam->props["ipam_subnets"]["subnets"][0]["subnet_uuid"]);

  // Not scheduled yet: no virtual-router link.
  EXPECT_TRUE(c.db.back_refs(uid, "virtual-router").empty());
  pod["spec"]["nodeName"] = "node-2";
  c.update(pod);
  c.settle();
  auto vrs = c.db.back_refs(uid, "virtual-router");
  ASSERT_EQ(vrs.size(), 1u);
  EXPECT_EQ(vrs[0].fq_name, (controller::FqName{"default-global-system-config", "node-2"}));
  EXPECT_TRUE(c.recorded("scheduled: virtual-router node-2"));

  // A second pod gets the next address down.
  json pod2 = c.make_pod("default", "web-2", {{"app", "web"}}, "node-1");
  c.settle();
  EXPECT_EQ(c.pod_ip(pod2["metadata"]["uid"]), "10.47.255.251");

  c.remove("Pod", "default", "web-1");
  c.settle();
  EXPECT_FALSE(c.db.read(uid));
  EXPECT_FALSE(c.db.read(vmi.uuid));
  EXPECT_FALSE(c.db.read(iips[0].uuid));
  auto node2 = c.read_fq("virtual-router", {"default-global-system-config", "node-2"});
  EXPECT_TRUE(node2->ref_uuids("virtual-machine").empty());

  // hostNetwork pods are ignored.
  json host = c.create({{"apiVersion", "v1"}, {"kind", "Pod"},
                        {"metadata", {{"name", "h"}, {"namespace", "default"}}},
                        {"spec", {{"hostNetwork", true}, {"nodeName", "node-1"}}}});
  c.settle();
  EXPECT_FALSE(c.db.read(host["metadata"]["uid"]));
}

TEST(KubeManagerTest, ServiceBecomesNativeLoadbalancerWithClusterIp) {
  TestCluster c;
  c.start_kube_manager();
  json svc = c.make_service("default", "web",
                            json::array({{{"name", "http"}, {"port", 80}, {"targetPort", 8080}},
                                         {{"name", "dns"}, {"port", 53}, {"protocol", "UDP"}}}));
  c.settle();
  const std::string uid = svc["metadata"]["uid"];
  const std::string cluster_ip = svc["spec"]["clusterIP"];
  auto lb = c.db.read(uid);
  ASSERT_TRUE(lb);
  EXPECT_EQ(lb->fq_name, (controller::FqName{"default-domain", "k8s-default", "web__" + uid}));
  EXPECT_EQ(lb->props["loadbalancer_provider"], "native");
  EXPECT_EQ(lb->props["loadbalancer_properties"]["vip_address"], cluster_ip);
  EXPECT_EQ(kvps(*lb), (KV{{"kind", "Service"}, {"owner", "k8s"}, {"cluster", "k8s"},
                           {"project", "k8s-default"}, {"namespace", "default"}, {"name", "web"}}));
  auto vmi = c.db.read(lb->ref_uuids("virtual-machine-interface").at(0));
  ASSERT_TRUE(vmi);
  EXPECT_EQ(vmi->name(), "k8s__Service__web__" + uid);
  auto svc_vn = c.read_fq("virtual-network", {"default-domain", "k8s-default", "k8s-default-service-network"});
  EXPECT_EQ(vmi->ref_uuids("virtual-network"), std::vector<std::string>{svc_vn->uuid});
  auto iips = c.db.back_refs(vmi->uuid, "instance-ip");
  ASSERT_EQ(iips.size(), 1u);
  EXPECT_EQ(iips[0].props["instance_ip_address"], cluster_ip);

  auto listeners = c.db.back_refs(uid, "loadbalancer-listener");
  ASSERT_EQ(listeners.size(), 2u);
  std::map<int, controller::ConfigObject> by_port;
  for (const auto& l : listeners)
    by_port[l.props["loadbalancer_listener_properties"]["protocol_port"].get<int>()] = l;
  EXPECT_EQ(by_port[80].props["loadbalancer_listener_properties"]["protocol"], "TCP");
  EXPECT_EQ(by_port[80].annotation("portName"), "http");
  EXPECT_EQ(by_port[80].name().rfind("web__" + uid + "-TCP-80-", 0), 0u);
  EXPECT_EQ(by_port[53].props["loadbalancer_listener_properties"]["protocol"], "UDP");
  for (const auto& [port, l] : by_port) {
    auto pools = c.db.back_refs(l.uuid, "loadbalancer-pool");
    ASSERT_EQ(pools.size(), 1u);
    EXPECT_EQ(pools[0].name(), l.name());
    EXPECT_FALSE(pools[0].props["loadbalancer_pool_properties"].contains("loadbalancer_method"));
  }

  c.remove("Service", "default", "web");
  c.settle();
  EXPECT_FALSE(c.db.read(uid));
  EXPECT_FALSE(c.db.read(vmi->uuid));
  EXPECT_FALSE(c.db.read(iips[0].uuid));
  EXPECT_TRUE(c.list("loadbalancer-listener").empty());
  EXPECT_TRUE(c.list("loadbalancer-pool").empty());
}

TEST(KubeManagerTest, EndpointsBecomePoolMembers) {
  TestCluster c;
  c.start_kube_manager();
  json a = c.make_pod("default", "web-a", {{"app", "web"}}, "node-1");
  json b = c.make_pod("default", "web-b", {{"app", "web"}}, "node-2");
  json svc = c.make_service("default", "web", json::array({{{"port", 80}, {"targetPort", 8080}}}));
  c.settle();
  const json ports = json::array({{{"port", 8080}, {"protocol", "TCP"}}});
  c.create(c.endpoints_body("default", "web", {a, b}, ports));
  c.settle();

  auto listeners = c.db.back_refs(svc["metadata"]["uid"], "loadbalancer-listener");
  ASSERT_EQ(listeners.size(), 1u);
  auto pool = c.db.back_refs(listeners[0].uuid, "loadbalancer-pool").at(0);
  auto members = c.db.children(pool.uuid, "loadbalancer-member");
  ASSERT_EQ(members.size(), 2u);
  std::map<std::string, controller::ConfigObject> by_vm;
  for (const auto& m : members) by_vm[*m.annotation("vm")] = m;
  const std::string a_uid = a["metadata"]["uid"];
  ASSERT_TRUE(by_vm.count(a_uid));
  const auto& ma = by_vm[a_uid];
  EXPECT_EQ(ma.props["loadbalancer_member_properties"]["protocol_port"], 8080);
  EXPECT_FALSE(ma.props["loadbalancer_member_properties"].contains("address"));
  auto a_vmi = c.db.back_refs(a_uid, "virtual-machine-interface").at(0);
  EXPECT_EQ(kvps(ma), (KV{{"vmi", a_vmi.uuid}, {"vm", a_uid}}));

  // web-b leaves the endpoints: its member goes.
  json ep = c.get("Endpoints", "default", "web");
  ep["subsets"] = c.endpoints_body("default", "web", {a}, ports)["subsets"];
  c.update(ep);
  c.settle();
  members = c.db.children(pool.uuid, "loadbalancer-member");
  ASSERT_EQ(members.size(), 1u);
  EXPECT_EQ(members[0].annotation("vm"), a_uid);

  // Endpoints gone: no members.
  c.remove("Endpoints", "default", "web");
  c.settle();
  EXPECT_TRUE(c.db.children(pool.uuid, "loadbalancer-member").empty());
}

TEST(KubeManagerTest, ResyncAtStartDeletesOrphansAndCreatesWhatIsMissing) {
  TestCluster c;
  c.start_kube_manager();
  json old_pod = c.make_pod("default", "old", {{"app", "x"}}, "node-1");
  json svc = c.make_service("default", "gone", json::array({{{"port", 80}}}));
  c.make_namespace("temp");
  const json single = {{"defaultBackend", {{"service", {{"name", "gone"}, {"port", {{"number", 80}}}}}}}};
  json old_ing = c.make_ingress("default", "old-ing", single);
  c.settle();
  ASSERT_TRUE(c.db.read(old_ing["metadata"]["uid"]));
  ASSERT_EQ(c.list("floating-ip").size(), 1u);
  ASSERT_TRUE(c.db.read(old_pod["metadata"]["uid"]));
  ASSERT_TRUE(c.db.read(svc["metadata"]["uid"]));
  ASSERT_TRUE(c.read_fq("project", {"default-domain", "k8s-temp"}));

  // kube-manager is down while the cluster changes.
  c.stop_kube_manager();
  c.remove("Pod", "default", "old");
  c.remove("Service", "default", "gone");
  c.remove("Namespace", "", "temp");
  c.remove("Ingress", "default", "old-ing");
  json new_pod = c.make_pod("default", "new", {{"app", "y"}}, "node-2");
  json new_ing = c.make_ingress("default", "new-ing", single);
  c.settle();
  ASSERT_TRUE(c.db.read(old_pod["metadata"]["uid"])) << "nobody deleted it while kube-manager was down";
  ASSERT_FALSE(c.db.read(new_pod["metadata"]["uid"]));

  // At start, not after 60 s: orphans go, the new pod appears.
  c.km = std::make_unique<KubeManager>(c.bus, c.store, c.db);
  ASSERT_TRUE(c.km->start().is_ok());
  EXPECT_FALSE(c.db.read(old_pod["metadata"]["uid"]));
  EXPECT_FALSE(c.db.read(svc["metadata"]["uid"]));
  EXPECT_FALSE(c.read_fq("project", {"default-domain", "k8s-temp"}));
  EXPECT_TRUE(c.db.read(new_pod["metadata"]["uid"]));
  EXPECT_FALSE(c.db.read(old_ing["metadata"]["uid"]));
  EXPECT_TRUE(c.db.read(new_ing["metadata"]["uid"]));
  ASSERT_EQ(c.list("floating-ip").size(), 1u) << "the orphan's FIP went, the new Ingress has one";
  EXPECT_NE(c.list("floating-ip")[0].name().find("new-ing__"), std::string::npos);
  // Objects are reconciled before orphans are swept (as Contrail's ADDED-then-timer order):
  // the new pod got the next address (.250), the orphans' addresses are free again.
  EXPECT_EQ(c.pod_ip(new_pod["metadata"]["uid"]), "10.47.255.250");
  for (const auto& a : c.db.allocations()) {
    EXPECT_NE(a.address, "10.47.255.252") << "old pod";
    EXPECT_NE(a.address, "10.47.255.251") << "old ingress VIP";
  }
  EXPECT_TRUE(c.recorded("4 orphaned config object(s)"));
  c.settle();
  EXPECT_TRUE(c.km->introspect()["last_error"].empty()) << c.km->introspect().dump();
}

TEST(KubeManagerTest, IntrospectShowsQueueAndErrors) {
  TestCluster c;
  c.start_kube_manager();
  // A pod scheduled on a node without a virtual-router: the error is kept per key.
  c.make_pod("default", "lost", {}, "node-9");
  c.settle();
  json info = c.km->introspect();
  EXPECT_EQ(info["module"], "kube-manager");
  EXPECT_EQ(info["started"], true);
  EXPECT_EQ(info["queue_length"], 0);
  ASSERT_TRUE(info["last_error"].contains("Pod default/lost")) << info.dump();
  EXPECT_NE(info["last_error"]["Pod default/lost"]["error"].get<std::string>().find("node-9"),
            std::string::npos);
  EXPECT_TRUE(c.recorded("reconcile Pod default/lost failed"));

  // The router appears; the next event retries the key and clears the error.
  ASSERT_TRUE(controller::add_virtual_router(c.db, "node-9", "169.254.1.9").is_ok());
  c.make_namespace("poke");
  c.settle();
  info = c.km->introspect();
  EXPECT_FALSE(info["last_error"].contains("Pod default/lost")) << info.dump();
}

TEST(KubeManagerTest, AFailedKeyIsRetriedByItselfWithoutAnotherEvent) {
  TestCluster c;
  c.start_kube_manager();
  // The pod's node has no virtual-router yet; it appears after the second failure, while
  // no watch event arrives: the timed retry heals the key by itself.
  std::atomic<int> failed{0};
  c.bus.add_observer([&](const core::SpanRecord& s) {
    if (s.summary.find("reconcile Pod default/late-node failed") == std::string::npos) return;
    if (++failed == 2)
      c.bus.post("test", [&] {
        ASSERT_TRUE(controller::add_virtual_router(c.db, "node-9", "169.254.1.9").is_ok());
      });
  });
  json pod = c.make_pod("default", "late-node", {}, "node-9");
  c.settle();
  EXPECT_EQ(failed.load(), 2);
  json info = c.km->introspect();
  EXPECT_FALSE(info["last_error"].contains("Pod default/late-node")) << info.dump();
  EXPECT_TRUE(c.db.read(pod["metadata"]["uid"])) << "the pod's virtual-machine";
}

TEST(KubeManagerTest, TimedRetriesOfAKeyThatKeepsFailingAreBounded) {
  TestCluster c;
  c.start_kube_manager();
  c.make_pod("default", "lost", {}, "node-9");
  c.settle();  // a deterministic bus runs each timed retry at once, in its turn
  json err = c.km->introspect()["last_error"]["Pod default/lost"];
  EXPECT_EQ(err["attempts"], 1) << err.dump();
  EXPECT_EQ(err["timed_retries"], KubeManager::kTimedRetries) << err.dump();
  EXPECT_EQ(c.km->introspect()["failures"], 1 + KubeManager::kTimedRetries);
}

TEST(KubeManagerTest, DestroyedKubeManagerIgnoresQueuedEvents) {
  TestCluster c;
  c.start_kube_manager();
  json pod = c.make_pod("default", "late", {}, "node-1");  // queued on the bus, not delivered
  c.km.reset();
  c.settle();
  EXPECT_FALSE(c.db.read(pod["metadata"]["uid"]));
}

TEST(KubeManagerTest, ConvergesOnTheThreadedBus) {
  core::Bus bus(core::SystemClock::instance(), core::Bus::Mode::kThreaded, 4);
  controller::ConfigDb db(bus, core::SystemClock::instance(), ":memory:");
  ASSERT_TRUE(controller::provision_defaults(db).is_ok());
  ASSERT_TRUE(controller::add_virtual_router(db, "node-1", "169.254.1.1").is_ok());
  MemoryObjectStore store(bus, core::SystemClock::instance());
  KubeManager km(bus, store, db);
  ASSERT_TRUE(km.start().is_ok());
  std::vector<std::string> pod_uids;
  for (int i = 0; i < 5; ++i) {
    auto pod = store.create({{"apiVersion", "v1"}, {"kind", "Pod"},
                             {"metadata", {{"name", "p" + std::to_string(i)}, {"namespace", "default"}}},
                             {"spec", {{"nodeName", "node-1"}}}});
    ASSERT_TRUE(pod.is_ok());
    pod_uids.push_back((*pod)["metadata"]["uid"]);
  }
  auto svc = store.create({{"apiVersion", "v1"}, {"kind", "Service"},
                           {"metadata", {{"name", "web"}, {"namespace", "default"}}},
                           {"spec", {{"ports", json::array({{{"port", 80}}})}}}});
  ASSERT_TRUE(svc.is_ok());
  auto ing = store.create(
      {{"apiVersion", "networking.k8s.io/v1"}, {"kind", "Ingress"},
       {"metadata", {{"name", "single"}, {"namespace", "default"}}},
       {"spec", {{"defaultBackend", {{"service", {{"name", "web"}, {"port", {{"number", 80}}}}}}}}}});
  ASSERT_TRUE(ing.is_ok());
  ASSERT_TRUE(bus.run_until_idle(std::chrono::seconds(20)));
  for (const auto& uid : pod_uids) EXPECT_TRUE(db.read(uid)) << uid;
  auto lb = db.read((*ing)["metadata"]["uid"]);
  ASSERT_TRUE(lb);
  EXPECT_EQ(db.back_refs(lb->uuid, "loadbalancer-listener").size(), 1u);
  auto stored = store.get("Ingress", "default", "single");
  EXPECT_EQ((*stored)["status"]["loadBalancer"]["ingress"].size(), 2u);
  EXPECT_TRUE(km.introspect()["last_error"].empty()) << km.introspect().dump();
}

}  // namespace
}  // namespace csim::kube
