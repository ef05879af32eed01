#include "scenario/result.h"

#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace csim::scenario {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

CaseResult passed() {
  CaseResult c;
  c.outcome = CaseResult::Outcome::kPassed;
  c.name = "GET /qa.html → 200 qa-webserver";
  c.where = {"testdata/scenarios/simple-fanout.yaml", 9};
  c.request = "GET http://10.84.59.252/qa.html Host: 10.84.59.252";
  c.expected = "200 qa-webserver";
  c.got = "200 qa-webserver";
  c.pods = "qa-webserver-1, qa-webserver-2";
  c.seconds = 0.0123;
  return c;
}

CaseResult failed() {
  CaseResult c = passed();
  c.outcome = CaseResult::Outcome::kFailed;
  c.name = "GET /dev.html → 200 qa-webserver";
  c.where.line = 12;
  c.request = "GET http://10.84.59.252/dev.html Host: 10.84.59.252";
  c.got = "200 dev-webserver";
  c.pods = "dev-webserver-1";
  c.detail = "answered by pod dev-webserver-1 of dev-webserver, not of qa-webserver";
  return c;
}

CaseResult skipped() {
  CaseResult c;
  c.outcome = CaseResult::Outcome::kSkipped;
  c.name = "GET /x → 503";
  c.where = {"s.yaml", 20};
  c.expected = "503";
  c.detail = "not run: apply file x.yaml failed (s.yaml:3)";
  return c;
}

std::vector<ScenarioResult> sample() {
  ScenarioResult a;
  a.name = "simple-fanout";
  a.file = "testdata/scenarios/simple-fanout.yaml";
  a.semantics = "contrail";
  a.ns = "test-simple-fanout";
  a.cases = {passed(), failed()};
  a.seconds = 2.5;
  ScenarioResult b;
  b.name = "b <&> \"q\"";
  b.file = "s.yaml";
  b.semantics = "kubernetes";
  b.ns = "test-b-q";
  CaseResult step;
  step.outcome = CaseResult::Outcome::kFailed;
  step.name = "apply file x.yaml";
  step.where = {"s.yaml", 3};
  step.detail = "x.yaml:4: spec: bad\x01 value";
  b.cases = {step, skipped()};
  return {a, b};
}

TEST(ResultTest, TotalsAndTheClosingLine) {
  const Totals t = totals(sample());
  EXPECT_EQ(t.passed, 1);
  EXPECT_EQ(t.failed, 2);
  EXPECT_EQ(t.skipped, 1);
  EXPECT_EQ(summary_line(t), "1 passed, 2 failed, 1 skipped");
  EXPECT_EQ(summary_line(Totals{12, 0, 0}), "12 passed, 0 failed");
  EXPECT_EQ(summary_line(totals({})), "0 passed, 0 failed");
}

TEST(ResultTest, CaseLinesShowRequestExpectedGotAndPod) {
  EXPECT_EQ(format_case(passed()),
            "  ok    GET http://10.84.59.252/qa.html Host: 10.84.59.252  expected 200 qa-webserver  got 200 "
            "qa-webserver  pod qa-webserver-1, qa-webserver-2  [testdata/scenarios/simple-fanout.yaml:9]");
  EXPECT_EQ(format_case(failed()),
            "  FAIL  GET http://10.84.59.252/dev.html Host: 10.84.59.252  expected 200 qa-webserver  got 200 "
            "dev-webserver  pod dev-webserver-1  [testdata/scenarios/simple-fanout.yaml:12]\n"
            "        answered by pod dev-webserver-1 of dev-webserver, not of qa-webserver");
  EXPECT_EQ(format_case(skipped()),
            "  skip  GET /x → 503  expected 503  [s.yaml:20]\n        not run: apply file x.yaml failed (s.yaml:3)");
  EXPECT_EQ(format_scenario_header(sample()[0]),
            "scenario simple-fanout (testdata/scenarios/simple-fanout.yaml, contrail, namespace test-simple-fanout)");
}

