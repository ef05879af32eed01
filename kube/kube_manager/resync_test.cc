// kube-manager's resync after a kill -9 in the middle of a multi-object create or delete
// (the crash windows of service_reconciler, ingress_reconciler, pod_reconciler and
// namespace_reconciler): the partial objects are made by hand in the real config DB, as
// the killed kube-manager left them, then a fresh KubeManager starts; what it adopts,
// completes or deletes is asserted. Also: a resync of a converged store writes nothing.
#include <gtest/gtest.h>

#include "kube/kube_manager/kube_manager.h"
#include "kube/kube_manager/naming.h"
#include "kube/kube_manager/test_cluster.h"

namespace csim::kube {
namespace {

using controller::ConfigObject;
using controller::FqName;
using controller::Ref;
using nlohmann::json;
using testing::TestCluster;

const FqName kServiceNetwork = {"default-domain", "k8s-default", "k8s-default-service-network"};
const FqName kPodNetwork = {"default-domain", "k8s-default", "k8s-default-pod-network"};
const FqName kPublicPool = {"default-domain", "default-project", "__public__", "__fip_pool_public__"};

// config.changed.* publishes recorded on the bus so far.
size_t config_writes(const core::Bus& bus) {
  size_t n = 0;
  for (const auto& s : bus.spans())
    if (s.kind == "publish" && s.topic.rfind("config.changed.", 0) == 0) ++n;
  return n;
}

class ResyncTest : public ::testing::Test {
 protected:
  // kube-manager provisions the cluster, then goes away (killed).
  void SetUp() override {
    c.start_kube_manager();
    c.stop_kube_manager();
  }

  ConfigObject must_read_fq(const std::string& type, const FqName& fq) {
    auto o = c.read_fq(type, fq);
    EXPECT_TRUE(o.has_value()) << type << " " << fq_string(fq);
    return o ? *o : ConfigObject{};
  }

  // What create_vip_interface() writes first: the VIP interface of kind/ns/name/uid.
  ConfigObject make_vip_vmi(const std::string& kind, const std::string& ns, const std::string& name,
                            const std::string& uid, const FqName& network) {
    ConfigObject vmi;
    vmi.type = "virtual-machine-interface";
    vmi.fq_name = {"default-domain", "k8s-" + ns, "k8s__" + kind + "__" + name + "__" + uid};
    vmi.parent_type = "project";
    vmi.parent_uuid = must_read_fq("project", {"default-domain", "k8s-" + ns}).uuid;
    vmi.props["display_name"] = ns + "__" + name;
    vmi.props["virtual_machine_interface_device_owner"] = "K8S:LOADBALANCER";
    vmi.props["port_security_enabled"] = true;
    vmi.refs.push_back(Ref{"virtual-network", must_read_fq("virtual-network", network).uuid, {}, nullptr});
    vmi.refs.push_back(Ref{"security-group",
                           must_read_fq("security-group", {"default-domain", "k8s-" + ns,
                                                           "k8s-" + ns + "-default-sg"})
                               .uuid,
                           {}, nullptr});
    auto created = c.db.create(vmi);
    EXPECT_TRUE(created.is_ok()) << created.status().to_string();
    return created.is_ok() ? *created : ConfigObject{};
  }

  // ... and second: its instance-ip (address given, or allocated from the network's ipam).
  ConfigObject make_vip_iip(const std::string& name, const ConfigObject& vmi, const FqName& network,
                            const std::string& address = "") {
    ConfigObject iip;
    iip.type = "instance-ip";
    iip.uuid = new_uuid4();
    iip.fq_name = {name + "__" + iip.uuid};
    iip.props["display_name"] = name;
    if (!address.empty()) iip.props["instance_ip_address"] = address;
    iip.refs.push_back(Ref{"virtual-network", must_read_fq("virtual-network", network).uuid, {}, nullptr});
    iip.refs.push_back(Ref{"virtual-machine-interface", vmi.uuid, {}, nullptr});
    auto created = c.db.create(iip);
    EXPECT_TRUE(created.is_ok()) << created.status().to_string();
    return created.is_ok() ? *created : ConfigObject{};
  }

