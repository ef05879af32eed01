#include "kube/apiserver/router.h"

#include <gtest/gtest.h>

#include "core/bus.h"
#include "core/clock.h"
#include "kube/memory_store.h"

namespace csim::kube::apiserver {
namespace {

using nlohmann::json;

constexpr const char* kTableAccept =
    "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,"
    "application/json";

class RouterTest : public ::testing::Test {
 protected:
  Response call(const std::string& method, const std::string& target, const json& body = nullptr,
                const std::string& content_type = "application/json",
                const std::string& accept = "application/json") {
    Request req;
    req.method = method;
    parse_target(target, req);
    req.headers["accept"] = accept;
    if (!body.is_null()) {
      req.body = body.dump();
      req.headers["content-type"] = content_type;
    }
    Response r = router.handle(req);
    bus.run_until_idle();
    return r;
  }
  static json parse(const Response& r) {
    json j = json::parse(r.body, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << r.body;
    return j;
  }
  Response apply_ingress_v1(const std::string& ns, const std::string& name, const std::string& host) {
    return call("POST", "/apis/networking.k8s.io/v1/namespaces/" + ns + "/ingresses", ingress_v1(name, host));
  }
  static json ingress_v1(const std::string& name, const std::string& host) {
    return json::parse(R"({"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
      "metadata": {"name": ")" + name + R"("},
      "spec": {"ingressClassName": "nginx", "rules": [{"host": ")" + host + R"(", "http": {"paths": [
        {"path": "/", "pathType": "Prefix", "backend": {"service": {"name": "web", "port": {"number": 80}}}}]}}]}})");
  }
  static json service(const std::string& name) {
    return json::parse(R"({"apiVersion": "v1", "kind": "Service", "metadata": {"name": ")" + name +
                       R"(", "labels": {"app": "web"}}, "spec": {"selector": {"app": "web"},
                       "ports": [{"name": "http", "port": 80, "targetPort": 8080}]}})");
  }
  // Every event line of a watch's queued output.
  static std::vector<json> events(const std::shared_ptr<WatchStream>& stream, bool* finished = nullptr) {
    WatchStream::Batch batch = stream->take();
    if (finished) *finished = batch.finished;
    std::vector<json> out;
    size_t start = 0;
    while (start < batch.data.size()) {
      size_t nl = batch.data.find('\n', start);
      out.push_back(json::parse(batch.data.substr(start, nl - start)));
      start = nl + 1;
    }
    return out;
  }

  core::SimulatedClock clock;
  core::Bus bus{clock, core::Bus::Mode::kDeterministic};
  MemoryObjectStore store{bus, clock, MemoryObjectStore::Options{.seed = 3}};
  WatchHub hub{bus, store, WatchHub::Options{.history_per_kind = 4, .max_queued_per_watcher = 100}};
  Router router{store, bus, hub, clock};
};

// ---------------- discovery ----------------

TEST_F(RouterTest, VersionReportsMinor32) {
  Response r = call("GET", "/version?timeout=5s");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(parse(r)["minor"], "32");
  EXPECT_EQ(parse(r)["major"], "1");
}

TEST_F(RouterTest, LegacyDiscovery) {
  json api = parse(call("GET", "/api"));
  EXPECT_EQ(api["kind"], "APIVersions");
  EXPECT_EQ(api["versions"], json({"v1"}));
  json apis = parse(call("GET", "/apis"));
  EXPECT_EQ(apis["kind"], "APIGroupList");
  EXPECT_EQ(apis["groups"][0]["name"], "networking.k8s.io");
  EXPECT_EQ(apis["groups"][0]["preferredVersion"]["version"], "v1");
  json v1 = parse(call("GET", "/api/v1"));
  EXPECT_EQ(v1["kind"], "APIResourceList");
  bool pods = false, status = false;
  for (const json& r : v1["resources"]) {
    if (r["name"] == "pods") {
      pods = true;
      EXPECT_EQ(r["shortNames"], json({"po"}));
      EXPECT_EQ(r["namespaced"], true);
      EXPECT_EQ(r["categories"], json({"all"}));
    }
    if (r["name"] == "pods/status") status = true;
  }
  EXPECT_TRUE(pods && status);
  json ext = parse(call("GET", "/apis/extensions/v1beta1"));
  EXPECT_EQ(ext["resources"][0]["name"], "ingresses");
  EXPECT_FALSE(ext["resources"][0].contains("shortNames")) << "no ambiguity warning for 'ing'";
}

TEST_F(RouterTest, AggregatedDiscoveryEchoesTheVersionAskedFor) {
  const std::string v2 =
      "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,"
      "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json";
  Response r = call("GET", "/apis?timeout=32s", nullptr, "", v2);
  EXPECT_EQ(r.content_type, "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList");
  json doc = parse(r);
  EXPECT_EQ(doc["apiVersion"], "apidiscovery.k8s.io/v2");
  EXPECT_EQ(doc["items"][0]["metadata"]["name"], "networking.k8s.io");
  EXPECT_EQ(doc["items"][0]["versions"][0]["version"], "v1");
  const json& ing = doc["items"][0]["versions"][0]["resources"][0];
  EXPECT_EQ(ing["resource"], "ingresses");
  EXPECT_EQ(ing["scope"], "Namespaced");
  EXPECT_EQ(ing["responseKind"]["kind"], "Ingress");

  Response beta = call("GET", "/api", nullptr, "",
                       "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json");
  EXPECT_EQ(beta.content_type, "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList");
  json core = parse(beta);
  EXPECT_EQ(core["apiVersion"], "apidiscovery.k8s.io/v2beta1");
  EXPECT_EQ(core["items"][0]["versions"][0]["version"], "v1");
}

