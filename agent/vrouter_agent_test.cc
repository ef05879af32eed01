// The vrouter agents, their kubelets and the gateway, fed hand-built views (the
// control-node's shape) over a real threaded bus, with the real object store, real
// namespaces, real haproxy and real echo servers. A request from the external client
// goes gateway -> vrouter (FIP DNAT) -> haproxy -> clusterIP DNAT -> a pod, and back.
#include "agent/vrouter_agent.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>

#include "agent/gateway.h"
#include "agent/http_client.h"
#include "agent/names.h"
#include "agent/netns.h"
#include "agent/test_util.h"
#include "agent/test_views.h"
#include "agent/tls_test_certs.h"
#include "core/bus.h"
#include "core/clock.h"
#include "kube/base64.h"
#include "kube/memory_store.h"
#include "kube/secret.h"

namespace csim::agent {
namespace {

using namespace std::chrono_literals;
using namespace test_views;
using nlohmann::json;

json pod_object(const std::string& name, const std::string& node) {
  return {{"apiVersion", "v1"},
          {"kind", "Pod"},
          {"metadata", {{"name", name}, {"namespace", "default"}, {"labels", {{"app", "qa"}}}}},
          {"spec",
           {{"nodeName", node},
            {"containers", json::array({{{"name", "web"},
                                         {"image", "csim/echo"},
                                         {"ports", json::array({{{"containerPort", 8080}}})}}})}}}};
}

// Everything published on agent.* topics, for assertions.
class Recorder {
 public:
  explicit Recorder(core::Bus& bus) {
    bus.subscribe("test-recorder", "agent.", [this](const core::Envelope& e) {
      std::lock_guard lock(mu_);
      messages_.push_back({e.topic, e.body});
    });
  }
  std::vector<json> of(const std::string& topic, const std::string& node = "") {
    std::lock_guard lock(mu_);
    std::vector<json> out;
    for (const auto& [t, b] : messages_)
      if (t == topic && (node.empty() || b.value("node", "") == node)) out.push_back(b);
    return out;
  }

 private:
  std::mutex mu_;
  std::vector<std::pair<std::string, json>> messages_;
};

// The Secret source the cluster wires (sim/cluster.cc): kubernetes.io/tls Secrets of
// the kube store, decoded by kube::tls_key_pair.
TlsSecretSource store_secrets(const kube::ObjectStore& store) {
  return [&store](const std::string& ns, const std::string& name) -> core::Result<TlsSecret> {
    auto secret = store.get("Secret", ns, name);
    if (!secret) return core::not_found("secrets \"" + name + "\" not found");
    auto pair = kube::tls_key_pair(*secret);
    if (!pair.is_ok()) return pair.status();
    return TlsSecret{pair->certificate_pem, pair->private_key_pem};
  };
}

json tls_secret_object(const std::string& name, const TlsSecret& s) {
  return {{"apiVersion", "v1"},
          {"kind", "Secret"},
          {"metadata", {{"name", name}, {"namespace", "default"}}},
          {"type", "kubernetes.io/tls"},
          {"data",
           {{"tls.crt", kube::base64_encode(s.cert_pem)},
            {"tls.key", kube::base64_encode(s.key_pem)}}}};
}

// haproxy_config() plus the TERMINATED_HTTPS frontend svc-monitor renders for
// tls: [{secretName: default-tls}, {hosts: [foo.bar.com], secretName: foo-tls}] and a
// rule foo.bar.com -> the Service; other hosts get a 404.
std::string tls_haproxy_config() {
  std::string text = haproxy_config();
  text.insert(text.find("\nbackend p1") + 1,
              "frontend f0000000-0000-4000-8000-000000000443\n\toption tcplog\n"
              "\tbind " +
                  std::string(kVip) +
                  ":443 ssl crt__default__default-tls crt__default__foo-tls no-sslv3\n"
                  "\tmode http\n\tacl p3_host hdr(host) -i foo.bar.com\n"
                  "\tuse_backend p1 if p3_host \n\t\n\n\tdefault_backend no-match\n\t\n\n");
  text += "backend no-match\n\tmode http\n\thttp-request return status 404 default-errorfiles\n\n";
  return text;
}

class AgentTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/csim-agent-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    state_ = tmpl;
    AgentOptions o1{"node-1", "", state_ + "/node-1", "/proc/self/exe"};
    AgentOptions o2{"node-2", "", state_ + "/node-2", "/proc/self/exe"};
    o1.tls_secrets = o2.tls_secrets = store_secrets(store_);
    a1_ = std::make_unique<VrouterAgent>(bus_, dp_, store_, o1);
    a2_ = std::make_unique<VrouterAgent>(bus_, dp_, store_, o2);
    CSIM_ASSERT_OK(gateway_.start());
    CSIM_ASSERT_OK(a1_->start());
    CSIM_ASSERT_OK(a2_->start());
  }
  void TearDown() override {
    a1_->stop();
    a2_->stop();
    gateway_.stop();
    bus_.run_until_idle(10s);
    auto left = list_netns();
    EXPECT_TRUE(std::none_of(left.begin(), left.end(), [](const std::string& n) {
      return n.rfind("csim-vr-", 0) == 0 || n.rfind("csim-pod-", 0) == 0 ||
             n.rfind("vrouter-", 0) == 0;
    })) << "stopped agents leave no namespace behind";
    CSIM_EXPECT_OK(dp_.destroy());
    std::error_code ec;
    std::filesystem::remove_all(state_, ec);
  }

