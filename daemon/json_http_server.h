// A small HTTP/1.1 server for read-only JSON pages (the agents' introspection,
// daemon/introspect_view.h), serving a listening TCP socket that `csim up` bound on the
// host before it entered the sandbox (the server serves a duplicate; the caller keeps
// and closes its own).
//
// One thread serves one connection at a time: one request (head at most 16 KiB, a body
// of at most 64 KiB is read and ignored) read within 5 s, one response with
// "Connection: close", the JSON pretty-printed (2 spaces) and newline-terminated. HEAD
// gets the headers only. With a token, each request must carry it (X-Auth-Token: <token>
// or Authorization: Bearer <token>, compared in constant time), else 401.
//
// Threads: start()/stop() from one owner thread; the handler runs on the server's thread
// (one call at a time).
#pragma once

#include <atomic>
#include <functional>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

#include "core/status.h"

namespace csim::daemon {

struct JsonPage {
  int status = 200;
  nlohmann::json body;
};

// (method, request target) -> page. Must not throw (a throw becomes a 500 page).
using JsonPageHandler = std::function<JsonPage(const std::string& method, const std::string& target)>;

class JsonHttpServer {
 public:
  JsonHttpServer(int listen_fd, JsonPageHandler handler, std::string token = "");
  ~JsonHttpServer();  // stop()
  JsonHttpServer(const JsonHttpServer&) = delete;
  JsonHttpServer& operator=(const JsonHttpServer&) = delete;

  // Duplicates the listening socket and starts the thread. kInvalid when the descriptor is
  // not a listening TCP socket or the server was started before.
  core::Status start();
  // Stops accepting, ends the connection being served, joins the thread. Idempotent.
  void stop();

 private:
  void serve_loop();
  void serve_connection(int fd);

  int listen_fd_;
  JsonPageHandler handler_;
  std::string token_;
  int own_fd_ = -1;
  int wake_pipe_[2] = {-1, -1};
  std::atomic<bool> stopping_{false};
  std::thread thread_;
  bool started_ = false;
};

}  // namespace csim::daemon
