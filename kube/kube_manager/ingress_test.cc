// kube-manager's Ingress handling through the bus (contrail-reference.md §1): the seed's
// examples, external IPs, updates, Service coupling, deletion, ingress class, TLS.
#include <map>

#include <gtest/gtest.h>

#include "kube/kube_manager/kube_manager.h"
#include "kube/kube_manager/test_cluster.h"

namespace csim::kube {
namespace {

using controller::ConfigObject;
using controller::FqName;
using testing::kvps;
using testing::TestCluster;
using nlohmann::json;
using KV = std::vector<std::pair<std::string, json>>;

json http_path(const std::string& path, const std::string& svc, json port = {{"number", 80}}) {
  json p = {{"pathType", "ImplementationSpecific"},
            {"backend", {{"service", {{"name", svc}, {"port", port}}}}}};
  if (!path.empty()) p["path"] = path;
  return p;
}

json fanout_spec() {
  return {{"rules", json::array({{{"http", {{"paths", json::array({
                                      http_path("/qa.html", "qa-webserver"),
                                      http_path("/dev.html", "dev-webserver")})}}}}})}};
}

// One backend as the config shows it: listener, pool, members.
struct Backend {
  ConfigObject listener;
  ConfigObject pool;
  std::vector<ConfigObject> members;
};

class IngressTest : public ::testing::Test {
 protected:
  void SetUp() override { c.start_kube_manager(); }

  json service(const std::string& name, json ports = json::array({{{"port", 80}, {"targetPort", 8080}}})) {
    return c.make_service("default", name, ports, {{"app", name}});
  }
  std::string cluster_ip(const std::string& name) {
    return c.get("Service", "default", name)["spec"]["clusterIP"];
  }
  // Backends of the loadbalancer, keyed by pool annotation path (or host, or "default").
  std::map<std::string, Backend> backends(const std::string& lb_uuid) {
    std::map<std::string, Backend> out;
    for (const auto& l : c.db.back_refs(lb_uuid, "loadbalancer-listener")) {
      Backend b;
      b.listener = l;
      auto pools = c.db.back_refs(l.uuid, "loadbalancer-pool");
      EXPECT_EQ(pools.size(), 1u) << l.name();
      if (pools.empty()) continue;
      b.pool = pools[0];
      b.members = c.db.children(b.pool.uuid, "loadbalancer-member");
      std::string key = b.pool.annotation("path").value_or(b.pool.annotation("host").value_or("default"));
      if (l.props["loadbalancer_listener_properties"]["protocol"] == "TERMINATED_HTTPS") key += " https";
      out[key] = b;
    }
    return out;
  }
  std::vector<std::string> status_ips(const std::string& name) {
    std::vector<std::string> out;
    json ing = c.get("Ingress", "default", name);
    for (const auto& a : ing["status"]["loadBalancer"]["ingress"]) out.push_back(a["ip"]);
    return out;
  }
  size_t published(const std::string& topic_prefix) {
    size_t n = 0;
    for (const auto& s : c.bus.spans())
      if (s.kind == "publish" && s.topic.rfind(topic_prefix, 0) == 0) ++n;
    return n;
  }

