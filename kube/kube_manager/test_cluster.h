// Test support for kube-manager's tests (testonly): the real deterministic bus, the real
// config DB on ":memory:" with the controller's bootstrap (domain, public network and pool,
// virtual-routers node-1 and node-2), the real in-memory object store, a KubeManager over
// them, and helpers that write Kubernetes objects and read config objects back.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "controller/bootstrap.h"
#include "controller/config_db.h"
#include "core/bus.h"
#include "core/clock.h"
#include "kube/kube_manager/kube_manager.h"
#include "kube/memory_store.h"

namespace csim::kube::testing {

using controller::ConfigObject;
using nlohmann::json;

class TestCluster {
 public:
  TestCluster()
      : bus(clock, core::Bus::Mode::kDeterministic), db(bus, clock, ":memory:"), store(bus, clock) {
    EXPECT_TRUE(db.open_status().is_ok()) << db.open_status().to_string();
    auto s = controller::provision_defaults(db);
    EXPECT_TRUE(s.is_ok()) << s.to_string();
    EXPECT_TRUE(controller::add_virtual_router(db, "node-1", "169.254.1.1").is_ok());
    EXPECT_TRUE(controller::add_virtual_router(db, "node-2", "169.254.1.2").is_ok());
    bus.run_until_idle();
  }
  ~TestCluster() { km.reset(); }

  // Starts a (new) KubeManager and runs the bus until idle.
  void start_kube_manager() {
    km = std::make_unique<KubeManager>(bus, store, db);
    auto s = km->start();
    EXPECT_TRUE(s.is_ok()) << s.to_string();
    bus.run_until_idle();
  }
  void stop_kube_manager() {
    bus.run_until_idle();
    km.reset();
  }
  void settle() { ASSERT_TRUE(bus.run_until_idle()); }

  // --- Kubernetes objects -------------------------------------------------------------
  json create(json obj) {
    auto r = store.create(std::move(obj));
    EXPECT_TRUE(r.is_ok()) << r.status().to_string();
    return r.is_ok() ? *r : json();
  }
  json update(json obj) {
    obj["metadata"].erase("resourceVersion");
    auto r = store.update(std::move(obj));
    EXPECT_TRUE(r.is_ok()) << r.status().to_string();
    return r.is_ok() ? *r : json();
  }
  void remove(const std::string& kind, const std::string& ns, const std::string& name) {
    auto r = store.remove(kind, ns, name);
    EXPECT_TRUE(r.is_ok()) << r.status().to_string();
  }
  json get(const std::string& kind, const std::string& ns, const std::string& name) {
    auto o = store.get(kind, ns, name);
    EXPECT_TRUE(o.has_value()) << kind << " " << ns << "/" << name;
    return o ? *o : json();
  }

  json make_namespace(const std::string& name, json labels = json::object()) {
    return create({{"apiVersion", "v1"}, {"kind", "Namespace"},
                   {"metadata", {{"name", name}, {"labels", labels}}}});
  }
  json make_pod(const std::string& ns, const std::string& name, json labels,
                const std::string& node = "") {
    json spec = {{"containers", json::array({{{"name", "web"}, {"image", "csim/echo"}}})}};
    if (!node.empty()) spec["nodeName"] = node;
    return create({{"apiVersion", "v1"}, {"kind", "Pod"},
                   {"metadata", {{"name", name}, {"namespace", ns}, {"labels", labels}}},
                   {"spec", spec}});
  }
  // ports: [{"port": 80, "targetPort": 8080, "name"?: "http"}]
  json make_service(const std::string& ns, const std::string& name, json ports,
                    json selector = json::object()) {
    return create({{"apiVersion", "v1"}, {"kind", "Service"},
                   {"metadata", {{"name", name}, {"namespace", ns}}},
                   {"spec", {{"selector", selector}, {"ports", ports}}}});
  }
  // addresses: the pods (uid, name) with their IPs; ports as Endpoints ports.
  json endpoints_body(const std::string& ns, const std::string& name,
                      const std::vector<json>& pods, json ports) {
    json addresses = json::array();
    for (const auto& p : pods) {
      addresses.push_back({{"ip", pod_ip(p["metadata"]["uid"])},
                           {"targetRef", {{"kind", "Pod"}, {"namespace", ns},
                                          {"name", p["metadata"]["name"]},
                                          {"uid", p["metadata"]["uid"]}}}});
    }
    json subsets = json::array();
    if (!pods.empty()) subsets.push_back({{"addresses", addresses}, {"ports", ports}});
    return {{"apiVersion", "v1"}, {"kind", "Endpoints"},
            {"metadata", {{"name", name}, {"namespace", ns}}}, {"subsets", subsets}};
  }
  json make_ingress(const std::string& ns, const std::string& name, json spec,
                    json annotations = json::object()) {
    return create({{"apiVersion", "networking.k8s.io/v1"}, {"kind", "Ingress"},
                   {"metadata", {{"name", name}, {"namespace", ns}, {"annotations", annotations}}},
                   {"spec", spec}});
  }

  // --- Config objects -----------------------------------------------------------------
  std::optional<ConfigObject> read_fq(const std::string& type, const controller::FqName& fq) {
    return db.read_fq(type, fq);
  }
  std::vector<ConfigObject> list(const std::string& type) { return db.list(type); }
  // The address of the pod's instance-ip ("" if none).
  std::string pod_ip(const std::string& pod_uid) {
    for (const auto& vmi : db.back_refs(pod_uid, "virtual-machine-interface"))
      for (const auto& iip : db.back_refs(vmi.uuid, "instance-ip"))
        return iip.props.value("instance_ip_address", "");
    return "";
  }
  // Summaries of the "work" spans kube-manager recorded.
  std::vector<std::string> km_records() {
    std::vector<std::string> out;
    for (const auto& s : bus.spans())
      if (s.kind == "work" && s.module == kKubeManagerModule) out.push_back(s.summary);
    return out;
  }
  bool recorded(const std::string& needle) {
    for (const auto& r : km_records())
      if (r.find(needle) != std::string::npos) return true;
    return false;
  }

  core::SimulatedClock clock;
  core::Bus bus;
  controller::ConfigDb db;
  MemoryObjectStore store;
  std::unique_ptr<KubeManager> km;
};

// [{key, value}] of an object's annotations.
inline std::vector<std::pair<std::string, json>> kvps(const ConfigObject& o) {
  std::vector<std::pair<std::string, json>> out;
  for (const auto& kv : o.props.value("annotations", json::object())
                            .value("key_value_pair", json::array()))
    out.emplace_back(kv["key"].get<std::string>(), kv["value"]);
  return out;
}

}  // namespace csim::kube::testing
