#include "core/clock.h"

#include <ctime>
#include <string>

namespace csim::core {

Nanos SystemClock::now() const {
  return std::chrono::duration_cast<Nanos>(std::chrono::system_clock::now().time_since_epoch());
}

SystemClock& SystemClock::instance() {
  static SystemClock clock;
  return clock;
}

SimulatedClock::SimulatedClock() : now_(int64_t{1767225600} * 1000000000) {}

std::string rfc3339(Nanos t) {
  std::time_t secs = static_cast<std::time_t>(t.count() / 1000000000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

}  // namespace csim::core
