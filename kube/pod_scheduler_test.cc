#include "kube/pod_scheduler.h"

#include <map>
#include <random>

#include <gtest/gtest.h>

#include "kube/memory_store.h"

namespace csim::kube {
namespace {

using nlohmann::json;

json node(const std::string& name, bool ready) {
  return {{"apiVersion", "v1"},
          {"kind", "Node"},
          {"metadata", {{"name", name}}},
          {"status", {{"conditions", {{{"type", "Ready"}, {"status", ready ? "True" : "False"}}}}}}};
}

json pod(const std::string& name) {
  return {{"apiVersion", "v1"},
          {"kind", "Pod"},
          {"metadata", {{"name", name}, {"namespace", "default"}}},
          {"spec", {{"containers", {{{"name", "web"}, {"image", "csim/echo"}}}}}}};
}

class PodSchedulerTest : public ::testing::Test {
 protected:
  PodSchedulerTest() : bus_(clock_, core::Bus::Mode::kDeterministic) {
    scheduler_.start();
    bus_.run_until_idle();
  }

  std::map<std::string, std::string> placement() {
    std::map<std::string, std::string> out;
    for (const json& p : store_.list("Pod"))
      out[p["metadata"]["name"]] = p["spec"].value("nodeName", "<pending>");
    return out;
  }

  core::SimulatedClock clock_;
  core::Bus bus_;
  MemoryObjectStore store_{bus_, clock_, MemoryObjectStore::Options{.seed = 5}};
  PodScheduler scheduler_{bus_, store_};
};

TEST_F(PodSchedulerTest, SpreadsOverReadyNodesFewestPodsFirst) {
  ASSERT_TRUE(store_.create(node("node-2", true)).is_ok());
  ASSERT_TRUE(store_.create(node("node-1", true)).is_ok());
  ASSERT_TRUE(store_.create(node("node-0", false)).is_ok()) << "not Ready: never chosen";
  for (const char* name : {"a", "b", "c", "d", "e"}) ASSERT_TRUE(store_.create(pod(name)).is_ok());
  bus_.run_until_idle();
  EXPECT_EQ(placement(), (std::map<std::string, std::string>{
                             {"a", "node-1"}, {"b", "node-2"}, {"c", "node-1"},
                             {"d", "node-2"}, {"e", "node-1"}}));
  // The next pod goes to the emptier node-2; an existing binding is never changed.
  ASSERT_TRUE(store_.create(pod("f")).is_ok());
  bus_.run_until_idle();
  EXPECT_EQ(placement()["f"], "node-2");
  EXPECT_EQ(placement()["a"], "node-1");
}

TEST_F(PodSchedulerTest, PodsWaitForAReadyNode) {
  ASSERT_TRUE(store_.create(node("node-1", false)).is_ok());
  ASSERT_TRUE(store_.create(pod("a")).is_ok());
  bus_.run_until_idle();
  EXPECT_EQ(placement()["a"], "<pending>");
  json n = node("node-1", true);
  ASSERT_TRUE(store_.update_status("Node", "", "node-1", n["status"]).is_ok());
  bus_.run_until_idle();
  EXPECT_EQ(placement()["a"], "node-1");
}

TEST_F(PodSchedulerTest, CountsExistingPodsAndSkipsUnschedulableAndTerminal) {
  ASSERT_TRUE(store_.create(node("node-1", true)).is_ok());
  json cordoned = node("node-0", true);
  cordoned["spec"] = {{"unschedulable", true}};
  ASSERT_TRUE(store_.create(cordoned).is_ok());
  json bound = pod("bound");
  bound["spec"]["nodeName"] = "node-1";
  ASSERT_TRUE(store_.create(bound).is_ok());
  json done = pod("done");
  done["status"] = {{"phase", "Succeeded"}};
  ASSERT_TRUE(store_.create(done).is_ok());
  bus_.run_until_idle();
  ASSERT_TRUE(store_.create(node("node-2", true)).is_ok());
  ASSERT_TRUE(store_.create(pod("x")).is_ok());
  bus_.run_until_idle();
  EXPECT_EQ(placement(), (std::map<std::string, std::string>{
                             {"bound", "node-1"}, {"done", "<pending>"}, {"x", "node-2"}}));
}

// The cache the watch events keep equals a fresh listing after every step of a random
// history (creates, pre-bound pods, deletes, pods turning terminal, nodes coming and
// going), and no schedulable pod stays pending while a node can take it.
TEST_F(PodSchedulerTest, CacheEqualsStoreOverRandomHistory) {
  std::mt19937 rng(7);
  std::vector<std::string> names;
  bool any_node_ready = false;
  for (int step = 0; step < 300; ++step) {
    const int op = static_cast<int>(rng() % 10);
    const std::string name = "p" + std::to_string(rng() % 60);
    if (op <= 4) {
      json p = pod(name);
      if (rng() % 4 == 0) p["spec"]["nodeName"] = "node-" + std::to_string(rng() % 3);
      if (rng() % 6 == 0) p["status"] = {{"phase", "Failed"}};
      (void)store_.create(p);  // an existing name is kAlreadyExists: fine
    } else if (op <= 6) {
      (void)store_.remove("Pod", "default", name);
    } else if (op == 7) {
      (void)store_.update_status("Pod", "default", name, {{"phase", "Succeeded"}});
    } else {
      const std::string n = "node-" + std::to_string(rng() % 3);
      const bool ready = rng() % 3 != 0;
      if (!store_.get("Node", "", n))
        ASSERT_TRUE(store_.create(node(n, ready)).is_ok());
      else
        ASSERT_TRUE(store_.update_status("Node", "", n, node(n, ready)["status"]).is_ok());
    }
    bus_.run_until_idle();
    ASSERT_TRUE(scheduler_.cache_matches_store()) << "step " << step;
    any_node_ready = false;
    for (const json& n : store_.list("Node"))
      if (n["status"]["conditions"][0]["status"] == "True") any_node_ready = true;
    if (!any_node_ready) continue;
    for (const json& p : store_.list("Pod")) {
      const bool terminal = p.contains("status") && p["status"].value("phase", "") != "";
      if (!terminal)
        EXPECT_NE(p["spec"].value("nodeName", ""), "") << "step " << step << " pod "
                                                       << p["metadata"]["name"];
    }
  }
}

}  // namespace
}  // namespace csim::kube
