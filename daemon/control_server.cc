#include "daemon/control_server.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

namespace csim::daemon {
namespace {

constexpr size_t kMaxConnections = 64;
constexpr auto kFirstMessageTimeout = std::chrono::seconds(10);
constexpr auto kStopGrace = std::chrono::seconds(10);

}  // namespace

ControlServer::ControlServer(std::string socket_path, ControlHandler handler)
    : path_(std::move(socket_path)), handler_(std::move(handler)) {}

ControlServer::~ControlServer() { stop(); }

core::Status ControlServer::start() {
  if (started_) return core::invalid("control server already started");
  if (unlink(path_.c_str()) != 0 && errno != ENOENT)
    return core::unavailable("remove stale " + path_ + ": " + std::strerror(errno));
  auto fd = listen_unix(path_);
  if (!fd.is_ok()) return fd.status();
  if (pipe2(wake_pipe_, O_CLOEXEC | O_NONBLOCK) != 0) {
    int err = errno;
    close(*fd);
    unlink(path_.c_str());
    return core::unavailable("pipe: " + std::string(std::strerror(err)));
  }
  listen_fd_ = *fd;
  started_ = true;
  accept_thread_ = std::thread([this] { accept_loop(); });
  return core::Status::ok();
}

void ControlServer::accept_loop() {
  const uid_t me = geteuid();
  for (;;) {
    pollfd p[2] = {{listen_fd_, POLLIN, 0}, {wake_pipe_[0], POLLIN, 0}};
    int r = poll(p, 2, 1000);
    if (stopping_.load()) return;
    if (r < 0 && errno != EINTR) return;
    reap_finished();
    if (r <= 0 || !(p[0].revents & POLLIN)) continue;
    int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    auto uid = peer_uid(fd);
    if (!uid.is_ok() || *uid != me) {
      send_message(fd, {{"ok", false}, {"error", "permission denied: not the daemon's user"}});
      close(fd);
      continue;
    }
    std::lock_guard lock(mu_);
    if (workers_.size() >= kMaxConnections) {
      send_message(fd, {{"ok", false}, {"error", "too many control connections"}});
      close(fd);
      continue;
    }
    workers_.push_back(std::make_unique<Worker>());
    Worker* w = workers_.back().get();
    w->fd = fd;
    w->thread = std::thread([this, w] { serve(w); });
  }
}

void ControlServer::serve(Worker* worker) {
  int fd;
  {
    std::lock_guard lock(mu_);
    fd = worker->fd;
  }
  {
    ControlConnection connection(fd, stopping_);
    auto first = connection.reader().next(kFirstMessageTimeout, &stopping_);
    if (!first.is_ok()) {
      if (first.status().message() != "connection closed") connection.reply_error(first.status().message());
    } else if (!first->has_value()) {
      if (!stopping_.load()) connection.reply_error("no request within 10 s");
    } else {
      handler_(**first, connection);
    }
  }
  {
    std::lock_guard lock(mu_);
    close(worker->fd);
    worker->fd = -1;
  }
  worker->done.store(true);
}

void ControlServer::reap_finished() {
  std::list<std::unique_ptr<Worker>> finished;
  {
    std::lock_guard lock(mu_);
    for (auto it = workers_.begin(); it != workers_.end();) {
      if ((*it)->done.load()) {
        finished.push_back(std::move(*it));
        it = workers_.erase(it);
      } else {
        ++it;
      }
    }
  }
  for (auto& w : finished) w->thread.join();
}

void ControlServer::stop() {
  if (!started_ || stopped_) return;
  stopped_ = true;
  stopping_.store(true);
  ssize_t ignored = write(wake_pipe_[1], "x", 1);
  (void)ignored;
  accept_thread_.join();
  close(listen_fd_);
  listen_fd_ = -1;
  unlink(path_.c_str());
  const auto deadline = std::chrono::steady_clock::now() + kStopGrace;
  for (;;) {
    bool all_done = true;
    {
      std::lock_guard lock(mu_);
      for (auto& w : workers_) all_done = all_done && w->done.load();
    }
    if (all_done || std::chrono::steady_clock::now() >= deadline) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  {
    std::lock_guard lock(mu_);
    for (auto& w : workers_)
      if (w->fd >= 0) shutdown(w->fd, SHUT_RDWR);
  }
  std::list<std::unique_ptr<Worker>> all;
  {
    std::lock_guard lock(mu_);
    all.swap(workers_);
  }
  for (auto& w : all) w->thread.join();
  close(wake_pipe_[0]);
  close(wake_pipe_[1]);
}

}  // namespace csim::daemon
