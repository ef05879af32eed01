// Runs parsed scenarios against real simulated clusters (sim/cluster.h): real haproxy in
// real namespaces, real HTTP from the external-client namespace. Must be called inside
// csim's sandbox (agent/sandbox.h).
//
// One Cluster per semantics in use (a scenario's `semantics`, else contrail; the
// override wins), started in the order of first use and stopped before the next starts.
// Each scenario runs in a fresh namespace (namespace_for; a suffix -2.. when taken),
// deleted afterwards with every object the scenario applied elsewhere. Per step:
//   apply   all of the step's objects in one apply (all or nothing), then the bus idle
//           (bounded) and Cluster::wait_ingress_ready (bounded) for every Ingress of the
//           scenario;
//   delete  each entry (a file's objects, or one object by kind and name), then the bus
//           idle (bounded) and, for a deleted Ingress, until its old addresses stop
//           answering (bounded; the expectations judge what is left);
//   expect  each request `repeat` times; every answer must be right. In the expect block
//           right after an apply or delete, an expectation that wants a pod's answer may
//           retry its first request while the answer is no answer or a status from
//           haproxy itself (the data plane converging), until converge_budget after the
//           block started (one budget per block); an answer from a pod of the wrong
//           Service, or a wrong status from a pod, fails at once.
// A step that fails becomes a failed case; the scenario's later expectations are skipped.
// A cluster that does not start fails one case per scenario that needed it.
// Progress (headers, steps, every case) is printed to `out` as it happens.
#pragma once

#include <chrono>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "scenario/result.h"
#include "scenario/scenario.h"
#include "semantics/route.h"

namespace csim::scenario {

struct RunOptions {
  std::string csim_binary;                        // runs `<csim_binary> echo-server …` in pods
  std::optional<semantics::Semantics> semantics;  // overrides every scenario's
  std::ostream* out = nullptr;                    // progress; null = silent
  std::chrono::milliseconds ready_timeout{60000};
  std::chrono::milliseconds request_timeout{3000};
  std::chrono::milliseconds converge_budget{5000};
  std::chrono::milliseconds drop_timeout{10000};  // deleted Ingress stops answering
};

// The semantics a scenario runs under.
semantics::Semantics effective_semantics(const Scenario& scenario, const RunOptions& options);

// Results in the order of `scenarios`.
std::vector<ScenarioResult> run_scenarios(const std::vector<Scenario>& scenarios, const RunOptions& options);

}  // namespace csim::scenario