TEST(ResultTest, XmlEscape) {
  EXPECT_EQ(xml_escape("a<b>&\"c\"'d'"), "a&lt;b&gt;&amp;&quot;c&quot;&apos;d&apos;");
  EXPECT_EQ(xml_escape("tab\tnl\nbell\x07"), "tab\tnl\nbell\xEF\xBF\xBD");
  EXPECT_EQ(xml_escape("→ ok"), "→ ok");
}

TEST(ResultTest, JunitHasOneSuitePerScenarioAndOneCasePerExpectation) {
  const std::string xml = junit_xml(sample());
  EXPECT_EQ(xml.rfind("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"csim test\" tests=\"4\" "
                      "failures=\"2\" errors=\"0\" skipped=\"1\" time=\"2.500\">\n",
                      0),
            0u)
      << xml;
  EXPECT_THAT(xml, HasSubstr("<testsuite name=\"simple-fanout\" tests=\"2\" failures=\"1\" errors=\"0\" skipped=\"0\" "
                             "time=\"2.500\" file=\"testdata/scenarios/simple-fanout.yaml\">"));
  EXPECT_THAT(xml, HasSubstr("<property name=\"semantics\" value=\"contrail\"/>"));
  EXPECT_THAT(xml, HasSubstr("<testcase name=\"GET /qa.html → 200 qa-webserver\" classname=\"simple-fanout\" "
                             "file=\"testdata/scenarios/simple-fanout.yaml\" line=\"9\" time=\"0.012\">\n"
                             "      <system-out>"));
  EXPECT_THAT(xml, HasSubstr("<failure message=\"expected 200 qa-webserver, got 200 dev-webserver\" type=\"wrong "
                             "answer\">request: GET http://10.84.59.252/dev.html Host: 10.84.59.252\nexpected: 200 "
                             "qa-webserver\ngot: 200 dev-webserver\nanswered by: dev-webserver-1\nanswered by pod"));
  // Names are escaped; a failed step is a failure with its message; skipped cases say why.
  EXPECT_THAT(xml, HasSubstr("<testsuite name=\"b &lt;&amp;&gt; &quot;q&quot;\" tests=\"2\" failures=\"1\" errors=\"0\" "
                             "skipped=\"1\""));
  EXPECT_THAT(xml, HasSubstr("<failure message=\"x.yaml:4: spec: bad\xEF\xBF\xBD value\" type=\"step failed\">"));
  EXPECT_THAT(xml, HasSubstr("<skipped message=\"not run: apply file x.yaml failed (s.yaml:3)\"/>"));
  EXPECT_THAT(xml, Not(HasSubstr("\x01")));
  // Balanced: every suite and case is closed.
  auto count = [&](const std::string& s) {
    size_t n = 0;
    for (size_t p = xml.find(s); p != std::string::npos; p = xml.find(s, p + 1)) ++n;
    return n;
  };
  EXPECT_EQ(count("<testsuite "), 2u);
  EXPECT_EQ(count("</testsuite>"), 2u);
  EXPECT_EQ(count("<testcase "), 4u);
  EXPECT_EQ(count("</testcase>") + count("\"/>\n    <testcase") + count("\"/>\n  </testsuite>"), 4u);
  EXPECT_EQ(xml.substr(xml.size() - 14), "</testsuites>\n");
}

TEST(ResultTest, WriteJunit) {
  std::string dir = (std::filesystem::temp_directory_path() / "csim-junit-XXXXXX").string();
  ASSERT_NE(mkdtemp(dir.data()), nullptr);
  const std::string path = dir + "/report.xml";
  ASSERT_TRUE(write_junit(path, sample()).is_ok());
  std::stringstream text;
  text << std::ifstream(path).rdbuf();
  EXPECT_EQ(text.str(), junit_xml(sample()));
  auto st = write_junit(dir + "/missing/report.xml", sample());
  EXPECT_FALSE(st.is_ok());
  EXPECT_THAT(st.message(), HasSubstr(dir + "/missing/report.xml"));
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace csim::scenario
