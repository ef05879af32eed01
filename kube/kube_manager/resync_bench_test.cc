// Where kube-manager's resync time goes: N Services (each with a Pod and Endpoints naming
// it) spread over namespaces of 100, and N/10 Ingresses routing 10 paths each, in the real
// in-memory object store over the real config DB in a SQLite file (as `csim up` keeps
// it). Prints, per phase, the wall time of KubeManager::start(), the number of config
// writes, and the count and time of every config API call (through a pass-through
// ConfigApi that only counts and times). No timing asserts: the figures are for reading.
// It does assert that the resync of an already converged store writes nothing.
//
// Size: CSIM_RESYNC_SERVICES=<n> (default 40; 1000 gives ~12,000 config objects);
// CSIM_RESYNC_REPEAT=<r> repeats the converged resync (for a profiler):
//   bazel test //kube/kube_manager:resync_bench_test --test_output=all
//     --test_env=CSIM_RESYNC_SERVICES=1000
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <unistd.h>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "controller/bootstrap.h"
#include "controller/config_db.h"
#include "core/bus.h"
#include "core/clock.h"
#include "kube/kube_manager/kube_manager.h"
#include "kube/memory_store.h"

namespace csim::kube {
namespace {

using controller::ConfigObject;
using controller::FqName;
using nlohmann::json;
using SteadyClock = std::chrono::steady_clock;

// Forwards every call to the real config DB, counting calls and their time per method.
class TimedApi : public controller::ConfigApi {
 private:
  template <class T>
  static uint64_t count(const T&) { return 0; }
  static uint64_t count(const std::optional<ConfigObject>& o) { return o ? 1 : 0; }
  static uint64_t count(const std::vector<ConfigObject>& v) { return v.size(); }

  template <class F>
  auto timed(const std::string& name, F&& f) const {
    auto t0 = SteadyClock::now();
    auto r = f();
    Stat& s = stats_[name];
    ++s.calls;
    s.ms += std::chrono::duration<double, std::milli>(SteadyClock::now() - t0).count();
    s.objects += count(r);
    return r;
  }


 public:
  explicit TimedApi(controller::ConfigApi& api) : api_(api) {}

  core::Result<ConfigObject> create(ConfigObject o) override {
    return timed("create", [&] { return api_.create(std::move(o)); });
  }
  core::Result<ConfigObject> update(ConfigObject o) override {
    return timed("update", [&] { return api_.update(std::move(o)); });
  }
  core::Status remove(const std::string& type, const std::string& uuid) override {
    return timed("remove", [&] { return api_.remove(type, uuid); });
  }
  core::Status ref_update(const std::string& type, const std::string& uuid,
                          const std::string& ref_type, const std::string& ref_uuid,
                          controller::RefOp op, json attr) override {
    return timed("ref_update",
                 [&] { return api_.ref_update(type, uuid, ref_type, ref_uuid, op, attr); });
  }
  std::optional<ConfigObject> read(const std::string& uuid) const override {
    auto t0 = SteadyClock::now();
    auto r = api_.read(uuid);
    Stat& s = stats_[r ? "read (found)" : "read (absent)"];
    ++s.calls;
    s.ms += std::chrono::duration<double, std::milli>(SteadyClock::now() - t0).count();
    s.objects += r ? 1 : 0;
    return r;
  }
  std::optional<ConfigObject> read_fq(const std::string& type, const FqName& fq) const override {
    return timed("read_fq " + type, [&] { return api_.read_fq(type, fq); });
  }
  std::vector<ConfigObject> list(const std::string& type,
                                 const std::string& parent_uuid) const override {
    return timed("list " + type + (parent_uuid.empty() ? "" : " (in parent)"),
                 [&] { return api_.list(type, parent_uuid); });
  }
  std::vector<ConfigObject> back_refs(const std::string& uuid,
                                      const std::string& from_type) const override {
    return timed("back_refs " + from_type, [&] { return api_.back_refs(uuid, from_type); });
  }
  std::vector<ConfigObject> children(const std::string& uuid,
                                     const std::string& child_type) const override {
    return timed("children " + child_type, [&] { return api_.children(uuid, child_type); });
  }

