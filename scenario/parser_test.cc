#include "scenario/parser.h"

#include <stdlib.h>

#include <filesystem>
#include <fstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace csim::scenario {
namespace {

using ::testing::HasSubstr;

// A temp directory with the files a scenario names.
class ParserTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (std::filesystem::temp_directory_path() / "csim-scenario-XXXXXX").string();
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    write("app.yaml", R"(apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  selector: {app: web}
  ports: [{port: 80, targetPort: 8080}]
)");
    write("broken.yaml", "apiVersion: v1\nkind: Service\nmetadata: {}\n");
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  void write(const std::string& name, const std::string& text) { std::ofstream(dir_ + "/" + name) << text; }
  std::string file() const { return dir_ + "/s.yaml"; }

  core::Result<Scenario> parse(const std::string& text) { return parse_scenario_text(text, file()); }
  // The error message of a scenario that must not parse.
  std::string errors(const std::string& text) {
    auto r = parse(text);
    EXPECT_FALSE(r.is_ok()) << "parsed: " << text;
    return r.is_ok() ? "" : r.status().message();
  }
  std::string at(int line) const { return file() + ":" + std::to_string(line) + ": "; }

  std::string dir_;
};

constexpr const char* kValid = R"(name: simple-fanout
semantics: kubernetes
description: two phases
apply:
  - file: app.yaml
  - manifest: {apiVersion: v1, kind: Pod, metadata: {name: web, labels: {app: web}}, spec: {containers: [{name: c, image: i, ports: [{containerPort: 8080}]}]}}
expect:
  - request: {ingress: simple-fanout, host: foo.bar.com, path: /qa.html, method: GET}
    response: {status: 200, service: qa-webserver}
  - request: {path: /nope}
    response: {status: 503}
    repeat: 3
steps:
  - delete: [{kind: Ingress, name: simple-fanout}, {kind: Service, name: web, namespace: other}]
  - expect:
      - request: {}
        response: {unreachable: true}
  - delete:
      - file: app.yaml
)";

TEST_F(ParserTest, AValidScenarioBecomesItsSteps) {
  auto r = parse(kValid);
  ASSERT_TRUE(r.is_ok()) << r.status().message();
  const Scenario& s = *r;
  EXPECT_EQ(s.name, "simple-fanout");
  EXPECT_EQ(s.description, "two phases");
  ASSERT_TRUE(s.semantics);
  EXPECT_EQ(*s.semantics, semantics::Semantics::kKubernetes);
  ASSERT_EQ(s.steps.size(), 5u);
  EXPECT_EQ(s.steps[0].kind, Step::Kind::kApply);
  EXPECT_EQ(s.steps[1].kind, Step::Kind::kExpect);
  EXPECT_EQ(s.steps[2].kind, Step::Kind::kDelete);
  EXPECT_EQ(s.steps[3].kind, Step::Kind::kExpect);
  EXPECT_EQ(s.steps[4].kind, Step::Kind::kDelete);
  EXPECT_EQ(s.expectation_count(), 3u);

  // apply: the file's objects (loaded, with their own file:line) and the inline manifest
  // (with the scenario's file:line).
  ASSERT_EQ(s.steps[0].apply.size(), 2u);
  EXPECT_EQ(s.steps[0].apply[0].label, "file app.yaml");
  ASSERT_EQ(s.steps[0].apply[0].objects.size(), 1u);
  EXPECT_EQ(s.steps[0].apply[0].objects[0].file, dir_ + "/app.yaml");
  EXPECT_EQ(s.steps[0].apply[0].objects[0].line_of("spec.ports"), 7);
  EXPECT_EQ(s.steps[0].apply[1].label, "manifest Pod/web");
  EXPECT_EQ(s.steps[0].apply[1].objects[0].where("spec.containers"), file() + ":6");
  EXPECT_EQ(s.steps[0].apply[1].objects[0].object["spec"]["containers"][0]["ports"][0]["containerPort"], 8080);

  const auto& x0 = s.steps[1].expect[0];
  EXPECT_EQ(x0.request.ingress, "simple-fanout");
  EXPECT_EQ(x0.request.host, "foo.bar.com");
  EXPECT_EQ(x0.request.path, "/qa.html");
  EXPECT_EQ(x0.response.status, 200);
  EXPECT_EQ(x0.response.service, "qa-webserver");
  EXPECT_EQ(x0.repeat, 1);
  EXPECT_EQ(x0.where.str(), file() + ":8");
  EXPECT_EQ(x0.field, "expect[0]");
  EXPECT_EQ(x0.describe(), "GET foo.bar.com/qa.html (ingress simple-fanout) → 200 qa-webserver");
  const auto& x1 = s.steps[1].expect[1];
  EXPECT_EQ(x1.request.method, "GET");
  EXPECT_EQ(x1.request.host, "");
  EXPECT_EQ(x1.response.describe(), "503");
  EXPECT_FALSE(x1.response.wants_backend());
  EXPECT_EQ(x1.repeat, 3);

  ASSERT_EQ(s.steps[2].del.size(), 2u);
  EXPECT_EQ(s.steps[2].del[0].label, "Ingress/simple-fanout");
  EXPECT_EQ(s.steps[2].del[1].ns, "other");
  EXPECT_EQ(s.steps[2].field, "steps[0].delete");
  const auto& x2 = s.steps[3].expect[0];
  EXPECT_TRUE(x2.response.unreachable);
  EXPECT_EQ(x2.request.path, "/");
  EXPECT_EQ(x2.field, "steps[1].expect[0]");
  EXPECT_EQ(s.steps[4].del[0].objects.size(), 1u);
}

