#include "kube/apiserver/resource_table.h"

#include <gtest/gtest.h>

#include "kube/apiserver/http_message.h"

namespace csim::kube::apiserver {
namespace {

TEST(ResourceTable, ServesEveryKindInEveryVersionAndEndpointSlices) {
  ASSERT_NE(find_resource("", "v1", "pods"), nullptr);
  ASSERT_NE(find_resource("", "v1", "nodes"), nullptr);
  ASSERT_NE(find_resource("apps", "v1", "deployments"), nullptr);
  for (auto [g, v] : {std::pair{"networking.k8s.io", "v1"}, {"networking.k8s.io", "v1beta1"},
                      {"extensions", "v1beta1"}}) {
    const ApiResource* ing = find_resource(g, v, "ingresses");
    ASSERT_NE(ing, nullptr) << g << "/" << v;
    EXPECT_EQ(ing->kind, "Ingress");
    EXPECT_EQ(ing->store_kind, "Ingress");
    EXPECT_TRUE(ing->has_status);
  }
  const ApiResource* slices = find_resource("discovery.k8s.io", "v1", "endpointslices");
  ASSERT_NE(slices, nullptr);
  EXPECT_TRUE(slices->read_only);
  EXPECT_EQ(slices->store_kind, "Endpoints");
  EXPECT_EQ(find_resource("", "v1", "persistentvolumeclaims"), nullptr);
}

TEST(ResourceTable, ShortNamesOnlyInTheKindsOwnGroup) {
  EXPECT_EQ(find_resource("networking.k8s.io", "v1", "ingresses")->short_names,
            std::vector<std::string>{"ing"});
  EXPECT_TRUE(find_resource("extensions", "v1beta1", "ingresses")->short_names.empty());
  EXPECT_EQ(find_resource("", "v1", "services")->short_names, std::vector<std::string>{"svc"});
}

TEST(ResourceTable, NetworkingGroupComesFirstWithV1Preferred) {
  const auto& groups = api_groups();
  ASSERT_GE(groups.size(), 4u);
  EXPECT_EQ(groups[0].name, "networking.k8s.io");
  EXPECT_EQ(groups[0].versions, (std::vector<std::string>{"v1", "v1beta1"}));
  EXPECT_EQ(groups.back().name, "extensions");
}

TEST(ResourceTable, QualifiedNames) {
  const ApiResource* ing = find_resource("extensions", "v1beta1", "ingresses");
  EXPECT_EQ(ing->qualified(), "ingresses.extensions");
  EXPECT_EQ(ing->qualified_kind(), "Ingress.extensions");
  EXPECT_EQ(find_resource("", "v1", "services")->qualified(), "services");
  EXPECT_EQ(find_resource("", "v1", "services")->group_version(), "v1");
}

TEST(Routing, DiscoveryAndOpenApiPaths) {
  EXPECT_EQ(parse_route("/version").type, Route::Type::kVersion);
  EXPECT_EQ(parse_route("/api").type, Route::Type::kCoreRoot);
  EXPECT_EQ(parse_route("/apis/").type, Route::Type::kGroupsRoot);
  EXPECT_EQ(parse_route("/api/v1").type, Route::Type::kGroupVersion);
  Route gv = parse_route("/apis/networking.k8s.io/v1beta1");
  EXPECT_EQ(gv.type, Route::Type::kGroupVersion);
  EXPECT_EQ(gv.group, "networking.k8s.io");
  EXPECT_EQ(gv.version, "v1beta1");
  EXPECT_EQ(parse_route("/apis/apps").type, Route::Type::kGroup);
  EXPECT_EQ(parse_route("/openapi/v2").type, Route::Type::kOpenApiV2);
  EXPECT_EQ(parse_route("/openapi/v3").type, Route::Type::kOpenApiV3Root);
  Route doc = parse_route("/openapi/v3/apis/extensions/v1beta1");
  EXPECT_EQ(doc.type, Route::Type::kOpenApiV3Doc);
  EXPECT_EQ(doc.group, "extensions");
  EXPECT_EQ(parse_route("/openapi/v3/api/v1").type, Route::Type::kOpenApiV3Doc);
  EXPECT_EQ(parse_route("/healthz").type, Route::Type::kHealth);
}

TEST(Routing, NamespacedResources) {
  Route r = parse_route("/apis/networking.k8s.io/v1/namespaces/demo/ingresses/web/status");
  ASSERT_EQ(r.type, Route::Type::kResource);
  EXPECT_EQ(r.resource->resource, "ingresses");
  EXPECT_EQ(r.ns, "demo");
  EXPECT_EQ(r.name, "web");
  EXPECT_EQ(r.subresource, "status");

  Route all = parse_route("/api/v1/pods");
  ASSERT_EQ(all.type, Route::Type::kResource);
  EXPECT_EQ(all.ns, "");
  EXPECT_EQ(all.name, "");

  Route coll = parse_route("/api/v1/namespaces/default/services");
  ASSERT_EQ(coll.type, Route::Type::kResource);
  EXPECT_EQ(coll.resource->kind, "Service");
  EXPECT_EQ(coll.ns, "default");
  EXPECT_EQ(coll.name, "");
}

TEST(Routing, NamespaceObjectItself) {
  Route ns = parse_route("/api/v1/namespaces/demo");
  ASSERT_EQ(ns.type, Route::Type::kResource);
  EXPECT_EQ(ns.resource->kind, "Namespace");
  EXPECT_EQ(ns.name, "demo");
  EXPECT_EQ(ns.ns, "");
  Route status = parse_route("/api/v1/namespaces/demo/status");
  ASSERT_EQ(status.type, Route::Type::kResource);
  EXPECT_EQ(status.resource->kind, "Namespace");
  EXPECT_EQ(status.name, "demo");
  EXPECT_EQ(status.subresource, "status");
}

TEST(Routing, LegacyWatchPrefix) {
  Route r = parse_route("/api/v1/watch/namespaces/default/pods");
  ASSERT_EQ(r.type, Route::Type::kResource);
  EXPECT_TRUE(r.legacy_watch);
  EXPECT_EQ(r.resource->kind, "Pod");
  EXPECT_EQ(r.ns, "default");
}

TEST(Routing, UnknownResourcesAndPaths) {
  Route r = parse_route("/api/v1/namespaces/default/persistentvolumeclaims");
  EXPECT_EQ(r.type, Route::Type::kUnknownResource);
  EXPECT_EQ(r.unknown, "persistentvolumeclaims");
  EXPECT_EQ(parse_route("/api/v1/namespaces/default/nodes").type, Route::Type::kUnknownResource)
      << "nodes are cluster-scoped";
  EXPECT_EQ(parse_route("/apis/batch/v1/jobs").type, Route::Type::kNotFound);
  EXPECT_EQ(parse_route("/apis/apps/v2/deployments").type, Route::Type::kNotFound);
  EXPECT_EQ(parse_route("/metrics").type, Route::Type::kNotFound);
  EXPECT_EQ(parse_route("/api/v1/pods/a/b/c").type, Route::Type::kUnknownResource);
}

TEST(HttpMessage, ParsesAndDecodesTheTarget) {
  Request r;
  parse_target("/api/v1/namespaces/default/events?fieldSelector=involvedObject.name%3Dweb%2Ctype%3DNormal&limit=500&x=a+b&limit=9",
               r);
  EXPECT_EQ(r.path, "/api/v1/namespaces/default/events");
  EXPECT_EQ(r.param("fieldSelector"), "involvedObject.name=web,type=Normal");
  EXPECT_EQ(r.param("limit"), "500") << "the first value wins";
  EXPECT_EQ(r.param("x"), "a b");
  EXPECT_FALSE(r.has_param("watch"));
  EXPECT_EQ(url_decode("%zz%41", false), "%zzA");
}

}  // namespace
}  // namespace csim::kube::apiserver
