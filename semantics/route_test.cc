#include "semantics/route.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace csim::semantics {
namespace {

using nlohmann::json;

// One paths[] entry; type "" leaves pathType out, path "" leaves path out.
json entry(const std::string& path, const std::string& type, const std::string& service) {
  json e = {{"backend", {{"service", {{"name", service}, {"port", {{"number", 80}}}}}}}};
  if (!path.empty()) e["path"] = path;
  if (!type.empty()) e["pathType"] = type;
  return e;
}

json rule(const std::string& host, std::vector<json> paths) {
  json r = {{"http", {{"paths", paths}}}};
  if (!host.empty()) r["host"] = host;
  return r;
}

json ingress(std::vector<json> rules, const std::string& default_service = "") {
  json ing = {{"apiVersion", "networking.k8s.io/v1"},
              {"kind", "Ingress"},
              {"metadata", {{"name", "t"}, {"namespace", "default"}}},
              {"spec", {{"rules", rules}}}};
  if (!default_service.empty())
    ing["spec"]["defaultBackend"] = {
        {"service", {{"name", default_service}, {"port", {{"number", 80}}}}}};
  return ing;
}

// The Service that answers, or the status when none does ("404", "503").
std::string answer(const RouteDecision& d) {
  if (d.backend) {
    EXPECT_EQ(d.status, 200);
    return d.backend->service;
  }
  return std::to_string(d.status);
}

std::string k8s(const json& ing, const std::string& host, const std::string& path) {
  return answer(route_kubernetes(ing, host, path));
}
std::string contrail(const json& ing, const std::string& host, const std::string& path) {
  return answer(route_contrail(ing, host, path));
}

// ---- the Kubernetes Ingress documentation's path-matching examples ----

struct PathCase {
  std::vector<std::pair<std::string, std::string>> paths;  // (type, path), services p0, p1, ...
  std::string request;
  std::string expected;  // "p<i>" or "404"
};

TEST(KubernetesRoute, IngressDocumentationPathTable) {
  const std::vector<PathCase> cases = {
      {{{"Prefix", "/"}}, "/", "p0"},
      {{{"Prefix", "/"}}, "/any/path/at/all", "p0"},
      {{{"Exact", "/foo"}}, "/foo", "p0"},
      {{{"Exact", "/foo"}}, "/bar", "404"},
      {{{"Exact", "/foo"}}, "/foo/", "404"},
      {{{"Exact", "/foo/"}}, "/foo", "404"},
      {{{"Prefix", "/foo"}}, "/foo", "p0"},
      {{{"Prefix", "/foo"}}, "/foo/", "p0"},
      {{{"Prefix", "/foo/"}}, "/foo", "p0"},
      {{{"Prefix", "/foo/"}}, "/foo/", "p0"},
      {{{"Prefix", "/aaa/bb"}}, "/aaa/bbb", "404"},
      {{{"Prefix", "/aaa/bbb"}}, "/aaa/bbb", "p0"},
      {{{"Prefix", "/aaa/bbb/"}}, "/aaa/bbb", "p0"},   // ignores the trailing slash
      {{{"Prefix", "/aaa/bbb"}}, "/aaa/bbb/", "p0"},   // matches the trailing slash
      {{{"Prefix", "/aaa/bbb"}}, "/aaa/bbb/ccc", "p0"},  // matches the sub-path
      {{{"Prefix", "/aaa/bbb/"}}, "/aaa/bbb/ccc", "p0"},
      {{{"Prefix", "/aaa/bbb"}}, "/aaa/bbbxyz", "404"},  // not a string prefix
      {{{"Prefix", "/"}, {"Prefix", "/aaa"}}, "/aaa/ccc", "p1"},
      {{{"Prefix", "/"}, {"Prefix", "/aaa"}, {"Prefix", "/aaa/bbb"}}, "/aaa/bbb", "p2"},
      {{{"Prefix", "/"}, {"Prefix", "/aaa"}, {"Prefix", "/aaa/bbb"}}, "/ccc", "p0"},
      {{{"Prefix", "/aaa"}}, "/ccc", "404"},
      {{{"Prefix", "/foo"}, {"Exact", "/foo"}}, "/foo", "p1"},  // Exact before Prefix
      {{{"Exact", "/foo"}, {"Prefix", "/foo"}}, "/foo", "p0"},
      {{{"Prefix", "/foo"}, {"Exact", "/foo"}}, "/foo/x", "p0"},
      // A Prefix's trailing slash does not count: Exact /foo beats Prefix /foo/ on /foo.
      {{{"Prefix", "/foo/"}, {"Exact", "/foo"}}, "/foo", "p1"},
      // Longest wins regardless of order.
      {{{"Prefix", "/aaa/bbb"}, {"Prefix", "/aaa"}}, "/aaa/bbb/c", "p0"},
      {{{"Prefix", "/aaa"}, {"Exact", "/aaa/bbb"}}, "/aaa/bbb", "p1"},
      // Equal rank: spec order.
      {{{"Prefix", "/foo"}, {"Prefix", "/foo/"}}, "/foo/x", "p0"},
      // Case-sensitive paths; the query string is not part of the path.
      {{{"Exact", "/foo"}}, "/FOO", "404"},
      {{{"Exact", "/foo"}}, "/foo?x=1", "p0"},
      {{{"Prefix", "/foo"}}, "/foo?x=/bar", "p0"},
      // ImplementationSpecific: exact with a path, every path without one.
      {{{"ImplementationSpecific", "/foo"}}, "/foo", "p0"},
      {{{"ImplementationSpecific", "/foo"}}, "/foo/x", "404"},
      {{{"ImplementationSpecific", ""}}, "/foo/x", "p0"},
      {{{"ImplementationSpecific", ""}, {"Prefix", "/foo"}}, "/foo/x", "p1"},
      {{{"", "/foo"}}, "/foo", "p0"},  // no pathType: ImplementationSpecific
  };
  for (const auto& c : cases) {
    std::vector<json> paths;
    std::string desc;
    for (size_t i = 0; i < c.paths.size(); ++i) {
      paths.push_back(entry(c.paths[i].second, c.paths[i].first, "p" + std::to_string(i)));
      desc += c.paths[i].first + " " + c.paths[i].second + "; ";
    }
    EXPECT_EQ(k8s(ingress({rule("", paths)}), "", c.request), c.expected)
        << desc << "request " << c.request;
  }
}

TEST(KubernetesRoute, DefaultBackendOr404) {
  const json with = ingress({rule("", {entry("/a", "Exact", "a")})}, "dflt");
  const json without = ingress({rule("", {entry("/a", "Exact", "a")})});
  EXPECT_EQ(k8s(with, "", "/b"), "dflt");
  EXPECT_EQ(route_kubernetes(with, "", "/b").field, "spec.defaultBackend");
  EXPECT_EQ(k8s(without, "", "/b"), "404");
  EXPECT_EQ(route_kubernetes(without, "", "/b").field, "");
  EXPECT_EQ(k8s(ingress({}, "dflt"), "any.host", "/"), "dflt");
  EXPECT_EQ(k8s(ingress({}), "any.host", "/"), "404");
}

TEST(KubernetesRoute, OldApiVersionAndSpecBackend) {
  const json old = json::parse(R"({
    "apiVersion": "extensions/v1beta1", "kind": "Ingress", "metadata": {"name": "o"},
    "spec": {"backend": {"serviceName": "dflt", "servicePort": 80},
             "rules": [{"http": {"paths": [{"path": "/qa.html", "backend": {"serviceName": "qa", "servicePort": 80}}]}}]}
  })");
  EXPECT_EQ(k8s(old, "", "/qa.html"), "qa");
  EXPECT_EQ(k8s(old, "", "/qa.html/x"), "dflt");  // ImplementationSpecific: exact
  EXPECT_EQ(contrail(old, "", "/qa.html"), "qa");
  EXPECT_EQ(contrail(old, "", "/other"), "dflt");
}