  TestCluster c;
};

TEST_F(IngressTest, SimpleFanoutMakesExactlyContrailsObjects) {
  service("qa-webserver");
  service("dev-webserver");
  c.settle();
  json ing = c.make_ingress("default", "simple-fanout", fanout_spec());
  c.settle();
  const std::string uid = ing["metadata"]["uid"];
  auto project = c.read_fq("project", {"default-domain", "k8s-default"});
  auto pod_vn = c.read_fq("virtual-network", {"default-domain", "k8s-default", "k8s-default-pod-network"});
  auto pod_ipam = c.read_fq("network-ipam", {"default-domain", "k8s-default", "k8s-pod-ipam"});
  auto sg = c.read_fq("security-group", {"default-domain", "k8s-default", "k8s-default-default-sg"});

  // #1 loadbalancer
  auto lb = c.db.read(uid);
  ASSERT_TRUE(lb);
  EXPECT_EQ(lb->type, "loadbalancer");
  EXPECT_EQ(lb->fq_name, (FqName{"default-domain", "k8s-default", "simple-fanout__" + uid}));
  EXPECT_EQ(lb->parent_uuid, project->uuid);
  EXPECT_EQ(lb->props["display_name"], "default__simple-fanout");
  EXPECT_EQ(lb->props["loadbalancer_provider"], "opencontrail");
  EXPECT_EQ(lb->props["loadbalancer_properties"],
            (json{{"provisioning_status", "ACTIVE"}, {"operating_status", "ONLINE"},
                  {"vip_address", "10.47.255.252"}, {"admin_state", true}}));
  EXPECT_EQ(kvps(*lb), (KV{{"kind", "Ingress"}, {"owner", "k8s"}, {"cluster", "k8s"},
                           {"project", "k8s-default"}, {"namespace", "default"},
                           {"name", "simple-fanout"}, {"externalIP", nullptr}}));

  // #2 VIP VMI
  ASSERT_EQ(lb->ref_uuids("virtual-machine-interface").size(), 1u);
  auto vmi = c.db.read(lb->ref_uuids("virtual-machine-interface")[0]);
  ASSERT_TRUE(vmi);
  EXPECT_EQ(vmi->fq_name, (FqName{"default-domain", "k8s-default", "k8s__Ingress__simple-fanout__" + uid}));
  EXPECT_EQ(vmi->props["display_name"], "default__simple-fanout");
  EXPECT_EQ(vmi->props["virtual_machine_interface_device_owner"], "K8S:LOADBALANCER");
  EXPECT_EQ(vmi->props["port_security_enabled"], true);
  EXPECT_EQ(vmi->ref_uuids("virtual-network"), std::vector<std::string>{pod_vn->uuid});
  EXPECT_EQ(vmi->ref_uuids("security-group"), std::vector<std::string>{sg->uuid});

  // #3 VIP instance-ip from the pod subnet
  auto iips = c.db.back_refs(vmi->uuid, "instance-ip");
  ASSERT_EQ(iips.size(), 1u);
  const auto& iip = iips[0];
  EXPECT_EQ(iip.fq_name, FqName{"simple-fanout__" + iip.uuid});
  EXPECT_EQ(iip.props["display_name"], "simple-fanout");
  EXPECT_EQ(iip.props["instance_ip_address"], "10.47.255.252");
  EXPECT_EQ(iip.props["subnet_uuid"], pod_ipam->props["ipam_subnets"]["subnets"][0]["subnet_uuid"]);
  EXPECT_EQ(iip.ref_uuids("virtual-network"), std::vector<std::string>{pod_vn->uuid});
  EXPECT_EQ(iip.ref_uuids("virtual-machine-interface"), std::vector<std::string>{vmi->uuid});

  // #4 floating-ip from the public pool
  auto fips = c.db.back_refs(vmi->uuid, "floating-ip");
  ASSERT_EQ(fips.size(), 1u);
  const auto& fip = fips[0];
  EXPECT_EQ(fip.fq_name, (FqName{"default-domain", "default-project", "__public__",
                                 "__fip_pool_public__", "simple-fanout__" + fip.uuid}));
  EXPECT_EQ(fip.parent_type, "floating-ip-pool");
  EXPECT_EQ(fip.props["floating_ip_address"], "10.84.59.252");
  EXPECT_EQ(fip.ref_uuids("project"), std::vector<std::string>{project->uuid});
  EXPECT_EQ(fip.ref_uuids("virtual-machine-interface"), std::vector<std::string>{vmi->uuid});

  // #5-#7 one listener, pool and member per path
  auto b = backends(uid);
  ASSERT_EQ(b.size(), 2u);
  const std::pair<std::string, std::string> expected[] = {{"/qa.html", "qa-webserver"},
                                                         {"/dev.html", "dev-webserver"}};
  for (size_t i = 0; i < 2; ++i) {
    const auto& [path, svc] = expected[i];
    ASSERT_TRUE(b.count(path)) << path;
    const Backend& be = b[path];
    const std::string ll_prefix = "simple-fanout__" + uid + "-HTTP-80-";
    EXPECT_EQ(be.listener.fq_name, (FqName{"default-domain", "k8s-default", ll_prefix + be.listener.uuid}));
    EXPECT_EQ(be.listener.props["display_name"], be.listener.name());
    EXPECT_EQ(be.listener.props["loadbalancer_listener_properties"],
              (json{{"protocol", "HTTP"}, {"protocol_port", 80}, {"admin_state", true}}));
    EXPECT_EQ(be.listener.ref_uuids("loadbalancer"), std::vector<std::string>{uid});
    EXPECT_EQ(be.pool.name(), be.listener.name());
    EXPECT_EQ(be.pool.parent_uuid, project->uuid);
    EXPECT_EQ(be.pool.props["loadbalancer_pool_properties"],
              (json{{"protocol", "HTTP"}, {"loadbalancer_method", "ROUND_ROBIN"}, {"admin_state", true}}));
    EXPECT_EQ(kvps(be.pool), (KV{{"path", path}, {"type", "acl"}, {"index", std::to_string(i)},
                                  {"pathType", "ImplementationSpecific"}}));
    ASSERT_EQ(be.members.size(), 1u);
    const auto& m = be.members[0];
    EXPECT_EQ(m.name(), m.uuid);
    EXPECT_EQ(m.parent_uuid, be.pool.uuid);
    EXPECT_EQ(m.props["loadbalancer_member_properties"],
              (json{{"address", cluster_ip(svc)}, {"protocol_port", 80}, {"weight", 1}, {"admin_state", true}}));
    EXPECT_EQ(kvps(m), (KV{{"serviceName", svc}}));
  }

  // Status [FIP, VIP], written once; the MODIFIED it causes changes nothing.
  EXPECT_EQ(status_ips("simple-fanout"), (std::vector<std::string>{"10.84.59.252", "10.47.255.252"}));
  EXPECT_EQ(published("kube.watch.ingress"), 2u) << "ADDED, then one MODIFIED for the status";
  EXPECT_TRUE(c.recorded("allocated VIP 10.47.255.252 and external IP 10.84.59.252 for default/simple-fanout"));

  const size_t changes = published("config.changed.");
  json again = c.get("Ingress", "default", "simple-fanout");
  again["metadata"]["labels"] = {{"touched", "yes"}};
  c.update(again);
  c.settle();
  EXPECT_EQ(published("config.changed."), changes) << "a no-op MODIFIED writes nothing";
  EXPECT_EQ(published("kube.watch.ingress"), 3u);
}

TEST_F(IngressTest, SingleServiceUsesTheDefaultBackend) {
  service("nginx");
  json ing = c.make_ingress("default", "single-service",
                            {{"defaultBackend", {{"service", {{"name", "nginx"}, {"port", {{"number", 80}}}}}}}});
  c.settle();
  auto b = backends(ing["metadata"]["uid"]);
  ASSERT_EQ(b.size(), 1u);
  ASSERT_TRUE(b.count("default"));
  EXPECT_EQ(kvps(b["default"].pool), (KV{{"type", "default"}, {"index", "0"}}));
  EXPECT_EQ(b["default"].members.at(0).props["loadbalancer_member_properties"]["address"], cluster_ip("nginx"));
  EXPECT_EQ(status_ips("single-service").size(), 2u);
}

TEST_F(IngressTest, VirtualHostsBecomeHostAnnotations) {
  service("google-maps-webserver");
  service("google-images-webserver");
  json spec = {{"rules", json::array({
                   {{"host", "foo.bar.com"}, {"http", {{"paths", json::array({http_path("/", "google-maps-webserver")})}}}},
                   {{"host", "bar.foo.com"}, {"http", {{"paths", json::array({http_path("", "google-images-webserver")})}}}}})}};
  json ing = c.make_ingress("default", "virtual-host", spec);
  c.settle();
  auto b = backends(ing["metadata"]["uid"]);
  ASSERT_EQ(b.size(), 2u);
  EXPECT_EQ(kvps(b["/"].pool), (KV{{"host", "foo.bar.com"}, {"path", "/"}, {"type", "acl"}, {"index", "0"},
                                   {"pathType", "ImplementationSpecific"}}));
  EXPECT_EQ(kvps(b["bar.foo.com"].pool), (KV{{"host", "bar.foo.com"}, {"type", "acl"}, {"index", "1"},
                                             {"pathType", "ImplementationSpecific"}}));
  EXPECT_EQ(b["bar.foo.com"].members.at(0).annotation("serviceName"), "google-images-webserver");
}

TEST_F(IngressTest, ExternalIpAnnotationPicksAndReplacesTheFloatingIp) {
  service("qa-webserver");
  service("dev-webserver");
  json ing = c.make_ingress("default", "simple-fanout", fanout_spec(), {{"externalIP", "10.84.59.22"}});
  c.settle();
  const std::string uid = ing["metadata"]["uid"];
  auto vmi_of = [&] { return c.db.read(uid)->ref_uuids("virtual-machine-interface").at(0); };
  auto fips = c.db.back_refs(vmi_of(), "floating-ip");
  ASSERT_EQ(fips.size(), 1u);
  EXPECT_EQ(fips[0].props["floating_ip_address"], "10.84.59.22");
  EXPECT_EQ(c.db.read(uid)->annotation("externalIP"), "10.84.59.22");
  EXPECT_EQ(status_ips("simple-fanout"), (std::vector<std::string>{"10.84.59.22", "10.47.255.252"}));

  // A new externalIP re-allocates the FIP and replaces (not appends) the annotation.
  json changed = c.get("Ingress", "default", "simple-fanout");
  changed["metadata"]["annotations"]["externalIP"] = "10.84.59.30";
  c.update(changed);
  c.settle();
  auto now = c.db.back_refs(vmi_of(), "floating-ip");
  ASSERT_EQ(now.size(), 1u);
  EXPECT_EQ(now[0].props["floating_ip_address"], "10.84.59.30");
  EXPECT_FALSE(c.db.read(fips[0].uuid));
  int external_keys = 0;
  for (const auto& [k, v] : kvps(*c.db.read(uid))) external_keys += k == "externalIP";
  EXPECT_EQ(external_keys, 1);
  EXPECT_EQ(c.db.read(uid)->annotation("externalIP"), "10.84.59.30");
  EXPECT_EQ(status_ips("simple-fanout"), (std::vector<std::string>{"10.84.59.30", "10.47.255.252"}));

  // Without the annotation the pool hands out the next free address.
  changed = c.get("Ingress", "default", "simple-fanout");
  changed["metadata"]["annotations"].erase("externalIP");
  c.update(changed);
  c.settle();
  EXPECT_EQ(status_ips("simple-fanout"), (std::vector<std::string>{"10.84.59.252", "10.47.255.252"}));
  EXPECT_EQ(c.db.read(uid)->annotation("externalIP"), "null");

  // An address outside the pool: no FIP, status has only the VIP, the reason is traced.
  changed = c.get("Ingress", "default", "simple-fanout");
  changed["metadata"]["annotations"]["externalIP"] = "192.0.2.9";
  c.update(changed);
  c.settle();
  EXPECT_TRUE(c.db.back_refs(vmi_of(), "floating-ip").empty());
  EXPECT_EQ(status_ips("simple-fanout"), (std::vector<std::string>{"10.47.255.252"}));
  EXPECT_TRUE(c.recorded("external IP 192.0.2.9 not allocated"));
}

TEST_F(IngressTest, UpdateKeepsUpdatesDeletesAndCreatesBackends) {
  service("qa-webserver");
  service("dev-webserver");
  json ing = c.make_ingress("default", "simple-fanout", fanout_spec());
  c.settle();
  const std::string uid = ing["metadata"]["uid"];
  auto before = backends(uid);
  ASSERT_EQ(before.size(), 2u);

  // /qa.html now goes to dev-webserver, /dev.html is removed, /new.html is added.
  json changed = c.get("Ingress", "default", "simple-fanout");
  changed["spec"] = {{"rules", json::array({{{"http", {{"paths", json::array({
                        http_path("/qa.html", "dev-webserver"), http_path("/new.html", "qa-webserver")})}}}}})}};
  c.update(changed);
  c.settle();
  auto after = backends(uid);
  ASSERT_EQ(after.size(), 2u);
  // updated: same listener, pool and member; the member points at dev-webserver now
  ASSERT_TRUE(after.count("/qa.html"));
  EXPECT_EQ(after["/qa.html"].listener.uuid, before["/qa.html"].listener.uuid);
  EXPECT_EQ(after["/qa.html"].pool.uuid, before["/qa.html"].pool.uuid);
  ASSERT_EQ(after["/qa.html"].members.size(), 1u);
  EXPECT_EQ(after["/qa.html"].members[0].uuid, before["/qa.html"].members[0].uuid);
  EXPECT_EQ(after["/qa.html"].members[0].annotation("serviceName"), "dev-webserver");
  EXPECT_EQ(after["/qa.html"].members[0].props["loadbalancer_member_properties"]["address"],
            cluster_ip("dev-webserver"));
  // deleted
  EXPECT_FALSE(after.count("/dev.html"));
  EXPECT_FALSE(c.db.read(before["/dev.html"].listener.uuid));
  EXPECT_FALSE(c.db.read(before["/dev.html"].pool.uuid));
  EXPECT_FALSE(c.db.read(before["/dev.html"].members[0].uuid));
  // created
  ASSERT_TRUE(after.count("/new.html"));
  EXPECT_EQ(kvps(after["/new.html"].pool), (KV{{"path", "/new.html"}, {"type", "acl"}, {"index", "1"},
                                                 {"pathType", "ImplementationSpecific"}}));
  EXPECT_EQ(after["/new.html"].members.at(0).annotation("serviceName"), "qa-webserver");

  // Reordering the paths keeps everything and only moves the index annotation.
  changed = c.get("Ingress", "default", "simple-fanout");
  changed["spec"] = {{"rules", json::array({{{"http", {{"paths", json::array({
                        http_path("/new.html", "qa-webserver"), http_path("/qa.html", "dev-webserver")})}}}}})}};
  c.update(changed);
  c.settle();
  auto reordered = backends(uid);
  EXPECT_EQ(reordered["/new.html"].listener.uuid, after["/new.html"].listener.uuid);
  EXPECT_EQ(reordered["/qa.html"].listener.uuid, after["/qa.html"].listener.uuid);
  EXPECT_EQ(reordered["/new.html"].pool.annotation("index"), "0");
  EXPECT_EQ(reordered["/qa.html"].pool.annotation("index"), "1");
}

TEST_F(IngressTest, PathTypeAndClaimedHostsAreUpdatedInPlace) {
  service("qa-webserver");
  json spec = {{"rules", json::array({{{"host", "foo.bar.com"},
                                       {"http", {{"paths", json::array({http_path("/qa", "qa-webserver")})}}}}})}};
  json ing = c.make_ingress("default", "kinds", spec);
  c.settle();
  const std::string uid = ing["metadata"]["uid"];
  auto before = backends(uid);
  ASSERT_EQ(before.size(), 1u);
  EXPECT_EQ(kvps(before["/qa"].pool), (KV{{"host", "foo.bar.com"}, {"path", "/qa"}, {"type", "acl"},
                                         {"index", "0"}, {"pathType", "ImplementationSpecific"}}));

  // Another pathType and a rule without http (it owns its host under the kubernetes
  // semantics): the same listener and pool, with new csim annotations.
  json changed = c.get("Ingress", "default", "kinds");
  changed["spec"]["rules"][0]["http"]["paths"][0]["pathType"] = "Prefix";
  changed["spec"]["rules"].push_back({{"host", "*.claimed.example"}});
  changed["spec"]["rules"].push_back({{"host", "other.example"}, {"http", {{"paths", json::array()}}}});
  c.update(changed);
  c.settle();
  auto after = backends(uid);
  ASSERT_EQ(after.size(), 1u);
  EXPECT_EQ(after["/qa"].listener.uuid, before["/qa"].listener.uuid);
  EXPECT_EQ(after["/qa"].pool.uuid, before["/qa"].pool.uuid);
  EXPECT_EQ(after["/qa"].members.at(0).uuid, before["/qa"].members.at(0).uuid);
  EXPECT_EQ(kvps(after["/qa"].pool), (KV{{"host", "foo.bar.com"}, {"path", "/qa"}, {"type", "acl"},
                                        {"index", "0"}, {"pathType", "Prefix"},
                                        {"claimed_hosts", "*.claimed.example,other.example"}}));
}

TEST_F(IngressTest, MembersFollowTheServices) {
  json ing = c.make_ingress("default", "simple-fanout", fanout_spec());
  c.settle();
  const std::string uid = ing["metadata"]["uid"];
  // No Services yet: the loadbalancer and its addresses exist, no backends.
  ASSERT_TRUE(c.db.read(uid));
  EXPECT_TRUE(backends(uid).empty());
  EXPECT_EQ(status_ips("simple-fanout").size(), 2u);
  EXPECT_TRUE(c.recorded("path /qa.html -> qa-webserver:80: Service default/qa-webserver not found"));

  // Service created after the Ingress: its members appear.
  service("qa-webserver");
  c.settle();
  auto b = backends(uid);
  ASSERT_EQ(b.size(), 1u);
  EXPECT_EQ(b["/qa.html"].members.at(0).props["loadbalancer_member_properties"]["address"],
            cluster_ip("qa-webserver"));
  service("dev-webserver");
  c.settle();
  EXPECT_EQ(backends(uid).size(), 2u);

  // Service deleted: its listener, pool and member go; the other stays.
  auto qa = backends(uid)["/qa.html"];
  c.remove("Service", "default", "qa-webserver");
  c.settle();
  b = backends(uid);
  ASSERT_EQ(b.size(), 1u);
  EXPECT_TRUE(b.count("/dev.html"));
  EXPECT_FALSE(c.db.read(qa.listener.uuid));
  EXPECT_FALSE(c.db.read(qa.members.at(0).uuid));
}

TEST_F(IngressTest, NamedServicePortIsResolvedAndFollowsPortChanges) {
  json svc = service("web", json::array({{{"name", "http"}, {"port", 80}, {"targetPort", 8080}}}));
  json spec = {{"rules", json::array({{{"http", {{"paths", json::array({
                  http_path("/", "web", {{"name", "http"}})})}}}}})}};
  json ing = c.make_ingress("default", "named", spec);
  c.settle();
  auto b = backends(ing["metadata"]["uid"]);
  ASSERT_EQ(b.size(), 1u);
  EXPECT_EQ(b["/"].members.at(0).props["loadbalancer_member_properties"]["protocol_port"], 80);

  json changed = c.get("Service", "default", "web");
  changed["spec"]["ports"][0]["port"] = 8081;
  c.update(changed);
  c.settle();
  auto after = backends(ing["metadata"]["uid"]);
  ASSERT_EQ(after.size(), 1u);
  EXPECT_EQ(after["/"].members.at(0).uuid, b["/"].members.at(0).uuid);
  EXPECT_EQ(after["/"].members.at(0).props["loadbalancer_member_properties"]["protocol_port"], 8081);
}

TEST_F(IngressTest, DeleteRemovesEverythingAndFreesTheAddresses) {
  service("qa-webserver");
  service("dev-webserver");
  json ing = c.make_ingress("default", "simple-fanout", fanout_spec());
  c.settle();
  const std::string uid = ing["metadata"]["uid"];
  const std::string vmi = c.db.read(uid)->ref_uuids("virtual-machine-interface").at(0);
  ASSERT_EQ(c.list("floating-ip").size(), 1u);

  c.remove("Ingress", "default", "simple-fanout");
  c.settle();
  EXPECT_FALSE(c.db.read(uid));
  EXPECT_FALSE(c.db.read(vmi));
  EXPECT_TRUE(c.list("loadbalancer-listener").size() == 2u) << "only the two Services' listeners remain";
  for (const auto& l : c.list("loadbalancer-listener"))
    EXPECT_EQ(l.name().find("simple-fanout"), std::string::npos);
  for (const auto& p : c.list("loadbalancer-pool"))
    EXPECT_EQ(p.name().find("simple-fanout"), std::string::npos);
  EXPECT_TRUE(c.list("floating-ip").empty());
  for (const auto& iip : c.list("instance-ip"))
    EXPECT_EQ(iip.name().find("simple-fanout"), std::string::npos);
  for (const auto& a : c.db.allocations()) {
    EXPECT_NE(a.address, "10.84.59.252");
    EXPECT_NE(a.address, "10.47.255.252");
  }
  EXPECT_TRUE(c.recorded("freed VIP 10.47.255.252 and external IP 10.84.59.252"));
  EXPECT_TRUE(c.km->introspect()["service_index"].empty());
}

TEST_F(IngressTest, OtherIngressClassIsIgnored) {
  service("qa-webserver");
  json ing = c.make_ingress("default", "other", fanout_spec(), {{"kubernetes.io/ingress.class", "nginx"}});
  c.settle();
  const std::string uid = ing["metadata"]["uid"];
  EXPECT_FALSE(c.db.read(uid));
  EXPECT_TRUE(c.recorded("ingress default/other has class 'nginx', not opencontrail: ignored"));
  EXPECT_FALSE(c.get("Ingress", "default", "other").contains("status") &&
               c.get("Ingress", "default", "other")["status"].contains("loadBalancer"));

  // Class opencontrail: handled. spec.ingressClassName of another class: our LB goes.
  json changed = c.get("Ingress", "default", "other");
  changed["metadata"]["annotations"]["kubernetes.io/ingress.class"] = "opencontrail";
  c.update(changed);
  c.settle();
  ASSERT_TRUE(c.db.read(uid));
  changed = c.get("Ingress", "default", "other");
  changed["metadata"]["annotations"].erase("kubernetes.io/ingress.class");
  changed["spec"]["ingressClassName"] = "traefik";
  c.update(changed);
  c.settle();
  EXPECT_FALSE(c.db.read(uid));
  EXPECT_TRUE(c.list("floating-ip").empty());
}

TEST_F(IngressTest, TlsListenersDoNotChurn) {
  service("qa-webserver");
  json spec = {{"tls", json::array({{{"hosts", {"foo.bar.com"}}, {"secretName", "foo-secret"}}})},
               {"rules", json::array({{{"host", "foo.bar.com"},
                                       {"http", {{"paths", json::array({http_path("/qa.html", "qa-webserver")})}}}}})}};
  json ing = c.make_ingress("default", "tls", spec);
  c.settle();
  auto b = backends(ing["metadata"]["uid"]);
  ASSERT_EQ(b.size(), 2u);
  ASSERT_TRUE(b.count("/qa.html https"));
  const json& props = b["/qa.html https"].listener.props["loadbalancer_listener_properties"];
  EXPECT_EQ(props["protocol_port"], 443);
  EXPECT_EQ(props["sni_containers"], json::array({"default__foo-secret"}));
  EXPECT_EQ(b["/qa.html https"].listener.name().find("-TERMINATED_HTTPS-443-") != std::string::npos, true);

  const size_t changes = published("config.changed.");
  json again = c.get("Ingress", "default", "tls");
  again["metadata"]["labels"] = {{"touched", "yes"}};
  c.update(again);
  c.settle();
  EXPECT_EQ(published("config.changed."), changes) << "Contrail's TERMINTED_HTTPS typo would recreate it";
  EXPECT_EQ(backends(ing["metadata"]["uid"])["/qa.html https"].listener.uuid, b["/qa.html https"].listener.uuid);
}

TEST_F(IngressTest, PoolWithoutMembersGetsItsMemberBack) {
  service("qa-webserver");
  service("dev-webserver");
  json ing = c.make_ingress("default", "simple-fanout", fanout_spec());
  c.settle();
  auto before = backends(ing["metadata"]["uid"]);
  ASSERT_TRUE(c.db.remove("loadbalancer-member", before["/qa.html"].members.at(0).uuid).is_ok());

  // Contrail's diff skips member-less pools (orphaning them); csim gives them a member.
  json touched = c.get("Ingress", "default", "simple-fanout");
  touched["metadata"]["labels"] = {{"touched", "yes"}};
  c.update(touched);
  c.settle();
  auto after = backends(ing["metadata"]["uid"]);
  ASSERT_EQ(after.size(), 2u);
  EXPECT_EQ(after["/qa.html"].listener.uuid, before["/qa.html"].listener.uuid);
  EXPECT_EQ(after["/qa.html"].pool.uuid, before["/qa.html"].pool.uuid);
  ASSERT_EQ(after["/qa.html"].members.size(), 1u);
  EXPECT_EQ(after["/qa.html"].members[0].props["loadbalancer_member_properties"]["address"],
            cluster_ip("qa-webserver"));
}

TEST_F(IngressTest, LoadbalancerGetsTheServiceApplianceSetRefOnceItExists) {
  service("qa-webserver");
  json ing = c.make_ingress("default", "simple-fanout", fanout_spec());
  c.settle();
  const std::string uid = ing["metadata"]["uid"];
  EXPECT_TRUE(c.db.read(uid)->ref_uuids("service-appliance-set").empty());

  // svc-monitor creates the set later; the next event for the Ingress adds the ref.
  auto gsc = c.read_fq("global-system-config", {"default-global-system-config"});
  ASSERT_TRUE(gsc);
  ConfigObject sas;
  sas.type = "service-appliance-set";
  sas.fq_name = {"default-global-system-config", "opencontrail"};
  sas.parent_type = "global-system-config";
  sas.parent_uuid = gsc->uuid;
  auto created = c.db.create(sas);
  ASSERT_TRUE(created.is_ok()) << created.status().to_string();
  json touched = c.get("Ingress", "default", "simple-fanout");
  touched["metadata"]["labels"] = {{"touched", "yes"}};
  c.update(touched);
  c.settle();
  auto lb = c.db.read(uid);
  EXPECT_EQ(lb->ref_uuids("service-appliance-set"), std::vector<std::string>{created->uuid});
  EXPECT_EQ(lb->ref_uuids("virtual-machine-interface").size(), 1u) << "other refs are kept";
  EXPECT_EQ(lb->annotation("kind"), "Ingress");
}

}  // namespace
}  // namespace csim::kube
