#include "kube/memory_store.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace csim::kube {
namespace {

using nlohmann::json;

json ns_obj(const std::string& name) {
  return {{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", name}}}};
}

json pod(const std::string& ns, const std::string& name) {
  json p = {{"apiVersion", "v1"},
            {"kind", "Pod"},
            {"metadata", {{"name", name}}},
            {"spec", {{"containers", {{{"name", "c"}, {"image", "echo"}}}}}}};
  if (!ns.empty()) p["metadata"]["namespace"] = ns;
  return p;
}

json service(const std::string& name, const std::string& cluster_ip = "") {
  json s = {{"apiVersion", "v1"},
            {"kind", "Service"},
            {"metadata", {{"name", name}, {"namespace", "default"}}},
            {"spec", {{"ports", {{{"port", 80}}}}}}};
  if (!cluster_ip.empty()) s["spec"]["clusterIP"] = cluster_ip;
  return s;
}

class MemoryStoreTest : public ::testing::Test {
 protected:
  MemoryStoreTest() : bus_(clock_, core::Bus::Mode::kDeterministic) {
    bus_.subscribe("recorder", "kube.watch.", [this](const core::Envelope& e) {
      events_.push_back(e.topic + " " + e.body["type"].get<std::string>() + " " +
                        e.body["object"]["metadata"]["name"].get<std::string>() + " rv" +
                        e.body["object"]["metadata"]["resourceVersion"].get<std::string>());
      summaries_.push_back(e.body["summary"].get<std::string>());
    });
  }

  std::vector<std::string> drain() {
    bus_.run_until_idle();
    auto out = std::move(events_);
    events_.clear();
    return out;
  }

  core::SimulatedClock clock_;
  core::Bus bus_;
  MemoryObjectStore store_{bus_, clock_, MemoryObjectStore::Options{.seed = 42}};
  std::vector<std::string> events_;
  std::vector<std::string> summaries_;
};

TEST_F(MemoryStoreTest, CreateSetsSystemMetadataAndPublishesAdded) {
  ASSERT_TRUE(store_.get("Namespace", "", "default")) << "the default namespace exists";
  const uint64_t rv0 = store_.resource_version();
  clock_.advance(std::chrono::seconds(90));
  auto r = store_.create(pod("", "web"));
  ASSERT_TRUE(r.is_ok()) << r.status().to_string();
  const json& meta = r->at("metadata");
  EXPECT_EQ(meta["namespace"], "default");
  EXPECT_EQ(meta["resourceVersion"], std::to_string(rv0 + 1));
  EXPECT_EQ(meta["generation"], 1);
  EXPECT_EQ(meta["creationTimestamp"], "2026-01-01T00:01:30Z");
  const std::string uid = meta["uid"];
  ASSERT_EQ(uid.size(), 36u);
  EXPECT_EQ(uid[14], '4') << uid;
  EXPECT_TRUE(uid[19] == '8' || uid[19] == '9' || uid[19] == 'a' || uid[19] == 'b') << uid;
  EXPECT_EQ(store_.resource_version(), rv0 + 1);
  EXPECT_EQ(*store_.get("Pod", "default", "web"), *r);
  EXPECT_EQ(drain(), std::vector<std::string>{"kube.watch.pod ADDED web rv" +
                                              std::to_string(rv0 + 1)});
  EXPECT_EQ(summaries_.back(), "ADDED pod default/web (rv " + std::to_string(rv0 + 1) + ")");
}

TEST_F(MemoryStoreTest, UidsDifferAndAreReproducibleWithASeed) {
  auto a = store_.create(pod("default", "a"));
  auto b = store_.create(pod("default", "b"));
  ASSERT_TRUE(a.is_ok() && b.is_ok());
  EXPECT_NE(a->at("metadata")["uid"], b->at("metadata")["uid"]);
  core::SimulatedClock clock2;
  core::Bus bus2(clock2, core::Bus::Mode::kDeterministic);
  MemoryObjectStore again(bus2, clock2, MemoryObjectStore::Options{.seed = 42});
  auto a2 = again.create(pod("default", "a"));
  EXPECT_EQ(a2->at("metadata")["uid"], a->at("metadata")["uid"]);
}

TEST_F(MemoryStoreTest, CreateErrors) {
  ASSERT_TRUE(store_.create(pod("default", "web")).is_ok());
  auto dup = store_.create(pod("default", "web"));
  EXPECT_EQ(dup.status().code(), core::Code::kAlreadyExists);
  EXPECT_EQ(dup.status().message(), "pods \"web\" already exists");
  auto no_ns = store_.create(pod("nosuchns", "web"));
  EXPECT_EQ(no_ns.status().code(), core::Code::kNotFound);
  EXPECT_EQ(no_ns.status().message(), "namespaces \"nosuchns\" not found");
  auto unknown = store_.create({{"kind", "PersistentVolume"}, {"metadata", {{"name", "x"}}}});
  EXPECT_EQ(unknown.status().code(), core::Code::kInvalid);
  auto unnamed = store_.create({{"kind", "Pod"}, {"metadata", json::object()}});
  EXPECT_EQ(unnamed.status().code(), core::Code::kInvalid);
  drain();
}

TEST_F(MemoryStoreTest, GenerateNameAddsASuffix) {
  auto r = store_.create({{"kind", "Event"}, {"metadata", {{"generateName", "web."}}}});
  ASSERT_TRUE(r.is_ok()) << r.status().to_string();
  const std::string name = r->at("metadata")["name"];
  EXPECT_EQ(name.size(), 4u + 5u);
  EXPECT_EQ(name.substr(0, 4), "web.");
}

TEST_F(MemoryStoreTest, ClusterScopedKindsHaveNoNamespace) {
  auto r = store_.create({{"apiVersion", "v1"},
                          {"kind", "Node"},
                          {"metadata", {{"name", "node-1"}, {"namespace", "default"}}}});
  ASSERT_TRUE(r.is_ok());
  EXPECT_FALSE(r->at("metadata").contains("namespace"));
  EXPECT_TRUE(store_.get("Node", "", "node-1"));
  auto ns = store_.create(ns_obj("team-a"));
  ASSERT_TRUE(ns.is_ok());
  EXPECT_EQ(ns->at("status")["phase"], "Active");
}

TEST_F(MemoryStoreTest, UpdateKeepsStatusBumpsGenerationOnSpecAndChecksResourceVersion) {
  auto created = store_.create(pod("default", "web"));
  ASSERT_TRUE(created.is_ok());
  auto st = store_.update_status("Pod", "default", "web", {{"podIP", "10.47.255.252"}});
  ASSERT_TRUE(st.is_ok());
  EXPECT_EQ(st->at("metadata")["generation"], 1) << "status does not bump generation";
  drain();

  // Labels only: no generation bump, status kept, uid kept.
  json changed = *created;
  changed["metadata"]["labels"] = {{"app", "web"}};
  changed["metadata"].erase("resourceVersion");
  changed.erase("status");
  auto u1 = store_.update(changed);
  ASSERT_TRUE(u1.is_ok()) << u1.status().to_string();
  EXPECT_EQ(u1->at("metadata")["generation"], 1);
  EXPECT_EQ(u1->at("status")["podIP"], "10.47.255.252");
  EXPECT_EQ(u1->at("metadata")["uid"], created->at("metadata")["uid"]);
  EXPECT_EQ(u1->at("metadata")["creationTimestamp"], created->at("metadata")["creationTimestamp"]);

  // Spec change: generation 2.
  json spec_change = *u1;
  spec_change["spec"]["nodeName"] = "node-1";
  auto u2 = store_.update(spec_change);
  ASSERT_TRUE(u2.is_ok());
  EXPECT_EQ(u2->at("metadata")["generation"], 2);

  // Stale resourceVersion: 409 Conflict, nothing changes.
  json stale = *u1;  // carries u1's resourceVersion
  stale["spec"]["nodeName"] = "node-2";
  auto u3 = store_.update(stale);
  EXPECT_EQ(u3.status().code(), core::Code::kConflict);
  EXPECT_NE(u3.status().message().find("the object has been modified"), std::string::npos);
  EXPECT_EQ(store_.get("Pod", "default", "web")->at("spec")["nodeName"], "node-1");

  // Missing object: 404.
  auto u4 = store_.update(pod("default", "nope"));
  EXPECT_EQ(u4.status().code(), core::Code::kNotFound);
  EXPECT_EQ(u4.status().message(), "pods \"nope\" not found");

  auto events = drain();
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0], "kube.watch.pod MODIFIED web rv" + u1->at("metadata")["resourceVersion"].get<std::string>());
  EXPECT_EQ(events[1], "kube.watch.pod MODIFIED web rv" + u2->at("metadata")["resourceVersion"].get<std::string>());
}

TEST_F(MemoryStoreTest, NoOpWritesPublishNothing) {
  auto created = store_.create(pod("default", "web"));
  ASSERT_TRUE(created.is_ok());
  drain();
  const uint64_t rv = store_.resource_version();
  auto same = store_.update(*created);
  ASSERT_TRUE(same.is_ok());
  EXPECT_EQ(*same, *created);
  ASSERT_TRUE(store_.update_status("Pod", "default", "web", {{"phase", "Running"}}).is_ok());
  ASSERT_TRUE(store_.update_status("Pod", "default", "web", {{"phase", "Running"}}).is_ok());
  EXPECT_EQ(store_.resource_version(), rv + 1);
  EXPECT_EQ(drain().size(), 1u);
}

TEST_F(MemoryStoreTest, RemoveReturnsLastStateAndPublishesDeleted) {
  ASSERT_TRUE(store_.create(pod("default", "web")).is_ok());
  auto missing = store_.remove("Pod", "default", "nope");
  EXPECT_EQ(missing.status().code(), core::Code::kNotFound);
  auto removed = store_.remove("Pod", "default", "web");
  ASSERT_TRUE(removed.is_ok());
  EXPECT_EQ(removed->at("metadata")["resourceVersion"], std::to_string(store_.resource_version()));
  EXPECT_FALSE(store_.get("Pod", "default", "web"));
  auto events = drain();
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[1], "kube.watch.pod DELETED web rv" + std::to_string(store_.resource_version()));
  EXPECT_EQ(store_.remove("Namespace", "", "default").status().code(), core::Code::kInvalid);
}

