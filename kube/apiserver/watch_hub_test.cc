#include "kube/apiserver/watch_hub.h"

#include <gtest/gtest.h>

#include "core/bus.h"
#include "core/clock.h"
#include "kube/memory_store.h"

namespace csim::kube::apiserver {
namespace {

using nlohmann::json;

json service(const std::string& name) {
  return {{"apiVersion", "v1"},
          {"kind", "Service"},
          {"metadata", {{"name", name}, {"namespace", "default"}}},
          {"spec", {{"ports", {{{"port", 80}}}}}}};
}

WatchStream::Select all() {
  return [](const json& o) -> std::optional<json> { return o; };
}

// "ADDED web rv=3\n"
WatchStream::Encode brief() {
  return [](const std::string& type, const json& o) {
    return type + " " + o["metadata"].value("name", "") + "\n";
  };
}

uint64_t rv(const json& o) { return std::stoull(o["metadata"]["resourceVersion"].get<std::string>()); }

class WatchHubTest : public ::testing::Test {
 protected:
  core::SimulatedClock clock;
  core::Bus bus{clock, core::Bus::Mode::kDeterministic};
  MemoryObjectStore store{bus, clock, MemoryObjectStore::Options{.seed = 7}};
};

TEST_F(WatchHubTest, ResumesFromAResourceVersionThenStreamsLiveEvents) {
  WatchHub hub(bus, store);
  json a = *store.create(service("a"));
  store.create(service("b"));
  store.remove("Service", "default", "a");
  bus.run_until_idle();

  WatchHub::Start start = hub.watch("Service", rv(a), all(), brief());
  ASSERT_FALSE(start.expired);
  ASSERT_TRUE(start.stream);
  int notified = 0;
  start.stream->set_notify([&] { ++notified; });
  EXPECT_EQ(notified, 1) << "events were already queued";
  WatchStream::Batch batch = start.stream->take();
  EXPECT_EQ(batch.data, "ADDED b\nDELETED a\n") << "only what came after version " << rv(a);
  EXPECT_FALSE(batch.finished);

  store.create(service("c"));
  store.create(json{{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", "other"}}}});
  bus.run_until_idle();
  EXPECT_EQ(notified, 2);
  EXPECT_EQ(start.stream->take().data, "ADDED c\n") << "other kinds are not this watch's";
  EXPECT_EQ(hub.watcher_count(), 1u);
}

TEST_F(WatchHubTest, InitialEventsComeFirstAndSelectFilters) {
  WatchHub hub(bus, store);
  store.create(service("keep"));
  store.create(service("drop"));
  bus.run_until_idle();
  auto only_keep = [](const json& o) -> std::optional<json> {
    if (o["metadata"]["name"] == "drop") return std::nullopt;
    return o;
  };
  WatchHub::Start start = hub.watch("Service", store.resource_version(), only_keep, brief(),
                                    {{"ADDED", json{{"metadata", {{"name", "synthetic"}}}}}});
  store.update(service("drop"));
  json keep = service("keep");
  keep["metadata"]["labels"] = {{"x", "y"}};
  store.update(keep);
  bus.run_until_idle();
  EXPECT_EQ(start.stream->take().data, "ADDED synthetic\nMODIFIED keep\n");
}

TEST_F(WatchHubTest, AVersionOlderThanTheHistoryIsExpired) {
  WatchHub hub(bus, store, WatchHub::Options{.history_per_kind = 2, .max_queued_per_watcher = 100});
  std::vector<json> created;
  for (const char* n : {"a", "b", "c", "d"}) created.push_back(*store.create(service(n)));
  bus.run_until_idle();
  // The ring holds c and d; b's version is the oldest a watch can resume from.
  EXPECT_EQ(hub.oldest_resource_version("Service"), rv(created[1]));
  WatchHub::Start old = hub.watch("Service", rv(created[0]), all(), brief());
  EXPECT_TRUE(old.expired);
  EXPECT_FALSE(old.stream);
  EXPECT_EQ(old.oldest, rv(created[1]));
  WatchHub::Start ok = hub.watch("Service", rv(created[1]), all(), brief());
  ASSERT_FALSE(ok.expired);
  EXPECT_EQ(ok.stream->take().data, "ADDED c\nADDED d\n");
}

TEST_F(WatchHubTest, HistoryStartsWithTheHub) {
  json before = *store.create(service("before"));
  WatchHub hub(bus, store);
  bus.run_until_idle();
  EXPECT_TRUE(hub.watch("Service", rv(before) - 1, all(), brief()).expired)
      << "the hub never saw what happened before it subscribed";
  WatchHub::Start start = hub.watch("Service", rv(before), all(), brief());
  ASSERT_FALSE(start.expired);
  EXPECT_EQ(start.stream->take().data, "") << "the creation before the hub is not replayed";
}

TEST_F(WatchHubTest, ASlowWatcherIsFinishedAndDroppedNotWaitedFor) {
  WatchHub hub(bus, store, WatchHub::Options{.history_per_kind = 100, .max_queued_per_watcher = 3});
  WatchHub::Start slow = hub.watch("Service", store.resource_version(), all(), brief());
  WatchHub::Start fast = hub.watch("Service", store.resource_version(), all(), brief());
  for (int i = 0; i < 10; ++i) {
    store.create(service("s" + std::to_string(i)));
    bus.run_until_idle();
    fast.stream->take();  // keeps up
  }
  WatchStream::Batch batch = slow.stream->take();
  EXPECT_TRUE(batch.finished);
  EXPECT_TRUE(batch.overflowed);
  EXPECT_EQ(batch.data, "") << "its queue was dropped";
  EXPECT_FALSE(fast.stream->finished());
  EXPECT_EQ(hub.watcher_count(), 1u);
  // The writer side (the store and the bus) never waited: all 10 objects exist.
  EXPECT_EQ(store.list("Service", "default").size(), 10u);
}

TEST_F(WatchHubTest, WatchersOfOneViewShareOneEncodingButKeepTheirFilters) {
  WatchHub hub(bus, store);
  int converts = 0, encodes = 0;
  auto convert = [&converts](const json& stored) -> std::optional<json> {
    ++converts;
    json out = stored;
    out["apiVersion"] = "v1";
    return out;
  };
  auto named = [](const std::string& name) {
    return [name](const json&, const json& converted) {
      return name.empty() || converted["metadata"]["name"] == name;
    };
  };
  auto encode = [&encodes](const std::string& type, const json& o) {
    ++encodes;
    return type + " " + o["metadata"].value("name", "") + " " + o.value("apiVersion", "") + "\n";
  };
  auto open = [&](const std::string& name) {
    WatchStream::Shared shared{"json v1 services", convert, named(name)};
    auto match = shared.match;
    WatchStream::Select select = [convert, match](const json& stored) -> std::optional<json> {
      auto c = convert(stored);
      if (!c || !match(stored, *c)) return std::nullopt;
      return c;
    };
    return hub.watch("Service", store.resource_version(), select, encode, {}, shared);
  };
  std::vector<WatchHub::Start> all_of_them;
  for (int i = 0; i < 5; ++i) all_of_them.push_back(open(""));
  WatchHub::Start only_b = open("b");
  WatchHub::Start own = hub.watch("Service", store.resource_version(), all(), brief());  // not shared

  store.create(service("a"));
  store.create(service("b"));
  bus.run_until_idle();
  EXPECT_EQ(converts, 2) << "one conversion per event for the whole view";
  EXPECT_EQ(encodes, 2) << "one encoding per event for the whole view";
  for (auto& w : all_of_them) EXPECT_EQ(w.stream->take().data, "ADDED a v1\nADDED b v1\n");
  EXPECT_EQ(only_b.stream->take().data, "ADDED b v1\n") << "its own filter still applies";
  EXPECT_EQ(own.stream->take().data, "ADDED a\nADDED b\n") << "a watch without a view encodes for itself";
}

TEST_F(WatchHubTest, CloseDetachesAndCloseAllFinishes) {
  WatchHub hub(bus, store);
  WatchHub::Start a = hub.watch("Service", store.resource_version(), all(), brief());
  WatchHub::Start b = hub.watch("Pod", store.resource_version(), all(), brief());
  EXPECT_EQ(hub.watcher_count(), 2u);
  a.stream->close();
  EXPECT_EQ(hub.watcher_count(), 1u);
  store.create(service("x"));
  bus.run_until_idle();
  EXPECT_EQ(a.stream->take().data, "") << "a closed stream gets nothing";
  hub.close_all();
  EXPECT_TRUE(b.stream->take().finished);
  EXPECT_EQ(hub.watcher_count(), 0u);
}

}  // namespace
}  // namespace csim::kube::apiserver
