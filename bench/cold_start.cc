// Benchmark: cold start of the control plane over a state of ≥ 10,000 config objects
// (issue 4; goal < 2 s).
//
//   build    sim::ControlPlane on files in a temp dir (config.db, kube.db); batches of one
//            Namespace with 50 Services, 100 pods (2 per Service, made Running/Ready with
//            their instance-ip address as a kubelet would) and 10 Ingresses of 5 paths are
//            applied through kube/apply.h until the config DB holds ≥ --objects rows;
//            the vrouter agents' part (Node objects, agent.status up) is played here. Then
//            the control plane is stopped (bus drained and shut down).
//   restart  timed, --restarts times: a fresh bus and ControlPlane::start() over the same
//            files (kube store restored, config DB opened, kube-manager's resync runs
//            inside start()), the agents reconnect (agent.status up), and the bus runs
//            until idle — kube-manager has nothing queued, svc-monitor's startup pass has
//            rendered every service-instance, the control-node has computed every view.
//            Convergence is then checked through the modules' introspection.
//
// Prints the build, each restart split in start() / until idle, what each module
// published during the restart and when it went quiet, and the config writes the restart
// made (a converged restart should make none).
// Run: bazel run -c opt //bench:cold_start [-- --objects N --restarts R --state DIR
//      --arena-max N]
//   --state DIR    keeps the state in DIR (built when DIR has no config.db), for profiling
//   --arena-max N  mallopt(M_ARENA_MAX, N) first (glibc's per-thread arenas and the RSS)
#include <malloc.h>
#include <stdlib.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "bench/kube_workload.h"
#include "core/bus.h"
#include "core/clock.h"
#include "core/malloc_tuning.h"
#include "kube/object_store.h"
#include "sim/control_plane.h"

namespace {

using namespace csim;
using nlohmann::json;
using SteadyClock = std::chrono::steady_clock;

constexpr auto kIdleTimeout = std::chrono::seconds(600);
constexpr int kServicesPerBatch = 50;
constexpr int kPodsPerService = 2;
constexpr int kIngressesPerBatch = 10;
constexpr int kPathsPerIngress = 5;
constexpr int kMaxBatches = 200;

double ms_since(SteadyClock::time_point t0) {
  return std::chrono::duration<double, std::milli>(SteadyClock::now() - t0).count();
}

[[noreturn]] void die(const std::string& what) {
  std::fprintf(stderr, "cold_start: %s\n", what.c_str());
  std::exit(1);
}

void check(const core::Status& s, const std::string& what) {
  if (!s.is_ok()) die(what + ": " + s.to_string());
}

sim::ControlPlaneOptions options_for(const std::string& dir) {
  sim::ControlPlaneOptions o;
  o.config_db_path = dir + "/config.db";
  o.kube_db_path = dir + "/kube.db";
  o.state_dir = dir;
  return o;
}

// One batch: namespace bench-<b> with its Services, pods and Ingresses.
std::vector<json> batch_objects(int b) {
  const std::string ns = "bench-" + std::to_string(b);
  std::vector<json> out = {bench::namespace_object(ns)};
  for (int s = 0; s < kServicesPerBatch; ++s) {
    const std::string svc = "svc-" + std::to_string(s);
    out.push_back(bench::service_object(ns, svc, svc));
    for (int p = 0; p < kPodsPerService; ++p)
      out.push_back(bench::pod_object(ns, svc + "-pod-" + std::to_string(p), svc));
  }
  for (int i = 0; i < kIngressesPerBatch; ++i) {
    std::vector<std::pair<std::string, std::string>> paths;
    for (int p = 0; p < kPathsPerIngress; ++p)
      paths.emplace_back("/p" + std::to_string(p),
                         "svc-" + std::to_string((i * kPathsPerIngress + p) % kServicesPerBatch));
    out.push_back(bench::ingress_object(ns, "ing-" + std::to_string(i),
                                        "ing-" + std::to_string(i) + "." + ns + ".example.com",
                                        paths));
  }
  return out;
}

void build(const std::string& dir, int64_t want) {
  const auto t0 = SteadyClock::now();
  core::SystemClock& clock = core::SystemClock::instance();
  core::Bus bus(clock, core::Bus::Mode::kThreaded);
  const auto options = options_for(dir);
  auto cp = sim::ControlPlane::start(bus, clock, options);
  if (!cp.is_ok()) die("start: " + cp.status().to_string());
  check(bench::agents_up(bus, (*cp)->store(), options.nodes), "agents up");
  if (!bus.run_until_idle(kIdleTimeout)) die("build: bus not idle after agents up");
  int64_t objects = 0;
  for (int b = 0; b < kMaxBatches && objects < want; ++b) {
    const auto tb = SteadyClock::now();
    check(bench::apply((*cp)->store(), batch_objects(b)), "apply batch " + std::to_string(b));
    if (!bus.run_until_idle(kIdleTimeout)) die("build: bus not idle after batch apply");
    auto ready = bench::make_pods_ready((*cp)->store(), (*cp)->config());
    if (!ready.is_ok()) die("pods ready: " + ready.status().to_string());
    if (!bus.run_until_idle(kIdleTimeout)) die("build: bus not idle after pods ready");
    auto n = bench::count_config_objects(options.config_db_path);
    if (!n.is_ok()) die(n.status().to_string());
    objects = *n;
    bus.clear_records();
    std::printf("  build batch %2d: %5.0f ms, %d pods made ready, config DB %lld objects\n", b,
                ms_since(tb), *ready, static_cast<long long>(objects));
    std::fflush(stdout);
  }
  const auto summary = bench::summarize(**cp, options.nodes);
  std::printf("built in %.1f s: %s\n", ms_since(t0) / 1000.0, summary.to_string().c_str());
  if (!summary.converged()) die("the built state did not converge");
  bus.shutdown();
  cp->reset();
}

// What one module did during a restart (from a bus observer).
struct ModuleActivity {
  int publishes = 0;
  int work = 0;
  double last_ms = 0;  // since t0, of its last publish or work record
};

void restart(const std::string& dir, int round) {
  core::SystemClock& clock = core::SystemClock::instance();
  core::Bus bus(clock, core::Bus::Mode::kThreaded);
  const auto options = options_for(dir);

  std::mutex mu;
  std::map<std::string, ModuleActivity> activity;
  std::map<std::string, int> writes;  // config.changed.<type> -> count
  auto t0 = SteadyClock::now();
  bus.add_observer([&](const core::SpanRecord& s) {
    const double at = ms_since(t0);
    std::lock_guard lock(mu);
    ModuleActivity& a = activity[s.module];
    (s.kind == "publish" ? a.publishes : a.work)++;
    a.last_ms = at;
    if (s.kind == "publish" && s.topic.rfind("config.changed.", 0) == 0)
      ++writes[s.topic.substr(15)];
  });

  t0 = SteadyClock::now();
  auto cp = sim::ControlPlane::start(bus, clock, options);
  if (!cp.is_ok()) die("restart: " + cp.status().to_string());
  const double started_ms = ms_since(t0);
  check(bench::agents_up(bus, (*cp)->store(), options.nodes), "agents up");
  if (!bus.run_until_idle(kIdleTimeout)) die("restart: bus not idle");
  const double idle_ms = ms_since(t0);

  const auto summary = bench::summarize(**cp, options.nodes);
  auto objects = bench::count_config_objects(options.config_db_path);
  if (!objects.is_ok()) die(objects.status().to_string());
  std::printf("restart %d over %lld config objects, %zu kube objects:\n", round,
              static_cast<long long>(*objects),
              (*cp)->store().list("Pod").size() + (*cp)->store().list("Service").size() +
                  (*cp)->store().list("Endpoints").size() + (*cp)->store().list("Ingress").size() +
                  (*cp)->store().list("Namespace").size());
  std::printf(
      "  ControlPlane::start() (restore kube store, open config DB, provision, "
      "kube-manager resync): %8.1f ms\n",
      started_ms);
  std::printf("  until converged (svc-monitor pass, control-node views, agents up):     %8.1f ms\n",
              idle_ms - started_ms);
  std::printf("  total cold start: %.1f ms  (goal < 2000 ms: %s)\n", idle_ms,
              idle_ms < 2000 ? "met" : "NOT met");
  {
    std::lock_guard lock(mu);
    for (const auto& [module, a] : activity)
      std::printf("    %-22s %6d publishes %6d work records, last at %8.1f ms\n", module.c_str(),
                  a.publishes, a.work, a.last_ms);
    int total = 0;
    std::string detail;
    for (const auto& [type, n] : writes) {
      total += n;
      detail += " " + type + "=" + std::to_string(n);
    }
    std::printf("  config writes during the restart: %d%s\n", total, detail.c_str());
  }
  std::printf("  %s\n  converged: %s; peak RSS %.0f MiB\n", summary.to_string().c_str(),
              summary.converged() ? "yes" : "NO", bench::peak_rss_mib());
  std::fflush(stdout);
  bus.shutdown();
  cp->reset();
}

}  // namespace

