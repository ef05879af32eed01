#include "bench/kube_workload.h"

#include <sqlite3.h>
#include <sys/resource.h>

#include <map>

#include "controller/control_node.h"
#include "kube/apply.h"
#include "kube/yaml_loader.h"
#include "sim/control_plane.h"

namespace csim::bench {

using nlohmann::json;

json service_object(const std::string& ns, const std::string& name, const std::string& app) {
  return {{"apiVersion", "v1"},
          {"kind", "Service"},
          {"metadata", {{"name", name}, {"namespace", ns}}},
          {"spec",
           {{"selector", {{"app", app}}},
            {"ports", json::array({{{"name", "http"}, {"port", 80}, {"targetPort", 8080}}})}}}};
}

json pod_object(const std::string& ns, const std::string& name, const std::string& app) {
  return {{"apiVersion", "v1"},
          {"kind", "Pod"},
          {"metadata", {{"name", name}, {"namespace", ns}, {"labels", {{"app", app}}}}},
          {"spec",
           {{"containers", json::array({{{"name", "web"},
                                         {"image", "csim/echo"},
                                         {"ports", json::array({{{"containerPort", 8080}}})}}})}}}};
}

json ingress_object(const std::string& ns, const std::string& name, const std::string& host,
                    const std::vector<std::pair<std::string, std::string>>& paths) {
  json http_paths = json::array();
  for (const auto& [path, service] : paths)
    http_paths.push_back(
        {{"path", path},
         {"pathType", "Exact"},
         {"backend", {{"service", {{"name", service}, {"port", {{"number", 80}}}}}}}});
  return {
      {"apiVersion", "networking.k8s.io/v1"},
      {"kind", "Ingress"},
      {"metadata", {{"name", name}, {"namespace", ns}}},
      {"spec", {{"rules", json::array({{{"host", host}, {"http", {{"paths", http_paths}}}}})}}}};
}

json namespace_object(const std::string& name) {
  return {{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", name}}}};
}

core::Status apply(kube::ObjectStore& store, std::vector<json> objects) {
  std::vector<kube::LoadedObject> loaded;
  loaded.reserve(objects.size());
  for (size_t i = 0; i < objects.size(); ++i) {
    kube::LoadedObject o;
    o.object = std::move(objects[i]);
    o.file = "bench";
    o.line = static_cast<int>(i + 1);
    loaded.push_back(std::move(o));
  }
  auto report = kube::apply_objects(store, std::move(loaded));
  return report.is_ok() ? core::Status::ok() : report.status();
}

core::Status agents_up(core::Bus& bus, kube::ObjectStore& store,
                       const std::vector<std::pair<std::string, std::string>>& nodes) {
  for (const auto& [name, underlay] : nodes) {
    if (!store.get("Node", "", name)) {
      json node = {{"apiVersion", "v1"},
                   {"kind", "Node"},
                   {"metadata", {{"name", name}}},
                   {"status", {{"conditions", {{{"type", "Ready"}, {"status", "True"}}}}}}};
      auto created = store.create(node);
      if (!created.is_ok()) return created.status();
    }
    bus.publish("agent-" + name, "agent.status",
                {{"node", name},
                 {"state", "up"},
                 {"underlay_ip", underlay},
                 {"summary", "agent " + name + " up"}});
  }
  return core::Status::ok();
}

core::Result<int> make_pods_ready(kube::ObjectStore& store, const controller::ConfigApi& api) {
  std::map<std::string, std::string> vm_of_vmi;  // VMI uuid -> VM uuid (= pod uid)
  for (const auto& vmi : api.list("virtual-machine-interface"))
    for (const auto& vm : vmi.ref_uuids("virtual-machine")) vm_of_vmi[vmi.uuid] = vm;
  std::map<std::string, std::string> ip_of_pod;  // pod uid -> address
  for (const auto& iip : api.list("instance-ip")) {
    const std::string address = iip.props.value("instance_ip_address", "");
    for (const auto& vmi : iip.ref_uuids("virtual-machine-interface")) {
      auto it = vm_of_vmi.find(vmi);
      if (it != vm_of_vmi.end() && !address.empty()) ip_of_pod.emplace(it->second, address);
    }
  }
  int ready = 0;
  for (const auto& pod : store.list("Pod")) {
    const json status = pod.value("status", json::object());
    if (!status.value("podIP", "").empty()) continue;
    const json meta = pod.value("metadata", json::object());
    auto ip = ip_of_pod.find(meta.value("uid", ""));
    if (ip == ip_of_pod.end()) continue;
    json next = {{"phase", "Running"},
                 {"podIP", ip->second},
                 {"podIPs", json::array({{{"ip", ip->second}}})},
                 {"conditions", json::array({{{"type", "Ready"}, {"status", "True"}}})}};
    auto updated =
        store.update_status("Pod", meta.value("namespace", ""), meta.value("name", ""), next);
    if (!updated.is_ok()) return updated.status();
    ++ready;
  }
  return ready;
}

core::Result<int64_t> count_config_objects(const std::string& path) {
  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr);
  auto fail = [&](const std::string& what) -> core::Status {
    std::string msg = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    sqlite3_close(db);
    return core::unavailable("sqlite " + path + ": " + what + ": " + msg);
  };
  if (rc != SQLITE_OK) return fail("open");
  sqlite3_busy_timeout(db, 5000);
  sqlite3_stmt* st = nullptr;
  if (sqlite3_prepare_v2(db, "SELECT COUNT(*) FROM objects", -1, &st, nullptr) != SQLITE_OK)
    return fail("prepare");
  if (sqlite3_step(st) != SQLITE_ROW) {
    sqlite3_finalize(st);
    return fail("count");
  }
  const int64_t n = sqlite3_column_int64(st, 0);
  sqlite3_finalize(st);
  sqlite3_close(db);
  return n;
}

bool ControlPlaneSummary::converged() const {
  return km_queue == 0 && km_failed_keys == 0 && loadbalancers > 0 && rendered == opencontrail &&
         instances_unscheduled == 0 && native_with_fips == native && lbs_with_errors == 0 &&
         nodes_without_view == 0;
}

std::string ControlPlaneSummary::to_string() const {
  std::string out =
      "kube-manager queue " + std::to_string(km_queue) + ", failed keys " +
      std::to_string(km_failed_keys) + "; svc-monitor: " + std::to_string(loadbalancers) +
      " loadbalancers (" + std::to_string(opencontrail) + " opencontrail, " +
      std::to_string(rendered) + " rendered, instances " + std::to_string(instances_scheduled) +
      " scheduled / " + std::to_string(instances_unscheduled) + " unscheduled; " +
      std::to_string(native) + " native, " + std::to_string(native_with_fips) +
      " with floating-ips; " + std::to_string(lbs_with_errors) + " with errors); control-node (" + std::to_string(control_node_recomputes) +
      " recomputes):";
  for (const auto& v : node_views) out += " [" + v + "]";
  if (nodes_without_view)
    out += " " + std::to_string(nodes_without_view) + " node(s) without a view";
  if (!first_error.empty()) out += "; first error: " + first_error;
  return out;
}

ControlPlaneSummary summarize(sim::ControlPlane& cp,
                              const std::vector<std::pair<std::string, std::string>>& nodes) {
  ControlPlaneSummary s;
  const json all = cp.introspect();
  const json& km = all["kube-manager"];
  s.km_queue =
      km.value("queue_length", 0) + static_cast<int>(km.value("retry", json::array()).size());
  const json errors = km.value("last_error", json::object());
  s.km_failed_keys = static_cast<int>(errors.size());
  if (!errors.empty()) s.first_error = errors.begin().key() + ": " + errors.begin()->dump();
  json lbs = all["svc-monitor"].value("loadbalancers", json::array());
  for (const auto& lb : lbs) {  // an array, or an object by uuid: both iterate the values
    const std::string provider = lb.value("provider", "");
    if (provider.empty()) continue;  // deleted
    ++s.loadbalancers;
    const json errs = lb.value("errors", json::array());
    if (!errs.empty()) {
      ++s.lbs_with_errors;
      if (s.first_error.empty()) s.first_error = "lb " + lb.value("uuid", "") + ": " + errs.dump();
    }
    if (provider == "opencontrail") {
      ++s.opencontrail;
      const json si = lb.value("service_instance", json::object());
      if (!si.value("uuid", "").empty() && si.value("frontends", 0) > 0) ++s.rendered;
      for (const auto& i : lb.value("instances", json::array()))
        ++(i.value("vrouter", json()).is_string() ? s.instances_scheduled
                                                  : s.instances_unscheduled);
    } else if (provider == "native") {
      ++s.native;
      if (!lb.value("floating_ips", json::array()).empty()) ++s.native_with_fips;
    }
  }
  s.control_node_recomputes = cp.control_node().introspect().value("recomputes", uint64_t{0});
  // From introspection: building the whole views (view_of) would add their size to the
  // peak RSS the benchmarks measure.
  const json agents = cp.control_node().introspect().value("agents", json::object());
  for (const auto& [node, underlay] : nodes) {
    const json a = agents.value(node, json());
    if (!a.is_object() || a.value("version", uint64_t{0}) == 0) {
      ++s.nodes_without_view;
      continue;
    }
    s.node_views.push_back(node + " v" + std::to_string(a.value("version", uint64_t{0})) + ": " +
                           std::to_string(a.value("objects", size_t{0})) + " objects, " +
                           std::to_string(a.value("routes", size_t{0})) + " routes");
  }
  return s;
}

double peak_rss_mib() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_maxrss) / 1024.0;  // ru_maxrss is in KiB on Linux
}

}  // namespace csim::bench
