#include "svcmon/haproxy_config.h"

#include <gtest/gtest.h>

#include "svcmon/kubernetes_routing.h"

#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

namespace csim::svcmon {
namespace {

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in.good()) << "cannot open " << path;
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// testdata/<name>.json: the renderer input in a readable form.
HaproxyLoadbalancer load_input(const std::string& name) {
  auto j = nlohmann::json::parse(read_file("svcmon/testdata/" + name + ".json"));
  HaproxyLoadbalancer lb;
  lb.uuid = j.at("uuid");
  lb.vip_address = j.at("vip_address");
  lb.merge_listeners_by_port = j.value("merge_listeners_by_port", true);
  for (const auto& l : j.at("listeners")) {
    HaproxyListener x;
    x.uuid = l.at("uuid");
    x.protocol = l.at("protocol");
    x.protocol_port = l.at("protocol_port");
    x.admin_state = l.value("admin_state", true);
    x.default_tls_container = l.value("default_tls_container", "");
    x.sni_containers = l.value("sni_containers", std::vector<std::string>{});
    lb.listeners.push_back(x);
  }
  for (const auto& p : j.at("pools")) {
    HaproxyPool x;
    x.uuid = p.at("uuid");
    x.listener_uuid = p.at("listener");
    x.protocol = p.at("protocol");
    x.method = p.at("method");
    x.admin_state = p.value("admin_state", true);
    x.annotations = p.value("annotations", std::map<std::string, std::string>{});
    lb.pools.push_back(x);
  }
  for (const auto& m : j.at("members")) {
    HaproxyMember x;
    x.uuid = m.at("uuid");
    x.pool_uuid = m.at("pool");
    x.address = m.at("address");
    x.protocol_port = m.at("protocol_port");
    x.weight = m.value("weight", 1);
    x.admin_state = m.value("admin_state", true);
    lb.members.push_back(x);
  }
  return lb;
}

// Compares with testdata/<golden>; on a difference the text rendered is left in the test's
// undeclared outputs (bazel-testlogs/.../test.outputs) to review and copy.
void expect_golden(const std::string& text, const std::string& golden) {
  const std::string want = read_file("svcmon/testdata/" + golden);
  EXPECT_EQ(text, want) << golden;
  if (text == want) return;
  if (const char* dir = std::getenv("TEST_UNDECLARED_OUTPUTS_DIR")) {
    std::ofstream out(std::string(dir) + "/" + golden, std::ios::binary);
    out << text;
  }
}

std::string param_name(const ::testing::TestParamInfo<std::string>& info) {
  std::string n = info.param;
  for (char& c : n)
    if (c == '-') c = '_';
  return n;
}

class GoldenTest : public ::testing::TestWithParam<std::string> {};

TEST_P(GoldenTest, RendersExactlyTheGoldenText) {
  auto text = render_haproxy_config(load_input(GetParam()));
  ASSERT_TRUE(text.is_ok()) << text.status().to_string();
  expect_golden(*text, GetParam() + ".cfg");
}

INSTANTIATE_TEST_SUITE_P(Haproxy, GoldenTest,
                         ::testing::Values("reference-3-5", "simple-fanout", "virtual-host",
                                           "single-service", "host-path", "member-admin-down",
                                           "tls-443", "kubernetes-rules", "missing-service",
                                           "no-listeners"),
                         param_name);

// The same inputs with `--semantics kubernetes`: testdata/<name>.kubernetes.cfg.
class KubernetesGoldenTest : public ::testing::TestWithParam<std::string> {};

TEST_P(KubernetesGoldenTest, RendersExactlyTheGoldenText) {
  HaproxyLoadbalancer lb = load_input(GetParam());
  lb.semantics = RoutingSemantics::kKubernetes;
  auto text = render_haproxy_config(lb);
  ASSERT_TRUE(text.is_ok()) << text.status().to_string();
  expect_golden(*text, GetParam() + ".kubernetes.cfg");
  // Global, defaults and the pools' backends are the same text in both semantics.
  lb.semantics = RoutingSemantics::kContrail;
  const std::string contrail = *render_haproxy_config(lb);
  EXPECT_EQ(text->substr(0, text->find("frontend ")), contrail.substr(0, contrail.find("frontend ")));
  const std::string pool_backends = contrail.substr(contrail.find("\nbackend ") + 1);
  EXPECT_NE(text->find(pool_backends.substr(0, pool_backends.size() - 1)), std::string::npos)
      << "the pools' backends, in the same order";
}

INSTANTIATE_TEST_SUITE_P(Haproxy, KubernetesGoldenTest,
                         ::testing::Values("reference-3-5", "simple-fanout", "virtual-host",
                                           "single-service", "host-path", "member-admin-down",
                                           "kubernetes-rules", "tls-443", "missing-service"),
                         param_name);

// A small LB: one HTTP listener per rule, all on port 80.
HaproxyLoadbalancer two_rules() {
  HaproxyLoadbalancer lb;
  lb.uuid = "lb1";
  lb.vip_address = "10.47.255.252";
  lb.listeners = {{"L-b", "HTTP", 80}, {"L-a", "HTTP", 80}};
  lb.pools = {{"P-b",
               "L-b",
               "HTTP",
               "ROUND_ROBIN",
               true,
               {{"type", "acl"}, {"path", "/b"}, {"index", "0"}}},
              {"P-a",
               "L-a",
               "HTTP",
               "ROUND_ROBIN",
               true,
               {{"type", "acl"}, {"path", "/a"}, {"index", "1"}}}};
  lb.members = {{"M-b", "P-b", "10.96.0.2", 80}, {"M-a", "P-a", "10.96.0.1", 80}};
  return lb;
}

TEST(HaproxyConfig, GoldenMatchesTheReferenceExcerptLines) {
  // Spot checks against the lines quoted in contrail-reference.md §3.5, independent of the golden.
  std::string text = *render_haproxy_config(load_input("reference-3-5"));
  EXPECT_NE(text.find("frontend L1\n\toption tcplog\n\tbind 10.47.255.248:80 \n\tmode http\n"),
            std::string::npos);
  EXPECT_NE(text.find("\tuse_backend P1 if P1_host P1_path\n\t\n\n\tacl P2_path path /b\n"),
            std::string::npos);
  EXPECT_NE(text.find("\tuse_backend P2 if  P2_path\n"), std::string::npos);
  EXPECT_NE(text.find("\tuse_backend P3 if P3_host \n"), std::string::npos);
  EXPECT_NE(text.find("\tdefault_backend P4\n\t\nfrontend L5\n"), std::string::npos);
  EXPECT_NE(text.find("\tbind 10.47.255.248:443 ssl crt__default__secret1 no-sslv3\n"),
            std::string::npos);
  EXPECT_NE(text.find("\tdefault_backend P5\n\t\n\nbackend P1\n"), std::string::npos);
  EXPECT_EQ(text.substr(text.size() - 2), "\n\n");
}

TEST(HaproxyConfig, SpecOrderNamesTheFrontendAndOrdersRulesAndBackends) {
  std::string text = *render_haproxy_config(two_rules());
  // P-b has index 0: its listener names the frontend although "L-a" < "L-b".
  EXPECT_NE(text.find("frontend L-b\n"), std::string::npos);
  EXPECT_EQ(text.find("frontend L-a"), std::string::npos);
  EXPECT_LT(text.find("use_backend P-b"), text.find("use_backend P-a"));
  EXPECT_LT(text.find("backend P-b\n"), text.find("backend P-a\n"));
  // Independent of the order the input lists them in.
  auto lb = two_rules();
  std::swap(lb.pools[0], lb.pools[1]);
  std::swap(lb.listeners[0], lb.listeners[1]);
  EXPECT_EQ(*render_haproxy_config(lb), text);
}

TEST(HaproxyConfig, TlsBindServesTheDefaultCertificateFirstAndEachCertificateOnce) {
  // Spec order: two SNI copies of host foo (paths /b and /a), then a path copy with the
  // default certificate ("ALL"). Contrail would take only the first listener's default
  // (none here), so the default certificate would never be served.
  auto lb = two_rules();
  for (auto& l : lb.listeners) {
    l.protocol = "TERMINATED_HTTPS";
    l.protocol_port = 443;
    l.sni_containers = {"ns__foo"};
  }
  lb.listeners.push_back({"L-c", "TERMINATED_HTTPS", 443});
  lb.listeners.back().default_tls_container = "ns__wild";
  lb.pools.push_back({"P-c", "L-c", "HTTP", "ROUND_ROBIN", true,
                      {{"type", "acl"}, {"path", "/c"}, {"index", "2"}}});
  std::string text = *render_haproxy_config(lb);
  EXPECT_NE(text.find("\tbind 10.47.255.252:443 ssl crt__ns__wild crt__ns__foo no-sslv3\n"),
            std::string::npos)
      << text;
}

TEST(HaproxyConfig, PoolsWithoutIndexComeLastByUuid) {
  auto lb = two_rules();
  lb.listeners.push_back({"L-c", "HTTP", 80});
  lb.listeners.push_back({"L-0", "HTTP", 80});
  lb.pools.push_back(
      {"P-z", "L-c", "HTTP", "ROUND_ROBIN", true, {{"type", "acl"}, {"path", "/z"}}});
  lb.pools.push_back(
      {"P-y", "L-0", "HTTP", "ROUND_ROBIN", true, {{"type", "acl"}, {"path", "/y"}}});
  std::string text = *render_haproxy_config(lb);
  size_t b = text.find("use_backend P-b"), a = text.find("use_backend P-a");
  size_t y = text.find("use_backend P-y"), z = text.find("use_backend P-z");
  EXPECT_LT(b, a);
  EXPECT_LT(a, y);
  EXPECT_LT(y, z);
  EXPECT_NE(text.find("frontend L-b\n"), std::string::npos);
}

TEST(HaproxyConfig, WithoutMergeEachListenerIsAFrontend) {
  auto lb = two_rules();
  lb.merge_listeners_by_port = false;
  auto counts = count_sections(*render_haproxy_config(lb));
  EXPECT_EQ(counts.frontends, 2);
  EXPECT_EQ(counts.backends, 2);
  lb.merge_listeners_by_port = true;
  counts = count_sections(*render_haproxy_config(lb));
  EXPECT_EQ(counts.frontends, 1);
  EXPECT_EQ(counts.backends, 2);
}

TEST(HaproxyConfig, DisabledListenerAndPoolAreSkipped) {
  auto lb = two_rules();
  lb.pools[1].admin_state = false;  // P-a
  std::string text = *render_haproxy_config(lb);
  EXPECT_EQ(text.find("P-a"), std::string::npos);
  lb = two_rules();
  lb.listeners[0].admin_state = false;  // L-b: P-b has no enabled listener, L-a names the frontend
  text = *render_haproxy_config(lb);
  EXPECT_EQ(text.find("P-b"), std::string::npos);
  EXPECT_NE(text.find("frontend L-a\n"), std::string::npos);
}

TEST(HaproxyConfig, FrontendWithoutEnabledPoolsStillEndsItsLine) {
  auto lb = two_rules();
  lb.listeners.push_back({"L-443", "HTTP", 443});
  lb.listeners.push_back({"L-444", "HTTP", 444});
  std::string text = *render_haproxy_config(lb);
  EXPECT_NE(text.find("\toption forwardfor\nfrontend L-444\n"), std::string::npos) << text;
  EXPECT_EQ(count_sections(text).frontends, 3);
}

TEST(HaproxyConfig, NoListenersGivesGlobalsAndDefaultsOnly) {
  HaproxyLoadbalancer lb;
  lb.uuid = "lb1";
  lb.vip_address = "10.47.255.252";
  std::string text = *render_haproxy_config(lb);
  EXPECT_EQ(text.substr(text.size() - 26), "\n\ttimeout server 300000\n\n\n");
  EXPECT_EQ(count_sections(text).frontends, 0);
}

TEST(HaproxyConfig, KubernetesAnswers404ForAnIngressWithoutListeners) {
  HaproxyLoadbalancer lb = load_input("no-listeners");
  lb.semantics = RoutingSemantics::kKubernetes;
  auto text = render_haproxy_config(lb);
  ASSERT_TRUE(text.is_ok()) << text.status().to_string();
  expect_golden(*text, "no-listeners.kubernetes.cfg");
  EXPECT_NE(text->find("frontend " + std::string(kNoRulesFrontend) +
                       "\n\toption tcplog\n\tbind 10.47.255.244:80 \n"),
            std::string::npos);
  EXPECT_NE(text->find("\tdefault_backend no-match-404\n"), std::string::npos);
  // Only Ingress loadbalancers (merged listeners) get it; and only when nothing listens.
  lb.merge_listeners_by_port = false;
  EXPECT_EQ(count_sections(*render_haproxy_config(lb)).frontends, 0);
  lb = two_rules();
  lb.semantics = RoutingSemantics::kKubernetes;
  EXPECT_EQ(render_haproxy_config(lb)->find(kNoRulesFrontend), std::string::npos);
  // Every listener disabled: nothing listens otherwise, so the 404 frontend does.
  for (auto& l : lb.listeners) l.admin_state = false;
  EXPECT_NE(render_haproxy_config(lb)->find(kNoRulesFrontend), std::string::npos);
}

TEST(HaproxyConfig, UnavailableBackendsRouteTo503InKubernetesAndAreHiddenFromContrail) {
  HaproxyLoadbalancer lb = load_input("missing-service");
  auto contrail = render_haproxy_config(lb);
  ASSERT_TRUE(contrail.is_ok());
  for (const char* gone : {"P2", "P3", "L2", "L3"})
    EXPECT_EQ(contrail->find(gone), std::string::npos) << gone;
  lb.semantics = RoutingSemantics::kKubernetes;
  auto k8s = render_haproxy_config(lb);
  ASSERT_TRUE(k8s.is_ok());
  // Routed like any rule (no fall-through), to a backend without server: haproxy's 503.
  EXPECT_NE(k8s->find("\tuse_backend P3 if P3_host\n"), std::string::npos);
  EXPECT_NE(k8s->find("backend P3\n\tmode http\n\tbalance roundrobin\n\toption forwardfor\n\n"),
            std::string::npos);
  // A listener with an unavailable pool and an available one stays under Contrail.
  lb = load_input("missing-service");
  lb.pools[1].listener_uuid = "L1";
  contrail = render_haproxy_config(lb);
  EXPECT_NE(contrail->find("frontend L1\n"), std::string::npos);
  EXPECT_EQ(contrail->find("P2"), std::string::npos);
}

TEST(HaproxyConfig, RuleWithNeitherHostNorPathKeepsContrailsEmptyCondition) {
  auto lb = two_rules();
  lb.pools[0].annotations = {{"type", "acl"}, {"index", "0"}};
  std::string text = *render_haproxy_config(lb);
  EXPECT_NE(text.find("\tuse_backend P-b if  \n"), std::string::npos);
}

TEST(HaproxyConfig, PoolWithoutAnnotationsIsTheDefaultBackend) {
  auto lb = two_rules();
  lb.pools[0].annotations.clear();
  std::string text = *render_haproxy_config(lb);
  EXPECT_NE(text.find("\tdefault_backend P-b\n"), std::string::npos);
}

TEST(HaproxyConfig, StateDirAndConnectionLimitAppear) {
  auto lb = two_rules();
  lb.state_dir = "/tmp/csim-state";
  lb.listeners[0].connection_limit = 500;
  std::string text = *render_haproxy_config(lb);
  EXPECT_NE(text.find("\tstats socket /tmp/csim-state/loadbalancer/haproxy/lb1/haproxy.sock mode "
                      "0666 level user\n"),
            std::string::npos);
  EXPECT_NE(text.find("\tmode http\n\tmaxconn 500\n\toption forwardfor\n"), std::string::npos);
}

TEST(HaproxyConfig, ModesAndMethods) {
  auto lb = two_rules();
  lb.listeners[0].protocol = "TCP";
  lb.pools[0].protocol = "TCP";
  lb.pools[0].method = "LEAST_CONNECTIONS";
  lb.pools[1].method = "SOURCE_IP";
  std::string text = *render_haproxy_config(lb);
  EXPECT_NE(text.find("frontend L-b\n\toption tcplog\n\tbind 10.47.255.252:80 \n\tmode tcp\n\tacl"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("backend P-b\n\tmode tcp\n\tbalance leastconn\n\tserver"), std::string::npos);
  EXPECT_NE(text.find("backend P-a\n\tmode http\n\tbalance source\n\toption forwardfor\n"),
            std::string::npos);
}

TEST(HaproxyConfig, CustomAttributes) {
  auto lb = two_rules();
  lb.pools[0].custom_attributes = {{"max_conn", "1000"},
                                   {"client_timeout", "60000"},
                                   {"tune_http_max_header", "64"},
                                   {"rate_limit_sessions", "10"},
                                   {"http_server_close", "False"}};
  lb.pools[1].custom_attributes = {{"max_conn", "2000"}, {"max_conn_rate", "50"}};
  std::string text = *render_haproxy_config(lb);
  EXPECT_NE(text.find("\tmaxconn 2000\n\tstats socket"), std::string::npos) << text;
  EXPECT_NE(text.find("level user\n\ttune.http.maxhdr 64\n\tmaxconnrate 50\n\ndefaults\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("\ttimeout client 60000\n"), std::string::npos);
  EXPECT_NE(text.find("\tuse_backend P-b if  P-b_path\n\trate-limit sessions 10\n\tno option "
                      "http-server-close\n\t\n"),
            std::string::npos)
      << text;
}

TEST(HaproxyConfig, BadCustomAttributesAreRefused) {
  auto lb = two_rules();
  lb.pools[0].custom_attributes = {{"max_conn", "65535"}};
  auto r = render_haproxy_config(lb);
  ASSERT_FALSE(r.is_ok());
  EXPECT_NE(r.status().message().find(
                "loadbalancer-pool P-b: loadbalancer_pool_custom_attributes.max_conn"),
            std::string::npos)
      << r.status().message();
  lb.pools[0].custom_attributes = {{"frobnicate", "1"}};
  EXPECT_FALSE(render_haproxy_config(lb).is_ok());
  lb.pools[0].custom_attributes = {{"ssl_ciphers", "A B"}};
  EXPECT_FALSE(render_haproxy_config(lb).is_ok());
  lb.pools[0].custom_attributes = {{"http_server_close", "yes"}};
  EXPECT_FALSE(render_haproxy_config(lb).is_ok());
}

TEST(HaproxyConfig, NeedsReloadWhenTextDiffers) {
  EXPECT_FALSE(needs_reload("a\n", "a\n"));
  EXPECT_TRUE(needs_reload("a\n", "b\n"));
}

TEST(HaproxyConfig, CountSections) {
  auto counts = count_sections(*render_haproxy_config(load_input("reference-3-5")));
  EXPECT_EQ(counts.frontends, 2);
  EXPECT_EQ(counts.backends, 5);
}

// ---- the kubernetes semantics ----

TEST(HaproxyConfig, SemanticsNames) {
  EXPECT_EQ(parse_routing_semantics("contrail"), RoutingSemantics::kContrail);
  EXPECT_EQ(parse_routing_semantics("kubernetes"), RoutingSemantics::kKubernetes);
  EXPECT_FALSE(parse_routing_semantics("Kubernetes"));
  EXPECT_FALSE(parse_routing_semantics(""));
  EXPECT_STREQ(routing_semantics_name(RoutingSemantics::kKubernetes), "kubernetes");
  EXPECT_STREQ(routing_semantics_name(RoutingSemantics::kContrail), "contrail");
}

TEST(HaproxyConfig, KubernetesReadsAnEmptyPathAsNoPathContrailRefusesIt) {
  auto lb = two_rules();
  lb.pools[0].annotations = {{"type", "acl"}, {"host", "a.com"}, {"path", ""}, {"index", "0"}};
  EXPECT_FALSE(render_haproxy_config(lb).is_ok());
  lb.semantics = RoutingSemantics::kKubernetes;
  auto text = render_haproxy_config(lb);
  ASSERT_TRUE(text.is_ok()) << text.status().to_string();
  EXPECT_NE(text->find("\tuse_backend P-b if P-b_host\n"), std::string::npos) << *text;
  EXPECT_EQ(text->find("P-b_path"), std::string::npos);
}

TEST(HaproxyConfig, KubernetesFrontendAttributesFollowTheRouting) {
  auto lb = two_rules();
  lb.semantics = RoutingSemantics::kKubernetes;
  lb.pools[0].custom_attributes = {{"rate_limit_sessions", "10"}};
  lb.pools[1].custom_attributes = {{"http_server_close", "True"}};
  std::string text = *render_haproxy_config(lb);
  EXPECT_NE(text.find("\tdefault_backend no-match-404\n\trate-limit sessions 10\n\toption "
                      "http-server-close\n\nbackend P-b\n"),
            std::string::npos)
      << text;
}

TEST(HaproxyConfig, KubernetesLeavesTcpFrontendsAsContrailRendersThem) {
  auto lb = two_rules();
  lb.semantics = RoutingSemantics::kKubernetes;
  lb.listeners[0].protocol = "TCP";
  lb.listeners[1].protocol_port = 81;
  std::string text = *render_haproxy_config(lb);
  EXPECT_NE(text.find("frontend L-b\n\toption tcplog\n\tbind 10.47.255.252:80 \n\tmode tcp\n\tacl "
                      "P-b_path path /b\n\tuse_backend P-b if  P-b_path\n\t\n\nfrontend L-a\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("\tacl P-a_path path /a\n\tuse_backend P-a if P-a_path\n\tdefault_backend "
                      "no-match-404\n\nbackend P-b\n"),
            std::string::npos)
      << text;
  EXPECT_EQ(count_sections(text).backends, 3);
}

TEST(HaproxyConfig, KubernetesIgnoredByContrail) {
  // pathType and claimed_hosts never change Contrail's text, whatever they hold.
  auto lb = two_rules();
  const std::string before = *render_haproxy_config(lb);
  lb.pools[0].annotations["pathType"] = "Prefix";
  lb.pools[0].annotations["claimed_hosts"] = "x.com:80,-y";
  EXPECT_EQ(*render_haproxy_config(lb), before);
  lb.semantics = RoutingSemantics::kKubernetes;
  EXPECT_FALSE(render_haproxy_config(lb).is_ok()) << "but kubernetes reads claimed_hosts";
}

TEST(HaproxyConfig, KubernetesRefusesWhatItCannotRoute) {
  struct Case {
    std::function<void(HaproxyLoadbalancer&)> mutate;
    const char* expected;
  } cases[] = {
      {[](auto& lb) { lb.pools[0].annotations["host"] = "foo.com:80"; },
       "loadbalancer-pool P-b: annotations.host \"foo.com:80\" cannot be routed by the kubernetes "
       "semantics (has a ':' (an Ingress host has no port))"},
      {[](auto& lb) { lb.pools[0].annotations["host"] = "-i"; }, "(starts with '-')"},
      {[](auto& lb) { lb.pools[0].annotations["host"] = "a b"; },
       "annotations.host \"a b\" is not a single safe token (contains whitespace)"},
      {[](auto& lb) { lb.pools[1].annotations["path"] = "a"; },
       "loadbalancer-pool P-a: annotations.path \"a\" cannot be routed by the kubernetes semantics "
       "(does not start with '/')"},
      {[](auto& lb) { lb.pools[1].annotations["path"] = "/a'b"; }, "(contains a quote)"},
      {[](auto& lb) { lb.pools[1].annotations["path"] = "/a\\b"; }, "(contains a backslash)"},
      {[](auto& lb) { lb.pools[1].annotations["claimed_hosts"] = "a.com,,b.com"; },
       "annotations.claimed_hosts[1] \"\" is not a single safe token (is empty)"},
      {[](auto& lb) { lb.pools[1].annotations["claimed_hosts"] = "a.com,b.com:8080"; },
       "annotations.claimed_hosts[1] \"b.com:8080\" cannot be routed"},
      {[](auto& lb) { lb.pools[1].annotations["claimed_hosts"] = "a.com b.com"; },
       "annotations.claimed_hosts \"a.com b.com\" is not a single safe token"},
      {[](auto& lb) { lb.pools[1].uuid = kNoMatchBackend; lb.members[1].pool_uuid = kNoMatchBackend; },
       "loadbalancer-pool no-match-404: the name \"no-match-404\" is the kubernetes semantics' "
       "no-match backend"},
  };
  for (const auto& c : cases) {
    auto lb = two_rules();
    lb.semantics = RoutingSemantics::kKubernetes;
    c.mutate(lb);
    auto r = render_haproxy_config(lb);
    ASSERT_FALSE(r.is_ok()) << c.expected;
    EXPECT_EQ(r.status().code(), core::Code::kInvalid);
    EXPECT_NE(r.status().message().find(c.expected), std::string::npos) << r.status().message();
  }
}

// ---- refusals: every value that reaches the text must be one safe token ----

struct Refusal {
  const char* name;
  std::function<void(HaproxyLoadbalancer&)> mutate;
  const char* expected;  // substring of the error message
};

class RefusalTest : public ::testing::TestWithParam<Refusal> {};

TEST_P(RefusalTest, IsRefusedNamingObjectAndField) {
  auto lb = two_rules();
  GetParam().mutate(lb);
  auto r = render_haproxy_config(lb);
  ASSERT_FALSE(r.is_ok());
  EXPECT_EQ(r.status().code(), core::Code::kInvalid);
  EXPECT_NE(r.status().message().find(GetParam().expected), std::string::npos)
      << r.status().message();
}

INSTANTIATE_TEST_SUITE_P(
    Haproxy, RefusalTest,
    ::testing::Values(
        Refusal{
            "HostWithSpace", [](auto& lb) { lb.pools[0].annotations["host"] = "a.com b.com"; },
            "loadbalancer-pool P-b: annotations.host \"a.com b.com\" is not a single safe token "
            "(contains whitespace)"},
        Refusal{"HostWithNewline",
                [](auto& lb) { lb.pools[0].annotations["host"] = "a.com\n\tuse_backend x"; },
                "loadbalancer-pool P-b: annotations.host"},
        Refusal{"PathWithHash", [](auto& lb) { lb.pools[1].annotations["path"] = "/a#b"; },
                "loadbalancer-pool P-a: annotations.path \"/a#b\" is not a single safe token "
                "(contains '#')"},
        Refusal{"PathWithQuote", [](auto& lb) { lb.pools[1].annotations["path"] = "/a\"b"; },
                "(contains a quote)"},
        Refusal{"PathWithBackslash", [](auto& lb) { lb.pools[1].annotations["path"] = "/a\\b"; },
                "(contains a backslash)"},
        Refusal{"EmptyHost", [](auto& lb) { lb.pools[0].annotations["host"] = ""; },
                "annotations.host \"\" is not a single safe token (is empty)"},
        Refusal{"ControlChar", [](auto& lb) { lb.pools[0].annotations["path"] = "/a\x01"; },
                "(contains a control character)"},
        Refusal{"PoolUuidWithSlash", [](auto& lb) { lb.pools[0].uuid = "../x"; },
                "loadbalancer-pool: uuid \"../x\" is not a single safe token (contains '/')"},
        Refusal{"LbUuidWithSpace", [](auto& lb) { lb.uuid = "lb 1"; }, "loadbalancer: uuid"},
        Refusal{"LbUuidDotDot", [](auto& lb) { lb.uuid = ".."; },
                "loadbalancer: uuid \"..\" is not a uuid"},
        Refusal{"ListenerUuidEmpty", [](auto& lb) { lb.listeners[0].uuid = ""; },
                "loadbalancer-listener: uuid \"\" is not a single safe token (is empty)"},
        Refusal{"MemberUuidWithHash", [](auto& lb) { lb.members[0].uuid = "m#1"; },
                "loadbalancer-member: uuid"},
        Refusal{
            "MemberAddressNotIp", [](auto& lb) { lb.members[0].address = "backend.local"; },
            "loadbalancer-member M-b: address \"backend.local\" is not an IPv4 or IPv6 address"},
        Refusal{"MemberAddressWithSpace", [](auto& lb) { lb.members[1].address = "10.0.0.1 x"; },
                "loadbalancer-member M-a: address"},
        Refusal{"VipNotIp", [](auto& lb) { lb.vip_address = "10.47.255"; },
                "loadbalancer lb1: loadbalancer_properties.vip_address"},
        Refusal{"MemberPort", [](auto& lb) { lb.members[0].protocol_port = 0; },
                "loadbalancer-member M-b: protocol_port 0 is not a port"},
        Refusal{"ListenerPort", [](auto& lb) { lb.listeners[0].protocol_port = 70000; },
                "loadbalancer-listener L-b: protocol_port 70000 is not a port"},
        Refusal{"ListenerProtocol", [](auto& lb) { lb.listeners[0].protocol = "UDP"; },
                "loadbalancer-listener L-b: protocol \"UDP\""},
        Refusal{"PoolMethod", [](auto& lb) { lb.pools[0].method = ""; },
                "loadbalancer-pool P-b: loadbalancer_method \"\""},
        Refusal{"Index", [](auto& lb) { lb.pools[0].annotations["index"] = "-1"; },
                "loadbalancer-pool P-b: annotations.index \"-1\""},
        Refusal{"TlsContainer",
                [](auto& lb) {
                  lb.listeners[0].protocol = "TERMINATED_HTTPS";
                  lb.listeners[0].sni_containers = {"ok", "bad name"};
                },
                "loadbalancer-listener L-b: sni_containers[1]"},
        Refusal{"DefaultTlsContainer",
                [](auto& lb) { lb.listeners[0].default_tls_container = "x'y"; },
                "loadbalancer-listener L-b: default_tls_container"},
        Refusal{"StateDir", [](auto& lb) { lb.state_dir = "/var/lib/my state"; },
                "loadbalancer lb1: state_dir"},
        Refusal{"Weight", [](auto& lb) { lb.members[0].weight = 1000; },
                "loadbalancer-member M-b: weight 1000"},
        Refusal{"DuplicateUuid", [](auto& lb) { lb.members[0].uuid = "P-a"; }, "listed twice"}),
    [](const auto& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace csim::svcmon