TEST_F(RouterTest, OpenApiV3DeclaresFieldValidationOnPatch) {
  json root = parse(call("GET", "/openapi/v3"));
  EXPECT_EQ(root["paths"]["apis/networking.k8s.io/v1"]["serverRelativeURL"],
            "/openapi/v3/apis/networking.k8s.io/v1");
  EXPECT_TRUE(root["paths"].contains("apis/extensions/v1beta1"));
  EXPECT_TRUE(root["paths"].contains("api/v1"));
  json doc = parse(call("GET", "/openapi/v3/apis/networking.k8s.io/v1"));
  const json& op = doc["paths"]["/apis/networking.k8s.io/v1/namespaces/{namespace}/ingresses/{name}"]["patch"];
  EXPECT_EQ(op["x-kubernetes-group-version-kind"]["kind"], "Ingress");
  EXPECT_EQ(op["parameters"][0]["name"], "fieldValidation");
  EXPECT_FALSE(op.contains("requestBody"));
  json core = parse(call("GET", "/openapi/v3/api/v1"));
  EXPECT_TRUE(core["paths"].contains("/api/v1/nodes/{name}"));
  Response v2 = call("GET", "/openapi/v2");
  EXPECT_EQ(v2.status, 200);
  EXPECT_EQ(v2.content_type, "application/com.github.proto-openapi.spec.v2.v1.0+protobuf");
  EXPECT_NE(v2.body.find("x-kubernetes-group-version-kind"), std::string::npos);
  EXPECT_NE(v2.body.find("fieldValidation"), std::string::npos);
}

TEST_F(RouterTest, UnknownPathsAndResources) {
  Response r = call("GET", "/api/v1/namespaces/default/persistentvolumeclaims");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(parse(r)["kind"], "Status");
  EXPECT_EQ(parse(r)["reason"], "NotFound");
  Response page = call("GET", "/no/such/thing");
  EXPECT_EQ(page.status, 404);
  EXPECT_EQ(page.body, "404 page not found\n");
  EXPECT_EQ(call("POST", "/version", json::object()).status, 405);
  EXPECT_EQ(call("PUT", "/api/v1/namespaces/default/pods", json::object()).status, 405)
      << "PUT on a collection";
  EXPECT_EQ(call("POST", "/api/v1/namespaces/default/pods/x", json::object()).status, 405);
  Response ro = call("POST", "/apis/discovery.k8s.io/v1/namespaces/default/endpointslices", json::object());
  EXPECT_EQ(ro.status, 405);
  EXPECT_EQ(parse(ro)["reason"], "MethodNotAllowed");
  EXPECT_EQ(call("GET", "/api/v1/namespaces/default/pods/x/log").status, 404);
  EXPECT_EQ(call("GET", "/api/v1/pods", nullptr, "", "application/vnd.kubernetes.protobuf").status, 406);
}

// ---------------- create / get / list ----------------

TEST_F(RouterTest, CreateGetListAndDuplicates) {
  Response created = apply_ingress_v1("default", "web", "web.example.com");
  ASSERT_EQ(created.status, 201) << created.body;
  json obj = parse(created);
  EXPECT_EQ(obj["apiVersion"], "networking.k8s.io/v1");
  EXPECT_EQ(obj["metadata"]["namespace"], "default");
  EXPECT_FALSE(obj["metadata"]["uid"].get<std::string>().empty());
  EXPECT_TRUE(obj["metadata"]["resourceVersion"].is_string());
  EXPECT_TRUE(obj["metadata"]["creationTimestamp"].is_string());

  Response got = call("GET", "/apis/networking.k8s.io/v1/namespaces/default/ingresses/web");
  EXPECT_EQ(got.status, 200);
  EXPECT_EQ(parse(got), obj);

  Response dup = apply_ingress_v1("default", "web", "web.example.com");
  EXPECT_EQ(dup.status, 409);
  EXPECT_EQ(parse(dup)["reason"], "AlreadyExists");
  EXPECT_EQ(parse(dup)["message"], "ingresses.networking.k8s.io \"web\" already exists");

  Response list = call("GET", "/apis/networking.k8s.io/v1/namespaces/default/ingresses?limit=500");
  json l = parse(list);
  EXPECT_EQ(l["kind"], "IngressList");
  EXPECT_EQ(l["metadata"]["resourceVersion"], std::to_string(store.resource_version()));
  ASSERT_EQ(l["items"].size(), 1u);
  EXPECT_EQ(l["items"][0]["metadata"]["name"], "web");

  Response missing = call("GET", "/apis/networking.k8s.io/v1/namespaces/default/ingresses/nosuch");
  EXPECT_EQ(missing.status, 404);
  json m = parse(missing);
  EXPECT_EQ(m["message"], "ingresses.networking.k8s.io \"nosuch\" not found");
  EXPECT_EQ(m["details"], json::parse(R"({"name": "nosuch", "group": "networking.k8s.io", "kind": "ingresses"})"));
  EXPECT_EQ(m["code"], 404);
}

TEST_F(RouterTest, CreateIntoAMissingNamespaceOrAWrongOne) {
  Response r = apply_ingress_v1("nosuchns", "web", "a.example.com");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(parse(r)["message"], "namespaces \"nosuchns\" not found");
  EXPECT_EQ(parse(r)["details"]["kind"], "namespaces");
  json body = ingress_v1("web", "a.example.com");
  body["metadata"]["namespace"] = "other";
  Response wrong = call("POST", "/apis/networking.k8s.io/v1/namespaces/default/ingresses", body);
  EXPECT_EQ(wrong.status, 400);
  EXPECT_NE(parse(wrong)["message"].get<std::string>().find("does not match the namespace"), std::string::npos);
  EXPECT_TRUE(store.list("Ingress").empty());
}

TEST_F(RouterTest, UnparseableBodyIs400AndWrongKindIs400) {
  Request req;
  req.method = "POST";
  parse_target("/api/v1/namespaces/default/services", req);
  req.headers["content-type"] = "application/json";
  req.body = "{not json";
  Response r = router.handle(req);
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(parse(r)["reason"], "BadRequest");
  Response kind = call("POST", "/api/v1/namespaces/default/services", ingress_v1("web", "a.example.com"));
  EXPECT_EQ(kind.status, 400);
  req.headers["content-type"] = "application/yaml";
  req.body = "kind: Service";
  EXPECT_EQ(router.handle(req).status, 415);
}

// ---------------- validation: 422 with one cause per field, nothing stored ----------------

