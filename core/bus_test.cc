#include "core/bus.h"

#include <atomic>
#include <mutex>
#include <thread>

#include <gtest/gtest.h>

namespace csim::core {
namespace {

TEST(BusTest, DeliversToExactAndPrefixSubscribersInPublishOrder) {
  SimulatedClock clock;
  Bus bus(clock, Bus::Mode::kDeterministic);
  std::vector<std::string> seen;
  bus.subscribe("a", "config.changed.loadbalancer", [&](const Envelope& e) {
    seen.push_back("a:" + e.body["uuid"].get<std::string>());
  });
  bus.subscribe("b", "config.changed.", [&](const Envelope& e) { seen.push_back("b:" + e.topic); });
  bus.subscribe("c", "kube.*", [&](const Envelope& e) { seen.push_back("c:" + e.topic); });
  bus.publish("x", "config.changed.loadbalancer", {{"uuid", "1"}});
  bus.publish("x", "config.changed.loadbalancer-pool", {{"uuid", "2"}});
  bus.publish("x", "kube.watch.ingress", {{"uuid", "3"}});
  bus.publish("x", "other", {{"uuid", "4"}});
  EXPECT_TRUE(seen.empty()) << "deterministic mode delivers only in run_until_idle";
  ASSERT_TRUE(bus.run_until_idle());
  EXPECT_EQ(seen, (std::vector<std::string>{"a:1", "b:config.changed.loadbalancer",
                                            "b:config.changed.loadbalancer-pool",
                                            "c:kube.watch.ingress"}));
}

TEST(BusTest, PublishesInsideHandlersAreChildrenOfTheHandledMessage) {
  SimulatedClock clock;
  Bus bus(clock, Bus::Mode::kDeterministic);
  bus.subscribe("kube-manager", "kube.watch.ingress", [&](const Envelope& e) {
    clock.advance(std::chrono::milliseconds(2));
    bus.publish("kube-manager", "config.changed.loadbalancer", {{"summary", "lb"}});
  });
  bus.subscribe("svc-monitor", "config.changed.loadbalancer", [&](const Envelope&) {
    bus.record("svc-monitor", "render", "haproxy.conf rendered", clock.now(), clock.now());
  });
  uint64_t root;
  {
    TraceScope scope(bus, "cli", "apply simple-fanout.yaml");
    root = scope.trace_id();
    bus.publish("kube-apiserver", "kube.watch.ingress", {{"summary", "ADDED ingress"}});
  }
  bus.run_until_idle();
  auto spans = bus.spans_of(root);
  ASSERT_EQ(spans.size(), 4u);
  EXPECT_EQ(spans[0].kind, "root");
  EXPECT_EQ(spans[1].topic, "kube.watch.ingress");
  EXPECT_EQ(spans[1].parent_span, spans[0].span_id);
  EXPECT_EQ(spans[2].topic, "config.changed.loadbalancer");
  EXPECT_EQ(spans[2].parent_span, spans[1].span_id);
  EXPECT_EQ(spans[2].summary, "lb");
  EXPECT_EQ(spans[3].kind, "work");
  EXPECT_EQ(spans[3].parent_span, spans[2].span_id);
  auto deliveries = bus.deliveries();
  ASSERT_EQ(deliveries.size(), 2u);
  EXPECT_EQ(deliveries[0].subscriber, "kube-manager");
  EXPECT_EQ((deliveries[0].finished - deliveries[0].started).count(), 2000000);
}

TEST(BusTest, ThreadedModeRunsOneModuleSeriallyAndModulesInParallel) {
  Bus bus(SystemClock::instance(), Bus::Mode::kThreaded, 4);
  std::atomic<int> inside{0};
  std::atomic<int> max_inside{0};
  std::atomic<int> count{0};
  bus.subscribe("serial", "t", [&](const Envelope&) {
    int now = ++inside;
    int prev = max_inside.load();
    while (now > prev && !max_inside.compare_exchange_weak(prev, now)) {
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
    --inside;
    ++count;
  });
  for (int i = 0; i < 50; ++i) bus.publish("p", "t", i);
  ASSERT_TRUE(bus.run_until_idle(std::chrono::seconds(10)));
  EXPECT_EQ(count.load(), 50);
  EXPECT_EQ(max_inside.load(), 1);
}

TEST(BusTest, TypedTopicsRoundTrip) {
  SimulatedClock clock;
  Bus bus(clock, Bus::Mode::kDeterministic);
  Topic<std::vector<int>> topic{"numbers"};
  std::vector<int> got;
  bus.subscribe<std::vector<int>>("m", topic, [&](const std::vector<int>& v, const Envelope&) { got = v; });
  bus.publish("p", topic, std::vector<int>{1, 2, 3});
  bus.run_until_idle();
  EXPECT_EQ(got, (std::vector<int>{1, 2, 3}));
}

TEST(BusTest, AThrowingHandlerIsRecordedAndDoesNotStopTheBus) {
  SimulatedClock clock;
  Bus bus(clock, Bus::Mode::kDeterministic);
  int after = 0;
  bus.subscribe("bad", "t", [](const Envelope&) { throw std::runtime_error("boom"); });
  bus.subscribe("good", "t", [&](const Envelope&) { ++after; });
  bus.publish("p", "t", nullptr);
  bus.run_until_idle();
  EXPECT_EQ(after, 1);
  bool found = false;
  for (const auto& s : bus.spans()) found |= (s.topic == "handler failed" && s.summary == "boom");
  EXPECT_TRUE(found);
}

}  // namespace
}  // namespace csim::core

namespace csim::core {
namespace {

TEST(BusTest, ObserversSeeEverySpanWithoutBeingSubscribers) {
  SimulatedClock clock;
  Bus bus(clock, Bus::Mode::kDeterministic);
  std::vector<std::string> seen;
  bus.add_observer([&](const SpanRecord& s) { seen.push_back(s.kind + ":" + s.topic); });
  bus.subscribe("m", "t", [&](const Envelope&) {
    bus.record("m", "work", "did it", clock.now(), clock.now());
  });
  {
    TraceScope scope(bus, "cli", "apply");
    bus.publish("p", "t", nullptr);
  }
  bus.run_until_idle();
  EXPECT_EQ(seen, (std::vector<std::string>{"root:apply", "publish:t", "work:work"}));
  EXPECT_EQ(bus.deliveries().size(), 1u);
}

}  // namespace
}  // namespace csim::core

namespace csim::core {
namespace {

TEST(BusTest, ShutdownDeliversWhatWasQueuedThenNothing) {
  Bus bus(SystemClock::instance(), Bus::Mode::kThreaded, 2);
  std::atomic<int> count{0};
  bus.subscribe("m", "t", [&](const Envelope&) { ++count; });
  for (int i = 0; i < 10; ++i) bus.publish("p", "t", i);
  bus.shutdown();
  EXPECT_EQ(count.load(), 10);
  bus.publish("p", "t", 11);
  EXPECT_TRUE(bus.run_until_idle(std::chrono::milliseconds(100)));
  EXPECT_EQ(count.load(), 10);
  bus.shutdown();  // idempotent
}

TEST(BusTest, PostAfterWaitsItsDelayAndCountsAsQueuedWork) {
  Bus bus(SystemClock::instance(), Bus::Mode::kThreaded, 2);
  std::mutex mu;
  std::vector<std::string> order;
  const auto t0 = std::chrono::steady_clock::now();
  std::chrono::steady_clock::duration late_at{};
  bus.post_after("m", std::chrono::milliseconds(60), [&] {
    std::lock_guard lock(mu);
    order.push_back("late");
    late_at = std::chrono::steady_clock::now() - t0;
  });
  bus.post_after("m", std::chrono::milliseconds(20), [&] {
    std::lock_guard lock(mu);
    order.push_back("soon");
  });
  bus.post_after("m", Nanos(0), [&] {
    std::lock_guard lock(mu);
    order.push_back("now");
  });
  ASSERT_TRUE(bus.run_until_idle(std::chrono::seconds(5))) << "idle only after the delayed work";
  std::lock_guard lock(mu);
  EXPECT_EQ(order, (std::vector<std::string>{"now", "soon", "late"}));
  EXPECT_GE(late_at, std::chrono::milliseconds(60));
}

TEST(BusTest, PostAfterIsImmediateInDeterministicModeAndDroppedByShutdown) {
  SimulatedClock clock;
  Bus det(clock, Bus::Mode::kDeterministic);
  int ran = 0;
  det.post_after("m", std::chrono::seconds(30), [&] { ++ran; });
  ASSERT_TRUE(det.run_until_idle());
  EXPECT_EQ(ran, 1);

  Bus bus(SystemClock::instance(), Bus::Mode::kThreaded, 2);
  std::atomic<int> count{0};
  bus.post_after("m", std::chrono::hours(1), [&] { ++count; });
  EXPECT_FALSE(bus.run_until_idle(std::chrono::milliseconds(50))) << "still waiting";
  bus.shutdown(std::chrono::milliseconds(10));
  EXPECT_TRUE(bus.run_until_idle(std::chrono::milliseconds(10))) << "dropped";
  EXPECT_EQ(count.load(), 0);
}

}  // namespace
}  // namespace csim::core
