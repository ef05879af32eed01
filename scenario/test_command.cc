#include "scenario/test_command.h"

#include <limits.h>
#include <unistd.h>

#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include "agent/sandbox.h"
#include "scenario/check.h"
#include "scenario/parser.h"
#include "scenario/result.h"
#include "scenario/runner.h"

namespace csim::scenario {

const char* const kTestUsage = R"(usage: csim test [--semantics contrail|kubernetes] [--junit FILE] SCENARIO.yaml...
      run declarative end-to-end scenarios (docs/scenarios.md): apply manifests, send
      real requests through haproxy, check which Service's pod answered; prints every
      case and "N passed, N failed"; exit 0 when all passed, 1 on a failure, 2 on a
      malformed scenario
)";

namespace {

std::string self_path() {
  char buf[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) return "/proc/self/exe";
  buf[n] = '\0';
  return buf;
}

}  // namespace

int run_scenario_command(int argc, char** argv) { return run_scenario_command(argc, argv, std::cout, std::cerr); }

int run_scenario_command(int argc, char** argv, std::ostream& out, std::ostream& err) {
  RunOptions options;
  std::string junit;
  std::vector<std::string> files;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto value = [&](const std::string& flag) -> const char* {
      if (i + 1 >= argc) {
        err << "csim test: " << flag << " needs a value\n" << kTestUsage;
        return nullptr;
      }
      return argv[++i];
    };
    if (arg == "--semantics") {
      const char* v = value(arg);
      if (!v) return 2;
      options.semantics = semantics::parse_semantics(v);
      if (!options.semantics) {
        err << "csim test: --semantics must be contrail or kubernetes (got \"" << v << "\")\n";
        return 2;
      }
    } else if (arg == "--junit") {
      const char* v = value(arg);
      if (!v) return 2;
      junit = v;
      if (junit.empty()) {
        err << "csim test: --junit needs a file name\n";
        return 2;
      }
    } else if (arg == "--help" || arg == "-h") {
      out << kTestUsage;
      return 0;
    } else if (!arg.empty() && arg[0] == '-') {
      err << "csim test: unknown option " << arg << "\n" << kTestUsage;
      return 2;
    } else {
      files.push_back(arg);
    }
  }
  if (files.empty()) {
    err << "csim test: no scenario file given\n" << kTestUsage;
    return 2;
  }
  if (!junit.empty()) {
    std::filesystem::path parent = std::filesystem::path(junit).parent_path();
    if (parent.empty()) parent = ".";
    std::error_code ec;
    if (!std::filesystem::is_directory(parent, ec) || access(parent.c_str(), W_OK) != 0) {
      err << "csim test: --junit " << junit << ": directory " << parent.string() << " does not exist or is not writable\n";
      return 2;
    }
  }

  // Everything that can be wrong with the scenarios is reported before anything starts.
  std::vector<Scenario> scenarios;
  bool malformed = false;
  for (const auto& file : files) {
    auto parsed = parse_scenario_file(file);
    if (!parsed.is_ok()) {
      err << (parsed.status().code() == core::Code::kUnavailable ? "csim test: " : "") << parsed.status().message()
          << "\n";
      malformed = true;
      continue;
    }
    if (auto st = check_scenario(*parsed); !st.is_ok()) {
      err << st.message() << "\n";
      malformed = true;
      continue;
    }
    scenarios.push_back(std::move(*parsed));
  }
  if (malformed) {
    err << "csim test: malformed scenario; nothing was run\n";
    return 2;
  }

  if (!agent::in_sandbox()) {
    // Re-executes this binary as `csim test …` inside the sandbox; returns only on error.
    std::vector<std::string> args{"csim", "test"};
    for (int i = 1; i < argc; ++i) args.emplace_back(argv[i]);
    std::vector<char*> cargs;
    for (auto& a : args) cargs.push_back(a.data());
    cargs.push_back(nullptr);
    out.flush();
    if (auto st = agent::enter_sandbox(static_cast<int>(args.size()), cargs.data()); !st.is_ok()) {
      err << "csim: " << st.message() << "\n";
      return 1;
    }
  }

  options.csim_binary = self_path();
  options.out = &out;
  auto results = run_scenarios(scenarios, options);
  const Totals t = totals(results);
  int code = t.failed > 0 ? 1 : 0;
  if (!junit.empty()) {
    if (auto st = write_junit(junit, results); !st.is_ok()) {
      err << "csim test: " << st.message() << "\n";
      code = 1;
    } else {
      out << "JUnit report: " << junit << "\n";
    }
  }
  out << summary_line(t) << "\n";
  out.flush();
  return code;
}

}  // namespace csim::scenario
