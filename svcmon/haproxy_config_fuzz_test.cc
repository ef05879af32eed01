// Randomised checks of the renderer under both semantics, against real haproxy 2.6:
//  1. random Ingress-like loadbalancers (safe hosts, paths, pathTypes): both texts pass the
//     agent's allowlist (agent/haproxy_runtime_config.h) and `haproxy -c`, and hold exactly
//     the acl / use_backend lines each pool should give;
//  2. the same, served for real: haproxy listens on 127.0.0.1 (each backend answers with
//     its pool's name instead of proxying), and every probe request is answered by the
//     pool semantics/route.h picks (route_kubernetes / route_contrail), or gets its 404 /
//     503;
//  3. random unsafe strings (whitespace, control characters, '#', quotes, backslash) in
//     hosts, paths, claimed hosts and uuids are refused by both semantics, and what the
//     kubernetes semantics cannot route (a host with ':', a leading '-', a path without a
//     leading '/') by that one.
// Every loop is bounded in count and in time; haproxy runs as a child of the test (argv, no
// shell) and is stopped by its pid. Traffic goes only to 127.0.0.1.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <sstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "agent/haproxy_runtime_config.h"
#include "agent/http_client.h"
#include "agent/process.h"
#include "semantics/match.h"
#include "semantics/route.h"
#include "svcmon/haproxy_config.h"
#include "svcmon/kubernetes_routing.h"

namespace csim::svcmon {
namespace {

using nlohmann::json;
using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

// ---- random Ingresses -----------------------------------------------------------------

class Gen {
 public:
  explicit Gen(uint64_t seed) : rng_(seed) {}
  size_t below(size_t n) { return std::uniform_int_distribution<size_t>(0, n - 1)(rng_); }
  bool chance(int percent) { return below(100) < static_cast<size_t>(percent); }
  template <class T>
  const T& pick(const std::vector<T>& v) { return v[below(v.size())]; }

  std::string host() {
    static const std::vector<std::string> labels = {"a", "b", "foo", "bar", "x-1", "w3", "Up"};
    std::string h = pick(labels);
    for (size_t i = below(3); i > 0; --i) h += "." + pick(labels);
    return chance(30) ? "*." + h : h;
  }
  // Path segments with every regex metacharacter haproxy accepts in a request target.
  std::string segment() {
    static const std::vector<std::string> segs = {
        "a", "b", "foo", "aaa", "bbb", "bb", "x.y", "v1", "a-b", "_", "~u", "*", "a+",
        "$", "(p)", "a=b", "@", "%41", "a:b", "a|b", "^", "[c]", "{n}", "q?", "a,b", "!"};
    return pick(segs);
  }
  std::string path() {
    if (chance(10)) return "/";
    std::string p = chance(5) ? "/" : "";
    for (size_t i = 1 + below(3); i > 0; --i) p += "/" + segment();
    if (chance(25)) p += "/";
    return p;
  }

  // An Ingress (networking.k8s.io/v1) over Services s0..s3.
  json ingress() {
    static const std::vector<std::string> types = {"Exact", "Prefix", "ImplementationSpecific",
                                                   "", "Foo"};
    json rules = json::array();
    for (size_t r = below(5); r > 0; --r) {
      json rule = json::object();
      if (chance(70)) rule["host"] = host();
      if (chance(85)) {
        json paths = json::array();
        for (size_t p = below(4); p > 0; --p) {
          json entry = {{"backend", {{"service", {{"name", "s" + std::to_string(below(4))},
                                                  {"port", {{"number", 80}}}}}}}};
          const std::string type = pick(types);
          if (!type.empty()) entry["pathType"] = type;
          if (type == "Exact" ? !chance(5) : !chance(20)) entry["path"] = path();
          if (type != "Exact" && type != "Prefix" && chance(10)) entry["path"] = "";
          paths.push_back(entry);
        }
        rule["http"] = {{"paths", paths}};
      }
      rules.push_back(rule);
    }
    json spec = {{"rules", rules}};
    if (chance(50))
      spec["defaultBackend"] = {{"service", {{"name", "s9"}, {"port", {{"number", 80}}}}}};
    return {{"apiVersion", "networking.k8s.io/v1"},
            {"kind", "Ingress"},
            {"metadata", {{"name", "fuzz"}, {"namespace", "default"}}},
            {"spec", spec}};
  }

