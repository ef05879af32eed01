// kube-manager's Ingress handling through the bus (contrail-reference.md §1): the seed's
// examples, external IPs, updates, Service coupling, deletion, ingress class, TLS.
#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "kube/kube_manager/ingress_backends.h"
#include "kube/kube_manager/kube_manager.h"
#include "kube/kube_manager/test_cluster.h"
#include "svcmon/kubernetes_routing.h"

namespace csim::kube {
namespace {

using controller::ConfigObject;
using controller::FqName;
using testing::kvps;
using testing::TestCluster;
using nlohmann::json;
using KV = std::vector<std::pair<std::string, json>>;

// kube-manager writes the annotation svc-monitor reads.
static_assert(std::string_view(kBackendUnavailableAnnotation) ==
              std::string_view(svcmon::kBackendUnavailableAnnotation));

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
  // (op, type) of every config write, from now on, to an object of which an fq_name part
  // starts with `prefix` (an Ingress's listeners and pools are named "<ing>__<uid>-…",
  // its members are their children).
  using Writes = std::vector<std::pair<std::string, std::string>>;
  Writes& record_writes(const std::string& prefix) {
    c.bus.subscribe("test", "config.changed.", [this, prefix](const core::Envelope& e) {
      bool ours = false;
      for (const auto& part : e.body.value("fq_name", json::array()))
        ours = ours || (part.is_string() && part.get<std::string>().rfind(prefix, 0) == 0);
      if (ours) writes_.emplace_back(e.body.value("op", ""), e.body.value("type", ""));
    });
    return writes_;
  }
  size_t published(const std::string& topic_prefix) {
    size_t n = 0;
    for (const auto& s : c.bus.spans())
      if (s.kind == "publish" && s.topic.rfind(topic_prefix, 0) == 0) ++n;
    return n;
  }

  TestCluster c;
  Writes writes_;
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
  Writes& writes = record_writes("simple-fanout__");
  json ing = c.make_ingress("default", "simple-fanout", fanout_spec());
  c.settle();
  const std::string uid = ing["metadata"]["uid"];
  const char* unavailable = svcmon::kBackendUnavailableAnnotation;  // svc-monitor reads this key
  // No Services yet: the loadbalancer and its addresses exist; each backend has its
  // listener and pool, without member, annotated with why.
  ASSERT_TRUE(c.db.read(uid));
  EXPECT_EQ(status_ips("simple-fanout").size(), 2u);
  auto first = backends(uid);
  ASSERT_EQ(first.size(), 2u);
  for (const auto& [path, svc] : {std::pair<std::string, std::string>{"/qa.html", "qa-webserver"},
                                  {"/dev.html", "dev-webserver"}}) {
    SCOPED_TRACE(path);
    EXPECT_TRUE(first[path].members.empty());
    EXPECT_EQ(first[path].pool.annotation(unavailable), "Service default/" + svc + " not found");
    EXPECT_EQ(first[path].listener.name(), first[path].pool.name());
    EXPECT_NE(first[path].listener.name().find("simple-fanout__" + uid + "-HTTP-80-"), std::string::npos);
    EXPECT_EQ(first[path].listener.props["loadbalancer_listener_properties"],
              (json{{"protocol", "HTTP"}, {"protocol_port", 80}, {"admin_state", true}}));
  }
  EXPECT_EQ(kvps(first["/qa.html"].pool),
            (KV{{"path", "/qa.html"}, {"type", "acl"}, {"index", "0"}, {"pathType", "ImplementationSpecific"},
                {unavailable, "Service default/qa-webserver not found"}}));
  EXPECT_TRUE(c.recorded("path /qa.html -> qa-webserver:80: Service default/qa-webserver not found; "
                         "listener and pool kept without member (pool annotation backend_unavailable)"));

