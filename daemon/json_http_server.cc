#include "daemon/json_http_server.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

#include "agent/http_request_parser.h"

namespace csim::daemon {
namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

constexpr auto kRequestDeadline = std::chrono::seconds(5);
constexpr int kSendTimeoutS = 5;

const char* reason_of(int status) {
  switch (status) {
    case 200: return "OK";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 413: return "Payload Too Large";
    case 431: return "Request Header Fields Too Large";
    case 501: return "Not Implemented";
    default: return status >= 500 ? "Internal Server Error" : "Error";
  }
}

// Compares in time that depends on the wanted token's length only.
bool constant_time_equal(const std::string& given, const std::string& want) {
  if (want.empty()) return false;
  size_t diff = given.size() ^ want.size();
  for (size_t i = 0; i < want.size(); ++i)
    diff |= static_cast<unsigned char>(want[i]) ^ static_cast<unsigned char>(i < given.size() ? given[i] : 0);
  return diff == 0;
}

void send_all(int fd, const std::string& data) {
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = send(fd, data.data() + done, data.size() - done, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // the client went away or stalled past the send timeout
    done += static_cast<size_t>(n);
  }
}

void respond(int fd, const JsonPage& page, bool head_only) {
  const std::string body = page.body.dump(2, ' ', false, json::error_handler_t::replace) + "\n";
  std::string out = "HTTP/1.1 " + std::to_string(page.status) + " " + reason_of(page.status) + "\r\n" +
                    "Content-Type: application/json\r\n" + "Content-Length: " + std::to_string(body.size()) +
                    "\r\n" + "Server: csim-introspect\r\n" + "Connection: close\r\n";
  if (page.status == 401) out += "WWW-Authenticate: Bearer\r\n";
  if (page.status == 405) out += "Allow: GET, HEAD\r\n";
  out += "\r\n";
  if (!head_only) out += body;
  send_all(fd, out);
}

}  // namespace

JsonHttpServer::JsonHttpServer(int listen_fd, JsonPageHandler handler, std::string token)
    : listen_fd_(listen_fd), handler_(std::move(handler)), token_(std::move(token)) {}

JsonHttpServer::~JsonHttpServer() { stop(); }

core::Status JsonHttpServer::start() {
  if (started_) return core::invalid("the introspection server was started before");
  int type = 0, listening = 0;
  socklen_t len = sizeof type;
  if (getsockopt(listen_fd_, SOL_SOCKET, SO_TYPE, &type, &len) != 0 || type != SOCK_STREAM)
    return core::invalid("descriptor " + std::to_string(listen_fd_) + " is not a stream socket");
  len = sizeof listening;
  if (getsockopt(listen_fd_, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len) != 0 || !listening)
    return core::invalid("descriptor " + std::to_string(listen_fd_) + " is not a listening socket");
  own_fd_ = fcntl(listen_fd_, F_DUPFD_CLOEXEC, 3);
  if (own_fd_ < 0) return core::unavailable(std::string("dup of the listening socket: ") + std::strerror(errno));
  if (pipe2(wake_pipe_, O_CLOEXEC | O_NONBLOCK) != 0) {
    int err = errno;
    close(own_fd_);
    own_fd_ = -1;
    return core::unavailable(std::string("pipe: ") + std::strerror(err));
  }
  int flags = fcntl(own_fd_, F_GETFL);
  fcntl(own_fd_, F_SETFL, flags | O_NONBLOCK);
  started_ = true;
  thread_ = std::thread([this] { serve_loop(); });
  return core::Status::ok();
}

void JsonHttpServer::stop() {
  if (!started_) return;
  started_ = false;
  stopping_ = true;
  char c = 'x';
  ssize_t ignored = write(wake_pipe_[1], &c, 1);
  (void)ignored;
  if (thread_.joinable()) thread_.join();
  for (int* fd : {&own_fd_, &wake_pipe_[0], &wake_pipe_[1]}) {
    if (*fd >= 0) close(*fd);
    *fd = -1;
  }
}

void JsonHttpServer::serve_loop() {
  while (!stopping_) {
    pollfd p[2] = {{own_fd_, POLLIN, 0}, {wake_pipe_[0], POLLIN, 0}};
    int r = poll(p, 2, -1);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0 || (p[1].revents & POLLIN)) break;
    if (!(p[0].revents & POLLIN)) continue;
    int fd = accept4(own_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;  // EAGAIN (another accept won), ECONNABORTED, EMFILE: try again
    serve_connection(fd);
    close(fd);
  }
}

void JsonHttpServer::serve_connection(int fd) {
  timeval tv{kSendTimeoutS, 0};
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  agent::ParseLimits limits;
  limits.max_head = 16 * 1024;
  limits.max_body = 64 * 1024;
  agent::HttpRequest request;
  std::string data;
  const auto deadline = Clock::now() + kRequestDeadline;
  for (;;) {
    auto outcome = agent::parse_http_request(data, limits, &request);
    if (outcome.kind == agent::ParseOutcome::Kind::kComplete) break;
    if (outcome.kind == agent::ParseOutcome::Kind::kError) {
      respond(fd, {outcome.status, {{"error", outcome.reason}}}, false);
      return;
    }
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) {
      respond(fd, {408, {{"error", "the request did not arrive within 5 s"}}}, false);
      return;
    }
    pollfd p[2] = {{fd, POLLIN, 0}, {wake_pipe_[0], POLLIN, 0}};
    int r = poll(p, 2, static_cast<int>(left));
    if (r < 0 && errno == EINTR) continue;
    if (r < 0 || (p[1].revents & POLLIN)) return;  // stopping
    if (r == 0) continue;
    char buf[4096];
    ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (n <= 0) return;  // the client went away
    data.append(buf, static_cast<size_t>(n));
  }
  const bool head = request.method == "HEAD";
  if (!token_.empty()) {
    std::string given = request.header("X-Auth-Token");
    const std::string auth = request.header("Authorization");
    if (given.empty() && auth.rfind("Bearer ", 0) == 0) given = auth.substr(7);
    if (!constant_time_equal(given, token_)) {
      respond(fd, {401, {{"error", "a token is required (X-Auth-Token or Authorization: Bearer)"}}}, head);
      return;
    }
  }
  JsonPage page;
  try {
    page = handler_(request.method, request.target);
  } catch (const std::exception& e) {
    page = {500, {{"error", std::string("internal error: ") + e.what()}}};
  }
  respond(fd, page, head);
}

}  // namespace csim::daemon
