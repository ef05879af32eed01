#include "kube/endpoints_controller.h"

#include <random>

#include <gtest/gtest.h>

#include "kube/memory_store.h"

namespace csim::kube {
namespace {

using nlohmann::json;

class EndpointsControllerTest : public ::testing::Test {
 protected:
  EndpointsControllerTest() : bus_(clock_, core::Bus::Mode::kDeterministic) {
    bus_.subscribe("recorder", "kube.watch.endpoints", [this](const core::Envelope& e) {
      endpoint_events_.push_back(e.body["type"].get<std::string>());
    });
    controller_.start();
    bus_.run_until_idle();
  }

  json create(json o) {
    auto r = store_.create(std::move(o));
    EXPECT_TRUE(r.is_ok()) << r.status().to_string();
    bus_.run_until_idle();
    return r.is_ok() ? *r : json();
  }

  void pod(const std::string& name, json labels, json container_ports) {
    create({{"apiVersion", "v1"},
            {"kind", "Pod"},
            {"metadata", {{"name", name}, {"namespace", "default"}, {"labels", labels}}},
            {"spec",
             {{"nodeName", "node-1"},
              {"containers", {{{"name", "web"}, {"image", "csim/echo"}, {"ports", container_ports}}}}}}});
  }

  // What the kubelet reports.
  void pod_status(const std::string& name, const std::string& ip, bool ready) {
    json status = {{"phase", "Running"},
                   {"podIP", ip},
                   {"conditions", {{{"type", "Ready"}, {"status", ready ? "True" : "False"}}}}};
    ASSERT_TRUE(store_.update_status("Pod", "default", name, status).is_ok());
    bus_.run_until_idle();
  }

  json subsets() {
    auto ep = store_.get("Endpoints", "default", "web");
    return ep ? (*ep)["subsets"] : json("absent");
  }

  core::SimulatedClock clock_;
  core::Bus bus_;
  MemoryObjectStore store_{bus_, clock_, MemoryObjectStore::Options{.seed = 3}};
  EndpointsController controller_{bus_, store_};
  std::vector<std::string> endpoint_events_;
};

json addr(const std::string& ip, const std::string& pod, const json& uid) {
  return {{"ip", ip},
          {"nodeName", "node-1"},
          {"targetRef", {{"kind", "Pod"}, {"namespace", "default"}, {"name", pod}, {"uid", uid}}}};
}

TEST_F(EndpointsControllerTest, FollowsPodReadinessWithNamedTargetPorts) {
  create(json::parse(R"({"apiVersion": "v1", "kind": "Service",
      "metadata": {"name": "web", "namespace": "default", "labels": {"tier": "front"}},
      "spec": {"selector": {"app": "web"}, "ports": [
        {"name": "http", "port": 80, "targetPort": "web", "protocol": "TCP"},
        {"name": "metrics", "port": 9090, "protocol": "TCP"}]}})"));
  EXPECT_EQ(subsets(), json::array()) << "a Service without pods has empty Endpoints";
  EXPECT_EQ(store_.get("Endpoints", "default", "web")->at("metadata")["labels"], json({{"tier", "front"}}));

  pod("p1", {{"app", "web"}}, {{{"name", "web"}, {"containerPort", 8080}}});
  EXPECT_EQ(subsets(), json::array()) << "no podIP yet";
  const json uid1 = store_.get("Pod", "default", "p1")->at("metadata")["uid"];

  pod_status("p1", "10.47.255.250", false);
  const json ports = json::parse(R"([{"name": "http", "port": 8080, "protocol": "TCP"},
                                     {"name": "metrics", "port": 9090, "protocol": "TCP"}])");
  EXPECT_EQ(subsets(), json::array({{{"notReadyAddresses", {addr("10.47.255.250", "p1", uid1)}},
                                     {"ports", ports}}}));

  pod_status("p1", "10.47.255.250", true);
  EXPECT_EQ(subsets(), json::array({{{"addresses", {addr("10.47.255.250", "p1", uid1)}},
                                     {"ports", ports}}}));

  // A second ready pod, listed by IP order (10.47.255.9 < 10.47.255.250 numerically).
  pod("p2", {{"app", "web"}}, {{{"name", "web"}, {"containerPort", 8080}}});
  const json uid2 = store_.get("Pod", "default", "p2")->at("metadata")["uid"];
  pod_status("p2", "10.47.255.9", true);
  EXPECT_EQ(subsets(), json::array({{{"addresses", {addr("10.47.255.9", "p2", uid2),
                                                    addr("10.47.255.250", "p1", uid1)}},
                                     {"ports", ports}}}));

  // p1 not ready any more: it leaves the addresses.
  pod_status("p1", "10.47.255.250", false);
  EXPECT_EQ(subsets(), json::array({{{"addresses", {addr("10.47.255.9", "p2", uid2)}},
                                     {"notReadyAddresses", {addr("10.47.255.250", "p1", uid1)}},
                                     {"ports", ports}}}));