  // Service created after the Ingress: the same listener and pool get the member, then
  // lose the annotation.
  writes.clear();
  service("qa-webserver");
  c.settle();
  auto b = backends(uid);
  ASSERT_EQ(b.size(), 2u);
  EXPECT_EQ(b["/qa.html"].listener.uuid, first["/qa.html"].listener.uuid);
  EXPECT_EQ(b["/qa.html"].pool.uuid, first["/qa.html"].pool.uuid);
  ASSERT_EQ(b["/qa.html"].members.size(), 1u);
  EXPECT_EQ(b["/qa.html"].members[0].props["loadbalancer_member_properties"]["address"],
            cluster_ip("qa-webserver"));
  EXPECT_FALSE(b["/qa.html"].pool.annotation(unavailable));
  EXPECT_EQ(kvps(b["/qa.html"].pool), (KV{{"path", "/qa.html"}, {"type", "acl"}, {"index", "0"},
                                          {"pathType", "ImplementationSpecific"}}));
  EXPECT_TRUE(b["/dev.html"].members.empty());
  EXPECT_TRUE(b["/dev.html"].pool.annotation(unavailable));
  {
    auto member = std::find(writes.begin(), writes.end(), std::pair<std::string, std::string>{"create", "loadbalancer-member"});
    auto pool = std::find(writes.begin(), writes.end(), std::pair<std::string, std::string>{"update", "loadbalancer-pool"});
    ASSERT_NE(member, writes.end());
    ASSERT_NE(pool, writes.end());
    EXPECT_LT(member, pool) << "the member first, then the pool becomes available";
    EXPECT_EQ(std::count(writes.begin(), writes.end(), std::pair<std::string, std::string>{"create", "loadbalancer-listener"}), 0);
    EXPECT_EQ(std::count(writes.begin(), writes.end(), std::pair<std::string, std::string>{"delete", "loadbalancer-listener"}), 0);
  }
  service("dev-webserver");
  c.settle();
  b = backends(uid);
  ASSERT_EQ(b.size(), 2u);
  for (const auto& [path, be] : b) {
    EXPECT_EQ(be.members.size(), 1u) << path;
    EXPECT_FALSE(be.pool.annotation(unavailable)) << path;
  }

  // Service deleted: its listener and pool stay, annotated first, then emptied; the other
  // backend is untouched.
  writes.clear();
  auto qa = b["/qa.html"];
  c.remove("Service", "default", "qa-webserver");
  c.settle();
  auto gone = backends(uid);
  ASSERT_EQ(gone.size(), 2u);
  EXPECT_EQ(gone["/qa.html"].listener.uuid, qa.listener.uuid);
  EXPECT_EQ(gone["/qa.html"].pool.uuid, qa.pool.uuid);
  EXPECT_TRUE(gone["/qa.html"].members.empty());
  EXPECT_FALSE(c.db.read(qa.members.at(0).uuid));
  EXPECT_EQ(gone["/qa.html"].pool.annotation(unavailable), "Service default/qa-webserver not found");
  EXPECT_EQ(gone["/dev.html"].members.at(0).uuid, b["/dev.html"].members.at(0).uuid);
  EXPECT_FALSE(gone["/dev.html"].pool.annotation(unavailable));
  {
    auto pool = std::find(writes.begin(), writes.end(), std::pair<std::string, std::string>{"update", "loadbalancer-pool"});
    auto member = std::find(writes.begin(), writes.end(), std::pair<std::string, std::string>{"delete", "loadbalancer-member"});
    ASSERT_NE(member, writes.end());
    ASSERT_NE(pool, writes.end());
    EXPECT_LT(pool, member) << "the pool is marked unavailable before it loses its member";
  }
  EXPECT_TRUE(c.recorded("path /qa.html -> qa-webserver:80: Service default/qa-webserver not found; member removed"));

