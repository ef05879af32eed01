// End to end: `csim test` (scenario/test_command.h) runs the shipped scenarios (contrail
// and kubernetes semantics) through the real runner — real clusters, real haproxy, real
// HTTP — inside csim's sandbox (agent/test_main.cc; this binary also serves as the pods'
// echo server); a deliberately wrong scenario fails, naming its case; a failed step
// skips what follows; a malformed scenario is refused before anything starts.
#include <stdlib.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <iostream>

#include "scenario/parser.h"
#include "scenario/test_command.h"

namespace csim::e2e {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

const std::vector<std::string> kContrailScenarios = {
    "testdata/scenarios/simple-fanout.yaml",     "testdata/scenarios/single-service.yaml",
    "testdata/scenarios/virtual-host.yaml",      "testdata/scenarios/simple-fanout-external-ip.yaml",
    "testdata/scenarios/contrail-path-table.yaml",
};

struct CommandRun {
  int code = -1;
  std::string out, err;
};

CommandRun run_test_command(std::vector<std::string> args) {
  args.insert(args.begin(), "test");
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::ostringstream out, err;
  CommandRun r;
  r.code = scenario::run_scenario_command(static_cast<int>(args.size()), argv.data(), out, err);
  r.out = out.str();
  r.err = err.str();
  return r;
}

std::string temp_dir() {
  const char* base = getenv("TEST_TMPDIR");
  std::string tmpl = std::string(base ? base : "/tmp") + "/csim-scenario-e2e-XXXXXX";
  if (!mkdtemp(tmpl.data())) return "";
  return tmpl;
}

// The last line of the output.
std::string last_line(const std::string& out) {
  std::string s = out;
  while (!s.empty() && s.back() == '\n') s.pop_back();
  return s.substr(s.rfind('\n') + 1);
}

TEST(ScenarioE2eTest, TheContrailScenariosPass) {
  size_t expectations = 0;
  for (const auto& f : kContrailScenarios) {
    auto s = scenario::parse_scenario_file(f);
    ASSERT_TRUE(s.is_ok()) << s.status().message();
    expectations += s->expectation_count();
  }
  const std::string dir = temp_dir();
  ASSERT_FALSE(dir.empty());
  std::vector<std::string> args = {"--junit", dir + "/report.xml"};
  args.insert(args.end(), kContrailScenarios.begin(), kContrailScenarios.end());
  CommandRun r = run_test_command(args);
  std::cout << r.out << r.err;
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(last_line(r.out), std::to_string(expectations) + " passed, 0 failed");
  EXPECT_THAT(r.out, Not(HasSubstr("FAIL")));
  // Every case is shown with its request, expectation, answer and pod.
  EXPECT_THAT(r.out, HasSubstr("  ok    GET http://10.84.59.22/qa.html Host: 10.84.59.22  expected 200 qa-webserver  "
                               "got 200 qa-webserver  pod qa-webserver-"));
  EXPECT_THAT(r.out, HasSubstr("expected 503  got 503  [testdata/scenarios/contrail-path-table.yaml:"));
  EXPECT_THAT(r.out, HasSubstr("expected no answer  got no answer ("));

  std::stringstream xml;
  xml << std::ifstream(dir + "/report.xml").rdbuf();
  EXPECT_THAT(xml.str(), HasSubstr("<testsuites name=\"csim test\" tests=\"" + std::to_string(expectations) +
                                   "\" failures=\"0\" errors=\"0\" skipped=\"0\""));
  EXPECT_THAT(xml.str(), HasSubstr("<testsuite name=\"contrail-path-table\""));
  std::filesystem::remove_all(dir);
}

// The kubernetes-semantics scenarios: the Ingress API's rules, rendered by svc-monitor
// (ClusterOptions::semantics), through real haproxy.
TEST(ScenarioE2eTest, TheKubernetesScenariosPass) {
  std::vector<std::string> files;
  size_t expectations = 0;
  for (const auto& e : std::filesystem::directory_iterator("testdata/scenarios")) {
    const std::string name = e.path().filename().string();
    if (name.rfind("kubernetes-", 0) != 0 || e.path().extension() != ".yaml") continue;
    files.push_back(e.path().string());
  }
  std::sort(files.begin(), files.end());
  ASSERT_EQ(files.size(), 5u);
  for (const auto& f : files) {
    auto s = scenario::parse_scenario_file(f);
    ASSERT_TRUE(s.is_ok()) << s.status().message();
    expectations += s->expectation_count();
  }
  CommandRun r = run_test_command(files);
  std::cout << r.out << r.err;
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(last_line(r.out), std::to_string(expectations) + " passed, 0 failed");
  EXPECT_THAT(r.out, HasSubstr("expected 404  got 404  [testdata/scenarios/kubernetes-path-table.yaml:"));
}

TEST(ScenarioE2eTest, AWrongExpectationFailsAndIsNamed) {
  const std::string dir = temp_dir();
  ASSERT_FALSE(dir.empty());
  const std::string manifests = std::filesystem::absolute("testdata/simple-fanout.yaml").string();
  const std::string file = dir + "/wrong.yaml";
  std::ofstream(file) << "name: wrong\napply:\n  - file: " << manifests << R"(
expect:
  - request: {path: /qa.html}
    response: {service: qa-webserver}
  - request: {path: /dev.html}
    response: {service: qa-webserver}
)";
  CommandRun r = run_test_command({file});
  std::cout << r.out << r.err;
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(last_line(r.out), "1 passed, 1 failed");
  std::smatch m;
  ASSERT_TRUE(std::regex_search(r.out, m, std::regex("  FAIL  GET http://[0-9.]+/dev.html [^\n]*")));
  EXPECT_THAT(m.str(), HasSubstr("expected 200 qa-webserver  got 200 dev-webserver  pod dev-webserver-"));
  EXPECT_THAT(m.str(), HasSubstr("[" + file + ":7]"));
  EXPECT_THAT(r.out, HasSubstr("of dev-webserver, not of qa-webserver"));
  std::filesystem::remove_all(dir);
}