 private:
  std::mt19937_64 rng_;
};

// The pool of spec.rules[r].http.paths[p] is "r<r>p<p>"; the default backend's "default".
std::string pool_name(int rule, int path) {
  return "r" + std::to_string(rule) + "p" + std::to_string(path);
}

// What kube-manager makes of the Ingress (kube/kube_manager/ingress_backends.h), as the
// renderer's input: one HTTP listener + pool + member per (rule, path), annotations
// host / path (as written, "" included) / type / index / pathType, claimed_hosts for the
// rules without a backend, then the default backend.
HaproxyLoadbalancer loadbalancer_of(const json& ingress, RoutingSemantics semantics, int port) {
  HaproxyLoadbalancer lb;
  lb.uuid = "fuzz-lb";
  lb.vip_address = "127.0.0.1";
  lb.semantics = semantics;
  int index = 0;
  std::vector<std::string> claimed;
  auto add = [&](const std::string& name, std::map<std::string, std::string> annotations) {
    annotations["index"] = std::to_string(index++);
    lb.listeners.push_back({"L-" + name, "HTTP", port});
    lb.pools.push_back({name, "L-" + name, "HTTP", "ROUND_ROBIN", true, std::move(annotations)});
    lb.members.push_back({"M-" + name, name, "10.96.0.1", 80});
  };
  const json& rules = ingress["spec"]["rules"];
  for (size_t r = 0; r < rules.size(); ++r) {
    const json& rule = rules[r];
    const std::string host = rule.value("host", "");
    const size_t before = lb.pools.size();
    if (rule.contains("http")) {
      const json& paths = rule["http"]["paths"];
      for (size_t p = 0; p < paths.size(); ++p) {
        std::map<std::string, std::string> a = {{"type", "acl"}};
        if (!host.empty()) a["host"] = host;
        if (paths[p].contains("path")) a["path"] = paths[p]["path"];
        if (paths[p].contains("pathType")) a["pathType"] = paths[p]["pathType"];
        add(pool_name(static_cast<int>(r), static_cast<int>(p)), a);
      }
    }
    if (lb.pools.size() == before && !host.empty() &&
        std::find(claimed.begin(), claimed.end(), host) == claimed.end())
      claimed.push_back(host);
  }
  if (ingress["spec"].contains("defaultBackend")) add("default", {{"type", "default"}});
  std::string joined;
  for (const auto& h : claimed) joined += (joined.empty() ? "" : ",") + h;
  if (!joined.empty())
    for (auto& pool : lb.pools) pool.annotations["claimed_hosts"] = joined;
  return lb;
}

// ---- haproxy ------------------------------------------------------------------------

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "csim-fuzz-XXXXXX").string();
    path_ = mkdtemp(tmpl.data()) ? tmpl : "";
  }
  ~TempDir() {
    if (!path_.empty()) std::filesystem::remove_all(path_);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

void write_file(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
}

// The text the agent would run (allowlist checked), with sockets in `dir`.
core::Result<std::string> runtime_text(const std::string& text, const std::string& dir) {
  auto r = agent::derive_haproxy_runtime_config(text, {dir + "/stats.sock", dir + "/admin.sock"},
                                                20000);
  if (!r) return r.status();
  return r->text;
}

// `haproxy -c -f <file>`: "" when valid, else its output.
std::string haproxy_check(const std::string& file) {
  auto out = agent::run_command({{"haproxy", "-c", "-f", file}}, "", std::chrono::seconds(10));
  if (!out) return out.status().message();
  if (out->status.success()) return "";
  return out->failure_message("haproxy -c") + "\n" + out->out;
}

// Each backend answers with its own name instead of proxying to its servers.
std::string answer_with_backend_names(const std::string& text) {
  std::istringstream in(text);
  std::string line, backend, out;
  while (std::getline(in, line)) {
    if (line.rfind("backend ", 0) == 0) backend = line.substr(8);
    if (line.rfind("\tserver ", 0) == 0)
      line = "\thttp-request return status 200 content-type text/plain string " + backend;
    out += line + "\n";
  }
  return out;
}

// A TCP port on 127.0.0.1 that nothing listens on right now.
int free_port() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  int port = 0;
  if (bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0)
    port = ntohs(a.sin_port);
  close(fd);
  return port;
}