  std::string create_pod(const std::string& name, const std::string& node) {
    auto p = store_.create(pod_object(name, node));
    EXPECT_TRUE(p.is_ok()) << p.status().message();
    return p.is_ok() ? (*p)["metadata"]["uid"].get<std::string>() : "";
  }
  json request(const std::string& path, const std::string& ip = kFipAddress) {
    auto r = http_request_in_netns(kExternalNetns, ip, 80, "GET", "foo.com", path, 3s);
    if (!r.is_ok()) return {{"error", r.status().message()}};
    json out = {{"status", r->status}};
    if (r->status == 200) out["body"] = json::parse(r->body);
    return out;
  }

  // HTTPS to the floating IP with this Host (and SNI) from the external client.
  json https(const std::string& host) {
    HttpRequestSpec spec;
    spec.netns = kExternalNetns;
    spec.ip = kFipAddress;
    spec.port = 443;
    spec.tls = true;
    spec.host_header = host;
    spec.path = "/qa.html";
    spec.timeout = 3s;
    auto r = http_request(spec);
    if (!r.is_ok()) return {{"error", r.status().message()}};
    json out = {{"status", r->status}};
    if (r->tls) {
      out["cn"] = r->tls->certificate.subject_cn;
      out["sha256"] = r->tls->certificate.sha256;
    }
    if (r->status == 200) out["pod"] = json::parse(r->body)["pod"];
    return out;
  }

  core::SystemClock& clock_ = core::SystemClock::instance();
  core::Bus bus_{clock_, core::Bus::Mode::kThreaded, 8};
  kube::MemoryObjectStore store_{bus_, clock_};
  Recorder recorder_{bus_};
  Dataplane dp_;
  Gateway gateway_{bus_, dp_};
  std::string state_;
  std::unique_ptr<VrouterAgent> a1_, a2_;
};