TEST_F(RouterTest, InvalidIngressIs422NamingEachField) {
  json bad = json::parse(R"({"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
    "metadata": {"name": "bad"},
    "spec": {"rules": [{"host": "Bad_Host", "http": {"paths": [
      {"path": "foo", "backend": {"service": {"name": "web", "port": {"number": 80}}}}]}}]}})");
  Response r = call("POST", "/apis/networking.k8s.io/v1/namespaces/default/ingresses", bad);
  ASSERT_EQ(r.status, 422);
  json s = parse(r);
  EXPECT_EQ(s["reason"], "Invalid");
  EXPECT_EQ(s["details"]["kind"], "Ingress");
  EXPECT_EQ(s["details"]["name"], "bad");
  EXPECT_EQ(s["details"]["group"], "networking.k8s.io");
  std::set<std::string> fields;
  for (const json& c : s["details"]["causes"]) {
    fields.insert(c["field"].get<std::string>());
    EXPECT_FALSE(c["message"].get<std::string>().empty());
    EXPECT_EQ(c["message"].get<std::string>().find(c["field"].get<std::string>() + ":"), std::string::npos)
        << "the cause message does not repeat the field";
  }
  EXPECT_TRUE(fields.count("spec.rules[0].host"));
  EXPECT_TRUE(fields.count("spec.rules[0].http.paths[0].pathType"));
  EXPECT_TRUE(fields.count("spec.rules[0].http.paths[0].path"));
  const std::string message = s["message"];
  EXPECT_EQ(message.rfind("Ingress.networking.k8s.io \"bad\" is invalid: [", 0), 0u) << message;
  EXPECT_TRUE(store.list("Ingress").empty()) << "nothing half-stored";
}

TEST_F(RouterTest, InvalidOldVersionIngressNamesItsOwnFields) {
  json bad = json::parse(R"({"apiVersion": "extensions/v1beta1", "kind": "Ingress", "metadata": {"name": "old"},
    "spec": {"rules": [{"host": "a.example.com", "http": {"paths": [{"path": "/", "backend": {"servicePort": 80}}]}}]}})");
  Response r = call("POST", "/apis/extensions/v1beta1/namespaces/default/ingresses", bad);
  ASSERT_EQ(r.status, 422) << r.body;
  json s = parse(r);
  EXPECT_EQ(s["details"]["group"], "extensions");
  EXPECT_EQ(s["details"]["causes"][0]["field"], "spec.rules[0].http.paths[0].backend.serviceName");
  EXPECT_EQ(s["message"].get<std::string>().rfind("Ingress.extensions \"old\" is invalid: ", 0), 0u);
}

// ---------------- Ingress in all three versions, stored once ----------------

TEST_F(RouterTest, IngressIsServedInEveryVersionAndStoredInV1) {
  json old = json::parse(R"({"apiVersion": "extensions/v1beta1", "kind": "Ingress",
    "metadata": {"name": "legacy"},
    "spec": {"backend": {"serviceName": "web", "servicePort": 80},
             "rules": [{"host": "legacy.example.com", "http": {"paths": [
               {"path": "/old", "backend": {"serviceName": "api", "servicePort": "http"}}]}}]}})");
  Response created = call("POST", "/apis/extensions/v1beta1/namespaces/default/ingresses", old);
  ASSERT_EQ(created.status, 201) << created.body;
  json back = parse(created);
  EXPECT_EQ(back["apiVersion"], "extensions/v1beta1");
  EXPECT_EQ(back["spec"]["backend"], json::parse(R"({"serviceName": "web", "servicePort": 80})"));
  EXPECT_EQ(back["spec"]["rules"][0]["http"]["paths"][0]["pathType"], "ImplementationSpecific");

  auto stored = store.get("Ingress", "default", "legacy");
  ASSERT_TRUE(stored);
  EXPECT_EQ((*stored)["apiVersion"], "networking.k8s.io/v1");
  EXPECT_EQ((*stored)["spec"]["defaultBackend"]["service"], json::parse(R"({"name": "web", "port": {"number": 80}})"));
  EXPECT_EQ((*stored)["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]["port"],
            json::parse(R"({"name": "http"})"));

  json v1 = parse(call("GET", "/apis/networking.k8s.io/v1/namespaces/default/ingresses/legacy"));
  EXPECT_EQ(v1["apiVersion"], "networking.k8s.io/v1");
  EXPECT_TRUE(v1["spec"].contains("defaultBackend"));
  json beta = parse(call("GET", "/apis/networking.k8s.io/v1beta1/namespaces/default/ingresses/legacy"));
  EXPECT_EQ(beta["apiVersion"], "networking.k8s.io/v1beta1");
  EXPECT_EQ(beta["spec"]["rules"][0]["http"]["paths"][0]["backend"],
            json::parse(R"({"serviceName": "api", "servicePort": "http"})"));
  json list = parse(call("GET", "/apis/extensions/v1beta1/ingresses"));
  EXPECT_EQ(list["apiVersion"], "extensions/v1beta1");
  EXPECT_EQ(list["items"][0]["apiVersion"], "extensions/v1beta1");

  // A merge patch in the old version's shape lands in v1.
  Response patched = call("PATCH", "/apis/networking.k8s.io/v1beta1/namespaces/default/ingresses/legacy",
                          json::parse(R"({"spec": {"backend": {"serviceName": "web", "servicePort": 8080}}})"),
                          "application/merge-patch+json");
  ASSERT_EQ(patched.status, 200) << patched.body;
  EXPECT_EQ(parse(patched)["spec"]["backend"]["servicePort"], 8080);
  EXPECT_EQ((*store.get("Ingress", "default", "legacy"))["spec"]["defaultBackend"]["service"]["port"]["number"], 8080);
}

// ---------------- patch ----------------

TEST_F(RouterTest, KubectlApplyPatchOfAnIngress) {
  json ing = ingress_v1("web", "web.example.com");
  ing["metadata"]["annotations"] = {{"kubectl.kubernetes.io/last-applied-configuration", "{}\n"},
                                    {"nginx.ingress.kubernetes.io/rewrite-target", "/"}};
  ASSERT_EQ(call("POST", "/apis/networking.k8s.io/v1/namespaces/default/ingresses", ing).status, 201);
  const std::string before_rv = (*store.get("Ingress", "default", "web"))["metadata"]["resourceVersion"];
  json patch = json::parse(R"({"metadata": {"annotations": {
      "kubectl.kubernetes.io/last-applied-configuration": "{\"new\":1}\n",
      "nginx.ingress.kubernetes.io/rewrite-target": null}, "labels": {"tier": "edge"}},
    "spec": {"tls": [{"hosts": ["web.example.com"], "secretName": "web-tls"}]}})");
  Response r = call("PATCH",
                    "/apis/networking.k8s.io/v1/namespaces/default/ingresses/web?fieldManager=kubectl-client-side-apply&fieldValidation=Strict",
                    patch, "application/strategic-merge-patch+json");
  ASSERT_EQ(r.status, 200) << r.body;
  json out = parse(r);
  EXPECT_EQ(out["metadata"]["labels"]["tier"], "edge");
  EXPECT_FALSE(out["metadata"]["annotations"].contains("nginx.ingress.kubernetes.io/rewrite-target"));
  EXPECT_EQ(out["metadata"]["annotations"]["kubectl.kubernetes.io/last-applied-configuration"], "{\"new\":1}\n");
  EXPECT_EQ(out["spec"]["tls"][0]["secretName"], "web-tls");
  EXPECT_EQ(out["metadata"]["generation"], 2);
  EXPECT_NE(out["metadata"]["resourceVersion"], before_rv);
}