TEST(KubernetesRoute, Hosts) {
  const json ing = ingress({
      rule("*.foo.com", {entry("/", "Prefix", "wildcard")}),
      rule("bar.foo.com", {entry("/only", "Exact", "exact-host")}),
      rule("foo.bar.com", {entry("/", "Prefix", "foo-bar")}),
      rule("", {entry("/", "Prefix", "hostless"), entry("/x", "Exact", "hostless-x")}),
  });
  // Wildcards cover exactly one label.
  EXPECT_EQ(k8s(ing, "baz.foo.com", "/"), "wildcard");
  EXPECT_EQ(k8s(ing, "baz.bar.foo.com", "/"), "hostless");
  EXPECT_EQ(k8s(ing, "foo.com", "/"), "hostless");
  // An exact host beats the wildcard, and its rules do not fall back to the wildcard's...
  EXPECT_EQ(k8s(ing, "bar.foo.com", "/only"), "exact-host");
  EXPECT_EQ(k8s(ing, "bar.foo.com", "/other"), "404");
  // ... nor to the host-less rules.
  EXPECT_EQ(k8s(ing, "foo.bar.com", "/x"), "foo-bar");
  EXPECT_EQ(k8s(ing, "baz.foo.com", "/x"), "wildcard");
  // The port is ignored; hosts compare case-insensitively; whitespace around is trimmed.
  EXPECT_EQ(k8s(ing, "foo.bar.com:80", "/"), "foo-bar");
  EXPECT_EQ(k8s(ing, "foo.bar.com:8080", "/a"), "foo-bar");
  EXPECT_EQ(k8s(ing, "FOO.Bar.COM", "/"), "foo-bar");
  EXPECT_EQ(k8s(ing, " foo.bar.com ", "/"), "foo-bar");
  EXPECT_EQ(k8s(ing, "Baz.Foo.Com:80", "/"), "wildcard");
  // No Host header, an unknown host, an IP: the host-less rules.
  EXPECT_EQ(k8s(ing, "", "/x"), "hostless-x");
  EXPECT_EQ(k8s(ing, "other.example", "/x"), "hostless-x");
  EXPECT_EQ(k8s(ing, "10.0.0.1:80", "/"), "hostless");
}

