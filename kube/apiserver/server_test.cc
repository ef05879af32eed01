// The HTTP server over real loopback sockets: keep-alive, headers, chunked watches, the
// bearer token, the loopback-only rule, and slow or vanished watchers.
#include "kube/apiserver/server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include <gtest/gtest.h>

#include "core/bus.h"
#include "core/clock.h"
#include "kube/memory_store.h"

namespace csim::kube::apiserver {
namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

// A minimal HTTP/1.1 client on a blocking socket with a receive timeout (every read bounded).
class Client {
 public:
  explicit Client(uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    timeval tv{2, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  }
  ~Client() { close(); }
  void close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }
  bool connected() const { return connected_; }

  void send(const std::string& method, const std::string& target, const std::string& extra_headers = "",
            const std::string& body = "") {
    std::string req = method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n" + extra_headers;
    if (!body.empty()) req += "Content-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) + "\r\n";
    req += "\r\n" + body;
    ::send(fd_, req.data(), req.size(), MSG_NOSIGNAL);
  }

  // Reads until `done(buffer)` or EOF/timeout; bounded by `limit`.
  template <class Done>
  bool read_until(Done done, std::chrono::milliseconds limit = std::chrono::seconds(5)) {
    auto deadline = Clock::now() + limit;
    char buf[65536];
    while (!done(buf_)) {
      if (Clock::now() > deadline) return false;
      ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
      if (n == 0) {
        eof_ = true;
        return done(buf_);
      }
      if (n < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) continue;
        eof_ = true;
        return done(buf_);
      }
      buf_.append(buf, static_cast<size_t>(n));
    }
    return true;
  }

  struct Response {
    int status = 0;
    std::string headers;  // lower-cased
    std::string body;
  };
  // One Content-Length response.
  Response response() {
    Response r;
    read_until([](const std::string& b) {
      size_t end = b.find("\r\n\r\n");
      if (end == std::string::npos) return false;
      std::string head = b.substr(0, end);
      for (char& c : head) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      size_t cl = head.find("content-length: ");
      if (cl == std::string::npos) return true;
      size_t len = std::stoul(head.substr(cl + 16));
      return b.size() >= end + 4 + len;
    });
    size_t end = buf_.find("\r\n\r\n");
    if (end == std::string::npos) return r;
    r.status = std::stoi(buf_.substr(9, 3));
    r.headers = buf_.substr(0, end);
    for (char& c : r.headers) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    size_t cl = r.headers.find("content-length: ");
    size_t len = cl == std::string::npos ? buf_.size() - end - 4 : std::stoul(r.headers.substr(cl + 16));
    r.body = buf_.substr(end + 4, len);
    buf_.erase(0, end + 4 + len);
    return r;
  }
  const std::string& buffer() const { return buf_; }
  bool eof() const { return eof_; }

 private:
  int fd_ = -1;
  bool connected_ = false;
  bool eof_ = false;
  std::string buf_;
};

json service(const std::string& name, size_t annotation_bytes = 0) {
  json s = {{"apiVersion", "v1"},
            {"kind", "Service"},
            {"metadata", {{"name", name}, {"namespace", "default"}}},
            {"spec", {{"ports", {{{"port", 80}}}}}}};
  if (annotation_bytes) s["metadata"]["annotations"]["big"] = std::string(annotation_bytes, 'x');
  return s;
}