bool accepts(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bool ok = connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  close(fd);
  return ok;
}

// ---- line counts ----------------------------------------------------------------------

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) out.push_back(line);
  return out;
}

size_t count_prefix(const std::vector<std::string>& lines, const std::string& prefix) {
  size_t n = 0;
  for (const auto& l : lines) n += l.rfind(prefix, 0) == 0;
  return n;
}

// The acl and use_backend lines each pool must give, and nothing else.
void expect_pool_lines(const HaproxyLoadbalancer& lb, const std::string& text) {
  const auto lines = lines_of(text);
  const bool k8s = lb.semantics == RoutingSemantics::kKubernetes;
  size_t acls = 0, use_backends = 0, defaults = 0;
  for (const auto& pool : lb.pools) {
    auto has = [&](const char* k) { return pool.annotations.count(k) > 0; };
    auto get = [&](const char* k) { return has(k) ? pool.annotations.at(k) : std::string(); };
    SCOPED_TRACE("pool " + pool.uuid);
    if (get("type") != "acl") {
      ++defaults;
      continue;
    }
    size_t host_acl = has("host"), path_acl = has("path"), use = 1;
    if (k8s) {
      const std::string type = get("pathType"), path = get("path");
      if (type == "Exact")
        path_acl = !path.empty(), use = !path.empty();
      else if (type == "Prefix")
        path_acl = !prefix_path_regex(path.empty() ? "/" : path).empty();
      else
        path_acl = !path.empty();
      if (!use) host_acl = 0;
    }
    EXPECT_EQ(count_prefix(lines, "\tacl " + pool.uuid + "_host "), host_acl);
    EXPECT_EQ(count_prefix(lines, "\tacl " + pool.uuid + "_path "), path_acl);
    const std::string use_line = "\tuse_backend " + pool.uuid;
    size_t exact_use = 0;
    for (const auto& l : lines) exact_use += l == use_line || l.rfind(use_line + " if ", 0) == 0;
    EXPECT_EQ(exact_use, use);
    acls += host_acl + path_acl;
    use_backends += use;
  }
  size_t claims = 0;
  if (k8s) {
    for (const char* acl : {"ingress_hosts", "ingress_wildcards"}) {
      const size_t defined = count_prefix(lines, std::string("\tacl ") + acl + " ");
      EXPECT_LE(defined, 1u) << acl;
      size_t used = 0;
      for (const auto& l : lines)
        used += l.rfind("\tuse_backend ", 0) == 0 && l.ends_with(std::string(" if ") + acl);
      EXPECT_EQ(used, defined) << acl;
      claims += defined;
    }
  }
  EXPECT_EQ(count_prefix(lines, "\tacl "), acls + claims) << text;
  EXPECT_EQ(count_prefix(lines, "\tuse_backend "), use_backends + claims) << text;
  // All on one port: one frontend; the kubernetes semantics also gives an Ingress without
  // any listener its 404 frontend (kNoRulesFrontend).
  const size_t frontends = lb.listeners.empty() && !k8s ? 0 : 1;
  EXPECT_EQ(count_sections(text).frontends, static_cast<int>(frontends));
  EXPECT_EQ(count_prefix(lines, "\tdefault_backend "), k8s ? frontends : defaults) << text;
  EXPECT_EQ(count_prefix(lines, "backend no-match-404"), k8s && defaults == 0 ? frontends : 0u);
}

// ---- probes -----------------------------------------------------------------------------

