// Its own main: tune_malloc() re-executes this test once with the tunable set.
#include "core/malloc_tuning.h"

#include <gtest/gtest.h>
#include <stdlib.h>

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
}

}  // namespace
}  // namespace csim::core

int main(int argc, char** argv) {
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
