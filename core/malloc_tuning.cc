#include "core/malloc_tuning.h"

#include <malloc.h>
#include <stdlib.h>
#include <unistd.h>

namespace csim::core {

std::string tunables_with_tcache(const std::string& current) {
  if (current.find("glibc.malloc.tcache_count=") != std::string::npos) return "";
  const std::string ours = "glibc.malloc.tcache_count=" + std::to_string(kTcacheCount);
  return current.empty() ? ours : current + ":" + ours;
}

void tune_malloc(char** argv, int arena_max) {
  if (arena_max > 0) mallopt(M_ARENA_MAX, arena_max);
  const char* current = getenv("GLIBC_TUNABLES");
  const std::string wanted = tunables_with_tcache(current ? current : "");
  if (wanted.empty() || argv == nullptr || argv[0] == nullptr) return;
  if (setenv("GLIBC_TUNABLES", wanted.c_str(), 1) != 0) return;
  execv("/proc/self/exe", argv);
  // Not re-executed: go on untuned, without claiming the tunable to our children.
  if (current)
    setenv("GLIBC_TUNABLES", current, 1);
  else
    unsetenv("GLIBC_TUNABLES");
}

}  // namespace csim::core
