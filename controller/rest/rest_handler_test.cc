#include "controller/rest/rest_handler.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "controller/rest/test_scene.h"
#include "controller/rest/vnc_json.h"

namespace csim::controller {
namespace {

using nlohmann::json;

constexpr char kHost[] = "127.0.0.1:8082";

class RestHandlerTest : public ::testing::Test {
 protected:
  RestHandlerTest() : handler_(scene_.db, &scene_.bus) {}

  RestResponse call(const std::string& method, const std::string& target,
                    const std::string& body = "") {
    RestRequest r;
    r.method = method;
    r.target = target;
    r.host = kHost;
    r.body = body;
    return handler_.handle(r, "127.0.0.1:9");
  }
  RestResponse get(const std::string& target) { return call("GET", target); }

  // Expects an error response with that status whose message contains `part`.
  void expect_error(const RestResponse& r, int status, const std::string& part) {
    EXPECT_EQ(r.status, status) << r.body.dump();
    ASSERT_TRUE(r.body.contains("error")) << r.body.dump();
    EXPECT_EQ(r.body["error"]["code"], status);
    const std::string message = r.body["error"]["message"];
    EXPECT_NE(message.find(part), std::string::npos) << message;
  }

  TestScene scene_;
  RestHandler handler_;
};

std::string lb_path() { return std::string("/loadbalancer/") + SceneIds::kLb; }

// ---- golden shapes -------------------------------------------------------------------

TEST_F(RestHandlerTest, LoadbalancerAsKubeManagerMakesIt) {
  RestResponse r = get(lb_path());
  ASSERT_EQ(r.status, 200) << r.body.dump();
  EXPECT_EQ(r.etag, "\"2026-01-01T00:00:00.000000\"");
  EXPECT_EQ(golden_diff("loadbalancer", r.body), "");
}

TEST_F(RestHandlerTest, PoolWithBackRefsAndChildren) {
  RestResponse r = get(std::string("/loadbalancer-pool/") + SceneIds::kPool);
  ASSERT_EQ(r.status, 200) << r.body.dump();
  EXPECT_EQ(golden_diff("loadbalancer-pool", r.body), "");
}

TEST_F(RestHandlerTest, ListOfLoadbalancers) {
  RestResponse r = get("/loadbalancers");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(golden_diff("loadbalancers", r.body), "");
}

TEST_F(RestHandlerTest, DetailedListOfMembers) {
  RestResponse r = get("/loadbalancer-members?detail=True");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(golden_diff("loadbalancer-members-detail", r.body), "");
}

TEST_F(RestHandlerTest, CountAndFields) {
  EXPECT_EQ(get("/loadbalancer-members?count=True").body,
            json::parse(R"({"loadbalancer-members": {"count": 1}})"));
  EXPECT_EQ(get("/virtual-networks?count=true").body["virtual-networks"]["count"], 2);
  EXPECT_EQ(get("/widgets?count=true").status, 404);

  RestResponse r = get("/loadbalancers?fields=loadbalancer_properties,display_name");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(golden_diff("loadbalancers-fields", r.body), "");

  r = get("/loadbalancer-pools?fields=loadbalancer_members,loadbalancer_listener_refs");
  ASSERT_EQ(r.status, 200);
  const json& pool = r.body["loadbalancer-pools"][0];
  EXPECT_EQ(pool["loadbalancer_members"][0]["uuid"], SceneIds::kMember);
  EXPECT_EQ(pool["loadbalancer_listener_refs"][0]["uuid"], SceneIds::kListener);
  EXPECT_FALSE(pool.contains("loadbalancer_pool_properties"));
  r = get("/loadbalancers?detail=True&fields=loadbalancer_listener_back_refs");
  EXPECT_EQ(
      r.body["loadbalancers"][0]["loadbalancer"]["loadbalancer_listener_back_refs"][0]["uuid"],
      SceneIds::kListener);

  r = get(lb_path() + "?fields=loadbalancer_listener_back_refs&exclude_hrefs");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.body, json::parse(std::string(R"({"loadbalancer": {
      "uuid": ")") + SceneIds::kLb +
                                R"(", "name": "simple-fanout__5d4b1f0e-0c3a-4f8e-9a57-8f3d2c1b0a99",
      "fq_name": ["default-domain", "k8s-default", "simple-fanout__5d4b1f0e-0c3a-4f8e-9a57-8f3d2c1b0a99"],
      "parent_type": "project", "parent_uuid": "11111111-1111-4111-8111-111111111111",
      "loadbalancer_listener_back_refs": [{"to": ["default-domain", "k8s-default",
          "simple-fanout__5d4b1f0e-0c3a-4f8e-9a57-8f3d2c1b0a99-HTTP-80-44444444-4444-4444-8444-444444444444"],
          "uuid": "44444444-4444-4444-8444-444444444444", "attr": null}]}})"));
}

