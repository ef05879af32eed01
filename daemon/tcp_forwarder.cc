// The only file of daemon/ that knows Boost.Asio.
#include "daemon/tcp_forwarder.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cstring>
#include <mutex>
#include <future>
#include <optional>
#include <set>
#include <thread>

#include <boost/asio.hpp>

namespace csim::daemon {

namespace net = boost::asio;
using tcp = net::ip::tcp;

namespace {
constexpr int kMaxConnections = 512;
}

class TcpForwarder::Impl {
 public:
  Impl(int listen_fd, std::string ip, uint16_t port) : listen_fd_(listen_fd), ip_(std::move(ip)), port_(port) {}
  ~Impl() { stop(); }

  core::Status start();
  void stop();
  uint64_t connections() const { return total_.load(); }

  class Relay;
  void accept();

  net::io_context ioc_;
  std::optional<tcp::acceptor> acceptor_;
  std::optional<net::executor_work_guard<net::io_context::executor_type>> work_;
  std::thread thread_;
  int listen_fd_;
  std::string ip_;
  uint16_t port_;
  tcp::endpoint target_;
  std::mutex mu_;
  std::set<std::weak_ptr<Relay>, std::owner_less<std::weak_ptr<Relay>>> relays_;
  std::atomic<int> live_{0};
  std::atomic<uint64_t> total_{0};
  bool started_ = false;
  bool stopped_ = false;
};

// One relayed connection: client <-> upstream, both on the io thread.
class TcpForwarder::Impl::Relay : public std::enable_shared_from_this<Relay> {
 public:
  Relay(tcp::socket client, Impl& owner)
      : client_(std::move(client)), upstream_(client_.get_executor()), owner_(owner) {
    ++owner_.live_;
  }
  ~Relay() { --owner_.live_; }

  void start() {
    upstream_.async_connect(owner_.target_, [self = shared_from_this()](boost::system::error_code ec) {
      if (ec) return self->close();
      boost::system::error_code ignored;
      self->client_.set_option(tcp::no_delay(true), ignored);
      self->upstream_.set_option(tcp::no_delay(true), ignored);
      self->pump(self->client_, self->upstream_, self->up_);
      self->pump(self->upstream_, self->client_, self->down_);
    });
  }

  void close() {
    boost::system::error_code ignored;
    client_.close(ignored);
    upstream_.close(ignored);
  }

 private:
  using Buffer = std::array<char, 32 * 1024>;

  void pump(tcp::socket& from, tcp::socket& to, Buffer& buf) {
    from.async_read_some(net::buffer(buf), [self = shared_from_this(), &from, &to, &buf](
                                               boost::system::error_code ec, size_t n) {
      if (ec) {
        if (ec == net::error::eof) {
          boost::system::error_code ignored;
          to.shutdown(tcp::socket::shutdown_send, ignored);
          if (++self->halves_done_ == 2) self->close();
        } else {
          self->close();
        }
        return;
      }
      net::async_write(to, net::buffer(buf.data(), n),
                       [self, &from, &to, &buf](boost::system::error_code ec2, size_t) {
                         if (ec2) return self->close();
                         self->pump(from, to, buf);
                       });
    });
  }

  tcp::socket client_;
  tcp::socket upstream_;
  Impl& owner_;
  Buffer up_{};
  Buffer down_{};
  int halves_done_ = 0;
};

core::Status TcpForwarder::Impl::start() {
  if (started_) return core::invalid("forwarder already started");
  boost::system::error_code ec;
  auto address = net::ip::make_address(ip_, ec);
  if (ec) return core::invalid("forwarder target \"" + ip_ + "\" is not an IP address");
  target_ = tcp::endpoint(address, port_);
  const std::string what = "forwarder: listen_fd " + std::to_string(listen_fd_);
  sockaddr_storage addr{};
  socklen_t len = sizeof addr;
  if (getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0)
    return core::invalid(what + " is not a socket: " + std::strerror(errno));
  if (addr.ss_family != AF_INET && addr.ss_family != AF_INET6)
    return core::invalid(what + " is not an IPv4 or IPv6 socket");
  int accepting = 0;
  socklen_t alen = sizeof accepting;
  if (getsockopt(listen_fd_, SOL_SOCKET, SO_ACCEPTCONN, &accepting, &alen) != 0 || !accepting)
    return core::invalid(what + " is not a listening socket");
  int fd = fcntl(listen_fd_, F_DUPFD_CLOEXEC, 0);
  if (fd < 0) return core::unavailable(what + ": dup: " + std::strerror(errno));
  acceptor_.emplace(ioc_);
  acceptor_->assign(addr.ss_family == AF_INET6 ? tcp::v6() : tcp::v4(), fd, ec);
  if (ec) {
    ::close(fd);
    return core::unavailable(what + ": " + ec.message());
  }
  started_ = true;
  work_.emplace(net::make_work_guard(ioc_));
  accept();
  thread_ = std::thread([this] { ioc_.run(); });
  return core::Status::ok();
}

void TcpForwarder::Impl::accept() {
  acceptor_->async_accept([this](boost::system::error_code ec, tcp::socket socket) {
    if (ec == net::error::operation_aborted || !acceptor_->is_open()) return;
    if (!ec && live_.load() < kMaxConnections) {
      ++total_;
      auto relay = std::make_shared<Relay>(std::move(socket), *this);
      {
        std::lock_guard lock(mu_);
        for (auto it = relays_.begin(); it != relays_.end();) {
          if (it->expired()) it = relays_.erase(it);
          else ++it;
        }
        relays_.insert(relay);
      }
      relay->start();
    }
    accept();
  });
}

void TcpForwarder::Impl::stop() {
  if (!started_ || stopped_) return;
  stopped_ = true;
  std::promise<void> closed;
  auto done = closed.get_future();
  net::post(ioc_, [this, &closed] {
    boost::system::error_code ignored;
    acceptor_->close(ignored);
    std::lock_guard lock(mu_);
    for (auto& w : relays_)
      if (auto r = w.lock()) r->close();
    relays_.clear();
    closed.set_value();
  });
  done.wait_for(std::chrono::seconds(5));
  work_.reset();
  ioc_.stop();
  thread_.join();
}

TcpForwarder::TcpForwarder(int listen_fd, std::string target_ip, uint16_t target_port)
    : impl_(std::make_unique<Impl>(listen_fd, std::move(target_ip), target_port)) {}
TcpForwarder::~TcpForwarder() { stop(); }
core::Status TcpForwarder::start() { return impl_->start(); }
void TcpForwarder::stop() { impl_->stop(); }
uint64_t TcpForwarder::connections() const { return impl_->connections(); }

}  // namespace csim::daemon
