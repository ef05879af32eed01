// The HTTP server over real loopback sockets: keep-alive, headers, chunked watches, the
// bearer token, the loopback-only rule, slow or vanished watchers, HTTPS (verified the way
// client-go does: the kubeconfig's CA and the dialled IP) and an adopted listening socket.
#include "kube/apiserver/server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include <gtest/gtest.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "core/bus.h"
#include "core/clock.h"
#include "kube/apiserver/tls_cert.h"
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

// A blocking TLS client (OpenSSL) that verifies the server as client-go does: the chain up to
// `ca_pem` and the dialled IP address among the certificate's SANs.
class TlsClient {
 public:
  TlsClient(uint16_t port, const std::string& ca_pem, const std::string& verify_ip = "127.0.0.1") {
    ctx_ = SSL_CTX_new(TLS_client_method());
    SSL_CTX_set_min_proto_version(ctx_, TLS1_2_VERSION);
    SSL_CTX_set_verify(ctx_, SSL_VERIFY_PEER, nullptr);
    BIO* bio = BIO_new_mem_buf(ca_pem.data(), static_cast<int>(ca_pem.size()));
    X509* ca = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr);
    BIO_free(bio);
    if (ca != nullptr) {
      X509_STORE_add_cert(SSL_CTX_get_cert_store(ctx_), ca);
      X509_free(ca);
    }
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    timeval tv{3, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) return;
    ssl_ = SSL_new(ctx_);
    X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl_), verify_ip.c_str());
    SSL_set_fd(ssl_, fd_);
    if (SSL_connect(ssl_) == 1) {
      connected_ = true;
    } else {
      char buf[256];
      ERR_error_string_n(ERR_get_error(), buf, sizeof buf);
      error_ = buf;
      error_ += " (verify: ";
      error_ += X509_verify_cert_error_string(SSL_get_verify_result(ssl_));
      error_ += ")";
    }
  }
  ~TlsClient() {
    if (ssl_) SSL_free(ssl_);
    if (fd_ >= 0) ::close(fd_);
    SSL_CTX_free(ctx_);
  }
  bool connected() const { return connected_; }
  const std::string& error() const { return error_; }

  void send(const std::string& method, const std::string& target, const std::string& extra_headers = "") {
    std::string req = method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n" + extra_headers + "\r\n";
    SSL_write(ssl_, req.data(), static_cast<int>(req.size()));
  }
  // Reads until `done(buffer)`, EOF or 5 s.
  template <class Done>
  bool read_until(Done done) {
    const auto deadline = Clock::now() + std::chrono::seconds(5);
    char buf[16384];
    while (!done(buf_) && Clock::now() < deadline) {
      int n = SSL_read(ssl_, buf, sizeof buf);
      if (n <= 0) return done(buf_);
      buf_.append(buf, static_cast<size_t>(n));
    }
    return done(buf_);
  }
  // One Content-Length response: status and body.
  std::pair<int, std::string> response() {
    auto complete = [](const std::string& b) {
      size_t end = b.find("\r\n\r\n");
      if (end == std::string::npos) return false;
      size_t cl = b.find("Content-Length: ");
      return cl != std::string::npos && cl < end && b.size() >= end + 4 + std::stoul(b.substr(cl + 16));
    };
    if (!read_until(complete)) return {0, buf_};
    size_t end = buf_.find("\r\n\r\n");
    size_t len = std::stoul(buf_.substr(buf_.find("Content-Length: ") + 16));
    std::pair<int, std::string> r{std::stoi(buf_.substr(9, 3)), buf_.substr(end + 4, len)};
    buf_.erase(0, end + 4 + len);
    return r;
  }
  const std::string& buffer() const { return buf_; }

 private:
  SSL_CTX* ctx_ = nullptr;
  SSL* ssl_ = nullptr;
  int fd_ = -1;
  bool connected_ = false;
  std::string error_;
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

