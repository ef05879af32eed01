#include "kube/deployment_controller.h"

#include <map>
#include <regex>
#include <set>

#include <gtest/gtest.h>

#include "kube/apply.h"
#include "kube/endpoints_controller.h"
#include "kube/memory_store.h"
#include "kube/pod_scheduler.h"

namespace csim::kube {
namespace {

using nlohmann::json;

json deployment(int replicas, const std::string& image = "csim/echo") {
  json d = json::parse(R"({"apiVersion": "apps/v1", "kind": "Deployment",
      "metadata": {"name": "web", "namespace": "default"},
      "spec": {"selector": {"matchLabels": {"app": "web"}},
        "template": {"metadata": {"labels": {"app": "web"}, "annotations": {"note": "n"}},
          "spec": {"containers": [{"name": "web", "image": "csim/echo",
                                   "ports": [{"containerPort": 8080, "name": "web"}]}]}}}})");
  d["spec"]["replicas"] = replicas;
  d["spec"]["template"]["spec"]["containers"][0]["image"] = image;
  return d;
}

class DeploymentControllerTest : public ::testing::Test {
 protected:
  DeploymentControllerTest() : bus_(clock_, core::Bus::Mode::kDeterministic) {
    controller_.start();
    bus_.run_until_idle();
  }

  std::vector<json> pods() { return store_.list("Pod", "default"); }

  std::set<std::string> pod_names() {
    std::set<std::string> out;
    for (const json& p : pods()) out.insert(p["metadata"]["name"].get<std::string>());
    return out;
  }

  void set_replicas(int n) {
    json d = *store_.get("Deployment", "default", "web");
    d["spec"]["replicas"] = n;
    ASSERT_TRUE(store_.update(d).is_ok());
    bus_.run_until_idle();
  }

  void make_ready(const std::string& name) {
    json status = {{"phase", "Running"},
                   {"podIP", "10.47.255." + std::to_string(100 + ++ips_)},
                   {"conditions", {{{"type", "Ready"}, {"status", "True"}}}}};
    ASSERT_TRUE(store_.update_status("Pod", "default", name, status).is_ok());
    bus_.run_until_idle();
  }

  json status() { return store_.get("Deployment", "default", "web")->at("status"); }

