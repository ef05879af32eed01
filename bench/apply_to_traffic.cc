// Benchmark: apply → first 200 through haproxy, csim against its floor.
//
//   csim   apply testdata/simple-fanout.yaml to a running simulated cluster, then send
//          GET /qa.html to the Ingress's external IP from the external client until the
//          first 200 (every module, pods, Services, both haproxy instances, NAT, routes)
//   floor  the least the same result can cost on this machine: a client namespace, a
//          haproxy namespace and one namespace per backend server, joined by veths, the
//          echo server in each backend namespace, and haproxy started with the same
//          runtime config csim used; then the same request until the first 200
//
// Prints each run, the p50 of both and their ratio (goal: ratio ≤ 1.25, p50 < 100 ms).
// Bounded: --runs (default 7, at most 50) and a 30 s deadline per run.
//
// Measured (-c opt, 2-core VM): csim p50 188 ms (116-290), floor 59 ms; then, with the
// kubelet waiting for echo servers beside its strand (a pod no longer waits for the pods
// started before it), 142-162 ms against 62-67 ms: not met. Polling every ms shows where
// csim's time goes: the Ingress's haproxy answers from ~65 ms on, with 503 (no server
// yet) until the pods are ready, their Endpoints made pool members and haproxy reloaded
// with them. In `csim demo --trace-json` (-c opt) the longest steps are each agent's
// first haproxy start (65-90 ms, the agent's strand busy meanwhile, so its kubelet sees
// new pod interfaces late) and the echo servers' exec (50-75 ms while haproxy starts
// beside them on 2 cores).
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <regex>
#include <thread>

#include "agent/echo_server.h"
#include "agent/haproxy_supervisor.h"
#include "agent/http_client.h"
#include "agent/netlink.h"
#include "agent/netns.h"
#include "agent/process.h"
#include "agent/sandbox.h"
#include "kube/object_store.h"
#include "sim/cluster.h"

