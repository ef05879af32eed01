#include "semantics/lint.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "kube/yaml_loader.h"

namespace csim::semantics {
namespace {

using nlohmann::json;

json entry(const std::string& path, const std::string& type, const std::string& service,
           json port = {{"number", 80}}) {
  json e = {{"backend", {{"service", {{"name", service}, {"port", port}}}}}};
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
              {"metadata", {{"name", "t"}}},
              {"spec", {{"rules", rules}}}};
  if (!default_service.empty())
    ing["spec"]["defaultBackend"] = {
        {"service", {{"name", default_service}, {"port", {{"number", 80}}}}}};
  return ing;
}

json service(const std::string& name, json ports = json::parse(R"([{"port": 80}])"),
             const std::string& ns = "") {
  json s = {{"apiVersion", "v1"}, {"kind", "Service"}, {"metadata", {{"name", name}}},
            {"spec", {{"ports", ports}}}};
  if (!ns.empty()) s["metadata"]["namespace"] = ns;
  return s;
}

// Services named a..e and dflt, each with port 80.
std::vector<json> services() {
  std::vector<json> out;
  for (const char* n : {"a", "b", "c", "d", "e", "dflt"}) out.push_back(service(n));
  return out;
}

// "severity field" of every finding, for compact comparisons.
std::vector<std::string> summary(const std::vector<Finding>& findings) {
  std::vector<std::string> out;
  for (const auto& f : findings) out.push_back(std::string(severity_name(f.severity)) + " " + f.field);
  return out;
}

const Finding* find(const std::vector<Finding>& findings, const std::string& field,
                    Severity severity) {
  for (const auto& f : findings)
    if (f.field == field && f.severity == severity) return &f;
  return nullptr;
}

TEST(Lint, PortableIngressHasNoFindings) {
  const json ing = ingress({rule("", {entry("/a", "Exact", "a"), entry("/b/", "Exact", "b")})}, "dflt");
  const auto findings = lint_ingress(ing, services());
  EXPECT_TRUE(findings.empty()) << findings.front().message;
  EXPECT_FALSE(lint_fails(findings));
}

TEST(Lint, PrefixMatchesOnlyTheExactPathOnContrail) {
  const auto findings = lint_ingress(ingress({rule("", {entry("/foo", "Prefix", "a")})}, "dflt"), services());
  ASSERT_EQ(summary(findings), (std::vector<std::string>{"difference spec.rules[0].http.paths[0]"}));
  const Finding& f = findings[0];
  EXPECT_EQ(f.ingress, "default/t");
  EXPECT_EQ(f.message,
            "Prefix /foo: on Contrail only /foo matches, not /foo/ nor /foo/x (Contrail ignores "
            "pathType: every path is an exact match)");
  ASSERT_TRUE(f.example);
  EXPECT_EQ(f.example->host, "");
  EXPECT_EQ(f.example->path, "/foo/x");
  EXPECT_EQ(f.contrail, "200 dflt:80 (no rule matches: spec.defaultBackend)");
  EXPECT_EQ(f.kubernetes,
            "200 a:80 (spec.rules[0].http.paths[0]: any host, Prefix /foo (longest matching path))");
  EXPECT_GT(f.requests, 2);  // /foo/x, /foo/ and more hosts: grouped into one finding
  EXPECT_TRUE(lint_fails(findings));
}

TEST(Lint, PrefixWithTrailingSlashAndRoot) {
  auto findings = lint_ingress(ingress({rule("", {entry("/foo/", "Prefix", "a")})}, "dflt"), services());
  ASSERT_EQ(findings.size(), 1u);
  EXPECT_EQ(findings[0].message.substr(0, 50), "Prefix /foo/: on Contrail only /foo/ matches, not ");
  EXPECT_NE(findings[0].message.find("not /foo nor /foo/x"), std::string::npos);
  findings = lint_ingress(ingress({rule("", {entry("/", "Prefix", "a")})}), services());
  ASSERT_EQ(findings.size(), 1u);
  EXPECT_NE(findings[0].message.find("Prefix /: on Contrail only / matches, not every path"),
            std::string::npos);
}

TEST(Lint, HostWithPortWillNotMatchOnContrail) {
  const auto findings = lint_ingress(ingress({rule("foo.com", {entry("/a", "Exact", "a")})}, "dflt"), services());
  // Upper-case hosts route the same on both: only the port differs.
  ASSERT_EQ(summary(findings), (std::vector<std::string>{"difference spec.rules[0].host"}));
  const Finding& f = findings[0];
  EXPECT_EQ(f.message,
            "a Host header with a port (\"foo.com:80\") will not match host foo.com on Contrail: "
            "haproxy compares the whole header (hdr(host) -i foo.com); the Kubernetes rules "
            "ignore the port");
  EXPECT_EQ(f.example->host, "foo.com:80");
  EXPECT_EQ(f.example->path, "/a");
  EXPECT_EQ(f.contrail.substr(0, 9), "200 dflt:");
  EXPECT_EQ(f.kubernetes.substr(0, 8), "200 a:80");
}

TEST(Lint, WildcardHostNotSupportedOnContrail) {
  const auto findings = lint_ingress(ingress({rule("*.foo.com", {entry("/a", "Exact", "a")})}, "dflt"), services());
  ASSERT_EQ(summary(findings), (std::vector<std::string>{"difference spec.rules[0].host"}));
  EXPECT_EQ(findings[0].message.substr(0, 53), "wildcard host *.foo.com: not supported on Contrail: h");
  EXPECT_EQ(findings[0].example->host, "csim-probe.foo.com");
  EXPECT_EQ(findings[0].example->path, "/a");
}

TEST(Lint, RuleWithNeitherHostNorPath) {
  const auto findings =
      lint_ingress(ingress({rule("", {entry("", "ImplementationSpecific", "a")})}), services());
  ASSERT_EQ(summary(findings), (std::vector<std::string>{"difference spec.rules[0].http.paths[0]"}));
  EXPECT_NE(findings[0].message.find("which haproxy never matches"), std::string::npos);
  EXPECT_EQ(findings[0].contrail, "503 (no rule matches, no default backend)");
}

TEST(Lint, ResourceBackend) {
  json ing = ingress({rule("", {entry("/a", "Exact", "a")})}, "dflt");
  ing["spec"]["rules"][0]["http"]["paths"].push_back(json::parse(
      R"({"path": "/r", "pathType": "Exact", "backend": {"resource": {"kind": "Bucket", "name": "b"}}})"));
  const auto findings = lint_ingress(ing, services());
  ASSERT_EQ(summary(findings),
            (std::vector<std::string>{"difference spec.rules[0].http.paths[1].backend"}));
  EXPECT_EQ(findings[0].message,
            "resource backend (Bucket/b): Contrail routes only to Services; kube-manager makes no "
            "pool for it");
}

TEST(Lint, HostlessFallbackDiffers) {
  const auto findings = lint_ingress(
      ingress({rule("foo.com", {entry("/a", "Exact", "a")}), rule("", {entry("/x", "Exact", "b")})}, "dflt"),
      services());
  const Finding* f = find(findings, "spec.rules[1].http.paths[0]", Severity::kDifference);
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->message.substr(0, 63), "requests for host foo.com that none of its paths match: Contrai");
  EXPECT_EQ(f->example->host, "foo.com");
  EXPECT_EQ(f->example->path, "/x");
  EXPECT_EQ(summary(findings), (std::vector<std::string>{"difference spec.rules[0].host",
                                                         "difference spec.rules[1].http.paths[0]"}));
}