template <class Pred>
bool eventually(Pred pred, std::chrono::milliseconds limit = std::chrono::seconds(10)) {
  auto deadline = Clock::now() + limit;
  while (Clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return pred();
}

class ServerTest : public ::testing::Test {
 protected:
  core::SystemClock& clock = core::SystemClock::instance();
  core::Bus bus{clock, core::Bus::Mode::kThreaded, 2};
  MemoryObjectStore store{bus, clock};
};

TEST_F(ServerTest, KeepAliveJsonAndCacheControlOnEveryResponse) {
  ApiServer server(store, bus);
  auto port = server.start();
  ASSERT_TRUE(port.is_ok()) << port.status().to_string();
  EXPECT_GT(*port, 0);
  EXPECT_EQ(server.url(), "http://127.0.0.1:" + std::to_string(*port));
  Client c(*port);
  ASSERT_TRUE(c.connected());
  c.send("GET", "/version?timeout=5s");
  Client::Response v = c.response();
  EXPECT_EQ(v.status, 200);
  EXPECT_NE(v.headers.find("cache-control: no-cache, private"), std::string::npos) << v.headers;
  EXPECT_NE(v.headers.find("content-type: application/json"), std::string::npos);
  EXPECT_EQ(json::parse(v.body)["minor"], "32");
  // Same connection: a 404 Status, then a create.
  c.send("GET", "/api/v1/namespaces/default/services/nosuch");
  Client::Response nf = c.response();
  EXPECT_EQ(nf.status, 404);
  EXPECT_NE(nf.headers.find("cache-control: no-cache, private"), std::string::npos);
  EXPECT_EQ(json::parse(nf.body)["reason"], "NotFound");
  c.send("POST", "/api/v1/namespaces/default/services", "", service("web").dump());
  Client::Response created = c.response();
  EXPECT_EQ(created.status, 201) << created.body;
  EXPECT_TRUE(store.get("Service", "default", "web"));
  c.send("GET", "/nowhere");
  Client::Response page = c.response();
  EXPECT_EQ(page.status, 404);
  EXPECT_NE(page.headers.find("cache-control: no-cache, private"), std::string::npos);
  server.stop();
}

TEST_F(ServerTest, WatchStreamsChunkedEventsUntilTheServerStops) {
  ApiServer server(store, bus);
  auto port = server.start();
  ASSERT_TRUE(port.is_ok());
  Client c(*port);
  c.send("GET", "/api/v1/namespaces/default/services?watch=true&resourceVersion=" +
                    std::to_string(store.resource_version()),
         "Accept: application/json;as=Table;v=v1;g=meta.k8s.io,application/json\r\n");
  ASSERT_TRUE(c.read_until([](const std::string& b) { return b.find("\r\n\r\n") != std::string::npos; }));
  std::string head = c.buffer();
  EXPECT_NE(head.find("200 OK"), std::string::npos);
  EXPECT_NE(head.find("Transfer-Encoding: chunked"), std::string::npos) << head;
  EXPECT_NE(head.find("Cache-Control: no-cache, private"), std::string::npos);
  ASSERT_TRUE(eventually([&] { return server.open_watches() == 1; }));
  ASSERT_TRUE(store.create(service("web")).is_ok());
  ASSERT_TRUE(c.read_until([](const std::string& b) { return b.find("\"type\":\"ADDED\"") != std::string::npos; }))
      << c.buffer();
  EXPECT_NE(c.buffer().find("\"kind\":\"Table\""), std::string::npos);
  EXPECT_NE(c.buffer().find("\"web\""), std::string::npos);
  server.stop();
  EXPECT_TRUE(c.read_until([&](const std::string&) { return c.eof(); }, std::chrono::seconds(5)))
      << "the connection ends with the server";
}

TEST_F(ServerTest, WatchTimeoutEndsTheStreamWithTheLastChunk) {
  ApiServer server(store, bus);
  auto port = server.start();
  ASSERT_TRUE(port.is_ok());
  Client c(*port);
  c.send("GET", "/api/v1/namespaces/default/services?watch=true&timeoutSeconds=1");
  auto start = Clock::now();
  ASSERT_TRUE(c.read_until([](const std::string& b) { return b.find("\r\n0\r\n\r\n") != std::string::npos; },
                           std::chrono::seconds(5)))
      << c.buffer();
  EXPECT_GE(Clock::now() - start, std::chrono::milliseconds(900));
  EXPECT_TRUE(eventually([&] { return server.open_watches() == 0; }));
}

TEST_F(ServerTest, AClientThatGoesAwayIsForgotten) {
  ApiServer server(store, bus);
  auto port = server.start();
  ASSERT_TRUE(port.is_ok());
  {
    Client c(*port);
    c.send("GET", "/api/v1/namespaces/default/services?watch=true");
    ASSERT_TRUE(eventually([&] { return server.open_watches() == 1; }));
  }
  EXPECT_TRUE(eventually([&] { return server.open_watches() == 0; }));
}

TEST_F(ServerTest, AStuckWatcherIsClosedAndNeverBlocksWriters) {
  ApiServerOptions options;
  options.watch.max_queued_per_watcher = 8;
  ApiServer server(store, bus, options);
  auto port = server.start();
  ASSERT_TRUE(port.is_ok());
  Client stuck(*port);  // never reads its watch
  stuck.send("GET", "/api/v1/namespaces/default/services?watch=true");
  ASSERT_TRUE(eventually([&] { return server.open_watches() == 1; }));
  // ~12 MB of events: more than the socket buffers hold, so the server's write blocks.
  auto start = Clock::now();
  for (int i = 0; i < 200; ++i) ASSERT_TRUE(store.create(service("s" + std::to_string(i), 60000)).is_ok());
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(10)) << "writers never wait for watchers";
  ASSERT_TRUE(bus.run_until_idle(std::chrono::seconds(10))) << "the bus drains";
  EXPECT_TRUE(eventually([&] { return server.open_watches() == 0; })) << "the stuck watcher was dropped";
  // Its connection is closed: reading what was buffered ends in EOF.
  EXPECT_TRUE(stuck.read_until([&](const std::string&) { return stuck.eof(); }, std::chrono::seconds(10)));
  // Everyone else is served.
  Client other(*port);
  other.send("GET", "/api/v1/namespaces/default/services/s199");
  EXPECT_EQ(other.response().status, 200);
}

