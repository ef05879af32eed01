#include "agent/echo_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>

#include "agent/http_request_parser.h"
#include "agent/json_util.h"

namespace csim::agent {
namespace {

using SteadyClock = std::chrono::steady_clock;
constexpr size_t kMaxConnections = 1024;
constexpr auto kIdleTimeout = std::chrono::seconds(60);
constexpr size_t kMaxOutput = 4 * 1024 * 1024;  // per connection, unsent responses

struct Connection {
  int fd = -1;
  std::string in;
  std::string out;
  bool close_after_write = false;
  bool reading = true;
  std::string local_ip;
  int local_port = 0;
  std::string peer_ip;
  SteadyClock::time_point last_activity;
};

std::string address_text(const sockaddr_in& a) {
  char buf[INET_ADDRSTRLEN] = {0};
  inet_ntop(AF_INET, &a.sin_addr, buf, sizeof buf);
  return buf;
}

const char* reason_phrase(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 400:
      return "Bad Request";
    case 413:
      return "Content Too Large";
    case 431:
      return "Request Header Fields Too Large";
    case 501:
      return "Not Implemented";
    default:
      return "Error";
  }
}

std::string response(int status, const std::string& content_type, const std::string& body,
                     bool close) {
  std::string r = "HTTP/1.1 " + std::to_string(status) + " " + reason_phrase(status) + "\r\n";
  r += "Content-Type: " + content_type + "\r\n";
  r += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  r += "Server: csim-echo\r\n";
  if (close) r += "Connection: close\r\n";
  r += "\r\n";
  r += body;
  return r;
}

class EchoServer {
 public:
  explicit EchoServer(const EchoServerOptions& options) : options_(options) {
    labels_ = nlohmann::json::parse(options.labels_json, nullptr, false);
    if (!labels_.is_object()) labels_ = nlohmann::json::object();
  }

  ~EchoServer() {
    for (auto& [fd, c] : conns_) close(fd);
    for (int fd : listeners_) close(fd);
    if (epoll_ >= 0) close(epoll_);
    if (sigfd_ >= 0) close(sigfd_);
  }

  int run() {
    sigset_t mask;
    sigemptyset(&mask);
    sigaddset(&mask, SIGTERM);
    sigaddset(&mask, SIGINT);
    sigprocmask(SIG_BLOCK, &mask, nullptr);
    signal(SIGPIPE, SIG_IGN);
    sigfd_ = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
    epoll_ = epoll_create1(EPOLL_CLOEXEC);
    if (sigfd_ < 0 || epoll_ < 0) {
      std::cerr << "echo-server: " << std::strerror(errno) << "\n";
      return 1;
    }
    add(sigfd_, EPOLLIN);
    std::string ports_text;
    for (int port : options_.ports) {
      int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
      int one = 1;
      setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
      sockaddr_in addr{};
      addr.sin_family = AF_INET;
      addr.sin_port = htons(static_cast<uint16_t>(port));
      addr.sin_addr.s_addr = htonl(INADDR_ANY);
      if (fd < 0 || bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
          listen(fd, 512) != 0) {
        std::cerr << "echo-server: cannot listen on port " << port << ": " << std::strerror(errno)
                  << "\n";
        if (fd >= 0) close(fd);
        return 1;
      }
      listeners_.push_back(fd);
      add(fd, EPOLLIN);
      ports_text += " :" + std::to_string(port);
    }
    std::printf("listening on%s\n", ports_text.c_str());
    std::fflush(stdout);

    epoll_event events[64];
    for (;;) {
      int n = epoll_wait(epoll_, events, 64, 1000);
      if (n < 0) {
        if (errno == EINTR) continue;
        std::cerr << "echo-server: epoll_wait: " << std::strerror(errno) << "\n";
        return 1;
      }
      for (int i = 0; i < n; ++i) {
        int fd = events[i].data.fd;
        if (fd == sigfd_) return 0;  // SIGTERM / SIGINT
        if (is_listener(fd)) {
          accept_all(fd);
          continue;
        }
        auto it = conns_.find(fd);
        if (it == conns_.end()) continue;
        if (events[i].events & (EPOLLERR | EPOLLHUP)) {
          drop(fd);
          continue;
        }
        if (events[i].events & EPOLLIN) on_readable(*it->second);
        if (conns_.count(fd) && (events[i].events & EPOLLOUT)) flush(*conns_[fd]);
      }
      expire_idle();
    }
  }

