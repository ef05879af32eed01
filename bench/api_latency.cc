// API latency benchmark (issue 3): the real kube-apiserver front (kube/apiserver/server.h)
// on 127.0.0.1:<free port>, measured over real HTTP on loopback with keep-alive
// connections, as kubectl and client-go use it.
//
//   bazel run -c opt //bench:api_latency -- [--creates N] [--lists N] [--watchers N]
//                                            [--events N] [--stores sqlite,memory,control-plane]
//
// Stores (each measured on a fresh server):
//   sqlite         MemoryObjectStore writing through to SqliteStorePersistence in a temp
//                  directory: the store `csim up` uses (sim/control_plane.cc), the honest case.
//   memory         MemoryObjectStore alone (no persistence).
//   control-plane  sim::ControlPlane with its kube store in a temp file: the same store
//                  plus every module `csim up` subscribes to it (kube-manager, svc-monitor,
//                  ...; no agents), so the writes compete with the pipeline they cause.
// Phases (every loop bounded in count and by a deadline):
//   (a) single-object writes: N creates of Services (POST), N strategic-merge patches
//       (PATCH, as `kubectl apply`), N/2 deletes; latency p50/p90/p99/max.
//   (b) list of 1,000 Services: JSON and server-side Table (kubectl's Accept), p50/p99.
//   (c) watch fan-out: W watch connections (JSON, as informers), then E creates back to
//       back (the fan-out's throughput) and E/4 creates 20 ms apart (its latency when it
//       keeps up); per delivery (write sent -> watcher read it) p50/p99/max, per event
//       until the last watcher has it, and the total.
// The goal checked: p99 < 10 ms for single-object writes.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <functional>
#include <iostream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/bus.h"
#include "core/clock.h"
#include "kube/apiserver/server.h"
#include "kube/memory_store.h"
#include "kube/sqlite_store.h"
#include "sim/control_plane.h"

namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;
using csim::kube::apiserver::ApiServer;

constexpr auto kIoTimeout = std::chrono::seconds(10);
constexpr auto kPhaseDeadline = std::chrono::seconds(180);
constexpr double kGoalMs = 10.0;
constexpr std::chrono::milliseconds kPace{20};
constexpr const char* kTableAccept =
    "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,"
    "application/json";

double ms_since(Clock::time_point t0, Clock::time_point t1) {
  return std::chrono::duration<double, std::milli>(t1 - t0).count();
}

// ---------------------------------------------------------------------------------------
// A blocking HTTP/1.1 keep-alive client on one loopback connection (Content-Length bodies).

struct HttpReply {
  int status = 0;
  std::string body;
};

class HttpConn {
 public:
  explicit HttpConn(uint16_t port) : port_(port) {}
  ~HttpConn() {
    if (fd_ >= 0) close(fd_);
  }
  HttpConn(const HttpConn&) = delete;
  HttpConn& operator=(const HttpConn&) = delete;

