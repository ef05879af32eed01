// Restart end to end, with the real `csim` binary (//cli:csim) and the real kubectl:
// up, apply the seed, record what the cluster is (uids, Ingress addresses, clusterIPs,
// pod IPs, which Service answers which path), `csim config` and `csim agent` against it,
// then `csim down` + `csim up` and kill -9 + `csim up`: the same cluster comes back,
// haproxy runs again and routes as before, nothing of the dead run is left.
//
// Runs inside csim's test sandbox (agent/test_main.cc); every wait is bounded.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "agent/http_client.h"
#include "daemon/e2e_util.h"
#include "daemon/endpoints.h"
#include "daemon/state_dir.h"

namespace csim::daemon {
namespace {

namespace fs = std::filesystem;
using e2e::Outcome;
using nlohmann::json;
using std::chrono::seconds;

// What "the same cluster" means here.
struct Snapshot {
  std::map<std::string, std::string> uids;  // "Kind ns/name" -> metadata.uid
  std::map<std::string, std::string> ips;   // "Service ns/name" -> clusterIP, "Pod ns/name" -> podIP
  std::vector<std::string> addresses;       // the Ingress's: external IP, VIP
  std::string error;                        // why it could not be taken

  bool operator==(const Snapshot& o) const { return uids == o.uids && ips == o.ips && addresses == o.addresses; }
  std::string text() const {
    std::ostringstream s;
    for (const auto& [k, v] : uids) s << "  uid " << k << " " << v << "\n";
    for (const auto& [k, v] : ips) s << "  ip  " << k << " " << v << "\n";
    s << "  addresses";
    for (const auto& a : addresses) s << " " << a;
    return s.str() + (error.empty() ? "" : "\n  error: " + error) + "\n";
  }
};

Snapshot snapshot(const e2e::Session& s) {
  Snapshot snap;
  Outcome o = s.kubectl({"get", "namespace,ingress,service,deployment,pod", "-o", "json"});
  json list = json::parse(o.out, nullptr, false);
  if (o.code != 0 || !list.is_object()) {
    snap.error = "kubectl get: " + o.all().substr(0, 400);
    return snap;
  }
  for (const auto& item : list.value("items", json::array())) {
    const std::string kind = item.value("kind", "");
    const json meta = item.value("metadata", json::object());
    const std::string key = kind + " " + meta.value("namespace", "") + "/" + meta.value("name", "");
    snap.uids[key] = meta.value("uid", "");
    if (kind == "Service") snap.ips[key] = item["spec"].value("clusterIP", "");
    if (kind == "Pod") snap.ips[key] = item.value("status", json::object()).value("podIP", "");
    if (kind == "Ingress") {
      for (const auto& e : item.value("status", json::object())
                               .value("loadBalancer", json::object())
                               .value("ingress", json::array()))
        snap.addresses.push_back(e.value("ip", ""));
    }
  }
  return snap;
}

bool haproxy_exe(const std::string& host_pid) {
  std::error_code ec;
  return fs::read_symlink("/proc/" + host_pid + "/exe", ec).filename() == "haproxy";
}

class Restart : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    csim_ = fs::absolute("cli/csim").string();
    seed_ = fs::absolute("testdata/simple-fanout.yaml").string();
    StateDir state{e2e::tmp_root() + "/restart-state"};
    fs::remove_all(state.dir);
    session_ = new e2e::Session(csim_, state);
    up_ = session_->up();
  }
  static void TearDownTestSuite() {
    session_->shut_down();
    delete session_;
    session_ = nullptr;
  }
  static const e2e::Session& s() { return *session_; }

  // The app label of the pod that answers `path` on the Ingress's external IP (and the pod).
  static std::pair<std::string, std::string> who_answers(const std::string& path) {
    Outcome r = s().curl_until("http://" + before_.addresses.at(0) + path, "HTTP/1.1 200 OK\n");
    json echo = e2e::json_after_brace(r.out);
    if (!echo.is_object()) return {"(no answer: " + r.all().substr(0, 300) + ")", ""};
    return {echo.value("labels", json::object()).value("app", ""), echo.value("pod", "")};
  }