TEST_F(MemoryStoreTest, DeletingANamespaceCascadesInOrder) {
  ASSERT_TRUE(store_.create(ns_obj("team-a")).is_ok());
  ASSERT_TRUE(store_.create(pod("team-a", "p2")).is_ok());
  ASSERT_TRUE(store_.create(pod("team-a", "p1")).is_ok());
  ASSERT_TRUE(store_.create(pod("default", "other")).is_ok());
  json svc = service("web");
  svc["metadata"]["namespace"] = "team-a";
  ASSERT_TRUE(store_.create(svc).is_ok());
  ASSERT_TRUE(store_.create({{"kind", "Ingress"},
                             {"apiVersion", "networking.k8s.io/v1"},
                             {"metadata", {{"name", "ing"}, {"namespace", "team-a"}}}})
                  .is_ok());
  drain();
  ASSERT_TRUE(store_.remove("Namespace", "", "team-a").is_ok());
  auto events = drain();
  std::vector<std::string> order;
  for (const auto& e : events) order.push_back(e.substr(0, e.find(" rv")));
  EXPECT_EQ(order, (std::vector<std::string>{
                       "kube.watch.ingress DELETED ing", "kube.watch.pod DELETED p1",
                       "kube.watch.pod DELETED p2", "kube.watch.service DELETED web",
                       "kube.watch.namespace DELETED team-a"}));
  EXPECT_TRUE(store_.list("Pod", "team-a").empty());
  EXPECT_EQ(store_.list("Pod").size(), 1u);
  EXPECT_EQ(store_.create(pod("team-a", "p3")).status().code(), core::Code::kNotFound);
}

