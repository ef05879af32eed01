// End to end: each of the seed's Ingresses from YAML through every module to real haproxy in
// real namespaces, with real HTTP requests from the external client; asserts which pod
// answered each request. Runs inside csim's sandbox (agent/test_main.cc): whatever a test
// leaves, even when it fails or crashes, dies with it; the tests still check that
// Cluster::stop() itself leaves no namespace and no process.
#include <dirent.h>
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include <gtest/gtest.h>

#include "agent/http_client.h"
#include "agent/netns.h"
#include "controller/config_api.h"
#include "kube/object_store.h"
#include "sim/cluster.h"
#include "sim/expectations.h"

namespace csim::e2e {
namespace {

using std::chrono::milliseconds;

std::string self_exe() { return std::filesystem::read_symlink("/proc/self/exe"); }

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

class SeedIngressTest : public ::testing::TestWithParam<const char*> {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/csim-e2e-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    state_dir_ = tmpl;
    sim::ClusterOptions options;
    options.state_dir = state_dir_;
    options.csim_binary = self_exe();  // agent/test_main.cc answers `echo-server`
    auto cluster = sim::Cluster::start(options);
    ASSERT_TRUE(cluster.is_ok()) << cluster.status().to_string();
    cluster_ = std::move(*cluster);
  }

  void TearDown() override {
    if (cluster_) cluster_->stop();
    std::filesystem::remove_all(state_dir_);
  }