  bool connect_now(std::string* error) {
    fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0) return fail(error, "socket");
    int one = 1;
    setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);  // as Go's net/http
    timeval tv{static_cast<time_t>(kIoTimeout.count()), 0};
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port_);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) return fail(error, "connect");
    return true;
  }

  int fd() const { return fd_; }

  bool send_request(const std::string& method, const std::string& target, const std::string& accept,
                    const std::string& content_type, const std::string& body, std::string* error) {
    std::string req = method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port_) +
                      "\r\nUser-Agent: csim-bench/1\r\nAccept: " + accept + "\r\n";
    if (!content_type.empty()) req += "Content-Type: " + content_type + "\r\n";
    if (!body.empty() || method == "POST" || method == "PUT" || method == "PATCH")
      req += "Content-Length: " + std::to_string(body.size()) + "\r\n";
    req += "\r\n";
    req += body;
    size_t done = 0;
    while (done < req.size()) {
      ssize_t n = ::send(fd_, req.data() + done, req.size() - done, MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return fail(error, "send");
      done += static_cast<size_t>(n);
    }
    return true;
  }

  // Reads the status line and headers; leaves what follows in buffer_.
  bool read_head(int* status, std::string* headers, std::string* error) {
    size_t end;
    while ((end = buffer_.find("\r\n\r\n")) == std::string::npos) {
      if (!fill(error)) return false;
    }
    std::string head = buffer_.substr(0, end);
    buffer_.erase(0, end + 4);
    if (head.size() < 12 || head.compare(0, 5, "HTTP/") != 0) {
      *error = "bad status line: " + head.substr(0, 40);
      return false;
    }
    *status = std::atoi(head.c_str() + 9);
    *headers = head;
    return true;
  }

  std::optional<HttpReply> request(const std::string& method, const std::string& target,
                                   const std::string& body, std::string* error,
                                   const std::string& accept = "application/json",
                                   const std::string& content_type = "application/json") {
    if (!send_request(method, target, accept, body.empty() ? "" : content_type, body, error)) return std::nullopt;
    HttpReply reply;
    std::string headers;
    if (!read_head(&reply.status, &headers, error)) return std::nullopt;
    std::string lower = headers;
    std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
    size_t cl = lower.find("\r\ncontent-length:");
    if (cl == std::string::npos) {
      *error = "response without Content-Length";
      return std::nullopt;
    }
    size_t length = std::strtoul(lower.c_str() + cl + 17, nullptr, 10);
    while (buffer_.size() < length)
      if (!fill(error)) return std::nullopt;
    reply.body = buffer_.substr(0, length);
    buffer_.erase(0, length);
    return reply;
  }

  // Non-blocking-ish: one recv of what is there (after poll said readable).
  ssize_t read_some(std::string* out) {
    char buf[65536];
    ssize_t n = ::recv(fd_, buf, sizeof buf, MSG_DONTWAIT);
    if (n > 0) out->append(buf, static_cast<size_t>(n));
    return n;
  }

  std::string take_buffer() {
    std::string b;
    b.swap(buffer_);
    return b;
  }

 private:
  bool fill(std::string* error) {
    char buf[65536];
    for (;;) {
      ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
      if (n < 0 && errno == EINTR) continue;
      if (n == 0) {
        *error = "connection closed by the server";
        return false;
      }
      if (n < 0) return fail(error, "recv");
      buffer_.append(buf, static_cast<size_t>(n));
      return true;
    }
  }
  bool fail(std::string* error, const char* what) {
    *error = std::string(what) + ": " + std::strerror(errno);
    return false;
  }

  uint16_t port_;
  int fd_ = -1;
  std::string buffer_;
};

// ---------------------------------------------------------------------------------------
// Statistics

struct Stats {
  size_t n = 0;
  double p50 = 0, p90 = 0, p99 = 0, max = 0, mean = 0;
};

Stats stats_of(std::vector<double> v) {
  Stats s;
  s.n = v.size();
  if (v.empty()) return s;
  std::sort(v.begin(), v.end());
  auto pct = [&](double q) {
    size_t i = static_cast<size_t>(std::ceil(q * static_cast<double>(v.size())));
    return v[std::min(v.size() - 1, i == 0 ? 0 : i - 1)];
  };
  s.p50 = pct(0.50);
  s.p90 = pct(0.90);
  s.p99 = pct(0.99);
  s.max = v.back();
  double sum = 0;
  for (double x : v) sum += x;
  s.mean = sum / static_cast<double>(v.size());
  return s;
}

std::string fmt(double ms) {
  char buf[32];
  std::snprintf(buf, sizeof buf, ms < 10 ? "%.2f" : "%.1f", ms);
  return buf;
}

void print_row(const std::string& what, const Stats& s, bool with_p90 = true) {
  char line[256];
  std::snprintf(line, sizeof line, "  %-40s n=%-6zu p50 %7s  %s%s%sp99 %7s  max %7s  ms", what.c_str(), s.n,
                fmt(s.p50).c_str(), with_p90 ? "p90 " : "", with_p90 ? fmt(s.p90).c_str() : "",
                with_p90 ? "  " : "", fmt(s.p99).c_str(), fmt(s.max).c_str());
  std::cout << line << "\n";
}