 private:
  void add(int fd, uint32_t events) {
    epoll_event ev{};
    ev.events = events;
    ev.data.fd = fd;
    epoll_ctl(epoll_, EPOLL_CTL_ADD, fd, &ev);
  }
  void modify(int fd, uint32_t events) {
    epoll_event ev{};
    ev.events = events;
    ev.data.fd = fd;
    epoll_ctl(epoll_, EPOLL_CTL_MOD, fd, &ev);
  }
  bool is_listener(int fd) const {
    for (int l : listeners_) {
      if (l == fd) return true;
    }
    return false;
  }

  void accept_all(int listener) {
    for (;;) {
      sockaddr_in peer{};
      socklen_t len = sizeof peer;
      int fd =
          accept4(listener, reinterpret_cast<sockaddr*>(&peer), &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd < 0) return;  // EAGAIN or a transient error
      if (conns_.size() >= kMaxConnections) {
        close(fd);
        continue;
      }
      int one = 1;
      setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      auto c = std::make_unique<Connection>();
      c->fd = fd;
      c->peer_ip = address_text(peer);
      sockaddr_in local{};
      socklen_t llen = sizeof local;
      getsockname(fd, reinterpret_cast<sockaddr*>(&local), &llen);
      c->local_ip = address_text(local);
      c->local_port = ntohs(local.sin_port);
      c->last_activity = SteadyClock::now();
      add(fd, EPOLLIN);
      conns_[fd] = std::move(c);
    }
  }

  void on_readable(Connection& c) {
    char buf[16384];
    for (;;) {
      ssize_t n = read(c.fd, buf, sizeof buf);
      if (n > 0) {
        c.last_activity = SteadyClock::now();
        if (c.reading) c.in.append(buf, static_cast<size_t>(n));
        if (c.in.size() > 2 * 1024 * 1024) break;  // parse what we have; limits apply
        continue;
      }
      if (n == 0) {
        // Peer closed: answer what is complete, then close.
        const int fd = c.fd;
        process(c);  // may drop the connection
        auto it = conns_.find(fd);
        if (it != conns_.end()) {
          it->second->close_after_write = true;
          it->second->reading = false;
          flush(*it->second);
        }
        return;
      }
      if (errno == EINTR) continue;
      if (errno == EAGAIN) break;
      drop(c.fd);
      return;
    }
    process(c);
  }

  void process(Connection& c) {
    while (c.reading && !c.in.empty()) {
      HttpRequest req;
      ParseOutcome o = parse_http_request(c.in, ParseLimits{}, &req);
      if (o.kind == ParseOutcome::Kind::kIncomplete) break;
      if (o.kind == ParseOutcome::Kind::kError) {
        nlohmann::json body = {{"error", o.reason}, {"status", o.status}};
        c.out += response(o.status, "application/json", safe_dump(body) + "\n", true);
        c.close_after_write = true;
        c.reading = false;
        c.in.clear();
        break;
      }
      c.in.erase(0, o.consumed);
      bool keep = req.keep_alive();
      c.out += response(200, "application/json", safe_dump(describe(c, req)) + "\n", !keep);
      if (!keep) {
        c.close_after_write = true;
        c.reading = false;
        c.in.clear();
      }
      if (c.out.size() > kMaxOutput) break;  // client is not reading: wait for flush
    }
    flush(c);
  }

