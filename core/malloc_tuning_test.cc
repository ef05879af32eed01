// Its own main: tune_malloc() re-executes this test once with the tunable set.
#include "core/malloc_tuning.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <cstdio>
#include <string>

namespace csim::core {
namespace {

TEST(MallocTuning, AddsTheTcacheTunableOnceBesideOthers) {
  EXPECT_EQ(tunables_with_tcache(""), "glibc.malloc.tcache_count=256");
  EXPECT_EQ(tunables_with_tcache("glibc.malloc.check=0"),
            "glibc.malloc.check=0:glibc.malloc.tcache_count=256");
  EXPECT_EQ(tunables_with_tcache("glibc.malloc.tcache_count=64"), "");  // the user's choice stays
}

TEST(MallocTuning, TheProcessRunsWithTheTunable) {
  const char* tunables = getenv("GLIBC_TUNABLES");
  ASSERT_NE(tunables, nullptr) << "tune_malloc() did not re-execute the process";
  EXPECT_NE(std::string(tunables).find("glibc.malloc.tcache_count="), std::string::npos);
  EXPECT_EQ(getenv("CSIM_MALLOC_RETUNED"), nullptr) << "the marker is not passed on";
}

TEST(MallocTuning, AReExecutedProcessNeverReExecutesAgain) {
  // As if glibc had dropped the tunable in the re-executed process: the marker stops it.
  setenv("CSIM_MALLOC_RETUNED", "1", 1);
  unsetenv("GLIBC_TUNABLES");
  char* argv[] = {const_cast<char*>("/nonexistent/never-run"), nullptr};
  tune_malloc(argv);  // would execute /proc/self/exe (this test, from the start) again
  EXPECT_EQ(getenv("GLIBC_TUNABLES"), nullptr);
  EXPECT_EQ(getenv("CSIM_MALLOC_RETUNED"), nullptr);
}

}  // namespace
}  // namespace csim::core

int main(int argc, char** argv) {
  if (std::string(argv[0]) == "/nonexistent/never-run") {
    fprintf(stderr, "re-executed a second time\n");
    return 1;
  }
  // Bazel may pass GLIBC_TUNABLES through from the environment: start from none.
  static bool first = getenv("CSIM_MALLOC_TUNING_TEST_STARTED") == nullptr;
  if (first) {
    setenv("CSIM_MALLOC_TUNING_TEST_STARTED", "1", 1);
    unsetenv("GLIBC_TUNABLES");
  }
  csim::core::tune_malloc(argv);
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
