#include "kube/ingress_conversion.h"

#include <gtest/gtest.h>

namespace csim::kube {
namespace {

using nlohmann::json;

json old_fanout(const std::string& version) {
  return json::parse(R"({
    "apiVersion": ")" + version + R"(",
    "kind": "Ingress",
    "metadata": {"name": "fanout", "namespace": "default", "annotations": {"externalIP": "10.84.59.22"}},
    "spec": {
      "ingressClassName": "opencontrail",
      "backend": {"serviceName": "default-svc", "servicePort": "http"},
      "tls": [{"hosts": ["foo.bar.com"], "secretName": "tls-secret"}],
      "rules": [
        {"host": "foo.bar.com", "http": {"paths": [
          {"path": "/qa.html", "backend": {"serviceName": "qa", "servicePort": 80}},
          {"path": "/dev", "pathType": "Prefix", "backend": {"serviceName": "dev", "servicePort": "web"}},
          {"backend": {"resource": {"apiGroup": "k8s.example.com", "kind": "Bucket", "name": "b"}}}
        ]}},
        {"host": "bar.foo.com"}
      ]
    },
    "status": {"loadBalancer": {"ingress": [{"ip": "10.84.59.22"}, {"ip": "10.47.255.252"}]}}
  })");
}

json v1_fanout() {
  return json::parse(R"({
    "apiVersion": "networking.k8s.io/v1",
    "kind": "Ingress",
    "metadata": {"name": "fanout", "namespace": "default", "annotations": {"externalIP": "10.84.59.22"}},
    "spec": {
      "ingressClassName": "opencontrail",
      "defaultBackend": {"service": {"name": "default-svc", "port": {"name": "http"}}},
      "tls": [{"hosts": ["foo.bar.com"], "secretName": "tls-secret"}],
      "rules": [
        {"host": "foo.bar.com", "http": {"paths": [
          {"path": "/qa.html", "pathType": "ImplementationSpecific", "backend": {"service": {"name": "qa", "port": {"number": 80}}}},
          {"path": "/dev", "pathType": "Prefix", "backend": {"service": {"name": "dev", "port": {"name": "web"}}}},
          {"pathType": "ImplementationSpecific", "backend": {"resource": {"apiGroup": "k8s.example.com", "kind": "Bucket", "name": "b"}}}
        ]}},
        {"host": "bar.foo.com"}
      ]
    },
    "status": {"loadBalancer": {"ingress": [{"ip": "10.84.59.22"}, {"ip": "10.47.255.252"}]}}
  })");
}

TEST(IngressConversionTest, OldVersionsToV1) {
  for (const char* version : {kIngressExtensionsV1beta1, kIngressNetworkingV1beta1}) {
    auto r = ingress_to_v1(old_fanout(version));
    ASSERT_TRUE(r.is_ok()) << r.status().to_string();
    EXPECT_EQ(*r, v1_fanout()) << version << "\n" << r->dump(2);
  }
}

TEST(IngressConversionTest, V1ToOldVersions) {
  for (const char* version : {kIngressExtensionsV1beta1, kIngressNetworkingV1beta1}) {
    auto r = ingress_from_v1(v1_fanout(), version);
    ASSERT_TRUE(r.is_ok()) << r.status().to_string();
    json want = old_fanout(version);
    // pathType was defaulted on the way in: it is now explicit.
    want["spec"]["rules"][0]["http"]["paths"][0]["pathType"] = "ImplementationSpecific";
    want["spec"]["rules"][0]["http"]["paths"][2]["pathType"] = "ImplementationSpecific";
    EXPECT_EQ(*r, want) << version << "\n" << r->dump(2);
  }
}

TEST(IngressConversionTest, RoundTripsAreLossless) {
  for (const char* version : {kIngressExtensionsV1beta1, kIngressNetworkingV1beta1}) {
    // v1 -> old -> v1
    auto old = ingress_from_v1(v1_fanout(), version);
    ASSERT_TRUE(old.is_ok());
    auto back = ingress_to_v1(*old);
    ASSERT_TRUE(back.is_ok());
    EXPECT_EQ(*back, v1_fanout()) << version;
    // old (pathType set) -> v1 -> old
    auto v1 = ingress_to_v1(*old);
    auto again = ingress_from_v1(*v1, version);
    ASSERT_TRUE(again.is_ok());
    EXPECT_EQ(*again, *old) << version;
  }
  // v1 -> v1 is the identity in both directions.
  EXPECT_EQ(*ingress_to_v1(v1_fanout()), v1_fanout());
  EXPECT_EQ(*ingress_from_v1(v1_fanout(), kIngressV1), v1_fanout());
}

TEST(IngressConversionTest, KeepsMalformedShapesForValidation) {
  json odd = {{"apiVersion", kIngressExtensionsV1beta1},
              {"kind", "Ingress"},
              {"metadata", {{"name", "odd"}}},
              {"spec",
               {{"rules", {{{"http", {{"paths", {{{"path", "/x"}, {"backend", {{"serviceName", "s"}}}}}}}}}}}}}};
  auto r = ingress_to_v1(odd);
  ASSERT_TRUE(r.is_ok());
  const json& path = (*r)["spec"]["rules"][0]["http"]["paths"][0];
  EXPECT_EQ(path["backend"], json({{"service", {{"name", "s"}}}})) << "no port: none invented";
  json bad_port = odd;
  bad_port["spec"]["rules"][0]["http"]["paths"][0]["backend"]["servicePort"] = true;
  auto r2 = ingress_to_v1(bad_port);
  EXPECT_EQ((*r2)["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]["port"], json(true));
}

TEST(IngressConversionTest, RejectsOtherVersionsAndKinds) {
  json x = old_fanout("networking.k8s.io/v2");
  EXPECT_EQ(ingress_to_v1(x).status().code(), core::Code::kInvalid);
  EXPECT_EQ(ingress_from_v1(v1_fanout(), "v1").status().code(), core::Code::kInvalid);
  EXPECT_EQ(ingress_from_v1(old_fanout(kIngressExtensionsV1beta1), kIngressV1).status().code(),
            core::Code::kInvalid);
  json svc = {{"apiVersion", "v1"}, {"kind", "Service"}};
  EXPECT_EQ(ingress_to_v1(svc).status().code(), core::Code::kInvalid);
  EXPECT_TRUE(is_ingress_api_version("extensions/v1beta1"));
  EXPECT_FALSE(is_ingress_api_version("apps/v1"));
}

}  // namespace
}  // namespace csim::kube