TEST(KubernetesRoute, HostRulesBeforeHostlessAndNoHostlessRules) {
  const json hosts_only = ingress({rule("foo.com", {entry("/", "Prefix", "foo")})});
  EXPECT_EQ(k8s(hosts_only, "foo.com", "/a"), "foo");
  EXPECT_EQ(k8s(hosts_only, "bar.com", "/a"), "404");
  EXPECT_EQ(k8s(hosts_only, "", "/a"), "404");
  // Host-less rule first in spec order: the host's rule still wins for that host.
  const json ordered = ingress({rule("", {entry("/", "Prefix", "hostless")}),
                                rule("foo.com", {entry("/", "Prefix", "foo")})});
  EXPECT_EQ(k8s(ordered, "foo.com", "/a/b"), "foo");
  EXPECT_EQ(k8s(ordered, "bar.com", "/a/b"), "hostless");
}

TEST(KubernetesRoute, RulesOfTheSameHostAreMerged) {
  const json ing = ingress({rule("foo.com", {entry("/a", "Prefix", "a")}),
                            rule("foo.com", {entry("/a/b", "Prefix", "ab")})});
  EXPECT_EQ(k8s(ing, "foo.com", "/a/b/c"), "ab");
  EXPECT_EQ(k8s(ing, "foo.com", "/a/c"), "a");
}

TEST(KubernetesRoute, HostRuleWithoutHttpClaimsTheHost) {
  json ing = ingress({rule("", {entry("/", "Prefix", "hostless")})}, "dflt");
  ing["spec"]["rules"].push_back({{"host", "bar.com"}});
  EXPECT_EQ(k8s(ing, "bar.com", "/"), "dflt");
  EXPECT_EQ(k8s(ing, "baz.com", "/"), "hostless");
}

TEST(KubernetesRoute, ResourceBackendsRoute) {
  json ing = ingress({rule("", {entry("/", "Prefix", "svc")})});
  ing["spec"]["rules"][0]["http"]["paths"].push_back(json::parse(R"({"path": "/static",
      "pathType": "Prefix",
      "backend": {"resource": {"apiGroup": "k8s.example.com", "kind": "Bucket", "name": "b"}}})"));
  RouteDecision d = route_kubernetes(ing, "", "/static/x");
  ASSERT_TRUE(d.backend);
  EXPECT_EQ(d.backend->to_string(), "resource k8s.example.com/Bucket/b");
  EXPECT_EQ(d.status, 200);
  // Contrail skips it: no Service, no pool.
  EXPECT_EQ(contrail(ing, "", "/static"), "503");
}