TEST_F(AgentTest, ExternalRequestReachesAPodThroughHaproxyThenFailsOverAndReloads) {
  // Agents are up: Nodes Ready, agent.status published, underlay addresses in order.
  for (const char* n : {"node-1", "node-2"}) {
    auto node = store_.get("Node", "", n);
    ASSERT_TRUE(node) << n;
    EXPECT_EQ((*node)["status"]["conditions"][0]["status"], "True");
  }
  EXPECT_EQ(dp_.node_underlay_ip("node-1")->str(), "169.254.1.1");
  EXPECT_EQ(dp_.node_underlay_ip("node-2")->str(), "169.254.1.2");

  const std::string uid_a = create_pod("qa-1", "node-1");
  const std::string uid_b = create_pod("qa-2", "node-2");
  const auto t0 = std::chrono::steady_clock::now();
  bus_.publish("control-node", "xmpp.node-1", view(1, 1, uid_a, haproxy_config()));
  bus_.publish("control-node", "xmpp.node-2", view(2, 1, uid_b, haproxy_config()));
  bus_.publish("control-node", "bgp.gateway", gateway_routes(1));
  ASSERT_TRUE(bus_.run_until_idle(30s));
  std::cerr << "views applied, pods and haproxy up in "
            << std::chrono::duration_cast<std::chrono::milliseconds>(
                   std::chrono::steady_clock::now() - t0)
                   .count()
            << " ms\n";

  for (const char* n : {"node-1", "node-2"}) {
    auto acks = recorder_.of("agent.ack", n);
    ASSERT_FALSE(acks.empty()) << n;
    EXPECT_EQ(acks.back()["version"], 1);
    EXPECT_TRUE(acks.back()["ok"].get<bool>()) << acks.back()["error"];
    auto started = recorder_.of("agent.haproxy", n);
    ASSERT_FALSE(started.empty()) << n;
    EXPECT_EQ(started.back()["state"], "started") << started.back().dump();
    EXPECT_GT(started.back()["pid"].get<int>(), 0);
    EXPECT_EQ(started.back()["vip"], kVip);
    EXPECT_EQ(started.back()["ports"], json::array({80}));
  }
  EXPECT_EQ(recorder_.of("agent.haproxy", "node-1").back()["namespace"],
            instance_netns_name(kVm0, kLb));

  // Pods are Running with their addresses, and were announced on agent.pod.
  auto qa1 = store_.get("Pod", "default", "qa-1");
  ASSERT_TRUE(qa1);
  EXPECT_EQ((*qa1)["status"]["phase"], "Running");
  EXPECT_EQ((*qa1)["status"]["podIP"], "10.47.255.252");
  EXPECT_EQ((*qa1)["status"]["hostIP"], "169.254.1.1");
  auto pods = recorder_.of("agent.pod", "node-2");
  ASSERT_EQ(pods.size(), 1u);
  EXPECT_EQ(pods[0]["state"], "running");
  EXPECT_EQ(pods[0]["namespace_path"], "/run/netns/csim-pod-default.qa-2");

  // The trace ends with haproxy serving.
  bool serving_span = false;
  for (const auto& s : bus_.spans()) {
    if (s.kind == "work" && s.summary.rfind("haproxy pid ", 0) == 0 &&
        s.summary.find(" serving 10.47.255.250:80 in namespace " +
                       instance_netns_name(kVm0, kLb)) != std::string::npos)
      serving_span = true;
  }
  EXPECT_TRUE(serving_span);

  // external client -> gateway -> node-1 (FIP) -> haproxy -> clusterIP -> a pod.
  std::set<std::string> seen;
  for (int i = 0; i < 4; ++i) {
    json r = request("/qa.html");
    ASSERT_EQ(r.value("status", 0), 200) << r.dump();
    const json& b = r["body"];
    seen.insert(b["pod"].get<std::string>());
    EXPECT_EQ(b["headers"]["x-forwarded-for"], "198.51.100.2")
        << "haproxy forwarded the client's address";
    EXPECT_EQ(b["client"], kVip) << "the pod saw haproxy's connection";
    EXPECT_EQ(b["port"], 8080);
    EXPECT_EQ(b["labels"]["app"], "qa");
  }
  for (const auto& p : seen) EXPECT_TRUE(p == "qa-1" || p == "qa-2") << p;
  EXPECT_EQ(request("/nothing-matches")["status"], 503)
      << "Contrail: exact paths, no default backend";

  auto info = a1_->introspect();
  ASSERT_EQ(info["service_instances"].size(), 1u);
  EXPECT_EQ(info["service_instances"][0]["state"], "started");
  EXPECT_EQ(info["service_instances"][0]["last_command"], "start");
  EXPECT_EQ(info["pods"].size(), 1u);
  EXPECT_EQ(gateway_.introspect()["routes"][0], "10.84.59.252/32 via 169.254.1.1 dev fabric");

  // Node-1's agent goes away: the standby on node-2 takes over by route preference.
  a1_->stop();
  ASSERT_EQ(recorder_.of("agent.status", "node-1").back()["state"], "down");
  json v2 = view(2, 2, uid_b, haproxy_config());
  v2["routes"] = json::array(
      {local_route("10.47.255.251/32", kVmiB), local_route("10.47.255.250/32", kVmi1, 100)});
  v2["services"][0]["backends"] = json::array({{{"ip", "10.47.255.251"}, {"port", 8080}}});
  bus_.publish("control-node", "xmpp.node-2", v2);
  bus_.publish("control-node", "bgp.gateway", gateway_routes(2, "node-2"));
  ASSERT_TRUE(bus_.run_until_idle(30s));
  json after = request("/qa.html");
  ASSERT_EQ(after.value("status", 0), 200) << after.dump();
  EXPECT_EQ(after["body"]["pod"], "qa-2");
  auto qa1_after = store_.get("Pod", "default", "qa-1");
  EXPECT_EQ((*qa1_after)["status"]["conditions"][1]["status"], "False")
      << "pods of a stopped node are not ready";

  // A config change reloads haproxy on node-2 (new pid), and the new path works.
  json v3 = v2;
  v3["version"] = 3;
  for (auto& o : v3["objects"])
    if (o["uuid"] == kSi)
      o["props"]["service_instance_bindings"]["key_value_pair"][2]["value"] = haproxy_config(true);
  bus_.publish("control-node", "xmpp.node-2", v3);
  ASSERT_TRUE(bus_.run_until_idle(30s));
  auto h = recorder_.of("agent.haproxy", "node-2");
  EXPECT_EQ(h.back()["state"], "reloaded") << h.back().dump();
  EXPECT_NE(h.back()["pid"], recorder_.of("agent.haproxy", "node-2").front()["pid"]);
  EXPECT_EQ(a2_->introspect()["service_instances"][0]["last_command"], "update");
  EXPECT_EQ(request("/dev.html").value("status", 0), 200);

  // Deleting the pod stops its echo server and removes its namespace.
  ASSERT_TRUE(store_.remove("Pod", "default", "qa-2").is_ok());
  ASSERT_TRUE(bus_.run_until_idle(30s));
  EXPECT_EQ(recorder_.of("agent.pod", "node-2").back()["state"], "stopped");
  auto names = list_netns();
  EXPECT_EQ(std::find(names.begin(), names.end(), "csim-pod-default.qa-2"), names.end());
}