TEST_F(ServerTest, ServesHttpsThatAClientVerifiesWithTheCa) {
  auto cert = generate_serving_cert(CertRequest{.ip_addresses = {"127.0.0.1"}, .dns_names = {"localhost"}});
  ASSERT_TRUE(cert.is_ok()) << cert.status().message();
  ApiServerOptions options;
  options.token = "s3cret-token";
  options.tls = TlsOptions{cert->cert_pem, cert->key_pem};
  ApiServer server(store, bus, options);
  auto port = server.start();
  ASSERT_TRUE(port.is_ok()) << port.status().message();
  EXPECT_EQ(server.url(), "https://127.0.0.1:" + std::to_string(*port));

  TlsClient c(*port, cert->ca_cert_pem);
  ASSERT_TRUE(c.connected()) << c.error();
  c.send("GET", "/api/v1/namespaces");
  auto refused = c.response();
  EXPECT_EQ(refused.first, 401);
  EXPECT_EQ(json::parse(refused.second, nullptr, false).value("reason", ""), "Unauthorized") << refused.second;
  c.send("GET", "/api/v1/namespaces", "Authorization: Bearer s3cret-token\r\n");
  auto ok = c.response();
  EXPECT_EQ(ok.first, 200);
  EXPECT_EQ(json::parse(ok.second, nullptr, false).value("kind", ""), "NamespaceList") << ok.second;

  // A watch over TLS: chunked events as over HTTP.
  TlsClient w(*port, cert->ca_cert_pem);
  ASSERT_TRUE(w.connected()) << w.error();
  w.send("GET", "/api/v1/namespaces/default/services?watch=true", "Authorization: Bearer s3cret-token\r\n");
  ASSERT_TRUE(eventually([&] { return server.open_watches() == 1; }));
  ASSERT_TRUE(store.create(service("over-tls")).is_ok());
  EXPECT_TRUE(w.read_until([](const std::string& b) { return b.find("over-tls") != std::string::npos; }))
      << w.buffer();
  EXPECT_NE(w.buffer().find("Transfer-Encoding: chunked"), std::string::npos) << w.buffer();

  // Another CA, or a name the certificate does not carry: the client refuses the server.
  auto stranger = generate_serving_cert(CertRequest{.ip_addresses = {"127.0.0.1"}});
  ASSERT_TRUE(stranger.is_ok());
  TlsClient wrong_ca(*port, stranger->ca_cert_pem);
  EXPECT_FALSE(wrong_ca.connected());
  TlsClient wrong_ip(*port, cert->ca_cert_pem, "127.0.0.2");
  EXPECT_FALSE(wrong_ip.connected());

  // Plain HTTP on the TLS port: Go's answer, then the connection ends.
  Client plain(*port);
  ASSERT_TRUE(plain.connected());
  plain.send("GET", "/api/v1/namespaces");
  plain.read_until([&](const std::string&) { return plain.eof(); });
  EXPECT_EQ(plain.buffer().rfind("HTTP/1.0 400 Bad Request\r\n", 0), 0u) << plain.buffer();
  EXPECT_NE(plain.buffer().find("Client sent an HTTP request to an HTTPS server."), std::string::npos);
}

TEST_F(ServerTest, RefusesACertificateAndKeyThatDoNotMatch) {
  auto a = generate_serving_cert(CertRequest{.ip_addresses = {"127.0.0.1"}});
  auto b = generate_serving_cert(CertRequest{.ip_addresses = {"127.0.0.1"}});
  ASSERT_TRUE(a.is_ok() && b.is_ok());
  ApiServerOptions options;
  options.tls = TlsOptions{a->cert_pem, b->key_pem};
  ApiServer server(store, bus, options);
  auto r = server.start();
  ASSERT_FALSE(r.is_ok());
  EXPECT_EQ(r.status().code(), core::Code::kInvalid);
  EXPECT_NE(r.status().message().find("TLS private key"), std::string::npos) << r.status().message();
  options.tls = TlsOptions{"garbage", "garbage"};
  ApiServer garbage(store, bus, options);
  EXPECT_EQ(garbage.start().status().code(), core::Code::kInvalid);
}

TEST_F(ServerTest, AdoptsAListeningSocketAndLeavesTheCallersOwn) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(::listen(fd, 16), 0);
  socklen_t len = sizeof addr;
  ASSERT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  const uint16_t bound = ntohs(addr.sin_port);
  {
    ApiServerOptions options;
    options.listen_fd = fd;
    options.port = 1;  // ignored: the socket is already bound
    ApiServer server(store, bus, options);
    auto port = server.start();
    ASSERT_TRUE(port.is_ok()) << port.status().message();
    EXPECT_EQ(*port, bound);
    EXPECT_EQ(server.url(), "http://127.0.0.1:" + std::to_string(bound));
    Client c(bound);
    c.send("GET", "/api/v1/namespaces/default");
    EXPECT_EQ(c.response().status, 200);
  }
  // The server closed its duplicate; the caller's descriptor is still a listening socket.
  int listening = 0;
  len = sizeof listening;
  EXPECT_EQ(::getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len), 0);
  EXPECT_EQ(listening, 1);
  ::close(fd);

  int not_listening = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ApiServerOptions options;
  options.listen_fd = not_listening;
  ApiServer refused(store, bus, options);
  auto r = refused.start();
  EXPECT_EQ(r.status().code(), core::Code::kInvalid);
  EXPECT_NE(r.status().message().find("is not a listening TCP socket"), std::string::npos) << r.status().message();
  ::close(not_listening);
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
