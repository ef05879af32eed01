// Test helpers shared by agent/ tests.
#pragma once

#include <gtest/gtest.h>

#include "core/status.h"

namespace csim::agent::testing_util {

inline const core::Status& status_of(const core::Status& s) { return s; }
template <class T>
const core::Status& status_of(const core::Result<T>& r) {
  return r.status();
}

}  // namespace csim::agent::testing_util

// Asserts that a Status or Result is OK and prints its message otherwise.
#define CSIM_ASSERT_OK(expr)                                                         \
  do {                                                                               \
    const auto& csim_result_ = (expr);                                               \
    const auto& csim_status_ = ::csim::agent::testing_util::status_of(csim_result_); \
    ASSERT_TRUE(csim_status_.is_ok()) << #expr << ": " << csim_status_.message();    \
  } while (0)
#define CSIM_EXPECT_OK(expr)                                                         \
  do {                                                                               \
    const auto& csim_result_ = (expr);                                               \
    const auto& csim_status_ = ::csim::agent::testing_util::status_of(csim_result_); \
    EXPECT_TRUE(csim_status_.is_ok()) << #expr << ": " << csim_status_.message();    \
  } while (0)