// ---------------------------------------------------------------------------------------
// The suite

struct Settings {
  int creates = 2000;
  int lists = 50;
  int list_size = 1000;
  int watchers = 100;
  int events = 200;
  std::vector<std::string> stores{"sqlite", "memory", "control-plane"};
};

struct WriteFigures {
  Stats create, patch, remove;
  bool complete = true;
};

std::string service_body(const std::string& name) {
  return json{{"apiVersion", "v1"},
              {"kind", "Service"},
              {"metadata", {{"name", name}, {"labels", {{"app", "bench"}}}}},
              {"spec",
               {{"selector", {{"app", "bench"}}},
                {"ports", json::array({{{"name", "http"}, {"port", 80}, {"protocol", "TCP"}, {"targetPort", 8080}}})}}}}
      .dump();
}

std::string svc_name(const char* prefix, int i) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%s-%05d", prefix, i);
  return buf;
}

bool expect(const std::optional<HttpReply>& r, int code, const std::string& what, const std::string& error) {
  if (!r) {
    std::cerr << what << ": " << error << "\n";
    return false;
  }
  if (r->status != code) {
    std::cerr << what << ": HTTP " << r->status << " (wanted " << code << "): " << r->body.substr(0, 300) << "\n";
    return false;
  }
  return true;
}

