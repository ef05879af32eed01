#include "semantics/lint_command.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

namespace csim::semantics {
namespace {

using nlohmann::json;

const std::string kData = "semantics/testdata/";

struct LintRun {
  int code;
  std::string out;
  std::string err;
};

LintRun lint(std::vector<std::string> args) {
  std::ostringstream out, err;
  int code = run_lint(args, out, err);
  return {code, out.str(), err.str()};
}

std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

// Writes `text` to a file under the test's temporary directory; returns its path.
std::string write_temp(const std::string& name, const std::string& text) {
  const char* dir = std::getenv("TEST_TMPDIR");
  std::string path = std::string(dir ? dir : "/tmp") + "/" + name;
  std::ofstream(path) << text;
  return path;
}

TEST(LintCommand, ExitZeroWhenNothingDiffers) {
  LintRun r = lint({kData + "portable.yaml"});
  EXPECT_EQ(r.code, 0);
  EXPECT_EQ(r.out, "csim lint: 1 Ingress, 0 errors, 0 differences, 0 warnings\n");
  EXPECT_EQ(r.err, "");
}

TEST(LintCommand, SeedsThatOnlyWarnExitZero) {
  LintRun r = lint({kData + "simple-fanout.yaml", kData + "single-service.yaml"});
  EXPECT_EQ(r.code, 0) << r.out << r.err;
  auto l = lines(r.out);
  ASSERT_EQ(l.size(), 3u) << r.out;
  // The line of the field in the v1beta1 file: the Ingress's spec, the first path.
  EXPECT_EQ(l[0].rfind(kData + "simple-fanout.yaml:7: warning: default/simple-fanout: spec: ", 0), 0u)
      << l[0];
  EXPECT_EQ(l[1].rfind(kData + "simple-fanout.yaml:11: warning: default/simple-fanout: "
                               "spec.rules[0].http.paths[0].pathType: pathType ImplementationSpecific",
                       0),
            0u)
      << l[1];
  EXPECT_EQ(l[2], "csim lint: 2 Ingresses, 0 errors, 0 differences, 2 warnings");
}

TEST(LintCommand, ExitOneOnDifferences) {
  LintRun r = lint({kData + "virtual-host.yaml"});
  EXPECT_EQ(r.code, 1);
  auto l = lines(r.out);
  ASSERT_EQ(l.size(), 4u) << r.out;
  EXPECT_EQ(l[0].rfind(kData + "virtual-host.yaml:9: difference: default/virtual-host: "
                               "spec.rules[0].host: a Host header with a port (\"foo.bar.com:80\") "
                               "will not match host foo.bar.com on Contrail",
                       0),
            0u)
      << l[0];
  EXPECT_EQ(l[1].rfind(kData + "virtual-host.yaml:15: difference:", 0), 0u) << l[1];
  EXPECT_EQ(l[3], "csim lint: 1 Ingress, 0 errors, 2 differences, 1 warning");
}

TEST(LintCommand, ExitOneOnErrors) {
  LintRun r = lint({kData + "mistakes.yaml"});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.out.find(kData + "mistakes.yaml:18: error: default/mistakes: "
                               "spec.rules[0].http.paths[0].backend.service.name: Service \"missing\""),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find(kData + "mistakes.yaml:35: error: default/mistakes: spec.rules[0].http.paths[3]: duplicate"),
            std::string::npos);
  EXPECT_NE(r.out.find(kData + "mistakes.yaml:8: warning: default/mistakes: "
                               "metadata.annotations[kubernetes.io/ingress.class]"),
            std::string::npos);
  EXPECT_NE(r.out.find("csim lint: 1 Ingress, 3 errors, 1 difference, 3 warnings\n"), std::string::npos);
}

TEST(LintCommand, JsonOutput) {
  LintRun r = lint({"--format", "json", kData + "quirks.yaml"});
  EXPECT_EQ(r.code, 1);
  json findings = json::parse(r.out);
  ASSERT_TRUE(findings.is_array());
  ASSERT_EQ(findings.size(), 6u) << r.out;
  std::vector<std::string> got;
  for (const auto& f : findings) {
    for (const char* key : {"file", "line", "severity", "ingress", "field", "message", "example",
                            "contrail", "kubernetes", "requests"})
      EXPECT_TRUE(f.contains(key)) << key;
    EXPECT_EQ(f["file"], kData + "quirks.yaml");
    EXPECT_EQ(f["ingress"], "shop/quirks");
    got.push_back(f["severity"].get<std::string>() + " " + f["field"].get<std::string>() + " " +
                  std::to_string(f["line"].get<int>()));
  }
  EXPECT_EQ(got, (std::vector<std::string>{
                     "difference spec.rules[0].host 9",
                     "difference spec.rules[1].host 19",
                     "difference spec.rules[1].http.paths[0] 22",
                     "difference spec.rules[2].http.paths[0] 38",
                     "difference spec.rules[2].http.paths[0] 38",
                     "warning spec 7",
                 }));
  EXPECT_EQ(findings[0]["example"], json::parse(R"({"host": "csim-probe.foo.com", "path": "/"})"));
  EXPECT_EQ(findings[2]["example"], json::parse(R"({"host": "api.example.com", "path": "/v1/x"})"));
  EXPECT_EQ(findings[2]["contrail"], "503 (no rule matches, no default backend)");
  EXPECT_EQ(findings[2]["message"],
            "Prefix /v1: on Contrail only /v1 matches, not /v1/ nor /v1/x (Contrail ignores "
            "pathType: every path is an exact match)");
  // --format=json is the same; an empty result is an empty array.
  LintRun eq = lint({"--format=json", kData + "quirks.yaml"});
  EXPECT_EQ(eq.out, r.out);
  LintRun empty = lint({"--format", "json", kData + "portable.yaml"});
  EXPECT_EQ(empty.code, 0);
  EXPECT_EQ(json::parse(empty.out), json::array());
}

TEST(LintCommand, ServicesMayComeFromAnotherFile) {
  const std::string ingress = write_temp("ingress.yaml", R"(apiVersion: extensions/v1beta1
kind: Ingress
metadata:
  name: split
spec:
  backend:
    serviceName: web
    servicePort: 80
  rules:
  - http:
      paths:
      - path: /a
        backend:
          serviceName: web
          servicePort: 8080
)");
  const std::string svc = write_temp("service.yaml", R"(apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  ports:
  - port: 80
)");
  LintRun alone = lint({ingress});
  EXPECT_EQ(alone.code, 1);
  // spec.backend.serviceName of the v1beta1 file: line 7, although the finding speaks of spec.defaultBackend.
  EXPECT_NE(alone.out.find(ingress + ":7: error: default/split: spec.defaultBackend.service.name: "),
            std::string::npos)
      << alone.out;
  LintRun both = lint({ingress, svc});
  EXPECT_EQ(both.code, 1) << both.out;
  EXPECT_EQ(both.out.find("spec.defaultBackend.service.name"), std::string::npos) << both.out;
  // backend.service.port.number is servicePort in the v1beta1 file: line 15.
  EXPECT_NE(both.out.find(ingress + ":15: error: default/split: "
                                    "spec.rules[0].http.paths[0].backend.service.port.number: "
                                    "Service \"web\" has no port 8080 (its ports: 80)"),
            std::string::npos)
      << both.out;
}

TEST(LintCommand, UnsupportedApiVersionIsAnError) {
  const std::string path = write_temp("v2.yaml", R"(apiVersion: networking.k8s.io/v2
kind: Ingress
metadata:
  name: future
spec: {}
)");
  LintRun r = lint({path});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.out.find(path + ":1: error: default/future: apiVersion: apiVersion: Ingress apiVersion"),
            std::string::npos)
      << r.out;
}