TEST_F(AgentTest, TerminatesTlsWithKubernetesSecretsAndFollowsTheirChanges) {
  ASSERT_TRUE(
      store_
          .create(tls_secret_object(
              "default-tls", test_certs::self_signed("default.example", {"default.example"})))
          .is_ok());
  ASSERT_TRUE(store_
                  .create(tls_secret_object(
                      "foo-tls", test_certs::self_signed("foo.bar.com", {"foo.bar.com"})))
                  .is_ok());
  const std::string uid_a = create_pod("qa-1", "node-1");
  const std::string uid_b = create_pod("qa-2", "node-2");
  bus_.publish("control-node", "xmpp.node-1", view(1, 1, uid_a, tls_haproxy_config()));
  bus_.publish("control-node", "xmpp.node-2", view(2, 1, uid_b, tls_haproxy_config()));
  bus_.publish("control-node", "bgp.gateway", gateway_routes(1));
  ASSERT_TRUE(bus_.run_until_idle(30s));
  for (const char* n : {"node-1", "node-2"}) {
    auto h = recorder_.of("agent.haproxy", n);
    ASSERT_FALSE(h.empty()) << n;
    EXPECT_EQ(h.back()["state"], "started") << h.back().dump();
    EXPECT_EQ(h.back()["ports"], json::array({80, 443}));
    EXPECT_EQ(h.back()["error"], "");
    EXPECT_TRUE(recorder_.of("agent.ack", n).back()["ok"].get<bool>());
  }

  // SNI foo.bar.com: foo's certificate and the Service behind the rule.
  json foo = https("foo.bar.com");
  ASSERT_EQ(foo.value("status", 0), 200) << foo.dump();
  EXPECT_EQ(foo["cn"], "foo.bar.com");
  EXPECT_TRUE(foo["pod"] == "qa-1" || foo["pod"] == "qa-2") << foo.dump();
  // Another name: the default certificate (the first crt), and no rule matches it.
  json other = https("other.example");
  EXPECT_EQ(other.value("status", 0), 404) << other.dump();
  EXPECT_EQ(other["cn"], "default.example");
  // Plain HTTP on :80 is untouched.
  EXPECT_EQ(request("/qa.html").value("status", 0), 200);

  // The PEM files: named by their Secret, 0600, in the instance's directory.
  json si = a1_->introspect()["service_instances"][0];
  ASSERT_EQ(si["certificates"].size(), 2u) << si.dump();
  EXPECT_EQ(si["certificates"][1]["secret"], "default/foo-tls");
  EXPECT_EQ(si["certificates"][1]["subject_cn"], "foo.bar.com");
  const std::string foo_pem = si["certificates"][1]["file"];
  EXPECT_EQ(foo_pem, state_ + "/node-1/loadbalancer/haproxy/" + kLb + "/default__foo-tls.pem");
  for (const auto& c : si["certificates"]) {
    struct stat st;
    ASSERT_EQ(stat(c["file"].get<std::string>().c_str(), &st), 0) << c.dump();
    EXPECT_EQ(st.st_mode & 07777, 0600u) << c.dump();
  }

  // Rotation: a new certificate in the Secret reaches haproxy through kube.watch.secret.
  const int pid_before = recorder_.of("agent.haproxy", "node-1").back()["pid"];
  auto secret = store_.get("Secret", "default", "foo-tls");
  ASSERT_TRUE(secret);
  TlsSecret rotated = test_certs::self_signed("foo.bar.com", {"foo.bar.com", "www.foo.bar.com"});
  (*secret)["data"] = tls_secret_object("foo-tls", rotated)["data"];
  ASSERT_TRUE(store_.update(*secret).is_ok());
  ASSERT_TRUE(bus_.run_until_idle(30s));
  auto reloaded = recorder_.of("agent.haproxy", "node-1").back();
  EXPECT_EQ(reloaded["state"], "reloaded") << reloaded.dump();
  EXPECT_NE(reloaded["pid"], pid_before);
  EXPECT_NE(reloaded["summary"].get<std::string>().find("Secret default/foo-tls changed"),
            std::string::npos)
      << reloaded["summary"];
  json after = https("foo.bar.com");
  EXPECT_NE(after["sha256"], foo["sha256"]) << "the new certificate is served";
  EXPECT_EQ(a1_->introspect()["service_instances"][0]["certificates"][1]["sans"],
            json::array({"foo.bar.com", "www.foo.bar.com"}));

  // A Secret nobody uses changes nothing.
  const size_t messages = recorder_.of("agent.haproxy").size();
  ASSERT_TRUE(store_.create(tls_secret_object("unused", rotated)).is_ok());
  ASSERT_TRUE(bus_.run_until_idle(30s));
  EXPECT_EQ(recorder_.of("agent.haproxy").size(), messages);

  // The Secret is deleted: its certificate is left out with a clear error, the rest serves.
  ASSERT_TRUE(store_.remove("Secret", "default", "foo-tls").is_ok());
  ASSERT_TRUE(bus_.run_until_idle(30s));
  auto degraded = recorder_.of("agent.haproxy", "node-1").back();
  EXPECT_EQ(degraded["state"], "reloaded");
  EXPECT_EQ(degraded["error"],
            "frontend f0000000-0000-4000-8000-000000000443 (bind 10.47.255.250:443): certificate "
            "crt__default__foo-tls left out: Secret default/foo-tls: secrets \"foo-tls\" not found")
      << degraded.dump();
  EXPECT_EQ(a1_->introspect()["service_instances"][0]["error"], degraded["error"]);
  EXPECT_EQ(https("foo.bar.com")["cn"], "default.example");
  EXPECT_EQ(request("/qa.html").value("status", 0), 200);
  // A new view keeps the error (and acks fine: the view itself was applied).
  bus_.publish("control-node", "xmpp.node-1", view(1, 2, uid_a, tls_haproxy_config()));
  ASSERT_TRUE(bus_.run_until_idle(30s));
  EXPECT_TRUE(recorder_.of("agent.ack", "node-1").back()["ok"].get<bool>());
  EXPECT_EQ(a1_->introspect()["service_instances"][0]["error"], degraded["error"]);

  // It comes back: so does foo's certificate, and the error goes.
  ASSERT_TRUE(store_.create(tls_secret_object("foo-tls", rotated)).is_ok());
  ASSERT_TRUE(bus_.run_until_idle(30s));
  EXPECT_EQ(recorder_.of("agent.haproxy", "node-1").back()["error"], "");
  EXPECT_EQ(https("foo.bar.com")["cn"], "foo.bar.com");
}