namespace {

using namespace csim;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr auto kDeadline = std::chrono::seconds(30);

double ms_since(Clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

std::string self_exe() { return std::filesystem::read_symlink("/proc/self/exe"); }

std::string make_dir() {
  char tmpl[] = "/tmp/csim-bench-XXXXXX";
  return mkdtemp(tmpl) ? tmpl : "";
}

// Sends GET path to ip:80 from netns until a 200 or the deadline; returns false on timeout.
bool first_200(const std::string& netns, const std::string& ip, const std::string& path,
               Clock::time_point deadline) {
  while (Clock::now() < deadline) {
    // Each attempt waits at most 20 ms: a SYN dropped while routes come up, or a request
    // haproxy holds for a backend not reachable yet, would otherwise cost a whole timeout
    // (at 100 ms, a third of csim's p50 was such waiting).
    auto r = agent::http_request_in_netns(netns, ip, 80, "GET", ip, path, milliseconds(20));
    if (r.is_ok() && r->status == 200) return true;
    std::this_thread::sleep_for(std::chrono::microseconds(500));
  }
  return false;
}

struct CsimRun {
  double ms = -1;
  std::string faithful_config;  // for the floor
  std::string vip;
};

CsimRun run_csim() {
  CsimRun run;
  const std::string dir = make_dir();
  sim::ClusterOptions options;
  options.state_dir = dir;
  options.csim_binary = self_exe();
  auto cluster = sim::Cluster::start(options);
  if (!cluster.is_ok()) {
    std::fprintf(stderr, "cluster: %s\n", cluster.status().to_string().c_str());
    return run;
  }
  const auto t0 = Clock::now();
  const auto deadline = t0 + kDeadline;
  if (auto applied = (*cluster)->apply_file("testdata/simple-fanout.yaml"); !applied.is_ok()) {
    std::fprintf(stderr, "apply: %s\n", applied.status().to_string().c_str());
    return run;
  }
  std::vector<std::string> addresses;
  while (addresses.empty() && Clock::now() < deadline) {
    addresses = (*cluster)->ingress_addresses("default", "simple-fanout");
    if (addresses.empty()) std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  if (!addresses.empty() && first_200("csim-ext", addresses[0], "/qa.html", deadline)) {
    run.ms = ms_since(t0);
    auto ingress = (*cluster)->store().get("Ingress", "default", "simple-fanout");
    run.faithful_config = (*cluster)->faithful_haproxy_config((*ingress)["metadata"]["uid"]);
    run.vip = addresses.back();
  }
  (*cluster)->stop();
  std::filesystem::remove_all(dir);
  return run;
}

// The floor: the same haproxy config, the fewest namespaces and links that can serve it.
double run_floor(const std::string& faithful, const std::string& vip) {
  const std::string dir = make_dir();
  const auto t0 = Clock::now();
  const auto deadline = t0 + kDeadline;
  // Backend servers of the config: "server <uuid> <ip>:<port> weight 1".
  std::vector<std::pair<std::string, int>> servers;
  std::regex server_re(R"(server \S+ (\d+\.\d+\.\d+\.\d+):(\d+) )");
  for (auto it = std::sregex_iterator(faithful.begin(), faithful.end(), server_re);
       it != std::sregex_iterator(); ++it)
    servers.emplace_back((*it)[1], std::stoi((*it)[2]));

  double result = -1;
  std::vector<std::unique_ptr<agent::ChildProcess>> echo;
  std::vector<std::string> names = {"floor-client", "floor-lb"};
  agent::HaproxySupervisor haproxy({dir, "haproxy"});
  auto client = agent::create_netns("floor-client");
  auto lb = agent::create_netns("floor-lb");
  auto fail = [&](const std::string& what, const core::Status& st) {
    std::fprintf(stderr, "floor: %s: %s\n", what.c_str(), st.message().c_str());
  };
  do {
    if (!client.is_ok()) { fail("netns", client.status()); break; }
    if (!lb.is_ok()) { fail("netns", lb.status()); break; }
    auto& crt = (*client)->rtnl();
    auto& lrt = (*lb)->rtnl();
    const auto vip32 = *agent::parse_ipv4_prefix(vip + "/32");
    const auto client_ip = *agent::parse_ipv4_prefix("198.51.100.2/32");
    core::Status st = crt.add_veth({"eth0", -1, "", true}, {"ext0", (*lb)->fd(), "", true, &lrt});
    if (st.is_ok()) st = crt.add_address("eth0", client_ip);
    if (st.is_ok()) st = crt.replace_route({vip32, std::nullopt, "eth0"});
    if (st.is_ok()) st = lrt.add_address("ext0", vip32);
    if (st.is_ok()) st = lrt.replace_route({client_ip, std::nullopt, "ext0"});
    for (size_t i = 0; st.is_ok() && i < servers.size(); ++i) {
      const std::string name = "floor-pod-" + std::to_string(i);
      names.push_back(name);
      auto pod = agent::create_netns(name);
      if (!pod.is_ok()) { st = pod.status(); break; }
      const auto addr = *agent::parse_ipv4_prefix(servers[i].first + "/32");
      const std::string lb_side = "pod" + std::to_string(i);
      st = lrt.add_veth({lb_side, -1, "", true}, {"eth0", (*pod)->fd(), "", true, &(*pod)->rtnl()});
      if (st.is_ok()) st = (*pod)->rtnl().add_address("eth0", addr);
      if (st.is_ok()) st = (*pod)->rtnl().replace_route({vip32, std::nullopt, "eth0"});
      if (st.is_ok()) st = lrt.replace_route({addr, std::nullopt, lb_side});
      if (!st.is_ok()) break;
      auto p = agent::start_process({{self_exe(), "echo-server", "--pod", name, "--namespace", "default",
                                      "--node", "floor", "--labels", "{}", "--port",
                                      std::to_string(servers[i].second)},
                                     name});
      if (!p.is_ok()) { st = p.status(); break; }
      echo.push_back(std::move(*p));
    }
    if (!st.is_ok()) { fail("links", st); break; }
    auto started = haproxy.apply({"00000000-0000-4000-8000-000000000001", "floor-lb", faithful});
    if (!started.is_ok()) { fail("haproxy", started.status()); break; }
    if (first_200("floor-client", vip, "/qa.html", deadline)) result = ms_since(t0);
  } while (false);
  haproxy.stop_all();
  for (auto& p : echo) p->stop(std::chrono::seconds(1));
  for (const auto& n : names) agent::delete_netns(n);
  std::filesystem::remove_all(dir);
  return result;
}

double p50(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? -1 : v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  if (argc > 1 && std::string(argv[1]) == "echo-server") return agent::run_echo_server(argc - 1, argv + 1);
  int runs = 7;
  for (int i = 1; i + 1 < argc; ++i)
    if (std::string(argv[i]) == "--runs") runs = std::clamp(std::atoi(argv[i + 1]), 1, 50);
  if (auto st = agent::enter_sandbox(argc, argv); !st.is_ok()) {
    std::fprintf(stderr, "bench: %s\n", st.message().c_str());
    return 1;
  }
  // Bazel runs from the workspace root with `bazel run`; find testdata/ either way.
  if (const char* wd = std::getenv("BUILD_WORKSPACE_DIRECTORY")) std::filesystem::current_path(wd);

  std::printf("apply → first 200 through haproxy (simple-fanout, /qa.html), %d runs\n", runs);
  std::vector<double> csim_ms, floor_ms;
  for (int i = 0; i < runs; ++i) {
    CsimRun c = run_csim();
    if (c.ms < 0) {
      std::fprintf(stderr, "run %d: csim did not answer 200 within %lld s\n", i + 1,
                   static_cast<long long>(kDeadline.count()));
      return 1;
    }
    double f = run_floor(c.faithful_config, c.vip);
    if (f < 0) {
      std::fprintf(stderr, "run %d: the floor did not answer 200\n", i + 1);
      return 1;
    }
    csim_ms.push_back(c.ms);
    floor_ms.push_back(f);
    std::printf("  run %d: csim %7.1f ms   floor %7.1f ms\n", i + 1, c.ms, f);
  }
  const double c50 = p50(csim_ms), f50 = p50(floor_ms);
  std::printf("p50: csim %.1f ms, floor %.1f ms, ratio %.2f (goal: ratio <= 1.25, csim p50 < 100 ms)\n",
              c50, f50, c50 / f50);
  return 0;
}
