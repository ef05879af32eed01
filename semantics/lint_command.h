// `csim lint [--format text|json] FILE…`: lint every Ingress in the files (lint.h).
//
// Each file is loaded with kube::load_yaml_file; Ingresses in any supported apiVersion are
// read as networking.k8s.io/v1, and the Services of all the files are what the Ingresses'
// backends are checked against. Output on `out`:
//   text: one line per finding, "FILE:LINE: severity: ns/name: field: message (e.g. ...)",
//         where LINE is the line of the finding's field in the file, then a summary line
//         "csim lint: N Ingresses, E errors, D differences, W warnings".
//   json: one JSON array of findings (lint.h's finding_to_json plus "file" and "line").
// Exit code: 0 when nothing differs or errs (warnings allowed), 1 when a finding is an
// error or a difference, 2 for a usage error or a file that cannot be read or parsed (the
// loader's "file:line: ..." message goes to `err`; the other files are still linted).
// Not thread-safe only in that it writes to the given streams.
#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace csim::semantics {

inline constexpr const char* kLintUsage =
    "usage: csim lint [--format text|json] FILE...\n"
    "  for every Ingress in the files: the requests that real Contrail routes differently\n"
    "  from the Kubernetes Ingress rules, and plain errors (a missing Service or port,\n"
    "  duplicate paths); exit 0 when nothing differs, 1 when something does, 2 on bad input\n";

// `args` are the arguments after "lint": options and files.
int run_lint(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

// The command line as main() got it: argv[0] is the program; argv[1] is skipped when it is
// "lint" (so main may pass its own argc/argv, or argc - 1 and argv + 1). Writes to
// std::cout and std::cerr.
int run_lint(int argc, char** argv);

}  // namespace csim::semantics
