// TEMPORARY debugging test (to be deleted).
#include <gtest/gtest.h>
#include <filesystem>
#include <iostream>
#include "controller/config_api.h"
#include "kube/object_store.h"
#include "sim/control_plane.h"

namespace csim::sim {
using nlohmann::json;

json svc(const std::string& ns, int i) {
  char name[16];
  std::snprintf(name, sizeof name, "svc-%03d", i);
  return {{"apiVersion", "v1"}, {"kind", "Service"}, {"metadata", {{"name", name}, {"namespace", ns}}},
          {"spec", {{"selector", {{"app", name}}}, {"ports", {{{"port", 80}, {"targetPort", 8080}}}}}}};
}
json nsobj(const std::string& ns) { return {{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", ns}}}}; }

TEST(Debug, FromCopy) {
  std::string dir = std::string(getenv("TEST_TMPDIR")) + "/dbgcopy";
  std::filesystem::remove_all(dir);
  std::filesystem::copy("/tmp/csimtry/dbgcopy", dir, std::filesystem::copy_options::recursive);
  ControlPlaneOptions o;
  o.config_db_path = dir + "/config.db";
  o.kube_db_path = dir + "/kube.db";
  core::SimulatedClock clock;
  core::Bus bus(clock, core::Bus::Mode::kDeterministic);
  auto t0 = std::chrono::steady_clock::now();
  auto cp = ControlPlane::start(bus, clock, o);
  ASSERT_TRUE(cp.is_ok()) << cp.status().to_string();
  std::cout << "start took " << std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0).count() << " ms\n";
  std::cout << (*cp)->introspect()["kube-manager"].dump(2).substr(0, 3000) << "\n";
  std::cout << "before idle: services " << (*cp)->store().list("Service").size() << " LBs: "
            << (*cp)->config().list("loadbalancer").size() << "\n";
  bus.run_until_idle();
  std::cout << "services " << (*cp)->store().list("Service").size() << " LBs after restart: "
            << (*cp)->config().list("loadbalancer").size() << "\n";
  std::cout << (*cp)->introspect()["kube-manager"].dump(2).substr(0, 6000) << "\n";
  for (const auto& s : (*cp)->store().list("Service")) {
    if (!(*cp)->config().read(s["metadata"]["uid"])) { std::cout << "missing LB for " << s.dump().substr(0, 600) << "\n"; break; }
  }
}

TEST(Debug, DISABLED_Resync) {
  std::string dir = std::string(getenv("TEST_TMPDIR")) + "/dbg";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  ControlPlaneOptions o;
  o.config_db_path = dir + "/config.db";
  o.kube_db_path = dir + "/kube.db";
  {
    core::SimulatedClock clock;
    core::Bus bus(clock, core::Bus::Mode::kDeterministic);
    auto cp = ControlPlane::start(bus, clock, o);
    ASSERT_TRUE(cp.is_ok()) << cp.status().to_string();
    ASSERT_TRUE((*cp)->store().create(nsobj("crash-0")).is_ok());
    for (int i = 0; i < 200; ++i) ASSERT_TRUE((*cp)->store().create(svc("crash-0", i)).is_ok());
    bus.run_until_idle();
    std::cout << "LBs after crash-0: " << (*cp)->config().list("loadbalancer").size() << "\n";
    ASSERT_TRUE((*cp)->store().remove("Namespace", "", "crash-0").is_ok());
    ASSERT_TRUE((*cp)->store().create(nsobj("crash-1")).is_ok());
    for (int i = 0; i < 190; ++i) ASSERT_TRUE((*cp)->store().create(svc("crash-1", i)).is_ok());
    // "kill": nothing more runs.
    bus.shutdown(std::chrono::milliseconds(1));
    cp->release();  // leak: a killed process runs no destructors
  }
  core::SimulatedClock clock;
  core::Bus bus(clock, core::Bus::Mode::kDeterministic);
  auto cp = ControlPlane::start(bus, clock, o);
  ASSERT_TRUE(cp.is_ok()) << cp.status().to_string();
  bus.run_until_idle();
  std::cout << "services " << (*cp)->store().list("Service").size() << " LBs after restart: "
            << (*cp)->config().list("loadbalancer").size() << "\n";
  std::cout << (*cp)->introspect()["kube-manager"].dump(2).substr(0, 4000) << "\n";
}
}  // namespace csim::sim