// ---- reads ---------------------------------------------------------------------------

TEST_F(RestHandlerTest, VmiBackRefsFromTheInstanceIpAndTheLoadbalancer) {
  RestResponse r = get(std::string("/virtual-machine-interface/") + SceneIds::kVmi);
  ASSERT_EQ(r.status, 200);
  const json& vmi = r.body["virtual-machine-interface"];
  ASSERT_EQ(vmi["instance_ip_back_refs"].size(), 1u);
  EXPECT_EQ(vmi["instance_ip_back_refs"][0]["uuid"], SceneIds::kIip);
  EXPECT_EQ(vmi["instance_ip_back_refs"][0]["href"],
            std::string("http://127.0.0.1:8082/instance-ip/") + SceneIds::kIip);
  ASSERT_EQ(vmi["loadbalancer_back_refs"].size(), 1u);
  EXPECT_EQ(vmi["virtual_network_refs"][0]["to"],
            json({"default-domain", "k8s-default", "k8s-default-pod-network"}));
  EXPECT_EQ(vmi["virtual_machine_interface_device_owner"], "K8S:LOADBALANCER");

  RestResponse bare =
      get(std::string("/virtual-machine-interface/") + SceneIds::kVmi + "?exclude_back_refs");
  EXPECT_FALSE(bare.body["virtual-machine-interface"].contains("instance_ip_back_refs"));
  EXPECT_TRUE(bare.body["virtual-machine-interface"].contains("virtual_network_refs"));

  RestResponse project = get(std::string("/project/") + SceneIds::kProject + "?exclude_children");
  EXPECT_FALSE(project.body["project"].contains("loadbalancers"));
  project = get(std::string("/project/") + SceneIds::kProject);
  EXPECT_EQ(project.body["project"]["loadbalancers"][0]["uuid"], SceneIds::kLb);
  EXPECT_EQ(project.body["project"]["virtual_networks"][0]["uuid"], SceneIds::kVn);
}

TEST_F(RestHandlerTest, HrefsFollowTheHostTheRequestCameTo) {
  RestRequest req;
  req.method = "GET";
  req.target = "/loadbalancers";
  req.host = "localhost:18082";
  EXPECT_EQ(handler_.handle(req, "x:1").body["loadbalancers"][0]["href"],
            std::string("http://localhost:18082/loadbalancer/") + SceneIds::kLb);
  req.host = "evil\"host/<x>";  // not a plain host: the server's own address instead
  EXPECT_EQ(handler_.handle(req, "127.0.0.1:9").body["loadbalancers"][0]["href"],
            std::string("http://127.0.0.1:9/loadbalancer/") + SceneIds::kLb);
  req.host = "";
  EXPECT_EQ(handler_.handle(req, "[::1]:9").body["loadbalancers"][0]["href"],
            std::string("http://[::1]:9/loadbalancer/") + SceneIds::kLb);
}

TEST_F(RestHandlerTest, EtagAndIfNoneMatch) {
  RestRequest req;
  req.method = "GET";
  req.target = lb_path();
  req.host = kHost;
  req.if_none_match = "\"2026-01-01T00:00:00.000000\"";
  RestResponse r = handler_.handle(req, kHost);
  EXPECT_EQ(r.status, 304);
  EXPECT_TRUE(r.body.is_null());
  scene_.clock.advance(std::chrono::seconds(5));
  ASSERT_EQ(call("PUT", lb_path(), R"({"loadbalancer": {"display_name": "x"}})").status, 200);
  r = handler_.handle(req, kHost);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.etag, "\"2026-01-01T00:00:05.000000\"");
}

