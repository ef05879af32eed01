#include "kube/event_recorder.h"

#include <gtest/gtest.h>

#include "kube/memory_store.h"

namespace csim::kube {
namespace {

using nlohmann::json;

class EventRecorderTest : public ::testing::Test {
 protected:
  EventRecorderTest() : bus_(clock_, core::Bus::Mode::kDeterministic) {
    recorder_ = std::make_unique<EventRecorder>(bus_, store_);
    recorder_->start();
    auto ing = store_.create({{"apiVersion", "networking.k8s.io/v1"},
                              {"kind", "Ingress"},
                              {"metadata", {{"name", "web"}, {"namespace", "default"}}},
                              {"spec", json::object()}});
    EXPECT_TRUE(ing.is_ok());
    uid_ = (*ing)["metadata"]["uid"];
    bus_.run_until_idle();
  }

  void haproxy(const std::string& node, const std::string& state, int pid, const std::string& error = "") {
    bus_.publish("vrouter-agent", "agent.haproxy",
                 {{"node", node}, {"lb", uid_}, {"namespace", "vrouter-x:" + uid_}, {"pid", pid},
                  {"vip", "10.47.255.252"}, {"ports", {80, 443}}, {"state", state}, {"error", error},
                  {"summary", "s"}});
    clock_.advance(std::chrono::seconds(1));
    bus_.run_until_idle();
  }

  std::vector<json> events() { return store_.list("Event", "default"); }

  core::SimulatedClock clock_;
  core::Bus bus_;
  MemoryObjectStore store_{bus_, clock_, MemoryObjectStore::Options{.seed = 5}};
  std::unique_ptr<EventRecorder> recorder_;
  std::string uid_;
};

TEST_F(EventRecorderTest, AddressesFromKubeManagerBecomeLoadBalancerCreated) {
  ASSERT_TRUE(store_.update_status("Ingress", "default", "web",
                                   {{"loadBalancer", {{"ingress", {{{"ip", "10.84.59.252"}}, {{"ip", "10.47.255.252"}}}}}}})
                  .is_ok());
  bus_.run_until_idle();
  auto ev = events();
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0]["reason"], "LoadBalancerCreated");
  EXPECT_EQ(ev[0]["message"], "loadbalancer " + uid_ + " created, addresses 10.84.59.252, 10.47.255.252");
  EXPECT_EQ(ev[0]["involvedObject"]["kind"], "Ingress");
  EXPECT_EQ(ev[0]["involvedObject"]["name"], "web");
  EXPECT_EQ(ev[0]["involvedObject"]["uid"], uid_);
  EXPECT_EQ(ev[0]["source"]["component"], "contrail-kube-manager");
  EXPECT_EQ(ev[0]["type"], "Normal");
  EXPECT_EQ(ev[0]["count"], 1);
  EXPECT_EQ(ev[0]["metadata"]["name"].get<std::string>().rfind("web.", 0), 0u);
}

TEST_F(EventRecorderTest, HaproxyStatesAndRepeatsAreCounted) {
  haproxy("node-1", "started", 12);
  haproxy("node-2", "started", 13);
  haproxy("node-1", "started", 12);  // the same again: count 2
  auto ev = events();
  ASSERT_EQ(ev.size(), 2u);
  int total = 0;
  for (const auto& e : ev) {
    EXPECT_EQ(e["reason"], "HaproxyStarted");
    total += e["count"].get<int>();
    if (e["source"]["host"] == "node-1") {
      EXPECT_EQ(e["count"], 2);
      EXPECT_EQ(e["message"], "node-1: haproxy pid 12 serving 10.47.255.252:80,443 (netns vrouter-x:" + uid_ + ")");
      EXPECT_NE(e["firstTimestamp"], e["lastTimestamp"]);
    }
  }
  EXPECT_EQ(total, 3);
  haproxy("node-1", "failed", 0, "haproxy -c: bad line 3");
  bool warned = false;
  for (const auto& e : events())
    if (e["reason"] == "HaproxyFailed") {
      warned = true;
      EXPECT_EQ(e["type"], "Warning");
      EXPECT_NE(e["message"].get<std::string>().find("bad line 3"), std::string::npos);
    }
  EXPECT_TRUE(warned);
}

TEST_F(EventRecorderTest, ModulesPublishEventsAndUnknownUidsAreDropped) {
  bus_.publish("svc-monitor", EventRecorder::kEventTopic,
               EventRecorder::event_body(uid_, "Scheduled", "node-1 (active), node-2 (standby)", "svc-monitor"));
  bus_.publish("svc-monitor", EventRecorder::kEventTopic,
               EventRecorder::event_body("no-such-uid", "Scheduled", "x", "svc-monitor"));
  bus_.run_until_idle();
  auto ev = events();
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0]["reason"], "Scheduled");
  EXPECT_EQ(ev[0]["source"]["component"], "svc-monitor");
}

TEST_F(EventRecorderTest, EventsGoWithTheirObjectAndStayBounded) {
  for (size_t i = 0; i < EventRecorder::kMaxEventsPerObject + 7; ++i) haproxy("node-1", "started", 100 + int(i));
  EXPECT_EQ(events().size(), EventRecorder::kMaxEventsPerObject);
  ASSERT_TRUE(store_.remove("Ingress", "default", "web").is_ok());
  bus_.run_until_idle();
  EXPECT_TRUE(events().empty());
}

TEST_F(EventRecorderTest, ARestartedRecorderCountsOnTheEventsAlreadyWritten) {
  haproxy("node-1", "started", 12);
  recorder_.reset();
  recorder_ = std::make_unique<EventRecorder>(bus_, store_);
  recorder_->start();
  haproxy("node-1", "started", 12);
  auto ev = events();
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0]["count"], 2);
}

}  // namespace
}  // namespace csim::kube