  std::string state_dir_;
  std::unique_ptr<sim::Cluster> cluster_;
};

TEST_P(SeedIngressTest, EveryRequestIsAnsweredByAPodOfTheRightService) {
  const std::string file = std::string("testdata/") + GetParam();
  auto applied = cluster_->apply_file(file);
  ASSERT_TRUE(applied.is_ok()) << applied.status().to_string();
  auto ingresses = cluster_->store().list("Ingress");
  ASSERT_EQ(ingresses.size(), 1u);
  const nlohmann::json ingress = ingresses[0];
  const std::string ns = ingress["metadata"]["namespace"], name = ingress["metadata"]["name"];
  auto ready = cluster_->wait_ingress_ready(ns, name, milliseconds(60000));
  ASSERT_TRUE(ready.is_ok()) << ready.to_string();

  auto addresses = cluster_->ingress_addresses(ns, name);
  ASSERT_EQ(addresses.size(), 2u) << "[external IP, VIP]";
  EXPECT_EQ(addresses[1].rfind("10.47.", 0), 0u) << "the VIP comes from the pod network";

  // Pods by name, with their Service (by selector), to check each echo reply.
  auto services = cluster_->store().list("Service", ns);
  std::map<std::string, std::string> service_of_pod;
  for (const auto& pod : cluster_->store().list("Pod", ns)) {
    auto svc = sim::service_for_labels(services, pod["metadata"]["labels"]);
    ASSERT_TRUE(svc) << pod.dump();
    service_of_pod[pod["metadata"]["name"]] = *svc;
  }

  auto cases = sim::expected_cases(ingress);
  ASSERT_GE(cases.size(), 2u);
  for (const auto& c : cases) {
    SCOPED_TRACE("Host " + c.host + " path " + c.path + " (" + c.why + ")");
    std::set<std::string> pods;
    for (int i = 0; i < 8; ++i) {
      sim::Reply reply = cluster_->request(addresses[0], 80, c.host.empty() ? addresses[0] : c.host, c.path);
      ASSERT_TRUE(reply.error.empty()) << reply.error;
      if (!c.service) {
        EXPECT_EQ(reply.status, 503) << reply.body;
        continue;
      }
      ASSERT_EQ(reply.status, 200) << reply.body;
      ASSERT_TRUE(reply.echo.is_object()) << reply.body;
      const std::string pod = reply.echo.value("pod", "");
      ASSERT_TRUE(service_of_pod.count(pod)) << "unknown pod " << pod;
      EXPECT_EQ(service_of_pod[pod], *c.service) << "answered by " << pod;
      EXPECT_EQ(reply.echo.value("path", ""), c.path);
      EXPECT_EQ(reply.echo.value("namespace", ""), ns);
      pods.insert(pod);
    }
  }

  // Each Service's clusterIP spreads new connections over all its ready pods (haproxy may
  // reuse one server connection, so this is checked from a pod, one connection a request).
  const std::string client_pod = service_of_pod.begin()->first;
  for (const auto& svc : services) {
    const std::string svc_name = svc["metadata"]["name"];
    const std::string cluster_ip = svc["spec"]["clusterIP"];
    const int port = svc["spec"]["ports"][0]["port"];
    std::set<std::string> pods;
    for (int i = 0; i < 8; ++i) {
      auto r = agent::http_request_in_netns("csim-pod-" + ns + "." + client_pod, cluster_ip, port, "GET",
                                            cluster_ip, "/", milliseconds(10000));
      ASSERT_TRUE(r.is_ok()) << svc_name << ": " << r.status().message();
      auto echo = nlohmann::json::parse(r->body, nullptr, false);
      ASSERT_TRUE(echo.is_object()) << r->body;
      pods.insert(echo.value("pod", ""));
    }
    size_t replicas = 0;
    for (const auto& [pod, s] : service_of_pod) {
      replicas += s == svc_name;
      if (s != svc_name) {
        EXPECT_EQ(pods.count(pod), 0u) << pod << " answered for " << svc_name;
      }
    }
    EXPECT_EQ(pods.size(), replicas) << "8 connections to " << svc_name << " " << cluster_ip
                                     << " should reach each of its pods";
  }

  // Stopping the cluster leaves nothing: no namespace, no haproxy, no echo server.
  cluster_->stop();
  EXPECT_TRUE(agent::list_netns().empty());
  auto left = process_names();
  EXPECT_EQ(left.count("haproxy"), 0u);
  for (const auto& p : left) EXPECT_EQ(p.find("echo"), std::string::npos) << p;
}

INSTANTIATE_TEST_SUITE_P(Seed, SeedIngressTest,
                         ::testing::Values("simple-fanout.yaml", "single-service.yaml",
                                           "virtual-host.yaml", "simple-fanout-external-ip.yaml"),
                         [](const auto& info) {
                           std::string n = info.param;
                           n = n.substr(0, n.find('.'));
                           for (char& ch : n)
                             if (ch == '-') ch = '_';
                           return n;
                         });

TEST(ExternalIpTest, TheAnnotatedAddressIsTheOneServed) {
  char tmpl[] = "/tmp/csim-e2e-XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  sim::ClusterOptions options;
  options.state_dir = tmpl;
  options.csim_binary = self_exe();
  auto cluster = sim::Cluster::start(options);
  ASSERT_TRUE(cluster.is_ok()) << cluster.status().to_string();
  ASSERT_TRUE((*cluster)->apply_file("testdata/simple-fanout-external-ip.yaml").is_ok());
  ASSERT_TRUE((*cluster)->wait_ingress_ready("default", "simple-fanout", milliseconds(60000)).is_ok());
  auto addresses = (*cluster)->ingress_addresses("default", "simple-fanout");
  ASSERT_FALSE(addresses.empty());
  EXPECT_EQ(addresses[0], "10.84.59.22");
  sim::Reply reply = (*cluster)->request("10.84.59.22", 80, "10.84.59.22", "/qa.html");
  EXPECT_EQ(reply.status, 200) << reply.error << reply.body;
  (*cluster)->stop();
  std::filesystem::remove_all(tmpl);
}

TEST(DeleteTest, AfterDeleteTheExternalIpNoLongerAnswersAndEverythingIsGone) {
  char tmpl[] = "/tmp/csim-e2e-XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  sim::ClusterOptions options;
  options.state_dir = tmpl;
  options.csim_binary = self_exe();
  auto started = sim::Cluster::start(options);
  ASSERT_TRUE(started.is_ok()) << started.status().to_string();
  sim::Cluster& cluster = **started;
  ASSERT_TRUE(cluster.apply_file("testdata/simple-fanout.yaml").is_ok());
  ASSERT_TRUE(cluster.wait_ingress_ready("default", "simple-fanout", milliseconds(60000)).is_ok());
  const std::string fip = cluster.ingress_addresses("default", "simple-fanout")[0];
  ASSERT_EQ(cluster.request(fip, 80, fip, "/qa.html").status, 200);

  ASSERT_TRUE(cluster.delete_file("testdata/simple-fanout.yaml").is_ok());
  ASSERT_TRUE(cluster.bus().run_until_idle(std::chrono::seconds(30)));
  // Bounded wait for the data plane to drop the Ingress.
  bool gone = false;
  for (int i = 0; i < 200 && !gone; ++i) {
    sim::Reply r = cluster.request(fip, 80, fip, "/qa.html", milliseconds(300));
    gone = r.status != 200;
    if (!gone) usleep(25000);
  }
  EXPECT_TRUE(gone) << "the external IP still answers after kubectl delete";
  EXPECT_TRUE(cluster.config().list("service-instance").empty());
  EXPECT_TRUE(cluster.config().list("floating-ip").empty());
  // Only the agents' vrouter namespaces and the fabric remain.
  for (const auto& ns : agent::list_netns())
    EXPECT_TRUE(ns.rfind("csim-vr-", 0) == 0 || ns == "csim-gw" || ns == "csim-ext") << ns;
  cluster.stop();
  std::filesystem::remove_all(tmpl);
}

}  // namespace
}  // namespace csim::e2e
