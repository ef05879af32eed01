#include "daemon/http_url.h"

#include <gtest/gtest.h>

namespace csim::daemon {
namespace {

TEST(HttpUrl, Forms) {
  auto a = parse_http_url("http://10.84.59.252/qa.html");
  ASSERT_TRUE(a.is_ok());
  EXPECT_EQ(a->ip, "10.84.59.252");
  EXPECT_EQ(a->port, 80);
  EXPECT_EQ(a->path, "/qa.html");
  auto b = parse_http_url("10.0.0.1:8080");
  ASSERT_TRUE(b.is_ok());
  EXPECT_EQ(b->port, 8080);
  EXPECT_EQ(b->path, "/");
  auto c = parse_http_url("HTTP://10.0.0.1?x=1#frag");
  ASSERT_TRUE(c.is_ok());
  EXPECT_EQ(c->path, "/?x=1");
  auto d = parse_http_url("http://10.0.0.1/a/b?c=d&e=f");
  ASSERT_TRUE(d.is_ok());
  EXPECT_EQ(d->path, "/a/b?c=d&e=f");
  EXPECT_FALSE(d->https);
  auto e = parse_http_url("https://10.0.0.1/qa.html");
  ASSERT_TRUE(e.is_ok());
  EXPECT_TRUE(e->https);
  EXPECT_EQ(e->port, 443);
  auto f = parse_http_url("HTTPS://10.0.0.1:8443");
  ASSERT_TRUE(f.is_ok());
  EXPECT_TRUE(f->https);
  EXPECT_EQ(f->port, 8443);
}

TEST(HttpUrl, Refusals) {
  auto msg = [](const std::string& url) { return parse_http_url(url).status().message(); };
  EXPECT_NE(msg("ftp://10.0.0.1/").find("only http:// and https:// URLs are supported"), std::string::npos);
  EXPECT_NE(msg("ftp://10.0.0.1/").find("only http://"), std::string::npos);
  EXPECT_NE(msg("http://web.example/").find("--host"), std::string::npos);
  EXPECT_NE(msg("http://10.0.0.1:0/").find("out of range"), std::string::npos);
  EXPECT_NE(msg("http://10.0.0.1:99999/").find("out of range"), std::string::npos);
  EXPECT_NE(msg("http://10.0.0.1:http/").find("bad port"), std::string::npos);
  EXPECT_NE(msg("http://10.0.0.1/a b").find("spaces"), std::string::npos);
  EXPECT_NE(msg("http://u:p@10.0.0.1/").find("user info"), std::string::npos);
  EXPECT_NE(msg("http:///x").find("no host"), std::string::npos);
  EXPECT_EQ(parse_http_url("http://[::1]/").status().code(), core::Code::kInvalid);
}

}  // namespace
}  // namespace csim::daemon
