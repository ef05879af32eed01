// The only file that knows Boost.Beast / Asio.
#include "kube/apiserver/server.h"

#include <atomic>
#include <array>
#include <iostream>
#include <mutex>
#include <optional>
#include <set>
#include <thread>
#include <vector>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "kube/apiserver/api_status.h"
#include "kube/apiserver/router.h"

namespace csim::kube::apiserver {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = net::ip::tcp;

namespace {

constexpr size_t kBodyLimit = 3 * 1024 * 1024;
constexpr uint32_t kHeaderLimit = 64 * 1024;
constexpr auto kIdleTimeout = std::chrono::minutes(5);
constexpr auto kWriteTimeout = std::chrono::seconds(30);
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

class Session;

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

  // Session registry (for stop() and the connection limit).
  bool add(const std::shared_ptr<Session>& s) {
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
  std::string host_for_url() const {
    return address_.is_v6() ? "[" + address_.to_string() + "]" : address_.to_string();
  }
  size_t open_watches() const { return hub_.watcher_count(); }

 private:
  void do_accept();

  ApiServerOptions options_;
  core::Clock& clock_;
  WatchHub hub_;
  Router router_;
  net::io_context ioc_;
  tcp::acceptor acceptor_;
  std::optional<net::executor_work_guard<net::io_context::executor_type>> work_;
  std::vector<std::thread> threads_;
  std::mutex mu_;
  std::set<std::weak_ptr<Session>, std::owner_less<std::weak_ptr<Session>>> sessions_;
  std::atomic<uint16_t> port_{0};
  net::ip::address address_;
  bool started_ = false;
  bool stopped_ = false;
};

// One connection: requests in sequence (keep-alive); a watch response ends the connection.
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, ApiServer::Impl& server)
      : stream_(std::move(socket)), server_(server), watch_timer_(stream_.get_executor()) {}

  ~Session() {
    if (watch_) watch_->close();
  }

  void start() {
    net::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->read_request(); });
  }

  // Called from stop() after the io threads are gone (no concurrency).
  void force_close() {
    if (watch_) watch_->close();
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
    stream_.socket().close(ec);
  }

 private:
  void read_request() {
    parser_.emplace();
    parser_->body_limit(kBodyLimit);
    parser_->header_limit(kHeaderLimit);
    stream_.expires_after(kIdleTimeout);
    http::async_read(stream_, buffer_, *parser_,
                     [self = shared_from_this()](beast::error_code ec, size_t) { self->on_read(ec); });
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
        return write(response, keep_alive, version, request.method == "HEAD");
      }
    }
    response = server_.router().handle(request);
    if (response.watch) return start_watch(std::move(response), version);
    write(response, keep_alive, version, request.method == "HEAD");
  }

  void write(const Response& r, bool keep_alive, unsigned version, bool head = false) {
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
      res->body() = r.body;
      res->prepare_payload();
    }
    stream_.expires_after(kWriteTimeout);
    http::async_write(stream_, *res,
                      [self = shared_from_this(), res, keep_alive](beast::error_code ec, size_t) {
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
    stream_.expires_never();
    writing_ = true;
    http::async_write_header(
        stream_, *serializer,
        [self = shared_from_this(), header, serializer, timeout = response.watch_timeout](
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
                            [self = shared_from_this()](beast::error_code ec, size_t) {
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
                       [self = shared_from_this()](beast::error_code ec, size_t) {
                         self->writing_ = false;
                         if (ec) return self->close();
                         self->pump();
                       });
      return;
    }
    if (batch.finished) {
      writing_ = true;
      net::async_write(stream_, http::make_chunk_last(),
                       [self = shared_from_this()](beast::error_code, size_t) {
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
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    stream_.close();
  }

  beast::tcp_stream stream_;
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

core::Result<uint16_t> ApiServer::Impl::start() {
  if (started_) return core::invalid("the API server was already started (start() works once)");
  boost::system::error_code ec;
  address_ = net::ip::make_address(options_.listen_address, ec);
  if (ec)
    return core::invalid("API server listen address \"" + options_.listen_address +
                         "\" is not an IP address: " + ec.message());
  if (!address_.is_loopback() && options_.token.empty())
    return core::invalid("refusing to listen on " + options_.listen_address +
                         " without a bearer token: csim's API server listens only on loopback "
                         "unless given both a listen address and a token");
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
      auto session = std::make_shared<Session>(std::move(socket), *this);
      if (add(session)) session->start();
      // else: over the connection limit; the session (and its socket) is dropped here.
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
  std::vector<std::shared_ptr<Session>> live;
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
  return "http://" + impl_->host_for_url() + ":" + std::to_string(impl_->port());
}
size_t ApiServer::open_watches() const { return impl_->open_watches(); }

}  // namespace csim::kube::apiserver