TEST_F(RestHandlerTest, ListSelectors) {
  auto uuids = [&](const std::string& target) {
    RestResponse r = get(target);
    EXPECT_EQ(r.status, 200) << target << " " << r.body.dump();
    std::vector<std::string> out;
    for (const auto& e : r.body.begin().value()) out.push_back(e["uuid"]);
    return out;
  };
  const std::vector<std::string> member{SceneIds::kMember}, none;
  EXPECT_EQ(uuids(std::string("/loadbalancer-members?parent_id=") + SceneIds::kPool), member);
  EXPECT_EQ(uuids(std::string("/loadbalancer-members?parent_id=") + SceneIds::kLb), none);
  EXPECT_EQ(
      uuids("/loadbalancers?parent_fq_name_str=default-domain:k8s-default&parent_type=project"),
      std::vector<std::string>{SceneIds::kLb});
  EXPECT_EQ(uuids("/loadbalancers?parent_fq_name_str=default-domain:k8s-default"),
            std::vector<std::string>{SceneIds::kLb});
  EXPECT_EQ(uuids("/loadbalancers?parent_fq_name_str=default-domain:default-project"), none);
  expect_error(get("/loadbalancers?parent_fq_name_str=default-domain:nope"), 404,
               "parent default-domain:nope not found");
  // Instance-ips that refer to the VIP VMI.
  EXPECT_EQ(uuids(std::string("/instance-ips?back_ref_id=") + SceneIds::kVmi),
            std::vector<std::string>{SceneIds::kIip});
  EXPECT_EQ(uuids(std::string("/loadbalancer-listeners?back_ref_id=") + SceneIds::kLb),
            std::vector<std::string>{SceneIds::kListener});
  EXPECT_EQ(uuids(std::string("/loadbalancers?obj_uuids=nope,") + SceneIds::kLb),
            std::vector<std::string>{SceneIds::kLb});
  EXPECT_EQ(uuids("/projects?fq_names=default-domain:k8s-default"),
            std::vector<std::string>{SceneIds::kProject});
  EXPECT_EQ(uuids("/loadbalancers?filters=loadbalancer_provider==opencontrail"),
            std::vector<std::string>{SceneIds::kLb});
  EXPECT_EQ(uuids("/loadbalancers?filters=loadbalancer_provider==native"), none);
  EXPECT_EQ(uuids("/projects?filters=display_name==nope"), none);
}

TEST_F(RestHandlerTest, Paging) {
  // Three projects: default-project, k8s-default, and one more.
  ASSERT_EQ(call("POST", "/projects", R"({"project": {"fq_name": ["default-domain", "p3"],
      "uuid": "00000000-0000-4000-8000-000000000001"}})")
                .status,
            200);
  std::vector<std::string> all;
  std::string marker;
  for (int page = 0; page < 5; ++page) {
    RestResponse r =
        get("/projects?page_limit=2" + (marker.empty() ? std::string() : "&page_marker=" + marker));
    ASSERT_EQ(r.status, 200) << r.body.dump();
    for (const auto& e : r.body["projects"]) all.push_back(e["uuid"]);
    if (r.body["marker"].is_null()) break;
    EXPECT_EQ(r.body["projects"].size(), 2u);
    marker = r.body["marker"];
  }
  ASSERT_EQ(all.size(), 3u);
  EXPECT_TRUE(std::is_sorted(all.begin(), all.end()));
  EXPECT_EQ(all[0], "00000000-0000-4000-8000-000000000001");
}

TEST_F(RestHandlerTest, Homepage) {
  RestResponse r = get("/");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.body["href"], "http://127.0.0.1:8082");
  auto has = [&](const json& link) {
    for (const auto& l : r.body["links"])
      if (l["link"] == link) return true;
    return false;
  };
  EXPECT_TRUE(has({{"href", "http://127.0.0.1:8082/loadbalancers"},
                   {"name", "loadbalancer"},
                   {"rel", "collection"}}));
  EXPECT_TRUE(has({{"href", "http://127.0.0.1:8082/loadbalancer-member"},
                   {"name", "loadbalancer-member"},
                   {"rel", "resource-base"}}));
  EXPECT_TRUE(has({{"href", "http://127.0.0.1:8082/fqname-to-id"},
                   {"method", "POST"},
                   {"name", "name-to-id"},
                   {"rel", "action"}}));
  // Every collection link answers.
  for (const auto& l : r.body["links"]) {
    if (l["link"]["rel"] != "collection") continue;
    std::string href = l["link"]["href"];
    EXPECT_EQ(get(href.substr(std::string("http://127.0.0.1:8082").size())).status, 200) << href;
  }
}

