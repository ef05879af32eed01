#include "controller/rest/config_rest_server.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <iostream>
#include <mutex>
#include <optional>
#include <string_view>
#include <thread>
#include <vector>

#include "controller/rest/rest_handler.h"

namespace csim::controller {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

constexpr size_t kHeaderLimit = 16 * 1024;
constexpr char kServerName[] = "csim-config-api";

// Equal in time that depends only on the length of `want`.
bool token_matches(std::string_view given, std::string_view want) {
  unsigned char diff = given.size() != want.size() ? 1 : 0;
  for (size_t i = 0; i < want.size(); ++i)
    diff |= static_cast<unsigned char>((i < given.size() ? given[i] : 0) ^ want[i]);
  return diff == 0;
}

// The token a request carries: X-Auth-Token, or Authorization: Bearer <token>.
std::string request_token(const http::request_header<>& h) {
  auto x = h.find("X-Auth-Token");
  if (x != h.end()) return std::string(x->value());
  auto a = h.find(http::field::authorization);
  if (a == h.end()) return "";
  beast::string_view v = a->value();
  if (v.size() > 7 && beast::iequals(v.substr(0, 7), "Bearer ")) {
    v.remove_prefix(7);
    while (!v.empty() && v.front() == ' ') v.remove_prefix(1);
    return std::string(v);
  }
  return "";
}

std::string host_port(const net::ip::address& a, uint16_t port) {
  return (a.is_v6() ? "[" + a.to_string() + "]" : a.to_string()) + ":" + std::to_string(port);
}

}  // namespace

class ConfigRestServer::Impl {
 public:
  class Session;

  Impl(ConfigApi& api, RestOptions options)
      : options_(std::move(options)), handler_(api, options_.trace_bus) {}

  ~Impl() { stop(); }

  core::Result<uint16_t> start() {
    if (thread_.joinable()) return core::invalid("config API server: already started");
    ioc_ = std::make_unique<net::io_context>(1);
    acceptor_ = std::make_unique<tcp::acceptor>(*ioc_);
    core::Status opened = options_.listen_fd >= 0 ? adopt() : bind();
    if (opened.is_ok()) {
      boost::system::error_code ec;
      const tcp::endpoint local = acceptor_->local_endpoint(ec);
      if (ec) {
        opened = core::unavailable("config API server: cannot read the listening address: " +
                                   ec.message());
      } else if (!local.address().is_loopback() && options_.token.empty()) {
        opened = core::invalid("config API server: listening on " +
                               host_port(local.address(), local.port()) +
                               " (not loopback) needs a token (the server would be open to "
                               "anyone who can reach it)");
      } else {
        port_ = local.port();
      }
    }
    if (!opened.is_ok()) {
      acceptor_.reset();
      ioc_.reset();
      return opened;
    }
    accept();
    finished_ = false;
    thread_ = std::thread([this] {
      for (;;) {
        try {
          ioc_->run();
          break;
        } catch (const std::exception& e) {  // a bug in a handler: keep serving
          std::cerr << "csim config-api: " << e.what() << "\n";
        }
      }
      std::lock_guard lock(done_mu_);
      finished_ = true;
      done_cv_.notify_all();
    });
    return port_.load();
  }

  void stop();

  // Opens, binds and listens on listen_address:port.
  core::Status bind() {
    boost::system::error_code ec;
    auto address = net::ip::make_address(options_.listen_address, ec);
    if (ec)
      return core::invalid("config API server: listen address \"" + options_.listen_address +
                           "\" is not an IP address");
    if (!address.is_loopback() && options_.token.empty())
      return core::invalid("config API server: listening on " + options_.listen_address +
                           " (not loopback) needs a token (the server would be open to anyone "
                           "who can reach it)");
    const tcp::endpoint ep(address, options_.port);
    auto fail = [&](const char* what) {
      return core::unavailable("config API server: cannot " + std::string(what) + " " +
                               host_port(address, options_.port) + ": " + ec.message());
    };
    acceptor_->open(ep.protocol(), ec);
    if (ec) return fail("open a socket for");
    acceptor_->set_option(net::socket_base::reuse_address(true), ec);
    if (ec) return fail("set SO_REUSEADDR on");
    acceptor_->bind(ep, ec);
    if (ec) return fail("listen on");
    acceptor_->listen(net::socket_base::max_listen_connections, ec);
    if (ec) return fail("listen on");
    return core::Status::ok();
  }

