// The REST server over real loopback HTTP, against the real config DB (":memory:").
#include "controller/rest/config_rest_server.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <map>
#include <thread>

#include "controller/rest/test_scene.h"

namespace csim::controller {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;
using nlohmann::json;

struct Reply {
  int status = 0;
  std::map<std::string, std::string> headers;
  std::string body;
  bool keep_alive = false;
  json j() const { return json::parse(body, nullptr, false); }
};

// A tiny blocking HTTP/1.1 client over loopback; every read gives up after 5 s.
class Client {
 public:
  explicit Client(uint16_t port, const std::string& address = "127.0.0.1") : socket_(ioc_) {
    socket_.connect(tcp::endpoint(net::ip::make_address(address), port));
    timeval tv{5, 0};
    setsockopt(socket_.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    host_ = address + ":" + std::to_string(port);
  }

  Reply request(http::verb method, const std::string& target, const std::string& body = "",
                const std::map<std::string, std::string>& headers = {}) {
    http::request<http::string_body> req(method, target, 11);
    req.set(http::field::host, host_);
    for (const auto& [k, v] : headers) req.set(k, v);
    if (!body.empty()) {
      req.set(http::field::content_type, "application/json");
      req.body() = body;
    }
    req.prepare_payload();
    http::write(socket_, req);
    return read();
  }

  Reply read() {
    http::response<http::string_body> res;
    beast::error_code ec;
    http::read(socket_, buffer_, res, ec);
    Reply r;
    if (ec) {
      r.status = -1;
      r.body = ec.message();
      return r;
    }
    r.status = res.result_int();
    for (const auto& f : res) r.headers[std::string(f.name_string())] = std::string(f.value());
    r.body = res.body();
    r.keep_alive = res.keep_alive();
    return r;
  }

  void write_raw(const std::string& bytes) { net::write(socket_, net::buffer(bytes)); }

  // Reads raw bytes up to and including the first blank line.
  std::string read_head() {
    std::string out;
    beast::error_code ec;
    net::read_until(socket_, net::dynamic_buffer(out), "\r\n\r\n", ec);
    return ec ? "error: " + ec.message() : out;
  }

  // True when the server has closed the connection (EOF or reset within the timeout).
  bool closed_by_server() {
    char c;
    beast::error_code ec;
    socket_.read_some(net::buffer(&c, 1), ec);
    return ec == net::error::eof || ec == net::error::connection_reset;
  }

  const std::string& host() const { return host_; }

 private:
  net::io_context ioc_;
  tcp::socket socket_;
  beast::flat_buffer buffer_;
  std::string host_;
};

class ConfigRestServerTest : public ::testing::Test {
 protected:
  void start(RestOptions options = {}) {
    options.port = 0;
    server_ = std::make_unique<ConfigRestServer>(scene_.db, options);
    auto port = server_->start();
    ASSERT_TRUE(port.is_ok()) << port.status().to_string();
    port_ = *port;
    ASSERT_NE(port_, 0);
    EXPECT_EQ(server_->port(), port_);
  }
  void TearDown() override {
    if (server_) server_->stop();
  }

  TestScene scene_;
  std::unique_ptr<ConfigRestServer> server_;
  uint16_t port_ = 0;
};

const std::string kMemberPath = std::string("/loadbalancer-member/") + SceneIds::kMember;

TEST_F(ConfigRestServerTest, GetLoadbalancerOverHttp) {
  start();
  Client c(port_);
  Reply r = c.request(http::verb::get, std::string("/loadbalancer/") + SceneIds::kLb);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.headers["Content-Type"], "application/json; charset=UTF-8");
  EXPECT_EQ(r.headers["ETag"], "\"2026-01-01T00:00:00.000000\"");
  EXPECT_TRUE(r.keep_alive);
  json lb = r.j()["loadbalancer"];
  EXPECT_EQ(lb["uuid"], SceneIds::kLb);
  EXPECT_EQ(lb["href"], "http://" + c.host() + "/loadbalancer/" + SceneIds::kLb);
  EXPECT_EQ(lb["loadbalancer_listener_back_refs"][0]["uuid"], SceneIds::kListener);
  EXPECT_EQ(lb["virtual_machine_interface_refs"][0]["uuid"], SceneIds::kVmi);