TEST(Lint, OverlapIsReportedEvenWhenSpecOrderAgrees) {
  // Exact /a first, then the host-only rule: csim's contrail order agrees with Kubernetes
  // (longest match), but real Contrail's order is random.
  const auto findings = lint_ingress(
      ingress({rule("foo.com", {entry("/a", "Exact", "a")}),
               rule("foo.com", {entry("", "ImplementationSpecific", "b")})}, "dflt"),
      services());
  const Finding* f = find(findings, "spec.rules[1].http.paths[0]", Severity::kDifference);
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->message,
            "spec.rules[0].http.paths[0] (host foo.com, path /a) and spec.rules[1].http.paths[0] "
            "(host foo.com, any path) both match on Contrail: real Contrail orders its use_backend "
            "lines at random (a Python set), so any of them may answer; csim's contrail semantics "
            "takes the first in spec order");
  EXPECT_EQ(f->example->path, "/a");

  // The other order: csim's contrail takes the host-only rule, Kubernetes the longer path.
  const auto reversed = lint_ingress(
      ingress({rule("foo.com", {entry("", "ImplementationSpecific", "b")}),
               rule("foo.com", {entry("/a", "Exact", "a")})}, "dflt"),
      services());
  f = find(reversed, "spec.rules[1].http.paths[0]", Severity::kDifference);
  ASSERT_NE(f, nullptr);
  EXPECT_NE(f->message.find("; the Kubernetes rules take spec.rules[1].http.paths[0]"), std::string::npos);
  EXPECT_EQ(f->contrail.substr(0, 8), "200 b:80");
  EXPECT_EQ(f->kubernetes.substr(0, 8), "200 a:80");
}