  // An Ingress floating-ip as kube-manager allocates it, on `vmi` (or on none).
  ConfigObject make_fip(const std::string& ingress, const std::string& ns,
                        const std::optional<ConfigObject>& vmi) {
    ConfigObject fip;
    fip.type = "floating-ip";
    fip.uuid = new_uuid4();
    fip.fq_name = kPublicPool;
    fip.fq_name.push_back(ingress + "__" + fip.uuid);
    fip.parent_type = "floating-ip-pool";
    fip.parent_uuid = must_read_fq("floating-ip-pool", kPublicPool).uuid;
    fip.refs.push_back(Ref{"project", must_read_fq("project", {"default-domain", "k8s-" + ns}).uuid, {}, nullptr});
    if (vmi) fip.refs.push_back(Ref{"virtual-machine-interface", vmi->uuid, {}, nullptr});
    auto created = c.db.create(fip);
    EXPECT_TRUE(created.is_ok()) << created.status().to_string();
    return created.is_ok() ? *created : ConfigObject{};
  }

  // Service shop/cart made by a kube-manager that is then killed while deleting it: after
  // the loadbalancer's delete (listeners and pools first), before its VIP interface's.
  void kill_after_the_loadbalancers_delete(json* svc, std::string* vmi_uuid) {
    c.make_namespace("shop");
    c.start_kube_manager();
    *svc = c.make_service("shop", "cart", json::array({{{"port", 80}}}));
    c.settle();
    const std::string uid = (*svc)["metadata"]["uid"];
    auto lb = c.db.read(uid);
    ASSERT_TRUE(lb);
    *vmi_uuid = lb->ref_uuids("virtual-machine-interface").at(0);
    c.stop_kube_manager();
    for (const auto& l : c.db.back_refs(uid, "loadbalancer-listener")) {
      for (const auto& p : c.db.back_refs(l.uuid, "loadbalancer-pool"))
        ASSERT_TRUE(c.db.remove("loadbalancer-pool", p.uuid));
      ASSERT_TRUE(c.db.remove("loadbalancer-listener", l.uuid));
    }
    ASSERT_TRUE(c.db.remove("loadbalancer", uid));
  }

  bool allocated(const std::string& address) {
    for (const auto& a : c.db.allocations())
      if (a.address == address) return true;
    return false;
  }

  void expect_no_errors() {
    EXPECT_TRUE(c.km->introspect()["last_error"].empty()) << c.km->introspect()["last_error"].dump();
  }