  // Re-created (with another clusterIP): the same pool gets a member at the new address.
  json again = c.create({{"apiVersion", "v1"}, {"kind", "Service"},
                         {"metadata", {{"name", "qa-webserver"}, {"namespace", "default"}}},
                         {"spec", {{"selector", {{"app", "qa-webserver"}}}, {"clusterIP", "10.96.0.77"},
                                   {"ports", json::array({{{"port", 80}, {"targetPort", 8080}}})}}}});
  c.settle();
  auto back = backends(uid);
  ASSERT_EQ(back.size(), 2u);
  EXPECT_EQ(back["/qa.html"].pool.uuid, qa.pool.uuid);
  ASSERT_EQ(back["/qa.html"].members.size(), 1u);
  EXPECT_EQ(back["/qa.html"].members[0].props["loadbalancer_member_properties"]["address"], "10.96.0.77");
  EXPECT_FALSE(back["/qa.html"].pool.annotation(unavailable));

  // The Ingress's own status patch and later no-op events write nothing more.
  writes.clear();
  json touched = c.get("Ingress", "default", "simple-fanout");
  touched["metadata"]["annotations"]["note"] = "unrelated";
  c.update(touched);
  c.settle();
  EXPECT_TRUE(writes.empty());
}

// A numbered port the Service lacks: no member (it would point at nothing), the pool kept
// and annotated; the port's arrival brings the member.
TEST_F(IngressTest, MissingNumberedPortIsUnavailable) {
  service("web", json::array({{{"port", 80}}}));
  json spec = {{"rules", json::array({{{"http", {{"paths", json::array({
                  http_path("/web", "web", {{"number", 81}})})}}}}})}};
  json ing = c.make_ingress("default", "numbered", spec);
  c.settle();
  const std::string uid = ing["metadata"]["uid"];
  auto b = backends(uid);
  ASSERT_EQ(b.size(), 1u);
  EXPECT_EQ(b["/web"].pool.annotation(kBackendUnavailableAnnotation), "port 81 not found in Service default/web");
  EXPECT_TRUE(b["/web"].members.empty());

  json changed = c.get("Service", "default", "web");
  changed["spec"]["ports"].push_back({{"name", "alt"}, {"port", 81}});
  changed["spec"]["ports"][0]["name"] = "main";
  c.update(changed);
  c.settle();
  auto after = backends(uid);
  ASSERT_EQ(after.size(), 1u);
  EXPECT_EQ(after["/web"].pool.uuid, b["/web"].pool.uuid);
  EXPECT_FALSE(after["/web"].pool.annotation(kBackendUnavailableAnnotation).has_value());
  ASSERT_EQ(after["/web"].members.size(), 1u);
}

TEST_F(IngressTest, MissingNamedPortAndHeadlessServiceAreUnavailable) {
  service("web", json::array({{{"name", "metrics"}, {"port", 9090}}}));
  c.create({{"apiVersion", "v1"}, {"kind", "Service"},
            {"metadata", {{"name", "headless"}, {"namespace", "default"}}},
            {"spec", {{"clusterIP", "None"}, {"selector", {{"app", "h"}}}, {"ports", json::array({{{"port", 80}}})}}}});
  json spec = {{"rules", json::array({{{"http", {{"paths", json::array({
                  http_path("/web", "web", {{"name", "http"}}), http_path("/headless", "headless")})}}}}})}};
  json ing = c.make_ingress("default", "ports", spec);
  c.settle();
  const std::string uid = ing["metadata"]["uid"];
  auto b = backends(uid);
  ASSERT_EQ(b.size(), 2u);
  EXPECT_EQ(b["/web"].pool.annotation(kBackendUnavailableAnnotation), "port http not found in Service default/web");
  EXPECT_TRUE(b["/web"].members.empty());
  EXPECT_EQ(b["/headless"].pool.annotation(kBackendUnavailableAnnotation), "Service default/headless has no clusterIP");
  EXPECT_TRUE(b["/headless"].members.empty());

  // The port appears: member at that port, same pool, annotation dropped.
  json changed = c.get("Service", "default", "web");
  changed["spec"]["ports"].push_back({{"name", "http"}, {"port", 8000}});
  c.update(changed);
  c.settle();
  auto after = backends(uid);
  EXPECT_EQ(after["/web"].pool.uuid, b["/web"].pool.uuid);
  ASSERT_EQ(after["/web"].members.size(), 1u);
  EXPECT_EQ(after["/web"].members[0].props["loadbalancer_member_properties"],
            (json{{"address", cluster_ip("web")}, {"protocol_port", 8000}, {"weight", 1}, {"admin_state", true}}));
  EXPECT_FALSE(after["/web"].pool.annotation(kBackendUnavailableAnnotation));
  EXPECT_TRUE(after["/headless"].pool.annotation(kBackendUnavailableAnnotation));
}

TEST_F(IngressTest, UnavailableAnnotationIsPutBackInPlace) {
  json ing = c.make_ingress("default", "simple-fanout", fanout_spec());
  c.settle();
  const std::string uid = ing["metadata"]["uid"];
  auto b = backends(uid);
  ASSERT_EQ(b.size(), 2u);
  // A user drops the annotation through the config API: the next event writes it back on
  // the same pool.
  ConfigObject pool = b["/qa.html"].pool;
  pool.props["annotations"] = {{"key_value_pair", json::array({{{"key", "path"}, {"value", "/qa.html"}},
                                                               {{"key", "type"}, {"value", "acl"}}})}};
  ASSERT_TRUE(c.db.update(pool).is_ok());
  // And adds a member to the other unavailable pool: it is deleted again.
  ConfigObject m;
  m.type = "loadbalancer-member";
  m.fq_name = b["/dev.html"].pool.fq_name;
  m.fq_name.push_back("by-hand");
  m.parent_type = "loadbalancer-pool";
  m.parent_uuid = b["/dev.html"].pool.uuid;
  m.props["loadbalancer_member_properties"] = {{"address", "10.96.0.99"}, {"protocol_port", 80}};
  auto added = c.db.create(m);
  ASSERT_TRUE(added.is_ok()) << added.status().to_string();
  json touched = c.get("Ingress", "default", "simple-fanout");
  touched["metadata"]["labels"] = {{"touched", "yes"}};
  c.update(touched);
  c.settle();
  auto after = backends(uid);
  EXPECT_EQ(after["/qa.html"].listener.uuid, b["/qa.html"].listener.uuid);
  EXPECT_EQ(after["/qa.html"].pool.uuid, b["/qa.html"].pool.uuid);
  EXPECT_EQ(kvps(after["/qa.html"].pool), kvps(b["/qa.html"].pool));
  EXPECT_EQ(after["/dev.html"].pool.uuid, b["/dev.html"].pool.uuid);
  EXPECT_TRUE(after["/dev.html"].members.empty());
  EXPECT_FALSE(c.db.read(added->uuid));
}

TEST_F(IngressTest, PoolsWithoutMembersAreNotOrphanedWhenTheirRuleGoes) {
  service("qa-webserver");
  json spec = {{"rules", json::array({{{"http", {{"paths", json::array({
                  http_path("/qa.html", "qa-webserver"), http_path("/missing.html", "missing"),
                  http_path("/keep.html", "qa-webserver")})}}}}})}};
  json ing = c.make_ingress("default", "orphans", spec);
  c.settle();
  const std::string uid = ing["metadata"]["uid"];
  auto before = backends(uid);
  ASSERT_EQ(before.size(), 3u);
  ASSERT_TRUE(before["/missing.html"].members.empty()) << "member-less because its Service is missing";
  // And one made member-less through the config API (Contrail's diff skips both kinds).
  ASSERT_TRUE(c.db.remove("loadbalancer-member", before["/qa.html"].members.at(0).uuid).is_ok());

  // Both rules removed: their listeners and pools go, the kept rule stays as it was.
  json changed = c.get("Ingress", "default", "orphans");
  changed["spec"]["rules"][0]["http"]["paths"] = json::array({http_path("/keep.html", "qa-webserver")});
  c.update(changed);
  c.settle();
  auto after = backends(uid);
  ASSERT_EQ(after.size(), 1u);
  ASSERT_TRUE(after.count("/keep.html"));
  EXPECT_EQ(after["/keep.html"].listener.uuid, before["/keep.html"].listener.uuid);
  EXPECT_EQ(after["/keep.html"].members.at(0).uuid, before["/keep.html"].members.at(0).uuid);
  for (const char* path : {"/qa.html", "/missing.html"}) {
    EXPECT_FALSE(c.db.read(before[path].listener.uuid)) << path;
    EXPECT_FALSE(c.db.read(before[path].pool.uuid)) << path;
  }
  size_t ingress_listeners = 0, ingress_pools = 0;
  for (const auto& l : c.list("loadbalancer-listener")) ingress_listeners += l.name().rfind("orphans__", 0) == 0;
  for (const auto& p : c.list("loadbalancer-pool")) ingress_pools += p.name().rfind("orphans__", 0) == 0;
  EXPECT_EQ(ingress_listeners, 1u);
  EXPECT_EQ(ingress_pools, 1u);
}

TEST_F(IngressTest, ClusterIpAndPortChangesReachTheMembers) {
  c.create({{"apiVersion", "v1"}, {"kind", "Service"},
            {"metadata", {{"name", "web"}, {"namespace", "default"}}},
            {"spec", {{"selector", {{"app", "web"}}}, {"clusterIP", "10.96.0.40"},
                      {"ports", json::array({{{"name", "http"}, {"port", 80}}})}}}});
  json spec = {{"rules", json::array({{{"http", {{"paths", json::array({
                  http_path("/", "web", {{"name", "http"}})})}}}}})}};
  json ing = c.make_ingress("default", "moves", spec);
  c.settle();
  const std::string uid = ing["metadata"]["uid"];
  auto b = backends(uid);
  ASSERT_EQ(b["/"].members.size(), 1u);
  EXPECT_EQ(b["/"].members[0].props["loadbalancer_member_properties"]["address"], "10.96.0.40");

  // clusterIP is immutable: the Service is replaced (delete + create, one reconcile) with
  // another clusterIP and another port number under the same name. The member follows in
  // place (Contrail propagates neither).
  c.remove("Service", "default", "web");
  c.create({{"apiVersion", "v1"}, {"kind", "Service"},
            {"metadata", {{"name", "web"}, {"namespace", "default"}}},
            {"spec", {{"selector", {{"app", "web"}}}, {"clusterIP", "10.96.0.41"},
                      {"ports", json::array({{{"name", "http"}, {"port", 8080}}})}}}});
  c.settle();
  auto after = backends(uid);
  ASSERT_EQ(after["/"].members.size(), 1u);
  EXPECT_EQ(after["/"].members[0].uuid, b["/"].members[0].uuid);
  EXPECT_EQ(after["/"].listener.uuid, b["/"].listener.uuid);
  EXPECT_EQ(after["/"].pool.uuid, b["/"].pool.uuid);
  EXPECT_EQ(after["/"].members[0].props["loadbalancer_member_properties"],
            (json{{"address", "10.96.0.41"}, {"protocol_port", 8080}, {"weight", 1}, {"admin_state", true}}));
  EXPECT_FALSE(after["/"].pool.annotation(kBackendUnavailableAnnotation));
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
  Writes& writes = record_writes("tls__");
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
  // The status patch kube-manager made (and the MODIFIED it caused) recreated nothing:
  // one create each for the two listeners and pools, no delete.
  auto count = [&](const std::string& op, const std::string& type) {
    return std::count(writes.begin(), writes.end(), std::pair<std::string, std::string>{op, type});
  };
  EXPECT_EQ(published("kube.watch.ingress"), 2u) << "ADDED, then the MODIFIED of the status patch";
  EXPECT_EQ(count("create", "loadbalancer-listener"), 2);
  EXPECT_EQ(count("create", "loadbalancer-pool"), 2);
  EXPECT_EQ(count("delete", "loadbalancer-listener"), 0);
  EXPECT_EQ(count("delete", "loadbalancer-pool"), 0);

  auto same_backends = [&](const char* what) {
    auto now = backends(ing["metadata"]["uid"]);
    ASSERT_EQ(now.size(), 2u) << what;
    for (const auto& [k, be] : b) {
      EXPECT_EQ(now[k].listener.uuid, be.listener.uuid) << what << " " << k;
      EXPECT_EQ(now[k].pool.uuid, be.pool.uuid) << what << " " << k;
      EXPECT_EQ(now[k].members.at(0).uuid, be.members.at(0).uuid) << what << " " << k;
    }
  };
  const size_t changes = published("config.changed.");
  json again = c.get("Ingress", "default", "tls");
  again["metadata"]["labels"] = {{"touched", "yes"}};
  c.update(again);
  c.settle();
  EXPECT_EQ(published("config.changed."), changes) << "Contrail's TERMINTED_HTTPS typo would recreate it";
  same_backends("after a label change");

  // An unrelated annotation: a MODIFIED that changes nothing.
  again = c.get("Ingress", "default", "tls");
  again["metadata"]["annotations"]["example.com/owner"] = "team-a";
  c.update(again);
  c.settle();
  EXPECT_EQ(published("config.changed."), changes);
  same_backends("after an unrelated annotation");

  // A new external IP: the floating-ip and the status change (kube-manager patches the
  // status again), the TLS backends do not.
  writes.clear();
  again = c.get("Ingress", "default", "tls");
  again["metadata"]["annotations"]["externalIP"] = "10.84.59.30";
  c.update(again);
  c.settle();
  EXPECT_EQ(status_ips("tls"), (std::vector<std::string>{"10.84.59.30", "10.47.255.252"}));
  EXPECT_FALSE(writes.empty()) << "the floating-ip and the loadbalancer's annotation";
  for (const auto& [op, type] : writes) EXPECT_EQ(type.rfind("loadbalancer-", 0), std::string::npos) << op << " " << type;
  same_backends("after a status patch");
}

TEST_F(IngressTest, DeleteRemovesEveryConfigObjectItHad) {
  service("qa-webserver");
  c.settle();
  // Every config object and address before the Ingress.
  const std::vector<std::string> types = {
      "project", "security-group", "virtual-network", "network-ipam", "virtual-machine",
      "virtual-machine-interface", "instance-ip", "floating-ip-pool", "floating-ip",
      "loadbalancer", "loadbalancer-listener", "loadbalancer-pool", "loadbalancer-member",
      "service-appliance-set", "virtual-router"};
  auto snapshot = [&] {
    std::map<std::string, std::set<std::string>> out;
    for (const auto& t : types)
      for (const auto& o : c.list(t)) out[t].insert(o.uuid);
    return out;
  };
  auto addresses = [&] {
    std::set<std::string> out;
    for (const auto& a : c.db.allocations()) out.insert(a.address);
    return out;
  };
  const auto objects_before = snapshot();
  const auto addresses_before = addresses();

  // TLS (two listeners per rule), a backend without Service (member-less pool), a default
  // backend and an explicit external IP.
  json spec = {{"tls", json::array({{{"secretName", "all"}}})},
               {"defaultBackend", {{"service", {{"name", "qa-webserver"}, {"port", {{"number", 80}}}}}}},
               {"rules", json::array({{{"http", {{"paths", json::array({
                   http_path("/qa.html", "qa-webserver"), http_path("/missing.html", "missing")})}}}}})}};
  json ing = c.make_ingress("default", "everything", spec, {{"externalIP", "10.84.59.22"}});
  c.settle();
  const std::string uid = ing["metadata"]["uid"];
  ASSERT_EQ(backends(uid).size(), 6u);
  ASSERT_EQ(c.list("floating-ip").size(), 1u);
  ASSERT_NE(snapshot(), objects_before);

  c.remove("Ingress", "default", "everything");
  c.settle();
  EXPECT_EQ(snapshot(), objects_before);
  EXPECT_EQ(addresses(), addresses_before);
  EXPECT_TRUE(c.km->introspect()["service_index"].empty());
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
