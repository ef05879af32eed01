#include "daemon/json_http_server.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "agent/http_client.h"
#include "daemon/listener.h"

namespace csim::daemon {
namespace {

using nlohmann::json;

JsonPage pages(const std::string& method, const std::string& target) {
  if (target == "/boom") throw std::runtime_error("kaputt");
  if (target.rfind("/agents", 0) == 0) return {200, {{"method", method}, {"target", target}}};
  return {404, {{"error", "no such page"}}};
}

agent::HttpResponse get(uint16_t port, const std::string& path, const std::string& method = "GET",
                        std::vector<std::pair<std::string, std::string>> headers = {}) {
  agent::HttpRequestSpec spec;
  spec.ip = "127.0.0.1";
  spec.port = port;
  spec.path = path;
  spec.method = method;
  spec.extra_headers = std::move(headers);
  auto r = agent::http_request(spec);
  EXPECT_TRUE(r.is_ok()) << r.status().message();
  return r.is_ok() ? *r : agent::HttpResponse{};
}

TEST(JsonHttpServer, ServesPagesAsPrettyJson) {
  auto l = bind_listener("127.0.0.1", 0);
  ASSERT_TRUE(l.is_ok()) << l.status().message();
  JsonHttpServer server(l->fd, pages);
  ASSERT_TRUE(server.start().is_ok());
  close(l->fd);  // the server serves its own duplicate

  auto r = get(l->port, "/agents/node-1?x=1");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.header("content-type"), "application/json");
  EXPECT_EQ(r.header("connection"), "close");
  EXPECT_EQ(r.body, json({{"method", "GET"}, {"target", "/agents/node-1?x=1"}}).dump(2) + "\n");

  auto missing = get(l->port, "/nope");
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(json::parse(missing.body)["error"], "no such page");

  auto boom = get(l->port, "/boom");
  EXPECT_EQ(boom.status, 500);
  EXPECT_EQ(json::parse(boom.body)["error"], "internal error: kaputt");

  auto head = get(l->port, "/agents", "HEAD");
  EXPECT_EQ(head.status, 200);
  EXPECT_TRUE(head.body.empty());
  server.stop();
  server.stop();  // idempotent
}

TEST(JsonHttpServer, TokenRequiredWhenSet) {
  auto l = bind_listener("127.0.0.1", 0);
  ASSERT_TRUE(l.is_ok());
  JsonHttpServer server(l->fd, pages, "s3cret-token");
  ASSERT_TRUE(server.start().is_ok());
  EXPECT_EQ(get(l->port, "/agents").status, 401);
  EXPECT_EQ(get(l->port, "/agents", "GET", {{"X-Auth-Token", "wrong-token!"}}).status, 401);
  EXPECT_EQ(get(l->port, "/agents", "GET", {{"X-Auth-Token", "s3cret-tok"}}).status, 401);
  EXPECT_EQ(get(l->port, "/agents", "GET", {{"X-Auth-Token", "s3cret-token"}}).status, 200);
  EXPECT_EQ(get(l->port, "/agents", "GET", {{"Authorization", "Bearer s3cret-token"}}).status, 200);
  close(l->fd);
}

// A client that connects and sends nothing holds the server at most 5 s, and stop()
// does not wait for it.
TEST(JsonHttpServer, SilentClientDoesNotBlockStop) {
  auto l = bind_listener("127.0.0.1", 0);
  ASSERT_TRUE(l.is_ok());
  JsonHttpServer server(l->fd, pages);
  ASSERT_TRUE(server.start().is_ok());
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(l->port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  const auto t0 = std::chrono::steady_clock::now();
  server.stop();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(2));
  close(fd);
  close(l->fd);
}

TEST(JsonHttpServer, RefusesWhatIsNotAListeningSocket) {
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  JsonHttpServer not_socket(fds[0], pages);
  EXPECT_EQ(not_socket.start().code(), core::Code::kInvalid);
  close(fds[0]);
  close(fds[1]);
  int unbound = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  JsonHttpServer not_listening(unbound, pages);
  EXPECT_EQ(not_listening.start().code(), core::Code::kInvalid);
  close(unbound);
}

}  // namespace
}  // namespace csim::daemon
