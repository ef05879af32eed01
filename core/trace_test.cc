#include "core/trace.h"

#include <gtest/gtest.h>

namespace csim::core {
namespace {

using std::chrono::milliseconds;

class TraceTest : public ::testing::Test {
 protected:
  // apply → watch(ingress) → [kube-manager] config.changed.loadbalancer → [svc-monitor] work
  uint64_t run_pipeline() {
    bus_.subscribe("kube-manager", "kube.watch.ingress", [&](const Envelope&) {
      clock_.advance(milliseconds(3));
      bus_.publish("config-db", "config.changed.loadbalancer", {{"summary", "create loadbalancer lb1"}});
    });
    bus_.subscribe("svc-monitor", "config.changed.loadbalancer", [&](const Envelope&) {
      Nanos start = clock_.now();
      clock_.advance(milliseconds(5));
      bus_.record("agent-node-1", "haproxy", "haproxy pid 42 serving 10.47.255.252:80 in namespace x",
                  start, clock_.now());
    });
    uint64_t id;
    {
      TraceScope scope(bus_, "cli", "apply simple-fanout.yaml");
      id = scope.trace_id();
      clock_.advance(milliseconds(1));
      bus_.publish("kube-apiserver", "kube.watch.ingress", {{"summary", "ADDED ingress default/simple-fanout"}});
    }
    bus_.run_until_idle();
    return id;
  }

  SimulatedClock clock_;
  Bus bus_{clock_, Bus::Mode::kDeterministic};
};

TEST_F(TraceTest, TreeFollowsCausality) {
  TraceNode root = build_trace_tree(bus_, run_pipeline());
  EXPECT_EQ(root.span.topic, "apply simple-fanout.yaml");
  ASSERT_EQ(root.children.size(), 1u);
  const TraceNode& watch = root.children[0];
  EXPECT_EQ(watch.span.topic, "kube.watch.ingress");
  ASSERT_EQ(watch.deliveries.size(), 1u);
  EXPECT_EQ(watch.deliveries[0].subscriber, "kube-manager");
  ASSERT_EQ(watch.children.size(), 1u);
  const TraceNode& lb = watch.children[0];
  EXPECT_EQ(lb.span.topic, "config.changed.loadbalancer");
  ASSERT_EQ(lb.children.size(), 1u);
  EXPECT_EQ(lb.children[0].span.kind, "work");
}

TEST_F(TraceTest, TextShowsOffsetsIndentationAndHandlers) {
  std::string text = render_trace_text(build_trace_tree(bus_, run_pipeline()));
  EXPECT_NE(text.find("+    0.0 ms  apply simple-fanout.yaml"), std::string::npos) << text;
  EXPECT_NE(text.find("+    1.0 ms  └─ kube.watch.ingress  ADDED ingress default/simple-fanout  "
                      "[kube-apiserver]  → kube-manager 3.0 ms"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("      └─ [agent-node-1] haproxy pid 42 serving 10.47.255.252:80 in namespace x  (5.0 ms)"),
            std::string::npos)
      << text;
}

TEST_F(TraceTest, ChromeEventsHaveOneTrackPerModule) {
  nlohmann::json chrome = trace_to_chrome_events(build_trace_tree(bus_, run_pipeline()));
  std::set<std::string> tracks;
  for (const auto& e : chrome["traceEvents"])
    if (e["ph"] == "M") tracks.insert(e["args"]["name"].get<std::string>());
  EXPECT_EQ(tracks, (std::set<std::string>{"agent-node-1", "cli", "config-db", "kube-apiserver",
                                           "kube-manager", "svc-monitor"}));
}

TEST_F(TraceTest, PruneKeepsOnlyThePathToMatchingSpans) {
  uint64_t id = run_pipeline();
  bus_.publish("kube-apiserver", "kube.watch.pod", {{"summary", "unrelated"}});  // other trace
  TraceNode full = build_trace_tree(bus_, id);
  // Add an unrelated sibling branch by hand: a second watch message without the haproxy span.
  TraceNode extra;
  extra.span.kind = "publish";
  extra.span.topic = "kube.watch.pod";
  extra.children.push_back(TraceNode{});
  full.children.push_back(extra);
  TraceNode pruned = prune_trace(full, [](const SpanRecord& s) {
    return s.summary.find("haproxy pid") != std::string::npos;
  });
  ASSERT_EQ(pruned.children.size(), 1u);
  EXPECT_EQ(pruned.children[0].span.topic, "kube.watch.ingress");
  EXPECT_EQ(pruned.hidden, 2u);
  EXPECT_NE(render_trace_text(pruned).find("(+2 hops not shown)"), std::string::npos);
}

}  // namespace
}  // namespace csim::core