  // Waits (bounded) until every agent runs haproxy for the Ingress's loadbalancer; returns
  // the agents' pages (node -> `csim agent show --json`).
  static std::map<std::string, json> wait_haproxy_serving(const std::string& lb, seconds limit = seconds(90)) {
    std::map<std::string, json> pages;
    const auto deadline = std::chrono::steady_clock::now() + limit;
    do {
      int serving = 0;
      for (const std::string node : {"node-1", "node-2"}) {
        Outcome o = s().csim({"agent", "show", node, "--json"});
        pages[node] = json::parse(o.out, nullptr, false);
        if (!pages[node].is_object()) continue;
        for (const auto& si : pages[node].value("service_instances", json::array())) {
          const std::string state = si.value("state", "");
          if (si.value("lb", "") == lb && (state == "started" || state == "reloaded") && si.value("pid", 0) > 0)
            ++serving;
        }
      }
      if (serving == 2) return pages;
      std::this_thread::sleep_for(std::chrono::milliseconds(300));
    } while (std::chrono::steady_clock::now() < deadline);
    return pages;
  }

  // The same cluster as `before_`: objects, addresses, routing, haproxy on both nodes.
  static void expect_same_cluster() {
    Snapshot now;
    const auto deadline = std::chrono::steady_clock::now() + seconds(120);
    do {
      now = snapshot(s());
      if (now == before_) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(500));
    } while (std::chrono::steady_clock::now() < deadline);
    EXPECT_TRUE(now == before_) << "before:\n" << before_.text() << "after:\n" << now.text();
    auto qa = who_answers("/qa.html");
    auto dev = who_answers("/dev.html");
    EXPECT_EQ(qa.first, qa_app_);
    EXPECT_EQ(dev.first, dev_app_);
    EXPECT_TRUE(before_.uids.count("Pod default/" + qa.second)) << qa.second;
    EXPECT_TRUE(before_.uids.count("Pod default/" + dev.second)) << dev.second;
    Outcome nope = s().csim({"curl", "http://" + before_.addresses.at(0) + "/nope"});
    EXPECT_EQ(nope.out.rfind("HTTP/1.1 503 ", 0), 0u) << nope.all();
    const std::string lb = before_.uids["Ingress default/simple-fanout"];
    auto pages = wait_haproxy_serving(lb);
    for (const auto& [node, page] : pages) {
      bool serving = false;
      for (const auto& si : page.value("service_instances", json::array()))
        serving |= si.value("lb", "") == lb && si.value("pid", 0) > 0;
      EXPECT_TRUE(serving) << node << ": " << page.dump().substr(0, 600);
    }
    auto pid = read_pid_file(s().state());
    ASSERT_TRUE(pid.has_value());
    EXPECT_EQ(e2e::stray_processes(*pid), std::vector<std::string>{});
  }

  static inline std::string csim_, seed_;
  static inline e2e::Session* session_ = nullptr;
  static inline Outcome up_;
  static inline Snapshot before_;
  static inline std::string qa_app_, dev_app_;
};

TEST_F(Restart, CommandsWithoutADaemonSayso) {
  ASSERT_EQ(up_.code, 0) << up_.all();
  e2e::Session nobody(csim_, StateDir{e2e::tmp_root() + "/nobody"});
  Outcome list = nobody.csim({"config", "list", "loadbalancer"});
  EXPECT_EQ(list.code, 1);
  EXPECT_EQ(list.err, "csim config: csim is not running for " + nobody.state().dir + " (`csim up` starts it)\n");
  Outcome agents = nobody.csim({"agent", "list"});
  EXPECT_EQ(agents.code, 1);
  EXPECT_NE(agents.err.find("csim is not running for"), std::string::npos) << agents.all();
  // Bad input is refused before anything is asked.
  Outcome type = nobody.csim({"config", "get", "loadbalancerz", "x"});
  EXPECT_EQ(type.code, 1);
  EXPECT_EQ(type.err,
            "csim config: unknown config type \"loadbalancerz\" (did you mean loadbalancer?); `csim config types` "
            "lists them\n");
  Outcome types = nobody.csim({"config", "types"});
  EXPECT_EQ(types.code, 0) << types.all();
  EXPECT_NE(types.out.find("\nloadbalancer\nloadbalancer-healthmonitor\n"), std::string::npos) << types.out;
  EXPECT_EQ(nobody.csim({"config"}).code, 2);
  EXPECT_EQ(nobody.csim({"config", "get", "loadbalancer"}).code, 2);
  EXPECT_EQ(nobody.csim({"config", "drop", "loadbalancer"}).code, 2);
  EXPECT_EQ(nobody.csim({"agent", "show", "../etc"}).code, 2);
  EXPECT_EQ(nobody.csim({"agent", "show"}).code, 2);
}

