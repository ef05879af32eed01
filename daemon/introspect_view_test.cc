#include "daemon/introspect_view.h"

#include <gtest/gtest.h>

namespace csim::daemon {
namespace {

using nlohmann::json;

// Two agents as VrouterAgent::introspect() reports them (the fields the views read).
json agents() {
  return json::parse(R"({
    "node-1": {"node": "node-1", "state": "up", "underlay_ip": "169.254.1.1", "view_version": 9,
               "acked_version": 9, "ack_ok": true, "ack_error": "",
               "service_instances": [
                 {"si": "11111111-1111-1111-1111-111111111111", "name": "default-domain:k8s-default:lb-a",
                  "vm": "aaaaaaaa-0000-0000-0000-000000000001", "lb": "78833635-915B-41b4-930d-84f91bf14b09",
                  "namespace": "vrouter-aaaaaaaa-0000-0000-0000-000000000001:78833635-915b-41b4-930d-84f91bf14b09",
                  "vip": "10.47.255.252", "ports": [80], "state": "reloaded", "pid": 42,
                  "last_command": "start", "error": "", "adaptations": ["no user/group"]}],
               "not_usable": [], "pods": [{"name": "p1"}, {"name": "p2"}]},
    "node-2": {"node": "node-2", "state": "up", "underlay_ip": "169.254.1.2", "view_version": 9,
               "acked_version": 8, "ack_ok": false, "ack_error": "route failed",
               "service_instances": [
                 {"si": "11111111-1111-1111-1111-111111111111", "name": "default-domain:k8s-default:lb-a",
                  "vm": "aaaaaaaa-0000-0000-0000-000000000002", "lb": "78833635-915b-41b4-930d-84f91bf14b09",
                  "namespace": "vrouter-aaaaaaaa-0000-0000-0000-000000000002:78833635-915b-41b4-930d-84f91bf14b09",
                  "state": "failed", "pid": 0, "last_command": "start", "error": "haproxy: ALERT bind"}],
               "not_usable": [{"si": "x", "why": "no VIP"}], "pods": []}
  })");
}

TEST(IntrospectView, IndexAndAgentList) {
  auto index = route_introspect(agents(), "GET", "/");
  EXPECT_EQ(index.status, 200);
  EXPECT_EQ(index.body["agents"], json::parse(R"(["node-1","node-2"])"));
  EXPECT_EQ(index.body["paths"][0], "/agents");

  auto list = route_introspect(agents(), "GET", "/agents");
  ASSERT_EQ(list.status, 200);
  ASSERT_EQ(list.body["agents"].size(), 2u);
  EXPECT_EQ(list.body["agents"][0], json::parse(R"({"node":"node-1","state":"up","underlay_ip":"169.254.1.1",
      "view_version":9,"acked_version":9,"ack_ok":true,"ack_error":"","service_instances":1,"pods":2,
      "href":"/agents/node-1"})"));
  EXPECT_EQ(list.body["agents"][1]["ack_error"], "route failed");
  EXPECT_EQ(route_introspect(agents(), "GET", "/agents/").status, 200);
}

TEST(IntrospectView, OneAgentAndItsServiceInstances) {
  auto a = route_introspect(agents(), "GET", "/agents/node-2");
  ASSERT_EQ(a.status, 200);
  EXPECT_EQ(a.body, agents()["node-2"]);
  auto sis = route_introspect(agents(), "GET", "/agents/node-1/service-instances");
  ASSERT_EQ(sis.status, 200);
  EXPECT_EQ(sis.body["node"], "node-1");
  EXPECT_EQ(sis.body["service_instances"][0]["pid"], 42);
  EXPECT_EQ(sis.body["service_instances"][0]["last_command"], "start");
  EXPECT_TRUE(sis.body["not_usable"].is_array());

  auto missing = route_introspect(agents(), "GET", "/agents/node-9");
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(missing.body["error"], "no agent \"node-9\" (agents: node-1, node-2)");
  EXPECT_EQ(route_introspect(agents(), "GET", "/agents/node-1/nope").status, 404);
  EXPECT_EQ(route_introspect(agents(), "GET", "/agents/%zz").status, 400);
}

TEST(IntrospectView, ContrailServiceInstanceRequest) {
  // By load balancer uuid (any case): both instances, each with its node.
  auto by_lb = route_introspect(agents(), "GET", "/Snh_ServiceInstanceReq?uuid=78833635-915b-41b4-930d-84f91bf14b09");
  ASSERT_EQ(by_lb.status, 200);
  const json list = by_lb.body["ServiceInstanceResp"]["instance_list"];
  ASSERT_EQ(list.size(), 2u) << by_lb.body.dump();
  EXPECT_EQ(list[0]["node"], "node-1");
  EXPECT_EQ(list[0]["pid"], 42);
  EXPECT_EQ(list[1]["node"], "node-2");
  EXPECT_EQ(list[1]["error"], "haproxy: ALERT bind");

  // By VM uuid: one; restricted to a node; everything without a uuid.
  auto by_vm = route_introspect(agents(), "GET", "/Snh_ServiceInstanceReq?uuid=AAAAAAAA-0000-0000-0000-000000000002");
  ASSERT_EQ(by_vm.body["ServiceInstanceResp"]["instance_list"].size(), 1u);
  EXPECT_EQ(by_vm.body["ServiceInstanceResp"]["instance_list"][0]["node"], "node-2");
  auto on_node = route_introspect(agents(), "GET",
                                  "/Snh_ServiceInstanceReq?uuid=11111111-1111-1111-1111-111111111111&node=node-1");
  ASSERT_EQ(on_node.body["ServiceInstanceResp"]["instance_list"].size(), 1u);
  EXPECT_EQ(route_introspect(agents(), "GET", "/Snh_ServiceInstanceReq").body["ServiceInstanceResp"]["instance_list"].size(),
            2u);
  auto none = route_introspect(agents(), "GET", "/Snh_ServiceInstanceReq?uuid=00000000-0000-0000-0000-000000000000");
  EXPECT_EQ(none.status, 200);
  EXPECT_TRUE(none.body["ServiceInstanceResp"]["instance_list"].empty());

  EXPECT_EQ(route_introspect(agents(), "GET", "/Snh_ServiceInstanceReq?uuid=42").status, 400);
  EXPECT_EQ(route_introspect(agents(), "GET", "/Snh_ServiceInstanceReq?uuid=%4").status, 400);
  EXPECT_EQ(route_introspect(agents(), "GET", "/Snh_ServiceInstanceReq?node=node-7").status, 404);
}

TEST(IntrospectView, UnknownPathsAndMethods) {
  auto unknown = route_introspect(agents(), "GET", "/Snh_SandeshUVECacheReq");
  EXPECT_EQ(unknown.status, 404);
  EXPECT_NE(unknown.body["error"].get<std::string>().find("there are: /agents"), std::string::npos);
  EXPECT_EQ(route_introspect(agents(), "POST", "/agents").status, 405);
  EXPECT_EQ(route_introspect(agents(), "HEAD", "/agents").status, 200);
  // No agents at all (a cluster that is stopping): empty lists, not errors.
  EXPECT_TRUE(route_introspect(json::object(), "GET", "/agents").body["agents"].empty());
}

}  // namespace
}  // namespace csim::daemon