TEST_F(RouterTest, PatchThatBreaksValidationIs422AndChangesNothing) {
  ASSERT_EQ(apply_ingress_v1("default", "web", "web.example.com").status, 201);
  json before = *store.get("Ingress", "default", "web");
  Response r = call("PATCH", "/apis/networking.k8s.io/v1/namespaces/default/ingresses/web",
                    json::parse(R"({"spec": {"rules": [{"host": "x.example.com", "http": {"paths": [{"path": "/", "backend": {"service": {"name": "web", "port": {"number": 80}}}}]}}]}})"),
                    "application/merge-patch+json");
  ASSERT_EQ(r.status, 422);
  EXPECT_EQ(parse(r)["details"]["causes"][0]["field"], "spec.rules[0].http.paths[0].pathType");
  EXPECT_EQ(*store.get("Ingress", "default", "web"), before);
}

TEST_F(RouterTest, JsonPatchAndStaleResourceVersionConflict) {
  ASSERT_EQ(call("POST", "/api/v1/namespaces/default/services", service("web")).status, 201);
  json current = *store.get("Service", "default", "web");
  Response jp = call("PATCH", "/api/v1/namespaces/default/services/web",
                     json::parse(R"([{"op": "replace", "path": "/spec/ports/0/targetPort", "value": 9090}])"),
                     "application/json-patch+json");
  ASSERT_EQ(jp.status, 200) << jp.body;
  EXPECT_EQ(parse(jp)["spec"]["ports"][0]["targetPort"], 9090);
  EXPECT_EQ(parse(jp)["spec"]["clusterIP"], current["spec"]["clusterIP"]);
  json stale = json{{"metadata", {{"resourceVersion", current["metadata"]["resourceVersion"]}, {"labels", {{"x", "y"}}}}}};
  Response conflict = call("PATCH", "/api/v1/namespaces/default/services/web", stale, "application/merge-patch+json");
  EXPECT_EQ(conflict.status, 409);
  EXPECT_EQ(parse(conflict)["reason"], "Conflict");
  EXPECT_NE(parse(conflict)["message"].get<std::string>().find("the object has been modified"), std::string::npos);
  Response failed_test = call("PATCH", "/api/v1/namespaces/default/services/web",
                              json::parse(R"([{"op": "test", "path": "/spec/type", "value": "NodePort"}])"),
                              "application/json-patch+json");
  EXPECT_EQ(failed_test.status, 422);
  Response apply = call("PATCH", "/api/v1/namespaces/default/services/web", json::object(),
                        "application/apply-patch+yaml");
  EXPECT_EQ(apply.status, 415);
  EXPECT_NE(apply.body.find("client-side apply"), std::string::npos);
  Response rename = call("PATCH", "/api/v1/namespaces/default/services/web",
                         json::parse(R"({"metadata": {"name": "other"}})"), "application/merge-patch+json");
  EXPECT_EQ(rename.status, 422);
}

TEST_F(RouterTest, StrategicMergeOfDeploymentContainersThroughTheApi) {
  json deploy = json::parse(R"({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
    "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "web"}}, "template": {"metadata": {"labels": {"app": "web"}},
      "spec": {"containers": [{"name": "web", "image": "nginx:1.27", "ports": [{"containerPort": 8080}, {"containerPort": 9090}]}]}}}})");
  ASSERT_EQ(call("POST", "/apis/apps/v1/namespaces/default/deployments", deploy).status, 201);
  Response r = call("PATCH", "/apis/apps/v1/namespaces/default/deployments/web",
                    json::parse(R"({"spec": {"template": {"spec": {"containers": [
                      {"name": "web", "image": "nginx:1.28", "ports": [{"$patch": "delete", "containerPort": 9090}]}]}}}})"),
                    "application/strategic-merge-patch+json");
  ASSERT_EQ(r.status, 200) << r.body;
  json c = (*store.get("Deployment", "default", "web"))["spec"]["template"]["spec"]["containers"];
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0]["image"], "nginx:1.28");
  EXPECT_EQ(c[0]["ports"], json::parse(R"([{"containerPort": 8080, "protocol": "TCP"}])"));
}

TEST_F(RouterTest, ScaleSubresourceForKubectlScale) {
  json deploy = json::parse(R"({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
    "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "web"}}, "template": {"metadata": {"labels": {"app": "web"}},
      "spec": {"containers": [{"name": "web", "image": "nginx"}]}}}})");
  ASSERT_EQ(call("POST", "/apis/apps/v1/namespaces/default/deployments", deploy).status, 201);
  json scale = parse(call("GET", "/apis/apps/v1/namespaces/default/deployments/web/scale"));
  EXPECT_EQ(scale["kind"], "Scale");
  EXPECT_EQ(scale["apiVersion"], "autoscaling/v1");
  EXPECT_EQ(scale["spec"]["replicas"], 2);
  EXPECT_EQ(scale["status"]["selector"], "app=web");
  Response r = call("PATCH", "/apis/apps/v1/namespaces/default/deployments/web/scale",
                    json::parse(R"({"spec": {"replicas": 5}})"), "application/merge-patch+json");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(parse(r)["spec"]["replicas"], 5);
  EXPECT_EQ((*store.get("Deployment", "default", "web"))["spec"]["replicas"], 5);
  Response neg = call("PATCH", "/apis/apps/v1/namespaces/default/deployments/web/scale",
                      json::parse(R"({"spec": {"replicas": -1}})"), "application/merge-patch+json");
  EXPECT_EQ(neg.status, 422);
  EXPECT_EQ(parse(neg)["details"]["causes"][0]["field"], "spec.replicas");
  json put = parse(call("GET", "/apis/apps/v1/namespaces/default/deployments/web/scale"));
  put["spec"]["replicas"] = 1;
  EXPECT_EQ(call("PUT", "/apis/apps/v1/namespaces/default/deployments/web/scale", put).status, 200);
  EXPECT_EQ(call("PUT", "/apis/apps/v1/namespaces/default/deployments/web/scale", put).status, 409) << "stale";
  EXPECT_EQ((*store.get("Deployment", "default", "web"))["spec"]["replicas"], 1);
  EXPECT_EQ(call("GET", "/api/v1/namespaces/default/services/web/scale").status, 404);
  json disco = parse(call("GET", "/apis/apps/v1"));
  bool listed = false;
  for (const json& e : disco["resources"])
    if (e["name"] == "deployments/scale") listed = e["kind"] == "Scale" && e["group"] == "autoscaling";
  EXPECT_TRUE(listed);
}