TEST_F(Restart, ApplyAndRecord) {
  ASSERT_EQ(up_.code, 0) << up_.all();
  EXPECT_NE(up_.out.find("#   introspection   http://127.0.0.1:"), std::string::npos) << up_.out;
  EXPECT_EQ(up_.out.find("restored"), std::string::npos) << up_.out;
  Outcome apply = s().kubectl({"apply", "-f", seed_});
  ASSERT_EQ(apply.code, 0) << apply.all();
  const auto deadline = std::chrono::steady_clock::now() + seconds(90);
  do {
    before_ = snapshot(s());
    bool pods_have_ips = true;
    for (const auto& [key, ip] : before_.ips) pods_have_ips &= !ip.empty();
    if (before_.addresses.size() == 2 && pods_have_ips) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
  } while (std::chrono::steady_clock::now() < deadline);
  ASSERT_EQ(before_.addresses.size(), 2u) << before_.text();
  ASSERT_EQ(before_.uids.count("Ingress default/simple-fanout"), 1u) << before_.text();
  size_t pods = 0;
  for (const auto& [key, uid] : before_.uids) pods += key.rfind("Pod ", 0) == 0;
  EXPECT_EQ(pods, 4u) << before_.text();
  auto qa = who_answers("/qa.html");
  auto dev = who_answers("/dev.html");
  qa_app_ = qa.first;
  dev_app_ = dev.first;
  EXPECT_EQ(qa_app_, "qa-webserver");
  EXPECT_EQ(dev_app_, "dev-webserver");
}

TEST_F(Restart, ConfigGetAndList) {
  ASSERT_EQ(before_.addresses.size(), 2u);
  const std::string uid = before_.uids["Ingress default/simple-fanout"];
  Outcome get = s().csim({"config", "get", "loadbalancer", uid});
  ASSERT_EQ(get.code, 0) << get.all();
  EXPECT_EQ(get.out.rfind("{\n    \"loadbalancer\": {\n", 0), 0u) << get.out.substr(0, 200);
  json lb = json::parse(get.out, nullptr, false);
  ASSERT_TRUE(lb.is_object()) << get.out;
  EXPECT_EQ(lb["loadbalancer"]["uuid"], uid);
  const json fq = lb["loadbalancer"]["fq_name"];
  ASSERT_TRUE(fq.is_array() && fq.size() == 3) << fq;
  EXPECT_EQ(fq[2], "simple-fanout__" + uid);
  EXPECT_EQ(lb["loadbalancer"]["loadbalancer_properties"]["vip_address"], before_.addresses[1]);

  std::string fq_text = fq[0].get<std::string>() + ":" + fq[1].get<std::string>() + ":" + fq[2].get<std::string>();
  Outcome by_name = s().csim({"config", "get", "loadbalancers", fq_text});
  ASSERT_EQ(by_name.code, 0) << by_name.all();
  EXPECT_EQ(json::parse(by_name.out, nullptr, false), lb);

  Outcome list = s().csim({"config", "list", "loadbalancer"});
  ASSERT_EQ(list.code, 0) << list.all();
  json l = json::parse(list.out, nullptr, false);
  ASSERT_TRUE(l.is_object()) << list.out;
  bool listed = false;
  for (const auto& e : l["loadbalancers"]) listed |= e.value("uuid", "") == uid && e["fq_name"] == fq;
  EXPECT_TRUE(listed) << list.out.substr(0, 600);
  // One loadbalancer for the Ingress and one per Service.
  EXPECT_EQ(l["loadbalancers"].size(), 3u) << list.out.substr(0, 600);
  Outcome detail = s().csim({"config", "list", "loadbalancer", "--detail"});
  ASSERT_EQ(detail.code, 0) << detail.all();
  EXPECT_NE(detail.out.find("\"vip_address\": \"" + before_.addresses[1] + "\""), std::string::npos);

  Outcome missing = s().csim({"config", "get", "loadbalancer", "00000000-0000-0000-0000-000000000000"});
  EXPECT_EQ(missing.code, 1);
  EXPECT_EQ(missing.err, "csim config: no loadbalancer 00000000-0000-0000-0000-000000000000 in the config API\n");
  EXPECT_TRUE(missing.out.empty()) << missing.out;
  Outcome no_name = s().csim({"config", "get", "loadbalancer", "default-domain:k8s-default:nope"});
  EXPECT_EQ(no_name.code, 1);
  EXPECT_EQ(no_name.err, "csim config: no loadbalancer named default-domain:k8s-default:nope in the config API\n");
  Outcome bad_id = s().csim({"config", "get", "loadbalancer", "nope"});
  EXPECT_EQ(bad_id.code, 1);
  EXPECT_NE(bad_id.err.find("neither a uuid nor an fq name"), std::string::npos) << bad_id.err;
}