  // A pod without the named port gets only the numeric one, in its own subset.
  pod("p3", {{"app", "web"}}, json::array());
  const json uid3 = store_.get("Pod", "default", "p3")->at("metadata")["uid"];
  pod_status("p3", "10.47.255.7", true);
  json s = subsets();
  ASSERT_EQ(s.size(), 2u);
  EXPECT_EQ(s[1], json({{"addresses", {addr("10.47.255.7", "p3", uid3)}},
                        {"ports", {{{"name", "metrics"}, {"port", 9090}, {"protocol", "TCP"}}}}}));

  // Deleting a pod removes it.
  ASSERT_TRUE(store_.remove("Pod", "default", "p2").is_ok());
  bus_.run_until_idle();
  EXPECT_EQ(subsets()[0], json({{"notReadyAddresses", {addr("10.47.255.250", "p1", uid1)}},
                                {"ports", ports}}));
}

TEST_F(EndpointsControllerTest, WritesOnlyWhenChanged) {
  create(json::parse(R"({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web", "namespace": "default"},
      "spec": {"selector": {"app": "web"}, "ports": [{"port": 80, "targetPort": 8080}]}})"));
  pod("p1", {{"app", "web"}}, json::array());
  pod_status("p1", "10.47.255.250", true);
  const size_t writes = endpoint_events_.size();
  EXPECT_EQ(writes, 2u) << "ADDED (empty), MODIFIED (p1 ready)";
  // Unrelated pods and no-op changes do not rewrite the Endpoints.
  pod("other", {{"app", "db"}}, json::array());
  pod_status("other", "10.47.255.200", true);
  json p1 = *store_.get("Pod", "default", "p1");
  p1["metadata"]["annotations"] = {{"note", "x"}};
  ASSERT_TRUE(store_.update(p1).is_ok());
  bus_.run_until_idle();
  EXPECT_EQ(endpoint_events_.size(), writes);
  EXPECT_EQ(subsets()[0]["ports"], json::parse(R"([{"port": 8080, "protocol": "TCP"}])"))
      << "unnamed Service port, numeric targetPort";
  // Tampering is repaired.
  json ep = *store_.get("Endpoints", "default", "web");
  ep["subsets"] = json::array();
  ASSERT_TRUE(store_.update(ep).is_ok());
  bus_.run_until_idle();
  EXPECT_EQ(subsets()[0]["addresses"][0]["ip"], "10.47.255.250");
}

// A burst of events (three replicas made ready before the controller runs) is one
// reconcile of the Service, traced to the newest event that affected it.
TEST_F(EndpointsControllerTest, ABurstOfPodEventsIsOneReconcileUnderTheNewestEvent) {
  create(json::parse(R"({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web", "namespace": "default"},
      "spec": {"selector": {"app": "web"}, "ports": [{"port": 80, "targetPort": 8080}]}})"));
  for (const char* name : {"p1", "p2", "p3"}) pod(name, {{"app", "web"}}, json::array());
  const size_t before = endpoint_events_.size();
  uint64_t newest = 0;
  for (const auto& [name, ip] : {std::pair{"p1", "10.47.255.250"}, std::pair{"p2", "10.47.255.249"},
                                 std::pair{"p3", "10.47.255.248"}}) {
    core::TraceScope scope(bus_, "kubelet", std::string("ready ") + name);
    json status = {{"phase", "Running"},
                   {"podIP", ip},
                   {"conditions", {{{"type", "Ready"}, {"status", "True"}}}}};
    ASSERT_TRUE(store_.update_status("Pod", "default", name, status).is_ok());
    newest = scope.trace_id();
  }
  bus_.run_until_idle();
  EXPECT_EQ(endpoint_events_.size(), before + 1);
  EXPECT_EQ(subsets()[0]["addresses"].size(), 3u);
  uint64_t write_trace = 0;
  for (const auto& span : bus_.spans())
    if (span.kind == "publish" && span.topic == "kube.watch.endpoints") write_trace = span.trace_id;
  EXPECT_EQ(write_trace, newest);
}

TEST_F(EndpointsControllerTest, SelectorlessServicesAreLeftAloneAndDeletionCleansUp) {
  create(json::parse(R"({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "ext", "namespace": "default"},
      "spec": {"ports": [{"port": 80}]}})"));
  create(json::parse(R"({"apiVersion": "v1", "kind": "Endpoints", "metadata": {"name": "ext", "namespace": "default"},
      "subsets": [{"addresses": [{"ip": "192.0.2.1"}], "ports": [{"port": 80}]}]})"));
  EXPECT_EQ(store_.get("Endpoints", "default", "ext")->at("subsets")[0]["addresses"][0]["ip"], "192.0.2.1");
  create(json::parse(R"({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web", "namespace": "default"},
      "spec": {"selector": {"app": "web"}, "ports": [{"port": 80}]}})"));
  ASSERT_TRUE(store_.get("Endpoints", "default", "web"));
  ASSERT_TRUE(store_.remove("Service", "default", "web").is_ok());
  ASSERT_TRUE(store_.remove("Service", "default", "ext").is_ok());
  bus_.run_until_idle();
  EXPECT_FALSE(store_.get("Endpoints", "default", "web"));
  EXPECT_FALSE(store_.get("Endpoints", "default", "ext"));
}