  // Serves a duplicate of options_.listen_fd (the caller keeps its own descriptor).
  core::Status adopt() {
    const std::string what = "config API server: listen_fd " + std::to_string(options_.listen_fd);
    sockaddr_storage addr{};
    socklen_t len = sizeof addr;
    if (getsockname(options_.listen_fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0)
      return core::invalid(what + " is not a socket: " + std::strerror(errno));
    if (addr.ss_family != AF_INET && addr.ss_family != AF_INET6)
      return core::invalid(what + " is not an IPv4 or IPv6 socket");
    int accepting = 0;
    socklen_t alen = sizeof accepting;
    if (getsockopt(options_.listen_fd, SOL_SOCKET, SO_ACCEPTCONN, &accepting, &alen) != 0 ||
        !accepting)
      return core::invalid(what + " is not a listening socket");
    int fd = fcntl(options_.listen_fd, F_DUPFD_CLOEXEC, 0);
    if (fd < 0) return core::unavailable(what + ": cannot duplicate it: " + std::strerror(errno));
    boost::system::error_code ec;
    acceptor_->assign(addr.ss_family == AF_INET6 ? tcp::v6() : tcp::v4(), fd, ec);
    if (ec) {
      ::close(fd);
      return core::unavailable(what + ": " + ec.message());
    }
    return core::Status::ok();
  }

  uint16_t port() const { return port_; }

  // ---- on the io thread ----

  void accept();

  void prune() {
    sessions_.erase(std::remove_if(sessions_.begin(), sessions_.end(),
                                   [](const std::weak_ptr<Session>& w) { return w.expired(); }),
                    sessions_.end());
  }

  const RestOptions options_;
  const RestHandler handler_;

 private:
  std::unique_ptr<net::io_context> ioc_;
  std::unique_ptr<tcp::acceptor> acceptor_;
  std::unique_ptr<net::steady_timer> retry_timer_;
  std::vector<std::weak_ptr<Session>> sessions_;
  std::atomic<uint16_t> port_{0};
  std::thread thread_;
  std::mutex done_mu_;
  std::condition_variable done_cv_;
  bool finished_ = false;
};

// One connection: requests read and answered one after another (keep-alive).
class ConfigRestServer::Impl::Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, Impl& server) : stream_(std::move(socket)), server_(server) {
    boost::system::error_code ec;
    auto local = stream_.socket().local_endpoint(ec);
    if (!ec) default_host_ = host_port(local.address(), local.port());
  }

  void start() { read_header(); }

  void close() {
    boost::system::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream_.socket().close(ignored);
  }

 private:
  void read_header() {
    parser_.emplace();
    parser_->header_limit(kHeaderLimit);
    parser_->body_limit(server_.options_.max_body_bytes);
    stream_.expires_after(server_.options_.idle_timeout);
    http::async_read_header(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code ec, size_t) { self->on_header(ec); });
  }

  void on_header(beast::error_code ec) {
    if (ec == http::error::end_of_stream || ec == beast::error::timeout ||
        ec == net::error::operation_aborted || ec == net::error::connection_reset ||
        ec == net::error::eof)
      return close();
    if (ec == http::error::header_limit)
      return reply_and_close(error_response(
          431, "request headers are larger than " + std::to_string(kHeaderLimit) + " bytes"));
    if (ec == http::error::body_limit) return reply_and_close(too_large());  // by Content-Length
    if (ec) return reply_and_close(error_response(400, "bad HTTP request: " + ec.message()));

    const auto& header = parser_->get();
    const std::string& token = server_.options_.token;
    if (!token.empty() && !token_matches(request_token(header), token)) {
      RestResponse r = error_response(
          401,
          "this config API needs a token: X-Auth-Token: <token> or Authorization: Bearer "
          "<token>");
      return reply_and_close(std::move(r));
    }
    if (auto len = parser_->content_length(); len && *len > server_.options_.max_body_bytes)
      return reply_and_close(too_large());
    if (beast::iequals(header[http::field::expect], "100-continue")) {
      auto cont = std::make_shared<http::response<http::empty_body>>(http::status::continue_,
                                                                     header.version());
      http::async_write(stream_, *cont,
                        [self = shared_from_this(), cont](beast::error_code e, size_t) {
                          if (e) return self->close();
                          self->read_body();
                        });
      return;
    }
    read_body();
  }

  void read_body() {
    http::async_read(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code ec, size_t) { self->on_request(ec); });
  }

  RestResponse too_large() const {
    return error_response(413, "the request body is larger than " +
                                   std::to_string(server_.options_.max_body_bytes) + " bytes");
  }

  void on_request(beast::error_code ec) {
    if (ec == http::error::body_limit) return reply_and_close(too_large());
    if (ec) return close();
    auto req = parser_->release();
    RestRequest r;
    r.method = std::string(req.method_string());
    r.target = std::string(req.target());
    r.host = std::string(req[http::field::host]);
    r.if_none_match = std::string(req[http::field::if_none_match]);
    r.body = std::move(req.body());
    RestResponse response;
    try {
      response = server_.handler_.handle(r, default_host_);
    } catch (const std::exception& e) {  // a bug, not the client's fault: say so, keep serving
      response = error_response(500, std::string("internal error: ") + e.what());
    }
    write(std::move(response), req.version(), req.keep_alive());
  }

  void reply_and_close(RestResponse r) { write(std::move(r), 11, false); }

  void write(RestResponse r, unsigned version, bool keep_alive) {
    res_ = {};
    res_.version(version);
    res_.result(static_cast<http::status>(r.status));
    res_.set(http::field::server, kServerName);
    if (!r.body.is_null()) {
      res_.set(http::field::content_type, "application/json; charset=UTF-8");
      res_.body() = r.body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    }
    if (!r.etag.empty()) res_.set(http::field::etag, r.etag);
    if (!r.allow.empty()) res_.set(http::field::allow, r.allow);
    if (r.status == 401) res_.set(http::field::www_authenticate, "Bearer");
    res_.keep_alive(keep_alive);
    res_.prepare_payload();
    http::async_write(stream_, res_, [self = shared_from_this()](beast::error_code ec, size_t) {
      if (ec || !self->res_.keep_alive()) return self->close();
      self->read_header();
    });
  }

  beast::tcp_stream stream_;
  Impl& server_;
  std::string default_host_ = "127.0.0.1";
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  http::response<http::string_body> res_;
};