  struct Stat {
    uint64_t calls = 0;
    double ms = 0;
    uint64_t objects = 0;  // objects returned (reads)
  };
  void reset() { stats_.clear(); }
  // "method: calls, ms, objects" lines, slowest first.
  std::string report() const {
    std::vector<std::pair<std::string, Stat>> v(stats_.begin(), stats_.end());
    std::sort(v.begin(), v.end(), [](const auto& a, const auto& b) { return a.second.ms > b.second.ms; });
    std::string out;
    char line[200];
    for (const auto& [name, s] : v) {
      std::snprintf(line, sizeof line, "    %-44s %7llu calls %9.1f ms %8llu objects read\n",
                    name.c_str(), static_cast<unsigned long long>(s.calls), s.ms,
                    static_cast<unsigned long long>(s.objects));
      out += line;
    }
    return out;
  }

 private:
  controller::ConfigApi& api_;
  mutable std::map<std::string, Stat> stats_;
};

int services_from_env() {
  if (const char* env = std::getenv("CSIM_RESYNC_SERVICES")) {
    int n = std::atoi(env);
    if (n > 0 && n <= 20000) return n;
  }
  return 40;
}

// config.changed.* publishes recorded on the bus so far.
size_t config_writes(const core::Bus& bus) {
  size_t n = 0;
  for (const auto& s : bus.spans())
    if (s.kind == "publish" && s.topic.rfind("config.changed.", 0) == 0) ++n;
  return n;
}

size_t config_objects(const controller::ConfigDb& db) {
  size_t n = 0;
  for (const char* t : {"project", "security-group", "virtual-machine", "virtual-machine-interface",
                        "instance-ip", "floating-ip", "loadbalancer", "loadbalancer-listener",
                        "loadbalancer-pool", "loadbalancer-member"})
    n += db.list(t).size();
  return n;
}

TEST(ResyncBench, StartOverManyObjects) {
  const int services = services_from_env();
  const int per_ns = 100;
  const int ingresses = services / 10;
  const std::string dir = ::testing::TempDir() + "/resync-bench-" + std::to_string(getpid());
  std::filesystem::create_directories(dir);
  struct Cleanup {
    std::string dir;
    ~Cleanup() { std::filesystem::remove_all(dir); }
  } cleanup{dir};

  core::SimulatedClock clock;
  core::Bus bus(clock, core::Bus::Mode::kDeterministic);
  controller::ConfigDb db(bus, clock, dir + "/config.db");
  ASSERT_TRUE(db.open_status().is_ok()) << db.open_status().to_string();
  ASSERT_TRUE(controller::provision_defaults(db).is_ok());
  ASSERT_TRUE(controller::add_virtual_router(db, "node-1", "169.254.1.1").is_ok());
  MemoryObjectStore store(bus, clock);
  TimedApi api(db);

  // The Kubernetes objects.
  auto ns_of = [&](int i) { return "bench-" + std::to_string(i / per_ns); };
  auto svc_name = [](int i) { return "svc-" + std::to_string(i); };
  for (int i = 0; i < services; i += per_ns)
    ASSERT_TRUE(store.create({{"apiVersion", "v1"}, {"kind", "Namespace"},
                              {"metadata", {{"name", ns_of(i)}}}}).is_ok());
  std::vector<json> pods;
  for (int i = 0; i < services; ++i) {
    auto pod = store.create({{"apiVersion", "v1"}, {"kind", "Pod"},
                             {"metadata", {{"name", "pod-" + std::to_string(i)}, {"namespace", ns_of(i)},
                                           {"labels", {{"app", svc_name(i)}}}}},
                             {"spec", {{"nodeName", "node-1"}}}});
    ASSERT_TRUE(pod.is_ok()) << pod.status().to_string();
    pods.push_back(*pod);
    ASSERT_TRUE(store.create({{"apiVersion", "v1"}, {"kind", "Service"},
                              {"metadata", {{"name", svc_name(i)}, {"namespace", ns_of(i)}}},
                              {"spec", {{"selector", {{"app", svc_name(i)}}},
                                        {"ports", json::array({{{"port", 80}, {"targetPort", 8080}}})}}}})
                    .is_ok());
  }
  for (int k = 0; k < ingresses; ++k) {
    json paths = json::array();
    for (int j = 0; j < 10; ++j) {
      const int i = k * 10 + j;
      paths.push_back({{"path", "/p" + std::to_string(j)}, {"pathType", "Prefix"},
                       {"backend", {{"service", {{"name", svc_name(i)}, {"port", {{"number", 80}}}}}}}});
    }
    ASSERT_TRUE(store.create({{"apiVersion", "networking.k8s.io/v1"}, {"kind", "Ingress"},
                              {"metadata", {{"name", "ing-" + std::to_string(k)}, {"namespace", ns_of(k * 10)}}},
                              {"spec", {{"rules", json::array({{{"host", "h" + std::to_string(k) + ".example"},
                                                               {"http", {{"paths", paths}}}}})}}}})
                    .is_ok());
  }
  bus.run_until_idle();

  auto timed_start = [&](const char* phase) {
    api.reset();
    const size_t writes_before = config_writes(bus);
    auto km = std::make_unique<KubeManager>(bus, store, api);
    auto t0 = SteadyClock::now();
    auto s = km->start();
    const double ms = std::chrono::duration<double, std::milli>(SteadyClock::now() - t0).count();
    EXPECT_TRUE(s.is_ok()) << s.to_string();
    const size_t writes = config_writes(bus) - writes_before;
    std::printf("%s: KubeManager::start() %.1f ms, %zu config writes, %zu config objects\n%s", phase,
                ms, writes, config_objects(db), api.report().c_str());
    bus.run_until_idle();
    return std::make_pair(std::move(km), writes);
  };

  // 1. Cold: nothing in the config DB yet for these objects.
  auto [cold, cold_writes] = timed_start("cold start (creates everything)");
  EXPECT_GT(cold_writes, 0u);
  // Endpoints, now that the pods have addresses.
  for (int i = 0; i < services; ++i) {
    std::string ip;
    for (const auto& vmi : db.back_refs(pods[i]["metadata"]["uid"], "virtual-machine-interface"))
      for (const auto& iip : db.back_refs(vmi.uuid, "instance-ip"))
        ip = iip.props.value("instance_ip_address", "");
    ASSERT_FALSE(ip.empty()) << "pod " << i;
    json address = {{"ip", ip},
                    {"targetRef", {{"kind", "Pod"}, {"namespace", ns_of(i)},
                                   {"name", pods[i]["metadata"]["name"]},
                                   {"uid", pods[i]["metadata"]["uid"]}}}};
    ASSERT_TRUE(store.create({{"apiVersion", "v1"}, {"kind", "Endpoints"},
                              {"metadata", {{"name", svc_name(i)}, {"namespace", ns_of(i)}}},
                              {"subsets", json::array({{{"addresses", json::array({address})},
                                                        {"ports", json::array({{{"port", 8080}, {"protocol", "TCP"}}})}}})}})
                    .is_ok());
  }
  ASSERT_TRUE(bus.run_until_idle(std::chrono::seconds(600)));
  EXPECT_TRUE(cold->introspect()["last_error"].empty()) << cold->introspect()["last_error"].dump();
  cold.reset();
  bus.clear_records();

  // 2. Converged: a fresh kube-manager over the same store and DB (a `csim up` restart),
  // CSIM_RESYNC_REPEAT times (default 1; more for a profile of the resync alone).
  int repeat = 1;
  if (const char* env = std::getenv("CSIM_RESYNC_REPEAT")) repeat = std::max(1, std::min(50, std::atoi(env)));
  for (int r = 0; r < repeat; ++r) {
    auto [warm, warm_writes] = timed_start("resync of a converged store");
    EXPECT_EQ(warm_writes, 0u) << "a resync of a converged store writes nothing";
    EXPECT_TRUE(warm->introspect()["last_error"].empty()) << warm->introspect()["last_error"].dump();
    warm.reset();
    bus.clear_records();
  }
}

}  // namespace
}  // namespace csim::kube
