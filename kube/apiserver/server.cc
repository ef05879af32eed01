// The only file that knows Boost.Beast / Asio.
#include "kube/apiserver/server.h"

#include <array>
#include <atomic>
#include <cstring>
#include <iostream>
#include <mutex>
#include <optional>
#include <set>
#include <thread>
#include <vector>

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/core/detect_ssl.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "kube/apiserver/api_status.h"
#include "kube/apiserver/router.h"

namespace csim::kube::apiserver {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
namespace ssl = boost::asio::ssl;
using tcp = net::ip::tcp;

namespace {

constexpr size_t kBodyLimit = 3 * 1024 * 1024;
constexpr uint32_t kHeaderLimit = 64 * 1024;
constexpr auto kIdleTimeout = std::chrono::minutes(5);
constexpr auto kWriteTimeout = std::chrono::seconds(30);
constexpr auto kHandshakeTimeout = std::chrono::seconds(30);
// What Go's net/http answers a plain-HTTP request on a TLS port.
constexpr const char* kHttpOnHttps =
    "HTTP/1.0 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n"
    "Client sent an HTTP request to an HTTPS server.\n";
constexpr size_t kMaxConnections = 512;

bool is_health_path(const std::string& target) {
  std::string path = target.substr(0, target.find('?'));
  return path == "/healthz" || path == "/livez" || path == "/readyz";
}

}  // namespace

bool constant_time_equals(const std::string& given, const std::string& expected) {
  unsigned diff = given.size() == expected.size() ? 0u : 1u;
  for (size_t i = 0; i < expected.size(); ++i) {
    unsigned char g = i < given.size() ? static_cast<unsigned char>(given[i]) : 0;
    diff |= static_cast<unsigned>(g ^ static_cast<unsigned char>(expected[i]));
  }
  return diff == 0;
}

// What the server's registry needs of a connection, whatever its stream.
class SessionBase {
 public:
  virtual ~SessionBase() = default;
  // Called from stop() after the io threads are gone (no concurrency).
  virtual void force_close() = 0;
};

class ApiServer::Impl {
 public:
  Impl(ObjectStore& store, core::Bus& bus, ApiServerOptions options)
      : options_(std::move(options)),
        clock_(options_.clock != nullptr ? *options_.clock : core::SystemClock::instance()),
        hub_(bus, store, options_.watch),
        router_(store, bus, hub_, clock_),
        acceptor_(ioc_) {}

  ~Impl() { stop(); }

  core::Result<uint16_t> start();
  void stop();

  Router& router() { return router_; }
  const std::string& token() const { return options_.token; }
  bool tls() const { return ssl_ctx_.has_value(); }

  // Session registry (for stop() and the connection limit).
  bool add(const std::shared_ptr<SessionBase>& s) {
    std::lock_guard lock(mu_);
    for (auto it = sessions_.begin(); it != sessions_.end();) {
      if (it->expired()) it = sessions_.erase(it);
      else ++it;
    }
    if (sessions_.size() >= kMaxConnections) return false;
    sessions_.insert(s);
    return true;
  }

  uint16_t port() const { return port_.load(); }
  std::string scheme() const { return options_.tls ? "https" : "http"; }
  std::string host_for_url() const {
    return address_.is_v6() ? "[" + address_.to_string() + "]" : address_.to_string();
  }
  size_t open_watches() const { return hub_.watcher_count(); }

 private:
  void do_accept();
  // Binds listen_address:port, or adopts a duplicate of listen_fd.
  core::Status open_acceptor();
  core::Status make_ssl_context();
  // The loopback/token rule for address_.
  core::Status check_address() const;

