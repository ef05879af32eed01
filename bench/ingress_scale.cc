// Benchmark: 1,000 Ingresses (issue 5; goals: ≤ 3× raw SQLite for the resulting rows,
// peak RSS ≤ 300 MB). Control plane only: no data plane, no haproxy processes.
//
//   workload  --ingresses Ingresses (default 1,000) with 5 Exact paths each, over
//             --services Services (1,000) and --pods pods (3,000, as objects in the store,
//             made Running/Ready with their instance-ip address as a kubelet would; their
//             Endpoints come from the endpoints controller), spread evenly over
//             --namespaces namespaces (10). The vrouter agents' part (Node objects,
//             agent.status up for node-1 and node-2) is played before the clock starts.
//   measured  from the first apply until (a) svc-monitor has rendered the haproxy config
//             of every Ingress loadbalancer (its "haproxy.render" work record on the bus,
//             first per loadbalancer) and (b) the config DB has converged (the bus is
//             idle after every pod is ready, and introspection says every module is done).
//   floor     the config DB's rows at the end (objects, refs, ip_allocations), written
//             with bare SQLite into a fresh file, one transaction per object.
// Prints the phases, the ratio total / floor, and the peak RSS (getrusage ru_maxrss).
// Run: bazel run -c opt //bench:ingress_scale [-- --ingresses N --services N --pods N
//      --namespaces N --dir PARENT --arena-max N]
//   --arena-max N  mallopt(M_ARENA_MAX, N) first (default 2, what the csim binary sets,
//                  core/malloc_tuning.h; 0 = glibc's default, up to 8 arenas per core): how
//                  much of the RSS is glibc's per-thread arenas rather than live data
// Like csim, it runs with glibc's per-thread cache at 256 chunks per size (it re-executes
// itself once to set the tunable); GLIBC_TUNABLES=glibc.malloc.tcache_count=7 runs it with
// glibc's default, to compare.
// At the end it also prints the heap in use (mallinfo2) and what each module held.
//
// Measured (-c opt, 2 cores shared with other builds: wall times vary by +-30%, raw
// SQLite by up to 2x; 10 namespaces):
//   size (Ingresses)   rendered   converged   raw SQLite   ratio   peak RSS
//   before (glibc default arenas; pods listed per event, full-view pushes unpaced)
//     200               13.9 s      22.3 s      1.84 s      12.1     536 MiB
//     500               75.2 s     299.8 s      5.74 s      52.2    1344 MiB
//     1,000  (older code, issue 5)                           69-100   1.5-3.9 GB
//   after (M_ARENA_MAX 2; incremental scheduler / endpoints, config DB read cache,
//   paced control-node keeping views serialized)
//     200                5.6 s       8.3 s      1.81 s       4.6     145 MiB
//     500               20.6-26 s   31-38 s     4.9-7.3 s    5.2-7.1  298-311 MiB
//     1,000             62-93 s    94-139 s    10.6-12.2 s  8.9-11.4 540-588 MiB
//   (200 with --arena-max 0: converged 7.1 s, ratio 3.9, 192 MiB.)
//   then (uuid-only config lookups, no per-Ingress listing of the namespace's loadbalancers;
//   a quiet machine)
//     500                  -        36.2 s         -         6.2      302 MiB  (under perf)
//     1,000             44.9 s      59.7 s      11.1 s        5.4      564 MiB
//   now (config DB reads on reader connections beside the writer, notifications after the
//   writer's lock; agents sent projected objects and changes instead of whole views; the
//   control-node paced 4x / 2 s; the endpoints controller coalesced; ref appends through
//   an index; an 8 MiB writer page cache. Runs of the same build vary: the floor itself
//   took 220-390 us per object on this 2-core VM over the session)
//     200                5.5 s       7.1 s      2.6 s        2.8       88 MiB
//     500               16.0 s      20.8 s      6.7 s        3.1      165 MiB
//     1,000             31-38 s    35-49 s     11.4-16.6 s  2.7-3.7  273-293 MiB  (10 runs: ratio
//                                                                  <= 3 in 5, RSS <= 286 MiB in 9)
//   (the peak RSS before this row was inflated by the report itself: it built every
//   agent's whole view to count its objects; it now reads the counts from introspection
//   and takes the peak when the run converges)
//   now (WAL checkpoints beside the writer; the control-node keeps the objects it sent
//   shared with its mirror; glibc's per-thread cache at 256 chunks, core/malloc_tuning.h;
//   the heap sampled once a second)
//     200                4.0 s       5.1 s      2.2 s        2.3       85 MiB
//     500               10.1 s      13.5 s      6.3 s        2.1      150 MiB
//     1,000             19.8-21.2 s 26.6-28.5 s 13.1-15.6 s  1.8-2.2  255-268 MiB  (5 runs)
#include <malloc.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "bench/kube_workload.h"
#include "bench/raw_sqlite.h"
#include "controller/config_db.h"
#include "core/bus.h"
#include "core/clock.h"
#include "core/malloc_tuning.h"
#include "kube/object_store.h"
#include "sim/control_plane.h"