TEST_F(AgentTest, StartsHaproxyWithTheFirstFrontendNotBefore) {
  // What svc-monitor publishes before kube-manager's listeners exist: no frontend.
  std::string bare = haproxy_config();
  const size_t from = bare.find("frontend "), to = bare.find("\nbackend p1") + 1;
  bare.erase(from, to - from);
  const std::string uid_a = create_pod("qa-1", "node-1");
  bus_.publish("control-node", "xmpp.node-1", view(1, 1, uid_a, bare));
  ASSERT_TRUE(bus_.run_until_idle(30s));
  auto h = recorder_.of("agent.haproxy", "node-1");
  ASSERT_EQ(h.size(), 1u);
  EXPECT_EQ(h[0]["state"], "waiting") << h[0].dump();
  EXPECT_EQ(h[0]["pid"], 0);
  EXPECT_NE(h[0]["summary"].get<std::string>().find("no frontend yet"), std::string::npos);
  EXPECT_TRUE(recorder_.of("agent.ack", "node-1").back()["ok"].get<bool>());
  // The same view again says nothing new.
  bus_.publish("control-node", "xmpp.node-1", view(1, 2, uid_a, bare));
  ASSERT_TRUE(bus_.run_until_idle(30s));
  EXPECT_EQ(recorder_.of("agent.haproxy", "node-1").size(), 1u);
  // The listeners arrive: one start (no reload), and it serves.
  bus_.publish("control-node", "xmpp.node-1", view(1, 3, uid_a, haproxy_config()));
  ASSERT_TRUE(bus_.run_until_idle(30s));
  h = recorder_.of("agent.haproxy", "node-1");
  ASSERT_EQ(h.size(), 2u);
  EXPECT_EQ(h[1]["state"], "started") << h[1].dump();
  EXPECT_EQ(a1_->introspect()["service_instances"][0]["last_command"], "start");
}