TEST(EndpointsControllerStartTest, ResyncOnStartCoversExistingObjects) {
  core::SimulatedClock clock;
  core::Bus bus(clock, core::Bus::Mode::kDeterministic);
  MemoryObjectStore store(bus, clock, {.seed = 1});
  ASSERT_TRUE(store.create(json::parse(R"({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"},
      "spec": {"selector": {"app": "web"}, "ports": [{"port": 80}]}})")).is_ok());
  ASSERT_TRUE(store.create(json::parse(R"({"apiVersion": "v1", "kind": "Endpoints", "metadata": {"name": "gone"}})")).is_ok());
  EndpointsController controller(bus, store);
  controller.start();
  bus.run_until_idle();
  EXPECT_TRUE(store.get("Endpoints", "default", "web"));
  EXPECT_FALSE(store.get("Endpoints", "default", "gone")) << "its Service does not exist";
}

// The incremental path (a pod event reconciles only the Services that select the pod or
// whose Endpoints list it) leaves every Service's Endpoints equal to the from-scratch
// answer (desired_endpoints over every pod of the namespace) after each step of a random
// history: pods created, relabelled, made (un)ready, deleted; Services created, changed,
// deleted.
TEST_F(EndpointsControllerTest, IncrementalEqualsFromScratchOverRandomHistory) {
  std::mt19937 rng(11);
  const std::vector<std::string> apps = {"a", "b", "c"};
  auto service = [&](const std::string& name, const std::string& app) {
    return json{{"apiVersion", "v1"},
                {"kind", "Service"},
                {"metadata", {{"name", name}, {"namespace", "default"}}},
                {"spec", {{"selector", {{"app", app}}}, {"ports", {{{"port", 80}}}}}}};
  };
  for (int step = 0; step < 400; ++step) {
    const int op = static_cast<int>(rng() % 12);
    const std::string pod_name = "p" + std::to_string(rng() % 25);
    const std::string app = apps[rng() % apps.size()];
    if (op <= 2) {
      (void)store_.create({{"apiVersion", "v1"},
                           {"kind", "Pod"},
                           {"metadata", {{"name", pod_name}, {"namespace", "default"},
                                         {"labels", {{"app", app}}}}},
                           {"spec", {{"nodeName", "node-1"},
                                     {"containers", {{{"name", "web"}, {"image", "echo"}}}}}}});
    } else if (op <= 4) {
      if (auto p = store_.get("Pod", "default", pod_name)) {
        (*p)["metadata"]["labels"] = {{"app", app}};
        ASSERT_TRUE(store_.update(*p).is_ok());
      }
    } else if (op <= 7) {
      const bool ready = rng() % 2 == 0;
      (void)store_.update_status(
          "Pod", "default", pod_name,
          {{"phase", "Running"},
           {"podIP", "10.47.0." + std::to_string(1 + rng() % 200)},
           {"conditions", {{{"type", "Ready"}, {"status", ready ? "True" : "False"}}}}});
    } else if (op == 8) {
      (void)store_.remove("Pod", "default", pod_name);
    } else if (op <= 10) {
      const std::string name = "s" + std::to_string(rng() % 4);
      if (auto svc = store_.get("Service", "default", name)) {
        (*svc)["spec"]["selector"] = {{"app", app}};
        ASSERT_TRUE(store_.update(*svc).is_ok());
      } else {
        ASSERT_TRUE(store_.create(service(name, app)).is_ok());
      }
    } else {
      (void)store_.remove("Service", "default", "s" + std::to_string(rng() % 4));
    }
    bus_.run_until_idle();
    const std::vector<json> pods = store_.list("Pod", "default");
    for (const json& svc : store_.list("Service", "default")) {
      const std::string name = svc["metadata"]["name"];
      auto ep = store_.get("Endpoints", "default", name);
      ASSERT_TRUE(ep) << "step " << step << " service " << name;
      EXPECT_EQ((*ep)["subsets"], EndpointsController::desired_endpoints(svc, pods)["subsets"])
          << "step " << step << " service " << name;
    }
    for (const json& ep : store_.list("Endpoints", "default"))
      EXPECT_TRUE(store_.get("Service", "default", ep["metadata"]["name"].get<std::string>()))
          << "step " << step << ": Endpoints without a Service";
  }
}

}  // namespace
}  // namespace csim::kube