  ApiServerOptions options_;
  core::Clock& clock_;
  WatchHub hub_;
  Router router_;
  net::io_context ioc_;
  tcp::acceptor acceptor_;
  std::optional<ssl::context> ssl_ctx_;
  std::optional<net::executor_work_guard<net::io_context::executor_type>> work_;
  std::vector<std::thread> threads_;
  std::mutex mu_;
  std::set<std::weak_ptr<SessionBase>, std::owner_less<std::weak_ptr<SessionBase>>> sessions_;
  std::atomic<uint16_t> port_{0};
  net::ip::address address_;
  bool started_ = false;
  bool stopped_ = false;
};

// One connection: requests in sequence (keep-alive); a watch response ends the connection.
// kTls: HTTPS (detect TLS, handshake, then the same HTTP over the TLS stream).
template <bool kTls>
class Session : public SessionBase, public std::enable_shared_from_this<Session<kTls>> {
  using Stream = std::conditional_t<kTls, beast::ssl_stream<beast::tcp_stream>, beast::tcp_stream>;

 public:
  Session(tcp::socket socket, ApiServer::Impl& server, ssl::context* ctx)
      : stream_(make_stream(std::move(socket), ctx)), server_(server), watch_timer_(stream_.get_executor()) {}

  ~Session() override {
    if (watch_) watch_->close();
  }

  void start() {
    net::dispatch(stream_.get_executor(), [self = this->shared_from_this()] {
      if constexpr (kTls) self->detect_tls();
      else self->read_request();
    });
  }

  void force_close() override {
    if (watch_) watch_->close();
    beast::error_code ec;
    lowest().socket().shutdown(tcp::socket::shutdown_both, ec);
    lowest().socket().close(ec);
  }

 private:
  static Stream make_stream(tcp::socket socket, ssl::context* ctx) {
    if constexpr (kTls) return Stream(std::move(socket), *ctx);
    else return Stream(std::move(socket));
  }
  beast::tcp_stream& lowest() { return beast::get_lowest_layer(stream_); }

  // ---- TLS: a TLS ClientHello, or a plain-HTTP request that gets Go's 400 ----

  void detect_tls() {
    lowest().expires_after(kHandshakeTimeout);
    beast::async_detect_ssl(lowest(), buffer_,
                            [self = this->shared_from_this()](beast::error_code ec, bool is_tls) {
                              if (ec) return self->close();
                              if (!is_tls) return self->refuse_plain_http();
                              self->handshake();
                            });
  }

  void handshake() {
    if constexpr (kTls) {
      stream_.async_handshake(ssl::stream_base::server, buffer_.data(),
                              [self = this->shared_from_this()](beast::error_code ec, size_t used) {
                                if (ec) return self->close();
                                self->buffer_.consume(used);
                                self->read_request();
                              });
    }
  }

  void refuse_plain_http() {
    lowest().expires_after(kWriteTimeout);
    net::async_write(lowest(), net::buffer(kHttpOnHttps, std::strlen(kHttpOnHttps)),
                     [self = this->shared_from_this()](beast::error_code, size_t) { self->close(); });
  }

  void read_request() {
    parser_.emplace();
    parser_->body_limit(kBodyLimit);
    parser_->header_limit(kHeaderLimit);
    lowest().expires_after(kIdleTimeout);
    http::async_read(stream_, buffer_, *parser_,
                     [self = this->shared_from_this()](beast::error_code ec, size_t) { self->on_read(ec); });
  }

