#include "kube/apply.h"

#include <gtest/gtest.h>

#include "kube/memory_store.h"
#include "kube/merge_patch.h"

namespace csim::kube {
namespace {

using nlohmann::json;

std::vector<std::string> split_lines(const std::string& s) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= s.size()) {
    size_t end = s.find('\n', start);
    if (end == std::string::npos) end = s.size();
    if (end > start) out.push_back(s.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

class ApplyTest : public ::testing::Test {
 protected:
  ApplyTest() : bus_(clock_, core::Bus::Mode::kDeterministic) {
    bus_.subscribe("recorder", "kube.watch.", [this](const core::Envelope& e) {
      events_.push_back(e.body["type"].get<std::string>() + " " + e.topic.substr(11) + " " +
                        e.body["object"]["metadata"]["name"].get<std::string>());
    });
  }

  std::vector<std::string> drain() {
    bus_.run_until_idle();
    return std::exchange(events_, {});
  }

  size_t object_count() {
    size_t n = 0;
    for (const char* kind : {"Namespace", "Service", "Deployment", "Pod", "Ingress", "Endpoints"})
      n += store_.list(kind).size();
    return n;
  }

  core::SimulatedClock clock_;
  core::Bus bus_;
  MemoryObjectStore store_{bus_, clock_, MemoryObjectStore::Options{.seed = 7}};
  std::vector<std::string> events_;
};

TEST_F(ApplyTest, AppliesInKindOrderAndStoresIngressAsV1) {
  auto r = apply_file(store_, "kube/testdata/fanout.yaml");
  ASSERT_TRUE(r.is_ok()) << r.status().to_string();
  EXPECT_EQ(r->to_string(),
            "namespace/shop created\n"
            "service/qa-webserver created\n"
            "service/dev-webserver created\n"
            "deployment.apps/qa-webserver created\n"
            "ingress.networking.k8s.io/simple-fanout created\n");
  EXPECT_EQ(r->entries[0].where, "kube/testdata/fanout.yaml:67");
  EXPECT_EQ(drain(), (std::vector<std::string>{
                         "ADDED namespace shop", "ADDED service qa-webserver",
                         "ADDED service dev-webserver", "ADDED deployment qa-webserver",
                         "ADDED ingress simple-fanout"}));
  auto ing = store_.get("Ingress", "shop", "simple-fanout");
  ASSERT_TRUE(ing);
  EXPECT_EQ((*ing)["apiVersion"], "networking.k8s.io/v1");
  const json& paths = (*ing)["spec"]["rules"][0]["http"]["paths"];
  EXPECT_EQ(paths[0], json::parse(R"({"path": "/qa.html", "pathType": "ImplementationSpecific",
      "backend": {"service": {"name": "qa-webserver", "port": {"number": 80}}}})"));
  EXPECT_EQ(paths[1]["backend"]["service"]["port"], json({{"name", "http"}}));
  json last = json::parse((*ing)["metadata"]["annotations"][kLastAppliedAnnotation].get<std::string>());
  EXPECT_EQ(last["apiVersion"], "extensions/v1beta1") << "last-applied keeps what the user wrote";
  auto svc = store_.get("Service", "shop", "qa-webserver");
  EXPECT_EQ((*svc)["spec"]["clusterIP"], "10.96.0.10");
  EXPECT_EQ((*svc)["spec"]["ports"][0], json::parse(R"({"port": 80, "targetPort": 8080, "protocol": "TCP"})"));
  EXPECT_EQ((*svc)["spec"]["type"], "ClusterIP");
}

TEST_F(ApplyTest, ReapplyIsUnchangedAndChangesMergeThreeWay) {
  ASSERT_TRUE(apply_file(store_, "kube/testdata/fanout.yaml").is_ok());
  drain();
  const uint64_t rv = store_.resource_version();
  auto again = apply_file(store_, "kube/testdata/fanout.yaml");
  ASSERT_TRUE(again.is_ok());
  for (const auto& e : again->entries) EXPECT_EQ(e.action, "unchanged") << e.kind << " " << e.name;
  EXPECT_EQ(store_.resource_version(), rv);
  EXPECT_TRUE(drain().empty());

  // Someone else (a controller) sets a field and a label; the user's next apply changes
  // the port and drops a label it had set: the other writer's fields survive.
  const std::string v1 = R"(apiVersion: v1
kind: Service
metadata:
  name: web
  labels: {app: web, tier: front}
spec:
  selector: {app: web}
  ports:
  - port: 80
)";
  ASSERT_TRUE(apply_yaml(store_, v1, "web.yaml").is_ok());
  json live = *store_.get("Service", "default", "web");
  live["metadata"]["labels"]["owner"] = "controller";
  live["spec"]["sessionAffinity"] = "None";
  ASSERT_TRUE(store_.update(live).is_ok());
  const std::string v2 = R"(apiVersion: v1
kind: Service
metadata:
  name: web
  labels: {app: web}
spec:
  selector: {app: web}
  ports:
  - port: 8080
)";
  auto r = apply_yaml(store_, v2, "web.yaml");
  ASSERT_TRUE(r.is_ok()) << r.status().to_string();
  EXPECT_EQ(r->entries[0].action, "configured");
  json now = *store_.get("Service", "default", "web");
  EXPECT_EQ(now["metadata"]["labels"], json({{"app", "web"}, {"owner", "controller"}}));
  EXPECT_EQ(now["spec"]["sessionAffinity"], "None");
  EXPECT_EQ(now["spec"]["ports"][0]["port"], 8080);
  EXPECT_EQ(now["spec"]["clusterIP"], live["spec"]["clusterIP"]) << "clusterIP survives";
}

TEST_F(ApplyTest, InvalidFileChangesNothingAndNamesFileLineField) {
  const uint64_t rv = store_.resource_version();
  auto r = apply_file(store_, "kube/testdata/bad.yaml");
  ASSERT_FALSE(r.is_ok());
  EXPECT_EQ(r.status().code(), core::Code::kInvalid);
  EXPECT_EQ(split_lines(r.status().message()),
            (std::vector<std::string>{
                "kube/testdata/bad.yaml:14: spec.rules[0].http.paths[0].path: must start with '/'",
                "kube/testdata/bad.yaml:23: spec.ports[0].name: a lowercase RFC 1123 label must "
                "consist of lower case alphanumeric characters or '-', and must start and end with "
                "an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for "
                "validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"}));
  EXPECT_EQ(store_.resource_version(), rv);
  EXPECT_TRUE(drain().empty());
}

TEST_F(ApplyTest, IngressBackendMustNameAnExistingService) {
  auto r = apply_file(store_, "kube/testdata/missing-service.yaml");
  ASSERT_FALSE(r.is_ok());
  EXPECT_EQ(r.status().message(),
            "kube/testdata/missing-service.yaml:14: spec.rules[0].http.paths[0].backend.serviceName: "
            "Service \"nope\" not found in namespace \"default\" (neither in the cluster nor in this "
            "apply)");
  EXPECT_FALSE(store_.get("Service", "default", "web")) << "nothing half-applied";

  // Once the Service exists in the cluster, the same Ingress applies; the wrong port is a warning.
  ASSERT_TRUE(apply_yaml(store_, "apiVersion: v1\nkind: Service\nmetadata: {name: nope}\n"
                                 "spec: {ports: [{port: 80}]}\n",
                         "nope.yaml")
                  .is_ok());
  auto ok = apply_file(store_, "kube/testdata/missing-service.yaml");
  ASSERT_TRUE(ok.is_ok()) << ok.status().to_string();
  EXPECT_EQ(ok->warnings, std::vector<std::string>{
                              "kube/testdata/missing-service.yaml:18: "
                              "spec.rules[0].http.paths[1].backend.serviceName: Service \"web\" has "
                              "no port 8080"});
}

TEST_F(ApplyTest, NamespaceMustExistOrBeInTheApply) {
  auto r = apply_yaml(store_, R"(apiVersion: v1
kind: Pod
metadata:
  name: p
  namespace: ghost
spec:
  containers: [{name: c, image: csim/echo}]
)",
                      "pod.yaml");
  ASSERT_FALSE(r.is_ok());
  EXPECT_EQ(r.status().message(),
            "pod.yaml:5: metadata.namespace: namespace \"ghost\" not found (neither in the cluster "
            "nor in this apply)");
  // The default namespace of the call is used for objects without one.
  ASSERT_TRUE(store_.create({{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", "dev"}}}}).is_ok());
  auto ok = apply_yaml(store_, "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\n"
                               "spec: {containers: [{name: c, image: csim/echo}]}\n",
                       "pod.yaml", "dev");
  ASSERT_TRUE(ok.is_ok()) << ok.status().to_string();
  EXPECT_TRUE(store_.get("Pod", "dev", "p"));
}

TEST_F(ApplyTest, DuplicatesAreErrors) {
  auto r = apply_yaml(store_, R"(apiVersion: v1
kind: Service
metadata: {name: web}
spec: {ports: [{port: 80}]}
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: default}
spec: {ports: [{port: 81}]}
)",
                      "dup.yaml");
  ASSERT_FALSE(r.is_ok());
  EXPECT_EQ(r.status().message(),
            "dup.yaml:6: Service default/web appears twice in this apply (first at dup.yaml:1)");
}

TEST_F(ApplyTest, WriteFailureRollsBackWhatThisApplyWrote) {
  ASSERT_TRUE(apply_yaml(store_, "apiVersion: v1\nkind: Service\nmetadata: {name: keep}\n"
                                 "spec: {ports: [{port: 80}]}\n",
                         "keep.yaml")
                  .is_ok());
  const json keep_before = *store_.get("Service", "default", "keep");
  drain();
  auto r = apply_file(store_, "kube/testdata/clusterip-clash.yaml");
  ASSERT_FALSE(r.is_ok());
  EXPECT_EQ(r.status().code(), core::Code::kConflict);
  EXPECT_EQ(r.status().message(),
            "kube/testdata/clusterip-clash.yaml:18: Service clash/second: Service \"second\" is "
            "invalid: spec.clusterIP: Invalid value: \"10.96.0.200\": provided IP is already "
            "allocated; rolled back the 2 earlier write(s)");
  EXPECT_FALSE(store_.get("Namespace", "", "clash"));
  EXPECT_FALSE(store_.get("Service", "clash", "first"));
  EXPECT_EQ(*store_.get("Service", "default", "keep"), keep_before);
  EXPECT_EQ(drain(), (std::vector<std::string>{"ADDED namespace clash", "ADDED service first",
                                               "DELETED service first", "DELETED namespace clash"}));
}

TEST_F(ApplyTest, SeedsWithoutPathsApply) {
  auto r = apply_file(store_, "kube/testdata/virtual-host.yaml");
  ASSERT_TRUE(r.is_ok()) << r.status().to_string();
  auto ing = store_.get("Ingress", "default", "virtual-host");
  const json& path = (*ing)["spec"]["rules"][1]["http"]["paths"][0];
  EXPECT_FALSE(path.contains("path"));
  EXPECT_EQ(path["pathType"], "ImplementationSpecific");
}

TEST_F(ApplyTest, DeleteFileDeletesInReverseOrderAllOrNothing) {
  ASSERT_TRUE(apply_file(store_, "kube/testdata/fanout.yaml").is_ok());
  drain();
  // One object already gone: nothing is deleted, the error names it.
  ASSERT_TRUE(store_.remove("Service", "shop", "dev-webserver").is_ok());
  drain();
  auto partial = delete_file(store_, "kube/testdata/fanout.yaml");
  ASSERT_FALSE(partial.is_ok());
  EXPECT_EQ(partial.status().code(), core::Code::kNotFound);
  EXPECT_EQ(partial.status().message(),
            "kube/testdata/fanout.yaml:33: services \"dev-webserver\" not found in namespace \"shop\"");
  EXPECT_TRUE(store_.get("Ingress", "shop", "simple-fanout"));
  EXPECT_TRUE(drain().empty());

  auto r = delete_file(store_, "kube/testdata/fanout.yaml", "default", /*ignore_not_found=*/true);
  ASSERT_TRUE(r.is_ok()) << r.status().to_string();
  EXPECT_EQ(r->to_string(),
            "ingress.networking.k8s.io/simple-fanout deleted\n"
            "deployment.apps/qa-webserver deleted\n"
            "service/qa-webserver deleted\n"
            "service/dev-webserver not found\n"
            "namespace/shop deleted\n");
  EXPECT_EQ(drain(), (std::vector<std::string>{
                         "DELETED ingress simple-fanout", "DELETED deployment qa-webserver",
                         "DELETED service qa-webserver", "DELETED namespace shop"}));
}

TEST(MergePatchTest, ThreeWay) {
  json original = {{"a", 1}, {"m", {{"x", 1}, {"y", 2}}}, {"gone", true}};
  json modified = {{"a", 2}, {"m", {{"x", 1}}}, {"list", {1, 2}}};
  json current = {{"a", 1}, {"m", {{"x", 1}, {"y", 2}, {"z", 3}}}, {"gone", true}, {"server", "s"}};
  json patch = three_way_merge_patch(original, modified, current);
  EXPECT_EQ(patch, json::parse(R"({"a": 2, "m": {"y": null}, "gone": null, "list": [1, 2]})"));
  current.merge_patch(patch);
  EXPECT_EQ(current, json::parse(R"({"a": 2, "m": {"x": 1, "z": 3}, "list": [1, 2], "server": "s"})"));
}

}  // namespace
}  // namespace csim::kube
