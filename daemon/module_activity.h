// Which modules of the running cluster are alive and busy, for `csim status`: a bus
// observer counts every span each module records (publishes and work) and remembers
// when it last did something. Seeded from the bus's records at construction (the
// cluster's start-up). Thread-safe; the observer's state is shared with the bus (which
// keeps observers for its whole life), so this object may be destroyed first.
#pragma once

#include <memory>

#include <nlohmann/json.hpp>

#include "core/bus.h"

namespace csim::daemon {

class ModuleActivity {
 public:
  explicit ModuleActivity(core::Bus& bus);

  // [{"name", "spans", "last_ms_ago"}], sorted by name.
  nlohmann::json snapshot() const;

  struct State;

 private:
  core::Bus& bus_;
  std::shared_ptr<State> state_;
};

}  // namespace csim::daemon
