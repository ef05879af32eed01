// Clock: every timestamp and timer in csim goes through one of these, so tests can
// run backoff, resync and failover paths on simulated time, exactly and instantly.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

namespace csim::core {

// Nanoseconds since the Unix epoch (system clock) or since the start of a simulation.
using Nanos = std::chrono::nanoseconds;

class Clock {
 public:
  virtual ~Clock() = default;
  // Current time. Thread-safe; monotonic for SimulatedClock, wall time for SystemClock.
  virtual Nanos now() const = 0;
};

// Wall-clock time (std::chrono::system_clock), for normal runs.
class SystemClock : public Clock {
 public:
  Nanos now() const override;
  static SystemClock& instance();
};

// Time that moves only when a test says so. Starts at 2026-01-01T00:00:00Z so that
// timestamps printed in golden files are stable.
class SimulatedClock : public Clock {
 public:
  SimulatedClock();
  Nanos now() const override { return Nanos(now_.load()); }
  void advance(Nanos by) { now_ += by.count(); }
  void set(Nanos to) { now_ = to.count(); }

 private:
  std::atomic<int64_t> now_;
};

// RFC 3339 in UTC with seconds, as Kubernetes prints timestamps: "2026-01-01T00:00:00Z".
std::string rfc3339(Nanos t);

}  // namespace csim::core