TEST_F(RouterTest, EachWriteIsTheRootOfATraceNamedAfterTheCommand) {
  Request req;
  req.method = "POST";
  parse_target("/apis/networking.k8s.io/v1/namespaces/default/ingresses?fieldManager=kubectl-client-side-apply", req);
  req.headers["content-type"] = "application/json";
  req.headers["kubectl-command"] = "kubectl apply";
  req.body = ingress_v1("web", "web.example.com").dump();
  ASSERT_EQ(router.handle(req).status, 201);
  bus.run_until_idle();
  uint64_t trace = 0;
  for (const core::SpanRecord& s : bus.spans())
    if (s.kind == "root" && s.topic == "kubectl apply: create ingresses default/web") trace = s.trace_id;
  ASSERT_NE(trace, 0u);
  bool watch_event_in_trace = false;
  for (const core::SpanRecord& s : bus.spans_of(trace))
    if (s.kind == "publish" && s.topic == "kube.watch.ingress") watch_event_in_trace = true;
  EXPECT_TRUE(watch_event_in_trace) << "the store's event belongs to the kubectl command's trace";
}

// ---------------- update, status, delete ----------------

TEST_F(RouterTest, PutWithResourceVersionIsOptimistic) {
  ASSERT_EQ(call("POST", "/api/v1/namespaces/default/services", service("web")).status, 201);
  json current = parse(call("GET", "/api/v1/namespaces/default/services/web"));
  json edit = current;
  edit["metadata"]["labels"]["edited"] = "yes";
  Response ok = call("PUT", "/api/v1/namespaces/default/services/web", edit);
  ASSERT_EQ(ok.status, 200) << ok.body;
  EXPECT_EQ(parse(ok)["metadata"]["labels"]["edited"], "yes");
  Response stale = call("PUT", "/api/v1/namespaces/default/services/web", edit);
  EXPECT_EQ(stale.status, 409);
  json renamed = parse(ok);
  renamed["metadata"]["name"] = "other";
  EXPECT_EQ(call("PUT", "/api/v1/namespaces/default/services/web", renamed).status, 400);
  EXPECT_EQ(call("PUT", "/api/v1/namespaces/default/services/nosuch", service("nosuch")).status, 404);
}

TEST_F(RouterTest, StatusSubresource) {
  ASSERT_EQ(apply_ingress_v1("default", "web", "web.example.com").status, 201);
  json status_patch = json::parse(R"({"status": {"loadBalancer": {"ingress": [{"ip": "10.0.0.100"}, {"ip": "10.47.255.252"}]}}})");
  Response r = call("PATCH", "/apis/networking.k8s.io/v1/namespaces/default/ingresses/web/status", status_patch,
                    "application/merge-patch+json");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ((*store.get("Ingress", "default", "web"))["status"], status_patch["status"]);
  // The main resource ignores status changes.
  call("PATCH", "/apis/networking.k8s.io/v1/namespaces/default/ingresses/web",
       json::parse(R"({"status": {"loadBalancer": {}}})"), "application/merge-patch+json");
  EXPECT_EQ((*store.get("Ingress", "default", "web"))["status"], status_patch["status"]);
  json got = parse(call("GET", "/apis/extensions/v1beta1/namespaces/default/ingresses/web/status"));
  EXPECT_EQ(got["status"], status_patch["status"]);
  json put = got;
  put["status"]["loadBalancer"]["ingress"] = json::array({{{"ip", "10.0.0.7"}}});
  Response updated = call("PUT", "/apis/extensions/v1beta1/namespaces/default/ingresses/web/status", put);
  ASSERT_EQ(updated.status, 200) << updated.body;
  EXPECT_EQ((*store.get("Ingress", "default", "web"))["status"]["loadBalancer"]["ingress"][0]["ip"], "10.0.0.7");
  EXPECT_EQ(call("PUT", "/apis/extensions/v1beta1/namespaces/default/ingresses/web/status", put).status, 409)
      << "stale resourceVersion";
}

TEST_F(RouterTest, DeleteReturnsTheObjectThen404) {
  ASSERT_EQ(apply_ingress_v1("default", "web", "web.example.com").status, 201);
  Request req;
  req.method = "DELETE";
  parse_target("/apis/extensions/v1beta1/namespaces/default/ingresses/web", req);
  req.headers["content-type"] = "application/json";
  req.body = R"({"propagationPolicy":"Background"})";
  Response r = router.handle(req);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(parse(r)["apiVersion"], "extensions/v1beta1");
  EXPECT_EQ(call("GET", "/apis/networking.k8s.io/v1/namespaces/default/ingresses/web").status, 404);
  Response again = router.handle(req);
  EXPECT_EQ(again.status, 404);
  EXPECT_EQ(parse(again)["message"], "ingresses.extensions \"web\" not found");
}