  void on_read(beast::error_code ec) {
    if (ec == http::error::end_of_stream) return close();
    if (ec == http::error::body_limit) {
      Response r = status_response(413, "RequestEntityTooLarge", "the request body is larger than 3 MiB");
      return write(r, false, 11);
    }
    if (ec) return close();
    http::request<http::string_body> req = parser_->release();
    Request request;
    request.method = std::string(req.method_string());
    parse_target(std::string_view(req.target().data(), req.target().size()), request);
    for (const auto& field : req)
      request.headers[to_lower(std::string_view(field.name_string().data(), field.name_string().size()))] =
          std::string(field.value());
    request.body = std::move(req.body());
    const bool keep_alive = req.keep_alive();
    const unsigned version = req.version();

    Response response;
    const std::string& token = server_.token();
    const std::string target(req.target());
    if (!token.empty() && !is_health_path(target)) {
      std::string auth = request.header("authorization");
      const std::string prefix = "Bearer ";
      bool ok = auth.size() > prefix.size() && auth.compare(0, prefix.size(), prefix) == 0 &&
                constant_time_equals(auth.substr(prefix.size()), token);
      if (!ok) {
        response = status_response(401, "Unauthorized", "Unauthorized");
        response.headers.push_back({"WWW-Authenticate", "Bearer realm=\"csim\""});
        return write(std::move(response), keep_alive, version, request.method == "HEAD");
      }
    }
    response = server_.router().handle(request);
    if (response.watch) return start_watch(std::move(response), version);
    write(std::move(response), keep_alive, version, request.method == "HEAD");
  }

  void write(Response r, bool keep_alive, unsigned version, bool head = false) {
    auto res = std::make_shared<http::response<http::string_body>>(
        static_cast<http::status>(r.status), version);
    res->set(http::field::server, "csim-kube-apiserver");
    res->set(http::field::content_type, r.content_type);
    res->set(http::field::cache_control, "no-cache, private");
    for (const auto& [k, v] : r.headers) res->insert(k, v);
    res->keep_alive(keep_alive);
    if (head) {
      res->content_length(r.body.size());
    } else {
      res->body() = std::move(r.body);
      res->prepare_payload();
    }
    lowest().expires_after(kWriteTimeout);
    http::async_write(stream_, *res,
                      [self = this->shared_from_this(), res, keep_alive](beast::error_code ec, size_t) {
                        if (ec || !keep_alive) return self->close();
                        self->read_request();
                      });
  }

  // ---- watch streaming ----

  void start_watch(Response response, unsigned version) {
    watch_ = response.watch;
    auto header = std::make_shared<http::response<http::empty_body>>(http::status::ok, version);
    header->set(http::field::server, "csim-kube-apiserver");
    header->set(http::field::content_type, response.content_type);
    header->set(http::field::cache_control, "no-cache, private");
    header->keep_alive(false);
    header->chunked(true);
    auto serializer = std::make_shared<http::response_serializer<http::empty_body>>(*header);
    lowest().expires_never();
    writing_ = true;
    http::async_write_header(
        stream_, *serializer,
        [self = this->shared_from_this(), header, serializer, timeout = response.watch_timeout](
            beast::error_code ec, size_t) {
          self->writing_ = false;
          if (ec) return self->close();
          std::weak_ptr<Session> weak = self;
          auto executor = self->stream_.get_executor();
          self->watch_->set_notify([weak, executor] {
            net::post(executor, [weak] {
              auto s = weak.lock();
              if (!s) return;
              // Too far behind: drop the connection now; a write to a client that stopped
              // reading may never complete.
              if (s->watch_->overflowed()) return s->close();
              s->pump();
            });
          });
          self->watch_for_disconnect();
          if (timeout.count() > 0) {
            self->watch_timer_.expires_after(timeout);
            self->watch_timer_.async_wait([weak](beast::error_code ec2) {
              if (ec2) return;
              if (auto s = weak.lock()) {
                s->watch_->finish();
                s->pump();
              }
            });
          }
          self->pump();
        });
  }

  // A watch client sends nothing more; a read completes only when it goes away.
  void watch_for_disconnect() {
    stream_.async_read_some(net::buffer(discard_),
                            [self = this->shared_from_this()](beast::error_code ec, size_t) {
                              if (ec) {
                                self->close();
                                return;
                              }
                              self->watch_for_disconnect();
                            });
  }

