// Test-only: a config DB (SQLite ":memory:", seeded uuids, simulated clock, deterministic
// bus) holding what kube-manager makes for the Ingress "simple-fanout" in namespace
// "default" (contrail-reference.md §1.2): project, pod network, VIP VMI + instance-ip,
// loadbalancer, one listener, pool and member. Every config.changed.* notification is
// recorded.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "controller/config_db.h"
#include "core/bus.h"
#include "core/clock.h"

namespace csim::controller {

struct SceneIds {
  static constexpr const char* kProject = "11111111-1111-4111-8111-111111111111";
  static constexpr const char* kVmi = "22222222-2222-4222-8222-222222222222";
  static constexpr const char* kIip = "33333333-3333-4333-8333-333333333333";
  static constexpr const char* kLb = "5d4b1f0e-0c3a-4f8e-9a57-8f3d2c1b0a99";  // the Ingress uid
  static constexpr const char* kListener = "44444444-4444-4444-8444-444444444444";
  static constexpr const char* kPool = "55555555-5555-4555-8555-555555555555";
  static constexpr const char* kMember = "66666666-6666-4666-8666-666666666666";
  static constexpr const char* kVn = "77777777-7777-4777-8777-777777777777";
  static constexpr const char* kSas = "88888888-8888-4888-8888-888888888888";
};

class TestScene {
 public:
  TestScene();
  ~TestScene();  // drains the bus before the DB goes away

  // Notifications since the last call, as "op type name" (name = last fq_name element).
  // Thread: the test's (drains the deterministic bus).
  std::vector<std::string> events();

  core::SimulatedClock clock;
  core::Bus bus;
  ConfigDb db;

 private:
  std::vector<nlohmann::json> bodies_;
};

// Reads a file of the source tree (runfiles-relative, e.g. "controller/rest/testdata/x.json").
std::string read_test_file(const std::string& path);

// Compares `actual` with the golden JSON file controller/rest/testdata/<name>.json. With
// CSIM_UPDATE_GOLDEN=<dir> in the environment, (re)writes <dir>/<name>.json instead.
// Returns "" when equal, else a message with both texts.
std::string golden_diff(const std::string& name, const nlohmann::json& actual);

}  // namespace csim::controller