struct Probe {
  std::string host;
  std::string path;
};

std::vector<Probe> probes(const json& ingress, Gen& gen, size_t max) {
  std::vector<std::string> hosts = {"nomatch.example", "127.0.0.1"};
  std::vector<std::string> paths = {"/", "/nomatch", "//", "/a?x=1"};
  for (const auto& rule : ingress["spec"]["rules"]) {
    std::string h = rule.value("host", "");
    if (semantics::is_wildcard_host(h)) {
      const std::string suffix = h.substr(2);
      hosts.insert(hosts.end(), {"z." + suffix, "Z." + suffix + ":8080", "y.z." + suffix, suffix});
    } else if (!h.empty()) {
      std::string upper = h;
      for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      hosts.insert(hosts.end(), {h, h + ":80", upper});
    }
    if (!rule.contains("http")) continue;
    for (const auto& p : rule["http"]["paths"]) {
      std::string path = p.value("path", "");
      if (path.empty()) path = "/";
      std::string trimmed = path;
      while (trimmed.size() > 1 && trimmed.back() == '/') trimmed.pop_back();
      paths.insert(paths.end(), {path, path + "/x", path + "/", path + "x", trimmed, "/" + path,
                                 path + "?q=/y"});
    }
  }
  std::vector<Probe> out;
  for (const auto& h : hosts)
    for (const auto& p : paths) out.push_back({h, p});
  std::shuffle(out.begin(), out.end(), std::mt19937_64(gen.below(1u << 30)));
  if (out.size() > max) out.resize(max);
  return out;
}

// The pool that must answer, or "" (then `status`).
std::string expected_pool(const semantics::RouteDecision& d) {
  if (!d.backend) return "";
  if (d.field == semantics::kDefaultBackendField) return "default";
  return pool_name(d.rule, d.path);
}

// ---- the tests ------------------------------------------------------------------------

constexpr auto kBudget = std::chrono::seconds(90);

// The seed of a test's random cases: `fixed`, or CSIM_FUZZ_SEED + fixed to explore others
// (bazel test --test_env=CSIM_FUZZ_SEED=<n>); failures print the Ingress either way.
uint64_t seed(uint64_t fixed) {
  const char* env = std::getenv("CSIM_FUZZ_SEED");
  return env ? std::strtoull(env, nullptr, 10) + fixed : fixed;
}

TEST(HaproxyConfigFuzz, EveryRenderingPassesTheAllowlistAndHaproxyCheckWithExactlyItsLines) {
  TempDir dir;
  ASSERT_FALSE(dir.path().empty());
  Gen gen(seed(20240611));
  const auto deadline = Clock::now() + kBudget;
  int checked = 0;
  for (int i = 0; i < 60 && Clock::now() < deadline; ++i) {
    const json ingress = gen.ingress();
    SCOPED_TRACE("ingress " + ingress["spec"].dump());
    for (auto sem : {RoutingSemantics::kContrail, RoutingSemantics::kKubernetes}) {
      SCOPED_TRACE(routing_semantics_name(sem));
      HaproxyLoadbalancer lb = loadbalancer_of(ingress, sem, 80);
      auto text = render_haproxy_config(lb);
      bool empty_path = false;
      for (const auto& p : lb.pools)
        empty_path = empty_path || (p.annotations.count("path") && p.annotations.at("path").empty());
      if (sem == RoutingSemantics::kContrail && empty_path) {
        ASSERT_FALSE(text.is_ok()) << "Contrail cannot render an empty path";
        EXPECT_NE(text.status().message().find("annotations.path \"\""), std::string::npos);
        continue;
      }
      ASSERT_TRUE(text.is_ok()) << text.status().to_string();
      expect_pool_lines(lb, *text);
      auto runtime = runtime_text(*text, dir.path());
      ASSERT_TRUE(runtime.is_ok()) << runtime.status().to_string() << "\n" << *text;
      const std::string file = dir.path() + "/haproxy.cfg";
      write_file(file, *runtime);
      EXPECT_EQ(haproxy_check(file), "") << *runtime;
      ++checked;
    }
  }
  EXPECT_GE(checked, 60) << "the time budget ran out early";
}

