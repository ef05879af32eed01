#include "kube/kube_manager/naming.h"

#include <regex>
#include <set>

#include <gtest/gtest.h>

namespace csim::kube {
namespace {

TEST(NamingTest, NamesFollowContrailsKubeManager) {
  KubeManagerOptions o;
  EXPECT_EQ(join_name({"k8s", "Ingress", "simple-fanout", "u1"}), "k8s__Ingress__simple-fanout__u1");
  EXPECT_EQ(project_fq_name(o, "default"), (controller::FqName{"default-domain", "k8s-default"}));
  EXPECT_EQ(security_group_fq_name(o, "dev"),
            (controller::FqName{"default-domain", "k8s-dev", "k8s-dev-default-sg"}));
  EXPECT_EQ(pod_network_name(o), "k8s-default-pod-network");
  EXPECT_EQ(service_network_name(o), "k8s-default-service-network");
  EXPECT_EQ(pod_ipam_name(o), "k8s-pod-ipam");
  EXPECT_EQ(service_ipam_name(o), "k8s-service-ipam");
  o.cluster_name = "c2";
  EXPECT_EQ(project_name(o, "default"), "c2-default");
}

TEST(NamingTest, AnnotationsAreInContrailsInsertionOrder) {
  KubeManagerOptions o;
  auto kvs = k8s_annotations(o, "Ingress", "default", "simple-fanout", {{"extra", "1"}});
  std::vector<std::string> keys;
  for (const auto& kv : kvs) keys.push_back(kv.first);
  EXPECT_EQ(keys, (std::vector<std::string>{"kind", "owner", "cluster", "project", "namespace",
                                            "name", "extra"}));
  auto j = key_value_pairs(kvs);
  EXPECT_EQ(j["key_value_pair"][3], (nlohmann::json{{"key", "project"}, {"value", "k8s-default"}}));

  controller::ConfigObject obj;
  obj.props["annotations"] = j;
  EXPECT_TRUE(owned_by_cluster(o, obj));
  EXPECT_EQ(annotation_map(obj)["extra"], "1");
  o.cluster_name = "other";
  EXPECT_FALSE(owned_by_cluster(o, obj));
}

TEST(NamingTest, Uuid4IsWellFormedAndFresh) {
  std::regex re("^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$");
  std::set<std::string> seen;
  for (int i = 0; i < 100; ++i) {
    std::string u = new_uuid4();
    EXPECT_TRUE(std::regex_match(u, re)) << u;
    seen.insert(u);
  }
  EXPECT_EQ(seen.size(), 100u);
}

TEST(NamingTest, PythonJsonDumpsAndFipPoolDict) {
  EXPECT_EQ(python_json_dumps({{"namespace", "default"}, {"app", "qa"}}),
            R"({"app": "qa", "namespace": "default"})");
  auto fq = parse_fip_pool_dict(
      "{'domain': 'default-domain', 'project': 'p', 'network': 'pub', 'name': 'pool'}");
  ASSERT_TRUE(fq);
  EXPECT_EQ(*fq, (controller::FqName{"default-domain", "p", "pub", "pool"}));
  EXPECT_FALSE(parse_fip_pool_dict("{'domain': 'd'}"));
  EXPECT_FALSE(parse_fip_pool_dict("not a dict"));
}

TEST(NamingTest, VipInterfaceNamesRoundTrip) {
  KubeManagerOptions o;
  const std::string uid = "0b6d2c1e-4a5b-4c6d-8e7f-0123456789ab";
  EXPECT_TRUE(is_uuid_text(uid));
  EXPECT_TRUE(is_uuid_text(new_uuid4()));
  EXPECT_FALSE(is_uuid_text("0B6D2C1E-4A5B-4C6D-8E7F-0123456789AB"));
  EXPECT_FALSE(is_uuid_text(uid.substr(1)));
  EXPECT_FALSE(is_uuid_text("0b6d2c1e_4a5b-4c6d-8e7f-0123456789ab"));

  const auto fq = vip_interface_fq_name(o, "Service", "shop", "web-1", uid);
  EXPECT_EQ(fq, (controller::FqName{"default-domain", "k8s-shop", "k8s__Service__web-1__" + uid}));
  auto owner = parse_vip_interface_fq_name(o, fq);
  ASSERT_TRUE(owner);
  EXPECT_EQ(owner->kind, "Service");
  EXPECT_EQ(owner->ns, "shop");
  EXPECT_EQ(owner->name, "web-1");
  EXPECT_EQ(owner->uid, uid);
  owner = parse_vip_interface_fq_name(o, vip_interface_fq_name(o, "Ingress", "default", "front", uid));
  ASSERT_TRUE(owner);
  EXPECT_EQ(owner->kind, "Ingress");

  // Not a VIP interface of this cluster.
  EXPECT_FALSE(parse_vip_interface_fq_name(o, {"default-domain", "k8s-shop", "web-1__" + uid}));
  EXPECT_FALSE(parse_vip_interface_fq_name(o, {"default-domain", "k8s-shop", "k8s__Pod__web__" + uid}));
  EXPECT_FALSE(parse_vip_interface_fq_name(o, {"default-domain", "other-shop", "k8s__Service__web__" + uid}));
  EXPECT_FALSE(parse_vip_interface_fq_name(o, {"other-domain", "k8s-shop", "k8s__Service__web__" + uid}));
  EXPECT_FALSE(parse_vip_interface_fq_name(o, {"default-domain", "k8s-", "k8s__Service__web__" + uid}));
  EXPECT_FALSE(parse_vip_interface_fq_name(o, {"default-domain", "k8s-shop", "k8s__Service__" + uid}));
  EXPECT_FALSE(parse_vip_interface_fq_name(o, {"default-domain", "k8s-shop", "k8s__Service__web__"}));
}

}  // namespace
}  // namespace csim::kube