  r = c.request(http::verb::get, "/loadbalancers?detail=True");  // same connection
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.j()["loadbalancers"][0]["loadbalancer"]["uuid"], SceneIds::kLb);
  r = c.request(http::verb::get, "/loadbalancer-pools?count=True");
  EXPECT_EQ(r.j(), json::parse(R"({"loadbalancer-pools": {"count": 1}})"));
}

TEST_F(ConfigRestServerTest, WriteThroughCreatePutDelete) {
  start();
  Client c(port_);
  // PUT: the member goes admin-down; svc-monitor would react to the notification.
  Reply r = c.request(http::verb::put, kMemberPath, R"({"loadbalancer-member": {
      "loadbalancer_member_properties": {"admin_state": false, "address": "10.96.0.10",
                                         "protocol_port": 80, "weight": 1}}})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.j()["loadbalancer-member"]["uuid"], SceneIds::kMember);
  auto m = scene_.db.read(SceneIds::kMember);
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->props["loadbalancer_member_properties"]["admin_state"], false);
  EXPECT_EQ(m->props["loadbalancer_member_properties"]["address"], "10.96.0.10");
  EXPECT_EQ(scene_.events(), std::vector<std::string>{"update loadbalancer-member " +
                                                      std::string(SceneIds::kMember)});

  // POST: a second member under the pool, read back through the ConfigApi.
  r = c.request(http::verb::post, "/loadbalancer-members",
                std::string(R"({"loadbalancer-member": {"name": "m2", "parent_type":
                    "loadbalancer-pool", "parent_uuid": ")") +
                    SceneIds::kPool +
                    R"(", "loadbalancer_member_properties": {"address": "10.96.0.11",
                    "protocol_port": 8080, "weight": 1, "admin_state": true}}})");
  ASSERT_EQ(r.status, 200) << r.body;
  const std::string uuid = r.j()["loadbalancer-member"]["uuid"];
  auto created = scene_.db.read(uuid);
  ASSERT_TRUE(created.has_value());
  EXPECT_EQ(created->parent_uuid, SceneIds::kPool);
  EXPECT_EQ(created->props["loadbalancer_member_properties"]["protocol_port"], 8080);
  EXPECT_EQ(scene_.events(), std::vector<std::string>{"create loadbalancer-member m2"});

  // DELETE.
  r = c.request(http::verb::delete_, "/loadbalancer-member/" + uuid);
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(r.body.empty());
  EXPECT_FALSE(scene_.db.read(uuid).has_value());
  EXPECT_EQ(scene_.events(), std::vector<std::string>{"delete loadbalancer-member m2"});
  EXPECT_EQ(c.request(http::verb::get, "/loadbalancer-member/" + uuid).status, 404);
}

TEST_F(ConfigRestServerTest, TraceRootsAtTheRestCall) {
  RestOptions o;
  o.trace_bus = &scene_.bus;
  start(o);
  Client c(port_);
  ASSERT_EQ(
      c.request(http::verb::put, kMemberPath, R"({"loadbalancer-member": {"display_name": "m"}})")
          .status,
      200);
  scene_.events();
  uint64_t root = 0;
  for (const auto& s : scene_.bus.spans())
    if (s.kind == "root" && s.module == "config-api" && s.topic == "PUT " + kMemberPath)
      root = s.trace_id;
  ASSERT_NE(root, 0u);
  bool notified = false;
  for (const auto& s : scene_.bus.spans_of(root))
    if (s.topic == "config.changed.loadbalancer-member") notified = true;
  EXPECT_TRUE(notified);
}

TEST_F(ConfigRestServerTest, ErrorsAreJson) {
  start();
  Client c(port_);
  Reply r = c.request(http::verb::get, "/widget/x");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.headers["Content-Type"], "application/json; charset=UTF-8");
  EXPECT_EQ(r.j()["error"]["message"], "no such resource type: widget");
  EXPECT_TRUE(r.keep_alive);  // an error does not cost the connection
  r = c.request(http::verb::get, "/loadbalancer/nope");
  EXPECT_EQ(r.status, 404);
  r = c.request(http::verb::put, kMemberPath, "{\"loadbalancer-member\": ");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.j()["error"]["status"], "Invalid");
  r = c.request(http::verb::post, "/loadbalancers", R"({"loadbalancer": {"fq_name":
      ["default-domain", "k8s-default", "simple-fanout__5d4b1f0e-0c3a-4f8e-9a57-8f3d2c1b0a99"]}})");
  EXPECT_EQ(r.status, 409);
  r = c.request(http::verb::patch, kMemberPath, "{}");
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(r.headers["Allow"], "GET, PUT, DELETE");
  EXPECT_TRUE(scene_.events().empty());
}

