#include "kube/apiserver/strategic_merge.h"

#include <gtest/gtest.h>

#include "kube/apiserver/patch.h"

namespace csim::kube::apiserver {
namespace {

using nlohmann::json;

json smp(const std::string& kind, const json& original, const json& patch) {
  auto r = strategic_merge(kind, original, patch);
  EXPECT_TRUE(r.is_ok()) << r.status().message();
  return r.is_ok() ? *r : json();
}

// The Deployment patch kubectl apply sent in kubectl-wire.md §6.2 (deploy1 -> deploy2).
TEST(StrategicMerge, DeploymentPatchFromKubectlApply) {
  json live = json::parse(R"({
    "apiVersion": "apps/v1", "kind": "Deployment",
    "metadata": {"name": "web", "annotations": {"kubectl.kubernetes.io/last-applied-configuration": "old"}},
    "spec": {"replicas": 2, "template": {"spec": {"containers": [
      {"name": "web", "image": "nginx:1.27",
       "env": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}],
       "ports": [{"containerPort": 8080, "protocol": "TCP"}, {"containerPort": 9090, "protocol": "TCP"}]}]}}}})");
  json patch = json::parse(R"({
    "metadata": {"annotations": {"kubectl.kubernetes.io/last-applied-configuration": "new"}},
    "spec": {"replicas": 3, "template": {"spec": {
      "$setElementOrder/containers": [{"name": "sidecar"}, {"name": "web"}],
      "containers": [{"image": "busybox:1.36", "name": "sidecar"},
                     {"$setElementOrder/env": [{"name": "B"}, {"name": "C"}],
                      "$setElementOrder/ports": [{"containerPort": 8080}],
                      "env": [{"name": "C", "value": "3"}, {"$patch": "delete", "name": "A"}],
                      "image": "nginx:1.28", "name": "web",
                      "ports": [{"$patch": "delete", "containerPort": 9090}]}]}}}})");
  json out = smp("Deployment", live, patch);
  EXPECT_EQ(out["metadata"]["annotations"]["kubectl.kubernetes.io/last-applied-configuration"], "new");
  EXPECT_EQ(out["spec"]["replicas"], 3);
  const json& containers = out["spec"]["template"]["spec"]["containers"];
  ASSERT_EQ(containers.size(), 2u);
  EXPECT_EQ(containers[0], json::parse(R"({"name": "sidecar", "image": "busybox:1.36"})"))
      << "reordered by $setElementOrder, directives stripped";
  EXPECT_EQ(containers[1]["image"], "nginx:1.28");
  EXPECT_EQ(containers[1]["env"], json::parse(R"([{"name": "B", "value": "2"}, {"name": "C", "value": "3"}])"));
  EXPECT_EQ(containers[1]["ports"], json::parse(R"([{"containerPort": 8080, "protocol": "TCP"}])"))
      << "merged by containerPort: the server's protocol default survives";
  EXPECT_EQ(out.dump().find('$'), std::string::npos) << out.dump();
}

TEST(StrategicMerge, ServicePortsMergeByPort) {
  json live = json::parse(R"({"spec": {"clusterIP": "10.96.0.10", "ports": [
      {"name": "http", "port": 80, "targetPort": 8080, "protocol": "TCP"},
      {"name": "metrics", "port": 9090, "targetPort": 9090, "protocol": "TCP"}]}})");
  json patch = json::parse(R"({"spec": {"$setElementOrder/ports": [{"port": 80}],
      "ports": [{"port": 80, "targetPort": 8081}, {"$patch": "delete", "port": 9090}]}})");
  json out = smp("Service", live, patch);
  EXPECT_EQ(out["spec"]["clusterIP"], "10.96.0.10");
  EXPECT_EQ(out["spec"]["ports"],
            json::parse(R"([{"name": "http", "port": 80, "targetPort": 8081, "protocol": "TCP"}])"));
}

