#include "kube/base64.h"

#include <gtest/gtest.h>

namespace csim::kube {
namespace {

TEST(Base64, EncodesRfc4648Vectors) {
  EXPECT_EQ(base64_encode(""), "");
  EXPECT_EQ(base64_encode("f"), "Zg==");
  EXPECT_EQ(base64_encode("fo"), "Zm8=");
  EXPECT_EQ(base64_encode("foo"), "Zm9v");
  EXPECT_EQ(base64_encode("foob"), "Zm9vYg==");
  EXPECT_EQ(base64_encode("fooba"), "Zm9vYmE=");
  EXPECT_EQ(base64_encode("foobar"), "Zm9vYmFy");
}

TEST(Base64, DecodesWhatItEncodesIncludingBinary) {
  std::string bytes;
  for (int i = 0; i < 256; ++i) bytes += char(i);
  for (size_t n = 0; n <= bytes.size(); n += 7) {
    const std::string part = bytes.substr(0, n);
    auto back = base64_decode(base64_encode(part));
    ASSERT_TRUE(back) << n;
    EXPECT_EQ(*back, part);
  }
}

TEST(Base64, RejectsNonCanonicalText) {
  EXPECT_FALSE(base64_decode("Zg"));        // no padding
  EXPECT_FALSE(base64_decode("Zg=a"));      // data after padding
  EXPECT_FALSE(base64_decode("Z==="));      // three '='
  EXPECT_FALSE(base64_decode("Zg==Zg=="));  // padding in the middle
  EXPECT_FALSE(base64_decode("Zm9v\n"));    // whitespace
  EXPECT_FALSE(base64_decode("Zm9*"));      // outside the alphabet
  EXPECT_EQ(*base64_decode("Zm9vYmE="), "fooba");
}

}  // namespace
}  // namespace csim::kube
