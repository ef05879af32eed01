// End to end: `--semantics kubernetes` (and, for contrast, `contrail`) through every module
// to real haproxy in real namespaces. Two Ingresses cover the Kubernetes documentation's
// path table (Exact, Prefix by segments, trailing slashes, longest match, Exact before
// Prefix), ImplementationSpecific, a `*.` wildcard host and an exact host beside it, a
// rule without http, host-less rules, a Host header with a port, a default backend and,
// in the second Ingress, no default backend (404). Every probe request of lint's grid
// (semantics/probes.h) plus the documentation's examples is sent from the external
// client, and the pod that answers must belong to the Service semantics/route.h decides
// (route_kubernetes, or route_contrail for the contrail run), or the status must be its
// 404 (kubernetes) / 503 (contrail). Runs inside csim's sandbox (agent/test_main.cc).
#include <stdlib.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <set>

#include <gtest/gtest.h>

#include "kube/object_store.h"
#include "semantics/ingress_model.h"
#include "semantics/probes.h"
#include "semantics/route.h"
#include "sim/cluster.h"
#include "sim/expectations.h"

namespace csim::e2e {
namespace {

using std::chrono::milliseconds;

std::string self_exe() { return std::filesystem::read_symlink("/proc/self/exe"); }

// One Deployment (1 replica, the echo server) and its Service on port 80.
std::string service_yaml(const std::string& name) {
  return "---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: " + name +
         "\nspec:\n  replicas: 1\n  selector:\n    matchLabels:\n      app: " + name +
         "\n  template:\n    metadata:\n      labels:\n        app: " + name +
         "\n    spec:\n      containers:\n      - name: web\n        image: csim/echo\n"
         "        ports:\n        - containerPort: 8080\n"
         "---\napiVersion: v1\nkind: Service\nmetadata:\n  name: " + name +
         "\nspec:\n  selector:\n    app: " + name + "\n  ports:\n  - port: 80\n    targetPort: 8080\n";
}

// The Kubernetes docs' examples (https://kubernetes.io/docs/concepts/services-networking/ingress/
// "Examples" table), one host per group of rows so that they do not interfere.
const char* kRulesIngress = R"(---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: k8s-rules
spec:
  defaultBackend:
    service: {name: svc-d, port: {number: 80}}
  rules:
  - host: exact.example.com
    http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: svc-a, port: {number: 80}}}}
      - {path: /foo, pathType: Prefix, backend: {service: {name: svc-b, port: {number: 80}}}}
      - {path: /foo, pathType: Exact, backend: {service: {name: svc-c, port: {number: 80}}}}
  - host: prefix.example.com
    http:
      paths:
      - {path: /aaa/bbb/, pathType: Prefix, backend: {service: {name: svc-a, port: {number: 80}}}}
      - {path: /aaa/bb, pathType: Prefix, backend: {service: {name: svc-b, port: {number: 80}}}}
      - {path: /aaa, pathType: Prefix, backend: {service: {name: svc-c, port: {number: 80}}}}
      - {path: /foo/, pathType: Prefix, backend: {service: {name: svc-b, port: {number: 80}}}}
      - {path: /exact/, pathType: Exact, backend: {service: {name: svc-a, port: {number: 80}}}}
  - host: "*.wild.example.com"
    http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: svc-b, port: {number: 80}}}}
      - {path: /is, pathType: ImplementationSpecific, backend: {service: {name: svc-c, port: {number: 80}}}}
  - host: a.wild.example.com
    http:
      paths:
      - {path: /only, pathType: Exact, backend: {service: {name: svc-c, port: {number: 80}}}}
  - host: claimed.example.com
  - http:
      paths:
      - {path: /x, pathType: Exact, backend: {service: {name: svc-a, port: {number: 80}}}}
      - {path: /hostless, pathType: Prefix, backend: {service: {name: svc-c, port: {number: 80}}}}
)";

const char* kNoDefaultIngress = R"(---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: k8s-no-default
spec:
  rules:
  - host: nodefault.example.com
    http:
      paths:
      - {path: /foo, pathType: Prefix, backend: {service: {name: svc-a, port: {number: 80}}}}
  - http:
      paths:
      - {path: /bar, pathType: Exact, backend: {service: {name: svc-b, port: {number: 80}}}}
)";

// Requests the documentation's table names, beyond lint's grid.
const std::vector<semantics::ProbeRequest> kDocProbes = {
    {"exact.example.com", "/foo"},          {"exact.example.com", "/foo/"},
    {"exact.example.com", "/bar"},          {"exact.example.com", "/foobar"},
    {"exact.example.com", "//foo"},         {"exact.example.com", "/foo?x=1"},
    {"exact.example.com:8080", "/foo/bar"}, {"EXACT.example.com", "/foo"},
    {"prefix.example.com", "/aaa/bbb"},     {"prefix.example.com", "/aaa/bbb/"},
    {"prefix.example.com", "/aaa/bbb/ccc"}, {"prefix.example.com", "/aaa/bbbxyz"},
    {"prefix.example.com", "/aaa/ccc"},     {"prefix.example.com", "/ccc"},
    {"prefix.example.com", "/foo"},         {"prefix.example.com", "/foo/"},
    {"prefix.example.com", "/exact"},       {"prefix.example.com", "/exact/"},
    {"b.wild.example.com", "/anything"},    {"b.wild.example.com:80", "/is"},
    {"a.wild.example.com", "/only"},        {"a.wild.example.com", "/anything"},
    {"c.b.wild.example.com", "/x"},         {"wild.example.com", "/x"},
    {"claimed.example.com", "/x"},          {"claimed.example.com:80", "/hostless/y"},
    {"other.example.com", "/x"},            {"other.example.com", "/hostless/y"},
    {"nodefault.example.com", "/foo/x"},    {"nodefault.example.com", "/bar"},
    {"nodefault.example.com:80", "/foo"},   {"other.example.com", "/bar"},
    {"other.example.com", "/nothing"},
};

