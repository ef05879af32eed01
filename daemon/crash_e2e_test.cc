// kill -9 of the `csim up` daemon at random moments of a `kubectl apply` of 200 small
// Services and a few Ingresses (kIngressEvery: each routes to the Service before it, so
// haproxy instances and floating-ips are in play too), 20 times (bounded: at most kRounds
// rounds and kBudget of time), with the real `csim` binary and the real kubectl. After
// each kill, `csim up` on the same state dir:
//   - every object kubectl reported as created is there (`kubectl get`);
//   - no config object is orphaned: every loadbalancer's annotations name a Service or
//     Ingress that exists, and no two name the same one; every other object annotated
//     with a Kubernetes object names one that exists; every interface belongs to a virtual
//     machine or a loadbalancer; every instance-ip and every floating-ip is on an existing
//     interface (`csim config list TYPE --detail`); every Service and Ingress has its
//     loadbalancer again (kube-manager resynced);
//   - nothing of the dead run is left: its outer process, any process in its sandbox's
//     PID or mount namespace, any csim or haproxy process outside the live sandbox.
// Each round ends by deleting its namespace, so the next kill may also land while
// kube-manager is deleting loadbalancers.
//
// The random seed is printed; CSIM_CRASH_SEED=<n> replays a run.
#include <gtest/gtest.h>
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <regex>
#include <set>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "agent/process.h"
#include "daemon/e2e_util.h"
#include "daemon/state_dir.h"