TEST_F(MemoryStoreTest, ListIsOrderedByNamespaceThenName) {
  ASSERT_TRUE(store_.create(ns_obj("b")).is_ok());
  ASSERT_TRUE(store_.create(ns_obj("a")).is_ok());
  ASSERT_TRUE(store_.create(pod("b", "x")).is_ok());
  ASSERT_TRUE(store_.create(pod("a", "z")).is_ok());
  ASSERT_TRUE(store_.create(pod("a", "y")).is_ok());
  std::vector<std::string> names;
  for (const auto& p : store_.list("Pod"))
    names.push_back(p["metadata"]["namespace"].get<std::string>() + "/" +
                    p["metadata"]["name"].get<std::string>());
  EXPECT_EQ(names, (std::vector<std::string>{"a/y", "a/z", "b/x"}));
  EXPECT_EQ(store_.list("Pod", "a").size(), 2u);
  EXPECT_EQ(store_.list("Pod", "c").size(), 0u);
  EXPECT_EQ(store_.list("Namespace").size(), 3u);
}

TEST_F(MemoryStoreTest, ListIfEqualsListFiltered) {
  ASSERT_TRUE(store_.create(ns_obj("b")).is_ok());
  ASSERT_TRUE(store_.create(ns_obj("a")).is_ok());
  for (const char* ns : {"a", "b", "default"})
    for (const char* name : {"p1", "x2", "p3", "x4"}) ASSERT_TRUE(store_.create(pod(ns, name)).is_ok());
  auto starts_with_p = [](const json& o) {
    return o["metadata"]["name"].get<std::string>().rfind("p", 0) == 0;
  };
  for (const std::string ns : {"", "a", "b", "default", "none"}) {
    std::vector<json> expected;
    for (const json& o : store_.list("Pod", ns))
      if (starts_with_p(o)) expected.push_back(o);
    EXPECT_EQ(store_.list_if("Pod", ns, starts_with_p), expected) << "namespace " << ns;
    // The interface's default (list, then filter) gives the same answer.
    EXPECT_EQ(store_.ObjectStore::list_if("Pod", ns, starts_with_p), expected) << ns;
  }
  EXPECT_EQ(store_.list_if("Pod", "a", starts_with_p).size(), 2u);
  EXPECT_TRUE(store_.list_if("Service", "", starts_with_p).empty());
}