TEST(Lint, SameBackendOverlapIsNoDifference) {
  const auto findings = lint_ingress(
      ingress({rule("", {entry("/a", "Exact", "a"), entry("/a", "Prefix", "a")})}, "dflt"), services());
  // Prefix /a still differs for /a/x, but the two entries overlapping on /a send to one Service.
  EXPECT_EQ(summary(findings), (std::vector<std::string>{"difference spec.rules[0].http.paths[1]"}));
  EXPECT_EQ(findings[0].message.substr(0, 9), "Prefix /a");
}

TEST(Lint, NoMatchStatusIsOneWarning) {
  const auto findings = lint_ingress(ingress({rule("", {entry("/a", "Exact", "a")})}), services());
  ASSERT_EQ(summary(findings), (std::vector<std::string>{"warning spec"}));
  const Finding& f = findings[0];
  EXPECT_EQ(f.example->host, "csim-unmatched.example");
  EXPECT_EQ(f.example->path, "/csim-unmatched");
  EXPECT_EQ(f.contrail, "503 (no rule matches, no default backend)");
  EXPECT_EQ(f.kubernetes, "404 (no rule matches, no default backend)");
  EXPECT_FALSE(lint_fails(findings));
}

TEST(Lint, ServiceErrors) {
  json ing = ingress({rule("", {entry("/a", "Exact", "missing"),
                                entry("/b", "Exact", "web", {{"number", 8080}}),
                                entry("/c", "Exact", "web", {{"name", "metrics"}}),
                                entry("/d", "Exact", "web", {{"name", "http"}}),
                                entry("/e", "Exact", "other-ns")})},
                     "gone");
  ing["spec"]["rules"][0]["http"]["paths"].push_back(
      json::parse(R"({"path": "/f", "pathType": "Exact", "backend": {"service": {"name": "web"}}})"));
  const std::vector<json> svcs = {
      service("web", json::parse(R"([{"name": "http", "port": 80}, {"port": 9090}])")),
      service("other-ns", json::parse(R"([{"port": 80}])"), "elsewhere"),
      json::parse(R"({"kind": "Pod", "metadata": {"name": "missing"}})")};
  const auto findings = lint_ingress(ing, svcs);
  EXPECT_EQ(summary(findings),
            (std::vector<std::string>{
                "error spec.defaultBackend.service.name",
                "error spec.rules[0].http.paths[0].backend.service.name",
                "error spec.rules[0].http.paths[1].backend.service.port.number",
                "error spec.rules[0].http.paths[2].backend.service.port.name",
                "error spec.rules[0].http.paths[4].backend.service.name",
                "error spec.rules[0].http.paths[5].backend.service.port",
                "difference spec.rules[0].http.paths[2].backend.service.port.name",
                "difference spec.rules[0].http.paths[3].backend.service.port.name",
            }));
  EXPECT_EQ(findings[1].message,
            "Service \"missing\" (namespace default) is not among the Services given; on Contrail "
            "this backend gets no pool until the Service exists");
  EXPECT_EQ(findings[2].message, "Service \"web\" has no port 8080 (its ports: 80 (http), 9090)");
  EXPECT_EQ(findings[3].message,
            "Service \"web\" has no port named \"metrics\" (its ports: 80 (http), 9090)");
  EXPECT_NE(findings[7].message.find("named Service port \"http\": Contrail does not resolve port names"),
            std::string::npos);
  EXPECT_TRUE(lint_fails(findings));
}