TEST_F(RouterTest, DeletingANamespaceLetsLaterDeletesOfItsObjectsSucceed) {
  ASSERT_EQ(call("POST", "/api/v1/namespaces", json::parse(R"({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "demo"}})")).status, 201);
  ASSERT_EQ(call("POST", "/api/v1/namespaces/demo/services", service("web")).status, 201);
  ASSERT_EQ(call("DELETE", "/api/v1/namespaces/demo").status, 200);
  EXPECT_FALSE(store.get("Service", "demo", "web"));
  // kubectl delete -f then deletes the Service: the namespace's deletion already did.
  Response svc = call("DELETE", "/api/v1/namespaces/demo/services/web");
  EXPECT_EQ(svc.status, 200);
  EXPECT_EQ(parse(svc)["metadata"]["name"], "web");
  EXPECT_EQ(call("DELETE", "/api/v1/namespaces/demo/services/web").status, 404) << "only once";
  Response def = call("DELETE", "/api/v1/namespaces/default");
  EXPECT_EQ(def.status, 403);
}

TEST_F(RouterTest, DeleteCollectionBySelectorAndPreconditions) {
  for (const char* n : {"a", "b", "c"}) {
    json s = service(n);
    if (std::string(n) == "c") s["metadata"]["labels"]["app"] = "other";
    ASSERT_EQ(call("POST", "/api/v1/namespaces/default/services", s).status, 201);
  }
  Response r = call("DELETE", "/api/v1/namespaces/default/services?labelSelector=app%3Dweb");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(parse(r)["items"].size(), 2u);
  EXPECT_EQ(store.list("Service", "default").size(), 1u);
  Request req;
  req.method = "DELETE";
  parse_target("/api/v1/namespaces/default/services/c", req);
  req.body = R"({"preconditions": {"uid": "not-it"}})";
  Response pre = router.handle(req);
  EXPECT_EQ(pre.status, 409);
  EXPECT_NE(parse(pre)["message"].get<std::string>().find("Precondition failed: UID"), std::string::npos);
}

TEST_F(RouterTest, DryRunStoresNothing) {
  Response r = call("POST", "/apis/networking.k8s.io/v1/namespaces/default/ingresses?dryRun=All",
                    ingress_v1("web", "web.example.com"));
  EXPECT_EQ(r.status, 201);
  EXPECT_TRUE(store.list("Ingress").empty());
  ASSERT_EQ(apply_ingress_v1("default", "web", "web.example.com").status, 201);
  const uint64_t rv = store.resource_version();
  EXPECT_EQ(call("PATCH", "/apis/networking.k8s.io/v1/namespaces/default/ingresses/web?dryRun=All",
                 json::parse(R"({"metadata": {"labels": {"a": "b"}}})"), "application/merge-patch+json")
                .status,
            200);
  EXPECT_EQ(call("DELETE", "/apis/networking.k8s.io/v1/namespaces/default/ingresses/web?dryRun=All").status, 200);
  EXPECT_EQ(store.resource_version(), rv);
  EXPECT_TRUE(store.get("Ingress", "default", "web"));
  EXPECT_EQ(call("POST", "/apis/networking.k8s.io/v1/namespaces/default/ingresses?dryRun=Some",
                 ingress_v1("x", "x.example.com")).status,
            400);
}

// ---------------- tables and selectors through the API ----------------

TEST_F(RouterTest, TablesForListsAndSingleObjects) {
  ASSERT_EQ(apply_ingress_v1("default", "web", "web.example.com").status, 201);
  ASSERT_EQ(store.update_status("Ingress", "default", "web",
                                json::parse(R"({"loadBalancer": {"ingress": [{"ip": "10.0.0.100"}, {"ip": "10.47.255.252"}]}})"))
                .is_ok(),
            true);
  clock.advance(std::chrono::seconds(42));
  Response r = call("GET", "/apis/networking.k8s.io/v1/namespaces/default/ingresses?limit=500", nullptr, "", kTableAccept);
  json t = parse(r);
  EXPECT_EQ(t["kind"], "Table");
  EXPECT_EQ(t["metadata"]["resourceVersion"], std::to_string(store.resource_version()));
  EXPECT_EQ(t["rows"][0]["cells"], json({"web", "nginx", "web.example.com", "10.0.0.100,10.47.255.252", "80", "42s"}));
  EXPECT_EQ(t["rows"][0]["object"]["metadata"]["namespace"], "default");
  json one = parse(call("GET", "/apis/networking.k8s.io/v1/namespaces/default/ingresses/web", nullptr, "", kTableAccept));
  EXPECT_EQ(one["kind"], "Table");
  EXPECT_EQ(one["rows"].size(), 1u);
  json full = parse(call("GET", "/apis/networking.k8s.io/v1/ingresses?includeObject=Object", nullptr, "", kTableAccept));
  EXPECT_EQ(full["rows"][0]["object"]["kind"], "Ingress");
}

TEST_F(RouterTest, SelectorsOnListsAndBadSelectors) {
  ASSERT_EQ(call("POST", "/api/v1/namespaces/default/services", service("web")).status, 201);
  json other = service("api");
  other["metadata"]["labels"]["app"] = "api";
  ASSERT_EQ(call("POST", "/api/v1/namespaces/default/services", other).status, 201);
  EXPECT_EQ(parse(call("GET", "/api/v1/namespaces/default/services?labelSelector=app%3Dapi"))["items"].size(), 1u);
  EXPECT_EQ(parse(call("GET", "/api/v1/services?fieldSelector=metadata.name%3Dweb"))["items"][0]["metadata"]["name"], "web");
  EXPECT_EQ(parse(call("GET", "/api/v1/namespaces/default/services?labelSelector=app+notin+(api,web)"))["items"].size(), 0u);
  Response bad = call("GET", "/api/v1/namespaces/default/services?fieldSelector=spec.nodeName%3Dx");
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(parse(bad)["message"], "field label not supported: spec.nodeName");
}

TEST_F(RouterTest, EventsForDescribe) {
  ASSERT_EQ(apply_ingress_v1("default", "web", "web.example.com").status, 201);
  const std::string uid = (*store.get("Ingress", "default", "web"))["metadata"]["uid"];
  for (const char* target : {"web", "api"}) {
    json ev = {{"apiVersion", "v1"}, {"kind", "Event"},
               {"metadata", {{"name", std::string(target) + ".1"}}},
               {"involvedObject", {{"kind", "Ingress"}, {"namespace", "default"}, {"name", target}, {"uid", uid}}},
               {"reason", "Sync"}, {"message", "synced"}, {"type", "Normal"}, {"source", {{"component", "kube-manager"}}}};
    ASSERT_EQ(call("POST", "/api/v1/namespaces/default/events", ev).status, 201);
  }
  json list = parse(call("GET",
                         "/api/v1/namespaces/default/events?fieldSelector=involvedObject.name%3Dweb%2CinvolvedObject.namespace%3Ddefault%2CinvolvedObject.kind%3DIngress%2CinvolvedObject.uid%3D" +
                             uid + "&limit=500"));
  EXPECT_EQ(list["kind"], "EventList");
  ASSERT_EQ(list["items"].size(), 1u);
  EXPECT_EQ(list["items"][0]["involvedObject"]["name"], "web");
}