TEST_F(RestHandlerTest, FqnameToIdAndBack) {
  RestResponse r = call("POST", "/fqname-to-id",
                        R"({"type": "loadbalancer-pool", "fq_name": ["default-domain",
                            "k8s-default", "simple-fanout__5d4b1f0e-0c3a-4f8e-9a57-8f3d2c1b0a99-HTTP-80-44444444-4444-4444-8444-444444444444"]})");
  ASSERT_EQ(r.status, 200) << r.body.dump();
  EXPECT_EQ(r.body, json({{"uuid", SceneIds::kPool}}));
  r = call("POST", "/fqname-to-id", R"({"type": "loadbalancer_pool", "fq_name": ["x"]})");
  expect_error(r, 404, "loadbalancer-pool x not found");
  expect_error(call("POST", "/fqname-to-id", R"({"type": "widget", "fq_name": ["x"]})"), 404,
               "no such type widget");
  expect_error(call("POST", "/fqname-to-id", R"({"fq_name": ["x"]})"), 400, "the body must be");
  expect_error(call("GET", "/fqname-to-id"), 405, "GET is not allowed");

  r = call("POST", "/id-to-fqname", std::string(R"({"uuid": ")") + SceneIds::kMember + "\"}");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.body["type"], "loadbalancer-member");
  EXPECT_EQ(r.body["fq_name"].size(), 4u);
  expect_error(call("POST", "/id-to-fqname", R"({"uuid": "nope"})"), 404, "nope not found");
  expect_error(call("POST", "/id-to-fqname", R"({"uuid": 5})"), 400, "the body must be");
}

// ---- writes ----------------------------------------------------------------------------

TEST_F(RestHandlerTest, PutMemberAdminStateDownMergesAndNotifies) {
  const std::string path = std::string("/loadbalancer-member/") + SceneIds::kMember;
  RestResponse r = call("PUT", path, R"({"loadbalancer-member": {"loadbalancer_member_properties":
      {"admin_state": false, "address": "10.96.0.10", "protocol_port": 80, "weight": 1}}})");
  ASSERT_EQ(r.status, 200) << r.body.dump();
  EXPECT_EQ(r.body, json({{"loadbalancer-member",
                           {{"uuid", SceneIds::kMember},
                            {"href", std::string("http://127.0.0.1:8082") + path}}}}));
  auto m = scene_.db.read(SceneIds::kMember);
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->props["loadbalancer_member_properties"]["admin_state"], false);
  EXPECT_EQ(m->props["annotations"]["key_value_pair"][0]["value"], "service1");  // kept
  EXPECT_EQ(m->parent_uuid, SceneIds::kPool);
  EXPECT_EQ(scene_.events(), std::vector<std::string>{"update loadbalancer-member " +
                                                      std::string(SceneIds::kMember)});
  // The write is the root of its trace.
  bool root = false;
  for (const auto& s : scene_.bus.spans())
    if (s.kind == "root" && s.module == "config-api" && s.topic == "PUT " + path) root = true;
  EXPECT_TRUE(root);
}

TEST_F(RestHandlerTest, PutOfWhatWasReadIsANoOpForTheObject) {
  const std::string path = std::string("/loadbalancer/") + SceneIds::kLb;
  const json before = get(path).body;
  json body = before;
  ASSERT_EQ(call("PUT", path, body.dump()).status, 200);
  EXPECT_EQ(get(path).body, before);
}