TEST(StrategicMerge, IngressListsAreAtomicLikeMergePatch) {
  json live = json::parse(R"({"metadata": {"labels": {"a": "1", "b": "2"},
      "annotations": {"x": "1", "nginx.ingress.kubernetes.io/rewrite-target": "/"}},
      "spec": {"ingressClassName": "nginx",
               "rules": [{"host": "a.example.com"}, {"host": "b.example.com"}],
               "tls": [{"hosts": ["a.example.com"], "secretName": "s"}]}})");
  json patch = json::parse(R"({"metadata": {"annotations": {"nginx.ingress.kubernetes.io/rewrite-target": null},
      "labels": {"tier": "edge"}},
      "spec": {"ingressClassName": null, "rules": [{"host": "c.example.com"}], "tls": null}})");
  json out = smp("Ingress", live, patch);
  EXPECT_EQ(out["metadata"]["labels"], json::parse(R"({"a": "1", "b": "2", "tier": "edge"})"));
  EXPECT_EQ(out["metadata"]["annotations"], json::parse(R"({"x": "1"})"));
  EXPECT_EQ(out["spec"], json::parse(R"({"rules": [{"host": "c.example.com"}]})"));
  json merged = live;
  merged.merge_patch(patch);
  EXPECT_EQ(out, merged) << "same as RFC 7386 for Ingress";
}

TEST(StrategicMerge, PatchReplaceAndDeleteDirectives) {
  json live = json::parse(R"({"spec": {"strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1}},
      "template": {"spec": {"containers": [{"name": "a"}, {"name": "b"}], "volumes": [{"name": "v"}]}}}})");
  // $patch: replace in a map replaces the map.
  json out = smp("Deployment", live, json::parse(R"({"spec": {"strategy": {"$patch": "replace", "type": "Recreate"}}})"));
  EXPECT_EQ(out["spec"]["strategy"], json::parse(R"({"type": "Recreate"})"));
  // $retainKeys keeps only the listed keys, then merges.
  out = smp("Deployment", live, json::parse(R"({"spec": {"strategy": {"$retainKeys": ["type"], "type": "Recreate"}}})"));
  EXPECT_EQ(out["spec"]["strategy"], json::parse(R"({"type": "Recreate"})"));
  // $patch: replace as a list element replaces the list.
  out = smp("Deployment", live, json::parse(R"({"spec": {"template": {"spec": {"containers": [{"name": "c"}, {"$patch": "replace"}]}}}})"));
  EXPECT_EQ(out["spec"]["template"]["spec"]["containers"], json::parse(R"([{"name": "c"}])"));
  // $patch: delete on a map removes it.
  out = smp("Deployment", live, json::parse(R"({"spec": {"strategy": {"$patch": "delete"}}})"));
  EXPECT_FALSE(out["spec"].contains("strategy"));
  // A new list item is appended, existing ones merged.
  out = smp("Deployment", live, json::parse(R"({"spec": {"template": {"spec": {"containers": [{"name": "b", "image": "x"}, {"name": "d"}]}}}})"));
  EXPECT_EQ(out["spec"]["template"]["spec"]["containers"],
            json::parse(R"([{"name": "a"}, {"name": "b", "image": "x"}, {"name": "d"}])"));
}

TEST(StrategicMerge, PrimitiveSetsAndDeleteFromPrimitiveList) {
  json live = json::parse(R"({"metadata": {"finalizers": ["a", "b"]}})");
  json out = smp("Pod", live, json::parse(R"({"metadata": {"finalizers": ["c", "a"]}})"));
  EXPECT_EQ(out["metadata"]["finalizers"], json::parse(R"(["a", "b", "c"])"));
  out = smp("Pod", live, json::parse(R"({"metadata": {"$deleteFromPrimitiveList/finalizers": ["a"]}})"));
  EXPECT_EQ(out["metadata"]["finalizers"], json::parse(R"(["b"])"));
  out = smp("Pod", live, json::parse(R"({"metadata": {"$setElementOrder/finalizers": ["b", "a"]}})"));
  EXPECT_EQ(out["metadata"]["finalizers"], json::parse(R"(["b", "a"])"));
}

