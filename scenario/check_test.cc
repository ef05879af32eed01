#include "scenario/check.h"

#include <stdlib.h>

#include <filesystem>
#include <fstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "scenario/parser.h"

namespace csim::scenario {
namespace {

using ::testing::HasSubstr;

constexpr const char* kBackends = R"(apiVersion: v1
kind: Pod
metadata: {name: qa, labels: {app: qa}}
spec: {containers: [{name: web, image: csim/echo, ports: [{containerPort: 8080}]}]}
---
apiVersion: v1
kind: Service
metadata: {name: qa}
spec: {selector: {app: qa}, ports: [{port: 80, targetPort: 8080}]}
)";

constexpr const char* kIngress = R"(apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: web}
spec:
  rules:
  - http:
      paths:
      - {path: /qa, pathType: Exact, backend: {service: {name: qa, port: {number: 80}}}}
)";

class CheckTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (std::filesystem::temp_directory_path() / "csim-check-XXXXXX").string();
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    std::ofstream(dir_ + "/backends.yaml") << kBackends;
    std::ofstream(dir_ + "/ingress.yaml") << kIngress;
    std::string other = kIngress;
    other.replace(other.find("name: web"), 9, "name: two");
    std::ofstream(dir_ + "/second.yaml") << other;
    std::ofstream(dir_ + "/orphan.yaml") << R"(apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: orphan}
spec:
  defaultBackend: {service: {name: nobody, port: {number: 80}}}
)";
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string file() const { return dir_ + "/s.yaml"; }
  std::string at(int line) const { return file() + ":" + std::to_string(line) + ": "; }

  // The dry run's message ("" when it passes); the scenario must parse.
  std::string check(const std::string& text) {
    auto s = parse_scenario_text(text, file());
    EXPECT_TRUE(s.is_ok()) << s.status().message();
    if (!s.is_ok()) return "parse error";
    auto st = check_scenario(*s);
    return st.is_ok() ? "" : st.message();
  }

  std::string dir_;
};

TEST_F(CheckTest, AValidScenarioPasses) {
  EXPECT_EQ(check(R"(apply: [{file: backends.yaml}, {file: ingress.yaml}]
expect:
  - request: {path: /qa}
    response: {service: qa}
steps:
  - delete: [{kind: Ingress, name: web}]
  - expect:
      - request: {ingress: web}
        response: {unreachable: true}
      - request: {}
        response: {unreachable: true}
)"),
            "");
}

TEST_F(CheckTest, ObjectsInTheScenarioNamespaceAndExplicitOnes) {
  // A Namespace of its own and an Ingress in it; the request names it.
  EXPECT_EQ(check(R"(apply:
  - manifest: {apiVersion: v1, kind: Namespace, metadata: {name: other}}
  - manifest:
      apiVersion: v1
      kind: Service
      metadata: {name: qa, namespace: other}
      spec: {selector: {app: qa}, ports: [{port: 80}]}
  - manifest:
      apiVersion: networking.k8s.io/v1
      kind: Ingress
      metadata: {name: x, namespace: other}
      spec: {defaultBackend: {service: {name: qa, port: {number: 80}}}}
expect:
  - request: {ingress: x}
    response: {service: qa}
)"),
            "");
}

TEST_F(CheckTest, AnInlineManifestTheApiserverRefusesPointsAtItsLine) {
  std::string message = check(R"(apply:
  - file: backends.yaml
  - manifest:
      apiVersion: networking.k8s.io/v1
      kind: Ingress
      metadata: {name: web}
      spec:
        rules:
        - http:
            paths:
            - {path: qa, pathType: Exact, backend: {service: {name: qa, port: {number: 80}}}}
expect:
  - request: {path: /qa}
    response: {service: qa}
)");
  EXPECT_THAT(message, HasSubstr(at(11) + "spec.rules[0].http.paths[0].path"));
}

TEST_F(CheckTest, AFileTheApiserverRefusesIsNamedWithTheStep) {
  std::string message = check(R"(apply:
  - file: orphan.yaml
expect:
  - request: {path: /}
    response: {status: 503}
)");
  EXPECT_THAT(message, HasSubstr(at(1) + "apply: " + dir_ + "/orphan.yaml:5"));
  EXPECT_THAT(message, HasSubstr("nobody"));
}

TEST_F(CheckTest, TheExpectedServiceMustExist) {
  EXPECT_THAT(check(R"(apply: [{file: backends.yaml}, {file: ingress.yaml}]
expect:
  - request: {path: /qa}
    response: {service: qa-webserver}
)"),
              HasSubstr(at(3) + "expect[0].response.service: no Service \"qa-webserver\" in namespace test-s at this point (it has qa)"));
}

TEST_F(CheckTest, TheIngressMustBeKnown) {
  EXPECT_THAT(check(R"(apply: [{file: backends.yaml}]
expect:
  - request: {path: /qa}
    response: {status: 503}
)"),
              HasSubstr(at(3) + "expect[0].request.ingress: the scenario has no Ingress at this point"));
  EXPECT_THAT(check(R"(apply: [{file: backends.yaml}, {file: ingress.yaml}, {file: second.yaml}]
expect:
  - request: {path: /qa}
    response: {status: 503}
  - request: {ingress: two, path: /qa}
    response: {status: 503}
)"),
              HasSubstr(at(3) + "expect[0].request.ingress: the scenario has 2 Ingresses at this point (two, web): name one with request.ingress"));
  EXPECT_THAT(check(R"(apply: [{file: backends.yaml}, {file: ingress.yaml}]
expect:
  - request: {ingress: wbe}
    response: {status: 503}
)"),
              HasSubstr(at(3) + "expect[0].request.ingress: no Ingress \"wbe\" in the scenario (it has web at this point)"));
}

TEST_F(CheckTest, StepsArePlayedInOrder) {
  // The request comes before the Ingress exists.
  EXPECT_THAT(check(R"(apply: [{file: backends.yaml}]
expect:
  - request: {ingress: web}
    response: {status: 503}
steps:
  - apply: [{file: ingress.yaml}]
  - expect:
      - request: {ingress: web, path: /qa}
        response: {service: qa}
)"),
              HasSubstr(at(3) + "expect[0].request.ingress: no Ingress \"web\""));
  // After the Service is deleted, it cannot answer.
  EXPECT_THAT(check(R"(apply: [{file: backends.yaml}, {file: ingress.yaml}]
expect:
  - request: {path: /qa}
    response: {service: qa}
steps:
  - delete: [{kind: Service, name: qa}]
  - expect:
      - request: {path: /qa}
        response: {service: qa}
)"),
              HasSubstr(at(8) + "steps[1].expect[0].response.service: no Service \"qa\""));
}

}  // namespace
}  // namespace csim::scenario