  void pump() {
    if (writing_ || closed_ || !watch_) return;
    WatchStream::Batch batch = watch_->take();
    if (!batch.data.empty()) {
      writing_ = true;
      chunk_ = std::move(batch.data);
      net::async_write(stream_, http::make_chunk(net::buffer(chunk_)),
                       [self = this->shared_from_this()](beast::error_code ec, size_t) {
                         self->writing_ = false;
                         if (ec) return self->close();
                         self->pump();
                       });
      return;
    }
    if (batch.finished) {
      writing_ = true;
      net::async_write(stream_, http::make_chunk_last(),
                       [self = this->shared_from_this()](beast::error_code, size_t) {
                         self->writing_ = false;
                         self->close();
                       });
    }
  }

  void close() {
    if (closed_) return;
    closed_ = true;
    if (watch_) watch_->close();
    beast::error_code ec;
    watch_timer_.cancel();
    // TLS: no close_notify (a shutdown would need a read, and a watch may have one
    // pending); HTTP/1.1 framing tells the client where each response ends.
    lowest().socket().shutdown(tcp::socket::shutdown_send, ec);
    lowest().close();
  }

  Stream stream_;
  ApiServer::Impl& server_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::shared_ptr<WatchStream> watch_;
  net::steady_timer watch_timer_;
  std::string chunk_;
  std::array<char, 512> discard_{};
  bool writing_ = false;
  bool closed_ = false;
};

core::Status ApiServer::Impl::open_acceptor() {
  boost::system::error_code ec;
  if (options_.listen_fd >= 0) {
    int type = 0, listening = 0;
    socklen_t len = sizeof type;
    sockaddr_storage local{};
    socklen_t local_len = sizeof local;
    if (getsockopt(options_.listen_fd, SOL_SOCKET, SO_TYPE, &type, &len) != 0 || type != SOCK_STREAM ||
        (len = sizeof listening, getsockopt(options_.listen_fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len)) != 0 ||
        !listening || getsockname(options_.listen_fd, reinterpret_cast<sockaddr*>(&local), &local_len) != 0 ||
        (local.ss_family != AF_INET && local.ss_family != AF_INET6))
      return core::invalid("API server listen_fd " + std::to_string(options_.listen_fd) +
                           " is not a listening TCP socket");
    const int fd = fcntl(options_.listen_fd, F_DUPFD_CLOEXEC, 3);
    if (fd < 0) return core::unavailable("API server: cannot duplicate listen_fd: " + std::string(std::strerror(errno)));
    acceptor_.assign(local.ss_family == AF_INET6 ? tcp::v6() : tcp::v4(), fd, ec);
    if (ec) {
      ::close(fd);
      return core::unavailable("API server cannot adopt listen_fd: " + ec.message());
    }
    const tcp::endpoint bound = acceptor_.local_endpoint(ec);
    if (ec) return core::unavailable("API server listen_fd: " + ec.message());
    address_ = bound.address();
    if (auto st = check_address(); !st.is_ok()) {
      boost::system::error_code ignored;
      acceptor_.close(ignored);
      return st;
    }
    return core::Status::ok();
  }
  address_ = net::ip::make_address(options_.listen_address, ec);
  if (ec)
    return core::invalid("API server listen address \"" + options_.listen_address +
                         "\" is not an IP address: " + ec.message());
  if (auto st = check_address(); !st.is_ok()) return st;  // before binding anything
  tcp::endpoint endpoint(address_, options_.port);
  acceptor_.open(endpoint.protocol(), ec);
  if (!ec) acceptor_.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) acceptor_.bind(endpoint, ec);
  if (!ec) acceptor_.listen(net::socket_base::max_listen_connections, ec);
  if (ec) {
    boost::system::error_code ignored;
    acceptor_.close(ignored);
    return core::unavailable("API server cannot listen on " + options_.listen_address + ":" +
                             std::to_string(options_.port) + ": " + ec.message());
  }
  return core::Status::ok();
}

core::Status ApiServer::Impl::check_address() const {
  if (!address_.is_loopback() && options_.token.empty())
    return core::invalid("refusing to listen on " + address_.to_string() +
                         " without a bearer token: csim's API server listens only on loopback "
                         "unless given both a listen address and a token");
  return core::Status::ok();
}

