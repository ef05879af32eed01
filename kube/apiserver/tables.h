// Server-side Tables (meta.k8s.io/v1 Table): the columns `kubectl get` prints, computed
// as kube-apiserver's printers do (kubectl ships no printers of its own, kubectl-wire.md §7).
//
//   Namespace     NAME STATUS AGE
//   Node          NAME STATUS ROLES AGE VERSION | INTERNAL-IP EXTERNAL-IP OS-IMAGE KERNEL-VERSION CONTAINER-RUNTIME
//   Pod           NAME READY STATUS RESTARTS AGE | IP NODE NOMINATED NODE READINESS GATES
//   Service       NAME TYPE CLUSTER-IP EXTERNAL-IP PORT(S) AGE | SELECTOR
//   Endpoints     NAME ENDPOINTS AGE
//   EndpointSlice NAME ADDRESSTYPE PORTS ENDPOINTS AGE
//   Event         LAST SEEN TYPE REASON OBJECT MESSAGE | SUBOBJECT SOURCE FIRST SEEN COUNT NAME
//   Deployment    NAME READY UP-TO-DATE AVAILABLE AGE | CONTAINERS IMAGES SELECTOR
//   Ingress       NAME CLASS HOSTS ADDRESS PORTS AGE
//   Secret        NAME TYPE DATA AGE (DATA: the number of entries; no value is ever shown)
// (columns after '|' have priority 1: kubectl shows them with -o wide). Ingress ADDRESS
// joins status.loadBalancer.ingress[].ip|hostname in order (csim: external IP, then VIP),
// untruncated, as kube-apiserver's server-side printing (wide) does.
// Pure; thread-safe.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/clock.h"

namespace csim::kube::apiserver {

struct TableOptions {
  core::Nanos now{0};                     // for AGE / LAST SEEN
  std::string api_version = "meta.k8s.io/v1";
  std::string include_object = "Metadata";  // "None" | "Metadata" | "Object" (?includeObject=)
  bool include_columns = true;            // false for watch events after the first
};

// The Table version the Accept header asks for ("meta.k8s.io/v1" or "meta.k8s.io/v1beta1"),
// or nullopt when it does not ask for a Table.
std::optional<std::string> table_accept(const std::string& accept);

// Column definitions of `kind` (API kind: "Ingress", "EndpointSlice", ...). Unknown kinds get
// NAME and AGE.
nlohmann::json table_columns(const std::string& kind);

// One row: {"cells": [...], "object": PartialObjectMetadata | the object}.
nlohmann::json table_row(const std::string& kind, const nlohmann::json& object,
                         const TableOptions& options);

// A whole Table of `objects` with metadata.resourceVersion = `resource_version`.
nlohmann::json make_table(const std::string& kind, const std::vector<nlohmann::json>& objects,
                          const std::string& resource_version, const TableOptions& options);

// Kubernetes's duration.HumanDuration: "5s", "3m20s", "5h", "2d3h", "2y" ...
std::string human_duration(core::Nanos d);
// "<unknown>" for a missing or unparseable timestamp, else the age at `now`.
std::string age(const nlohmann::json& timestamp, core::Nanos now);
// RFC 3339 "2026-01-01T00:00:00Z" (fractions and offsets accepted) -> time since epoch.
std::optional<core::Nanos> parse_rfc3339(const std::string& s);

}  // namespace csim::kube::apiserver