TEST_F(RestHandlerTest, PutReplacesRefsOfTheGivenType) {
  const std::string path = std::string("/loadbalancer/") + SceneIds::kLb;
  RestResponse r = call("PUT", path, R"({"loadbalancer": {"service_appliance_set_refs": []}})");
  ASSERT_EQ(r.status, 200) << r.body.dump();
  auto lb = scene_.db.read(SceneIds::kLb);
  ASSERT_EQ(lb->refs.size(), 1u);
  EXPECT_EQ(lb->refs[0].type, "virtual-machine-interface");

  r = call("PUT", path, R"({"loadbalancer": {"service_appliance_set_refs": [{"to":
      ["default-global-system-config", "opencontrail"]}]}})");
  ASSERT_EQ(r.status, 200) << r.body.dump();
  EXPECT_EQ(scene_.db.read(SceneIds::kLb)->ref_uuids("service-appliance-set"),
            std::vector<std::string>{SceneIds::kSas});
}

TEST_F(RestHandlerTest, CreateReadDelete) {
  RestResponse r = call("POST", "/loadbalancer-members", R"({"loadbalancer-member": {
      "parent_type": "loadbalancer-pool",
      "fq_name": ["default-domain", "k8s-default",
        "simple-fanout__5d4b1f0e-0c3a-4f8e-9a57-8f3d2c1b0a99-HTTP-80-44444444-4444-4444-8444-444444444444",
        "m2"],
      "loadbalancer_member_properties": {"address": "10.96.0.11", "protocol_port": 8080,
                                         "weight": 1, "admin_state": true}}})");
  ASSERT_EQ(r.status, 200) << r.body.dump();
  const json& created = r.body["loadbalancer-member"];
  const std::string uuid = created["uuid"];
  EXPECT_TRUE(is_canonical_uuid(uuid));
  EXPECT_EQ(created["name"], "m2");
  EXPECT_EQ(created["parent_uuid"], SceneIds::kPool);
  EXPECT_EQ(created["parent_type"], "loadbalancer-pool");
  EXPECT_EQ(created["href"], "http://127.0.0.1:8082/loadbalancer-member/" + uuid);
  EXPECT_EQ(scene_.events(), std::vector<std::string>{"create loadbalancer-member m2"});
  EXPECT_EQ(scene_.db.children(SceneIds::kPool, "loadbalancer-member").size(), 2u);

  // By name under a parent uuid.
  r = call("POST", "/loadbalancer-members",
           std::string(R"({"loadbalancer-member": {"name": "m3", "parent_uuid": ")") +
               SceneIds::kPool + R"("}})");
  ASSERT_EQ(r.status, 200) << r.body.dump();
  EXPECT_EQ(r.body["loadbalancer-member"]["fq_name"].size(), 4u);
  const std::string m3 = r.body["loadbalancer-member"]["uuid"];

  EXPECT_EQ(call("DELETE", "/loadbalancer-member/" + uuid).status, 200);
  EXPECT_EQ(call("DELETE", "/loadbalancer-member/" + m3).status, 200);
  EXPECT_EQ(scene_.events(), (std::vector<std::string>{"create loadbalancer-member m3",
                                                       "delete loadbalancer-member m2",
                                                       "delete loadbalancer-member m3"}));
  EXPECT_EQ(get("/loadbalancer-member/" + uuid).status, 404);
}

TEST_F(RestHandlerTest, CreateInstanceIpAllocatesAnAddress) {
  RestResponse r = call("POST", "/instance-ips", R"({"instance-ip": {"fq_name": ["extra-iip"],
      "virtual_network_refs": [{"to": ["default-domain", "k8s-default", "k8s-default-pod-network"]}]}})");
  ASSERT_EQ(r.status, 200) << r.body.dump();
  const std::string uuid = r.body["instance-ip"]["uuid"];
  RestResponse read = get("/instance-ip/" + uuid);
  EXPECT_EQ(read.body["instance-ip"]["instance_ip_address"], "10.47.255.251");
  EXPECT_FALSE(read.body["instance-ip"].contains("parent_type"));
}