TEST_F(RouterTest, EndpointSlicesAreDerivedFromEndpoints) {
  json ep = json::parse(R"({"apiVersion": "v1", "kind": "Endpoints", "metadata": {"name": "web"},
    "subsets": [{"addresses": [{"ip": "10.32.0.5", "nodeName": "node-1"}], "notReadyAddresses": [{"ip": "10.32.0.6"}],
                 "ports": [{"name": "http", "port": 8080, "protocol": "TCP"}]}]})");
  ASSERT_EQ(call("POST", "/api/v1/namespaces/default/endpoints", ep).status, 201);
  json list = parse(call("GET",
                         "/apis/discovery.k8s.io/v1/namespaces/default/endpointslices?labelSelector=kubernetes.io%2Fservice-name%3Dweb"));
  EXPECT_EQ(list["kind"], "EndpointSliceList");
  ASSERT_EQ(list["items"].size(), 1u);
  const json& slice = list["items"][0];
  EXPECT_EQ(slice["addressType"], "IPv4");
  EXPECT_EQ(slice["ports"], json::parse(R"([{"name": "http", "port": 8080, "protocol": "TCP"}])"));
  ASSERT_EQ(slice["endpoints"].size(), 2u);
  EXPECT_EQ(slice["endpoints"][0]["addresses"], json({"10.32.0.5"}));
  EXPECT_EQ(slice["endpoints"][0]["conditions"]["ready"], true);
  EXPECT_EQ(slice["endpoints"][1]["conditions"]["ready"], false);
  const std::string name = slice["metadata"]["name"];
  EXPECT_EQ(name.rfind("web-", 0), 0u);
  EXPECT_EQ(call("GET", "/apis/discovery.k8s.io/v1/namespaces/default/endpointslices/" + name).status, 200);
  EXPECT_EQ(parse(call("GET", "/apis/discovery.k8s.io/v1/namespaces/default/endpointslices?labelSelector=kubernetes.io%2Fservice-name%3Dapi"))["items"].size(), 0u);
}

TEST_F(RouterTest, ProtobufNamespaceFromKubectlCreateNamespace) {
  // What `kubectl create namespace other` POSTs: "k8s\0" + Unknown{typeMeta{v1, Namespace},
  // raw = Namespace{metadata{name: other}, spec{}, status{}}}.
  auto field = [](int number, const std::string& bytes) {
    return std::string(1, static_cast<char>(number << 3 | 2)) + std::string(1, static_cast<char>(bytes.size())) + bytes;
  };
  std::string ns = field(1, field(1, "other")) + field(2, "") + field(3, "");
  std::string body = std::string("k8s\0", 4) + field(1, field(1, "v1") + field(2, "Namespace")) + field(2, ns) +
                     field(3, "") + field(4, "");
  Request req;
  req.method = "POST";
  parse_target("/api/v1/namespaces?fieldManager=kubectl-create&fieldValidation=Strict", req);
  req.headers["content-type"] = "application/vnd.kubernetes.protobuf";
  req.headers["accept"] = "application/vnd.kubernetes.protobuf,application/json";
  req.body = body;
  Response r = router.handle(req);
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(parse(r)["metadata"]["name"], "other");
  EXPECT_TRUE(store.get("Namespace", "", "other"));
  // A Deployment in protobuf is decoded and validated like JSON: without a selector or a
  // template it is a 422 that names the field, and nothing is stored.
  std::string deploy = std::string("k8s\0", 4) + field(1, field(1, "apps/v1") + field(2, "Deployment")) +
                       field(2, field(1, field(1, "x")));
  req.body = deploy;
  parse_target("/apis/apps/v1/namespaces/default/deployments", req);
  Response invalid = router.handle(req);
  EXPECT_EQ(invalid.status, 422) << invalid.body;
  EXPECT_NE(invalid.body.find("spec: Required value"), std::string::npos) << invalid.body;
  EXPECT_TRUE(store.list("Deployment").empty());
  // A kind csim does not decode from protobuf (a Pod: kubectl run sends JSON) is refused
  // with a way out, and stores nothing.
  req.body = std::string("k8s\0", 4) + field(1, field(1, "v1") + field(2, "Pod")) + field(2, field(1, field(1, "p")));
  parse_target("/api/v1/namespaces/default/pods", req);
  Response refused = router.handle(req);
  EXPECT_EQ(refused.status, 415);
  EXPECT_NE(parse(refused)["message"].get<std::string>().find("kubectl create -f"), std::string::npos);
  EXPECT_TRUE(store.list("Pod").empty());
  // Malformed bytes (a length running past the end) are a bad request, not a media type.
  req.body = std::string("k8s\0", 4) + field(1, field(1, "v1") + field(2, "Namespace")) + std::string("\x12\x7f", 2);
  parse_target("/api/v1/namespaces", req);
  Response malformed = router.handle(req);
  EXPECT_EQ(malformed.status, 400) << malformed.body;
  EXPECT_NE(malformed.body.find("truncated"), std::string::npos) << malformed.body;
}

// ---------------- watch ----------------