  TestCluster c;
};

TEST_F(ResyncTest, ServiceAdoptsTheVipInterfaceAndAddressOfAnUnfinishedCreate) {
  json svc = c.make_service("default", "web", json::array({{{"port", 80}}}));
  const std::string uid = svc["metadata"]["uid"];
  const std::string cluster_ip = svc["spec"]["clusterIP"];
  // Killed after the VMI and its instance-ip, before the loadbalancer.
  ConfigObject vmi = make_vip_vmi("Service", "default", "web", uid, kServiceNetwork);
  ConfigObject iip = make_vip_iip("web", vmi, kServiceNetwork, cluster_ip);

  c.start_kube_manager();
  auto lb = c.db.read(uid);
  ASSERT_TRUE(lb);
  EXPECT_EQ(lb->ref_uuids("virtual-machine-interface"), std::vector<std::string>{vmi.uuid})
      << "the interface is adopted, not replaced";
  auto iips = c.db.back_refs(vmi.uuid, "instance-ip");
  ASSERT_EQ(iips.size(), 1u);
  EXPECT_EQ(iips[0].uuid, iip.uuid);
  EXPECT_EQ(iips[0].props["instance_ip_address"], cluster_ip);
  EXPECT_EQ(c.list("virtual-machine-interface").size(), 1u);
  EXPECT_EQ(c.db.back_refs(uid, "loadbalancer-listener").size(), 1u);
  EXPECT_TRUE(c.recorded("adopted LB interface default-domain:k8s-default:k8s__Service__web__" + uid));
  expect_no_errors();
}

TEST_F(ResyncTest, ServiceAdoptsAVipInterfaceWithoutItsAddress) {
  json svc = c.make_service("default", "web", json::array({{{"port", 80}}}));
  const std::string uid = svc["metadata"]["uid"];
  // Killed between the VMI and its instance-ip; the VMI lost a ref on the way, too.
  ConfigObject vmi = make_vip_vmi("Service", "default", "web", uid, kServiceNetwork);
  ASSERT_TRUE(c.db.ref_update("virtual-machine-interface", vmi.uuid, "security-group",
                              vmi.ref_uuids("security-group").at(0), controller::RefOp::kDelete)
                  .is_ok());

  c.start_kube_manager();
  auto lb = c.db.read(uid);
  ASSERT_TRUE(lb);
  EXPECT_EQ(lb->ref_uuids("virtual-machine-interface"), std::vector<std::string>{vmi.uuid});
  auto adopted = c.db.read(vmi.uuid);
  EXPECT_EQ(adopted->ref_uuids("security-group").size(), 1u) << "the adopted interface is made right";
  auto iips = c.db.back_refs(vmi.uuid, "instance-ip");
  ASSERT_EQ(iips.size(), 1u);
  EXPECT_EQ(iips[0].props["instance_ip_address"], svc["spec"]["clusterIP"]);
  expect_no_errors();
}

TEST_F(ResyncTest, VipInterfaceOfAGoneServiceIsDeletedAndItsAddressReused) {
  json svc = c.make_service("default", "old", json::array({{{"port", 80}}}));
  const std::string cluster_ip = svc["spec"]["clusterIP"];
  ConfigObject vmi = make_vip_vmi("Service", "default", "old", svc["metadata"]["uid"], kServiceNetwork);
  ConfigObject iip = make_vip_iip("old", vmi, kServiceNetwork, cluster_ip);
  // While kube-manager is down the Service goes and another one gets its clusterIP (the
  // apiserver hands out the lowest free address), which the orphan still holds.
  c.remove("Service", "default", "old");
  json fresh = c.make_service("default", "fresh", json::array({{{"port", 80}}}));
  ASSERT_EQ(fresh["spec"]["clusterIP"], cluster_ip);

  c.start_kube_manager();
  EXPECT_FALSE(c.db.read(vmi.uuid));
  EXPECT_FALSE(c.db.read(iip.uuid));
  auto lb = c.db.read(fresh["metadata"]["uid"]);
  ASSERT_TRUE(lb) << "the new Service gets its loadbalancer once the orphan freed the address";
  EXPECT_EQ(lb->props["loadbalancer_properties"]["vip_address"], cluster_ip);
  EXPECT_EQ(c.list("virtual-machine-interface").size(), 1u);
  EXPECT_TRUE(c.recorded("VIP interface k8s__Service__old__"));
  EXPECT_TRUE(c.recorded("orphaned config object(s)"));
  c.settle();
  expect_no_errors();
}

TEST_F(ResyncTest, VipInterfaceOfAServiceDeletedHalfwayIsDeleted) {
  // The loadbalancer went, its interface not yet (vnc_service_delete's last step), in a
  // namespace that is gone too: interface, address and project all go.
  json svc;
  std::string vmi_uuid;
  ASSERT_NO_FATAL_FAILURE(kill_after_the_loadbalancers_delete(&svc, &vmi_uuid));
  c.remove("Namespace", "", "shop");
  c.settle();

  c.start_kube_manager();
  EXPECT_FALSE(c.db.read(vmi_uuid));
  EXPECT_FALSE(allocated(svc["spec"]["clusterIP"]));
  EXPECT_FALSE(c.read_fq("project", {"default-domain", "k8s-shop"})) << "the project could go once it was empty";
  expect_no_errors();
}

// The real config DB, with another writer in the window between kube-manager's reads and
// its delete of an instance-ip: as svc-monitor's native driver, working from a graph it
// read just before the loadbalancer went, adds its floating-ip under that instance-ip.
class SvcMonitorRacesTheDelete : public controller::ConfigApi {
 public:
  explicit SvcMonitorRacesTheDelete(controller::ConfigDb& db) : db_(db) {}
  int raced = 0;