TEST_F(ParserTest, HttpsRequestsAndCertificates) {
  auto r = parse(
      "expect:\n"
      "  - request: {scheme: https, host: foo.bar.com, path: /qa.html}\n"
      "    response: {service: qa, certificate: foo.bar.com}\n"
      "  - request: {scheme: http}\n"
      "    response: {status: 503}\n");
  ASSERT_TRUE(r.is_ok()) << r.status().message();
  const auto& x0 = r->steps[0].expect[0];
  EXPECT_TRUE(x0.request.https);
  EXPECT_EQ(x0.response.certificate, "foo.bar.com");
  EXPECT_EQ(x0.describe(), "GET https://foo.bar.com/qa.html → 200 qa (certificate foo.bar.com)");
  EXPECT_FALSE(r->steps[0].expect[1].request.https);
}

TEST_F(ParserTest, DefaultsNameFromTheFileAndServiceMeans200) {
  auto r = parse("expect:\n  - request: {path: /a}\n    response: {service: web}\n");
  ASSERT_TRUE(r.is_ok()) << r.status().message();
  EXPECT_EQ(r->name, "s");
  EXPECT_FALSE(r->semantics);
  EXPECT_EQ(r->steps[0].expect[0].response.status, 200);
  EXPECT_TRUE(r->steps[0].expect[0].response.wants_backend());
}

TEST_F(ParserTest, NamespaceForMakesADnsLabel) {
  Scenario s;
  s.name = "Simple Fanout (v2)!";
  EXPECT_EQ(namespace_for(s), "test-simple-fanout-v2");
  s.name = std::string(100, 'a');
  EXPECT_EQ(namespace_for(s).size(), 63u);
}

TEST_F(ParserTest, FileErrors) {
  auto missing = parse_scenario_file(dir_ + "/none.yaml");
  ASSERT_FALSE(missing.is_ok());
  EXPECT_EQ(missing.status().code(), core::Code::kUnavailable);
  EXPECT_THAT(missing.status().message(), HasSubstr(dir_ + "/none.yaml"));
  EXPECT_FALSE(parse_scenario_file(dir_).is_ok());
}