void ConfigRestServer::Impl::stop() {
  if (!thread_.joinable()) return;
  net::post(*ioc_, [this] {
    boost::system::error_code ignored;
    acceptor_->close(ignored);
    retry_timer_.reset();
    for (auto& weak : sessions_)
      if (auto s = weak.lock()) s->close();
    sessions_.clear();
  });
  {
    std::unique_lock lock(done_mu_);
    if (!done_cv_.wait_for(lock, std::chrono::seconds(5), [this] { return finished_; }))
      ioc_->stop();  // something did not finish after its socket was closed
  }
  thread_.join();
  acceptor_.reset();
  ioc_.reset();
  port_ = 0;
}

void ConfigRestServer::Impl::accept() {
  acceptor_->async_accept([this](boost::system::error_code ec, tcp::socket socket) {
    if (ec == net::error::operation_aborted || !acceptor_->is_open()) return;
    if (ec) {  // e.g. out of file descriptors: try again a little later
      std::cerr << "csim config-api: accept: " << ec.message() << "\n";
      retry_timer_ = std::make_unique<net::steady_timer>(*ioc_, std::chrono::milliseconds(100));
      retry_timer_->async_wait([this](boost::system::error_code e) {
        if (!e && acceptor_->is_open()) accept();
      });
      return;
    }
    prune();
    if (static_cast<int>(sessions_.size()) >= options_.max_connections) {
      boost::system::error_code ignored;
      socket.close(ignored);
    } else {
      auto s = std::make_shared<Session>(std::move(socket), *this);
      sessions_.push_back(s);
      s->start();
    }
    accept();
  });
}

ConfigRestServer::ConfigRestServer(ConfigApi& api, RestOptions options)
    : impl_(std::make_unique<Impl>(api, std::move(options))) {}

ConfigRestServer::~ConfigRestServer() = default;

core::Result<uint16_t> ConfigRestServer::start() { return impl_->start(); }

void ConfigRestServer::stop() { impl_->stop(); }

uint16_t ConfigRestServer::port() const { return impl_->port(); }

}  // namespace csim::controller