TEST_F(ConfigRestServerTest, OversizedBodiesAreRefused) {
  RestOptions o;
  o.max_body_bytes = 1024;
  start(o);
  {  // Content-Length over the limit: 413 before the body is sent.
    Client c(port_);
    c.write_raw("PUT " + kMemberPath + " HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n\r\n");
    Reply r = c.read();
    EXPECT_EQ(r.status, 413) << r.body;
    EXPECT_NE(r.j()["error"]["message"].get<std::string>().find("1024 bytes"), std::string::npos);
    EXPECT_FALSE(r.keep_alive);
  }
  {  // Chunked: refused once the limit is passed.
    Client c(port_);
    std::string chunk(800, 'x');
    char size[16];
    std::snprintf(size, sizeof size, "%zx", chunk.size());
    c.write_raw("PUT " + kMemberPath +
                " HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" + size + "\r\n" +
                chunk + "\r\n" + size + "\r\n" + chunk + "\r\n0\r\n\r\n");
    EXPECT_EQ(c.read().status, 413);
  }
  {  // Just under the limit is fine.
    Client c(port_);
    std::string body =
        R"({"loadbalancer-member": {"display_name": ")" + std::string(900, 'a') + "\"}}";
    ASSERT_LE(body.size(), 1024u);
    EXPECT_EQ(c.request(http::verb::put, kMemberPath, body).status, 200);
  }
  EXPECT_EQ(scene_.db.read(SceneIds::kMember)->props["display_name"], std::string(900, 'a'));
}

TEST_F(ConfigRestServerTest, ExpectContinue) {
  start();
  Client c(port_);
  const std::string body = R"({"loadbalancer-member": {"display_name": "continued"}})";
  c.write_raw("PUT " + kMemberPath + " HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n" +
              "Content-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
              "\r\n\r\n");
  EXPECT_EQ(c.read_head().rfind("HTTP/1.1 100 Continue\r\n", 0), 0u);
  c.write_raw(body);
  EXPECT_EQ(c.read().status, 200);
  EXPECT_EQ(scene_.db.read(SceneIds::kMember)->props["display_name"], "continued");
}

TEST_F(ConfigRestServerTest, TokenIsRequiredWhenSet) {
  RestOptions o;
  o.token = "s3cret-token";
  start(o);
  const std::string get = "/loadbalancers";
  {
    Client c(port_);
    Reply r = c.request(http::verb::get, get);
    EXPECT_EQ(r.status, 401);
    EXPECT_EQ(r.headers["WWW-Authenticate"], "Bearer");
    EXPECT_EQ(r.j()["error"]["status"], "Unauthorized");
  }
  for (const auto& [header, value] :
       std::vector<std::pair<std::string, std::string>>{{"X-Auth-Token", "s3cret-tokeN"},
                                                        {"X-Auth-Token", "s3cret-token-and-more"},
                                                        {"X-Auth-Token", ""},
                                                        {"Authorization", "Basic s3cret-token"},
                                                        {"Authorization", "Bearer s3cret"}}) {
    Client c(port_);
    EXPECT_EQ(c.request(http::verb::get, get, "", {{header, value}}).status, 401)
        << header << ": " << value;
  }
  {  // A write without the token changes nothing.
    Client c(port_);
    EXPECT_EQ(c.request(http::verb::delete_, kMemberPath).status, 401);
    EXPECT_TRUE(scene_.db.read(SceneIds::kMember).has_value());
  }
  Client a(port_);
  EXPECT_EQ(a.request(http::verb::get, get, "", {{"X-Auth-Token", "s3cret-token"}}).status, 200);
  Client b(port_);
  EXPECT_EQ(b.request(http::verb::get, get, "", {{"Authorization", "Bearer s3cret-token"}}).status,
            200);
  EXPECT_EQ(
      b.request(http::verb::get, get, "", {{"Authorization", "bearer   s3cret-token"}}).status,
      200);
}

