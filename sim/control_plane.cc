#include "sim/control_plane.h"

#include "controller/bootstrap.h"
#include "controller/config_db.h"
#include "controller/control_node.h"
#include "kube/deployment_controller.h"
#include "kube/endpoints_controller.h"
#include "kube/event_recorder.h"
#include "kube/kube_manager/kube_manager.h"
#include "kube/memory_store.h"
#include "kube/pod_scheduler.h"
#include "kube/sqlite_store.h"
#include "svcmon/svc_monitor.h"

namespace csim::sim {
namespace {

// splitmix64: a well-mixed seed from the configured seed and the restored version.
uint64_t mix(uint64_t seed, uint64_t version) {
  uint64_t z = seed ^ (version * 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

}  // namespace

class ControlPlane::Impl {
 public:
  // Declared before the store, which writes through it: destroyed after it.
  std::unique_ptr<kube::SqliteStorePersistence> kube_db;
  std::unique_ptr<kube::MemoryObjectStore> store;
  std::unique_ptr<controller::ConfigDb> config;
  std::unique_ptr<kube::EventRecorder> events;
  std::unique_ptr<kube::EndpointsController> endpoints;
  std::unique_ptr<kube::PodScheduler> scheduler;
  std::unique_ptr<kube::DeploymentController> deployments;
  std::unique_ptr<kube::KubeManager> kube_manager;
  std::unique_ptr<svcmon::SvcMonitor> svc_monitor;
  std::unique_ptr<controller::ControlNode> control_node;
};

ControlPlane::ControlPlane(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
ControlPlane::~ControlPlane() = default;

core::Result<std::unique_ptr<ControlPlane>> ControlPlane::start(core::Bus& bus, core::Clock& clock,
                                                                const ControlPlaneOptions& options) {
  auto impl = std::make_unique<Impl>();
  kube::MemoryObjectStore::Options store_options;
  store_options.seed = options.seed;
  if (options.kube_db_path.empty()) {
    impl->store = std::make_unique<kube::MemoryObjectStore>(bus, clock, store_options);
  } else {
    // The objects of the previous run, restored before any module subscribes: modules
    // start from them with a full resync, as after a restart of the real components.
    auto kube_db = kube::SqliteStorePersistence::open(options.kube_db_path);
    if (!kube_db.is_ok()) return kube_db.status();
    impl->kube_db = std::move(*kube_db);
    auto snapshot = impl->kube_db->load();
    if (!snapshot.is_ok()) return snapshot.status();
    // A fresh store draws uids from the seed as without persistence. A restored one must
    // not draw the uids of the run that wrote it again: its seed is mixed with the
    // restored version (which grows with every write, so each run draws anew).
    if (!snapshot->objects.empty() || snapshot->resource_version != 0)
      store_options.seed = mix(options.seed, snapshot->resource_version);
    store_options.persistence = impl->kube_db.get();
    impl->store = std::make_unique<kube::MemoryObjectStore>(bus, clock, store_options);
    if (auto st = impl->store->restore(snapshot->objects, snapshot->resource_version); !st.is_ok())
      return core::Status(st.code(), "kube store " + options.kube_db_path + ": " + st.message());
    // The "default" Namespace the store makes itself is not written through: write it
    // once, so that it keeps its uid across restarts like every other object.
    bool has_default = false;
    for (const auto& o : snapshot->objects)
      has_default |= o.value("kind", "") == "Namespace" &&
                     o.value("metadata", nlohmann::json::object()).value("name", "") == "default";
    if (!has_default) {
      auto ns = impl->store->get("Namespace", "", "default");
      if (ns) {
        if (auto st = impl->kube_db->put(*ns, impl->store->resource_version()); !st.is_ok())
          return st;
      }
    }
  }

  auto db = controller::ConfigDb::open(bus, clock, options.config_db_path);
  if (!db.is_ok()) return db.status();
  impl->config = std::move(*db);
  if (auto st = controller::provision_defaults(*impl->config); !st.is_ok()) return st;
  for (const auto& [name, underlay] : options.nodes) {
    auto vr = controller::add_virtual_router(*impl->config, name, underlay);
    if (!vr.is_ok()) return vr.status();
  }

  // Downstream first, so that every module is listening before its inputs start to flow.
  impl->events = std::make_unique<kube::EventRecorder>(bus, *impl->store);
  impl->events->start();
  impl->control_node = std::make_unique<controller::ControlNode>(bus, *impl->config);
  impl->control_node->start();
  svcmon::SvcMonitorOptions svc_options;
  svc_options.state_dir = options.state_dir;
  svc_options.seed = options.seed;
  svc_options.semantics = options.semantics;
  impl->svc_monitor = std::make_unique<svcmon::SvcMonitor>(bus, *impl->config, svc_options);
  if (auto st = impl->svc_monitor->start(); !st.is_ok()) return st;
  impl->kube_manager = std::make_unique<kube::KubeManager>(bus, *impl->store, *impl->config);
  if (auto st = impl->kube_manager->start(); !st.is_ok()) return st;
  impl->endpoints = std::make_unique<kube::EndpointsController>(bus, *impl->store);
  impl->endpoints->start();
  impl->scheduler = std::make_unique<kube::PodScheduler>(bus, *impl->store);
  impl->scheduler->start();
  impl->deployments = std::make_unique<kube::DeploymentController>(bus, *impl->store);
  impl->deployments->start();
  return std::unique_ptr<ControlPlane>(new ControlPlane(std::move(impl)));
}

void ControlPlane::destroy_modules(const std::function<void(const std::string&)>& after) {
  Impl& i = *impl_;
  auto drop = [&](auto& module, const char* name) {
    module.reset();
    after(name);
  };
  drop(i.control_node, "control-node");
  drop(i.svc_monitor, "svc-monitor");
  drop(i.kube_manager, "kube-manager");
  drop(i.deployments, "deployment-controller");
  drop(i.scheduler, "pod-scheduler");
  drop(i.endpoints, "endpoints-controller");
  drop(i.events, "event-recorder");
  drop(i.config, "config-db");
  drop(i.store, "kube-apiserver store");
  drop(i.kube_db, "kube store persistence");
}

kube::ObjectStore& ControlPlane::store() { return *impl_->store; }
controller::ConfigApi& ControlPlane::config() { return *impl_->config; }
controller::ControlNode& ControlPlane::control_node() { return *impl_->control_node; }
svcmon::SvcMonitor& ControlPlane::svc_monitor() { return *impl_->svc_monitor; }

nlohmann::json ControlPlane::introspect() const {
  return {{"kube-manager", impl_->kube_manager->introspect()},
          {"svc-monitor", impl_->svc_monitor->introspect()},
          {"control-node", impl_->control_node->introspect()}};
}

}  // namespace csim::sim
