#include "kube/pod_scheduler.h"

#include <map>

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

}  // namespace
}  // namespace csim::kube
