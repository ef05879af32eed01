// Kubernetes workloads for the control-plane benchmarks (cold_start, ingress_scale): the
// objects as kubectl sends them, applied through kube/apply.h (validation, defaults,
// Ingress conversion), and the parts the benchmarks play themselves because no data
// plane runs: the vrouter agents' `agent.status` and Node objects, and the kubelets'
// pod status (Running, Ready, podIP = the pod's instance-ip address).
//
// Thread: the caller's; the store, config API and bus are thread-safe.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "controller/config_api.h"
#include "core/bus.h"
#include "core/status.h"
#include "kube/object_store.h"

namespace csim::sim {
class ControlPlane;
}

namespace csim::bench {

// A Service selecting app=<app>, port 80 -> targetPort 8080.
nlohmann::json service_object(const std::string& ns, const std::string& name,
                              const std::string& app);
// A pod labelled app=<app> with one container port 8080.
nlohmann::json pod_object(const std::string& ns, const std::string& name, const std::string& app);
// A networking.k8s.io/v1 Ingress: one rule for `host`, one Exact path per (path, service),
// each to the Service's port 80.
nlohmann::json ingress_object(const std::string& ns, const std::string& name,
                              const std::string& host,
                              const std::vector<std::pair<std::string, std::string>>& paths);
nlohmann::json namespace_object(const std::string& name);

// Applies the objects in one all-or-nothing apply (kube::apply_objects).
core::Status apply(kube::ObjectStore& store, std::vector<nlohmann::json> objects);

// What each vrouter agent does when it starts: creates its Node (Ready) if missing and
// publishes agent.status {node, up, underlay_ip}. nodes: (name, underlay ip).
core::Status agents_up(core::Bus& bus, kube::ObjectStore& store,
                       const std::vector<std::pair<std::string, std::string>>& nodes);

// The kubelets' part: every pod without status.podIP whose VM has a VMI with an
// instance-ip gets phase Running, Ready=True and that address. Returns how many pods were
// made ready; pods without an address yet are left for a later call.
core::Result<int> make_pods_ready(kube::ObjectStore& store, const controller::ConfigApi& api);

// Rows of the objects table of the config DB file at `path` (a read-only connection).
core::Result<int64_t> count_config_objects(const std::string& path);

// Where the control plane stands, from its modules' introspection.
struct ControlPlaneSummary {
  int km_queue = 0;             // kube-manager keys still queued or waiting for a retry
  int km_failed_keys = 0;       // keys whose last reconcile failed
  int loadbalancers = 0;        // svc-monitor's
  int opencontrail = 0;         // Ingress loadbalancers
  int rendered = 0;             //   with a service-instance whose haproxy config has a frontend
  int instances_scheduled = 0;  //   their netns instances with a vrouter
  int instances_unscheduled = 0;
  int native = 0;            // Service loadbalancers
  int native_with_fips = 0;  //   with their clusterIP floating-ip
  int lbs_with_errors = 0;
  std::vector<std::string> node_views;  // "node-1 v3: 1200 objects, 2400 routes"
  int nodes_without_view = 0;
  uint64_t control_node_recomputes = 0;  // views rebuilt (each O(view)), pushed or not
  std::string first_error;  // the first error found, for the report

  // kube-manager idle without failures, every loadbalancer rendered (opencontrail) or
  // served (native) without errors, every node has a control-node view.
  bool converged() const;
  std::string to_string() const;
};
ControlPlaneSummary summarize(sim::ControlPlane& cp,
                              const std::vector<std::pair<std::string, std::string>>& nodes);

// Peak resident set size of this process (getrusage ru_maxrss), in MiB.
double peak_rss_mib();

}  // namespace csim::bench