TEST(KubernetesRoute, DecisionNamesTheRule) {
  const json ing = ingress({rule("foo.com", {entry("/a", "Exact", "a"), entry("/b", "Prefix", "b")})});
  RouteDecision d = route_kubernetes(ing, "foo.com", "/b/c");
  EXPECT_EQ(d.rule, 0);
  EXPECT_EQ(d.path, 1);
  EXPECT_EQ(d.field, "spec.rules[0].http.paths[1]");
  EXPECT_EQ(d.why, "spec.rules[0].http.paths[1]: host foo.com, Prefix /b (longest matching path)");
  EXPECT_EQ(d.outcome(), "200 b:80");
  RouteDecision none = route_kubernetes(ing, "foo.com", "/c");
  EXPECT_EQ(none.why, "no path of host foo.com matches /c, no default backend");
  EXPECT_EQ(none.outcome(), "404");
  EXPECT_EQ(route_kubernetes(ing, "x.com", "/c").why, "no rule for host \"x.com\", no default backend");
}

// ---- Contrail: what haproxy does with kube-manager's acl / use_backend lines ----

TEST(ContrailRoute, PathIsExactAndPathTypeIgnored) {
  const json ing = ingress({rule("", {entry("/foo", "Prefix", "prefix"),
                                      entry("/bar/", "Exact", "exact"),
                                      entry("/", "Prefix", "root")})});
  EXPECT_EQ(contrail(ing, "", "/foo"), "prefix");
  EXPECT_EQ(contrail(ing, "", "/foo/"), "503");
  EXPECT_EQ(contrail(ing, "", "/foo/bar"), "503");
  EXPECT_EQ(contrail(ing, "", "/foobar"), "503");
  EXPECT_EQ(contrail(ing, "", "/bar/"), "exact");
  EXPECT_EQ(contrail(ing, "", "/bar"), "503");
  EXPECT_EQ(contrail(ing, "", "/"), "root");
  EXPECT_EQ(contrail(ing, "", "/anything"), "503");  // Prefix "/" is just "/"
  EXPECT_EQ(contrail(ing, "", "/FOO"), "503");       // case-sensitive
  EXPECT_EQ(contrail(ing, "", "/foo?q=1"), "prefix");  // haproxy's path stops at '?'
}

TEST(ContrailRoute, HostIsComparedWholeAndCaseInsensitively) {
  const json ing = ingress({rule("foo.com", {entry("/", "Prefix", "foo")}),
                            rule("*.bar.com", {entry("/", "Prefix", "wild")})});
  EXPECT_EQ(contrail(ing, "foo.com", "/"), "foo");
  EXPECT_EQ(contrail(ing, "FOO.COM", "/"), "foo");
  EXPECT_EQ(contrail(ing, "foo.com:80", "/"), "503");  // the port breaks the match
  EXPECT_EQ(contrail(ing, "foo.com.", "/"), "503");
  EXPECT_EQ(contrail(ing, "", "/"), "503");  // no Host header
  // No wildcards: only the literal header "*.bar.com" matches.
  EXPECT_EQ(contrail(ing, "x.bar.com", "/"), "503");
  EXPECT_EQ(contrail(ing, "*.bar.com", "/"), "wild");
}

TEST(ContrailRoute, HostAndPathAreAndedAndHostOnlyRulesTakeAnyPath) {
  const json ing = ingress({rule("foo.com", {entry("/a", "Exact", "foo-a")}),
                            rule("foo.com", {entry("", "ImplementationSpecific", "foo-any")}),
                            rule("", {entry("/a", "Exact", "any-a")})});
  EXPECT_EQ(contrail(ing, "foo.com", "/a"), "foo-a");
  EXPECT_EQ(contrail(ing, "foo.com", "/zzz"), "foo-any");
  EXPECT_EQ(contrail(ing, "bar.com", "/a"), "any-a");
  EXPECT_EQ(contrail(ing, "bar.com", "/zzz"), "503");
}

TEST(ContrailRoute, FirstMatchInSpecOrderNotLongest) {
  const json ing = ingress({rule("foo.com", {entry("", "ImplementationSpecific", "host-only")}),
                            rule("foo.com", {entry("/a", "Exact", "foo-a")})});
  EXPECT_EQ(contrail(ing, "foo.com", "/a"), "host-only");
  EXPECT_EQ(k8s(ing, "foo.com", "/a"), "foo-a");
  const IngressModel model = ingress_model(ing);
  auto matches = contrail_matching_paths(model, "foo.com", "/a");
  ASSERT_EQ(matches.size(), 2u);
  EXPECT_EQ(matches[0]->rule, 0);
  EXPECT_EQ(matches[1]->rule, 1);
}