core::Status ApiServer::Impl::make_ssl_context() {
  if (!options_.tls) return core::Status::ok();
  ssl_ctx_.emplace(ssl::context::tls_server);
  SSL_CTX* native = ssl_ctx_->native_handle();
  boost::system::error_code ec;
  ssl_ctx_->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                            ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 | ssl::context::single_dh_use,
                        ec);
  if (!ec && SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION) != 1)
    ec = boost::system::error_code(static_cast<int>(ERR_get_error()), net::error::get_ssl_category());
  if (ec) return core::invalid("API server TLS settings: " + ec.message());
  ssl_ctx_->use_certificate_chain(net::buffer(options_.tls->cert_pem), ec);
  if (ec) return core::invalid("API server TLS certificate: " + ec.message());
  ssl_ctx_->use_private_key(net::buffer(options_.tls->key_pem), ssl::context::pem, ec);
  if (ec) return core::invalid("API server TLS private key: " + ec.message());
  if (SSL_CTX_check_private_key(native) != 1) {
    ERR_clear_error();
    return core::invalid("API server TLS private key does not match its certificate");
  }
  return core::Status::ok();
}

core::Result<uint16_t> ApiServer::Impl::start() {
  if (started_) return core::invalid("the API server was already started (start() works once)");
  if (auto st = make_ssl_context(); !st.is_ok()) return st;
  if (auto st = open_acceptor(); !st.is_ok()) return st;
  port_ = acceptor_.local_endpoint().port();
  started_ = true;
  work_.emplace(net::make_work_guard(ioc_));
  do_accept();
  const int n = std::max(1, options_.threads);
  for (int i = 0; i < n; ++i) threads_.emplace_back([this] { ioc_.run(); });
  return port_.load();
}

void ApiServer::Impl::do_accept() {
  acceptor_.async_accept(net::make_strand(ioc_), [this](beast::error_code ec, tcp::socket socket) {
    if (ec == net::error::operation_aborted || !acceptor_.is_open()) return;
    if (!ec) {
      // Over the connection limit, the session (and its socket) is dropped here.
      if (ssl_ctx_) {
        auto session = std::make_shared<Session<true>>(std::move(socket), *this, &*ssl_ctx_);
        if (add(session)) session->start();
      } else {
        auto session = std::make_shared<Session<false>>(std::move(socket), *this, nullptr);
        if (add(session)) session->start();
      }
    }
    do_accept();
  });
}

void ApiServer::Impl::stop() {
  if (!started_ || stopped_) return;
  stopped_ = true;
  net::post(ioc_, [this] {
    boost::system::error_code ec;
    acceptor_.close(ec);
  });
  work_.reset();
  ioc_.stop();
  for (auto& t : threads_) t.join();
  threads_.clear();
  boost::system::error_code ec;
  acceptor_.close(ec);
  std::vector<std::shared_ptr<SessionBase>> live;
  {
    std::lock_guard lock(mu_);
    for (const auto& w : sessions_)
      if (auto s = w.lock()) live.push_back(s);
    sessions_.clear();
  }
  for (auto& s : live) s->force_close();
  hub_.close_all();
}

ApiServer::ApiServer(ObjectStore& store, core::Bus& bus, ApiServerOptions options)
    : impl_(std::make_unique<Impl>(store, bus, std::move(options))) {}

ApiServer::~ApiServer() { stop(); }

core::Result<uint16_t> ApiServer::start() { return impl_->start(); }
void ApiServer::stop() { impl_->stop(); }
uint16_t ApiServer::port() const { return impl_->port(); }
std::string ApiServer::url() const {
  return impl_->scheme() + "://" + impl_->host_for_url() + ":" + std::to_string(impl_->port());
}
size_t ApiServer::open_watches() const { return impl_->open_watches(); }

}  // namespace csim::kube::apiserver
