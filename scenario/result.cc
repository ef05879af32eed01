#include "scenario/result.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>

namespace csim::scenario {
namespace {

std::string seconds_text(double s) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3f", s < 0 ? 0.0 : s);
  return buf;
}

const char* outcome_word(CaseResult::Outcome o) {
  switch (o) {
    case CaseResult::Outcome::kPassed: return "ok  ";
    case CaseResult::Outcome::kFailed: return "FAIL";
    case CaseResult::Outcome::kSkipped: return "skip";
  }
  return "?";
}

}  // namespace

Totals totals(const std::vector<ScenarioResult>& results) {
  Totals t;
  for (const auto& r : results)
    for (const auto& c : r.cases) {
      if (c.outcome == CaseResult::Outcome::kPassed) ++t.passed;
      if (c.outcome == CaseResult::Outcome::kFailed) ++t.failed;
      if (c.outcome == CaseResult::Outcome::kSkipped) ++t.skipped;
    }
  return t;
}

std::string summary_line(const Totals& t) {
  std::string out = std::to_string(t.passed) + " passed, " + std::to_string(t.failed) + " failed";
  if (t.skipped > 0) out += ", " + std::to_string(t.skipped) + " skipped";
  return out;
}

std::string format_scenario_header(const ScenarioResult& r) {
  return "scenario " + r.name + " (" + r.file + ", " + r.semantics + ", namespace " + r.ns + ")";
}

std::string format_case(const CaseResult& c) {
  std::string out = std::string("  ") + outcome_word(c.outcome) + "  ";
  out += c.request.empty() ? c.name : c.request;
  if (!c.expected.empty()) out += "  expected " + c.expected;
  if (!c.got.empty()) out += "  got " + c.got;
  if (!c.pods.empty()) out += "  pod " + c.pods;
  out += "  [" + c.where.str() + "]";
  if (!c.detail.empty()) out += "\n        " + c.detail;
  return out;
}

std::string xml_escape(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (char ch : text) {
    const unsigned char c = static_cast<unsigned char>(ch);
    switch (ch) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      default:
        if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7f)
          out += "\xEF\xBF\xBD";
        else
          out += ch;
    }
  }
  return out;
}

std::string junit_xml(const std::vector<ScenarioResult>& results) {
  const Totals all = totals(results);
  double seconds = 0;
  for (const auto& r : results) seconds += r.seconds;
  std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  out += "<testsuites name=\"csim test\" tests=\"" + std::to_string(all.passed + all.failed + all.skipped) +
         "\" failures=\"" + std::to_string(all.failed) + "\" errors=\"0\" skipped=\"" + std::to_string(all.skipped) +
         "\" time=\"" + seconds_text(seconds) + "\">\n";
  for (const auto& r : results) {
    const Totals t = totals({r});
    out += "  <testsuite name=\"" + xml_escape(r.name) + "\" tests=\"" + std::to_string(t.passed + t.failed + t.skipped) +
           "\" failures=\"" + std::to_string(t.failed) + "\" errors=\"0\" skipped=\"" + std::to_string(t.skipped) +
           "\" time=\"" + seconds_text(r.seconds) + "\" file=\"" + xml_escape(r.file) + "\">\n";
    out += "    <properties>\n";
    out += "      <property name=\"file\" value=\"" + xml_escape(r.file) + "\"/>\n";
    out += "      <property name=\"semantics\" value=\"" + xml_escape(r.semantics) + "\"/>\n";
    out += "      <property name=\"namespace\" value=\"" + xml_escape(r.ns) + "\"/>\n";
    out += "    </properties>\n";
    for (const auto& c : r.cases) {
      out += "    <testcase name=\"" + xml_escape(c.name) + "\" classname=\"" + xml_escape(r.name) + "\" file=\"" +
             xml_escape(c.where.file) + "\" line=\"" + std::to_string(c.where.line) + "\" time=\"" +
             seconds_text(c.seconds) + "\"";
      std::string body;
      std::string text = c.request.empty() ? "" : "request: " + c.request + "\n";
      if (!c.expected.empty()) text += "expected: " + c.expected + "\n";
      if (!c.got.empty()) text += "got: " + c.got + "\n";
      if (!c.pods.empty()) text += "answered by: " + c.pods + "\n";
      if (!c.detail.empty()) text += c.detail + "\n";
      if (c.outcome == CaseResult::Outcome::kFailed) {
        const std::string message = c.got.empty() ? c.detail : "expected " + c.expected + ", got " + c.got;
        body = "      <failure message=\"" + xml_escape(message) + "\" type=\"" +
               (c.request.empty() ? "step failed" : "wrong answer") + "\">" + xml_escape(text) + "</failure>\n";
      } else if (c.outcome == CaseResult::Outcome::kSkipped) {
        body = "      <skipped message=\"" + xml_escape(c.detail) + "\"/>\n";
      } else if (!text.empty()) {
        body = "      <system-out>" + xml_escape(text) + "</system-out>\n";
      }
      out += body.empty() ? "/>\n" : ">\n" + body + "    </testcase>\n";
    }
    out += "  </testsuite>\n";
  }
  out += "</testsuites>\n";
  return out;
}

core::Status write_junit(const std::string& path, const std::vector<ScenarioResult>& results) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) return core::unavailable("cannot write the JUnit report " + path + ": " + std::strerror(errno));
  out << junit_xml(results);
  out.close();
  if (!out) return core::unavailable("cannot write the JUnit report " + path + ": " + std::strerror(errno));
  return core::Status::ok();
}

}  // namespace csim::scenario