TEST(ContrailRoute, HostlessRulesApplyToEveryHost) {
  const json ing = ingress({rule("foo.com", {entry("/a", "Exact", "foo-a")}),
                            rule("", {entry("/x", "Exact", "any-x")})});
  EXPECT_EQ(contrail(ing, "foo.com", "/x"), "any-x");  // Contrail falls back
  EXPECT_EQ(k8s(ing, "foo.com", "/x"), "404");         // Kubernetes does not
}

TEST(ContrailRoute, RuleWithNeitherHostNorPathNeverMatches) {
  // "use_backend P if  ": haproxy 2.6 accepts the empty condition and never matches it.
  const json ing = ingress({rule("", {entry("", "ImplementationSpecific", "empty")})});
  EXPECT_EQ(contrail(ing, "", "/"), "503");
  EXPECT_EQ(contrail(ing, "foo.com", "/x"), "503");
  EXPECT_EQ(k8s(ing, "foo.com", "/x"), "empty");
  const json with_default = ingress({rule("", {entry("", "ImplementationSpecific", "empty")})}, "d");
  EXPECT_EQ(contrail(with_default, "", "/"), "d");
}

TEST(ContrailRoute, RulesWithoutHttpAndBackendsWithoutServiceAreSkipped) {
  json ing = ingress({rule("", {entry("/a", "Exact", "a")})}, "dflt");
  ing["spec"]["rules"].insert(ing["spec"]["rules"].begin(), json{{"host", "foo.com"}});
  EXPECT_EQ(contrail(ing, "foo.com", "/a"), "a");
  EXPECT_EQ(contrail(ing, "foo.com", "/b"), "dflt");
  ing["spec"]["rules"][1]["http"]["paths"][0]["backend"] = json::object();
  EXPECT_EQ(contrail(ing, "foo.com", "/a"), "dflt");
  EXPECT_EQ(k8s(ing, "", "/a"), "dflt");
}

TEST(ContrailRoute, DefaultBackendOr503) {
  const json with = ingress({rule("", {entry("/a", "Exact", "a")})}, "dflt");
  const json without = ingress({rule("", {entry("/a", "Exact", "a")})});
  RouteDecision d = route_contrail(with, "", "/b");
  EXPECT_EQ(answer(d), "dflt");
  EXPECT_EQ(d.field, "spec.defaultBackend");
  EXPECT_EQ(d.why, "no rule matches: spec.defaultBackend");
  RouteDecision none = route_contrail(without, "", "/b");
  EXPECT_EQ(none.status, 503);
  EXPECT_FALSE(none.backend);
  EXPECT_EQ(none.why, "no rule matches, no default backend");
  RouteDecision hit = route_contrail(without, "", "/a");
  EXPECT_EQ(hit.why, "spec.rules[0].http.paths[0]: any host, path /a (first match in spec order)");
}

TEST(ContrailRoute, MatchesTheSeedSimpleFanout) {
  const json ing = json::parse(R"({
    "apiVersion": "extensions/v1beta1", "kind": "Ingress", "metadata": {"name": "simple-fanout"},
    "spec": {"rules": [{"http": {"paths": [
      {"path": "/qa.html", "backend": {"serviceName": "qa-webserver", "servicePort": 80}},
      {"path": "/dev.html", "backend": {"serviceName": "dev-webserver", "servicePort": 80}}]}}]}
  })");
  EXPECT_EQ(contrail(ing, "10.84.59.22", "/qa.html"), "qa-webserver");
  EXPECT_EQ(contrail(ing, "", "/dev.html"), "dev-webserver");
  EXPECT_EQ(contrail(ing, "", "/dev.html/"), "503");
  EXPECT_EQ(contrail(ing, "", "/"), "503");
  EXPECT_EQ(k8s(ing, "", "/"), "404");
}

