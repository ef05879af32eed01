// Context: what every kube-manager reconciler shares — the bus (for trace records), the
// kube-apiserver client (kube::ObjectStore), the Contrail config API (KubeManager passes
// its ResyncCache, resync_cache.h, which serves the resync's reads), the options, the
// cluster objects provisioned at start, and two hooks back into the KubeManager's queue.
//
// Thread: a Context is used only on kube-manager's strand (or by start() before it
// subscribes), so it needs no locks.
#pragma once

#include <functional>
#include <string>

#include "controller/config_api.h"
#include "core/bus.h"
#include "core/status.h"
#include "kube/kube_manager/options.h"
#include "kube/kube_manager/resync_cache.h"
#include "kube/object_store.h"

namespace csim::kube {

// The bus module name kube-manager publishes, subscribes and records as.
inline constexpr const char* kKubeManagerModule = "kube-manager";

// uuids of the cluster objects §2.1 provisions (filled by provision_cluster()).
struct ClusterObjects {
  std::string default_project_uuid;    // <cluster>-default
  std::string pod_ipam_uuid;           // <cluster>-pod-ipam
  std::string pod_subnet_uuid;         // its subnet_uuid
  std::string service_ipam_uuid;       // <cluster>-service-ipam
  std::string service_subnet_uuid;     // its subnet_uuid
  std::string pod_network_uuid;        // <cluster>-default-pod-network
  std::string service_network_uuid;    // <cluster>-default-service-network
};

struct Context {
  Context(core::Bus& bus_, ObjectStore& store_, ResyncCache& api_,
          const KubeManagerOptions& options_)
      : bus(bus_), store(store_), api(api_), options(options_) {}

  core::Bus& bus;
  ObjectStore& store;
  ResyncCache& api;  // the config API (a pass-through outside the resync)
  const KubeManagerOptions& options;
  ClusterObjects cluster;
  // True while KubeManager::start() resyncs: reconcilers skip work the resync does in bulk
  // afterwards (the search for loadbalancers of other uids: the orphan sweep finds them)
  // or before (queueing Endpoints for a new pod interface: every Endpoints follows).
  bool resyncing = false;

  // Queues another object for reconcile (e.g. a Service change queues the Ingresses that
  // use it). kind is "Namespace", "Pod", "Service", "Endpoints" or "Ingress".
  std::function<void(const std::string& kind, const std::string& ns, const std::string& name)>
      enqueue;
  // Makes the project and default security group of a namespace right, now (so a Pod or
  // Ingress reconciled before its Namespace still finds them).
  std::function<core::Status(const std::string& ns)> ensure_namespace;

  // A notable step, as a "work" span in the trace: ("ingress", "allocated VIP …").
  void record(const std::string& name, const std::string& summary) const {
    auto now = bus.clock().now();
    bus.record(kKubeManagerModule, name, summary, now, now);
  }
};

}  // namespace csim::kube
