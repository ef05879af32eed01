#include "core/malloc_tuning.h"

#include <malloc.h>
#include <stdlib.h>
#include <sys/auxv.h>
#include <unistd.h>

namespace csim::core {

std::string tunables_with_tcache(const std::string& current) {
  if (current.find("glibc.malloc.tcache_count=") != std::string::npos) return "";
  const std::string ours = "glibc.malloc.tcache_count=" + std::to_string(kTcacheCount);
  return current.empty() ? ours : current + ":" + ours;
}

namespace {
// Set for the one re-execution: whatever glibc does with GLIBC_TUNABLES (a secure-mode
// process, setuid or with file capabilities, drops it), a process never re-executes twice.
constexpr const char* kRetuned = "CSIM_MALLOC_RETUNED";
}  // namespace

void tune_malloc(char** argv, int arena_max) {
  if (arena_max > 0) mallopt(M_ARENA_MAX, arena_max);
  if (getenv(kRetuned) != nullptr) {
    unsetenv(kRetuned);  // not passed on to the processes csim starts
    return;
  }
  if (getauxval(AT_SECURE) != 0) return;  // glibc ignores the tunable there
  const char* current = getenv("GLIBC_TUNABLES");
  const std::string wanted = tunables_with_tcache(current ? current : "");
  if (wanted.empty() || argv == nullptr || argv[0] == nullptr) return;
  const std::string before = current ? current : "";
  if (setenv("GLIBC_TUNABLES", wanted.c_str(), 1) != 0) return;
  setenv(kRetuned, "1", 1);
  execv("/proc/self/exe", argv);
  // Not re-executed: go on untuned, without claiming the tunable to our children.
  unsetenv(kRetuned);
  if (current)
    setenv("GLIBC_TUNABLES", before.c_str(), 1);
  else
    unsetenv("GLIBC_TUNABLES");
}

}  // namespace csim::core
