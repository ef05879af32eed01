#include "agent/http_client.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstring>

#include "agent/ipv4.h"
#include "agent/netns.h"

namespace csim::agent {
namespace {

using SteadyClock = std::chrono::steady_clock;
constexpr size_t kMaxResponse = 16 * 1024 * 1024;

std::string errno_text(int err) {
  char buf[128];
  return strerror_r(err, buf, sizeof buf);
}

bool iequals(const std::string& a, const std::string& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i])))
      return false;
  }
  return true;
}

bool clean_field(const std::string& s, bool allow_space) {
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f || (!allow_space && c == ' ')) return false;
  }
  return true;
}

bool is_token(const std::string& s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!std::isalnum(static_cast<unsigned char>(c)) &&
        std::strchr("!#$%&'*+-.^_`|~", c) == nullptr)
      return false;
  }
  return true;
}

class Socket {
 public:
  explicit Socket(int fd) : fd_(fd) {}
  ~Socket() {
    if (fd_ >= 0) close(fd_);
  }
  int fd() const { return fd_; }

 private:
  int fd_;
};

// Parses head + body out of `data` (complete when the connection closed or the body is
// all there). Returns kIncomplete as nullopt-like via *done=false.
core::Status parse_response(const std::string& data, bool eof, bool head_request, HttpResponse* out,
                            bool* done, const std::string& where) {
  *done = false;
  size_t head_end = data.find("\r\n\r\n");
  if (head_end == std::string::npos) {
    if (eof)
      return core::unavailable("connection closed before a complete response head from " + where);
    return core::Status::ok();
  }
  size_t line_end = data.find("\r\n");
  std::string status_line = data.substr(0, line_end);
  // "HTTP/1.1 200 OK"
  if (status_line.compare(0, 5, "HTTP/") != 0 || status_line.size() < 12 || status_line[8] != ' ') {
    return core::unavailable("malformed status line from " + where + ": " +
                             status_line.substr(0, 100));
  }
  std::string code = status_line.substr(9, 3);
  if (!std::isdigit(static_cast<unsigned char>(code[0])) ||
      !std::isdigit(static_cast<unsigned char>(code[1])) ||
      !std::isdigit(static_cast<unsigned char>(code[2]))) {
    return core::unavailable("malformed status line from " + where + ": " +
                             status_line.substr(0, 100));
  }
  HttpResponse r;
  r.status = std::stoi(code);
  r.reason = status_line.size() > 13 ? status_line.substr(13) : "";
  size_t pos = line_end + 2;
  while (pos < head_end + 2) {
    size_t eol = data.find("\r\n", pos);
    std::string line = data.substr(pos, eol - pos);
    pos = eol + 2;
    if (line.empty()) break;
    size_t colon = line.find(':');
    if (colon == std::string::npos) return core::unavailable("malformed header line from " + where);
    std::string value = line.substr(colon + 1);
    size_t b = value.find_first_not_of(" \t");
    size_t e = value.find_last_not_of(" \t");
    value = b == std::string::npos ? "" : value.substr(b, e - b + 1);
    r.headers.emplace_back(line.substr(0, colon), value);
  }
  size_t body_start = head_end + 4;
  if (head_request || r.status == 204 || r.status == 304 || (r.status >= 100 && r.status < 200)) {
    *out = std::move(r);
    *done = true;
    return core::Status::ok();
  }
  std::string te = r.header("Transfer-Encoding");
  std::string cl = r.header("Content-Length");
  if (!te.empty() && iequals(te, "chunked")) {
    size_t p = body_start;
    std::string body;
    for (;;) {
      size_t eol = data.find("\r\n", p);
      if (eol == std::string::npos) break;
      size_t size = 0;
      std::string hex = data.substr(p, eol - p);
      hex = hex.substr(0, hex.find(';'));
      if (hex.empty() || hex.size() > 8) return core::unavailable("bad chunk size from " + where);
      for (char c : hex) {
        if (!std::isxdigit(static_cast<unsigned char>(c)))
          return core::unavailable("bad chunk size from " + where);
        size = size * 16 + static_cast<size_t>(std::isdigit(static_cast<unsigned char>(c))
                                                   ? c - '0'
                                                   : std::tolower(c) - 'a' + 10);
      }
      if (size == 0) {
        r.body = std::move(body);
        *out = std::move(r);
        *done = true;
        return core::Status::ok();
      }
      if (data.size() < eol + 2 + size + 2) break;
      body.append(data, eol + 2, size);
      p = eol + 2 + size + 2;
    }
    if (eof)
      return core::unavailable("connection closed in the middle of a chunked body from " + where);
    return core::Status::ok();
  }
  if (!cl.empty()) {
    size_t n = 0;
    for (char c : cl) {
      if (!std::isdigit(static_cast<unsigned char>(c)))
        return core::unavailable("bad Content-Length from " + where);
      n = n * 10 + static_cast<size_t>(c - '0');
      if (n > kMaxResponse) return core::unavailable("response body too large from " + where);
    }
    if (data.size() >= body_start + n) {
      r.body = data.substr(body_start, n);
      *out = std::move(r);
      *done = true;
      return core::Status::ok();
    }
    if (eof) return core::unavailable("connection closed before the whole body from " + where);
    return core::Status::ok();
  }
  if (eof) {
    r.body = data.substr(body_start);
    *out = std::move(r);
    *done = true;
  }
  return core::Status::ok();
}

}  // namespace