TEST_F(AgentTest, BrokenHaproxyConfigIsReportedUpstream) {
  std::string broken = haproxy_config();
  broken.replace(broken.find("use_backend p1"), 14, "use_backend nosuch");
  bus_.publish("control-node", "xmpp.node-1",
               view(1, 1, "d0000000-0000-4000-8000-000000000001", broken, false));
  ASSERT_TRUE(bus_.run_until_idle(30s));
  auto acks = recorder_.of("agent.ack", "node-1");
  ASSERT_FALSE(acks.empty());
  EXPECT_FALSE(acks.back()["ok"].get<bool>());
  EXPECT_NE(acks.back()["error"].get<std::string>().find("nosuch"), std::string::npos)
      << acks.back()["error"];
  auto h = recorder_.of("agent.haproxy", "node-1");
  ASSERT_FALSE(h.empty());
  EXPECT_EQ(h.back()["state"], "failed");
  EXPECT_NE(h.back()["error"].get<std::string>().find("[ALERT]"), std::string::npos)
      << h.back()["error"];
  EXPECT_EQ(a1_->introspect()["service_instances"][0]["state"], "failed");
  // The same broken text again is not retried, but still reported.
  json again = view(1, 2, "d0000000-0000-4000-8000-000000000001", broken, false);
  bus_.publish("control-node", "xmpp.node-1", again);
  ASSERT_TRUE(bus_.run_until_idle(30s));
  EXPECT_FALSE(recorder_.of("agent.ack", "node-1").back()["ok"].get<bool>());
  EXPECT_EQ(recorder_.of("agent.haproxy", "node-1").size(), h.size());
  // A fixed config starts it.
  bus_.publish("control-node", "xmpp.node-1",
               view(1, 3, "d0000000-0000-4000-8000-000000000001", haproxy_config(), false));
  ASSERT_TRUE(bus_.run_until_idle(30s));
  EXPECT_TRUE(recorder_.of("agent.ack", "node-1").back()["ok"].get<bool>());
  EXPECT_EQ(recorder_.of("agent.haproxy", "node-1").back()["state"], "started");
}

