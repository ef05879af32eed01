// Reads `csim test` scenario files (format: docs/scenarios.md).
//
// Checks everything that can be checked without a cluster: the shape of every field, the
// values (a status is 100..599, a path starts with '/', a host has no spaces, ...), and
// loads every file the scenario names (relative to the scenario's own directory) and
// every inline manifest, with the manifest loader's own checks (kube/yaml_loader.h).
// Whether the objects would be accepted by the apiserver, and whether the Ingresses and
// Services an expectation names exist at that point, is the dry run's job (check.h).
//
// Every problem is reported, one per line of the Status message, as
//   "<file>:<line>: <field>: <message>"
// e.g. "testdata/scenarios/x.yaml:12: expect[1].response.status: must be an integer
// from 100 to 599 (got \"ok\")". A file named by `apply`/`delete` that has problems of its
// own contributes its loader messages, prefixed with the scenario line that names it.
// Pure functions (they read files); thread-safe.
#pragma once

#include <string>

#include "core/status.h"
#include "scenario/scenario.h"

namespace csim::scenario {

// kUnavailable when the file cannot be read; kInvalid with every problem otherwise.
core::Result<Scenario> parse_scenario_file(const std::string& path);

// Same for text; `file` names it in messages and is the base of relative file paths.
core::Result<Scenario> parse_scenario_text(const std::string& text, const std::string& file);

}  // namespace csim::scenario