TEST_F(Restart, AgentListShowAndIntrospection) {
  ASSERT_EQ(before_.addresses.size(), 2u);
  const std::string uid = before_.uids["Ingress default/simple-fanout"];
  wait_haproxy_serving(uid);
  Outcome list = s().csim({"agent", "list"});
  ASSERT_EQ(list.code, 0) << list.all();
  auto lines = e2e::split(list.out, '\n');
  ASSERT_EQ(lines.size(), 3u) << list.out;
  EXPECT_EQ(e2e::split_ws(lines[0]),
            (std::vector<std::string>{"NODE", "STATE", "UNDERLAY", "VIEW", "ACKED", "SERVICE-INSTANCES", "PODS"}));
  for (size_t i = 1; i <= 2; ++i) {
    auto row = e2e::split_ws(lines[i]);
    ASSERT_EQ(row.size(), 7u) << lines[i];
    EXPECT_EQ(row[0], "node-" + std::to_string(i));
    EXPECT_EQ(row[1], "up");
    EXPECT_EQ(row[5], "1") << lines[i];  // the Ingress's instance on each node
    EXPECT_EQ(row[6], "2") << lines[i];  // two of the four pods each
  }

  Outcome show = s().csim({"agent", "show", "node-1"});
  ASSERT_EQ(show.code, 0) << show.all();
  EXPECT_EQ(show.out.rfind("agent node-1: up, underlay 169.254.1.", 0), 0u) << show.out;
  EXPECT_NE(show.out.find("\nservice instances (1):\n"), std::string::npos) << show.out;
  EXPECT_NE(show.out.find("\n    loadbalancer  " + uid + "\n"), std::string::npos) << show.out;
  EXPECT_TRUE(std::regex_search(show.out, std::regex("\n    namespace     vrouter-[0-9a-f-]+:" + uid + "\n")))
      << show.out;
  EXPECT_NE(show.out.find("\n    vip           " + before_.addresses[1] + "  ports 80\n"), std::string::npos)
      << show.out;
  EXPECT_TRUE(std::regex_search(show.out, std::regex("\n    last command  (start|update)\n    error         -\n")))
      << show.out;
  std::smatch m;
  ASSERT_TRUE(std::regex_search(show.out, m,
                                std::regex(R"(\n    haproxy       (started|reloaded)  pid \d+ \(host pid (\d+)\)\n)")))
      << show.out;
  EXPECT_TRUE(haproxy_exe(m[2])) << "host pid " << m[2];
  EXPECT_NE(show.out.find("\npods (2):\n"), std::string::npos) << show.out;

  Outcome unknown = s().csim({"agent", "show", "node-9"});
  EXPECT_EQ(unknown.code, 1);
  EXPECT_EQ(unknown.err, "csim agent: no agent \"node-9\" (agents: node-1, node-2)\n");

  // The same over HTTP, on the port csim.json names.
  auto endpoints = read_endpoints(s().state());
  ASSERT_TRUE(endpoints.is_ok()) << endpoints.status().message();
  EXPECT_EQ(endpoints->pid, read_pid_file(s().state()).value_or(0));
  auto get = [&](const std::string& path) {
    agent::HttpRequestSpec spec;
    spec.ip = "127.0.0.1";
    spec.port = endpoints->introspect_port;
    spec.path = path;
    auto r = agent::http_request(spec);
    EXPECT_TRUE(r.is_ok()) << r.status().message();
    return r.is_ok() ? std::make_pair(r->status, json::parse(r->body, nullptr, false)) : std::make_pair(0, json());
  };
  auto [agents_status, agents] = get("/agents");
  EXPECT_EQ(agents_status, 200);
  EXPECT_EQ(agents["agents"].size(), 2u) << agents.dump();
  auto [req_status, req] = get("/Snh_ServiceInstanceReq?uuid=" + uid);
  EXPECT_EQ(req_status, 200);
  const json instances = req["ServiceInstanceResp"]["instance_list"];
  ASSERT_EQ(instances.size(), 2u) << req.dump();
  EXPECT_EQ(instances[0]["node"], "node-1");
  EXPECT_EQ(instances[1]["node"], "node-2");
  for (const auto& i : instances) {
    EXPECT_GT(i.value("pid", 0), 0) << i.dump();
    EXPECT_NE(i.value("namespace", "").find(uid), std::string::npos) << i.dump();
    EXPECT_TRUE(i.value("last_command", "") == "start" || i.value("last_command", "") == "update") << i.dump();
  }
  EXPECT_EQ(get("/agents/node-2").second["node"], "node-2");
  EXPECT_EQ(get("/nope").first, 404);

  Outcome status = s().csim({"status"});
  EXPECT_NE(status.out.find("  introspection   http://127.0.0.1:" + std::to_string(endpoints->introspect_port)),
            std::string::npos)
      << status.out;
}

