// The dry run of a scenario: plays its steps, in order, against a scratch kube-apiserver
// store (kube/memory_store.h; no controllers, no data plane), so that a scenario that
// cannot work is refused before any cluster starts (`csim test` exits 2):
//   - every apply step must be accepted as `csim apply` would accept it (validation, a
//     Service for every Ingress backend, existing namespaces); objects without a
//     namespace go to the scenario's namespace (namespace_for);
//   - every expectation must name an Ingress that exists at that point, or existed
//     earlier in the scenario (a request to a deleted Ingress goes to its old address);
//     without `ingress`, the scenario must have exactly one Ingress at that point (or,
//     when none is left, have had exactly one);
//   - an expected `service` must exist in that Ingress's namespace at that point.
// Deletes are played with "not found" ignored (a controller's objects, such as a
// Deployment's pods, do not exist in the scratch store); the real run reports them.
// Messages: "<file>:<line>: <field>: <message>", one per line, code kInvalid; messages
// of apply that already point into a file are prefixed with the step that applied it.
// Thread-safe (everything is local).
#pragma once

#include "core/status.h"
#include "scenario/scenario.h"

namespace csim::scenario {

core::Status check_scenario(const Scenario& scenario);

// The Namespace object a scenario's namespace is created from (for apply_objects).
kube::LoadedObject namespace_object(const std::string& name, const Location& where);

}  // namespace csim::scenario