  core::Status remove(const std::string& type, const std::string& uuid) override {
    if (type == "instance-ip" && raced == 0) {
      ++raced;
      auto iip = db_.read(uuid);
      EXPECT_TRUE(iip);
      ConfigObject fip;
      fip.type = "floating-ip";
      fip.fq_name = iip->fq_name;
      fip.fq_name.push_back("lb-uuid");
      fip.parent_type = "instance-ip";
      fip.parent_uuid = uuid;
      fip.props["floating_ip_address"] = iip->props["instance_ip_address"];
      auto made = db_.create(fip);
      EXPECT_TRUE(made.is_ok()) << made.status().to_string();
    }
    return db_.remove(type, uuid);
  }
  core::Result<ConfigObject> create(ConfigObject o) override { return db_.create(std::move(o)); }
  core::Result<ConfigObject> update(ConfigObject o) override { return db_.update(std::move(o)); }
  core::Status ref_update(const std::string& type, const std::string& uuid, const std::string& ref_type,
                          const std::string& ref_uuid, controller::RefOp op, json attr) override {
    return db_.ref_update(type, uuid, ref_type, ref_uuid, op, std::move(attr));
  }
  std::optional<ConfigObject> read(const std::string& uuid) const override { return db_.read(uuid); }
  std::optional<ConfigObject> read_fq(const std::string& type, const FqName& fq) const override {
    return db_.read_fq(type, fq);
  }
  std::vector<ConfigObject> list(const std::string& type, const std::string& parent) const override {
    return db_.list(type, parent);
  }
  std::vector<ConfigObject> back_refs(const std::string& uuid, const std::string& from) const override {
    return db_.back_refs(uuid, from);
  }
  std::vector<ConfigObject> children(const std::string& uuid, const std::string& type) const override {
    return db_.children(uuid, type);
  }