TEST(StrategicMerge, SetElementOrderKeepsServerOnlyItemsInPlace) {
  json live = json::parse(R"({"spec": {"containers": [{"name": "a"}, {"name": "server-only"}, {"name": "b"}]}})");
  auto order_after = [&](const char* patch) {
    json out = smp("Pod", live, json::parse(patch));
    std::vector<std::string> order;
    for (const json& c : out["spec"]["containers"]) order.push_back(c["name"]);
    return order;
  };
  EXPECT_EQ(order_after(R"({"spec": {"$setElementOrder/containers": [{"name": "a"}, {"name": "b"}]}})"),
            (std::vector<std::string>{"a", "server-only", "b"}));
  // kube's mergeSortedSlice: a server-only item goes before a patch item it preceded on the server.
  EXPECT_EQ(order_after(R"({"spec": {"$setElementOrder/containers": [{"name": "b"}, {"name": "a"}]}})"),
            (std::vector<std::string>{"server-only", "b", "a"}));
}

TEST(StrategicMerge, MalformedPatchesAreErrors) {
  EXPECT_FALSE(strategic_merge("Pod", json::object(), json::array()).is_ok());
  auto r = strategic_merge("Pod", json::object(),
                           json::parse(R"({"spec": {"containers": [{"image": "no-name"}]}})"));
  ASSERT_FALSE(r.is_ok());
  EXPECT_NE(r.status().message().find("spec.containers"), std::string::npos) << r.status().message();
  EXPECT_NE(r.status().message().find("\"name\""), std::string::npos);
}

TEST(StrategicMerge, ListMetaByKindAndPath) {
  EXPECT_EQ(patch_list_meta("Deployment", {"spec", "template", "spec", "containers"})->merge_key, "name");
  EXPECT_EQ(patch_list_meta("Pod", {"spec", "initContainers", "ports"})->merge_key, "containerPort");
  EXPECT_EQ(patch_list_meta("Pod", {"spec", "containers", "volumeMounts"})->merge_key, "mountPath");
  EXPECT_EQ(patch_list_meta("Service", {"spec", "ports"})->merge_key, "port");
  EXPECT_EQ(patch_list_meta("Node", {"status", "conditions"})->merge_key, "type");
  EXPECT_FALSE(patch_list_meta("Ingress", {"spec", "rules"}));
  EXPECT_FALSE(patch_list_meta("Ingress", {"spec", "tls"}));
  EXPECT_FALSE(patch_list_meta("Pod", {"spec", "tolerations"}));
}

TEST(Patch, ContentTypesAndTheOtherPatchKinds) {
  EXPECT_EQ(patch_type("application/strategic-merge-patch+json"), PatchType::kStrategicMerge);
  EXPECT_EQ(patch_type("application/merge-patch+json; charset=utf-8"), PatchType::kMerge);
  EXPECT_EQ(patch_type("application/json-patch+json"), PatchType::kJson);
  EXPECT_EQ(patch_type("application/apply-patch+yaml"), PatchType::kApply);
  EXPECT_FALSE(patch_type("application/json"));

  json obj = json::parse(R"({"spec": {"containers": [{"name": "a", "image": "x"}]}, "metadata": {"labels": {"a": "1"}}})");
  auto merged = apply_patch(PatchType::kMerge, "Pod", obj, json::parse(R"({"spec": {"containers": [{"name": "b"}]}})"));
  ASSERT_TRUE(merged.is_ok());
  EXPECT_EQ((*merged)["spec"]["containers"], json::parse(R"([{"name": "b"}])")) << "merge patch replaces lists";
  auto jp = apply_patch(PatchType::kJson, "Pod", obj,
                        json::parse(R"([{"op": "replace", "path": "/spec/containers/0/image", "value": "y"},
                                        {"op": "add", "path": "/metadata/labels/b", "value": "2"}])"));
  ASSERT_TRUE(jp.is_ok()) << jp.status().message();
  EXPECT_EQ((*jp)["spec"]["containers"][0]["image"], "y");
  EXPECT_EQ((*jp)["metadata"]["labels"]["b"], "2");
  auto failed = apply_patch(PatchType::kJson, "Pod", obj,
                            json::parse(R"([{"op": "test", "path": "/metadata/labels/a", "value": "2"}])"));
  ASSERT_FALSE(failed.is_ok());
  EXPECT_NE(failed.status().message().find("json patch"), std::string::npos);
  EXPECT_FALSE(apply_patch(PatchType::kJson, "Pod", obj, json::object()).is_ok());
  EXPECT_FALSE(apply_patch(PatchType::kApply, "Pod", obj, json::object()).is_ok());
}

}  // namespace
}  // namespace csim::kube::apiserver
