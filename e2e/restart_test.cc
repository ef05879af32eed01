// End to end: persistence and restart. A cluster with persist=true keeps the apiserver's
// objects in <state_dir>/kube.db (and the config DB in config.db); a new cluster on the
// same state directory comes back the same without applying anything again: same uids,
// same VIP and external IP, same pod IPs, pods running again, haproxy serving, routing as
// before. Without kube.db, nothing of it comes back. And kill -9 of a process writing
// through the store loses no write the store acknowledged.
//
// This binary has its own main() (at the end): like agent/test_main.cc it enters csim's
// sandbox and doubles as the programs the tests start:
//   <test> echo-server ...                 the pod echo server (as `csim echo-server`)
//   <test> store-writer <kube.db> <round>  restores the store from kube.db, then creates
//                                          200 objects through it, printing "ok <name>"
//                                          after each acknowledged create
//   <test> cluster-run <state_dir>         in a sandbox of its own: a persistent cluster
//                                          with simple-fanout applied and ready; prints
//                                          "ready <what it serves, JSON>" and waits to be
//                                          killed (60 s at most)
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/file.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "agent/dataplane.h"
#include "agent/echo_server.h"
#include "agent/kubelet.h"
#include "agent/netns.h"
#include "agent/process.h"
#include "agent/sandbox.h"
#include "controller/config_api.h"
#include "core/bus.h"
#include "core/clock.h"
#include "kube/memory_store.h"
#include "kube/object_store.h"
#include "kube/sqlite_store.h"
#include "sim/cluster.h"
#include "sim/control_plane.h"

namespace csim::e2e {
namespace {

using nlohmann::json;
using std::chrono::milliseconds;

constexpr int kWriterObjects = 200;

std::string self_exe() { return std::filesystem::read_symlink("/proc/self/exe"); }

std::string make_temp_dir() {
  char tmpl[] = "/tmp/csim-restart-XXXXXX";
  const char* dir = mkdtemp(tmpl);
  return dir ? dir : "";
}

// Removes a directory when leaving the scope (also when an assertion returns early).
class RemoveOnExit {
 public:
  explicit RemoveOnExit(std::string dir) : dir_(std::move(dir)) {}
  ~RemoveOnExit() {
    std::error_code ec;
    if (!dir_.empty()) std::filesystem::remove_all(dir_, ec);
  }
  RemoveOnExit(const RemoveOnExit&) = delete;
  RemoveOnExit& operator=(const RemoveOnExit&) = delete;

