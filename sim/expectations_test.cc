#include "sim/expectations.h"

#include <gtest/gtest.h>

namespace csim::sim {
namespace {

using nlohmann::json;

json backend(const std::string& name) { return {{"service", {{"name", name}, {"port", {{"number", 80}}}}}}; }

json fanout() {
  return {{"spec",
           {{"rules",
             {{{"http",
                {{"paths",
                  {{{"path", "/qa.html"}, {"backend", backend("qa-webserver")}},
                   {{"path", "/dev.html"}, {"backend", backend("dev-webserver")}}}}}}}}}}}};
}

json vhost() {
  return {{"spec",
           {{"rules",
             {{{"host", "foo.bar.com"}, {"http", {{"paths", {{{"backend", backend("maps")}}}}}}},
              {{"host", "bar.foo.com"}, {"http", {{"paths", {{{"backend", backend("images")}}}}}}}}}}}};
}

TEST(ContrailRouteTest, PathsMatchExactly) {
  EXPECT_EQ(contrail_route(fanout(), "10.84.59.252", "/qa.html"), "qa-webserver");
  EXPECT_EQ(contrail_route(fanout(), "x", "/dev.html"), "dev-webserver");
  EXPECT_EQ(contrail_route(fanout(), "x", "/qa.html/"), std::nullopt);
  EXPECT_EQ(contrail_route(fanout(), "x", "/qa"), std::nullopt);
}

TEST(ContrailRouteTest, HostsCompareWholeAndCaseInsensitively) {
  EXPECT_EQ(contrail_route(vhost(), "FOO.bar.com", "/anything"), "maps");
  EXPECT_EQ(contrail_route(vhost(), "bar.foo.com", "/"), "images");
  EXPECT_EQ(contrail_route(vhost(), "foo.bar.com:80", "/"), std::nullopt);
}

TEST(ContrailRouteTest, DefaultBackendCatchesTheRestInEitherShape) {
  json single = {{"spec", {{"defaultBackend", backend("nginx")}}}};
  EXPECT_EQ(contrail_route(single, "x", "/whatever"), "nginx");
  json old = {{"spec", {{"backend", {{"serviceName", "nginx"}, {"servicePort", 80}}}}}};
  EXPECT_EQ(contrail_route(old, "x", "/"), "nginx");
}

TEST(ExpectedCasesTest, FanoutHasEachPathAndAnUnmatchedProbe) {
  auto cases = expected_cases(fanout());
  ASSERT_EQ(cases.size(), 4u);
  EXPECT_EQ(cases[0].path, "/qa.html");
  EXPECT_EQ(cases[0].service, "qa-webserver");
  EXPECT_EQ(cases[1].service, "dev-webserver");
  EXPECT_EQ(cases[2].path, "/");
  EXPECT_EQ(cases[2].service, std::nullopt);
  EXPECT_EQ(cases[3].service, std::nullopt);
  EXPECT_NE(cases[3].why.find("no default backend"), std::string::npos);
}

TEST(ExpectedCasesTest, VirtualHostProbesAnUnknownHost) {
  auto cases = expected_cases(vhost());
  ASSERT_EQ(cases.size(), 4u);
  EXPECT_EQ(cases[0].host, "foo.bar.com");
  EXPECT_EQ(cases[0].service, "maps");
  EXPECT_EQ(cases[1].service, "images");
  EXPECT_EQ(cases[2].host, "foo.bar.com");  // unknown path on a host rule: host-only rule matches
  EXPECT_EQ(cases[2].service, "maps");
  EXPECT_EQ(cases[3].host, "unmatched.example");
  EXPECT_EQ(cases[3].service, std::nullopt);
}

TEST(ServiceForLabelsTest, PicksTheOneServiceWhoseSelectorMatches) {
  std::vector<json> services = {
      {{"metadata", {{"name", "qa-webserver"}}}, {"spec", {{"selector", {{"app", "qa"}}}}}},
      {{"metadata", {{"name", "dev-webserver"}}}, {"spec", {{"selector", {{"app", "dev"}}}}}},
      {{"metadata", {{"name", "headless"}}}, {"spec", json::object()}}};
  EXPECT_EQ(service_for_labels(services, {{"app", "dev"}, {"pod-template-hash", "abc"}}), "dev-webserver");
  EXPECT_EQ(service_for_labels(services, {{"app", "other"}}), std::nullopt);
}

}  // namespace
}  // namespace csim::sim
