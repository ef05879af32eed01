#include "daemon/tcp_forwarder.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <chrono>
#include <thread>

#include "daemon/listener.h"

namespace csim::daemon {
namespace {

int connect_to(uint16_t port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

// Reads until EOF (bounded by 5 s).
std::string read_all(int fd) {
  std::string out;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (std::chrono::steady_clock::now() < deadline) {
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, 100) <= 0) continue;
    char buf[4096];
    ssize_t n = read(fd, buf, sizeof buf);
    if (n <= 0) return out;
    out.append(buf, n);
  }
  return out + "<timeout>";
}

// The "API server": answers each connection with its input upper-cased, after the
// client has half-closed (so the half-close must get through the forwarder).
class UpperServer {
 public:
  UpperServer() {
    auto l = bind_listener("127.0.0.1", 0);
    fd_ = l->fd;
    port_ = l->port;
    thread_ = std::thread([this] {
      for (;;) {
        int c = accept(fd_, nullptr, nullptr);
        if (c < 0) return;
        std::string in = read_all(c);
        for (auto& ch : in) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
        ssize_t ignored = send(c, in.data(), in.size(), MSG_NOSIGNAL);
        (void)ignored;
        close(c);
      }
    });
  }
  ~UpperServer() {
    shutdown(fd_, SHUT_RDWR);
    close(fd_);
    thread_.join();
  }
  uint16_t port() const { return port_; }

 private:
  int fd_;
  uint16_t port_;
  std::thread thread_;
};

TEST(TcpForwarder, RelaysBothWaysWithHalfClose) {
  UpperServer upstream;
  auto outer = bind_listener("127.0.0.1", 0);
  ASSERT_TRUE(outer.is_ok());
  TcpForwarder forwarder(outer->fd, "127.0.0.1", upstream.port());
  ASSERT_TRUE(forwarder.start().is_ok());
  close(outer->fd);  // the forwarder serves its own duplicate
  for (int i = 0; i < 3; ++i) {
    int c = connect_to(outer->port);
    ASSERT_GE(c, 0);
    std::string big(100000, 'k');
    std::string msg = "get ns " + std::to_string(i) + big;
    ASSERT_EQ(write(c, msg.data(), msg.size()), static_cast<ssize_t>(msg.size()));
    shutdown(c, SHUT_WR);
    std::string got = read_all(c);
    EXPECT_EQ(got.size(), msg.size());
    EXPECT_EQ(got.substr(0, 8), "GET NS " + std::to_string(i));
    close(c);
  }
  EXPECT_EQ(forwarder.connections(), 3u);
  forwarder.stop();
  EXPECT_LT(connect_to(outer->port), 0);
}

TEST(TcpForwarder, UnreachableTargetClosesTheClient) {
  // A port nobody listens on: take a free one and close it.
  auto spare = bind_listener("127.0.0.1", 0);
  ASSERT_TRUE(spare.is_ok());
  uint16_t dead_port = spare->port;
  close(spare->fd);
  auto outer = bind_listener("127.0.0.1", 0);
  ASSERT_TRUE(outer.is_ok());
  TcpForwarder forwarder(outer->fd, "127.0.0.1", dead_port);
  ASSERT_TRUE(forwarder.start().is_ok());
  int c = connect_to(outer->port);
  ASSERT_GE(c, 0);
  EXPECT_EQ(read_all(c), "");
  close(c);
  close(outer->fd);
}

TEST(TcpForwarder, StopClosesOpenConnections) {
  UpperServer upstream;
  auto outer = bind_listener("127.0.0.1", 0);
  ASSERT_TRUE(outer.is_ok());
  TcpForwarder forwarder(outer->fd, "127.0.0.1", upstream.port());
  ASSERT_TRUE(forwarder.start().is_ok());
  int c = connect_to(outer->port);
  ASSERT_GE(c, 0);
  ASSERT_EQ(write(c, "watch", 5), 5);  // like a kubectl watch: the connection stays open
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  forwarder.stop();
  EXPECT_EQ(read_all(c), "");
  close(c);
  close(outer->fd);
}

TEST(TcpForwarder, RefusesWhatIsNotAListener) {
  int plain = socket(AF_INET, SOCK_STREAM, 0);
  TcpForwarder a(plain, "127.0.0.1", 1);
  auto st = a.start();
  EXPECT_EQ(st.code(), core::Code::kInvalid);
  EXPECT_NE(st.message().find("not a listening socket"), std::string::npos);
  close(plain);
  auto outer = bind_listener("127.0.0.1", 0);
  TcpForwarder b(outer->fd, "localhost", 1);
  EXPECT_EQ(b.start().code(), core::Code::kInvalid);
  close(outer->fd);
}

}  // namespace
}  // namespace csim::daemon