TEST_F(ParserTest, YamlSyntax) {
  EXPECT_EQ(errors("name: x\nexpect: [\n  - a: b\n  c\n"), at(3) + "invalid YAML: illegal block entry");
  EXPECT_EQ(errors(""), at(1) + "the file holds no scenario");
  EXPECT_EQ(errors("- a\n- b\n"), at(1) + "a scenario is a mapping (name, semantics, apply, expect, steps)");
}

TEST_F(ParserTest, TopLevelFields) {
  EXPECT_THAT(errors("name: x\nexpects: []\n"),
              HasSubstr(at(2) + "expects: unknown field (expected one of: name, description, semantics, apply, expect, steps)"));
  EXPECT_THAT(errors("name: x\nname: y\nexpect: [{request: {}, response: {status: 200}}]\n"),
              HasSubstr(at(2) + "name: duplicate key (already set above)"));
  EXPECT_THAT(errors("semantics: nginx\nexpect: [{request: {}, response: {status: 200}}]\n"),
              HasSubstr(at(1) + "semantics: must be contrail or kubernetes (got \"nginx\")"));
  EXPECT_EQ(errors("name: x\n"), at(1) + "a scenario needs at least one expectation (expect: or a step's expect:)");
  EXPECT_THAT(errors("name: 12\nexpect: [{request: {}, response: {status: 200}}]\n"),
              HasSubstr(at(1) + "name: must be a string (quote it: got \"12\")"));
  EXPECT_THAT(errors("expect: [{request: {}, response: {status: 200}}]\n---\nname: b\n"),
              HasSubstr(at(3) + "one scenario per file (a second YAML document starts here)"));
}

TEST_F(ParserTest, ApplyErrors) {
  EXPECT_THAT(errors("apply: app.yaml\nexpect: [{request: {}, response: {status: 200}}]\n"),
              HasSubstr(at(1) + "apply: must be a list (of entries starting with '-')"));
  EXPECT_THAT(errors("apply: []\nexpect: [{request: {}, response: {status: 200}}]\n"),
              HasSubstr(at(1) + "apply: must not be empty (a list)"));
  EXPECT_THAT(errors("apply:\nexpect: [{request: {}, response: {status: 200}}]\n"),
              HasSubstr(at(1) + "apply: must not be empty (a list)"));
  EXPECT_THAT(errors("apply:\n  - file: app.yaml\n    manifest: {}\nexpect: [{request: {}, response: {status: 200}}]\n"),
              HasSubstr(at(2) + "apply[0]: give either file or manifest, not both"));
  EXPECT_THAT(errors("apply:\n  - files: app.yaml\nexpect: [{request: {}, response: {status: 200}}]\n"),
              HasSubstr(at(2) + "apply[0].files: unknown field (expected one of: file, manifest)"));
  EXPECT_THAT(errors("apply:\n  - file: nope.yaml\nexpect: [{request: {}, response: {status: 200}}]\n"),
              HasSubstr(at(2) + "apply[0].file: no such file: " + dir_ + "/nope.yaml"));
  // The file's own problems, with its file:line, behind the scenario line that names it.
  EXPECT_THAT(errors("expect: [{request: {}, response: {status: 200}}]\nsteps:\n  - apply:\n      - file: broken.yaml\n"),
              HasSubstr(at(4) + "steps[0].apply[0].file: " + dir_ + "/broken.yaml:3: metadata.name: is required"));
}