// One agent (node-1) on a deterministic bus, its state in a temporary directory.
class AgentDeterministic : public ::testing::Test {
 protected:
  static std::string make_temp_dir() {
    char dir[] = "/tmp/csim-agent-d-XXXXXX";
    if (!mkdtemp(dir)) ADD_FAILURE() << "mkdtemp: " << std::strerror(errno);
    return dir;
  }
  ~AgentDeterministic() override {
    agent.stop();  // also when a test stopped early: nothing may run after the agent is gone
    bus.run_until_idle();
    std::error_code ec;
    std::filesystem::remove_all(tmpl, ec);
  }

  const std::string tmpl = make_temp_dir();  // before the agent, which keeps its state there
  core::SimulatedClock clock;
  core::Bus bus{clock, core::Bus::Mode::kDeterministic};
  kube::MemoryObjectStore store{bus, clock};
  Dataplane dp;
  Recorder recorder{bus};
  VrouterAgent agent{bus, dp, store,
                     {"node-1", "169.254.1.7", std::string(tmpl) + "/n1", "/proc/self/exe"}};
};

TEST_F(AgentDeterministic, NewerViewsSupersedeQueuedOnes) {
  CSIM_ASSERT_OK(agent.start());
  EXPECT_EQ(dp.node_underlay_ip("node-1")->str(), "169.254.1.7");
  // A second agent on the same state dir is refused.
  VrouterAgent twin(bus, dp, store, {"node-1b", "", std::string(tmpl) + "/n1", "/proc/self/exe"});
  EXPECT_FALSE(twin.start().is_ok());
  bus.run_until_idle();
  bus.publish("control-node", "xmpp.node-1",
              view(1, 1, "d0000000-0000-4000-8000-000000000001", "", false));
  bus.publish("control-node", "xmpp.node-1",
              view(1, 2, "d0000000-0000-4000-8000-000000000001", "", false));
  bus.run_until_idle();
  auto acks = recorder.of("agent.ack", "node-1");
  ASSERT_EQ(acks.size(), 2u);
  EXPECT_EQ(acks[0]["version"], 1);
  EXPECT_NE(acks[0]["summary"].get<std::string>().find("superseded by v2"), std::string::npos);
  EXPECT_EQ(acks[1]["version"], 2);
  EXPECT_TRUE(acks[1]["ok"].get<bool>()) << acks[1]["error"];
  auto info = agent.introspect();
  EXPECT_EQ(info["view_version"], 2);
  EXPECT_EQ(info["not_usable"][0]["why"], "no haproxy_config in the bindings yet");
  // Remote routes went in, through the other node's underlay address from the view.
  auto routes = dp.vrouter_ns("node-1")->rtnl().list_routes();
  CSIM_ASSERT_OK(routes);
  EXPECT_TRUE(std::any_of(routes->begin(), routes->end(), [](const RouteSpec& r) {
    return r.str() == "10.47.255.251/32 via 169.254.1.2 dev vhost0";
  }));
  agent.stop();
  bus.run_until_idle();
  EXPECT_EQ(recorder.of("agent.status", "node-1").back()["state"], "down");
  EXPECT_EQ((*store.get("Node", "", "node-1"))["status"]["conditions"][0]["status"], "Unknown");
  EXPECT_FALSE(dp.vrouter_ns("node-1")) << "the vrouter namespace went with the agent";

  // It can come back (a restarted agent): a new vrouter, Ready again, views applied.
  CSIM_ASSERT_OK(agent.start());
  bus.publish("control-node", "xmpp.node-1",
              view(1, 1, "d0000000-0000-4000-8000-000000000001", "", false));
  bus.run_until_idle();
  EXPECT_EQ(recorder.of("agent.status", "node-1").back()["state"], "up");
  EXPECT_TRUE(recorder.of("agent.ack", "node-1").back()["ok"].get<bool>());
  EXPECT_EQ(agent.introspect()["view_version"], 1);
  EXPECT_EQ((*store.get("Node", "", "node-1"))["status"]["conditions"][0]["status"], "True");
  agent.stop();
  bus.run_until_idle();
}