namespace csim::daemon {
namespace {

namespace fs = std::filesystem;
using e2e::Outcome;
using nlohmann::json;
using std::chrono::milliseconds;
using std::chrono::seconds;
using Clock = std::chrono::steady_clock;

constexpr int kRounds = 20;
constexpr int kServices = 200;
constexpr int kIngressEvery = 50;  // an Ingress after every 50th Service: 4 per round
constexpr auto kBudget = std::chrono::minutes(10);
constexpr auto kResyncLimit = std::chrono::seconds(60);

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// A Namespace and kServices Services in it, with an Ingress after every kIngressEvery-th
// (kubectl applies them in this order).
std::string write_objects(const std::string& dir, const std::string& ns) {
  const std::string path = dir + "/" + ns + ".yaml";
  std::ofstream out(path);
  out << "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: " << ns << "\n";
  for (int i = 0; i < kServices; ++i) {
    char name[16];
    std::snprintf(name, sizeof name, "svc-%03d", i);
    out << "---\napiVersion: v1\nkind: Service\nmetadata:\n  name: " << name << "\n  namespace: " << ns
        << "\nspec:\n  selector:\n    app: " << name << "\n  ports:\n  - port: 80\n    targetPort: 8080\n";
    if ((i + 1) % kIngressEvery == 0) {
      out << "---\napiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: ing-" << name
          << "\n  namespace: " << ns << "\nspec:\n  defaultBackend:\n    service:\n      name: " << name
          << "\n      port:\n        number: 80\n";
    }
  }
  return path;
}

// "service/svc-007 created" -> "service/svc-007" (also "namespace/x created" and
// "ingress.networking.k8s.io/ing-svc-049 created" -> "ingress/ing-svc-049").
std::set<std::string> reported_created(const std::string& output) {
  std::set<std::string> out;
  std::regex line(R"((?:^|\n)(service|namespace|ingress)(?:\.networking\.k8s\.io)?/([a-z0-9-]+) created)");
  for (auto it = std::sregex_iterator(output.begin(), output.end(), line); it != std::sregex_iterator(); ++it)
    out.insert((*it)[1].str() + "/" + (*it)[2].str());
  return out;
}

size_t count_created(const std::string& output) { return reported_created(output).size(); }

// The config API against the apiserver's objects.
struct ConfigCheck {
  // Config objects that belong to nothing: loadbalancers (and anything else annotated with
  // a Kubernetes kind, namespace and name) naming what does not exist or named twice,
  // interfaces no virtual machine and no loadbalancer refers to, instance-ips and
  // floating-ips on no existing interface.
  std::vector<std::string> orphans;
  std::vector<std::string> missing;  // Services and Ingresses without a loadbalancer
};

std::string fq_text(const json& o) {
  std::string s;
  for (const auto& part : o.value("fq_name", json::array())) s += (s.empty() ? "" : ":") + part.get<std::string>();
  return s;
}

std::set<std::string> ref_uuids(const json& o, const std::string& field) {
  std::set<std::string> out;
  for (const auto& r : o.value(field, json::array())) out.insert(r.value("uuid", ""));
  return out;
}

ConfigCheck check_config(const e2e::Session& s) {
  ConfigCheck c;
  Outcome objects = s.kubectl({"get", "services,ingresses,pods", "--all-namespaces", "-o", "json"});
  json list = json::parse(objects.out, nullptr, false);
  if (objects.code != 0 || !list.is_object()) {
    c.orphans.push_back("kubectl get: " + objects.all().substr(0, 300));
    return c;
  }
  std::set<std::string> existing;  // "Kind ns/name"
  for (const auto& item : list.value("items", json::array())) {
    const json meta = item.value("metadata", json::object());
    existing.insert(item.value("kind", "") + " " + meta.value("namespace", "") + "/" + meta.value("name", ""));
  }
  // type -> the objects of the config API (detail).
  std::map<std::string, std::vector<json>> config;
  for (const std::string type :
       {"loadbalancer", "virtual-machine-interface", "instance-ip", "virtual-machine", "floating-ip"}) {
    Outcome o = s.csim({"config", "list", type, "--detail"});
    json l = json::parse(o.out, nullptr, false);
    if (o.code != 0 || !l.is_object() || l.size() != 1) {
      c.orphans.push_back("csim config list " + type + " --detail: " + o.all().substr(0, 300));
      return c;
    }
    for (const auto& entry : l.begin().value()) config[type].push_back(entry.value(type, json::object()));
  }
  std::map<std::string, std::string> lb_of;  // "Kind ns/name" -> lb uuid
  std::set<std::string> interfaces_in_use;   // VMI uuids a loadbalancer or virtual machine refers to
  for (const auto& [type, objs] : config) {
    for (const auto& o : objs) {
      std::map<std::string, std::string> ann;
      for (const auto& kv : o.value("annotations", json::object()).value("key_value_pair", json::array()))
        if (kv.value("value", json()).is_string()) ann[kv.value("key", "")] = kv["value"];
      if (ann.count("kind") && ann.count("name")) {
        const std::string owner = ann["kind"] + " " + ann["namespace"] + "/" + ann["name"];
        if (!existing.count(owner))
          c.orphans.push_back(type + " " + fq_text(o) + " names " + owner + ", which does not exist");
        if (type == "loadbalancer") {
          auto [it, fresh] = lb_of.emplace(owner, o.value("uuid", ""));
          if (!fresh) c.orphans.push_back("loadbalancers " + it->second + " and " + o.value("uuid", "") + " both name " + owner);
        }
      }
      if (type == "loadbalancer") {
        for (const auto& u : ref_uuids(o, "virtual_machine_interface_refs")) interfaces_in_use.insert(u);
      }
    }
  }
  std::set<std::string> interfaces;
  for (const auto& vmi : config["virtual-machine-interface"]) {
    interfaces.insert(vmi.value("uuid", ""));
    if (!ref_uuids(vmi, "virtual_machine_refs").empty()) interfaces_in_use.insert(vmi.value("uuid", ""));
  }
  for (const auto& vmi : config["virtual-machine-interface"]) {
    if (!interfaces_in_use.count(vmi.value("uuid", "")))
      c.orphans.push_back("virtual-machine-interface " + fq_text(vmi) +
                          " belongs to nothing (no virtual machine, no loadbalancer refers to it)");
  }
  for (const auto& iip : config["instance-ip"]) {
    bool on_interface = false;
    for (const auto& u : ref_uuids(iip, "virtual_machine_interface_refs")) on_interface |= interfaces.count(u) > 0;
    if (!on_interface)
      c.orphans.push_back("instance-ip " + fq_text(iip) + " (" + iip.value("instance_ip_address", "") +
                          ") is on no existing interface");
  }
  for (const auto& fip : config["floating-ip"]) {
    bool on_interface = false;
    for (const auto& u : ref_uuids(fip, "virtual_machine_interface_refs")) on_interface |= interfaces.count(u) > 0;
    // svc-monitor's floating-ips of a native loadbalancer hang off its instance-ip.
    if (!on_interface && fip.value("parent_type", "") != "instance-ip")
      c.orphans.push_back("floating-ip " + fq_text(fip) + " (" + fip.value("floating_ip_address", "") +
                          ") is on no existing interface");
  }
  for (const auto& o : existing) {
    if ((o.rfind("Service ", 0) == 0 || o.rfind("Ingress ", 0) == 0) && !lb_of.count(o))
      c.missing.push_back(o + " has no loadbalancer");
  }
  return c;
}

std::string join(const std::vector<std::string>& v, size_t max = 12) {
  std::string s;
  for (size_t i = 0; i < v.size() && i < max; ++i) s += "\n  " + v[i];
  if (v.size() > max) s += "\n  ... (" + std::to_string(v.size()) + " in all)";
  return s;
}

TEST(Crash, KillNineDuringApplyLosesNothing) {
  const std::string csim = fs::absolute("cli/csim").string();
  StateDir state{e2e::tmp_root() + "/crash-state"};
  fs::remove_all(state.dir);
  const std::string files = e2e::tmp_root() + "/crash-files";
  fs::create_directories(files);
  e2e::Session s(csim, state);
  struct Down {
    e2e::Session& s;
    ~Down() { s.shut_down(); }
  } down{s};

  uint64_t seed = std::random_device{}();
  if (const char* env = std::getenv("CSIM_CRASH_SEED")) seed = std::strtoull(env, nullptr, 10);
  std::cout << "CSIM_CRASH_SEED=" << seed << "\n";
  std::mt19937_64 rng(seed);

  Outcome up = s.up();
  ASSERT_EQ(up.code, 0) << up.all();
  const auto started = Clock::now();
  int rounds = 0;
  for (int round = 0; round < kRounds && Clock::now() - started < kBudget; ++round, ++rounds) {
    SCOPED_TRACE("round " + std::to_string(round) + " (CSIM_CRASH_SEED=" + std::to_string(seed) + ")");
    const std::string ns = "crash-" + std::to_string(round);
    const std::string file = write_objects(files, ns);
    const std::string out_path = files + "/" + ns + ".out";
    int out_fd = open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    ASSERT_GE(out_fd, 0);
    agent::Command apply;
    apply.argv = {"kubectl", "--kubeconfig", state.kubeconfig(), "--cache-dir", state.dir + "-kubectl-cache",
                  "--request-timeout=20s", "apply", "-f", file};
    apply.extra_env = {"HOME=" + e2e::tmp_root()};
    auto kubectl = agent::start_process(apply, {-1, out_fd, out_fd});
    close(out_fd);
    ASSERT_TRUE(kubectl.is_ok()) << kubectl.status().message();

    // The moment: after a random number of objects kubectl reported (0 = at once, while
    // it is still reading discovery), plus up to 3 ms.
    const size_t after = std::uniform_int_distribution<size_t>(0, kServices + kServices / kIngressEvery)(rng);
    const auto jitter = std::chrono::microseconds(std::uniform_int_distribution<int>(0, 3000)(rng));
    const auto wait_until = Clock::now() + seconds(30);
    while (count_created(read_file(out_path)) < after && !(*kubectl)->poll() && Clock::now() < wait_until)
      std::this_thread::sleep_for(milliseconds(2));
    std::this_thread::sleep_for(jitter);
    auto pid = read_pid_file(state);
    ASSERT_TRUE(pid.has_value());
    const e2e::SandboxProbe probe = e2e::probe_sandbox(*pid);
    EXPECT_FALSE(e2e::remains_of(probe).empty());  // the scan sees the live run
    const bool kubectl_done_before = (*kubectl)->poll().has_value();
    ASSERT_EQ(kill(*pid, SIGKILL), 0);
    if (!(*kubectl)->wait_for(seconds(30))) (*kubectl)->stop(seconds(2));
    const std::string output = read_file(out_path);
    const std::set<std::string> created = reported_created(output);
    std::cout << "round " << round << ": killed pid " << *pid << " after " << created.size() << " created (aimed at "
              << after << (kubectl_done_before ? ", kubectl had finished" : "") << ")\n";

    Outcome again = s.up();
    ASSERT_EQ(again.code, 0) << again.all();
    EXPECT_NE(again.out.find("# the previous csim (pid " + std::to_string(*pid) + ") ended without `csim down`"),
              std::string::npos)
        << again.out;
    auto live = read_pid_file(state);
    ASSERT_TRUE(live.has_value());

    // Nothing of the dead run is left.
    EXPECT_EQ(join(e2e::remains_of(probe)), "");
    EXPECT_EQ(join(e2e::stray_processes(*live)), "");

    // Every object kubectl was told is created is there.
    Outcome got = s.kubectl({"get", "services,ingresses", "-n", ns, "-o", "name"});
    ASSERT_EQ(got.code, 0) << got.all();
    std::set<std::string> present;
    for (const auto& line : e2e::split(got.out, '\n'))  // "ingress.networking.k8s.io/x" -> "ingress/x"
      present.insert(std::regex_replace(line, std::regex(R"(^ingress\.networking\.k8s\.io/)"), "ingress/"));
    if (created.count("namespace/" + ns)) {
      EXPECT_EQ(s.kubectl({"get", "namespace", ns, "-o", "name"}).out, "namespace/" + ns + "\n");
    }
    std::vector<std::string> lost;
    for (const auto& c : created)
      if (c.rfind("namespace/", 0) != 0 && !present.count(c)) lost.push_back(c);
    EXPECT_EQ(join(lost), "") << "kubectl said:\n" << output.substr(0, 2000);

    // The config API agrees with the apiserver (kube-manager resynced), within a bound.
    ConfigCheck check;
    const auto resync_deadline = Clock::now() + kResyncLimit;
    do {
      check = check_config(s);
      if (check.orphans.empty() && check.missing.empty()) break;
      std::this_thread::sleep_for(milliseconds(500));
    } while (Clock::now() < resync_deadline);
    EXPECT_EQ(join(check.orphans), "") << "orphaned config objects";
    EXPECT_EQ(join(check.missing), "") << "Services and Ingresses kube-manager did not resync within "
                                       << std::chrono::duration_cast<seconds>(kResyncLimit).count() << " s";

    // Next round on a smaller cluster; its kill may land while these are being deleted.
    Outcome del = s.kubectl({"delete", "namespace", ns, "--ignore-not-found", "--wait=false"});
    EXPECT_EQ(del.code, 0) << del.all();
    if (::testing::Test::HasFatalFailure()) break;
  }
  EXPECT_EQ(rounds, kRounds) << "the time budget ran out";
  Outcome bye = s.csim({"down"}, seconds(60));
  EXPECT_EQ(bye.code, 0) << bye.all();
  EXPECT_EQ(join(e2e::stray_processes(0)), "");
}

}  // namespace
}  // namespace csim::daemon