TEST_F(ParserTest, ManifestErrors) {
  const std::string tail = "expect: [{request: {}, response: {status: 200}}]\n";
  EXPECT_THAT(errors("apply:\n  - manifest: {apiVersion: v1, metadata: {name: a}}\n" + tail),
              HasSubstr(at(2) + "apply[0].manifest.kind: is required (a string)"));
  EXPECT_THAT(errors("apply:\n  - manifest:\n      apiVersion: v1\n      kind: Service\n      metadata: {labels: {}}\n" + tail),
              HasSubstr(at(5) + "apply[0].manifest.metadata.name: is required (a string)"));
  EXPECT_THAT(errors("apply:\n  - manifest:\n      kind: Service\n      kind: Pod\n" + tail),
              HasSubstr(at(4) + "apply[0].manifest.kind: duplicate key (already set above)"));
  EXPECT_THAT(errors("apply:\n  - manifest: [a, b]\n" + tail),
              HasSubstr(at(2) + "apply[0].manifest: must be a mapping (one Kubernetes object)"));
  EXPECT_THAT(errors("apply:\n  - manifest: {apiVersion: v1, kind: List, metadata: {name: l}}\n" + tail),
              HasSubstr(at(2) + "apply[0].manifest: one object per manifest (a List goes in a file)"));
  EXPECT_THAT(errors("apply:\n  - manifest:\n      spec: {port: !!int eighty}\n" + tail),
              HasSubstr(at(3) + "apply[0].manifest.spec.port: cannot decode \"eighty\" as !!int"));
}

TEST_F(ParserTest, RequestErrors) {
  auto one = [&](const std::string& request) {
    return errors("expect:\n  - request: " + request + "\n    response: {status: 200}\n");
  };
  EXPECT_THAT(one("{path: qa.html}"), HasSubstr(at(2) + "expect[0].request.path: must start with '/'"));
  EXPECT_THAT(one("{path: \"/a b\"}"), HasSubstr(at(2) + "expect[0].request.path: must start with '/'"));
  EXPECT_THAT(one("{host: \"foo bar\"}"), HasSubstr(at(2) + "expect[0].request.host: must be a Host header value"));
  EXPECT_THAT(one("{host: 80}"), HasSubstr(at(2) + "expect[0].request.host: must be a string (quote it: got \"80\")"));
  EXPECT_THAT(one("{host: }"), HasSubstr(at(2) + "expect[0].request.host: must not be empty"));
  EXPECT_THAT(one("{method: \"GE T\"}"), HasSubstr(at(2) + "expect[0].request.method: must be an HTTP method"));
  EXPECT_THAT(one("{ingress: Web_1}"), HasSubstr(at(2) + "expect[0].request.ingress: must be an Ingress name"));
  EXPECT_THAT(one("{address: 10.1.2.300}"), HasSubstr(at(2) + "expect[0].request.address: must be an IPv4 address"));
  EXPECT_THAT(one("{port: 80}"), HasSubstr(at(2) + "expect[0].request.port: unknown field (expected one of: ingress, host, path, method, address, scheme)"));
  EXPECT_THAT(one("{scheme: ftp}"), HasSubstr(at(2) + "expect[0].request.scheme: must be \"http\" (port 80, the default) or \"https\""));
  EXPECT_THAT(one("/qa.html"), HasSubstr(at(2) + "expect[0].request: must be a mapping"));
  EXPECT_THAT(errors("expect:\n  - response: {status: 200}\n"), HasSubstr(at(2) + "expect[0].request: is required"));
  EXPECT_THAT(errors("expect:\n  - request: {method: HEAD}\n    response: {service: web}\n"),
              HasSubstr(at(2) + "expect[0].response.service: a HEAD answer has no body"));
  EXPECT_THAT(errors("expect:\n  - /qa.html\n"), HasSubstr(at(2) + "expect[0]: must be a mapping"));
}