TEST_F(Restart, DownThenUpBringsTheSameClusterBack) {
  ASSERT_EQ(before_.addresses.size(), 2u);
  Outcome down = s().csim({"down"}, seconds(60));
  ASSERT_EQ(down.code, 0) << down.all();
  EXPECT_EQ(e2e::stray_processes(0), std::vector<std::string>{});
  EXPECT_FALSE(fs::exists(s().state().endpoints_file()));
  EXPECT_TRUE(fs::exists(s().state().cluster_dir() + "/config.db"));
  EXPECT_TRUE(fs::exists(s().state().cluster_dir() + "/kube.db"));
  Outcome config = s().csim({"config", "list", "loadbalancer"});
  EXPECT_EQ(config.code, 1);
  EXPECT_NE(config.err.find("not running"), std::string::npos) << config.all();

  // The cluster keeps its nodes.
  Outcome other_nodes = s().up({"--nodes", "1"});
  EXPECT_EQ(other_nodes.code, 2) << other_nodes.all();
  EXPECT_EQ(other_nodes.err, "csim up: " + s().state().cluster_dir() + " holds a cluster of 2 nodes, not 1: leave "
                             "--nodes out (or give 2), or use another --state-dir (or remove " +
                             s().state().cluster_dir() + " to start afresh)\n");
  EXPECT_FALSE(lock_is_held(s().state()));

  Outcome up = s().up();
  ASSERT_EQ(up.code, 0) << up.all();
  EXPECT_NE(up.out.find(", the cluster of " + s().state().dir + " restored\n"), std::string::npos) << up.out;
  EXPECT_EQ(up.out.find("ended without"), std::string::npos) << up.out;
  expect_same_cluster();
}

TEST_F(Restart, KillNineThenUpBringsItBackToo) {
  ASSERT_EQ(before_.addresses.size(), 2u);
  auto pid = read_pid_file(s().state());
  ASSERT_TRUE(pid.has_value());
  wait_haproxy_serving(before_.uids["Ingress default/simple-fanout"]);
  const e2e::SandboxProbe probe = e2e::probe_sandbox(*pid);
  // PID 1, two haproxy, four echo servers at least.
  EXPECT_GE(probe.sandbox.size(), 7u);
  EXPECT_GE(probe.bystanders.size(), 1u);  // this test
  EXPECT_GE(probe.net_ns.size(), 7u);  // the sandbox's own, two instances', four pods'
  // The scans see a live run (so their empty answers below mean something).
  EXPECT_GE(e2e::remains_of(probe).size(), 7u);
  EXPECT_GE(e2e::stray_processes(0).size(), 7u);  // with no daemon taken as live: csim x5, haproxy x2
  ASSERT_EQ(kill(*pid, SIGKILL), 0);

  // Right away: `csim up` waits for the dead sandbox to let go of the lock.
  Outcome up = s().up();
  ASSERT_EQ(up.code, 0) << up.all();
  EXPECT_NE(up.out.find("# the previous csim (pid " + std::to_string(*pid) +
                        ") ended without `csim down`: its leftovers were removed\n"),
            std::string::npos)
      << up.out;
  EXPECT_EQ(e2e::remains_of(probe), std::vector<std::string>{});
  std::ifstream log(s().state().log_file());
  std::stringstream text;
  text << log.rdbuf();
  EXPECT_NE(text.str().find("the previous csim (pid " + std::to_string(*pid) +
                            ") ended without `csim down`; removed its control.sock csim.pid kubeconfig csim.json\n"),
            std::string::npos)
      << text.str().substr(text.str().size() > 3000 ? text.str().size() - 3000 : 0);
  expect_same_cluster();
}

}  // namespace
}  // namespace csim::daemon