 private:
  std::string dir_;
};

// Names of the processes in this PID namespace (the sandbox's), except this one.
std::multiset<std::string> process_names() {
  std::multiset<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    const std::string pid = entry.path().filename();
    if (pid.find_first_not_of("0123456789") != std::string::npos) continue;
    if (std::stoi(pid) == getpid()) continue;
    std::ifstream comm(entry.path() / "comm");
    std::string name;
    if (std::getline(comm, name)) names.insert(name);
  }
  return names;
}

// What a cluster serves for simple-fanout, as seen from outside and from the store.
struct Observed {
  std::string ingress_uid;
  std::vector<std::string> addresses;              // [external IP, VIP]
  std::map<std::string, std::string> pod_uids;     // name -> uid
  std::map<std::string, std::string> pod_ips;      // name -> status.podIP
  std::map<std::string, std::string> pod_app;      // name -> label app
  std::map<std::string, std::string> service_ips;  // name -> clusterIP
  std::map<std::string, std::string> ready_since;  // pod name -> Ready's lastTransitionTime
};

Observed observe(sim::Cluster& cluster) {
  Observed o;
  if (auto ing = cluster.store().get("Ingress", "default", "simple-fanout"))
    o.ingress_uid = (*ing)["metadata"]["uid"];
  o.addresses = cluster.ingress_addresses("default", "simple-fanout");
  for (const auto& pod : cluster.store().list("Pod", "default")) {
    const std::string name = pod["metadata"]["name"];
    o.pod_uids[name] = pod["metadata"]["uid"];
    o.pod_ips[name] = pod.value("status", json::object()).value("podIP", "");
    o.pod_app[name] = pod["metadata"].value("labels", json::object()).value("app", "");
    for (const auto& c : pod.value("status", json::object()).value("conditions", json::array()))
      if (c.value("type", "") == "Ready" && c.value("status", "") == "True")
        o.ready_since[name] = c.value("lastTransitionTime", "");
  }
  for (const auto& svc : cluster.store().list("Service", "default"))
    o.service_ips[svc["metadata"]["name"]] = svc["spec"].value("clusterIP", "");
  return o;
}

json to_json(const Observed& o) {
  return {{"ingress_uid", o.ingress_uid}, {"addresses", o.addresses},
          {"pod_uids", o.pod_uids},       {"pod_ips", o.pod_ips},
          {"pod_app", o.pod_app},         {"service_ips", o.service_ips},
          {"ready_since", o.ready_since}};
}

Observed observed_from_json(const json& j) {
  Observed o;
  o.ingress_uid = j.value("ingress_uid", "");
  o.addresses = j.value("addresses", std::vector<std::string>{});
  o.pod_uids = j.value("pod_uids", std::map<std::string, std::string>{});
  o.pod_ips = j.value("pod_ips", std::map<std::string, std::string>{});
  o.pod_app = j.value("pod_app", std::map<std::string, std::string>{});
  o.service_ips = j.value("service_ips", std::map<std::string, std::string>{});
  o.ready_since = j.value("ready_since", std::map<std::string, std::string>{});
  return o;
}

// The pod that answered `path` on the external IP ("" and a failure when none did).
std::string answering_pod(sim::Cluster& cluster, const std::string& ip, const std::string& path) {
  sim::Reply reply = cluster.request(ip, 80, ip, path);
  EXPECT_TRUE(reply.error.empty()) << path << ": " << reply.error;
  EXPECT_EQ(reply.status, 200) << path << ": " << reply.body;
  if (!reply.echo.is_object()) return "";
  EXPECT_EQ(reply.echo.value("path", ""), path);
  return reply.echo.value("pod", "");
}

class RestartTest : public ::testing::Test {
 protected:
  void SetUp() override {
    state_dir_ = make_temp_dir();
    ASSERT_FALSE(state_dir_.empty());
    options_.state_dir = state_dir_;
    options_.csim_binary = self_exe();  // main() below answers `echo-server`
    options_.persist = true;
  }
  void TearDown() override {
    if (cluster_) cluster_->stop();
    cluster_.reset();
    std::filesystem::remove_all(state_dir_);
  }

  void start() {
    auto cluster = sim::Cluster::start(options_);
    ASSERT_TRUE(cluster.is_ok()) << cluster.status().to_string();
    cluster_ = std::move(*cluster);
  }
  void stop() {
    cluster_->stop();
    cluster_.reset();
  }

