// `csim test [--semantics contrail|kubernetes] [--junit FILE] SCENARIO.yaml…`: runs
// declarative end-to-end scenarios (docs/scenarios.md) and says, case by case, whether
// the real data plane answered as each expectation says.
//
// 1. Parses every file (parser.h) and dry-runs it (check.h) before anything starts; every
//    problem is printed as "file:line: field: message" and the exit code is 2.
// 2. Enters csim's sandbox (agent/sandbox.h: re-executes `<this binary> test …` inside it)
//    unless already inside, and runs the scenarios (runner.h), pods running
//    `/proc/self/exe echo-server …`.
// 3. Prints every case as it runs, then the closing line "N passed, N failed" (", N
//    skipped" when some were), writes the JUnit XML when asked.
// Exit codes: 0 every case passed; 1 a case or a step failed (or the JUnit file could not
// be written); 2 usage error or malformed scenario.
#pragma once

#include <ostream>

namespace csim::scenario {

// argv[0] is "test" (main() passes argc - 1, argv + 1). Prints to stdout / stderr.
int run_scenario_command(int argc, char** argv);

// The same with the output streams given (tests); inside the sandbox already when called
// from a test binary that entered it.
int run_scenario_command(int argc, char** argv, std::ostream& out, std::ostream& err);

// The usage text.
extern const char* const kTestUsage;

}  // namespace csim::scenario