namespace {

using namespace csim;
using nlohmann::json;
using SteadyClock = std::chrono::steady_clock;

constexpr int kPathsPerIngress = 5;
constexpr auto kDeadline = std::chrono::hours(3);  // bounds every wait of the run

double ms_since(SteadyClock::time_point t0) {
  return std::chrono::duration<double, std::milli>(SteadyClock::now() - t0).count();
}

[[noreturn]] void die(const std::string& what) {
  std::fprintf(stderr, "ingress_scale: %s\n", what.c_str());
  std::exit(1);
}

struct Workload {
  int ingresses = 1000;
  int services = 1000;
  int pods = 3000;
  int namespaces = 10;
};

// Object i of n spread over the namespaces: namespace k holds indices with i % ns == k.
std::vector<json> objects_of(const Workload& w) {
  std::vector<json> out;
  for (int k = 0; k < w.namespaces; ++k)
    out.push_back(bench::namespace_object("scale-" + std::to_string(k)));
  auto ns_of = [&](int i) { return "scale-" + std::to_string(i % w.namespaces); };
  auto svc_name = [](int i) { return "svc-" + std::to_string(i); };
  for (int s = 0; s < w.services; ++s)
    out.push_back(bench::service_object(ns_of(s), svc_name(s), svc_name(s)));
  for (int p = 0; p < w.pods; ++p) {
    const int s = p % w.services;
    out.push_back(bench::pod_object(
        ns_of(s), svc_name(s) + "-pod-" + std::to_string(p / w.services), svc_name(s)));
  }
  // Ingress i lives in namespace i % ns and routes to Services of that namespace:
  // services s ≡ i (mod ns), taken round-robin.
  const int per_ns = std::max(1, w.services / w.namespaces);
  for (int i = 0; i < w.ingresses; ++i) {
    const int k = i % w.namespaces;
    std::vector<std::pair<std::string, std::string>> paths;
    for (int p = 0; p < kPathsPerIngress; ++p) {
      const int j = ((i / w.namespaces) * kPathsPerIngress + p) % per_ns;
      paths.emplace_back("/p" + std::to_string(p), svc_name(k + j * w.namespaces));
    }
    out.push_back(bench::ingress_object(ns_of(k), "ing-" + std::to_string(i),
                                        "ing-" + std::to_string(i) + ".example.com", paths));
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  Workload w;
  std::string parent = "/tmp";
  int arena_max = 2;  // as the csim binary (cli/main.cc); 0 = glibc's default
  for (int i = 1; i < argc; ++i) {
    auto next = [&](int* v) {
      if (i + 1 >= argc) die(std::string(argv[i]) + " needs a value");
      *v = std::atoi(argv[++i]);
    };
    if (std::strcmp(argv[i], "--ingresses") == 0)
      next(&w.ingresses);
    else if (std::strcmp(argv[i], "--services") == 0)
      next(&w.services);
    else if (std::strcmp(argv[i], "--pods") == 0)
      next(&w.pods);
    else if (std::strcmp(argv[i], "--namespaces") == 0)
      next(&w.namespaces);
    else if (std::strcmp(argv[i], "--dir") == 0 && i + 1 < argc)
      parent = argv[++i];
    else if (std::strcmp(argv[i], "--arena-max") == 0)
      next(&arena_max);
    else
      die(std::string("unknown argument ") + argv[i] +
          " (usage: [--ingresses N] [--services N] [--pods N] [--namespaces N] [--dir PARENT] "
          "[--arena-max N])");
  }
  if (w.ingresses < 1 || w.ingresses > 20000 || w.services < 1 || w.services > 20000 ||
      w.pods < 0 || w.pods > 60000 || w.namespaces < 1 || w.namespaces > w.services)
    die("sizes out of range (ingresses, services 1..20000; pods 0..60000; namespaces 1..services)");

  // Before any thread starts, as the csim binary (core/malloc_tuning.h): may re-execute
  // this process once, with the per-thread cache tunable.
  if (arena_max < 0) die("--arena-max must be >= 0 (0 = glibc's default)");
  core::tune_malloc(argv, arena_max);

  std::string tmpl = parent + "/csim-bench-ingress-XXXXXX";
  if (!mkdtemp(tmpl.data())) die("mkdtemp in " + parent + ": " + std::strerror(errno));
  const std::string dir = tmpl;

  core::SystemClock& clock = core::SystemClock::instance();
  core::Bus bus(clock, core::Bus::Mode::kThreaded);
  sim::ControlPlaneOptions options;
  options.config_db_path = dir + "/config.db";
  options.state_dir = dir;

  // First render per loadbalancer, from svc-monitor's "haproxy.render" work records.
  std::mutex mu;
  std::map<std::string, double> first_render;  // lb uuid -> ms since t0
  auto t0 = SteadyClock::now();
  // Config DB writes by op and type, from the config.changed.* publishes ("update loadbalancer ...").
  std::map<std::string, size_t> writes;  // "update loadbalancer" -> count
  bus.add_observer([&](const core::SpanRecord& s) {
    if (s.kind == "publish" && s.topic.rfind("config.changed.", 0) == 0) {
      const size_t op_end = s.summary.find(' ');
      const std::string key = s.summary.substr(0, op_end) + " " + s.topic.substr(15);
      std::lock_guard lock(mu);
      ++writes[key];
      return;
    }
    if (s.module != "svc-monitor" || s.topic != "haproxy.render") return;
    const std::string marker = "for lb ";
    const size_t at = s.summary.find(marker);
    if (at == std::string::npos) return;
    const size_t from = at + marker.size();
    const std::string lb = s.summary.substr(from, s.summary.find_first_of(" (", from) - from);
    const double when = ms_since(t0);
    std::lock_guard lock(mu);
    first_render.emplace(lb, when);
  });

  auto cp = sim::ControlPlane::start(bus, clock, options);
  if (!cp.is_ok()) die("start: " + cp.status().to_string());
  if (auto s = bench::agents_up(bus, (*cp)->store(), options.nodes); !s.is_ok()) die(s.to_string());
  if (!bus.run_until_idle(std::chrono::seconds(60))) die("not idle after agents up");
  auto base = bench::count_config_objects(options.config_db_path);
  if (!base.is_ok()) die(base.status().to_string());
  std::vector<json> objects = objects_of(w);
  const size_t kube_objects = objects.size();
  {
    std::lock_guard lock(mu);
    first_render.clear();
    writes.clear();
  }
  std::printf(
      "ingress scale: %d Ingresses x %d paths, %d Services, %d pods in %d namespaces "
      "(%zu kube objects); config DB in %s (%lld objects before); malloc arenas: %s; "
      "GLIBC_TUNABLES=%s\n",
      w.ingresses, kPathsPerIngress, w.services, w.pods, w.namespaces, kube_objects, dir.c_str(),
      static_cast<long long>(*base),
      arena_max > 0 ? (std::to_string(arena_max) +
                       (arena_max == 2 ? " (M_ARENA_MAX, as the csim binary sets)" : " (M_ARENA_MAX)"))
                          .c_str()
                    : "glibc default (--arena-max 0)",
      getenv("GLIBC_TUNABLES") ? getenv("GLIBC_TUNABLES") : "(unset)");
  std::fflush(stdout);

  // Waits for an idle bus, printing progress every 30 s; bounded by the deadline.
  const auto deadline = SteadyClock::now() + kDeadline;
  auto wait_idle = [&](const char* what) {
    while (!bus.run_until_idle(std::chrono::seconds(30))) {
      if (SteadyClock::now() > deadline) die(std::string("deadline passed waiting for ") + what);
      auto n = bench::count_config_objects(options.config_db_path);
      size_t rendered;
      {
        std::lock_guard lock(mu);
        rendered = first_render.size();
      }
      std::printf(
          "    ... %.0f s: %s; config DB %lld objects, %zu loadbalancers rendered, "
          "RSS peak %.0f MiB\n",
          ms_since(t0) / 1000, what, n.is_ok() ? static_cast<long long>(*n) : -1LL, rendered,
          bench::peak_rss_mib());
      std::fflush(stdout);
    }
  };

  // The heap (glibc's counts), sampled while measured: how much of the peak RSS was live
  // data, and how much memory glibc had taken from the system (the rest of the RSS is
  // code, stacks and SQLite's file mappings).
  std::atomic<bool> sampling{true};
  std::atomic<size_t> heap_peak{0}, heap_system_peak{0};
  std::thread heap_sampler([&] {
    while (sampling) {
      const auto info = mallinfo2();
      const size_t in_use = info.uordblks + info.hblkhd;  // small blocks + mmap()ed big ones
      if (in_use > heap_peak) heap_peak = in_use;
      if (info.arena + info.hblkhd > heap_system_peak) heap_system_peak = info.arena + info.hblkhd;
      std::this_thread::sleep_for(std::chrono::milliseconds(1000));
    }
  });

  t0 = SteadyClock::now();
  if (auto s = bench::apply((*cp)->store(), std::move(objects)); !s.is_ok())
    die("apply: " + s.to_string());
  const double applied_ms = ms_since(t0);
  wait_idle("first convergence");
  const double idle1_ms = ms_since(t0);
  int ready_total = 0;
  for (int round = 0; round < 10 && ready_total < w.pods; ++round) {
    auto ready = bench::make_pods_ready((*cp)->store(), (*cp)->config());
    if (!ready.is_ok()) die("pods ready: " + ready.status().to_string());
    ready_total += *ready;
    wait_idle("convergence after pods ready");
    if (*ready == 0) break;
  }
  const double converged_ms = ms_since(t0);
  sampling = false;
  heap_sampler.join();
  const double rss = bench::peak_rss_mib();  // the measured run's peak, before the report

  const auto summary = bench::summarize(**cp, options.nodes);
  // Where the config DB serialised its callers (one mutex around every call).
  std::string config_lock = "not a ConfigDb";
  if (auto* db = dynamic_cast<controller::ConfigDb*>(&(*cp)->config())) {
    const auto stats = db->lock_stats();
    auto seconds = [](core::Nanos d) { return std::chrono::duration<double>(d).count(); };
    char buf[256];
    std::snprintf(buf, sizeof buf,
                  "writes %llu calls, held %.1f s, waited %.1f s; reads %llu calls, held %.1f s, "
                  "waited %.1f s",
                  static_cast<unsigned long long>(stats.writes.calls), seconds(stats.writes.held),
                  seconds(stats.writes.waited), static_cast<unsigned long long>(stats.reads.calls),
                  seconds(stats.reads.held), seconds(stats.reads.waited));
    config_lock = buf;
  }
  double last_render_ms = 0;
  size_t rendered = 0;
  {
    std::lock_guard lock(mu);
    rendered = first_render.size();
    for (const auto& [lb, at] : first_render) last_render_ms = std::max(last_render_ms, at);
  }
  auto final_objects = bench::count_config_objects(options.config_db_path);
  if (!final_objects.is_ok()) die(final_objects.status().to_string());
  const size_t spans = bus.spans().size(), deliveries = bus.deliveries().size();
  // What holds the heap at the end (glibc's count of bytes in use): all of it, then
  // without the bus's records, then without the control plane's modules.
  auto heap_mib = [] { return static_cast<double>(mallinfo2().uordblks) / 1048576.0; };
  const double heap_end = heap_mib();
  bus.shutdown();
  bus.clear_records();
  const double heap_no_records = heap_mib();
  std::string held_by;  // what each module held, largest first
  {
    std::vector<std::pair<double, std::string>> held;
    double before = heap_no_records;
    (*cp)->destroy_modules([&](const std::string& module) {
      const double now = heap_mib();
      held.emplace_back(before - now, module);
      before = now;
    });
    std::sort(held.rbegin(), held.rend());
    for (const auto& [mib, module] : held) {
      if (mib < 1) break;
      char buf[96];
      std::snprintf(buf, sizeof buf, "%s%s %.0f", held_by.empty() ? "" : ", ", module.c_str(), mib);
      held_by += buf;
    }
  }
  cp->reset();
  const double heap_no_modules = heap_mib();

  // The floor: the rows the run left, written with bare SQLite.
  auto rows = bench::read_config_db_rows(options.config_db_path);
  if (!rows.is_ok()) die(rows.status().to_string());
  const size_t made = rows->objects.size() - static_cast<size_t>(*base);
  auto raw_ms = bench::write_rows_raw(*rows, dir + "/raw.db", made, bench::TxnPer::kObject);
  if (!raw_ms.is_ok()) die(raw_ms.status().to_string());

  std::printf("  apply (%zu objects, validation, store writes):   %9.1f ms\n", kube_objects,
              applied_ms);
  std::printf("  every haproxy config rendered (%zu of %d):       %9.1f ms\n", rendered,
              w.ingresses, last_render_ms);
  std::printf("  first idle (before pods are ready):              %9.1f ms\n", idle1_ms);
  std::printf("  converged (%d pods made ready, bus idle):      %9.1f ms\n", ready_total,
              converged_ms);
  std::printf("  config objects made: %zu (%zu rows: objects, refs, ip_allocations)\n", made,
              rows->row_count(made));
  std::printf("  raw SQLite, same rows, 1 txn per object:         %9.1f ms (%.1f us/object)\n",
              *raw_ms, *raw_ms * 1000 / std::max<size_t>(made, 1));
  {
    // What the run wrote beyond one create per object: the updates are the first place
    // to look for fewer writes.
    std::lock_guard lock(mu);
    size_t creates = 0, updates = 0, deletes = 0;
    std::vector<std::pair<size_t, std::string>> top;
    for (const auto& [key, n] : writes) {
      if (key.rfind("create ", 0) == 0) creates += n;
      else if (key.rfind("update ", 0) == 0) updates += n;
      else if (key.rfind("delete ", 0) == 0) deletes += n;
      if (key.rfind("create ", 0) != 0) top.emplace_back(n, key);
    }
    std::sort(top.rbegin(), top.rend());
    std::string most;
    for (size_t i = 0; i < top.size() && i < 5; ++i)
      most += (i ? ", " : "") + top[i].second + " " + std::to_string(top[i].first);
    std::printf("  config DB writes: %zu creates, %zu updates, %zu deletes (most: %s)\n", creates,
                updates, deletes, most.empty() ? "none" : most.c_str());
  }
  const double ratio = converged_ms / *raw_ms;
  std::printf("  ratio converged / raw SQLite: %.1f  (goal <= 3: %s)\n", ratio,
              ratio <= 3 ? "met" : "NOT met");
  std::printf(
      "  peak RSS: %.0f MiB  (goal <= 300 MB = 286 MiB: %s); bus records at the end: "
      "%zu spans, %zu deliveries\n",
      rss, rss * 1048576.0 <= 300e6 ? "met" : "NOT met", spans, deliveries);
  std::printf(
      "  heap peaks (sampled every second while measured): in use %.0f MiB, taken from the "
      "system %.0f MiB\n",
      static_cast<double>(heap_peak.load()) / 1048576.0,
      static_cast<double>(heap_system_peak.load()) / 1048576.0);
  std::printf(
      "  heap in use at the end: %.0f MiB (bus records %.0f MiB, control plane modules %.0f "
      "MiB: %s; the rest %.0f MiB)\n",
      heap_end, heap_end - heap_no_records, heap_no_records - heap_no_modules, held_by.c_str(),
      heap_no_modules);
  std::printf("  config DB lock: %s\n", config_lock.c_str());
  std::printf("  %s\n  converged: %s\n", summary.to_string().c_str(),
              summary.converged() && rendered >= static_cast<size_t>(w.ingresses) ? "yes" : "NO");
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  return 0;
}