class SemanticsTest : public ::testing::TestWithParam<const char*> {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/csim-e2e-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    state_dir_ = tmpl;
    sim::ClusterOptions options;
    options.state_dir = state_dir_;
    options.csim_binary = self_exe();  // agent/test_main.cc answers `echo-server`
    options.semantics = GetParam();
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

TEST_P(SemanticsTest, EveryProbeIsAnsweredAsTheReferenceRouterDecides) {
  const bool kubernetes = std::string(GetParam()) == "kubernetes";
  const std::string file = state_dir_ + "/semantics.yaml";
  {
    std::ofstream out(file);
    out << kRulesIngress << kNoDefaultIngress;
    for (const char* svc : {"svc-a", "svc-b", "svc-c", "svc-d"}) out << service_yaml(svc);
  }
  auto applied = cluster_->apply_file(file);
  ASSERT_TRUE(applied.is_ok()) << applied.status().to_string();

  // Both ready before the first probe: no change of the data plane while probing.
  for (const char* name : {"k8s-rules", "k8s-no-default"}) {
    auto ready = cluster_->wait_ingress_ready("default", name, milliseconds(90000));
    ASSERT_TRUE(ready.is_ok()) << name << ": " << ready.to_string();
  }

  std::map<std::string, std::string> service_of_pod;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(240);
  int probed = 0;
  for (const char* name : {"k8s-rules", "k8s-no-default"}) {
    SCOPED_TRACE(std::string("ingress ") + name + ", semantics " + GetParam());
    auto ingress = cluster_->store().get("Ingress", "default", name);
    ASSERT_TRUE(ingress);
    const std::string config = cluster_->faithful_haproxy_config((*ingress)["metadata"]["uid"]);
    // The switch reached svc-monitor: the text is the semantics' own.
    EXPECT_EQ(config.find("req.fhdr(host),field(1,:),lower") != std::string::npos, kubernetes)
        << config;
    EXPECT_EQ(config.find("hdr(host) -i") != std::string::npos, !kubernetes) << config;

    auto addresses = cluster_->ingress_addresses("default", name);
    ASSERT_EQ(addresses.size(), 2u) << "[external IP, VIP]";
    const std::string fip = addresses[0];
    auto services = cluster_->store().list("Service", "default");
    for (const auto& pod : cluster_->store().list("Pod", "default")) {
      auto svc = sim::service_for_labels(services, pod["metadata"]["labels"]);
      ASSERT_TRUE(svc) << pod.dump();
      service_of_pod[pod["metadata"]["name"]] = *svc;
    }

    const semantics::IngressModel model = semantics::ingress_model(*ingress);
    std::vector<semantics::ProbeRequest> probes = semantics::probe_requests(model);
    for (const auto& p : kDocProbes)
      if (std::find(probes.begin(), probes.end(), p) == probes.end()) probes.push_back(p);
    ASSERT_GT(probes.size(), 30u);
    std::set<std::string> answered_by, statuses;
    for (const auto& probe : probes) {
      ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "the time budget ran out";
      // No Host header is not something the client can send: it sends the address instead,
      // which no rule names (as for any request that goes to the IP).
      const std::string host = probe.host.empty() ? fip : probe.host;
      const semantics::RouteDecision d = kubernetes
                                             ? semantics::route_kubernetes(model, host, probe.path)
                                             : semantics::route_contrail(model, host, probe.path);
      SCOPED_TRACE("Host " + host + " path " + probe.path + ": expected " + d.outcome() + " (" +
                   d.why + ")");
      sim::Reply reply = cluster_->request(fip, 80, host, probe.path);
      ++probed;
      ASSERT_TRUE(reply.error.empty()) << reply.error;
      statuses.insert(std::to_string(reply.status));
      if (!d.backend) {
        EXPECT_EQ(reply.status, d.status) << reply.body;
        EXPECT_EQ(reply.status, kubernetes ? 404 : 503);
        continue;
      }
      ASSERT_EQ(reply.status, 200) << reply.body;
      ASSERT_TRUE(reply.echo.is_object()) << reply.body;
      const std::string pod = reply.echo.value("pod", "");
      ASSERT_TRUE(service_of_pod.count(pod)) << "unknown pod " << pod;
      EXPECT_EQ(service_of_pod[pod], d.backend->service) << "answered by " << pod;
      EXPECT_EQ(reply.echo.value("path", ""), probe.path) << "haproxy forwards the target as is";
      EXPECT_EQ(reply.echo.value("host", ""), host);
      answered_by.insert(service_of_pod[pod]);
    }
    // The grid reached every kind of answer, so the assertions above meant something.
    if (std::string(name) == "k8s-rules") {
      EXPECT_EQ(answered_by, (std::set<std::string>{"svc-a", "svc-b", "svc-c", "svc-d"}));
      EXPECT_EQ(statuses, (std::set<std::string>{"200"})) << "a default backend answers the rest";
    } else {
      EXPECT_EQ(answered_by, (std::set<std::string>{"svc-a", "svc-b"}));
      EXPECT_TRUE(statuses.count(kubernetes ? "404" : "503"));
    }
  }
  EXPECT_GT(probed, 300);
  std::cout << probed << " probes answered as route_" << GetParam() << " decides\n";
}

INSTANTIATE_TEST_SUITE_P(Semantics, SemanticsTest, ::testing::Values("kubernetes", "contrail"),
                         [](const auto& info) { return std::string(info.param); });

}  // namespace
}  // namespace csim::e2e
