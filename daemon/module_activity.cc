#include "daemon/module_activity.h"

#include <map>
#include <mutex>
#include <string>

namespace csim::daemon {

struct ModuleActivity::State {
  std::mutex mu;
  uint64_t first_observed = 0;  // smallest span id the observer counted (0: none yet)
  struct Entry {
    uint64_t spans = 0;
    core::Nanos last{0};
  };
  std::map<std::string, Entry> modules;

  void count(const core::SpanRecord& s) {
    if (s.module.empty()) return;
    std::lock_guard lock(mu);
    if (s.span_id != 0 && (first_observed == 0 || s.span_id < first_observed)) first_observed = s.span_id;
    Entry& e = modules[s.module];
    ++e.spans;
    const core::Nanos t = s.end > s.start ? s.end : s.start;
    if (t > e.last) e.last = t;
  }
};

ModuleActivity::ModuleActivity(core::Bus& bus) : bus_(bus), state_(std::make_shared<State>()) {
  // Observe first, then seed from the records the observer did not see (ids below the
  // first one it counted), so nothing is counted twice or lost.
  bus.add_observer([state = state_](const core::SpanRecord& s) { state->count(s); });
  const auto records = bus.spans();
  {
    std::lock_guard lock(state_->mu);
    for (const auto& s : records) {
      if (s.module.empty()) continue;
      if (state_->first_observed != 0 && s.span_id >= state_->first_observed) continue;
      auto& e = state_->modules[s.module];
      ++e.spans;
      const core::Nanos t = s.end > s.start ? s.end : s.start;
      if (t > e.last) e.last = t;
    }
  }
}

nlohmann::json ModuleActivity::snapshot() const {
  const core::Nanos now = bus_.clock().now();
  nlohmann::json out = nlohmann::json::array();
  std::lock_guard lock(state_->mu);
  for (const auto& [name, e] : state_->modules) {
    int64_t ago = std::chrono::duration_cast<std::chrono::milliseconds>(now - e.last).count();
    out.push_back({{"name", name}, {"spans", e.spans}, {"last_ms_ago", ago < 0 ? 0 : ago}});
  }
  return out;
}

}  // namespace csim::daemon
