// The daemon's side of the control channel (daemon/control_channel.h): a unix socket
// served by one accept thread and one thread per connection (at most 64 at once).
//
// Only peers with the daemon's own uid are served (SO_PEERCRED; inside csim's sandbox the
// caller's uid appears as 0 and anybody else's as the overflow uid). Each connection
// carries one request (first message, read within 10 s), handed with the descriptors
// that came with it to the handler on the connection's thread; the handler replies and
// may keep talking (`csim exec`). The connection closes when the handler returns.
//
// Threads: start()/stop() from one owner thread; the handler runs on connection threads,
// concurrently for different connections.
#pragma once

#include <atomic>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/status.h"
#include "daemon/control_channel.h"

namespace csim::daemon {

// One client connection, as the handler sees it.
class ControlConnection {
 public:
  ControlConnection(int fd, const std::atomic<bool>& stopping) : fd_(fd), reader_(fd), stopping_(stopping) {}

  int fd() const { return fd_; }
  MessageReader& reader() { return reader_; }
  // Descriptors that came with the request; the handler owns the ones it takes.
  std::vector<int> take_fds() { return reader_.take_fds(); }
  // Sends one message; kUnavailable when the client has gone.
  core::Status send(const nlohmann::json& message) { return send_message(fd_, message); }
  core::Status reply_error(const std::string& error) {
    return send({{"ok", false}, {"error", error}});
  }
  // True once the server stops: long handlers wind down and return.
  bool stopping() const { return stopping_.load(); }
  const std::atomic<bool>& stopping_flag() const { return stopping_; }

 private:
  int fd_;
  MessageReader reader_;
  const std::atomic<bool>& stopping_;
};

using ControlHandler = std::function<void(const nlohmann::json& request, ControlConnection& connection)>;

class ControlServer {
 public:
  ControlServer(std::string socket_path, ControlHandler handler);
  ~ControlServer();  // stop()
  ControlServer(const ControlServer&) = delete;
  ControlServer& operator=(const ControlServer&) = delete;

  // Removes a stale socket file at the path (the caller holds the instance lock), binds,
  // starts the accept thread.
  core::Status start();
  // Stops accepting, tells handlers to stop (stopping() becomes true), waits for them
  // (bounded: 10 s; connections still open then are shut down), removes the socket file.
  // Idempotent. Must not be called from a handler.
  void stop();

  const std::string& socket_path() const { return path_; }

 private:
  struct Worker {
    std::thread thread;
    std::atomic<bool> done{false};
    int fd = -1;
  };
  void accept_loop();
  void serve(Worker* worker);
  void reap_finished();

  std::string path_;
  ControlHandler handler_;
  int listen_fd_ = -1;
  int wake_pipe_[2] = {-1, -1};
  std::thread accept_thread_;
  std::atomic<bool> stopping_{false};
  std::mutex mu_;
  std::list<std::unique_ptr<Worker>> workers_;
  bool started_ = false;
  bool stopped_ = false;
};

}  // namespace csim::daemon