// Pushes may carry only what changed since the agent's version; one on another version
// is refused, and the agent asks for the whole view (agent.ack resync).
TEST_F(AgentDeterministic, ChangesApplyOnTheirBaseAndAMissingBaseAsksForTheWholeView) {
  CSIM_ASSERT_OK(agent.start());
  bus.run_until_idle();
  const std::string uid = "d0000000-0000-4000-8000-000000000001";
  json whole = view(1, 1, uid, "", false);
  bus.publish("control-node", "xmpp.node-1", whole);
  bus.run_until_idle();
  EXPECT_EQ(agent.introspect()["not_usable"].size(), 1u) << agent.introspect().dump();
  // v2: a change on v1 that removes the service-instance (its haproxy is then not wanted).
  json change = {{"version", 2}, {"base", 1}, {"node", "node-1"}, {"summary", "v2"},
                 {"objects", json::array()}, {"removed", json::array()},
                 {"routes", whole["routes"]}, {"services", whole["services"]},
                 {"floating_ips", whole["floating_ips"]}};
  for (const auto& o : whole["objects"])
    if (o["type"] == "service-instance") change["removed"].push_back(o["uuid"]);
  EXPECT_EQ(change["removed"].size(), 1u);
  bus.publish("control-node", "xmpp.node-1", change);
  bus.run_until_idle();
  auto acks = recorder.of("agent.ack", "node-1");
  EXPECT_EQ(acks.size(), 2u);
  EXPECT_TRUE(acks.back()["ok"].get<bool>()) << acks.back()["error"];
  EXPECT_EQ(agent.introspect()["view_version"], 2);
  EXPECT_EQ(agent.introspect()["not_usable"].size(), 0u) << agent.introspect().dump();
  // v4 on v3, which this agent never got: refused, whole view asked for, nothing changes.
  change["version"] = 4;
  change["base"] = 3;
  bus.publish("control-node", "xmpp.node-1", change);
  bus.run_until_idle();
  acks = recorder.of("agent.ack", "node-1");
  EXPECT_EQ(acks.size(), 3u);
  EXPECT_FALSE(acks.back()["ok"].get<bool>());
  EXPECT_TRUE(acks.back().value("resync", false));
  EXPECT_EQ(acks.back()["error"],
            "view v4 is a change on v3, this agent has v2: needs the whole view");
  EXPECT_EQ(agent.introspect()["view_version"], 2);
  agent.stop();
  bus.run_until_idle();
}

}  // namespace
}  // namespace csim::agent
