// The `csim` binary as a user runs it: `csim demo` end to end, and bad input refused with
// a message that names the file, the line and the field, changing nothing.
#include <filesystem>

#include <gtest/gtest.h>

#include "agent/process.h"

namespace csim::e2e {
namespace {

const char* kCsim = "cli/csim";  // runfiles path of //cli:csim

agent::CommandOutput run(std::vector<std::string> argv) {
  argv.insert(argv.begin(), std::filesystem::absolute(kCsim).string());
  auto out = agent::run_command({argv}, "", std::chrono::seconds(120));
  EXPECT_TRUE(out.is_ok()) << out.status().message();
  return out.is_ok() ? *out : agent::CommandOutput{};
}

TEST(CsimDemoTest, SimpleFanoutRoutesEveryRequestAndPrintsConfigAndTrace) {
  auto out = run({"demo", "testdata/simple-fanout.yaml"});
  EXPECT_EQ(out.status.code, 0) << out.out << out.err;
  // Hops as they happen, each request checked, both haproxy texts, the trace to haproxy.
  EXPECT_NE(out.out.find("kube.watch.ingress  ADDED ingress default/simple-fanout"), std::string::npos);
  EXPECT_NE(out.out.find("GET http://10.84.59.252/qa.html"), std::string::npos) << out.out;
  EXPECT_NE(out.out.find("expected qa-webserver"), std::string::npos);
  EXPECT_NE(out.out.find("answered by qa-webserver-"), std::string::npos);
  EXPECT_NE(out.out.find("answered by dev-webserver-"), std::string::npos);
  EXPECT_NE(out.out.find("\tacl "), std::string::npos);
  EXPECT_NE(out.out.find(" path /qa.html\n"), std::string::npos);
  EXPECT_NE(out.out.find("adaptations"), std::string::npos);
  EXPECT_NE(out.out.find("] haproxy pid "), std::string::npos);
  EXPECT_NE(out.out.find(" serving 10.47.255."), std::string::npos);
  EXPECT_NE(out.out.find("0 wrong"), std::string::npos);
}

struct BadFile {
  const char* file;
  std::vector<std::string> must_say;  // every one of these in stderr
};

void PrintTo(const BadFile& bad, std::ostream* os) { *os << bad.file; }

class BadInputTest : public ::testing::TestWithParam<BadFile> {};

TEST_P(BadInputTest, DemoRefusesWithFileLineAndField) {
  const BadFile& bad = GetParam();
  auto out = run({"demo", "--quiet", bad.file});
  EXPECT_EQ(out.status.code, 1) << out.out << out.err;
  for (const auto& s : bad.must_say) EXPECT_NE(out.err.find(s), std::string::npos) << "stderr: " << out.err;
  // Refused before anything ran: no haproxy, no request.
  EXPECT_EQ(out.out.find("haproxy pid"), std::string::npos) << out.out;
}

INSTANTIATE_TEST_SUITE_P(
    Bad, BadInputTest,
    ::testing::Values(
        BadFile{"testdata/bad/path-with-space.yaml",
                {"testdata/bad/path-with-space.yaml:10", "spec.rules[0].http.paths[0].path"}},
        BadFile{"testdata/bad/missing-service.yaml",
                {"testdata/bad/missing-service.yaml:", "no-such-service"}},
        BadFile{"testdata/bad/unknown-kind.yaml", {"testdata/bad/unknown-kind.yaml:2: kind", "HTTPRoute"}},
        BadFile{"testdata/bad/malformed.yaml", {"testdata/bad/malformed.yaml:"}},
        BadFile{"testdata/bad/illegal-host.yaml",
                {"testdata/bad/illegal-host.yaml:", "metadata.name", "spec.rules[0].host"}}),
    [](const auto& info) {
      std::string n = std::filesystem::path(info.param.file).stem();
      for (char& c : n)
        if (c == '-') c = '_';
      return n;
    });

TEST(CsimTest, UnknownCommandAndMissingFileAreUsageErrors) {
  EXPECT_EQ(run({"frobnicate"}).status.code, 2);
  auto out = run({"demo", "testdata/no-such-file.yaml"});
  EXPECT_EQ(out.status.code, 2);
  EXPECT_NE(out.err.find("testdata/no-such-file.yaml"), std::string::npos) << out.err;
}

}  // namespace
}  // namespace csim::e2e