TEST_F(ConfigRestServerTest, ListenAddressRules) {
  auto try_start = [&](RestOptions o) {
    ConfigRestServer s(scene_.db, o);
    auto r = s.start();
    s.stop();
    return r.status();
  };
  RestOptions o;
  o.port = 0;
  o.listen_address = "0.0.0.0";
  core::Status s = try_start(o);
  EXPECT_EQ(s.code(), core::Code::kInvalid);
  EXPECT_NE(s.message().find("needs a token"), std::string::npos) << s.message();
  o.listen_address = "localhost";
  s = try_start(o);
  EXPECT_EQ(s.code(), core::Code::kInvalid);
  EXPECT_NE(s.message().find("is not an IP address"), std::string::npos) << s.message();
  o.listen_address = "127.0.0.2";  // all of 127.0.0.0/8 is loopback
  EXPECT_TRUE(try_start(o).is_ok());

  start();
  o.listen_address = "127.0.0.1";
  o.port = port_;
  s = try_start(o);
  EXPECT_EQ(s.code(), core::Code::kUnavailable);
  EXPECT_NE(s.message().find("127.0.0.1:" + std::to_string(port_)), std::string::npos)
      << s.message();
  EXPECT_EQ(server_->start().status().code(), core::Code::kInvalid);  // already started
}

TEST_F(ConfigRestServerTest, ServesAListeningSocketItIsGiven) {
  net::io_context ioc;
  tcp::acceptor listener(ioc, tcp::endpoint(net::ip::make_address("127.0.0.1"), 0));
  const uint16_t port = listener.local_endpoint().port();
  RestOptions o;
  o.listen_fd = listener.native_handle();
  o.listen_address = "not used";
  ConfigRestServer s(scene_.db, o);
  auto started = s.start();
  ASSERT_TRUE(started.is_ok()) << started.status().to_string();
  EXPECT_EQ(*started, port);
  {
    Client c(port);
    EXPECT_EQ(c.request(http::verb::get, "/loadbalancers").status, 200);
  }
  s.stop();
  EXPECT_TRUE(listener.is_open());  // the caller's descriptor is its own

  tcp::socket not_listening(ioc, tcp::v4());
  o.listen_fd = not_listening.native_handle();
  ConfigRestServer bad(scene_.db, o);
  auto refused = bad.start();
  EXPECT_EQ(refused.status().code(), core::Code::kInvalid);
  EXPECT_NE(refused.status().message().find("is not a listening socket"), std::string::npos)
      << refused.status().message();
  o.listen_fd = 1000000;
  EXPECT_EQ(ConfigRestServer(scene_.db, o).start().status().code(), core::Code::kInvalid);
}

TEST_F(ConfigRestServerTest, StopClosesConnectionsAndRestartServes) {
  start();
  Client c(port_);
  ASSERT_EQ(c.request(http::verb::get, "/").status, 200);
  server_->stop();
  EXPECT_EQ(server_->port(), 0);
  EXPECT_TRUE(c.closed_by_server());
  server_->stop();  // idempotent
  auto again = server_->start();
  ASSERT_TRUE(again.is_ok()) << again.status().to_string();
  Client d(*again);
  EXPECT_EQ(d.request(http::verb::get, "/").status, 200);
}

TEST_F(ConfigRestServerTest, ConnectionLimitAndIdleTimeout) {
  RestOptions o;
  o.max_connections = 2;
  o.idle_timeout = std::chrono::seconds(1);
  start(o);
  Client a(port_), b(port_);
  ASSERT_EQ(a.request(http::verb::get, "/").status, 200);
  ASSERT_EQ(b.request(http::verb::get, "/").status, 200);
  Client third(port_);
  EXPECT_TRUE(third.closed_by_server());
  // Idle connections go after the timeout; then there is room again.
  EXPECT_TRUE(a.closed_by_server());
  EXPECT_TRUE(b.closed_by_server());
  Client fourth(port_);
  EXPECT_EQ(fourth.request(http::verb::get, "/loadbalancers").status, 200);
}

TEST_F(ConfigRestServerTest, ConcurrentClientsAndWriters) {
  start();
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      Client c(port_);
      for (int i = 0; i < 25; ++i) {
        Reply r = (i % 5 == 0) ? c.request(http::verb::put, kMemberPath,
                                           R"({"loadbalancer-member": {"display_name": "t)" +
                                               std::to_string(t) + "-" + std::to_string(i) + "\"}}")
                               : c.request(http::verb::get, "/loadbalancer-members?detail=True");
        if (r.status == 200) ++ok;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(ok.load(), 100);
  EXPECT_EQ(scene_.events().size(), 20u);
}

}  // namespace
}  // namespace csim::controller
