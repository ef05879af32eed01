// `csim up` end to end with the real binary (//cli:csim) and the real kubectl: up, apply,
// Ingress addresses, requests through haproxy, describe, status, exec, delete, down,
// up again, SIGTERM. Runs inside csim's test sandbox (agent/test_main.cc), so the daemon
// and everything it starts die with the test even if it crashes; every wait is bounded.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "agent/http_client.h"
#include "agent/process.h"
#include "daemon/e2e_util.h"
#include "daemon/state_dir.h"

namespace csim::daemon {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using std::chrono::seconds;

using e2e::Outcome;
using e2e::run;
using e2e::split;
using e2e::split_ws;
using e2e::tmp_root;

bool haproxy_running() {
  for (const auto& e : fs::directory_iterator("/proc")) {
    std::ifstream comm(e.path() / "comm");
    std::string name;
    if (comm && std::getline(comm, name) && name == "haproxy") return true;
  }
  return false;
}

class CsimUp : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    csim_ = fs::absolute("cli/csim").string();
    seed_ = fs::absolute("testdata/simple-fanout.yaml").string();
    state_ = StateDir{tmp_root() + "/csim-state"};
    fs::remove_all(state_.dir);
    cache_ = tmp_root() + "/kubectl-cache";
    up_ = up();
  }

  static void TearDownTestSuite() {
    // Whatever happened, nothing stays: ask, then kill by the pid we were given.
    if (lock_is_held(state_)) run({csim_, "down", "--state-dir", state_.dir}, seconds(40));
    if (auto pid = read_pid_file(state_); pid && is_csim_daemon(*pid)) kill(*pid, SIGKILL);
  }

  static Outcome up() {
    return run({csim_, "up", "--state-dir", state_.dir, "--port", "0", "--config-port", "0", "--introspect-port", "0"},
               seconds(120));
  }
  // `csim <args[0]> --state-dir <state> <args[1:]...>`
  static Outcome csim(const std::vector<std::string>& args, seconds timeout = seconds(60)) {
    std::vector<std::string> argv = {csim_, args[0], "--state-dir", state_.dir};
    argv.insert(argv.end(), args.begin() + 1, args.end());
    return run(argv, timeout);
  }
  static Outcome kubectl(const std::vector<std::string>& args) {
    std::vector<std::string> argv = {"kubectl", "--kubeconfig", state_.kubeconfig(), "--cache-dir", cache_,
                                     "--request-timeout=20s"};
    argv.insert(argv.end(), args.begin(), args.end());
    return run(argv);
  }
  // `csim curl URL` until it answers with want (bounded).
  static Outcome curl_until(const std::string& url, const std::string& want, seconds limit = seconds(30)) {
    Outcome r;
    const auto deadline = std::chrono::steady_clock::now() + limit;
    do {
      r = csim({"curl", "-m", "3", url});
      if (r.code == 0 && r.out.rfind(want, 0) == 0) return r;
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    } while (std::chrono::steady_clock::now() < deadline);
    return r;
  }
  static json echo_body(const Outcome& r) {
    size_t brace = r.out.find('{');
    if (brace == std::string::npos) return nullptr;
    return json::parse(r.out.substr(brace), nullptr, false);
  }

  static inline std::string csim_, seed_, cache_;
  static inline StateDir state_;
  static inline Outcome up_;
  static inline std::string external_ip_;
  static inline int config_port_ = 0;
};