TEST(Lint, DuplicatesAreErrorsNotOverlaps) {
  const auto findings = lint_ingress(
      ingress({rule("Foo.com", {entry("/a", "Exact", "a")}), rule("foo.com", {entry("/a", "Exact", "b")})}, "dflt"),
      services());
  EXPECT_EQ(summary(findings), (std::vector<std::string>{"error spec.rules[1].http.paths[0]",
                                                         "difference spec.rules[0].host"}));
  EXPECT_EQ(findings[0].message,
            "duplicate of spec.rules[0].http.paths[0] (host foo.com, Exact /a): this entry never "
            "receives a request");
  // Same host and path but another pathType: not a duplicate, but they overlap on Contrail.
  const auto types = lint_ingress(
      ingress({rule("", {entry("/a", "Prefix", "a"), entry("/a", "Exact", "b")})}, "dflt"), services());
  const Finding* overlap = find(types, "spec.rules[0].http.paths[1]", Severity::kDifference);
  ASSERT_NE(overlap, nullptr);
  EXPECT_NE(overlap->message.find("both match on Contrail"), std::string::npos);
}

TEST(Lint, IngressClassWarnings) {
  json ing = ingress({rule("", {entry("/a", "Exact", "a")})}, "dflt");
  EXPECT_TRUE(lint_ingress(ing, services()).empty());
  ing["metadata"]["annotations"] = {{"kubernetes.io/ingress.class", "opencontrail"}};
  ing["spec"]["ingressClassName"] = "opencontrail";
  EXPECT_TRUE(lint_ingress(ing, services()).empty());
  ing["metadata"]["annotations"]["kubernetes.io/ingress.class"] = "nginx";
  ing["spec"]["ingressClassName"] = "nginx";
  const auto findings = lint_ingress(ing, services());
  EXPECT_EQ(summary(findings),
            (std::vector<std::string>{"warning metadata.annotations[kubernetes.io/ingress.class]",
                                      "warning spec.ingressClassName"}));
  EXPECT_FALSE(lint_fails(findings));
}

TEST(Lint, ImplementationSpecificWarningSkipsPathlessEntries) {
  auto findings = lint_ingress(
      ingress({rule("", {entry("/a", "ImplementationSpecific", "a"), entry("/b", "", "b"),
                         entry("/c", "Exact", "c")})}, "dflt"),
      services());
  ASSERT_EQ(summary(findings),
            (std::vector<std::string>{"warning spec.rules[0].http.paths[0].pathType"}));
  EXPECT_EQ(findings[0].message,
            "pathType ImplementationSpecific on 2 paths (/a, /b): csim matches it as Contrail "
            "does, exactly; other controllers (e.g. ingress-nginx) treat it as a prefix; say "
            "Exact or Prefix to be portable");
  findings = lint_ingress(ingress({rule("foo.com", {entry("", "ImplementationSpecific", "a")})}, "dflt"),
                          services());
  EXPECT_EQ(summary(findings), (std::vector<std::string>{"difference spec.rules[0].host"}));
}