std::string HttpResponse::header(const std::string& name) const {
  for (const auto& [k, v] : headers) {
    if (iequals(k, name)) return v;
  }
  return "";
}

core::Result<HttpResponse> http_request(const HttpRequestSpec& spec) {
  auto ip = parse_ipv4(spec.ip);
  if (!ip) return core::invalid("http request: '" + spec.ip + "' is not an IPv4 address");
  if (spec.port < 1 || spec.port > 65535)
    return core::invalid("http request: bad port " + std::to_string(spec.port));
  if (!is_token(spec.method))
    return core::invalid("http request: bad method '" + spec.method + "'");
  if (spec.path.empty() || !clean_field(spec.path, false)) {
    return core::invalid(
        "http request: path must be non-empty without spaces or control characters");
  }
  if (!clean_field(spec.host_header, false)) {
    return core::invalid("http request: Host header must not contain spaces or control characters");
  }
  for (const auto& [k, v] : spec.extra_headers) {
    if (!is_token(k) || !clean_field(v, true))
      return core::invalid("http request: bad header '" + k + "'");
  }
  std::string host = spec.host_header;
  if (host.empty()) host = spec.port == 80 ? spec.ip : spec.ip + ":" + std::to_string(spec.port);
  std::string sni;
  if (spec.tls) {
    if (spec.sni.empty()) {
      sni = host.substr(0, host.find(':'));
      if (parse_ipv4(sni)) sni.clear();
    } else if (spec.sni != "-") {
      sni = spec.sni;
    }
    if (sni.size() > 255 || !clean_field(sni, false))
      return core::invalid("http request: bad TLS server name '" + sni.substr(0, 255) + "'");
  }
  const std::string target = spec.ip + ":" + std::to_string(spec.port);
  const std::string where = target + (spec.netns.empty() ? std::string() : " from " + spec.netns);
  const auto start = SteadyClock::now();
  const auto deadline = start + spec.timeout;
  auto left_ms = [&] {
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - SteadyClock::now())
                  .count();
    return static_cast<int>(std::max<int64_t>(0, std::min<int64_t>(ms, 1 << 30)));
  };
  auto timeout_error = [&](const char* phase) {
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(spec.timeout).count();
    return core::unavailable(std::string(phase) + " " + where + " timed out after " +
                             std::to_string(ms) + " ms");
  };

  int fd = -1;
  if (spec.netns.empty()) {
    fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return core::unavailable("socket: " + errno_text(errno));
  } else {
    auto ns_fd = open_netns_fd(spec.netns);
    if (!ns_fd.is_ok()) return ns_fd.status();
    auto s = socket_in_netns(*ns_fd, spec.netns, AF_INET, SOCK_STREAM);
    close(*ns_fd);
    if (!s.is_ok()) return s.status();
    fd = *s;
  }
  Socket sock(fd);
  fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);

  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(spec.port));
  addr.sin_addr.s_addr = ip->network_order();
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    if (errno != EINPROGRESS)
      return core::unavailable("connect " + where + ": " + errno_text(errno));
    struct pollfd pf = {fd, POLLOUT, 0};
    int r;
    do {
      r = poll(&pf, 1, left_ms());
    } while (r < 0 && errno == EINTR);
    if (r == 0) return timeout_error("connect");
    int err = 0;
    socklen_t len = sizeof err;
    getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
    if (err != 0) return core::unavailable("connect " + where + ": " + errno_text(err));
  }

  std::unique_ptr<TlsClientSession> session;
  if (spec.tls) {
    auto hs = TlsClientSession::handshake(fd, sni, deadline, where);
    if (!hs.is_ok()) return hs.status();
    session = std::move(*hs);
  }

  std::string req = spec.method + " " + spec.path + " HTTP/1.1\r\nHost: " + host +
                    "\r\nUser-Agent: csim\r\nAccept: */*\r\nConnection: close\r\n";
  for (const auto& [k, v] : spec.extra_headers) req += k + ": " + v + "\r\n";
  if (!spec.body.empty() || spec.method == "POST" || spec.method == "PUT") {
    req += "Content-Length: " + std::to_string(spec.body.size()) + "\r\n";
  }
  req += "\r\n" + spec.body;
  if (session) {
    if (auto st = session->write_all(req, deadline); !st.is_ok()) return st;
  }
  size_t sent = session ? req.size() : 0;
  while (sent < req.size()) {
    ssize_t n = send(fd, req.data() + sent, req.size() - sent, MSG_NOSIGNAL);
    if (n > 0) {
      sent += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) {
      struct pollfd pf = {fd, POLLOUT, 0};
      if (poll(&pf, 1, left_ms()) == 0) return timeout_error("send to");
      continue;
    }
    return core::unavailable("send to " + where + ": " + errno_text(errno));
  }

  std::string data;
  char buf[16384];
  HttpResponse response;
  for (;;) {
    ssize_t n = 0;
    if (session) {
      auto got = session->read_some(buf, sizeof buf, deadline);
      if (!got.is_ok()) return got.status();
      n = static_cast<ssize_t>(*got);
    } else {
      struct pollfd pf = {fd, POLLIN, 0};
      int r = poll(&pf, 1, left_ms());
      if (r < 0 && errno == EINTR) continue;
      if (r == 0) return timeout_error("read from");
      n = recv(fd, buf, sizeof buf, 0);
    }
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      if (errno == ECONNRESET && !data.empty())
        n = 0;  // treat as end of a close-delimited body
      else
        return core::unavailable("read from " + where + ": " + errno_text(errno));
    }
    if (n > 0) {
      data.append(buf, static_cast<size_t>(n));
      if (data.size() > kMaxResponse) return core::unavailable("response too large from " + where);
    }
    bool done = false;
    auto st = parse_response(data, n == 0, spec.method == "HEAD", &response, &done, where);
    if (!st.is_ok()) return st;
    if (done) break;
    if (n == 0) return core::unavailable("connection closed early by " + where);
  }
  response.elapsed = std::chrono::duration_cast<core::Nanos>(SteadyClock::now() - start);
  if (session) response.tls = session->peer();
  return response;
}

core::Result<HttpResponse> http_request_in_netns(const std::string& netns_name,
                                                 const std::string& ip, int port,
                                                 const std::string& method,
                                                 const std::string& host_header,
                                                 const std::string& path, core::Nanos timeout) {
  HttpRequestSpec spec;
  spec.netns = netns_name;
  spec.ip = ip;
  spec.port = port;
  spec.method = method;
  spec.host_header = host_header;
  spec.path = path;
  spec.timeout = timeout;
  return http_request(spec);
}

}  // namespace csim::agent