TEST_F(ServerTest, BearerTokenIsRequiredWhenConfigured) {
  ApiServerOptions options;
  options.token = "s3cret-token";
  ApiServer server(store, bus, options);
  auto port = server.start();
  ASSERT_TRUE(port.is_ok());
  Client c(*port);
  c.send("GET", "/api/v1/namespaces");
  Client::Response none = c.response();
  EXPECT_EQ(none.status, 401);
  EXPECT_EQ(json::parse(none.body)["reason"], "Unauthorized");
  c.send("GET", "/api/v1/namespaces", "Authorization: Bearer s3cret-tokeN\r\n");
  EXPECT_EQ(c.response().status, 401);
  c.send("GET", "/api/v1/namespaces", "Authorization: Bearer s3cret-token-longer\r\n");
  EXPECT_EQ(c.response().status, 401);
  c.send("GET", "/api/v1/namespaces", "Authorization: Bearer s3cret-token\r\n");
  Client::Response ok = c.response();
  EXPECT_EQ(ok.status, 200);
  EXPECT_EQ(json::parse(ok.body)["kind"], "NamespaceList");
  c.send("GET", "/healthz");
  Client::Response health = c.response();
  EXPECT_EQ(health.status, 200);
  EXPECT_EQ(health.body, "ok");
}

TEST_F(ServerTest, ListensOnlyOnLoopbackWithoutAToken) {
  ApiServerOptions options;
  options.listen_address = "0.0.0.0";
  ApiServer open(store, bus, options);
  auto r = open.start();
  ASSERT_FALSE(r.is_ok());
  EXPECT_EQ(r.status().code(), core::Code::kInvalid);
  EXPECT_NE(r.status().message().find("without a bearer token"), std::string::npos);
  options.listen_address = "not-an-address";
  options.token = "t";
  ApiServer bad(store, bus, options);
  EXPECT_EQ(bad.start().status().code(), core::Code::kInvalid);
  ApiServer loop(store, bus);
  ASSERT_TRUE(loop.start().is_ok());
  EXPECT_FALSE(loop.start().is_ok()) << "start() works once";
  // The port is taken: a second server on it cannot listen.
  ApiServerOptions same;
  same.port = loop.port();
  ApiServer clash(store, bus, same);
  auto clashed = clash.start();
  ASSERT_FALSE(clashed.is_ok());
  EXPECT_EQ(clashed.status().code(), core::Code::kUnavailable);
}

TEST(ConstantTimeEquals, ComparesWholeStrings) {
  EXPECT_TRUE(constant_time_equals("abc", "abc"));
  EXPECT_FALSE(constant_time_equals("abd", "abc"));
  EXPECT_FALSE(constant_time_equals("ab", "abc"));
  EXPECT_FALSE(constant_time_equals("abcd", "abc"));
  EXPECT_FALSE(constant_time_equals("", "abc"));
  EXPECT_TRUE(constant_time_equals("", ""));
}

}  // namespace
}  // namespace csim::kube::apiserver