TEST(Lint, FindingFormats) {
  const auto findings = lint_ingress(ingress({rule("", {entry("/foo", "Prefix", "a")})}, "dflt"), services());
  ASSERT_EQ(findings.size(), 1u);
  const json j = finding_to_json(findings[0]);
  EXPECT_EQ(j["severity"], "difference");
  EXPECT_EQ(j["ingress"], "default/t");
  EXPECT_EQ(j["field"], "spec.rules[0].http.paths[0]");
  EXPECT_EQ(j["example"], json::parse(R"({"host": "", "path": "/foo/x"})"));
  EXPECT_EQ(j["contrail"], findings[0].contrail);
  EXPECT_EQ(j["kubernetes"], findings[0].kubernetes);
  EXPECT_EQ(j["requests"], findings[0].requests);
  EXPECT_EQ(finding_to_text(findings[0]),
            "difference: default/t: spec.rules[0].http.paths[0]: " + findings[0].message +
                " (e.g. no Host header, path /foo/x: contrail " + findings[0].contrail +
                "; kubernetes " + findings[0].kubernetes + ")");
  Finding plain;
  plain.severity = Severity::kError;
  plain.ingress = "ns/x";
  plain.field = "spec";
  plain.message = "m";
  EXPECT_EQ(finding_to_text(plain), "error: ns/x: spec: m");
  EXPECT_TRUE(finding_to_json(plain)["example"].is_null());
}

TEST(Lint, MalformedIngressesDoNotThrow) {
  for (const char* text :
       {R"(null)", R"({})", R"({"kind": "Ingress", "spec": []})",
        R"({"metadata": {"namespace": 3}, "spec": {"rules": [1, {"host": 2, "http": []}]}})",
        R"({"spec": {"rules": [{"http": {"paths": [{"path": 5, "pathType": 1, "backend": []}]}}]}})",
        R"({"spec": {"defaultBackend": {"service": {"name": "a", "port": "x"}}}})"}) {
    std::vector<Finding> findings;
    EXPECT_NO_THROW(findings = lint_ingress(json::parse(text), {json(3), json::object()})) << text;
  }
}

// ---- the seed Ingresses ----

struct Seed {
  json ingress;
  std::vector<json> services;
};

Seed load_seed(const std::string& name) {
  auto loaded = kube::load_yaml_file("semantics/testdata/" + name);
  EXPECT_TRUE(loaded.is_ok()) << loaded.status().message();
  Seed seed;
  if (!loaded.is_ok()) return seed;
  for (const auto& obj : *loaded) {
    if (obj.object["kind"] == "Ingress") seed.ingress = obj.object;
    if (obj.object["kind"] == "Service") seed.services.push_back(obj.object);
  }
  return seed;
}

TEST(LintSeeds, SimpleFanoutOnlyWarns) {
  for (const char* file : {"simple-fanout.yaml", "simple-fanout-external-ip.yaml"}) {
    Seed seed = load_seed(file);
    const auto findings = lint_ingress(seed.ingress, seed.services);
    EXPECT_EQ(summary(findings), (std::vector<std::string>{
                                     "warning spec", "warning spec.rules[0].http.paths[0].pathType"}))
        << file;
    EXPECT_FALSE(lint_fails(findings));
  }
}

TEST(LintSeeds, SingleServiceIsClean) {
  Seed seed = load_seed("single-service.yaml");
  EXPECT_TRUE(lint_ingress(seed.ingress, seed.services).empty());
  // Without its Service, the default backend is an error.
  const auto findings = lint_ingress(seed.ingress, {});
  EXPECT_EQ(summary(findings), (std::vector<std::string>{"error spec.defaultBackend.service.name"}));
}

TEST(LintSeeds, VirtualHostBreaksWithAPortInTheHostHeader) {
  Seed seed = load_seed("virtual-host.yaml");
  const auto findings = lint_ingress(seed.ingress, seed.services);
  EXPECT_EQ(summary(findings),
            (std::vector<std::string>{"difference spec.rules[0].host",
                                      "difference spec.rules[1].host", "warning spec"}));
  EXPECT_EQ(findings[1].example->host, "bar.foo.com:80");
  EXPECT_TRUE(lint_fails(findings));
}

}  // namespace
}  // namespace csim::semantics