  nlohmann::json describe(const Connection& c, const HttpRequest& req) const {
    nlohmann::json headers = nlohmann::json::object();
    for (const auto& [k, v] : req.headers) {
      std::string name = k;
      for (auto& ch : name) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
      if (headers.contains(name)) {
        headers[name] = headers[name].get<std::string>() + ", " + v;
      } else {
        headers[name] = v;
      }
    }
    return {{"pod", options_.pod},   {"namespace", options_.kube_namespace},
            {"node", options_.node}, {"labels", labels_},
            {"method", req.method},  {"host", req.header("Host")},
            {"path", req.target},    {"headers", headers},
            {"ip", c.local_ip},      {"port", c.local_port},
            {"client", c.peer_ip}};
  }

  void flush(Connection& c) {
    while (!c.out.empty()) {
      ssize_t n = send(c.fd, c.out.data(), c.out.size(), MSG_NOSIGNAL);
      if (n > 0) {
        c.out.erase(0, static_cast<size_t>(n));
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && errno == EAGAIN) {
        modify(c.fd, (c.reading ? static_cast<uint32_t>(EPOLLIN) : 0u) | EPOLLOUT);
        return;
      }
      drop(c.fd);
      return;
    }
    if (c.close_after_write) {
      drop(c.fd);
      return;
    }
    modify(c.fd, EPOLLIN);
  }

  void expire_idle() {
    auto now = SteadyClock::now();
    std::vector<int> idle;
    for (auto& [fd, c] : conns_) {
      if (now - c->last_activity > kIdleTimeout) idle.push_back(fd);
    }
    for (int fd : idle) drop(fd);
  }

  void drop(int fd) {
    epoll_ctl(epoll_, EPOLL_CTL_DEL, fd, nullptr);
    close(fd);
    conns_.erase(fd);
  }

  const EchoServerOptions& options_;
  nlohmann::json labels_;
  int epoll_ = -1;
  int sigfd_ = -1;
  std::vector<int> listeners_;
  std::map<int, std::unique_ptr<Connection>> conns_;
};

}  // namespace

core::Result<EchoServerOptions> parse_echo_server_args(int argc, char** argv) {
  EchoServerOptions o;
  for (int i = 1; i < argc; ++i) {
    std::string flag = argv[i];
    if (i + 1 >= argc) return core::invalid("echo-server: " + flag + " needs a value");
    std::string value = argv[++i];
    if (flag == "--pod") {
      o.pod = value;
    } else if (flag == "--namespace") {
      o.kube_namespace = value;
    } else if (flag == "--node") {
      o.node = value;
    } else if (flag == "--labels") {
      nlohmann::json labels = nlohmann::json::parse(value, nullptr, false);
      if (labels.is_discarded() || !labels.is_object()) {
        return core::invalid("echo-server: --labels must be a JSON object, got " + value);
      }
      for (const auto& [k, v] : labels.items()) {
        if (!v.is_string()) return core::invalid("echo-server: label " + k + " must be a string");
      }
      o.labels_json = safe_dump(labels);
    } else if (flag == "--port") {
      int port = 0;
      bool digits = !value.empty() && value.size() <= 5;
      for (char c : value) {
        if (c < '0' || c > '9') digits = false;
      }
      if (digits) port = std::stoi(value);
      if (!digits || port < 1 || port > 65535) {
        return core::invalid("echo-server: --port must be 1..65535, got " + value);
      }
      bool dup = false;
      for (int p : o.ports) dup = dup || p == port;
      if (!dup) o.ports.push_back(port);
    } else {
      return core::invalid("echo-server: unknown flag " + flag);
    }
  }
  if (o.pod.empty()) return core::invalid("echo-server: --pod is required");
  if (o.ports.empty()) o.ports.push_back(80);
  return o;
}

int serve_echo(const EchoServerOptions& options) {
  EchoServer server(options);
  return server.run();
}

int run_echo_server(int argc, char** argv) {
  auto options = parse_echo_server_args(argc, argv);
  if (!options.is_ok()) {
    std::cerr
        << options.status().message() << "\n"
        << "usage: csim echo-server --pod P --namespace N --node X --labels JSON --port N...\n";
    return 2;
  }
  return serve_echo(*options);
}

}  // namespace csim::agent
