#include "semantics/probes.h"

#include <gtest/gtest.h>

#include <algorithm>

namespace csim::semantics {
namespace {

using nlohmann::json;

bool has(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

TEST(Probes, HostsCoverPortCaseWildcardAndNoHost) {
  const IngressModel m = ingress_model(json::parse(R"({"spec": {"rules": [
    {"host": "foo.com", "http": {"paths": []}},
    {"host": "*.bar.com", "http": {"paths": []}},
    {"host": "foo.com"}
  ]}})"));
  const auto hosts = probe_hosts(m);
  EXPECT_EQ(hosts, (std::vector<std::string>{"", "foo.com", "foo.com:80", "FOO.COM",
                                             "csim-probe.bar.com", "csim-probe.bar.com:80",
                                             "a.csim-probe.bar.com", "bar.com", kUnmatchedHost}));
}

TEST(Probes, PathsCoverSubPathSiblingAndTrailingSlash) {
  const IngressModel m = ingress_model(json::parse(R"({"spec": {"rules": [{"http": {"paths": [
    {"path": "/foo", "pathType": "Prefix", "backend": {"service": {"name": "a", "port": {"number": 80}}}},
    {"path": "/bar/", "pathType": "Prefix", "backend": {"service": {"name": "a", "port": {"number": 80}}}},
    {"pathType": "ImplementationSpecific", "backend": {"service": {"name": "a", "port": {"number": 80}}}},
    {"path": "/foo", "pathType": "Exact", "backend": {"service": {"name": "a", "port": {"number": 80}}}}
  ]}}]}})"));
  EXPECT_EQ(probe_paths(m), (std::vector<std::string>{"/foo", "/foo/x", "/foo/", "/foox", "/bar/",
                                                      "/bar/x", "/bar", "/", "/csim-any",
                                                      kUnmatchedPath}));
}

TEST(Probes, RequestsAreTheGridHostsOutermost) {
  const IngressModel m = ingress_model(json::parse(R"({"spec": {"rules": [
    {"host": "foo.com", "http": {"paths": [{"path": "/a", "pathType": "Exact",
      "backend": {"service": {"name": "a", "port": {"number": 80}}}}]}}]}})"));
  const auto hosts = probe_hosts(m);
  const auto paths = probe_paths(m);
  const auto requests = probe_requests(m);
  ASSERT_EQ(requests.size(), hosts.size() * paths.size());
  EXPECT_EQ(requests[0], (ProbeRequest{"", "/a"}));
  EXPECT_EQ(requests[paths.size()], (ProbeRequest{"foo.com", "/a"}));
  EXPECT_TRUE(has(paths, "/a/x"));
  EXPECT_TRUE(has(paths, "/ax"));
}

TEST(Probes, EmptyIngressStillProbesTheUnmatched) {
  const IngressModel m = ingress_model(json::object());
  EXPECT_EQ(probe_requests(m),
            (std::vector<ProbeRequest>{{"", "/"}, {"", kUnmatchedPath}, {kUnmatchedHost, "/"},
                                       {kUnmatchedHost, kUnmatchedPath}}));
}

}  // namespace
}  // namespace csim::semantics