bool create_namespace(HttpConn& c, const std::string& ns) {
  std::string error;
  auto r = c.request("POST", "/api/v1/namespaces",
                     json{{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", ns}}}}.dump(), &error);
  return expect(r, 201, "create namespace " + ns, error);
}

// (a) Creates alternate between namespaces "bench-a" and "bench-b"; bench-a ends up with
// creates/2 Services, which (b) lists.
WriteFigures measure_writes(HttpConn& c, const Settings& s) {
  WriteFigures f;
  const auto deadline = Clock::now() + kPhaseDeadline;
  std::vector<double> create_ms, patch_ms, delete_ms;
  std::string error;
  auto ns_of = [](int i) { return std::string(i % 2 == 0 ? "bench-a" : "bench-b"); };
  for (int i = 0; i < s.creates && Clock::now() < deadline; ++i) {
    const std::string body = service_body(svc_name("svc", i));
    auto t0 = Clock::now();
    auto r = c.request("POST", "/api/v1/namespaces/" + ns_of(i) + "/services?fieldManager=kubectl-create", body, &error);
    auto t1 = Clock::now();
    if (!expect(r, 201, "create " + svc_name("svc", i), error)) return f.complete = false, f;
    create_ms.push_back(ms_since(t0, t1));
  }
  for (int i = 0; i < s.creates && Clock::now() < deadline; ++i) {
    const std::string patch =
        json{{"metadata", {{"labels", {{"rev", std::to_string(i)}}}}}, {"spec", {{"sessionAffinity", "None"}}}}.dump();
    auto t0 = Clock::now();
    auto r = c.request("PATCH",
                       "/api/v1/namespaces/" + ns_of(i) + "/services/" + svc_name("svc", i) +
                           "?fieldManager=kubectl-client-side-apply&fieldValidation=Strict",
                       patch, &error, "application/json", "application/strategic-merge-patch+json");
    auto t1 = Clock::now();
    if (!expect(r, 200, "patch " + svc_name("svc", i), error)) return f.complete = false, f;
    patch_ms.push_back(ms_since(t0, t1));
  }
  // Deletes from bench-b only (bench-a keeps its Services for the list phase).
  for (int i = 1; i < s.creates && Clock::now() < deadline; i += 2) {
    auto t0 = Clock::now();
    auto r = c.request("DELETE", "/api/v1/namespaces/bench-b/services/" + svc_name("svc", i),
                       R"({"propagationPolicy":"Background"})", &error);
    auto t1 = Clock::now();
    if (!expect(r, 200, "delete " + svc_name("svc", i), error)) return f.complete = false, f;
    delete_ms.push_back(ms_since(t0, t1));
  }
  f.complete = static_cast<int>(create_ms.size()) == s.creates && static_cast<int>(patch_ms.size()) == s.creates;
  f.create = stats_of(create_ms);
  f.patch = stats_of(patch_ms);
  f.remove = stats_of(delete_ms);
  return f;
}

struct ListFigures {
  Stats json_list, table_list;
  size_t items = 0, json_bytes = 0, table_bytes = 0;
};

ListFigures measure_lists(HttpConn& c, const Settings& s, const std::string& ns) {
  ListFigures f;
  const auto deadline = Clock::now() + kPhaseDeadline;
  std::vector<double> json_ms, table_ms;
  std::string error;
  for (int i = 0; i < s.lists && Clock::now() < deadline; ++i) {
    auto t0 = Clock::now();
    auto r = c.request("GET", "/api/v1/namespaces/" + ns + "/services?limit=500", "", &error);
    auto t1 = Clock::now();
    if (!expect(r, 200, "list (JSON)", error)) return f;
    json_ms.push_back(ms_since(t0, t1));
    if (i == 0) {
      f.json_bytes = r->body.size();
      f.items = json::parse(r->body).value("items", json::array()).size();
    }
    t0 = Clock::now();
    r = c.request("GET", "/api/v1/namespaces/" + ns + "/services?limit=500", "", &error, kTableAccept);
    t1 = Clock::now();
    if (!expect(r, 200, "list (Table)", error)) return f;
    table_ms.push_back(ms_since(t0, t1));
    if (i == 0) {
      f.table_bytes = r->body.size();
      json t = json::parse(r->body);
      if (t.value("kind", "") != "Table" || t.value("rows", json::array()).size() != f.items)
        std::cerr << "list (Table): not a Table of " << f.items << " rows\n";
    }
  }
  f.json_list = stats_of(json_ms);
  f.table_list = stats_of(table_ms);
  return f;
}

struct WatchFigures {
  Stats delivery;   // every (event, watcher) pair
  Stats last;       // per event, until the last watcher had it
  double total_ms = 0;  // first write sent -> last delivery
  size_t delivered = 0, expected = 0;
  int watchers = 0;
};

// Extracts "w-NNNNN" indexes of events from a watcher's stream as it arrives.
class EventScanner {
 public:
  // Appends raw bytes; calls on_event(index) for each complete event line.
  void feed(const std::string& bytes, const std::function<void(int)>& on_event) {
    pending_ += bytes;
    size_t start = 0;
    for (;;) {
      size_t nl = pending_.find('\n', start);
      if (nl == std::string::npos) break;
      std::string_view line(pending_.data() + start, nl - start);
      start = nl + 1;
      if (line.empty() || line[0] != '{') continue;  // chunk framing
      size_t at = line.find("\"name\":\"w-");
      if (at == std::string_view::npos) continue;
      on_event(std::atoi(std::string(line.substr(at + 10, 5)).c_str()));
    }
    pending_.erase(0, start);
  }

 private:
  std::string pending_;
};

// `events` creates in namespace `ns`, each sent when the previous one was answered and,
// with a pace, no sooner than `pace` after the previous one was sent.
WatchFigures measure_watches(uint16_t port, HttpConn& writer, ApiServer& server, const Settings& s,
                             const std::string& ns, int events, std::chrono::milliseconds pace) {
  WatchFigures f;
  std::string error;
  if (!create_namespace(writer, ns)) return f;
  std::vector<std::unique_ptr<HttpConn>> conns;
  const size_t base_watches = server.open_watches();
  for (int w = 0; w < s.watchers; ++w) {
    auto c = std::make_unique<HttpConn>(port);
    if (!c->connect_now(&error) ||
        !c->send_request("GET", "/api/v1/namespaces/" + ns + "/services?watch=true&resourceVersion=0",
                         "application/json", "", "", &error)) {
      std::cerr << "watch " << w << ": " << error << "\n";
      return f;
    }
    int status = 0;
    std::string headers;
    if (!c->read_head(&status, &headers, &error) || status != 200) {
      std::cerr << "watch " << w << ": " << (status ? "HTTP " + std::to_string(status) : error) << "\n";
      return f;
    }
    conns.push_back(std::move(c));
  }
  // Every watch registered with the hub before the first write.
  for (int i = 0; i < 500 && server.open_watches() < base_watches + conns.size(); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  f.watchers = static_cast<int>(conns.size());

  std::vector<Clock::time_point> sent(events);
  std::vector<std::atomic<bool>> sent_ok(events);
  std::vector<std::vector<Clock::time_point>> got(conns.size(), std::vector<Clock::time_point>(events));
  std::vector<std::vector<bool>> seen(conns.size(), std::vector<bool>(events, false));
  std::atomic<size_t> delivered{0};
  const size_t expected = static_cast<size_t>(events) * conns.size();
  std::atomic<bool> stop_reader{false};

  std::thread reader([&] {
    std::vector<EventScanner> scanners(conns.size());
    for (size_t i = 0; i < conns.size(); ++i) {
      std::string early = conns[i]->take_buffer();
      if (!early.empty()) scanners[i].feed(early, [](int) {});
    }
    std::vector<pollfd> fds(conns.size());
    for (size_t i = 0; i < conns.size(); ++i) fds[i] = {conns[i]->fd(), POLLIN, 0};
    const auto deadline = Clock::now() + kPhaseDeadline;
    while (!stop_reader && delivered < expected && Clock::now() < deadline) {
      int r = poll(fds.data(), fds.size(), 100);
      if (r <= 0) continue;
      for (size_t i = 0; i < fds.size(); ++i) {
        if (!(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
        std::string bytes;
        ssize_t n = conns[i]->read_some(&bytes);
        const auto now = Clock::now();
        if (n <= 0) {
          if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK)) {
            std::cerr << "watcher " << i << ": connection ended\n";
            fds[i].fd = -1;
          }
          continue;
        }
        scanners[i].feed(bytes, [&](int idx) {
          if (idx < 0 || idx >= events || seen[i][idx]) return;
          seen[i][idx] = true;
          got[i][idx] = now;
          ++delivered;
        });
      }
    }
  });

  const auto start = Clock::now();
  for (int e = 0; e < events && Clock::now() < start + kPhaseDeadline; ++e) {
    const std::string body = service_body(svc_name("w", e));
    if (pace.count() > 0 && e > 0) std::this_thread::sleep_until(sent[e - 1] + pace);
    sent[e] = Clock::now();
    auto r = writer.request("POST", "/api/v1/namespaces/" + ns + "/services", body, &error);
    if (!expect(r, 201, "create " + svc_name("w", e), error)) break;
    sent_ok[e] = true;
  }
  reader.join();
  stop_reader = true;

  std::vector<double> per_delivery, per_event;
  Clock::time_point last_receipt = start;
  for (int e = 0; e < events; ++e) {
    if (!sent_ok[e]) continue;
    double worst = 0;
    bool all = true;
    for (size_t w = 0; w < conns.size(); ++w) {
      if (!seen[w][e]) {
        all = false;
        continue;
      }
      double ms = ms_since(sent[e], got[w][e]);
      per_delivery.push_back(ms);
      worst = std::max(worst, ms);
      last_receipt = std::max(last_receipt, got[w][e]);
    }
    if (all) per_event.push_back(worst);
  }
  f.delivery = stats_of(per_delivery);
  f.last = stats_of(per_event);
  f.total_ms = ms_since(start, last_receipt);
  f.delivered = delivered;
  f.expected = expected;
  return f;
}

// One store's server, created and torn down per suite run.
struct Backend {
  std::string label;
  std::filesystem::path dir;
  std::unique_ptr<csim::core::Bus> bus;
  std::unique_ptr<csim::kube::SqliteStorePersistence> persistence;
  std::unique_ptr<csim::kube::MemoryObjectStore> store;
  std::unique_ptr<csim::sim::ControlPlane> control_plane;
  csim::kube::ObjectStore* objects = nullptr;

  ~Backend() {
    if (bus) bus->shutdown();
    control_plane.reset();
    store.reset();
    persistence.reset();
    bus.reset();
    std::error_code ec;
    if (!dir.empty()) std::filesystem::remove_all(dir, ec);
  }
};

std::unique_ptr<Backend> make_backend(const std::string& kind, std::string* error) {
  auto b = std::make_unique<Backend>();
  auto& clock = csim::core::SystemClock::instance();
  b->bus = std::make_unique<csim::core::Bus>(clock, csim::core::Bus::Mode::kThreaded);  // as sim::Cluster
  if (kind != "memory") {
    char tmpl[] = "/tmp/csim-api-bench-XXXXXX";
    if (mkdtemp(tmpl) == nullptr) {
      *error = std::string("mkdtemp: ") + std::strerror(errno);
      return nullptr;
    }
    b->dir = tmpl;
  }
  if (kind == "memory") {
    b->label = "in-memory store (no persistence)";
    b->store = std::make_unique<csim::kube::MemoryObjectStore>(*b->bus, clock);
    b->objects = b->store.get();
  } else if (kind == "sqlite") {
    b->label = "SQLite-backed store (" + (b->dir / "kube.db").string() + ", as `csim up`)";
    auto p = csim::kube::SqliteStorePersistence::open((b->dir / "kube.db").string());
    if (!p.is_ok()) {
      *error = p.status().to_string();
      return nullptr;
    }
    b->persistence = std::move(*p);
    csim::kube::MemoryObjectStore::Options o;
    o.persistence = b->persistence.get();
    b->store = std::make_unique<csim::kube::MemoryObjectStore>(*b->bus, clock, o);
    b->objects = b->store.get();
  } else if (kind == "control-plane") {
    b->label = "control plane (SQLite store + kube-manager, svc-monitor, ... subscribed; no agents)";
    csim::sim::ControlPlaneOptions o;
    o.config_db_path = (b->dir / "config.db").string();
    o.kube_db_path = (b->dir / "kube.db").string();
    o.state_dir = b->dir.string();
    auto cp = csim::sim::ControlPlane::start(*b->bus, clock, o);
    if (!cp.is_ok()) {
      *error = cp.status().to_string();
      return nullptr;
    }
    b->control_plane = std::move(*cp);
    b->objects = &b->control_plane->store();
  } else {
    *error = "unknown store \"" + kind + "\" (sqlite, memory, control-plane)";
    return nullptr;
  }
  return b;
}

struct SuiteResult {
  std::string store;
  WriteFigures writes;
  bool ok = false;
};

SuiteResult run_suite(const std::string& kind, const Settings& s) {
  SuiteResult result;
  result.store = kind;
  std::string error;
  auto backend = make_backend(kind, &error);
  if (!backend) {
    std::cerr << "store " << kind << ": " << error << "\n";
    return result;
  }
  ApiServer server(*backend->objects, *backend->bus, {.listen_address = "127.0.0.1", .port = 0});
  auto port = server.start();
  if (!port.is_ok()) {
    std::cerr << "API server: " << port.status().to_string() << "\n";
    return result;
  }
  std::cout << "\n== " << backend->label << "\n   server " << server.url() << ", 2 io threads, keep-alive client\n";
  HttpConn c(*port);
  if (!c.connect_now(&error)) {
    std::cerr << error << "\n";
    return result;
  }
  for (const char* ns : {"bench-a", "bench-b"})
    if (!create_namespace(c, ns)) return result;

  result.writes = measure_writes(c, s);
  std::cout << "(a) single-object writes (Service; request sent -> response read)\n";
  print_row("create  POST", result.writes.create);
  print_row("patch   PATCH strategic-merge (apply)", result.writes.patch);
  print_row("delete  DELETE", result.writes.remove);
  if (!result.writes.complete) {
    std::cout << "   (incomplete: see the errors above)\n";
    return result;
  }

  ListFigures lists = measure_lists(c, s, "bench-a");
  std::cout << "(b) list of " << lists.items << " Services (" << lists.json_bytes / 1024 << " KiB JSON, "
            << lists.table_bytes / 1024 << " KiB Table)\n";
  print_row("list  JSON", lists.json_list, false);
  print_row("list  Table (kubectl get)", lists.table_list, false);

  // The write phase's bus records are not what (c) measures; a daemon clears them too.
  backend->bus->run_until_idle(std::chrono::seconds(60));
  WatchFigures w = measure_watches(*port, c, server, s, "bench-w", s.events, std::chrono::milliseconds(0));
  std::cout << "(c) watch: " << w.watchers << " watchers (JSON, as informers), " << s.events
            << " creates back to back; " << w.delivered << "/" << w.expected << " deliveries\n";
  print_row("per delivery (write sent -> watcher read)", w.delivery);
  print_row("per event (until the last watcher had it)", w.last);
  std::cout << "  total: " << fmt(w.total_ms) << " ms from the first write to the last delivery\n";
  const int paced_events = std::max(1, s.events / 4);
  WatchFigures p = measure_watches(*port, c, server, s, "bench-p", paced_events, kPace);
  std::cout << "(c') the same, " << paced_events << " creates paced " << kPace.count() << " ms apart; "
            << p.delivered << "/" << p.expected << " deliveries\n";
  print_row("per delivery (write sent -> watcher read)", p.delivery);
  print_row("per event (until the last watcher had it)", p.last);
  result.ok = w.delivered == w.expected && w.expected > 0 && p.delivered == p.expected;
  server.stop();
  return result;
}

std::string load_average() {
  std::FILE* f = std::fopen("/proc/loadavg", "r");
  if (f == nullptr) return "?";
  char buf[64] = {0};
  std::string out = std::fgets(buf, sizeof buf, f) ? std::string(buf) : "?";
  std::fclose(f);
  return out.substr(0, out.find(' ', out.find(' ') + 1));  // 1 and 5 minutes
}

bool parse_args(int argc, char** argv, Settings& s) {
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&](int lo, int hi, int* out) {
      if (i + 1 >= argc) return false;
      int v = std::atoi(argv[++i]);
      if (v < lo || v > hi) return false;
      *out = v;
      return true;
    };
    if (a == "--creates") {
      if (!value(2, 20000, &s.creates)) return false;
    } else if (a == "--lists") {
      if (!value(1, 1000, &s.lists)) return false;
    } else if (a == "--watchers") {
      if (!value(1, 400, &s.watchers)) return false;
    } else if (a == "--events") {
      if (!value(1, 5000, &s.events)) return false;
    } else if (a == "--stores" && i + 1 < argc) {
      s.stores.clear();
      std::stringstream ss(argv[++i]);
      std::string item;
      while (std::getline(ss, item, ',')) s.stores.push_back(item);
    } else {
      return false;
    }
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  Settings s;
  if (!parse_args(argc, argv, s)) {
    std::cerr << "usage: api_latency [--creates 2..20000] [--lists 1..1000] [--watchers 1..400] "
                 "[--events 1..5000] [--stores sqlite,memory,control-plane]\n";
    return 2;
  }
  std::cout << "csim API latency benchmark: kube/apiserver over real HTTP on 127.0.0.1\n"
            << "   " << s.creates << " creates, " << s.creates << " patches, " << s.creates / 2 << " deletes; "
            << s.lists << " lists of each kind; " << s.watchers << " watchers x " << s.events << " events; "
            << std::thread::hardware_concurrency() << " CPUs, load average " << load_average()
            << " (other work on the machine shows in the tails)\n";
  std::vector<SuiteResult> results;
  for (const auto& kind : s.stores) results.push_back(run_suite(kind, s));

  std::cout << "\nGoal: p99 < " << kGoalMs << " ms for single-object writes (create, patch, delete)\n";
  bool all_ok = true;
  for (const auto& r : results) {
    const double worst = std::max({r.writes.create.p99, r.writes.patch.p99, r.writes.remove.p99});
    const bool met = r.writes.complete && r.writes.create.n > 0 && worst < kGoalMs;
    std::cout << "  " << (met ? "MET    " : "MISSED ") << r.store << ": worst write p99 " << fmt(worst) << " ms\n";
    all_ok = all_ok && met && r.ok;
  }
  return all_ok ? 0 : 1;
}