TEST_F(MemoryStoreTest, ServiceClusterIpAllocation) {
  auto a = store_.create(service("a"));
  ASSERT_TRUE(a.is_ok());
  EXPECT_EQ(a->at("spec")["clusterIP"], "10.96.0.10");
  EXPECT_EQ(a->at("spec")["clusterIPs"], json::array({"10.96.0.10"}));
  auto fixed = store_.create(service("fixed", "10.96.0.11"));
  ASSERT_TRUE(fixed.is_ok()) << fixed.status().to_string();
  auto b = store_.create(service("b"));
  EXPECT_EQ(b->at("spec")["clusterIP"], "10.96.0.12") << "skips the reserved .11";
  auto taken = store_.create(service("taken", "10.96.0.12"));
  EXPECT_EQ(taken.status().code(), core::Code::kConflict);
  EXPECT_NE(taken.status().message().find("already allocated"), std::string::npos);
  auto outside = store_.create(service("outside", "192.168.1.1"));
  EXPECT_EQ(outside.status().code(), core::Code::kInvalid);
  auto headless = store_.create(service("headless", "None"));
  ASSERT_TRUE(headless.is_ok());
  EXPECT_EQ(headless->at("spec")["clusterIP"], "None");

  // Immutable on update; absent keeps the stored one.
  json upd = service("a");
  auto u = store_.update(upd);
  ASSERT_TRUE(u.is_ok());
  EXPECT_EQ(u->at("spec")["clusterIP"], "10.96.0.10");
  upd["spec"]["clusterIP"] = "10.96.0.99";
  EXPECT_EQ(store_.update(upd).status().code(), core::Code::kInvalid);

  // Freed on delete, then reused (lowest free first).
  ASSERT_TRUE(store_.remove("Service", "default", "a").is_ok());
  auto c = store_.create(service("c"));
  EXPECT_EQ(c->at("spec")["clusterIP"], "10.96.0.10");
}

class RecordingPersistence : public StorePersistence {
 public:
  core::Status put(const json& object, uint64_t rv) override {
    if (fail) return core::unavailable("disk full");
    log.push_back("put " + object["metadata"]["name"].get<std::string>() + " " + std::to_string(rv));
    return core::Status::ok();
  }
  core::Status erase(const std::string& kind, const std::string&, const std::string& name,
                     uint64_t rv) override {
    log.push_back("erase " + kind + " " + name + " " + std::to_string(rv));
    return core::Status::ok();
  }
  bool fail = false;
  std::vector<std::string> log;
};

TEST(MemoryStorePersistenceTest, WritesThroughAndRestores) {
  core::SimulatedClock clock;
  core::Bus bus(clock, core::Bus::Mode::kDeterministic);
  RecordingPersistence disk;
  MemoryObjectStore store(bus, clock, {.seed = 1, .persistence = &disk});
  auto p = store.create(pod("default", "web"));
  ASSERT_TRUE(p.is_ok());
  ASSERT_TRUE(store.remove("Pod", "default", "web").is_ok());
  EXPECT_EQ(disk.log, (std::vector<std::string>{"put web 2", "erase Pod web 3"}));
  disk.fail = true;
  auto failed = store.create(pod("default", "db"));
  EXPECT_EQ(failed.status().code(), core::Code::kUnavailable);
  EXPECT_FALSE(store.get("Pod", "default", "db"));
  EXPECT_EQ(store.resource_version(), 3u);

  MemoryObjectStore restored(bus, clock, {.seed = 2});
  json svc = service("kept", "10.96.0.10");
  svc["metadata"]["resourceVersion"] = "17";
  ASSERT_TRUE(restored.restore({*p, svc}, 12).is_ok());
  EXPECT_EQ(restored.resource_version(), 17u);
  EXPECT_EQ(restored.get("Pod", "default", "web")->at("metadata")["uid"], p->at("metadata")["uid"]);
  auto next = restored.create(service("next"));
  EXPECT_EQ(next->at("spec")["clusterIP"], "10.96.0.11") << "restored clusterIPs stay reserved";
  EXPECT_EQ(next->at("metadata")["resourceVersion"], "18");
}

}  // namespace
}  // namespace csim::kube
