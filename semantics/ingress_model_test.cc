#include "semantics/ingress_model.h"

#include <gtest/gtest.h>

namespace csim::semantics {
namespace {

using nlohmann::json;

TEST(IngressModel, ReadsV1) {
  const json ing = json::parse(R"({
    "apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
    "metadata": {"name": "web", "namespace": "shop",
                 "annotations": {"kubernetes.io/ingress.class": "nginx"}},
    "spec": {
      "ingressClassName": "opencontrail",
      "defaultBackend": {"service": {"name": "fallback", "port": {"name": "http"}}},
      "rules": [
        {"host": "foo.com", "http": {"paths": [
          {"path": "/a", "pathType": "Exact", "backend": {"service": {"name": "a", "port": {"number": 80}}}},
          {"path": "/b", "pathType": "Prefix", "backend": {"resource": {"apiGroup": "k8s.example.com", "kind": "Bucket", "name": "b"}}},
          {"pathType": "ImplementationSpecific", "backend": {"service": {"name": "c", "port": {"number": 8080}}}}
        ]}},
        {"host": "bar.com"}
      ]
    }
  })");
  IngressModel m = ingress_model(ing);
  EXPECT_EQ(m.id(), "shop/web");
  EXPECT_EQ(m.ingress_class_annotation, "nginx");
  EXPECT_EQ(m.ingress_class_name, "opencontrail");
  ASSERT_TRUE(m.default_backend);
  EXPECT_EQ(m.default_backend->to_string(), "fallback:http");
  ASSERT_EQ(m.rules.size(), 2u);
  EXPECT_TRUE(m.rules[0].has_http);
  EXPECT_FALSE(m.rules[1].has_http);
  EXPECT_EQ(m.rules[1].host, "bar.com");
  auto paths = m.paths();
  ASSERT_EQ(paths.size(), 3u);
  EXPECT_EQ(paths[0]->type, PathType::kExact);
  EXPECT_EQ(paths[0]->path, "/a");
  EXPECT_EQ(paths[0]->host, "foo.com");
  EXPECT_EQ(paths[0]->backend->to_string(), "a:80");
  EXPECT_EQ(paths[1]->type, PathType::kPrefix);
  EXPECT_FALSE(paths[1]->backend->is_service());
  EXPECT_EQ(paths[1]->backend->to_string(), "resource k8s.example.com/Bucket/b");
  EXPECT_EQ(paths[2]->type, PathType::kImplementationSpecific);
  EXPECT_FALSE(paths[2]->path);
  EXPECT_EQ(paths[2]->field(), "spec.rules[0].http.paths[2]");
  EXPECT_EQ(m.rules[1].field(), "spec.rules[1]");
}

TEST(IngressModel, ConvertsOldVersions) {
  const json ing = json::parse(R"({
    "apiVersion": "extensions/v1beta1", "kind": "Ingress", "metadata": {"name": "old"},
    "spec": {
      "backend": {"serviceName": "dflt", "servicePort": 80},
      "rules": [{"http": {"paths": [{"path": "/qa", "backend": {"serviceName": "qa", "servicePort": "web"}}]}}]
    }
  })");
  IngressModel m = ingress_model(ing);
  EXPECT_EQ(m.id(), "default/old");
  ASSERT_TRUE(m.default_backend);
  EXPECT_EQ(*m.default_backend, (BackendRef{"dflt", 80, "", ""}));
  ASSERT_EQ(m.paths().size(), 1u);
  EXPECT_EQ(m.paths()[0]->type, PathType::kImplementationSpecific);
  EXPECT_EQ(m.paths()[0]->backend->to_string(), "qa:web");
  EXPECT_EQ(m.paths()[0]->host, "");
}

TEST(IngressModel, ReadsOldBackendsEvenInAV1Shape) {
  // A bare spec (no apiVersion) with old-style fields: read rather than dropped.
  const json ing = json::parse(R"({"spec": {"backend": {"serviceName": "d", "servicePort": 1},
    "rules": [{"http": {"paths": [{"path": "/x", "backend": {"serviceName": "x", "servicePort": 2}}]}}]}})");
  IngressModel m = ingress_model(ing);
  EXPECT_EQ(m.default_backend->to_string(), "d:1");
  EXPECT_EQ(m.paths()[0]->backend->to_string(), "x:2");
}

TEST(IngressModel, ToleratesMalformedShapes) {
  for (const char* text : {R"(null)", R"([])", R"({"spec": 3})", R"({"spec": {"rules": {}}})",
                           R"({"spec": {"rules": [3, {"http": 4}, {"http": {"paths": [5, {}]}}]}})",
                           R"({"metadata": {"name": 7}, "spec": {"defaultBackend": "x"}})"}) {
    IngressModel m = ingress_model(json::parse(text));
    EXPECT_FALSE(m.default_backend) << text;
    for (const IngressPath* p : m.paths()) EXPECT_FALSE(p->backend) << text;
  }
  IngressModel m = ingress_model(json::parse(R"({"spec": {"rules": [3, {"http": {"paths": [5, {}]}}]}})"));
  ASSERT_EQ(m.rules.size(), 2u);
  EXPECT_EQ(m.rules[1].paths.size(), 2u);
}

TEST(BackendRef, Shapes) {
  EXPECT_FALSE(backend_ref(json::parse(R"({})")));
  EXPECT_FALSE(backend_ref(json::parse(R"({"service": {}})")));
  EXPECT_EQ(backend_ref(json::parse(R"({"service": {"name": "s"}})"))->to_string(), "s");
  EXPECT_EQ(backend_ref(json::parse(R"({"resource": {"kind": "K", "name": "n"}})"))->to_string(),
            "resource K/n");
}

}  // namespace
}  // namespace csim::semantics