TEST_F(ParserTest, ResponseErrors) {
  auto one = [&](const std::string& response) {
    return errors("expect:\n  - request: {path: /}\n    response: " + response + "\n");
  };
  EXPECT_THAT(one("{status: ok}"), HasSubstr(at(3) + "expect[0].response.status: must be an integer from 100 to 599 (got \"ok\")"));
  EXPECT_THAT(one("{status: 99}"), HasSubstr(at(3) + "expect[0].response.status: must be an integer from 100 to 599 (got \"99\")"));
  EXPECT_THAT(one("{service: Qa_Web}"), HasSubstr(at(3) + "expect[0].response.service: must be a Service name"));
  EXPECT_THAT(one("{unreachable: true, status: 503}"),
              HasSubstr(at(3) + "expect[0].response.unreachable: excludes status and service"));
  EXPECT_THAT(one("{unreachable: false}"), HasSubstr(at(3) + "expect[0].response.unreachable: must be true"));
  EXPECT_THAT(one("{unreachable: maybe}"), HasSubstr(at(3) + "expect[0].response.unreachable: must be true or false"));
  EXPECT_THAT(one("{service: web, status: 503}"), HasSubstr(at(3) + "expect[0].response.status: must be 200 with a service"));
  EXPECT_THAT(one("{}"), HasSubstr(at(3) + "expect[0].response: needs status, service, certificate or unreachable"));
  EXPECT_THAT(one("{certificate: foo.bar.com}"),
              HasSubstr(at(2) + "expect[0].response.certificate: only an HTTPS request has a certificate"));
  EXPECT_THAT(one("{certificate: \"foo bar\"}"), HasSubstr(at(3) + "expect[0].response.certificate: must be a DNS name"));
  EXPECT_THAT(one(""), HasSubstr(at(3) + "expect[0].response: must not be empty (a mapping)"));
  EXPECT_THAT(errors("expect:\n  - request: {}\n    response: {status: 200}\n    repeat: 0\n"),
              HasSubstr(at(4) + "expect[0].repeat: must be an integer from 1 to 100 (got \"0\")"));
}

TEST_F(ParserTest, StepErrors) {
  const std::string head = "expect: [{request: {}, response: {status: 200}}]\nsteps:\n";
  EXPECT_THAT(errors(head + "  - apply: [{file: app.yaml}]\n    expect: [{request: {}, response: {status: 200}}]\n"),
              HasSubstr(at(3) + "steps[0]: a step does one thing: apply, delete or expect"));
  EXPECT_THAT(errors(head + "  - {}\n"), HasSubstr(at(3) + "steps[0]: a step needs one of apply, delete, expect"));
  EXPECT_THAT(errors(head + "  - wait: 3\n"),
              HasSubstr(at(3) + "steps[0].wait: unknown field (expected one of: apply, delete, expect)"));
  EXPECT_THAT(errors(head + "  - delete: [{kind: Ingres, name: a}]\n"),
              HasSubstr(at(3) + "steps[0].delete[0].kind: unknown kind \"Ingres\" (csim serves "));
  EXPECT_THAT(errors(head + "  - delete: [{kind: Ingress}]\n"), HasSubstr(at(3) + "steps[0].delete[0]: needs name (or file)"));
  EXPECT_THAT(errors(head + "  - delete: [{kind: Node, name: n, namespace: x}]\n"),
              HasSubstr(at(3) + "steps[0].delete[0].namespace: Node is not namespaced"));
  EXPECT_THAT(errors(head + "  - delete: [{file: app.yaml, kind: Service}]\n"),
              HasSubstr(at(3) + "steps[0].delete[0]: give either file or kind and name, not both"));
  EXPECT_THAT(errors(head + "  - delete: Ingress/a\n"), HasSubstr(at(3) + "steps[0].delete: must be a list"));
  EXPECT_THAT(errors(head + "  - expect: []\n"), HasSubstr(at(3) + "steps[0].expect: must not be empty (a list)"));
}

TEST_F(ParserTest, EveryProblemIsReportedOnItsOwnLine) {
  std::string message = errors(R"(semantics: istio
expect:
  - request: {path: x}
    response: {status: 1000}
steps:
  - delete: [{kind: Foo, name: a}]
)");
  EXPECT_THAT(message, HasSubstr(at(1) + "semantics:"));
  EXPECT_THAT(message, HasSubstr(at(3) + "expect[0].request.path:"));
  EXPECT_THAT(message, HasSubstr(at(4) + "expect[0].response.status:"));
  EXPECT_THAT(message, HasSubstr(at(6) + "steps[0].delete[0].kind:"));
  EXPECT_EQ(std::count(message.begin(), message.end(), '\n'), 3) << message;
}

}  // namespace
}  // namespace csim::scenario