  core::SimulatedClock clock_;
  core::Bus bus_;
  MemoryObjectStore store_{bus_, clock_, MemoryObjectStore::Options{.seed = 11}};
  DeploymentController controller_{bus_, store_};
  int ips_ = 0;
};

TEST_F(DeploymentControllerTest, CreatesPodsFromTheTemplate) {
  auto d = store_.create(deployment(3));
  ASSERT_TRUE(d.is_ok());
  bus_.run_until_idle();
  auto all = pods();
  ASSERT_EQ(all.size(), 3u);
  const std::string hash = DeploymentController::template_hash(deployment(3)["spec"]["template"]);
  EXPECT_TRUE(std::regex_match(hash, std::regex("[0-9a-f]{10}"))) << hash;
  const std::regex name_re("web-" + hash + "-[bcdfghjklmnpqrstvwxz2456789]{5}");
  for (const json& p : all) {
    EXPECT_TRUE(std::regex_match(p["metadata"]["name"].get<std::string>(), name_re)) << p["metadata"]["name"];
    EXPECT_EQ(p["metadata"]["labels"], json({{"app", "web"}, {"pod-template-hash", hash}}));
    EXPECT_EQ(p["metadata"]["annotations"], json({{"note", "n"}}));
    EXPECT_EQ(p["metadata"]["ownerReferences"],
              json::array({{{"apiVersion", "apps/v1"}, {"kind", "Deployment"}, {"name", "web"},
                            {"uid", (*d)["metadata"]["uid"]}, {"controller", true},
                            {"blockOwnerDeletion", true}}}));
    EXPECT_EQ(p["spec"], deployment(3)["spec"]["template"]["spec"]);
  }
  EXPECT_EQ(status(), json::parse(R"({"observedGeneration": 1, "replicas": 3, "updatedReplicas": 3,
                                      "readyReplicas": 0, "availableReplicas": 0})"));
}

TEST_F(DeploymentControllerTest, ScalesUpAndDownKeepingReadyPods) {
  ASSERT_TRUE(store_.create(deployment(2)).is_ok());
  bus_.run_until_idle();
  auto first = pod_names();
  ASSERT_EQ(first.size(), 2u);
  for (const auto& n : first) make_ready(n);
  EXPECT_EQ(status()["readyReplicas"], 2);

  set_replicas(5);
  auto five = pod_names();
  EXPECT_EQ(five.size(), 5u);
  for (const auto& n : first) EXPECT_TRUE(five.count(n)) << "existing pods are kept";
  EXPECT_EQ(status()["replicas"], 5);
  EXPECT_EQ(status()["readyReplicas"], 2);
  EXPECT_EQ(status()["observedGeneration"], 2);

  set_replicas(2);
  EXPECT_EQ(pod_names(), first) << "the not-ready pods go first";
  EXPECT_EQ(status()["replicas"], 2);

  set_replicas(0);
  EXPECT_TRUE(pods().empty());
  EXPECT_EQ(status()["replicas"], 0);
}

TEST_F(DeploymentControllerTest, ReplacesPodsOfAnOldTemplateAndRecreatesDeletedOnes) {
  ASSERT_TRUE(store_.create(deployment(2)).is_ok());
  bus_.run_until_idle();
  auto before = pod_names();
  // A pod deleted by hand comes back (with another name).
  ASSERT_TRUE(store_.remove("Pod", "default", *before.begin()).is_ok());
  bus_.run_until_idle();
  EXPECT_EQ(pods().size(), 2u);

  json d = *store_.get("Deployment", "default", "web");
  d["spec"]["template"]["spec"]["containers"][0]["image"] = "csim/echo:v2";
  ASSERT_TRUE(store_.update(d).is_ok());
  bus_.run_until_idle();
  const std::string hash = DeploymentController::template_hash(d["spec"]["template"]);
  auto after = pods();
  ASSERT_EQ(after.size(), 2u);
  for (const json& p : after) {
    EXPECT_EQ(p["metadata"]["labels"]["pod-template-hash"], hash);
    EXPECT_EQ(p["spec"]["containers"][0]["image"], "csim/echo:v2");
  }
}

TEST_F(DeploymentControllerTest, DeletingTheDeploymentDeletesItsPodsOnly) {
  ASSERT_TRUE(store_.create(deployment(2)).is_ok());
  json loner = {{"apiVersion", "v1"},
                {"kind", "Pod"},
                {"metadata", {{"name", "loner"}, {"namespace", "default"}, {"labels", {{"app", "web"}}}}},
                {"spec", {{"containers", {{{"name", "c"}, {"image", "i"}}}}}}};
  ASSERT_TRUE(store_.create(loner).is_ok());
  bus_.run_until_idle();
  EXPECT_EQ(pods().size(), 3u);
  ASSERT_TRUE(store_.remove("Deployment", "default", "web").is_ok());
  bus_.run_until_idle();
  EXPECT_EQ(pod_names(), std::set<std::string>{"loner"});
}

// The controllers together: apply the fanout, two agents' Nodes, kubelets that report
// pods ready; pods spread over both nodes and the Endpoints list them.
TEST(KubeControllersTest, FanoutComesUpAcrossTwoNodes) {
  core::SimulatedClock clock;
  core::Bus bus(clock, core::Bus::Mode::kDeterministic);
  MemoryObjectStore store(bus, clock, {.seed = 99});
  DeploymentController deployments(bus, store);
  PodScheduler scheduler(bus, store);
  EndpointsController endpoints(bus, store);
  deployments.start();
  scheduler.start();
  endpoints.start();
  for (const char* n : {"node-1", "node-2"}) {
    ASSERT_TRUE(store.create({{"apiVersion", "v1"}, {"kind", "Node"}, {"metadata", {{"name", n}}},
                              {"status", {{"conditions", {{{"type", "Ready"}, {"status", "True"}}}}}}})
                    .is_ok());
  }
  auto r = apply_file(store, "kube/testdata/fanout.yaml");
  ASSERT_TRUE(r.is_ok()) << r.status().to_string();
  ASSERT_TRUE(bus.run_until_idle());
  auto pods = store.list("Pod", "shop");
  ASSERT_EQ(pods.size(), 2u);
  std::set<std::string> nodes;
  for (const json& p : pods) nodes.insert(p["spec"]["nodeName"].get<std::string>());
  EXPECT_EQ(nodes, (std::set<std::string>{"node-1", "node-2"}));
  EXPECT_EQ(store.get("Endpoints", "shop", "qa-webserver")->at("subsets"), json::array());
  // The kubelets report the pods running and ready.
  int i = 0;
  for (const json& p : pods) {
    json status = {{"phase", "Running"},
                   {"podIP", "10.47.255." + std::to_string(250 - i++)},
                   {"conditions", {{{"type", "Ready"}, {"status", "True"}}}}};
    ASSERT_TRUE(store.update_status("Pod", "shop", p["metadata"]["name"], status).is_ok());
  }
  ASSERT_TRUE(bus.run_until_idle());
  json subsets = store.get("Endpoints", "shop", "qa-webserver")->at("subsets");
  ASSERT_EQ(subsets.size(), 1u);
  EXPECT_EQ(subsets[0]["addresses"].size(), 2u);
  EXPECT_EQ(subsets[0]["addresses"][0]["ip"], "10.47.255.249");
  EXPECT_EQ(subsets[0]["ports"], json::parse(R"([{"port": 8080, "protocol": "TCP"}])"));
  EXPECT_EQ(store.get("Deployment", "shop", "qa-webserver")->at("status")["readyReplicas"], 2);
  // dev-webserver has no pods: empty Endpoints.
  EXPECT_EQ(store.get("Endpoints", "shop", "dev-webserver")->at("subsets"), json::array());
}

// The same in the threaded bus: modules on their own strands, the store shared.
TEST(KubeControllersTest, ThreadedBusConverges) {
  core::Bus bus(core::SystemClock::instance(), core::Bus::Mode::kThreaded, 4);
  MemoryObjectStore store(bus, core::SystemClock::instance());
  DeploymentController deployments(bus, store);
  PodScheduler scheduler(bus, store);
  EndpointsController endpoints(bus, store);
  deployments.start();
  scheduler.start();
  endpoints.start();
  for (const char* n : {"node-1", "node-2"}) {
    ASSERT_TRUE(store.create({{"apiVersion", "v1"}, {"kind", "Node"}, {"metadata", {{"name", n}}},
                              {"status", {{"conditions", {{{"type", "Ready"}, {"status", "True"}}}}}}})
                    .is_ok());
  }
  ASSERT_TRUE(apply_file(store, "kube/testdata/fanout.yaml").is_ok());
  ASSERT_TRUE(bus.run_until_idle(std::chrono::seconds(10)));
  json d = *store.get("Deployment", "shop", "qa-webserver");
  d["spec"]["replicas"] = 6;
  ASSERT_TRUE(store.update(d).is_ok());
  ASSERT_TRUE(bus.run_until_idle(std::chrono::seconds(10)));
  auto pods = store.list("Pod", "shop");
  ASSERT_EQ(pods.size(), 6u);
  std::map<std::string, int> per_node;
  for (const json& p : pods) ++per_node[p["spec"].value("nodeName", "<pending>")];
  EXPECT_EQ(per_node, (std::map<std::string, int>{{"node-1", 3}, {"node-2", 3}}));
  EXPECT_EQ(store.get("Deployment", "shop", "qa-webserver")->at("status")["replicas"], 6);
}

}  // namespace
}  // namespace csim::kube
