#include "kube/kube_manager/ingress_backends.h"

#include <gtest/gtest.h>

namespace csim::kube {
namespace {

using nlohmann::json;

json path(const std::string& p, const std::string& svc, json port) {
  json backend = {{"service", {{"name", svc}, {"port", port}}}};
  json out = {{"pathType", "Prefix"}, {"backend", backend}};
  if (!p.empty()) out["path"] = p;
  return out;
}

TEST(IngressBackendsTest, SimpleFanoutGivesOneAclBackendPerPathInSpecOrder) {
  json spec = {{"rules", json::array({{{"http", {{"paths", json::array({
                                          path("/qa.html", "qa-webserver", {{"number", 80}}),
                                          path("/dev.html", "dev-webserver", {{"number", 80}})})}}}}})}};
  auto b = ingress_backends(spec, "default");
  ASSERT_EQ(b.size(), 2u);
  EXPECT_EQ(b[0].path, "/qa.html");
  EXPECT_FALSE(b[0].host);
  EXPECT_EQ(b[0].type, "acl");
  EXPECT_EQ(b[0].service_name, "qa-webserver");
  EXPECT_EQ(b[0].service_port_number, 80);
  EXPECT_EQ(b[0].index, 0);
  EXPECT_EQ(b[0].listener_protocol, "HTTP");
  EXPECT_EQ(b[0].listener_port(), 80);
  EXPECT_EQ(b[1].path, "/dev.html");
  EXPECT_EQ(b[1].index, 1);
  EXPECT_EQ(pool_annotations(b[0]),
            (std::vector<std::pair<std::string, std::string>>{
                {"path", "/qa.html"}, {"type", "acl"}, {"index", "0"}, {"pathType", "Prefix"}}));
  EXPECT_EQ(b[0].path_type, "Prefix");
  EXPECT_TRUE(b[0].claimed_hosts.empty());
}

TEST(IngressBackendsTest, RulesWithoutABackendClaimTheirHostOnEveryBackend) {
  json spec = {
      {"defaultBackend", {{"service", {{"name", "nginx"}, {"port", {{"number", 80}}}}}}},
      {"rules", json::array({{{"host", "no-http.example"}},
                             {{"host", "*.wild.example"}, {"http", {{"paths", json::array()}}}},
                             {{"host", "res.example"},
                              {"http", {{"paths", json::array({{{"path", "/r"}, {"pathType", "Exact"},
                                  {"backend", {{"resource", {{"kind", "Bucket"}, {"name", "b"}}}}}}})}}}},
                             {{"host", "no-http.example"}},
                             {{"http", {{"paths", json::array()}}}},
                             {{"host", "served.example"},
                              {"http", {{"paths", json::array({path("/a", "s", {{"number", 80}})})}}}}})}};
  auto b = ingress_backends(spec, "default");
  ASSERT_EQ(b.size(), 2u);
  const std::vector<std::string> claimed = {"no-http.example", "*.wild.example", "res.example"};
  EXPECT_EQ(b[0].claimed_hosts, claimed);
  EXPECT_EQ(b[1].claimed_hosts, claimed) << "the default backend carries them too";
  EXPECT_EQ(pool_annotations(b[1]),
            (std::vector<std::pair<std::string, std::string>>{
                {"type", "default"},
                {"index", "1"},
                {"claimed_hosts", "no-http.example,*.wild.example,res.example"}}));
}

TEST(IngressBackendsTest, HostsDefaultBackendAndNamedPorts) {
  json spec = {
      {"defaultBackend", {{"service", {{"name", "nginx"}, {"port", {{"name", "http"}}}}}}},
      {"rules", json::array({{{"host", "foo.bar.com"},
                              {"http", {{"paths", json::array({path("", "maps", {{"number", 80}})})}}}},
                             {{"host", "no-http.example"}},
                             {{"host", "bar.foo.com"},
                              {"http", {{"paths", json::array({path("", "images", {{"number", 8080}})})}}}}})}};
  auto b = ingress_backends(spec, "default");
  ASSERT_EQ(b.size(), 3u);
  EXPECT_EQ(b[0].host, "foo.bar.com");
  EXPECT_FALSE(b[0].path);
  EXPECT_EQ(b[1].host, "bar.foo.com");
  EXPECT_EQ(b[1].index, 1);
  EXPECT_EQ(b[2].type, "default");
  EXPECT_EQ(b[2].index, 2) << "the default backend gets the last index";
  EXPECT_EQ(b[2].service_port_name, "http");
  EXPECT_FALSE(b[2].service_port_number);
  EXPECT_EQ(b[2].service_port_text(), "http");
}

TEST(IngressBackendsTest, TlsMakesTerminatedHttpsCopies) {
  json spec = {
      {"tls", json::array({{{"hosts", {"foo.bar.com"}}, {"secretName", "foo-cert"}},
                           {{"secretName", "wild"}}})},
      {"rules", json::array({{{"host", "foo.bar.com"},
                              {"http", {{"paths", json::array({path("/a", "s1", {{"number", 80}})})}}}},
                             {{"http", {{"paths", json::array({path("/b", "s2", {{"number", 80}})})}}}}})},
      {"defaultBackend", {{"service", {{"name", "s3"}, {"port", {{"number", 80}}}}}}}};
  auto b = ingress_backends(spec, "ns1");
  ASSERT_EQ(b.size(), 6u);
  EXPECT_EQ(b[1].listener_protocol, "TERMINATED_HTTPS");
  EXPECT_EQ(b[1].listener_port(), 443);
  EXPECT_EQ(b[1].sni_containers, std::vector<std::string>{"ns1__foo-cert"});
  EXPECT_EQ(b[1].index, b[0].index);
  EXPECT_EQ(b[3].default_tls_container, "ns1__wild") << "path without TLS host uses ALL";
  EXPECT_EQ(b[5].listener_protocol, "TERMINATED_HTTPS");
  EXPECT_EQ(b[5].type, "default");
}

TEST(IngressBackendsTest, NonServiceBackendsAreSkippedWithANote) {
  json spec = {{"rules", json::array({{{"http", {{"paths", json::array({
                 {{"path", "/r"}, {"backend", {{"resource", {{"kind", "Bucket"}, {"name", "b"}}}}}},
                 path("/s", "svc", {{"number", 80}})})}}}}})}};
  std::vector<std::string> skipped;
  auto b = ingress_backends(spec, "default", &skipped);
  ASSERT_EQ(b.size(), 1u);
  EXPECT_EQ(b[0].index, 0);
  ASSERT_EQ(skipped.size(), 1u);
  EXPECT_EQ(skipped[0], "spec.rules[0].http.paths[0]: backend is not a Service; skipped");
}

TEST(IngressBackendsTest, AcceptsTheV1beta1Shape) {
  json spec = {{"backend", {{"serviceName", "nginx"}, {"servicePort", 80}}}};
  auto b = ingress_backends(spec, "default");
  ASSERT_EQ(b.size(), 1u);
  EXPECT_EQ(b[0].service_name, "nginx");
  EXPECT_EQ(b[0].service_port_number, 80);
  EXPECT_EQ(b[0].source, "spec.backend");
}

}  // namespace
}  // namespace csim::kube