int main(int argc, char** argv) {
  int64_t want = 10000;
  int restarts = 2;
  std::string state;
  int arena_max = 0;  // glibc's default
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--objects") == 0 && i + 1 < argc) {
      want = std::atoll(argv[++i]);
    } else if (std::strcmp(argv[i], "--restarts") == 0 && i + 1 < argc) {
      restarts = std::atoi(argv[++i]);
    } else if (std::strcmp(argv[i], "--state") == 0 && i + 1 < argc) {
      state = argv[++i];
    } else if (std::strcmp(argv[i], "--arena-max") == 0 && i + 1 < argc) {
      arena_max = std::atoi(argv[++i]);
    } else {
      die(std::string("unknown argument ") + argv[i] +
          " (usage: [--objects N] [--restarts R] [--state DIR] [--arena-max N])");
    }
  }
  if (want < 1 || want > 200000) die("--objects must be 1..200000");
  if (restarts < 1 || restarts > 20) die("--restarts must be 1..20");

  // Before any thread starts, as the csim binary (core/malloc_tuning.h): may re-execute
  // this process once, with the per-thread cache tunable.
  core::tune_malloc(argv, arena_max);

  const bool keep = !state.empty();
  if (state.empty()) {
    char tmpl[] = "/tmp/csim-bench-cold-XXXXXX";
    if (!mkdtemp(tmpl)) die(std::string("mkdtemp: ") + std::strerror(errno));
    state = tmpl;
  } else {
    std::filesystem::create_directories(state);
  }
  std::printf("cold start: state in %s\n", state.c_str());
  if (!std::filesystem::exists(state + "/config.db")) build(state, want);
  for (int r = 0; r < restarts; ++r) restart(state, r);
  if (!keep) {
    std::error_code ec;
    std::filesystem::remove_all(state, ec);
  }
  return 0;
}