 private:
  controller::ConfigDb& db_;
};

// The crash test's orphan: a kill between a deleted Service's loadbalancer and its VIP
// interface; at the restart, svc-monitor's own startup pass adds a floating-ip under the
// interface's instance-ip after kube-manager's resync loaded (and cached) what was there.
// The delete is refused once; kube-manager looks again and everything goes.
TEST_F(ResyncTest, VipInterfaceGoesEvenWhenAnotherModuleAddsUnderItMeanwhile) {
  json svc;
  std::string vmi_uuid;
  ASSERT_NO_FATAL_FAILURE(kill_after_the_loadbalancers_delete(&svc, &vmi_uuid));
  c.remove("Service", "shop", "cart");
  c.settle();

  SvcMonitorRacesTheDelete racing(c.db);
  c.km = std::make_unique<KubeManager>(c.bus, c.store, racing);
  ASSERT_TRUE(c.km->start().is_ok());
  c.settle();
  EXPECT_EQ(racing.raced, 1);
  EXPECT_FALSE(c.db.read(vmi_uuid)) << "the VIP interface is left";
  for (const auto& iip : c.db.list("instance-ip"))
    EXPECT_NE(iip.props.value("instance_ip_address", ""), svc["spec"]["clusterIP"]) << "its instance-ip is left";
  for (const auto& fip : c.db.list("floating-ip"))
    EXPECT_NE(fip.parent_type, "instance-ip") << "the other module's floating-ip is left";
  EXPECT_FALSE(allocated(svc["spec"]["clusterIP"]));
  expect_no_errors();
}

TEST_F(ResyncTest, HeadlessServiceLosesAVipInterfaceLeftWithoutLoadbalancer) {
  // Runtime path (no resync): an event for a Service that wants no loadbalancer deletes
  // the interface an unfinished create left under its uid.
  c.start_kube_manager();
  json svc = c.create({{"apiVersion", "v1"}, {"kind", "Service"},
                       {"metadata", {{"name", "db"}, {"namespace", "default"}}},
                       {"spec", {{"clusterIP", "None"}, {"ports", json::array({{{"port", 5432}}})}}}});
  c.settle();
  ConfigObject vmi = make_vip_vmi("Service", "default", "db", svc["metadata"]["uid"], kServiceNetwork);
  ConfigObject iip = make_vip_iip("db", vmi, kServiceNetwork);
  svc["metadata"]["labels"] = {{"touched", "yes"}};
  c.update(svc);
  c.settle();
  EXPECT_FALSE(c.db.read(vmi.uuid));
  EXPECT_FALSE(c.db.read(iip.uuid));
}

TEST_F(ResyncTest, IngressAdoptsItsVipInterface) {
  c.make_service("default", "web", json::array({{{"port", 80}}}));
  const json spec = {{"defaultBackend", {{"service", {{"name", "web"}, {"port", {{"number", 80}}}}}}}};
  json ing = c.make_ingress("default", "front", spec);
  const std::string uid = ing["metadata"]["uid"];
  ConfigObject vmi = make_vip_vmi("Ingress", "default", "front", uid, kPodNetwork);
  ConfigObject iip = make_vip_iip("front", vmi, kPodNetwork);
  const std::string vip = iip.props["instance_ip_address"];

  c.start_kube_manager();
  auto lb = c.db.read(uid);
  ASSERT_TRUE(lb);
  EXPECT_EQ(lb->ref_uuids("virtual-machine-interface"), std::vector<std::string>{vmi.uuid});
  EXPECT_EQ(lb->props["loadbalancer_properties"]["vip_address"], vip);
  EXPECT_EQ(c.db.back_refs(vmi.uuid, "instance-ip").size(), 1u);
  EXPECT_EQ(c.db.back_refs(vmi.uuid, "floating-ip").size(), 1u);
  json status = c.get("Ingress", "default", "front")["status"]["loadBalancer"]["ingress"];
  ASSERT_EQ(status.size(), 2u);
  EXPECT_EQ(status[1]["ip"], vip);
  expect_no_errors();
}

TEST_F(ResyncTest, VipInterfaceOfAGoneIngressGoesWithItsAddressAndFloatingIp) {
  // §1.8 deleted the loadbalancer, then the kill: interface, instance-ip and the
  // floating-ip still on it remain.
  json ing = c.make_ingress("default", "gone", {{"defaultBackend", {{"service", {{"name", "x"}, {"port", {{"number", 80}}}}}}}});
  ConfigObject vmi = make_vip_vmi("Ingress", "default", "gone", ing["metadata"]["uid"], kPodNetwork);
  ConfigObject iip = make_vip_iip("gone", vmi, kPodNetwork);
  ConfigObject fip = make_fip("gone", "default", vmi);
  c.remove("Ingress", "default", "gone");

  c.start_kube_manager();
  EXPECT_FALSE(c.db.read(vmi.uuid));
  EXPECT_FALSE(c.db.read(iip.uuid));
  EXPECT_FALSE(c.db.read(fip.uuid));
  EXPECT_FALSE(allocated(iip.props["instance_ip_address"]));
  EXPECT_FALSE(allocated(fip.props["floating_ip_address"]));
  expect_no_errors();
}

TEST_F(ResyncTest, DetachedIngressFloatingIpIsDeletedOthersAreKept) {
  // release_floating_ip() cleared the interface refs, then the kill (before the delete).
  ConfigObject detached = make_fip("front", "default", std::nullopt);
  // Not kube-manager's: another name, or in no cluster project.
  ConfigObject user = detached;
  user.uuid = new_uuid4();
  user.fq_name.back() = "mine";
  user.props.erase("floating_ip_address");
  auto user_fip = c.db.create(user);
  ASSERT_TRUE(user_fip.is_ok()) << user_fip.status().to_string();
  ConfigObject other = make_fip("front", "default", std::nullopt);
  other.refs = {Ref{"project", must_read_fq("project", {"default-domain", "default-project"}).uuid, {}, nullptr}};
  ASSERT_TRUE(c.db.update(other).is_ok());

  c.start_kube_manager();
  EXPECT_FALSE(c.db.read(detached.uuid));
  EXPECT_FALSE(allocated(detached.props["floating_ip_address"]));
  EXPECT_TRUE(c.db.read(user_fip->uuid));
  EXPECT_TRUE(c.db.read(other.uuid));
  EXPECT_TRUE(c.recorded("on no interface deleted"));
}

TEST_F(ResyncTest, PodCreateKilledAfterTheVirtualMachineIsCompleted) {
  json pod = c.make_pod("default", "web", {{"app", "web"}}, "node-1");
  const std::string uid = pod["metadata"]["uid"];
  // Killed after the VM (the first of VM, VMI, instance-ip, router link).
  ConfigObject vm;
  vm.type = "virtual-machine";
  vm.uuid = uid;
  vm.fq_name = {"k8s__default__web"};
  vm.props["annotations"] = key_value_pairs(k8s_annotations(KubeManagerOptions{}, "Pod", "default", "web"));
  ASSERT_TRUE(c.db.create(vm).is_ok());

  c.start_kube_manager();
  auto vmis = c.db.back_refs(uid, "virtual-machine-interface");
  ASSERT_EQ(vmis.size(), 1u);
  EXPECT_EQ(c.db.back_refs(vmis[0].uuid, "instance-ip").size(), 1u);
  EXPECT_EQ(c.db.back_refs(uid, "virtual-router").size(), 1u);
  EXPECT_TRUE(c.db.read(uid)->annotation("labels")) << "the VM's annotations are made right";
  expect_no_errors();
}

TEST_F(ResyncTest, PodDeleteKilledHalfwayIsFinished) {
  c.start_kube_manager();
  json pod = c.make_pod("default", "web", {{"app", "web"}}, "node-1");
  c.settle();
  const std::string uid = pod["metadata"]["uid"];
  auto vmi = c.db.back_refs(uid, "virtual-machine-interface").at(0);
  auto iip = c.db.back_refs(vmi.uuid, "instance-ip").at(0);
  c.stop_kube_manager();
  // delete_pod_config got as far as the instance-ip.
  auto vr = must_read_fq("virtual-router", {"default-global-system-config", "node-1"});
  ASSERT_TRUE(c.db.ref_update("virtual-router", vr.uuid, "virtual-machine", uid, controller::RefOp::kDelete));
  ASSERT_TRUE(c.db.remove("instance-ip", iip.uuid));
  c.remove("Pod", "default", "web");

  c.start_kube_manager();
  EXPECT_FALSE(c.db.read(vmi.uuid));
  EXPECT_FALSE(c.db.read(uid));
  expect_no_errors();
}

TEST_F(ResyncTest, NamespaceCreateKilledBeforeTheSecurityGroupIsCompletedOrUndone) {
  json ns = c.make_namespace("kept");
  c.make_namespace("dropped");
  // Killed after each project, before its security group.
  auto domain = must_read_fq("domain", {"default-domain"});
  for (const std::string name : {"kept", "dropped"}) {
    ConfigObject p;
    p.type = "project";
    p.fq_name = {"default-domain", "k8s-" + name};
    p.parent_type = "domain";
    p.parent_uuid = domain.uuid;
    p.props["annotations"] = key_value_pairs(k8s_annotations(
        KubeManagerOptions{}, "Namespace", name, name,
        {{"k8s_uuid", c.get("Namespace", "", name)["metadata"]["uid"]}, {"isolated", "False"}}));
    ASSERT_TRUE(c.db.create(p).is_ok());
  }
  c.remove("Namespace", "", "dropped");

  c.start_kube_manager();
  EXPECT_TRUE(c.read_fq("security-group", {"default-domain", "k8s-kept", "k8s-kept-default-sg"}));
  EXPECT_FALSE(c.read_fq("project", {"default-domain", "k8s-dropped"}));
  expect_no_errors();
}

TEST_F(ResyncTest, ResyncOfAConvergedStoreWritesNothing) {
  c.start_kube_manager();
  c.make_namespace("dev", {{"team", "a"}});
  json a = c.make_pod("dev", "web-a", {{"app", "web"}}, "node-1");
  json b = c.make_pod("dev", "web-b", {{"app", "web"}}, "node-2");
  c.make_service("dev", "web", json::array({{{"name", "http"}, {"port", 80}, {"targetPort", 8080}},
                                            {{"name", "dns"}, {"port", 53}, {"protocol", "UDP"}}}));
  c.make_service("dev", "db", json::array({{{"port", 5432}}}));
  c.create({{"apiVersion", "v1"}, {"kind", "Service"},
            {"metadata", {{"name", "headless"}, {"namespace", "dev"}}},
            {"spec", {{"clusterIP", "None"}, {"ports", json::array({{{"port", 1}}})}}}});
  c.settle();
  c.create(c.endpoints_body("dev", "web", {a, b}, json::array({{{"port", 8080}, {"protocol", "TCP"}, {"name", "http"}}})));
  const json rules = json::array(
      {{{"host", "a.example"},
        {"http", {{"paths", json::array({{{"path", "/x"}, {"pathType", "Prefix"},
                                          {"backend", {{"service", {{"name", "web"}, {"port", {{"name", "http"}}}}}}}},
                                         {{"path", "/y"}, {"pathType", "Exact"},
                                          {"backend", {{"service", {{"name", "db"}, {"port", {{"number", 5432}}}}}}}},
                                         // a missing Service: listener and pool without member
                                         {{"path", "/z"}, {"pathType", "Exact"},
                                          {"backend", {{"service", {{"name", "gone"}, {"port", {{"number", 80}}}}}}}}})}}}}});
  c.make_ingress("dev", "front", {{"rules", rules},
                                  {"tls", json::array({{{"hosts", json::array({"a.example"})}, {"secretName", "tls"}}})}});
  c.make_ingress("dev", "ext", {{"defaultBackend", {{"service", {{"name", "web"}, {"port", {{"number", 80}}}}}}}},
                 {{"externalIP", "198.51.100.77"}});
  c.make_ingress("dev", "foreign", {{"defaultBackend", {{"service", {{"name", "web"}, {"port", {{"number", 80}}}}}}}},
                 {{"kubernetes.io/ingress.class", "nginx"}});
  c.settle();
  ASSERT_FALSE(c.list("loadbalancer-member").empty());
  size_t unavailable = 0;
  for (const auto& p : c.list("loadbalancer-pool")) unavailable += p.annotation("backend_unavailable").has_value();
  ASSERT_EQ(unavailable, 2u) << "/z over HTTP and HTTPS";
  EXPECT_TRUE(c.km->introspect()["last_error"].empty()) << c.km->introspect().dump();
  c.stop_kube_manager();

  const size_t before = config_writes(c.bus);
  const uint64_t store_version = c.store.resource_version();
  c.start_kube_manager();
  EXPECT_EQ(config_writes(c.bus), before) << "a resync of a converged store writes nothing to the config DB";
  EXPECT_EQ(c.store.resource_version(), store_version) << "nor to the object store";
  expect_no_errors();
}

}  // namespace
}  // namespace csim::kube