TEST(ScenarioE2eTest, AFailedStepFailsAndSkipsWhatFollows) {
  const std::string dir = temp_dir();
  ASSERT_FALSE(dir.empty());
  const std::string manifests = std::filesystem::absolute("testdata/simple-fanout.yaml").string();
  const std::string file = dir + "/step.yaml";
  // The dry run cannot know the pod does not exist (controllers make pods); the run can.
  std::ofstream(file) << "apply:\n  - file: " << manifests << R"(
expect:
  - request: {path: /qa.html}
    response: {service: qa-webserver}
steps:
  - delete: [{kind: Pod, name: no-such-pod}]
  - expect:
      - request: {path: /dev.html}
        response: {service: dev-webserver}
)";
  const std::string junit = dir + "/junit.xml";
  CommandRun r = run_test_command({"--junit", junit, file});
  std::cout << r.out << r.err;
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(last_line(r.out), "1 passed, 1 failed, 1 skipped");
  EXPECT_THAT(r.out, HasSubstr("  FAIL  delete Pod/no-such-pod  [" + file + ":7]\n        " + file + ":7: "));
  EXPECT_THAT(r.out, HasSubstr("  skip  GET /dev.html → 200 dev-webserver  expected 200 dev-webserver  [" + file +
                               ":9]\n        not run: delete Pod/no-such-pod failed (" + file + ":7)"));
  std::stringstream xml;
  xml << std::ifstream(junit).rdbuf();
  EXPECT_THAT(xml.str(), HasSubstr("tests=\"3\" failures=\"1\" errors=\"0\" skipped=\"1\""));
  EXPECT_THAT(xml.str(), HasSubstr("type=\"step failed\""));
  std::filesystem::remove_all(dir);
}

TEST(ScenarioE2eTest, AMalformedScenarioStopsBeforeAnythingRuns) {
  const std::string dir = temp_dir();
  ASSERT_FALSE(dir.empty());
  const std::string file = dir + "/bad.yaml";
  std::ofstream(file) << "name: bad\nexpect:\n  - request: {path: qa.html}\n    response: {status: 200}\n";
  CommandRun r = run_test_command({file});
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.err, HasSubstr(file + ":3: expect[0].request.path: must start with '/'"));
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(run_test_command({}).code, 2);
  EXPECT_EQ(run_test_command({"--semantics", "nginx", file}).code, 2);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace csim::e2e