TEST_F(CsimUp, UpSaysWhereThingsAre) {
  ASSERT_EQ(up_.code, 0) << up_.all();
  EXPECT_NE(up_.out.find("export KUBECONFIG=" + state_.kubeconfig() + "\n"), std::string::npos) << up_.out;
  EXPECT_NE(up_.out.find("#   Kubernetes API  http://127.0.0.1:"), std::string::npos) << up_.out;
  EXPECT_NE(up_.out.find("#   config API      http://127.0.0.1:"), std::string::npos) << up_.out;
  struct stat st;
  ASSERT_EQ(stat(state_.kubeconfig().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  auto pid = read_pid_file(state_);
  ASSERT_TRUE(pid.has_value());
  EXPECT_TRUE(is_csim_daemon(*pid));
  EXPECT_TRUE(fs::exists(state_.control_socket()));
}

TEST_F(CsimUp, RefusesASecondDaemonAndOpenListenersWithoutToken) {
  ASSERT_EQ(up_.code, 0) << up_.all();
  Outcome again = up();
  EXPECT_EQ(again.code, 1);
  EXPECT_NE(again.err.find("csim already runs for " + state_.dir + " (pid " +
                           std::to_string(read_pid_file(state_).value_or(0)) + ")"),
            std::string::npos)
      << again.all();
  Outcome open = run({csim_, "up", "--state-dir", tmp_root() + "/other", "--listen", "0.0.0.0"});
  EXPECT_EQ(open.code, 2);
  EXPECT_NE(open.err.find("--token"), std::string::npos) << open.all();
  EXPECT_FALSE(fs::exists(tmp_root() + "/other/csim.pid"));
}

TEST_F(CsimUp, RealKubectlAndTheConfigApi) {
  ASSERT_EQ(up_.code, 0) << up_.all();
  Outcome ns = kubectl({"get", "ns"});
  ASSERT_EQ(ns.code, 0) << ns.all();
  EXPECT_NE(ns.out.find("default"), std::string::npos) << ns.out;
  EXPECT_NE(ns.out.find("Active"), std::string::npos) << ns.out;

  Outcome status = csim({"status", "--json"});
  ASSERT_EQ(status.code, 0) << status.all();
  json s = json::parse(status.out, nullptr, false);
  ASSERT_TRUE(s.is_object()) << status.out;
  std::smatch m;
  const std::string config_url = s.value("config_url", "");
  ASSERT_TRUE(std::regex_match(config_url, m, std::regex(R"(http://127\.0\.0\.1:(\d+))"))) << config_url;
  config_port_ = std::stoi(m[1]);
  agent::HttpRequestSpec spec;
  spec.ip = "127.0.0.1";
  spec.port = config_port_;
  spec.path = "/loadbalancers";
  auto reply = agent::http_request(spec);
  ASSERT_TRUE(reply.is_ok()) << reply.status().message();
  EXPECT_EQ(reply->status, 200);
  json body = json::parse(reply->body, nullptr, false);
  ASSERT_TRUE(body.is_object()) << reply->body;
  EXPECT_TRUE(body["loadbalancers"].is_array()) << reply->body;
}

TEST_F(CsimUp, ApplyRouteAndInspect) {
  ASSERT_EQ(up_.code, 0) << up_.all();
  Outcome apply = kubectl({"apply", "-f", seed_});
  ASSERT_EQ(apply.code, 0) << apply.all();
  EXPECT_NE(apply.out.find("simple-fanout created"), std::string::npos) << apply.out;

  // `kubectl get ing` until the ADDRESS column has two addresses.
  std::vector<std::string> addresses;
  Outcome get;
  const auto deadline = std::chrono::steady_clock::now() + seconds(60);
  while (addresses.size() < 2 && std::chrono::steady_clock::now() < deadline) {
    get = kubectl({"get", "ing"});
    for (const auto& line : split(get.out, '\n')) {
      auto cols = split_ws(line);
      if (cols.size() == 6 && cols[0] == "simple-fanout") addresses = split(cols[3], ',');
    }
    if (addresses.size() < 2) std::this_thread::sleep_for(std::chrono::milliseconds(300));
  }
  ASSERT_EQ(addresses.size(), 2u) << get.all();
  external_ip_ = addresses[0];

  Outcome qa = curl_until("http://" + external_ip_ + "/qa.html", "HTTP/1.1 200 OK\n");
  ASSERT_EQ(qa.code, 0) << qa.all();
  json echo = echo_body(qa);
  ASSERT_TRUE(echo.is_object()) << qa.out;
  EXPECT_EQ(echo.value("pod", "").rfind("qa-webserver-", 0), 0u) << qa.out;
  // Both paths served (the dev pods may become ready a moment after the qa ones).
  Outcome dev_ready = curl_until("http://" + external_ip_ + "/dev.html", "HTTP/1.1 200 OK\n");
  ASSERT_EQ(dev_ready.out.rfind("HTTP/1.1 200 OK\n", 0), 0u) << dev_ready.all();
  Outcome dev = csim({"curl", "-i", "http://" + external_ip_ + "/dev.html"});
  ASSERT_EQ(dev.code, 0) << dev.all();
  EXPECT_EQ(dev.out.rfind("HTTP/1.1 200 OK\n", 0), 0u) << dev.out;
  EXPECT_NE(dev.out.find("\ncontent-type: application/json\n"), std::string::npos) << dev.out;
  const json dev_echo = echo_body(dev);
  ASSERT_TRUE(dev_echo.is_object()) << dev.out;
  EXPECT_EQ(dev_echo.value("pod", "").rfind("dev-webserver-", 0), 0u) << dev.out;
  Outcome nope = csim({"curl", "http://" + external_ip_ + "/nope"});
  EXPECT_EQ(nope.code, 0) << nope.all();
  EXPECT_EQ(nope.out.rfind("HTTP/1.1 503 ", 0), 0u) << nope.out;

  Outcome wide = kubectl({"get", "ing", "-o", "wide"});
  ASSERT_EQ(wide.code, 0) << wide.all();
  auto lines = split(wide.out, '\n');
  ASSERT_GE(lines.size(), 2u) << wide.out;
  EXPECT_EQ(split_ws(lines[0]), (std::vector<std::string>{"NAME", "CLASS", "HOSTS", "ADDRESS", "PORTS", "AGE"}));
  auto row = split_ws(lines[1]);
  ASSERT_EQ(row.size(), 6u) << wide.out;
  EXPECT_EQ(row[0], "simple-fanout");
  EXPECT_EQ(row[3], addresses[0] + "," + addresses[1]);
  EXPECT_EQ(row[4], "80");

  // The config API sees what kube-manager made of it.
  ASSERT_GT(config_port_, 0);
  agent::HttpRequestSpec lbs;
  lbs.ip = "127.0.0.1";
  lbs.port = config_port_;
  lbs.path = "/loadbalancers?detail=True";
  auto lb_reply = agent::http_request(lbs);
  ASSERT_TRUE(lb_reply.is_ok()) << lb_reply.status().message();
  EXPECT_EQ(lb_reply->status, 200);
  EXPECT_NE(lb_reply->body.find("simple-fanout"), std::string::npos) << lb_reply->body.substr(0, 400);
  EXPECT_NE(lb_reply->body.find(addresses[1]), std::string::npos) << lb_reply->body.substr(0, 400);

  // kubectl describe reads the Ingress, its Services and their EndpointSlices.
  Outcome describe = kubectl({"describe", "ing/simple-fanout"});
  EXPECT_EQ(describe.code, 0) << "kubectl describe ing/simple-fanout failed:\n"
                              << describe.all().substr(0, 600);
  if (describe.code == 0) {
    EXPECT_NE(describe.out.find("Name:             simple-fanout"), std::string::npos) << describe.out;
    EXPECT_NE(describe.out.find(addresses[0]), std::string::npos) << describe.out;
    EXPECT_TRUE(std::regex_search(describe.out, std::regex(R"(/qa\.html\s+qa-webserver:80 \(10\.)")))
        << describe.out;
    EXPECT_TRUE(std::regex_search(describe.out, std::regex(R"(/dev\.html\s+dev-webserver:80 \(10\.)")))
        << describe.out;
    // The story the modules tell (kube/event_recorder.h): kube-manager's loadbalancer with
    // its addresses, svc-monitor's placement, haproxy started on both nodes.
    EXPECT_TRUE(std::regex_search(describe.out,
                                  std::regex("Normal\\s+LoadBalancerCreated\\s+\\S+\\s+contrail-kube-manager\\s+"
                                             "loadbalancer \\S+ created, addresses " + addresses[0] + ", " + addresses[1])))
        << describe.out;
    EXPECT_TRUE(std::regex_search(
        describe.out, std::regex("Normal\\s+Scheduled\\s+\\S+\\s+svc-monitor\\s+scheduled on "
                                 "node-\\d \\(active\\) and node-\\d \\(standby\\), service-instance ")))
        << describe.out;
    for (const char* node : {"node-1", "node-2"})
      EXPECT_TRUE(std::regex_search(describe.out, std::regex(std::string("HaproxyStarted\\s+\\S+\\s+vrouter-agent\\s+") +
                                                             node + ": haproxy pid \\d+ serving")))
          << describe.out;
  }

  // csim status: both agents, their haproxy instances with live pids.
  Outcome status = csim({"status"});
  ASSERT_EQ(status.code, 0) << status.all();
  EXPECT_NE(status.out.find("  node-1   up "), std::string::npos) << status.out;
  EXPECT_NE(status.out.find("  node-2   up "), std::string::npos) << status.out;
  EXPECT_NE(status.out.find("default/simple-fanout"), std::string::npos) << status.out;
  EXPECT_NE(status.out.find("kube-manager"), std::string::npos) << status.out;
  std::regex haproxy_line(R"(\n    haproxy .* pid (\d+) \(host pid (\d+)\))");
  int instances = 0;
  for (auto it = std::sregex_iterator(status.out.begin(), status.out.end(), haproxy_line);
       it != std::sregex_iterator(); ++it) {
    ++instances;
    std::error_code ec;
    auto exe = fs::read_symlink("/proc/" + (*it)[2].str() + "/exe", ec);
    EXPECT_EQ(exe.filename().string(), "haproxy") << "host pid " << (*it)[2] << ": " << ec.message();
  }
  EXPECT_EQ(instances, 2) << status.out;

  // csim exec: the external client's namespace, exit codes, bad names.
  Outcome ip = csim({"exec", "csim-ext", "--", "ip", "-4", "addr"});
  EXPECT_EQ(ip.code, 0) << ip.all();
  EXPECT_NE(ip.out.find("inet 198.51.100.2/24"), std::string::npos) << ip.out;
  EXPECT_EQ(csim({"exec", "csim-gw", "--", "sh", "-c", "exit 3"}).code, 3);
  Outcome bad = csim({"exec", "../../etc", "--", "true"});
  EXPECT_EQ(bad.code, 125);
  EXPECT_NE(bad.err.find("no network namespace"), std::string::npos) << bad.all();
  Outcome list = csim({"exec", "--list"});
  EXPECT_NE(list.out.find("csim-ext "), std::string::npos) << list.out;
  EXPECT_NE(list.out.find("haproxy instance"), std::string::npos) << list.out;

  // After kubectl delete, the address no longer answers 200.
  Outcome del = kubectl({"delete", "-f", seed_});
  ASSERT_EQ(del.code, 0) << del.all();
  bool stopped_answering = false;
  Outcome after;
  const auto until = std::chrono::steady_clock::now() + seconds(30);
  while (!stopped_answering && std::chrono::steady_clock::now() < until) {
    after = csim({"curl", "-m", "2", "http://" + external_ip_ + "/qa.html"});
    stopped_answering = !(after.code == 0 && after.out.rfind("HTTP/1.1 200", 0) == 0);
    if (!stopped_answering) std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  EXPECT_TRUE(stopped_answering) << after.all();
}

// A TLS Ingress in its own namespace: kubectl shows the Secrets without their bytes,
// `csim curl https://` gets the certificate SNI selects and a pod's answer, and the
// Secret's rotation reaches haproxy.
TEST_F(CsimUp, TlsIngressServesHttpsBySni) {
  ASSERT_EQ(up_.code, 0) << up_.all();
  const std::string tls_file = fs::absolute("testdata/tls.yaml").string();
  ASSERT_EQ(kubectl({"create", "namespace", "shop"}).code, 0);
  Outcome apply = kubectl({"apply", "-n", "shop", "-f", tls_file});
  ASSERT_EQ(apply.code, 0) << apply.all();
  EXPECT_NE(apply.out.find("secret/foo-tls created"), std::string::npos) << apply.out;

  Outcome secrets = kubectl({"get", "secrets", "-n", "shop"});
  ASSERT_EQ(secrets.code, 0) << secrets.all();
  EXPECT_TRUE(std::regex_search(secrets.out, std::regex(R"(foo-tls\s+kubernetes.io/tls\s+2\s)"))) << secrets.out;
  EXPECT_EQ(secrets.out.find("BEGIN"), std::string::npos) << secrets.out;

  std::string ip;
  const auto deadline = std::chrono::steady_clock::now() + seconds(60);
  while (ip.empty() && std::chrono::steady_clock::now() < deadline) {
    Outcome get = kubectl({"get", "ing", "tls-fanout", "-n", "shop", "-o", "jsonpath={.status.loadBalancer.ingress[0].ip}"});
    if (get.code == 0 && !get.out.empty()) ip = get.out;
    else std::this_thread::sleep_for(std::chrono::milliseconds(300));
  }
  ASSERT_FALSE(ip.empty());
  Outcome wide = kubectl({"get", "ing", "-n", "shop"});
  EXPECT_TRUE(std::regex_search(wide.out, std::regex(R"(tls-fanout\s+\S+\s+foo\.bar\.com\s+\S+\s+80, 443)"))) << wide.out;

  // `csim curl -i [--host H] URL` until its output holds `want` (bounded: the listeners of
  // one Ingress reach haproxy one reload at a time).
  auto curl_holding = [&](const std::string& host, const std::string& url, const std::string& want) {
    Outcome r;
    const auto until = std::chrono::steady_clock::now() + seconds(30);
    do {
      std::vector<std::string> args = {"curl", "-i", "-m", "3"};
      if (!host.empty()) args.insert(args.end(), {"--host", host});
      args.push_back(url);
      r = csim(args);
      if (r.code == 0 && r.out.find(want) != std::string::npos) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    } while (std::chrono::steady_clock::now() < until);
    return r;
  };

  // Host foo.bar.com: its own certificate, the qa pods.
  Outcome foo = curl_holding("foo.bar.com", "https://" + ip + "/qa.html", "HTTP/1.1 200 OK\n");
  ASSERT_NE(foo.out.find("HTTP/1.1 200 OK\n"), std::string::npos) << foo.all();
  EXPECT_NE(foo.out.find("* server certificate: CN=foo.bar.com"), std::string::npos) << foo.out;
  EXPECT_NE(foo.out.find("SNI foo.bar.com"), std::string::npos) << foo.out;
  json foo_echo = echo_body(foo);
  ASSERT_TRUE(foo_echo.is_object()) << foo.out;
  EXPECT_EQ(foo_echo.value("pod", "").rfind("qa-webserver-", 0), 0u) << foo.out;

  // No SNI (an IP address): the default certificate, the host-less rule.
  Outcome plain = curl_holding("", "https://" + ip + "/dev.html", "HTTP/1.1 200 OK\n");
  ASSERT_NE(plain.out.find("HTTP/1.1 200 OK\n"), std::string::npos) << plain.all();
  EXPECT_NE(plain.out.find("SNI (none)"), std::string::npos) << plain.out;
  EXPECT_NE(plain.out.find("* server certificate: CN=default.example"), std::string::npos) << plain.out;
  json plain_echo = echo_body(plain);
  ASSERT_TRUE(plain_echo.is_object()) << plain.out;
  EXPECT_EQ(plain_echo.value("pod", "").rfind("dev-webserver-", 0), 0u) << plain.out;

  // HTTP on 80 still works.
  Outcome http = csim({"curl", "--host", "foo.bar.com", "http://" + ip + "/qa.html"});
  EXPECT_EQ(http.out.rfind("HTTP/1.1 200 OK\n", 0), 0u) << http.all();

  // The Secret rotated to default-tls's certificate: foo.bar.com gets it without re-applying.
  Outcome def = kubectl({"get", "secret", "default-tls", "-n", "shop", "-o", "json"});
  ASSERT_EQ(def.code, 0) << def.all();
  json d = json::parse(def.out, nullptr, false);
  ASSERT_TRUE(d.is_object()) << def.out;
  json patch = {{"data", d["data"]}};
  Outcome rotate = kubectl({"patch", "secret", "foo-tls", "-n", "shop", "--type", "merge", "-p", patch.dump()});
  ASSERT_EQ(rotate.code, 0) << rotate.all();
  Outcome rotated = curl_holding("foo.bar.com", "https://" + ip + "/qa.html", "CN=default.example");
  EXPECT_NE(rotated.out.find("* server certificate: CN=default.example"), std::string::npos) << rotated.all();

  Outcome del = kubectl({"delete", "namespace", "shop"});
  EXPECT_EQ(del.code, 0) << del.all();
}

TEST_F(CsimUp, DownLeavesNothingAndUpWorksAgain) {
  ASSERT_EQ(up_.code, 0) << up_.all();
  auto pid = read_pid_file(state_);
  ASSERT_TRUE(pid.has_value());
  Outcome down = csim({"down"}, seconds(40));
  EXPECT_EQ(down.code, 0) << down.all();
  EXPECT_NE(down.out.find("csim is down (pid " + std::to_string(*pid) + " stopped"), std::string::npos) << down.all();
  for (int i = 0; i < 100 && process_alive(*pid); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_FALSE(process_alive(*pid));
  EXPECT_FALSE(haproxy_running());
  EXPECT_FALSE(fs::exists(state_.pid_file()));
  EXPECT_FALSE(fs::exists(state_.control_socket()));
  EXPECT_FALSE(fs::exists(state_.kubeconfig()));
  EXPECT_FALSE(lock_is_held(state_));
  Outcome status = csim({"status"});
  EXPECT_EQ(status.code, 1);
  EXPECT_NE(status.err.find("not running"), std::string::npos) << status.all();

  // Up again on the same state directory, then SIGTERM is a graceful down.
  Outcome again = up();
  ASSERT_EQ(again.code, 0) << again.all();
  Outcome ns = kubectl({"get", "ns"});
  EXPECT_EQ(ns.code, 0) << ns.all();
  auto pid2 = read_pid_file(state_);
  ASSERT_TRUE(pid2.has_value());
  EXPECT_NE(*pid2, *pid);
  ASSERT_EQ(kill(*pid2, SIGTERM), 0);
  for (int i = 0; i < 400 && lock_is_held(state_); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_FALSE(lock_is_held(state_));
  EXPECT_FALSE(fs::exists(state_.pid_file()));
  EXPECT_FALSE(fs::exists(state_.kubeconfig()));
  EXPECT_FALSE(fs::exists(state_.control_socket()));
  std::ifstream log(state_.log_file());
  std::stringstream text;
  text << log.rdbuf();
  EXPECT_NE(text.str().find("stopping (signal Terminated)"), std::string::npos) << text.str();
}

// With a token, every API wants it. The Kubernetes API is then HTTPS with csim's own CA in
// the kubeconfig, so the real kubectl sends the token (client-go sends none to http://):
// get and apply work, a wrong token is refused with kubectl's usual words, plain HTTP on
// the port is told to use HTTPS, and the certificate is reused by the next `csim up`.
TEST(CsimUpToken, KubectlOverHttpsAndEveryApiRequiresTheToken) {
  const std::string csim = fs::absolute("cli/csim").string();
  StateDir state{tmp_root() + "/csim-token"};
  fs::remove_all(state.dir);
  const std::string cache = tmp_root() + "/kubectl-cache-token";
  fs::remove_all(cache);
  fs::remove_all(cache + "-other");
  const std::string token = "s3cret-token-for-tests";
  const std::vector<std::string> up_argv = {csim, "up", "--state-dir", state.dir, "--port", "0", "--config-port", "0",
                                            "--introspect-port", "0", "--listen", "127.0.0.1", "--token", token,
                                            "--nodes", "1"};
  Outcome up = run(up_argv, seconds(120));
  ASSERT_EQ(up.code, 0) << up.all();
  std::smatch api, config, introspect;
  ASSERT_TRUE(std::regex_search(up.out, api, std::regex(R"(Kubernetes API  https://127\.0\.0\.1:(\d+))"))) << up.out;
  ASSERT_TRUE(std::regex_search(up.out, config, std::regex(R"(config API      http://127\.0\.0\.1:(\d+))")));
  ASSERT_TRUE(std::regex_search(up.out, introspect, std::regex(R"(introspection   http://127\.0\.0\.1:(\d+))")));
  // A discovery cache per kubeconfig: with none, kubectl's first request is discovery.
  auto kubectl = [&](const std::string& kubeconfig, const std::vector<std::string>& args) {
    std::vector<std::string> argv = {"kubectl", "--kubeconfig", kubeconfig, "--cache-dir",
                                     cache + (kubeconfig == state.kubeconfig() ? "" : "-other"),
                                     "--request-timeout=20s"};
    argv.insert(argv.end(), args.begin(), args.end());
    return run(argv);
  };

  // The kubeconfig: the https URL, the token and the CA; the key files are private.
  std::ifstream kubeconfig_file(state.kubeconfig());
  std::stringstream kubeconfig;
  kubeconfig << kubeconfig_file.rdbuf();
  EXPECT_NE(kubeconfig.str().find("server: \"https://127.0.0.1:" + api[1].str() + "\""), std::string::npos)
      << kubeconfig.str();
  EXPECT_NE(kubeconfig.str().find("certificate-authority-data: "), std::string::npos) << kubeconfig.str();
  EXPECT_NE(kubeconfig.str().find(token), std::string::npos);
  for (const char* key : {"/ca.key", "/apiserver.key"}) {
    struct stat st;
    ASSERT_EQ(stat((state.tls_dir() + key).c_str(), &st), 0) << key;
    EXPECT_EQ(st.st_mode & 0777, 0600u) << key;
  }

  // The real kubectl over HTTPS with the token.
  Outcome ns = kubectl(state.kubeconfig(), {"get", "ns"});
  ASSERT_EQ(ns.code, 0) << ns.all();
  EXPECT_NE(ns.out.find("default"), std::string::npos) << ns.out;
  const std::string manifest = tmp_root() + "/token-ns.yaml";
  std::ofstream(manifest) << "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: over-https\n";
  Outcome apply = kubectl(state.kubeconfig(), {"apply", "-f", manifest});
  EXPECT_EQ(apply.code, 0) << apply.all();
  EXPECT_NE(apply.out.find("namespace/over-https created"), std::string::npos) << apply.all();
  Outcome got = kubectl(state.kubeconfig(), {"get", "ns", "over-https", "-o", "name"});
  EXPECT_EQ(got.out, "namespace/over-https\n") << got.all();

  // A wrong token: 401 with a Status. kubectl's words for it during discovery, then (with
  // no discovery needed) the Status's message.
  std::string wrong_text = kubeconfig.str();
  wrong_text.replace(wrong_text.find(token), token.size(), "wrong-token-for-tests");
  const std::string wrong = tmp_root() + "/kubeconfig-wrong-token";
  std::ofstream(wrong) << wrong_text;
  Outcome refused = kubectl(wrong, {"get", "ns"});
  EXPECT_EQ(refused.code, 1) << refused.all();
  EXPECT_NE(refused.err.find("error: You must be logged in to the server (the server has asked for the client to "
                             "provide credentials)"),
            std::string::npos)
      << refused.all();
  Outcome raw = kubectl(wrong, {"get", "--raw", "/api/v1/namespaces"});
  EXPECT_EQ(raw.code, 1) << raw.all();
  EXPECT_NE(raw.err.find("error: You must be logged in to the server (Unauthorized)"), std::string::npos) << raw.all();

  auto get = [&](int port, const std::string& path, const std::vector<std::pair<std::string, std::string>>& headers,
                 std::string* body = nullptr) {
    agent::HttpRequestSpec spec;
    spec.ip = "127.0.0.1";
    spec.port = port;
    spec.path = path;
    spec.extra_headers = headers;
    auto r = agent::http_request(spec);
    if (body) *body = r.is_ok() ? r->body : r.status().message();
    return r.is_ok() ? r->status : -1;
  };
  const int api_port = std::stoi(api[1]), config_port = std::stoi(config[1]);
  std::string body;
  EXPECT_EQ(get(api_port, "/api/v1/namespaces", {{"Authorization", "Bearer " + token}}, &body), 400)
      << "plain HTTP on the HTTPS port";
  EXPECT_NE(body.find("Client sent an HTTP request to an HTTPS server."), std::string::npos) << body;
  EXPECT_EQ(get(config_port, "/loadbalancers", {}), 401);
  EXPECT_EQ(get(config_port, "/loadbalancers", {{"X-Auth-Token", token}}), 200);
  const int introspect_port = std::stoi(introspect[1]);
  EXPECT_EQ(get(introspect_port, "/agents", {}), 401);
  EXPECT_EQ(get(introspect_port, "/agents", {{"X-Auth-Token", token}}), 200);
  // `csim config` and `csim agent` find the token where they find the ports (csim.json, 0600).
  Outcome config_cli = run({csim, "config", "list", "project", "--state-dir", state.dir});
  EXPECT_EQ(config_cli.code, 0) << config_cli.all();
  EXPECT_NE(config_cli.out.find("default-project"), std::string::npos) << config_cli.out;
  Outcome agent_cli = run({csim, "agent", "list", "--state-dir", state.dir});
  EXPECT_EQ(agent_cli.code, 0) << agent_cli.all();
  EXPECT_NE(agent_cli.out.find("node-1"), std::string::npos) << agent_cli.out;
  // The token reaches the daemon through its environment, which commands it runs do not inherit.
  Outcome env = run({csim, "exec", "--state-dir", state.dir, "csim-ext", "--", "env"});
  EXPECT_EQ(env.code, 0) << env.all();
  EXPECT_NE(env.out.find("PATH="), std::string::npos) << env.out;
  EXPECT_EQ(env.out.find(token), std::string::npos) << env.out;
  EXPECT_EQ(env.out.find("CSIM_DAEMON"), std::string::npos) << env.out;
  Outcome down = run({csim, "down", "--state-dir", state.dir}, seconds(40));
  EXPECT_EQ(down.code, 0) << down.all();

  // The next `csim up` reuses the certificate: the CA kubectl was given stays valid.
  Outcome again = run(up_argv, seconds(120));
  ASSERT_EQ(again.code, 0) << again.all();
  std::ifstream again_file(state.kubeconfig());
  std::stringstream again_text;
  again_text << again_file.rdbuf();
  auto ca_line = [](const std::string& text) {
    size_t at = text.find("certificate-authority-data: ");
    return at == std::string::npos ? std::string() : text.substr(at, text.find('\n', at) - at);
  };
  EXPECT_FALSE(ca_line(again_text.str()).empty());
  EXPECT_EQ(ca_line(again_text.str()), ca_line(kubeconfig.str()));
  std::ifstream log(state.log_file());
  std::stringstream log_text;
  log_text << log.rdbuf();
  EXPECT_NE(log_text.str().find("TLS certificate for the Kubernetes API reused"), std::string::npos) << log_text.str();
  Outcome after = kubectl(state.kubeconfig(), {"get", "ns", "over-https", "-o", "name"});
  EXPECT_EQ(after.out, "namespace/over-https\n") << after.all();
  Outcome down_again = run({csim, "down", "--state-dir", state.dir}, seconds(40));
  EXPECT_EQ(down_again.code, 0) << down_again.all();
  EXPECT_FALSE(lock_is_held(state));
  if (auto pid = read_pid_file(state); pid && is_csim_daemon(*pid)) kill(*pid, SIGKILL);
}

}  // namespace
}  // namespace csim::daemon