TEST_F(RestHandlerTest, RefUpdate) {
  ASSERT_EQ(call("POST", "/service-templates", R"({"service-template": {"fq_name":
      ["default-domain", "haproxy-loadbalancer-template"],
      "uuid": "aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa"}})")
                .status,
            200);
  ASSERT_EQ(call("POST", "/service-instances", R"({"service-instance": {"fq_name":
      ["default-domain", "k8s-default", "5d4b1f0e-0c3a-4f8e-9a57-8f3d2c1b0a99"],
      "uuid": "bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb",
      "service_template_refs": [{"uuid": "aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa"}]}})")
                .status,
            200);
  scene_.events();
  RestResponse r = call("POST", "/ref-update",
                        std::string(R"({"type": "loadbalancer", "uuid": ")") + SceneIds::kLb +
                            R"(", "ref-type": "service-instance",
      "ref-uuid": "bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb", "operation": "ADD", "attr": null})");
  ASSERT_EQ(r.status, 200) << r.body.dump();
  EXPECT_EQ(r.body, json({{"uuid", SceneIds::kLb}}));
  EXPECT_EQ(scene_.db.read(SceneIds::kLb)->ref_uuids("service-instance"),
            std::vector<std::string>{"bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb"});
  EXPECT_EQ(scene_.events().size(), 1u);

  r = call("POST", "/ref-update",
           std::string(R"({"type": "loadbalancer", "uuid": ")") + SceneIds::kLb +
               R"(", "ref-type": "service-instance",
      "ref-fq-name": ["default-domain", "k8s-default", "5d4b1f0e-0c3a-4f8e-9a57-8f3d2c1b0a99"],
      "operation": "DELETE"})");
  ASSERT_EQ(r.status, 200) << r.body.dump();
  EXPECT_TRUE(scene_.db.read(SceneIds::kLb)->ref_uuids("service-instance").empty());

  expect_error(call("POST", "/ref-update", R"({"type": "loadbalancer", "uuid": "nope",
      "ref-type": "service-instance", "ref-uuid": "x", "operation": "ADD"})"),
               404, "loadbalancer nope not found");
  expect_error(call("POST", "/ref-update",
                    std::string(R"({"type": "loadbalancer", "uuid": ")") + SceneIds::kLb +
                        R"(", "ref-type": "service-instance",
      "ref-uuid": "dangling", "operation": "ADD"})"),
               400, "does not exist");
  expect_error(call("POST", "/ref-update", R"({"type": "loadbalancer", "uuid": "x",
      "ref-type": "service-instance", "ref-uuid": "y", "operation": "MOVE"})"),
               400, "operation");
}

// ---- errors ----------------------------------------------------------------------------

TEST_F(RestHandlerTest, NotFound) {
  expect_error(get("/widget/abc"), 404, "no such resource type: widget");
  expect_error(get("/widgets"), 404, "no such resource type or path: /widgets");
  expect_error(get("/loadbalancer/nope"), 404, "loadbalancer nope not found");
  expect_error(get(std::string("/loadbalancer-pool/") + SceneIds::kLb), 404,
               "(that uuid is a loadbalancer)");
  expect_error(get("/loadbalancer"), 404, "needs a uuid");
  expect_error(get("/a/b/c"), 404, "no such path");
  expect_error(call("PUT", "/loadbalancer/nope", R"({"loadbalancer": {}})"), 404, "not found");
  expect_error(call("DELETE", "/loadbalancer/nope"), 404, "not found");
  EXPECT_EQ(get("/loadbalancer/%FF%FE").status, 404);  // not UTF-8: still an answer
}

TEST_F(RestHandlerTest, BadRequests) {
  expect_error(call("POST", "/loadbalancers", "{not json"), 400, "not valid JSON");
  expect_error(call("POST", "/loadbalancers", ""), 400, "no body");
  expect_error(call("PUT", lb_path(), "[1,2"), 400, "not valid JSON");
  expect_error(call("PUT", lb_path(), R"({"loadbalancer-pool": {}})"), 400, "the body must be");
  expect_error(call("PUT", lb_path(), R"({"loadbalancer": {"uuid": "other"}})"), 400,
               "is not the one in the URL");
  expect_error(call("PUT", lb_path(), R"({"loadbalancer": {"fq_name": ["a", "b"]}})"), 400,
               "fq_name cannot change");
  expect_error(call("PUT", lb_path(), R"({"loadbalancer": {"name": "other"}})"), 400,
               "name cannot change");
  expect_error(get("/loadbalancers?page_limit=zero"), 400, "page_limit");
  expect_error(get("/loadbalancers?detail=maybe"), 400, "detail=maybe");
  expect_error(get("/loadbalancers?x=%G1"), 400, "bad percent-escape");
  expect_error(call("PATCH", lb_path()), 405, "PATCH is not allowed");
  EXPECT_EQ(call("PATCH", lb_path()).allow, "GET, PUT, DELETE");
  expect_error(call("DELETE", "/loadbalancers"), 405, "allowed: GET, POST");
  expect_error(call("POST", "/"), 405, "");
}