TEST(HaproxyConfigFuzz, RealHaproxyAnswersAsTheReferenceRoutersDecide) {
  TempDir dir;
  ASSERT_FALSE(dir.path().empty());
  Gen gen(seed(7));
  const auto deadline = Clock::now() + kBudget;
  int ingresses = 0, requests = 0;
  for (int i = 0; i < 40 && Clock::now() < deadline; ++i) {
    const json ingress = gen.ingress();
    const auto grid = probes(ingress, gen, 80);
    for (auto sem : {RoutingSemantics::kKubernetes, RoutingSemantics::kContrail}) {
      SCOPED_TRACE(std::string(routing_semantics_name(sem)) + " ingress " + ingress["spec"].dump());
      const int port = free_port();
      ASSERT_GT(port, 0);
      HaproxyLoadbalancer lb = loadbalancer_of(ingress, sem, port);
      // Contrail: no pool, no frontend, nothing listens.
      if (lb.listeners.empty() && sem == RoutingSemantics::kContrail) continue;
      auto text = render_haproxy_config(lb);
      if (!text) continue;  // Contrail and an empty path (checked above)
      if (lb.listeners.empty()) {
        // Kubernetes: nothing to route still answers (404) on port 80; here on `port`.
        const std::string bind = "\tbind 127.0.0.1:80 \n";
        ASSERT_NE(text->find("frontend " + std::string(kNoRulesFrontend) + "\n"), std::string::npos)
            << *text;
        ASSERT_NE(text->find(bind), std::string::npos) << *text;
        text->replace(text->find(bind), bind.size(),
                      "\tbind 127.0.0.1:" + std::to_string(port) + " \n");
      }
      auto runtime = runtime_text(*text, dir.path());
      ASSERT_TRUE(runtime.is_ok()) << runtime.status().to_string();
      const std::string file = dir.path() + "/serve.cfg";
      write_file(file, answer_with_backend_names(*runtime));
      auto proc = agent::start_process({{"haproxy", "-db", "-f", file}});
      ASSERT_TRUE(proc.is_ok()) << proc.status().to_string();
      struct StopAtScopeEnd {  // also when an assertion returns early
        agent::ChildProcess& p;
        ~StopAtScopeEnd() { p.stop(std::chrono::seconds(2)); }
      } stop_haproxy{**proc};
      bool up = false;
      for (int w = 0; w < 300 && !up && !(*proc)->poll(); ++w) {
        up = accepts(port);
        if (!up) usleep(10000);
      }
      ASSERT_TRUE(up) << "haproxy did not listen on 127.0.0.1:" << port;
      const semantics::IngressModel model = semantics::ingress_model(ingress);
      for (const Probe& probe : grid) {
        const auto d = sem == RoutingSemantics::kKubernetes
                           ? semantics::route_kubernetes(model, probe.host, probe.path)
                           : semantics::route_contrail(model, probe.host, probe.path);
        agent::HttpRequestSpec spec;
        spec.ip = "127.0.0.1";
        spec.port = port;
        spec.host_header = probe.host;
        spec.path = probe.path;
        spec.timeout = milliseconds(2000);
        auto r = agent::http_request(spec);
        ++requests;
        ASSERT_TRUE(r.is_ok()) << r.status().to_string();
        const std::string want = expected_pool(d);
        if (want.empty()) {
          EXPECT_EQ(r->status, d.status) << "Host " << probe.host << " path " << probe.path
                                         << ": " << d.why << "\n" << *text;
        } else {
          EXPECT_EQ(r->status, 200) << "Host " << probe.host << " path " << probe.path;
          EXPECT_EQ(r->body, want) << "Host " << probe.host << " path " << probe.path << ": "
                                   << d.why << "\n" << *text;
        }
      }
      ++ingresses;
      if (HasFailure()) return;
    }
  }
  EXPECT_GE(ingresses, 40) << "the time budget ran out early";
  EXPECT_GE(requests, 3000);
}