  std::string state_dir_;
  sim::ClusterOptions options_;
  std::unique_ptr<sim::Cluster> cluster_;
};

TEST_F(RestartTest, ARestartedClusterServesTheSameIngressAndWithoutKubeDbNothingComesBack) {
  // First run: apply, wait, record.
  ASSERT_NO_FATAL_FAILURE(start());
  auto applied = cluster_->apply_file("testdata/simple-fanout.yaml");
  ASSERT_TRUE(applied.is_ok()) << applied.status().to_string();
  auto ready = cluster_->wait_ingress_ready("default", "simple-fanout", milliseconds(60000));
  ASSERT_TRUE(ready.is_ok()) << ready.to_string();
  const Observed before = observe(*cluster_);
  ASSERT_FALSE(before.ingress_uid.empty());
  ASSERT_EQ(before.addresses.size(), 2u) << "[external IP, VIP]";
  ASSERT_EQ(before.pod_uids.size(), 4u);
  const std::string fip = before.addresses[0];
  const std::string qa_pod = answering_pod(*cluster_, fip, "/qa.html");
  ASSERT_EQ(before.pod_app.count(qa_pod), 1u) << "unknown pod " << qa_pod;
  EXPECT_EQ(before.pod_app.at(qa_pod), "qa-webserver");
  ASSERT_TRUE(std::filesystem::exists(state_dir_ + "/kube.db"));
  stop();

  // Second run, same state directory, nothing applied.
  ASSERT_NO_FATAL_FAILURE(start());
  {
    // Restored before anything ran: the same objects (not re-created by anyone).
    auto ing = cluster_->store().get("Ingress", "default", "simple-fanout");
    ASSERT_TRUE(ing) << "the Ingress did not come back";
    EXPECT_EQ((*ing)["metadata"]["uid"], before.ingress_uid);
  }
  ready = cluster_->wait_ingress_ready("default", "simple-fanout", milliseconds(60000));
  ASSERT_TRUE(ready.is_ok()) << ready.to_string();
  const Observed after = observe(*cluster_);
  EXPECT_EQ(after.ingress_uid, before.ingress_uid);
  EXPECT_EQ(after.addresses, before.addresses) << "VIP and external IP";
  EXPECT_EQ(after.pod_uids, before.pod_uids);
  EXPECT_EQ(after.pod_ips, before.pod_ips) << "pod IPs come from the persisted instance-ips";
  EXPECT_EQ(after.service_ips, before.service_ips);
  // The config DB's loadbalancer is the Ingress's (uuid = uid), with one service-instance.
  EXPECT_TRUE(cluster_->config().read(before.ingress_uid)) << "loadbalancer " << before.ingress_uid;
  EXPECT_EQ(cluster_->config().list("service-instance").size(), 1u);
  // Pods run again: their echo servers answer, in their (new) namespaces.
  {
    std::set<std::string> namespaces;
    for (const auto& ns : agent::list_netns()) namespaces.insert(ns);
    for (const auto& [name, uid] : before.pod_uids)
      EXPECT_EQ(namespaces.count("csim-pod-default." + name), 1u) << name;
  }

  // Routing as before.
  const std::string qa_after = answering_pod(*cluster_, fip, "/qa.html");
  ASSERT_EQ(after.pod_app.count(qa_after), 1u) << "unknown pod " << qa_after;
  EXPECT_EQ(after.pod_app.at(qa_after), "qa-webserver");
  const std::string dev_after = answering_pod(*cluster_, fip, "/dev.html");
  ASSERT_EQ(after.pod_app.count(dev_after), 1u) << "unknown pod " << dev_after;
  EXPECT_EQ(after.pod_app.at(dev_after), "dev-webserver");
  sim::Reply nope = cluster_->request(fip, 80, fip, "/nope");
  EXPECT_TRUE(nope.error.empty()) << nope.error;
  EXPECT_EQ(nope.status, 503) << nope.body;
  int haproxies = 0;
  for (const auto& p : process_names()) haproxies += p == "haproxy";
  EXPECT_EQ(haproxies, 2) << "active and standby haproxy";
  stop();

  // Third run without kube.db: the config DB still has the Ingress's objects, and the
  // components' resync removes them (kube-manager: the Kubernetes objects are gone).
  for (const char* suffix : {"", "-wal", "-shm"})
    std::filesystem::remove(state_dir_ + "/kube.db" + suffix);
  ASSERT_NO_FATAL_FAILURE(start());
  EXPECT_FALSE(cluster_->store().get("Ingress", "default", "simple-fanout"));
  EXPECT_TRUE(cluster_->store().list("Pod").empty());
  bool gone = false;
  std::string left;
  for (int i = 0; i < 400 && !gone; ++i) {  // bounded: 20 s
    cluster_->bus().run_until_idle(std::chrono::seconds(5));
    left.clear();
    if (cluster_->config().read(before.ingress_uid)) left += " loadbalancer";
    if (!cluster_->config().list("service-instance").empty()) left += " service-instance";
    if (!cluster_->config().list("floating-ip").empty()) left += " floating-ip";
    gone = left.empty();
    if (!gone) usleep(50000);
  }
  EXPECT_TRUE(gone) << "still in the config DB:" << left;
  sim::Reply r = cluster_->request(fip, 80, fip, "/qa.html", milliseconds(500));
  EXPECT_NE(r.status, 200) << "the external IP still answers";
  for (const auto& p : process_names()) EXPECT_NE(p, "haproxy");
  for (const auto& ns : agent::list_netns())
    EXPECT_TRUE(ns.rfind("csim-vr-", 0) == 0 || ns == "csim-gw" || ns == "csim-ext") << ns;
  stop();
}

// kill -9 of a whole csim (its sandbox dies with it: haproxy, echo servers, namespaces;
// nothing gets to mark pods or nodes not ready), then a new cluster on its state dir.
TEST_F(RestartTest, AfterKill9OfTheWholeClusterItComesBackTheSame) {
  int fds[2];
  ASSERT_EQ(pipe2(fds, O_CLOEXEC), 0);
  agent::Command cmd{{self_exe(), "cluster-run", state_dir_}};
  cmd.extra_env = {std::string(agent::kSandboxEnv) + "="};  // a sandbox of its own
  auto child = agent::start_process(cmd, {-1, fds[1], 2});
  close(fds[1]);
  ASSERT_TRUE(child.is_ok()) << child.status().to_string();
  std::string line;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(90);
  while (std::chrono::steady_clock::now() < deadline && line.find('\n') == std::string::npos) {
    struct pollfd p = {fds[0], POLLIN, 0};
    if (poll(&p, 1, 100) <= 0) continue;
    char buf[4096];
    ssize_t n = read(fds[0], buf, sizeof buf);
    if (n <= 0) break;
    line.append(buf, static_cast<size_t>(n));
  }
  close(fds[0]);
  (*child)->signal(SIGKILL);
  auto ended = (*child)->wait_for(std::chrono::seconds(10));
  ASSERT_TRUE(ended) << "the cluster process did not die";
  ASSERT_EQ(line.rfind("ready ", 0), 0u) << "the cluster process said: " << line;
  const json said = json::parse(line.substr(6), nullptr, false);
  ASSERT_TRUE(said.is_object()) << line;
  const Observed before = observed_from_json(said);
  ASSERT_EQ(before.addresses.size(), 2u) << line;
  ASSERT_EQ(before.pod_uids.size(), 4u) << line;
  ASSERT_EQ(before.ready_since.size(), 4u) << line;

  // Its sandbox's PID 1 dies of the kill shortly after: wait until the agents' state
  // directories are free (their flock), bounded.
  bool free = false;
  for (int i = 0; i < 200 && !free; ++i) {
    free = true;
    for (const char* node : {"node-1", "node-2"}) {
      int fd = open((state_dir_ + "/" + node + "/agent.lock").c_str(), O_RDWR | O_CLOEXEC);
      if (fd < 0) continue;
      if (flock(fd, LOCK_EX | LOCK_NB) != 0) free = false;
      close(fd);
    }
    if (!free) usleep(25000);
  }
  ASSERT_TRUE(free) << "the killed cluster still holds its agents' locks";

  // Pods were restored Ready (nothing marked them otherwise before the kill): the
  // kubelets mark them not ready and Ready again once started, so their Ready condition
  // changes (timestamps have seconds: the restart is more than one second later).
  usleep(1100000);
  ASSERT_NO_FATAL_FAILURE(start());
  auto ready = cluster_->wait_ingress_ready("default", "simple-fanout", milliseconds(60000));
  ASSERT_TRUE(ready.is_ok()) << ready.to_string();
  const Observed after = observe(*cluster_);
  EXPECT_EQ(after.ingress_uid, before.ingress_uid);
  for (const auto& [name, since] : before.ready_since) {
    ASSERT_TRUE(after.ready_since.count(name)) << name;
    EXPECT_GT(after.ready_since.at(name), since) << name << " was never marked not ready";
  }
  EXPECT_EQ(after.addresses, before.addresses);
  EXPECT_EQ(after.pod_uids, before.pod_uids);
  EXPECT_EQ(after.pod_ips, before.pod_ips);
  EXPECT_EQ(after.service_ips, before.service_ips);
  const std::string fip = after.addresses.empty() ? "" : after.addresses[0];
  const std::string qa = answering_pod(*cluster_, fip, "/qa.html");
  EXPECT_EQ(after.pod_app.count(qa) ? after.pod_app.at(qa) : "unknown pod " + qa, "qa-webserver");
  const std::string dev = answering_pod(*cluster_, fip, "/dev.html");
  EXPECT_EQ(after.pod_app.count(dev) ? after.pod_app.at(dev) : "unknown pod " + dev,
            "dev-webserver");
  EXPECT_EQ(cluster_->request(fip, 80, fip, "/nope").status, 503);
  stop();
}

// A restarted csim restores pods Running and Ready although nothing runs them: a
// starting kubelet marks its own pods not ready at once, before any view arrives.
TEST(KubeletStartTest, PodsTheStoreSaysAreReadyAreNotReadyOnceTheKubeletStarts) {
  core::SimulatedClock clock;
  core::Bus bus(clock, core::Bus::Mode::kDeterministic);
  kube::MemoryObjectStore store(bus, clock, kube::MemoryObjectStore::Options{.seed = 3});
  const json ready_status = {{"phase", "Running"},
                             {"podIP", "10.47.255.250"},
                             {"conditions", {{{"type", "Ready"}, {"status", "True"}}}}};
  for (const auto& [name, node] : std::vector<std::pair<std::string, std::string>>{
           {"here", "node-1"}, {"elsewhere", "node-2"}}) {
    json pod = {{"apiVersion", "v1"},
                {"kind", "Pod"},
                {"metadata", {{"name", name}, {"namespace", "default"}}},
                {"spec", {{"nodeName", node}, {"containers", {{{"name", "c"}, {"image", "e"}}}}}},
                {"status", ready_status}};
    ASSERT_TRUE(store.create(pod).is_ok());
  }
  agent::Dataplane dataplane;
  agent::KubeletOptions options;
  options.node = "node-1";
  options.underlay_ip = "169.254.1.1";
  agent::Kubelet kubelet(bus, dataplane, store, options, nullptr);
  kubelet.start();
  auto ready = [&](const std::string& name) {
    const json pod = *store.get("Pod", "default", name);
    for (const auto& c : pod["status"]["conditions"])
      if (c["type"] == "Ready") return c["status"] == "True";
    return false;
  };
  EXPECT_FALSE(ready("here"));
  EXPECT_EQ((*store.get("Pod", "default", "here"))["status"]["phase"], "Running");
  EXPECT_TRUE(ready("elsewhere")) << "another node's pod is not this kubelet's";
  kubelet.stop();
  bus.run_until_idle(std::chrono::seconds(5));
}

// ControlPlaneOptions::kube_db_path: a fresh persistent store draws the same uids as an
// in-memory one with the same seed; a restored one keeps its objects' uids and draws new
// ones for what is created after the restart (not the previous run's again).
TEST(ControlPlanePersistenceTest, FreshStoresDrawTheSeedsUidsRestoredOnesKeepTheirs) {
  const std::string dir = make_temp_dir();
  ASSERT_FALSE(dir.empty());
  RemoveOnExit cleanup(dir);
  struct Run {
    std::string default_uid, team_uid, next_uid;
  };
  // Starts a control plane, creates `create` (if not there) and "next-<n>", reports uids.
  auto run = [&](const std::string& kube_db, const std::string& config_db, const std::string& next,
                 Run& out) {
    core::SimulatedClock clock;
    core::Bus bus(clock, core::Bus::Mode::kDeterministic);
    sim::ControlPlaneOptions options;
    options.kube_db_path = kube_db;
    options.config_db_path = config_db;
    auto cp = sim::ControlPlane::start(bus, clock, options);
    ASSERT_TRUE(cp.is_ok()) << cp.status().to_string();
    auto& store = (*cp)->store();
    if (!store.get("Namespace", "", "team")) {
      ASSERT_TRUE(
          store
              .create(
                  {{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", "team"}}}})
              .is_ok());
    }
    auto created =
        store.create({{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", next}}}});
    ASSERT_TRUE(created.is_ok()) << created.status().to_string();
    bus.run_until_idle();
    out.default_uid = (*store.get("Namespace", "", "default"))["metadata"]["uid"];
    out.team_uid = (*store.get("Namespace", "", "team"))["metadata"]["uid"];
    out.next_uid = (*created)["metadata"]["uid"];
    cp->reset();
  };
  Run memory, fresh, restored, again;
  ASSERT_NO_FATAL_FAILURE(run("", ":memory:", "next-1", memory));
  ASSERT_NO_FATAL_FAILURE(run(dir + "/kube.db", dir + "/config.db", "next-1", fresh));
  EXPECT_EQ(fresh.default_uid, memory.default_uid);
  EXPECT_EQ(fresh.team_uid, memory.team_uid);
  EXPECT_EQ(fresh.next_uid, memory.next_uid);
  ASSERT_NO_FATAL_FAILURE(run(dir + "/kube.db", dir + "/config.db", "next-2", restored));
  EXPECT_EQ(restored.default_uid, fresh.default_uid) << "the default Namespace is persisted too";
  EXPECT_EQ(restored.team_uid, fresh.team_uid);
  EXPECT_NE(restored.next_uid, fresh.next_uid);
  EXPECT_NE(restored.next_uid, fresh.team_uid);
  ASSERT_NO_FATAL_FAILURE(run(dir + "/kube.db", dir + "/config.db", "next-3", again));
  EXPECT_EQ(again.team_uid, fresh.team_uid);
  for (const auto& uid : {fresh.default_uid, fresh.team_uid, fresh.next_uid, restored.next_uid})
    EXPECT_NE(again.next_uid, uid);
}

// The child's side: restore from kube.db, then create objects, acknowledging each.
int store_writer(const std::string& path, const std::string& round) {
  auto persistence = kube::SqliteStorePersistence::open(path);
  if (!persistence.is_ok()) {
    std::cerr << "store-writer: " << persistence.status().to_string() << "\n";
    return 2;
  }
  auto snapshot = (*persistence)->load();
  if (!snapshot.is_ok()) {
    std::cerr << "store-writer: " << snapshot.status().to_string() << "\n";
    return 2;
  }
  core::SimulatedClock clock;
  core::Bus bus(clock, core::Bus::Mode::kDeterministic);
  kube::MemoryObjectStore::Options options;
  options.persistence = persistence->get();
  kube::MemoryObjectStore store(bus, clock, options);
  if (auto st = store.restore(snapshot->objects, snapshot->resource_version); !st.is_ok()) {
    std::cerr << "store-writer: " << st.to_string() << "\n";
    return 2;
  }
  for (int i = 0; i < kWriterObjects; ++i) {
    const std::string name = "r" + round + "-" + std::to_string(i);
    // Cluster-scoped and namespaced objects alternate (Services also allocate clusterIPs).
    json object =
        i % 2 == 0
            ? json{{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", name}}}}
            : json{{"apiVersion", "v1"},
                   {"kind", "Service"},
                   {"metadata", {{"name", name}, {"namespace", "default"}}},
                   {"spec", {{"ports", {{{"port", 80}}}}}}};
    auto created = store.create(object);
    if (!created.is_ok()) {
      std::cerr << "store-writer: " << created.status().to_string() << "\n";
      return 3;
    }
    const std::string line =
        "ok " + std::string(i % 2 == 0 ? "Namespace " : "Service ") + name + "\n";
    if (write(1, line.data(), line.size()) != static_cast<ssize_t>(line.size())) return 4;
    if (i % 50 == 0) bus.run_until_idle(std::chrono::seconds(1));  // drop queued watch events
  }
  return 0;
}

// The child's side of AfterKill9OfTheWholeClusterItComesBackTheSame.
int cluster_run(const std::string& state_dir) {
  sim::ClusterOptions options;
  options.state_dir = state_dir;
  options.csim_binary = self_exe();
  options.persist = true;
  auto cluster = sim::Cluster::start(options);
  if (!cluster.is_ok()) {
    std::cerr << "cluster-run: " << cluster.status().to_string() << "\n";
    return 2;
  }
  auto applied = (*cluster)->apply_file("testdata/simple-fanout.yaml");
  if (!applied.is_ok()) {
    std::cerr << "cluster-run: " << applied.status().to_string() << "\n";
    return 2;
  }
  auto ready = (*cluster)->wait_ingress_ready("default", "simple-fanout", milliseconds(60000));
  if (!ready.is_ok()) {
    std::cerr << "cluster-run: " << ready.to_string() << "\n";
    return 2;
  }
  const std::string line = "ready " + to_json(observe(**cluster)).dump() + "\n";
  if (write(1, line.data(), line.size()) != static_cast<ssize_t>(line.size())) return 3;
  for (int i = 0; i < 600; ++i) usleep(100000);  // killed long before: bounded, 60 s
  return 0;
}

TEST(StoreCrashTest, Kill9LosesNoAcknowledgedWrite) {
  const std::string dir = make_temp_dir();
  ASSERT_FALSE(dir.empty());
  RemoveOnExit cleanup(dir);
  const std::string path = dir + "/kube.db";
  std::mt19937 rng(20260101);
  std::set<std::string> acknowledged;  // "Kind name", over every round
  int killed_mid_run = 0;
  constexpr int kRounds = 24;
  for (int round = 0; round < kRounds; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    int fds[2];
    ASSERT_EQ(pipe2(fds, O_CLOEXEC), 0);
    auto child = agent::start_process({{self_exe(), "store-writer", path, std::to_string(round)}},
                                      {-1, fds[1], 2});
    close(fds[1]);
    ASSERT_TRUE(child.is_ok()) << child.status().to_string();
    // Kill after a random number of acknowledgements (or, in some rounds, after a random
    // time), while the child goes on writing: the kill lands anywhere in a write.
    const int kill_after = static_cast<int>(rng() % kWriterObjects);
    const bool by_time = round % 4 == 3;
    const auto started = std::chrono::steady_clock::now();
    const auto kill_at = started + std::chrono::microseconds(rng() % 30000);
    const auto deadline = started + std::chrono::seconds(20);
    std::string buffer;
    int acks = 0;
    bool eof = false, sent_kill = false;
    auto take_lines = [&] {
      size_t nl;
      while ((nl = buffer.find('\n')) != std::string::npos) {
        const std::string line = buffer.substr(0, nl);
        buffer.erase(0, nl + 1);
        if (line.rfind("ok ", 0) == 0) {
          acknowledged.insert(line.substr(3));
          ++acks;
        }
      }
    };
    while (!eof && std::chrono::steady_clock::now() < deadline) {
      if (!sent_kill &&
          (by_time ? std::chrono::steady_clock::now() >= kill_at : acks >= kill_after)) {
        (*child)->signal(SIGKILL);
        sent_kill = true;
      }
      struct pollfd p = {fds[0], POLLIN, 0};
      int r = poll(&p, 1, sent_kill ? 1000 : 1);
      if (r < 0 && errno == EINTR) continue;
      if (r <= 0) continue;
      char buf[4096];
      ssize_t n = read(fds[0], buf, sizeof buf);
      if (n <= 0) {
        eof = true;
        break;
      }
      buffer.append(buf, static_cast<size_t>(n));
      take_lines();
    }
    close(fds[0]);
    ASSERT_TRUE(eof) << "the writer neither finished nor died within 20 s";
    auto ended = (*child)->wait_for(std::chrono::seconds(10));
    ASSERT_TRUE(ended) << "the writer did not end";
    if (ended->signal == SIGKILL) {
      ++killed_mid_run;
    } else {
      ASSERT_TRUE(ended->success()) << ended->describe();
      EXPECT_EQ(acks, kWriterObjects);
    }

    // Reopen as a restarted csim would and find every acknowledged write.
    auto persistence = kube::SqliteStorePersistence::open(path);
    ASSERT_TRUE(persistence.is_ok()) << persistence.status().to_string();
    auto snapshot = (*persistence)->load();
    ASSERT_TRUE(snapshot.is_ok()) << snapshot.status().to_string();
    std::set<std::string> stored;
    for (const auto& o : snapshot->objects)
      stored.insert(o["kind"].get<std::string>() + " " + o["metadata"]["name"].get<std::string>());
    for (const auto& name : acknowledged) ASSERT_TRUE(stored.count(name)) << name << " was lost";
    // Nothing stored that was not written in order: objects of this round form a prefix
    // (at most one past the last acknowledgement: committed, killed before printing).
    int this_round = 0;
    for (int i = 0; i < kWriterObjects; ++i)
      this_round += stored.count((i % 2 == 0 ? "Namespace r" : "Service r") +
                                 std::to_string(round) + "-" + std::to_string(i));
    EXPECT_GE(this_round, acks);
    EXPECT_LE(this_round, acks + 1);
    EXPECT_GE(snapshot->resource_version, snapshot->objects.size());
    // And it restores into a store (no duplicate, no clusterIP clash).
    core::SimulatedClock clock;
    core::Bus bus(clock, core::Bus::Mode::kDeterministic);
    kube::MemoryObjectStore store(bus, clock);
    auto restored = store.restore(snapshot->objects, snapshot->resource_version);
    EXPECT_TRUE(restored.is_ok()) << restored.to_string();
  }
  EXPECT_GE(killed_mid_run, kRounds / 2) << "most kills should land while the writer writes";
}

}  // namespace
}  // namespace csim::e2e

int main(int argc, char** argv) {
  if (argc > 1) {
    const std::string command = argv[1];
    if (command == "echo-server") return csim::agent::run_echo_server(argc - 1, argv + 1);
    if (command == "store-writer") {
      if (argc != 4) {
        std::cerr << "usage: " << argv[0] << " store-writer <kube.db> <round>\n";
        return 2;
      }
      return csim::e2e::store_writer(argv[2], argv[3]);
    }
  }
  const bool cluster_run = argc == 3 && std::string(argv[1]) == "cluster-run";
  if (auto st = csim::agent::enter_sandbox(argc, argv); !st.is_ok()) {
    std::cerr << "test: cannot enter csim's sandbox: " << st.message() << "\n";
    return 1;
  }
  // Tests kill processes they started: never die of a broken pipe while doing so.
  signal(SIGPIPE, SIG_IGN);
  if (cluster_run) return csim::e2e::cluster_run(argv[2]);
  testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