TEST_F(RouterTest, WatchFromTheListVersionGetsOnlyLaterChangesAsTables) {
  ASSERT_EQ(apply_ingress_v1("default", "web", "web.example.com").status, 201);
  json list = parse(call("GET", "/apis/networking.k8s.io/v1/namespaces/default/ingresses", nullptr, "", kTableAccept));
  const std::string rv = list["metadata"]["resourceVersion"];
  Response w = call("GET", "/apis/networking.k8s.io/v1/namespaces/default/ingresses?resourceVersion=" + rv + "&watch=true",
                    nullptr, "", kTableAccept);
  ASSERT_EQ(w.status, 200);
  ASSERT_TRUE(w.watch);
  EXPECT_TRUE(events(w.watch).empty());
  call("PATCH", "/apis/networking.k8s.io/v1/namespaces/default/ingresses/web",
       json::parse(R"({"metadata": {"labels": {"a": "b"}}})"), "application/merge-patch+json");
  ASSERT_EQ(apply_ingress_v1("other-ns-does-not-exist", "x", "x.example.com").status, 404);
  ASSERT_EQ(apply_ingress_v1("default", "api", "api.example.com").status, 201);
  call("DELETE", "/apis/networking.k8s.io/v1/namespaces/default/ingresses/web");
  std::vector<json> ev = events(w.watch);
  ASSERT_EQ(ev.size(), 3u);
  EXPECT_EQ(ev[0]["type"], "MODIFIED");
  EXPECT_EQ(ev[0]["object"]["kind"], "Table");
  EXPECT_TRUE(ev[0]["object"].contains("columnDefinitions")) << "the first event carries the columns";
  EXPECT_EQ(ev[0]["object"]["rows"][0]["cells"][0], "web");
  EXPECT_EQ(ev[1]["type"], "ADDED");
  EXPECT_FALSE(ev[1]["object"].contains("columnDefinitions"));
  EXPECT_EQ(ev[1]["object"]["rows"][0]["cells"][0], "api");
  EXPECT_EQ(ev[2]["type"], "DELETED");
  EXPECT_EQ(ev[2]["object"]["rows"][0]["cells"][0], "web");
}

TEST_F(RouterTest, SingleObjectWatchStartsWithASyntheticAdded) {
  ASSERT_EQ(apply_ingress_v1("default", "web", "web.example.com").status, 201);
  ASSERT_EQ(apply_ingress_v1("default", "api", "api.example.com").status, 201);
  Response w = call("GET",
                    "/apis/extensions/v1beta1/namespaces/default/ingresses?fieldSelector=metadata.name%3Dweb&resourceVersion=0&watch=true");
  ASSERT_TRUE(w.watch);
  call("PATCH", "/apis/networking.k8s.io/v1/namespaces/default/ingresses/api",
       json::parse(R"({"metadata": {"labels": {"a": "b"}}})"), "application/merge-patch+json");
  call("PATCH", "/apis/networking.k8s.io/v1/namespaces/default/ingresses/web",
       json::parse(R"({"metadata": {"labels": {"a": "b"}}})"), "application/merge-patch+json");
  std::vector<json> ev = events(w.watch);
  ASSERT_EQ(ev.size(), 2u);
  EXPECT_EQ(ev[0]["type"], "ADDED");
  EXPECT_EQ(ev[0]["object"]["apiVersion"], "extensions/v1beta1") << "plain objects in the URL's version";
  EXPECT_EQ(ev[1]["type"], "MODIFIED");
  EXPECT_EQ(ev[1]["object"]["metadata"]["labels"]["a"], "b");
}

TEST_F(RouterTest, WatchFromAVersionTheHistoryLostGets410Expired) {
  ASSERT_EQ(apply_ingress_v1("default", "web", "web.example.com").status, 201);
  const std::string old_rv = std::to_string(store.resource_version());
  for (int i = 0; i < 6; ++i)  // history_per_kind is 4
    call("PATCH", "/apis/networking.k8s.io/v1/namespaces/default/ingresses/web",
         json{{"metadata", {{"labels", {{"n", std::to_string(i)}}}}}}, "application/merge-patch+json");
  Response w = call("GET", "/apis/networking.k8s.io/v1/namespaces/default/ingresses?resourceVersion=" + old_rv + "&watch=true",
                    nullptr, "", kTableAccept);
  ASSERT_EQ(w.status, 200);
  ASSERT_TRUE(w.watch);
  bool finished = false;
  std::vector<json> ev = events(w.watch, &finished);
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0]["type"], "ERROR");
  EXPECT_EQ(ev[0]["object"]["kind"], "Status") << "not turned into a Table";
  EXPECT_EQ(ev[0]["object"]["code"], 410);
  EXPECT_EQ(ev[0]["object"]["reason"], "Expired");
  EXPECT_NE(ev[0]["object"]["message"].get<std::string>().find("too old resource version: " + old_rv), std::string::npos);
  EXPECT_TRUE(finished);
  // A version still in the history resumes.
  const std::string recent = std::to_string(store.resource_version() - 2);
  Response ok = call("GET", "/apis/networking.k8s.io/v1/namespaces/default/ingresses?resourceVersion=" + recent + "&watch=true");
  EXPECT_EQ(events(ok.watch).size(), 2u);
  EXPECT_EQ(call("GET", "/apis/networking.k8s.io/v1/namespaces/default/ingresses?resourceVersion=abc&watch=true").status, 400);
}

TEST_F(RouterTest, WatchHonoursNamespaceLabelSelectorAndTimeout) {
  ASSERT_EQ(call("POST", "/api/v1/namespaces", json::parse(R"({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "demo"}})")).status, 201);
  Response w = call("GET", "/api/v1/namespaces/demo/services?watch=1&labelSelector=app%3Dweb&timeoutSeconds=30");
  ASSERT_TRUE(w.watch);
  EXPECT_EQ(w.watch_timeout, std::chrono::seconds(30));
  ASSERT_EQ(call("POST", "/api/v1/namespaces/default/services", service("elsewhere")).status, 201);
  json other = service("other");
  other["metadata"]["labels"]["app"] = "api";
  ASSERT_EQ(call("POST", "/api/v1/namespaces/demo/services", other).status, 201);
  ASSERT_EQ(call("POST", "/api/v1/namespaces/demo/services", service("web")).status, 201);
  std::vector<json> ev = events(w.watch);
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0]["object"]["metadata"]["name"], "web");
  // Deleting the namespace reaches the watch as DELETED events.
  call("DELETE", "/api/v1/namespaces/demo");
  ev = events(w.watch);
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev[0]["type"], "DELETED");
  Response legacy = call("GET", "/api/v1/watch/namespaces/default/services");
  EXPECT_TRUE(legacy.watch);
  EXPECT_EQ(events(legacy.watch).size(), 1u) << "synthetic ADDED of 'elsewhere'";
}

}  // namespace
}  // namespace csim::kube::apiserver
