#include "daemon/listener.h"

#include <gtest/gtest.h>
#include <unistd.h>

namespace csim::daemon {
namespace {

TEST(Listener, LoopbackRule) {
  EXPECT_TRUE(is_loopback_address("127.0.0.1"));
  EXPECT_TRUE(is_loopback_address("127.9.8.7"));
  EXPECT_TRUE(is_loopback_address("::1"));
  EXPECT_FALSE(is_loopback_address("0.0.0.0"));
  EXPECT_FALSE(is_loopback_address("192.168.1.10"));
  EXPECT_FALSE(is_loopback_address("localhost"));
  EXPECT_TRUE(check_listen_address("127.0.0.1", "", "--listen").is_ok());
  auto open = check_listen_address("0.0.0.0", "", "--listen");
  EXPECT_EQ(open.code(), core::Code::kInvalid);
  EXPECT_NE(open.message().find("--token"), std::string::npos);
  EXPECT_TRUE(check_listen_address("0.0.0.0", "s3cr3t-token", "--listen").is_ok());
  EXPECT_EQ(check_listen_address("my-host", "s3cr3t-token", "--listen").code(), core::Code::kInvalid);
}

TEST(Listener, BindsAFreePortAndReportsBusyOnes) {
  auto a = bind_listener("127.0.0.1", 0);
  ASSERT_TRUE(a.is_ok()) << a.status().message();
  EXPECT_GT(a->port, 0);
  EXPECT_GE(a->fd, 0);
  auto b = bind_listener("127.0.0.1", a->port);
  ASSERT_FALSE(b.is_ok());
  EXPECT_NE(b.status().message().find("127.0.0.1:" + std::to_string(a->port)), std::string::npos);
  close(a->fd);
}

TEST(Listener, UrlHostAndToken) {
  EXPECT_EQ(url_host("127.0.0.1"), "127.0.0.1");
  EXPECT_EQ(url_host("0.0.0.0"), "127.0.0.1");
  EXPECT_EQ(url_host("::"), "[::1]");
  EXPECT_EQ(url_host("fd00::5"), "[fd00::5]");
  EXPECT_TRUE(check_token("abcdefgh").is_ok());
  EXPECT_FALSE(check_token("short").is_ok());
  EXPECT_FALSE(check_token("with space in it").is_ok());
  EXPECT_FALSE(check_token("new\nline-token").is_ok());
}

}  // namespace
}  // namespace csim::daemon
