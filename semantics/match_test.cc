#include "semantics/match.h"

#include <gtest/gtest.h>

namespace csim::semantics {
namespace {

TEST(RequestPath, DropsQueryAndFragment) {
  EXPECT_EQ(request_path("/a?x=1"), "/a");
  EXPECT_EQ(request_path("/a#frag"), "/a");
  EXPECT_EQ(request_path("/a/b/"), "/a/b/");
  EXPECT_EQ(request_path(""), "/");
  EXPECT_EQ(request_path("?x"), "/");
}

TEST(Host, LowerTrimAndPort) {
  EXPECT_EQ(lower_ascii("Foo.BAR.com"), "foo.bar.com");
  EXPECT_EQ(trim_header_value("  foo.com\t"), "foo.com");
  EXPECT_EQ(trim_header_value("   "), "");
  EXPECT_EQ(host_without_port("foo.com:80"), "foo.com");
  EXPECT_EQ(host_without_port("foo.com"), "foo.com");
  EXPECT_EQ(host_without_port("[::1]:8080"), "[::1]");
  EXPECT_EQ(host_without_port("[::1]"), "[::1]");
  EXPECT_TRUE(host_has_port("foo.com:80"));
  EXPECT_TRUE(host_has_port("[::1]:80"));
  EXPECT_FALSE(host_has_port("[::1]"));
  EXPECT_FALSE(host_has_port("foo.com"));
}

TEST(WildcardHost, CoversExactlyOneLabel) {
  EXPECT_TRUE(is_wildcard_host("*.foo.com"));
  EXPECT_FALSE(is_wildcard_host("foo.com"));
  EXPECT_FALSE(is_wildcard_host("*."));
  EXPECT_FALSE(is_wildcard_host("a.*.com"));
  EXPECT_TRUE(wildcard_host_matches("*.foo.com", "bar.foo.com"));
  EXPECT_TRUE(wildcard_host_matches("*.foo.com", "BAR.Foo.com"));
  EXPECT_FALSE(wildcard_host_matches("*.foo.com", "baz.bar.foo.com"));
  EXPECT_FALSE(wildcard_host_matches("*.foo.com", "foo.com"));
  EXPECT_FALSE(wildcard_host_matches("*.foo.com", ".foo.com"));
  EXPECT_FALSE(wildcard_host_matches("*.foo.com", "barfoo.com"));
  EXPECT_FALSE(wildcard_host_matches("foo.com", "foo.com"));  // not a wildcard
}

TEST(PrefixPath, ElementWise) {
  EXPECT_TRUE(prefix_path_matches("/", "/"));
  EXPECT_TRUE(prefix_path_matches("/", "/anything/at/all"));
  EXPECT_TRUE(prefix_path_matches("/foo", "/foo"));
  EXPECT_TRUE(prefix_path_matches("/foo", "/foo/"));
  EXPECT_TRUE(prefix_path_matches("/foo", "/foo/bar"));
  EXPECT_FALSE(prefix_path_matches("/foo", "/foobar"));
  EXPECT_TRUE(prefix_path_matches("/foo/", "/foo"));
  EXPECT_FALSE(prefix_path_matches("/aaa/bb", "/aaa/bbb"));
  EXPECT_FALSE(prefix_path_matches("/foo", "/Foo"));  // case-sensitive
  EXPECT_FALSE(prefix_path_matches("/foo/bar", "/foo"));
}

TEST(PrefixPath, RankIgnoresTrailingSlashes) {
  EXPECT_EQ(prefix_rank_length("/"), 0u);
  EXPECT_EQ(prefix_rank_length("/foo"), 4u);
  EXPECT_EQ(prefix_rank_length("/foo/"), 4u);
  EXPECT_EQ(prefix_rank_length("/foo//"), 4u);
}

}  // namespace
}  // namespace csim::semantics