// Inserts `bad` into `s` at a random position.
std::string spoil(Gen& gen, const std::string& s, const std::string& bad) {
  std::string out = s;
  out.insert(gen.below(out.size() + 1), bad);
  return out;
}

TEST(HaproxyConfigFuzz, UnsafeStringsAreRefusedByBothSemantics) {
  Gen gen(seed(99));
  const std::vector<std::string> unsafe = {" ", "\t", "\n", "\r", "\v", "\f", "\x01", "\x7f",
                                           "#", "\"", "'", "\\", "\n\tuse_backend x"};
  for (int i = 0; i < 400; ++i) {
    const json ingress = gen.ingress();
    HaproxyLoadbalancer lb = loadbalancer_of(ingress, RoutingSemantics::kContrail, 80);
    if (lb.pools.empty()) continue;
    HaproxyPool& pool = lb.pools[gen.below(lb.pools.size())];
    const std::string bad = gen.pick(unsafe);
    std::string what;
    switch (gen.below(4)) {
      case 0:
        what = "host";
        pool.annotations["host"] = spoil(gen, pool.annotations.count("host") ? pool.annotations["host"] : "a.com", bad);
        pool.annotations["type"] = "acl";
        break;
      case 1:
        what = "path";
        pool.annotations["path"] = spoil(gen, "/" + gen.segment(), bad);
        pool.annotations["type"] = "acl";
        break;
      case 2:
        what = "uuid";
        pool.uuid = spoil(gen, pool.uuid, bad);
        break;
      default:
        what = "claimed_hosts";
        pool.annotations["claimed_hosts"] = spoil(gen, "a.com,b.com", bad);
        break;
    }
    for (auto sem : {RoutingSemantics::kContrail, RoutingSemantics::kKubernetes}) {
      if (what == "claimed_hosts" && sem == RoutingSemantics::kContrail) continue;  // ignored
      lb.semantics = sem;
      auto r = render_haproxy_config(lb);
      ASSERT_FALSE(r.is_ok()) << what << " with " << json(bad).dump() << " ("
                              << routing_semantics_name(sem) << ")";
      EXPECT_EQ(r.status().code(), core::Code::kInvalid);
      EXPECT_NE(r.status().message().find("is not a single safe token"), std::string::npos)
          << r.status().message();
    }
  }
}

TEST(HaproxyConfigFuzz, WhatKubernetesCannotRouteIsRefusedOnlyThere) {
  Gen gen(seed(5));
  int refused = 0;
  for (int i = 0; i < 200; ++i) {
    const json ingress = gen.ingress();
    HaproxyLoadbalancer lb = loadbalancer_of(ingress, RoutingSemantics::kContrail, 80);
    if (lb.pools.empty()) continue;
    HaproxyPool& pool = lb.pools[gen.below(lb.pools.size())];
    pool.annotations["type"] = "acl";
    pool.annotations.erase("claimed_hosts");
    switch (gen.below(3)) {
      case 0:
        pool.annotations["host"] = gen.host() + ":" + std::to_string(gen.below(65536));
        break;
      case 1:
        pool.annotations["host"] = "-" + gen.host();
        break;
      default:
        pool.annotations["path"] = gen.segment() + "/x";
        break;
    }
    for (auto& p : lb.pools)
      if (p.annotations.count("path") && p.annotations["path"].empty()) p.annotations.erase("path");
    lb.semantics = RoutingSemantics::kContrail;
    EXPECT_TRUE(render_haproxy_config(lb).is_ok()) << "one safe token each: Contrail renders it";
    lb.semantics = RoutingSemantics::kKubernetes;
    auto r = render_haproxy_config(lb);
    ASSERT_FALSE(r.is_ok());
    EXPECT_NE(r.status().message().find("cannot be routed by the kubernetes semantics"),
              std::string::npos)
        << r.status().message();
    ++refused;
  }
  EXPECT_GT(refused, 100);
}

}  // namespace
}  // namespace csim::svcmon
