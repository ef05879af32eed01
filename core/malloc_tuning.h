// How csim sets up glibc's malloc for its threads. Call first thing in main(), before any
// thread starts.
//
//   - At most `arena_max` arenas (M_ARENA_MAX; 2 by default, 0 leaves glibc's default of
//     up to 8 per core): glibc gives each of the bus's threads its own arena, and with
//     csim's many short-lived JSON documents that multiplies the resident size 2-3x over
//     the live heap (bench/ingress_scale --arena-max shows it).
//   - A per-thread cache of kTcacheCount freed chunks per size class (the tunable
//     glibc.malloc.tcache_count; glibc keeps 7): with few arenas shared by many threads,
//     most mallocs and frees otherwise take an arena's lock, and at 1,000 Ingresses that
//     lock was where the threads queued (bench/ingress_scale converged in 33-42 s with
//     glibc's 7, 24-32 s with 256).
//
// glibc reads its tunables only when a process starts: when GLIBC_TUNABLES does not set
// tcache_count yet, the process executes itself again (/proc/self/exe, the same argv, the
// environment plus the tunable: same pid, nothing has run yet), once: a marker in the
// environment (removed again at once) stops a second time. A secure-mode process (setuid,
// file capabilities) is left alone: glibc ignores the tunable there. If the execution fails
// it goes on untuned. Processes csim starts inherit the tunable (harmless: a larger cache).
#pragma once

#include <string>

namespace csim::core {

inline constexpr int kTcacheCount = 256;

// May not return (it re-executes the process once); argv as main() got it. With a null
// argv only the arenas are set (a short-lived process gains nothing from the cache).
void tune_malloc(char** argv, int arena_max = 2);

// The value GLIBC_TUNABLES should have: `current` (empty when unset) with
// glibc.malloc.tcache_count=kTcacheCount added; "" when `current` already sets it.
std::string tunables_with_tcache(const std::string& current);

}  // namespace csim::core
