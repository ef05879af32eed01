// What `csim test` found, and how it is written: one text line per case, the closing
// "N passed, N failed" line, and JUnit XML (one <testsuite> per scenario, one <testcase>
// per expectation, plus one for a step or cluster start that failed).
// Pure functions; thread-safe.
#pragma once

#include <string>
#include <vector>

#include "core/status.h"
#include "scenario/scenario.h"

namespace csim::scenario {

struct CaseResult {
  enum class Outcome { kPassed, kFailed, kSkipped };
  Outcome outcome = Outcome::kFailed;
  std::string name;      // "GET foo.bar.com/qa.html → 200 qa-webserver" or "apply file ../x.yaml"
  Location where;
  std::string request;   // "GET http://10.84.59.252/qa.html Host: foo.bar.com" ("" for a step)
  std::string expected;  // "200 qa-webserver"
  std::string got;       // "200 dev-webserver", "503", "no answer (connect ...: refused)"
  std::string pods;      // the answering pods, "qa-webserver-1, qa-webserver-2" ("" = none)
  std::string detail;    // why it failed or was skipped; notes ("after 3 tries")
  double seconds = 0;
};

struct ScenarioResult {
  std::string name;
  std::string file;
  std::string semantics;  // "contrail" / "kubernetes"
  std::string ns;         // the Kubernetes namespace it ran in
  std::vector<CaseResult> cases;
  double seconds = 0;
};

struct Totals {
  int passed = 0, failed = 0, skipped = 0;
};
Totals totals(const std::vector<ScenarioResult>& results);

// "12 passed, 0 failed" (", 3 skipped" when some were).
std::string summary_line(const Totals& totals);

// "scenario simple-fanout (testdata/scenarios/simple-fanout.yaml, contrail, namespace test-simple-fanout)"
std::string format_scenario_header(const ScenarioResult& result);

// One case, two lines for a failure:
//   "  ok    GET http://10.84.59.252/qa.html Host: foo.bar.com  expected 200 qa-webserver  got 200 qa-webserver  pod qa-1  [x.yaml:9]"
//   "  FAIL  ...\n        <detail>"
std::string format_case(const CaseResult& c);

// The JUnit XML document (testsuites > testsuite > testcase, failure / skipped).
std::string junit_xml(const std::vector<ScenarioResult>& results);

// Writes junit_xml() to `path`; kUnavailable naming the path when it cannot.
core::Status write_junit(const std::string& path, const std::vector<ScenarioResult>& results);

// XML text escaping (&, <, >, ", '; characters XML 1.0 forbids become U+FFFD).
std::string xml_escape(const std::string& text);

}  // namespace csim::scenario