TEST_F(RestHandlerTest, WrongParentDanglingRefAndDuplicates) {
  // A member under a project: the schema wants a pool.
  expect_error(call("POST", "/loadbalancer-members",
                    std::string(R"({"loadbalancer-member": {"name": "m", "parent_type": "project",
                        "parent_uuid": ")") +
                        SceneIds::kProject + R"("}})"),
               400,
               "the parent of a loadbalancer-member must be a loadbalancer-pool (got project)");
  expect_error(call("POST", "/loadbalancer-members",
                    R"({"loadbalancer-member": {"name": "m", "parent_uuid": "nope"}})"),
               400, "parent nope does not exist");
  expect_error(call("POST", "/loadbalancers",
                    R"({"loadbalancer": {"fq_name": ["default-domain", "nope", "lb"]}})"),
               400, "parent default-domain:nope does not exist");
  expect_error(call("POST", "/loadbalancers", R"({"loadbalancer": {"fq_name": ["lb"]}})"), 400,
               "must be a project (none given");
  expect_error(call("POST", "/instance-ips",
                    std::string(R"({"instance-ip": {"name": "x", "parent_uuid": ")") +
                        SceneIds::kProject + R"("}})"),
               400, "instance-ip is a root object: it has no parent");
  // A dangling ref: nothing is written.
  expect_error(call("POST", "/loadbalancers", R"({"loadbalancer": {
      "fq_name": ["default-domain", "k8s-default", "lb2"],
      "virtual_machine_interface_refs": [{"uuid": "dangling"}]}})"),
               400, "does not exist");
  expect_error(call("PUT", lb_path(), R"({"loadbalancer": {
      "service_instance_refs": [{"to": ["default-domain", "k8s-default", "nope"]}]}})"),
               400, "does not exist");
  EXPECT_FALSE(scene_.db.read_fq("loadbalancer", {"default-domain", "k8s-default", "lb2"}));
  EXPECT_EQ(scene_.db.read(SceneIds::kLb)->refs.size(), 2u);
  // Duplicates.
  RestResponse dup = call("POST", "/loadbalancers", R"({"loadbalancer": {"fq_name":
      ["default-domain", "k8s-default", "simple-fanout__5d4b1f0e-0c3a-4f8e-9a57-8f3d2c1b0a99"]}})");
  expect_error(dup, 409, "already exists");
  EXPECT_EQ(dup.body["error"]["status"], "AlreadyExists");
  expect_error(call("POST", "/loadbalancers",
                    std::string(R"({"loadbalancer": {"fq_name":
      ["default-domain", "k8s-default", "lb3"], "uuid": ")") +
                        SceneIds::kPool + "\"}}"),
               409, "is taken by");
  expect_error(call("POST", "/loadbalancers", R"({"loadbalancer": {"fq_name":
      ["default-domain", "k8s-default", "lb3"], "uuid": "not-a-uuid"}})"),
               400, "is not a uuid");
  expect_error(call("POST", "/loadbalancers", R"({"loadbalancer": {"name": "x", "fq_name":
      ["default-domain", "k8s-default", "lb3"]}})"),
               400, "not the last element");
  expect_error(call("POST", "/loadbalancers", R"({"loadbalancer": {}})"), 400, "needs fq_name");
  EXPECT_TRUE(scene_.events().empty());
}

TEST_F(RestHandlerTest, DeleteRefusedWhileReferredTo) {
  RestResponse r = call("DELETE", lb_path());
  expect_error(r, 409, "cannot delete loadbalancer");
  EXPECT_EQ(r.body["error"]["status"], "Conflict");
  expect_error(call("DELETE", std::string("/loadbalancer-pool/") + SceneIds::kPool), 409,
               "child loadbalancer-member");
  EXPECT_TRUE(scene_.db.read(SceneIds::kLb).has_value());
  EXPECT_TRUE(scene_.events().empty());
}

}  // namespace
}  // namespace csim::controller