TEST(Route, DocsSemanticsHostExamples) {  // the hosts table of docs/semantics.md
  const json ing = ingress({rule("*.foo.com", {entry("/", "Prefix", "wildcard")}),
                            rule("foo.bar.com", {entry("/", "Prefix", "foo-bar")}),
                            rule("", {entry("/x", "Exact", "hostless-x")})});
  EXPECT_EQ(k8s(ing, "bar.foo.com", "/"), "wildcard");
  EXPECT_EQ(contrail(ing, "bar.foo.com", "/"), "503");
  EXPECT_EQ(k8s(ing, "baz.bar.foo.com", "/x"), "hostless-x");
  EXPECT_EQ(contrail(ing, "baz.bar.foo.com", "/x"), "hostless-x");
  EXPECT_EQ(k8s(ing, "foo.bar.com:80", "/"), "foo-bar");
  EXPECT_EQ(contrail(ing, "foo.bar.com:80", "/"), "503");
  EXPECT_EQ(k8s(ing, "foo.bar.com", "/x"), "foo-bar");
  EXPECT_EQ(contrail(ing, "foo.bar.com", "/x"), "hostless-x");
  EXPECT_EQ(k8s(ing, "", "/"), "404");
  EXPECT_EQ(contrail(ing, "", "/"), "503");
}

TEST(Route, DispatchAndNames) {
  const json ing = ingress({rule("", {entry("/foo", "Prefix", "p")})});
  EXPECT_EQ(answer(route(Semantics::kContrail, ing, "", "/foo/x")), "503");
  EXPECT_EQ(answer(route(Semantics::kKubernetes, ing, "", "/foo/x")), "p");
  EXPECT_EQ(parse_semantics("contrail"), Semantics::kContrail);
  EXPECT_EQ(parse_semantics("kubernetes"), Semantics::kKubernetes);
  EXPECT_FALSE(parse_semantics("Contrail"));
  EXPECT_STREQ(semantics_name(Semantics::kKubernetes), "kubernetes");
}

TEST(Route, KubernetesHostRules) {
  const json ing = ingress({rule("a.com", {}), rule("*.b.com", {}), rule("", {}), rule("a.com", {})});
  const IngressModel m = ingress_model(ing);
  EXPECT_EQ(kubernetes_host_rules(m, "A.com:80"), (std::vector<int>{0, 3}));
  EXPECT_EQ(kubernetes_host_rules(m, "x.b.com"), (std::vector<int>{1}));
  EXPECT_EQ(kubernetes_host_rules(m, "y.x.b.com"), (std::vector<int>{2}));
  EXPECT_EQ(kubernetes_host_rules(m, ""), (std::vector<int>{2}));
}

}  // namespace
}  // namespace csim::semantics

namespace csim::semantics {
namespace {

TEST(HttpsView, TlsHostsAndAllDecideWhat443Serves) {
  json ing = ingress({rule("foo.com", {entry("/a", "Exact", "foo")}),
                      rule("bar.com", {entry("/b", "Exact", "bar")}),
                      rule("", {entry("/c", "Exact", "c")})},
                     "fallback");
  // Only foo.com is covered: its rule alone, no default backend.
  ing["spec"]["tls"] = json::array({{{"hosts", {"foo.com"}}, {"secretName", "foo"}}});
  auto only_foo = https_view(ingress_model(ing));
  ASSERT_TRUE(only_foo.has_https);
  ASSERT_EQ(only_foo.model.rules.size(), 1u);
  EXPECT_EQ(only_foo.model.rules[0].host, "foo.com");
  EXPECT_FALSE(only_foo.model.default_backend);
  EXPECT_EQ(route_contrail(only_foo.model, "bar.com", "/b").status, kStatusContrailNoBackend);
  EXPECT_EQ(route_contrail(only_foo.model, "foo.com", "/a").backend->service, "foo");

  // An entry without hosts ("ALL") covers every rule with a path, and the default backend.
  ing["spec"]["tls"].push_back({{"secretName", "wild"}});
  auto all = https_view(ingress_model(ing));
  EXPECT_EQ(all.model.rules.size(), 3u);
  EXPECT_TRUE(all.model.default_backend);
  EXPECT_EQ(route_kubernetes(all.model, "bar.com", "/b").backend->service, "bar");

  ing["spec"].erase("tls");
  EXPECT_FALSE(https_view(ingress_model(ing)).has_https);
}

}  // namespace
}  // namespace csim::semantics