TEST(LintCommand, ExitTwoOnUnreadableInput) {
  LintRun r = lint({kData + "unparsable.yaml"});
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.err.rfind("csim lint: " + kData + "unparsable.yaml:7: invalid YAML: ", 0), 0u) << r.err;

  LintRun missing = lint({kData + "no-such-file.yaml", kData + "virtual-host.yaml"});
  EXPECT_EQ(missing.code, 2);
  EXPECT_NE(missing.err.find("no-such-file.yaml"), std::string::npos) << missing.err;
  // The readable file is still linted.
  EXPECT_NE(missing.out.find("virtual-host.yaml:9: difference:"), std::string::npos);
}

TEST(LintCommand, UsageErrors) {
  EXPECT_EQ(lint({}).code, 2);
  LintRun bad = lint({"--format", "xml", kData + "portable.yaml"});
  EXPECT_EQ(bad.code, 2);
  EXPECT_NE(bad.err.find("--format must be text or json"), std::string::npos);
  EXPECT_EQ(lint({"--format"}).code, 2);
  LintRun unknown = lint({"--strict", kData + "portable.yaml"});
  EXPECT_EQ(unknown.code, 2);
  EXPECT_NE(unknown.err.find("unknown option --strict"), std::string::npos);
  LintRun help = lint({"--help"});
  EXPECT_EQ(help.code, 0);
  EXPECT_EQ(help.out, kLintUsage);
}

TEST(LintCommand, NoIngressSaysSo) {
  const std::string path = write_temp("svc-only.yaml", "apiVersion: v1\nkind: Service\nmetadata:\n  name: s\n");
  LintRun r = lint({path});
  EXPECT_EQ(r.code, 0);
  EXPECT_EQ(r.err, "csim lint: no Ingress in the files given\n");
}

TEST(LintCommand, ArgvEntryPointSkipsTheCommandName) {
  std::string prog = "csim", cmd = "lint", file = kData + "portable.yaml", bogus = "--bogus";
  char* with_command[] = {prog.data(), cmd.data(), file.data()};
  EXPECT_EQ(run_lint(3, with_command), 0);
  char* without_command[] = {prog.data(), file.data()};
  EXPECT_EQ(run_lint(2, without_command), 0);
  char* bad[] = {prog.data(), cmd.data(), bogus.data()};
  EXPECT_EQ(run_lint(3, bad), 2);
}

}  // namespace
}  // namespace csim::semantics
