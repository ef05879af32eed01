// Real haproxy in a real namespace: start, serve, reload, refuse a broken config, stop.
#include "agent/haproxy_supervisor.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>

#include "agent/http_client.h"
#include "agent/netns.h"
#include "agent/process.h"
#include "agent/test_util.h"
#include "agent/tls_test_certs.h"

namespace csim::agent {
namespace {

using namespace std::chrono_literals;

constexpr const char* kLb = "0a1b2c3d-0000-4000-8000-00000000aaaa";
constexpr const char* kLb2 = "0a1b2c3d-0000-4000-8000-00000000bbbb";

// Contrail's shape (contrail-reference.md §3.5): path /a -> backend A (echo :8080), else B (echo
// :8081).
std::string contrail_config(const std::string& lb, const std::string& bind_ip,
                            const std::string& path_a, const std::string& default_backend = "PB") {
  return "global\n\tdaemon\n\tuser haproxy\n\tgroup haproxy\n"
         "\tlog /var/run/contrail/loadbalancer/haproxy.log.sock local0\n"
         "\tlog /var/run/contrail/loadbalancer/haproxy.log.sock local1 notice\n"
         "\ttune.ssl.default-dh-param 2048\n"
         "\tssl-default-bind-ciphers "
         "ECDH+AESGCM:DH+AESGCM:ECDH+AES256:DH+AES256:ECDH+AES128:DH+AES:ECDH+3DES:DH+3DES:RSA+"
         "AESGCM:RSA+AES:RSA+3DES:!aNULL:!MD5:!DSS\n"
         "\tulimit-n 200000\n\tmaxconn 65000\n"
         "\tstats socket /var/lib/contrail/loadbalancer/haproxy/" +
         lb +
         "/haproxy.sock mode 0666 level user\n"
         "\ndefaults\n\tlog global\n\tretries 3\n\toption redispatch\n\ttimeout connect 5000\n"
         "\ttimeout client 300000\n\ttimeout server 300000\n\n"
         "frontend L1\n\toption tcplog\n\tbind " +
         bind_ip +
         ":80 \n\tmode http\n\toption forwardfor\n"
         "\tacl PA_path path " +
         path_a +
         "\n\tuse_backend PA if  PA_path\n\t\n\n"
         "\tdefault_backend " +
         default_backend +
         "\n\t\n\n"
         "backend PA\n\tmode http\n\tbalance roundrobin\n\toption forwardfor\n\tserver MA "
         "10.9.3.2:8080 weight 1\n\n"
         "backend PB\n\tmode http\n\tbalance roundrobin\n\toption forwardfor\n\tserver MB "
         "10.9.3.2:8081 weight 1\n\n";
}

// contrail_config plus the TERMINATED_HTTPS frontend svc-monitor renders for
// tls: [{secretName: def-tls}, {hosts: [foo.bar.com], secretName: foo-tls}]: Host
// foo.bar.com -> backend A, anything else -> B.
std::string tls_config(const std::string& lb) {
  std::string text = contrail_config(lb, "10.9.3.2", "/a");
  const std::string tls_frontend =
      "frontend L2\n\toption tcplog\n"
      "\tbind 10.9.3.2:443 ssl crt__default__def-tls crt__default__foo-tls no-sslv3\n"
      "\tmode http\n\tacl PT_host hdr(host) -i foo.bar.com\n\tuse_backend PA if PT_host \n\t\n\n"
      "\tdefault_backend PB\n\t\n\n";
  text.insert(text.find("\nbackend PA") + 1, tls_frontend);
  return text;
}

// No frontend at all: what svc-monitor renders before kube-manager's listeners exist.
std::string no_frontend_config(const std::string& lb) {
  std::string text = contrail_config(lb, "10.9.3.2", "/a");
  const size_t from = text.find("frontend L1"), to = text.find("\nbackend PA") + 1;
  text.erase(from, to - from);
  return text;
}

mode_t file_mode(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0 ? st.st_mode & 07777 : 0;
}

std::unique_ptr<ChildProcess> start_echo(const std::string& netns, const std::string& pod,
                                         int port) {
  int p[2];
  EXPECT_EQ(pipe2(p, O_CLOEXEC), 0);
  Command cmd{{"/proc/self/exe", "echo-server", "--pod", pod, "--port", std::to_string(port)},
              netns};
  auto child = start_process(cmd, {-1, p[1], 2});
  close(p[1]);
  char c;
  std::string line;
  struct pollfd pf = {p[0], POLLIN, 0};
  while (poll(&pf, 1, 5000) == 1 && read(p[0], &c, 1) == 1 && c != '\n') line += c;
  close(p[0]);
  EXPECT_EQ(line.rfind("listening on", 0), 0u);
  return child.is_ok() ? std::move(*child) : nullptr;
}

class HaproxySupervisorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/csim-hap-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    state_dir_ = tmpl;
    auto lb = create_netns("csim-t-hap");
    auto cli = create_netns("csim-t-hcli");
    ASSERT_TRUE(lb.is_ok() && cli.is_ok());
    lb_ = *lb;
    cli_ = *cli;
    CSIM_ASSERT_OK(cli_->rtnl().add_veth({"eth0"}, {"eth0", lb_->fd(), "", true, &lb_->rtnl()}));
    CSIM_ASSERT_OK(cli_->rtnl().add_address("eth0", *parse_ipv4_prefix("10.9.3.1/24")));
    CSIM_ASSERT_OK(lb_->rtnl().add_address("eth0", *parse_ipv4_prefix("10.9.3.2/24")));
    echo_a_ = start_echo("csim-t-hap", "backend-a", 8080);
    echo_b_ = start_echo("csim-t-hap", "backend-b", 8081);
    HaproxySupervisorOptions o;
    o.state_dir = state_dir_;
    o.tls_secrets = [this](const std::string& ns,
                           const std::string& name) -> core::Result<TlsSecret> {
      std::lock_guard lock(secrets_mu_);
      auto it = secrets_.find(ns + "/" + name);
      if (it == secrets_.end()) return core::not_found("secrets \"" + name + "\" not found");
      return it->second;
    };
    sup_ = std::make_unique<HaproxySupervisor>(o);
  }
  void TearDown() override {
    sup_.reset();  // stops every haproxy
    if (echo_a_) echo_a_->stop(2s);
    if (echo_b_) echo_b_->stop(2s);
    delete_netns("csim-t-hap");
    delete_netns("csim-t-hcli");
    std::error_code ec;
    std::filesystem::remove_all(state_dir_, ec);
  }
  std::string pod_for(const std::string& path) {
    auto r = http_request_in_netns("csim-t-hcli", "10.9.3.2", 80, "GET", "foo.com", path, 3s);
    if (!r.is_ok()) return "error: " + r.status().message();
    if (r->status != 200) return "status " + std::to_string(r->status);
    return nlohmann::json::parse(r->body)["pod"].get<std::string>();
  }

  // HTTPS to 10.9.3.2:443 with this SNI and Host: "<pod> <served certificate's CN>".
  std::string https(const std::string& host) {
    HttpRequestSpec spec;
    spec.netns = "csim-t-hcli";
    spec.ip = "10.9.3.2";
    spec.port = 443;
    spec.tls = true;
    spec.host_header = host;
    spec.timeout = 3s;
    auto r = http_request(spec);
    if (!r.is_ok()) return "error: " + r.status().message();
    if (!r->tls) return "no TLS peer";
    std::string cn = r->tls->certificate.subject_cn;
    if (r->status != 200) return "status " + std::to_string(r->status) + " " + cn;
    return nlohmann::json::parse(r->body)["pod"].get<std::string>() + " " + cn;
  }
  std::string served_sha256(const std::string& host) {
    auto r = http_request({"csim-t-hcli", "10.9.3.2", 443, "GET", host, "/", {}, "", 3s, true});
    return r.is_ok() && r->tls ? r->tls->certificate.sha256 : "error";
  }
  void set_secret(const std::string& key, std::optional<TlsSecret> secret) {
    std::lock_guard lock(secrets_mu_);
    if (secret)
      secrets_[key] = *secret;
    else
      secrets_.erase(key);
  }

  std::mutex secrets_mu_;
  std::map<std::string, TlsSecret> secrets_;  // "<ns>/<name>"
  std::string state_dir_;
  std::shared_ptr<Netns> lb_, cli_;
  std::unique_ptr<ChildProcess> echo_a_, echo_b_;
  std::unique_ptr<HaproxySupervisor> sup_;
};

TEST_F(HaproxySupervisorTest, StartsServesReloadsAndStops) {
  auto started = sup_->apply({kLb, "csim-t-hap", contrail_config(kLb, "10.9.3.2", "/a")});
  CSIM_ASSERT_OK(started);
  EXPECT_EQ(started->state, "started");
  EXPECT_TRUE(started->changed);
  ASSERT_GT(started->pid, 0);
  std::cerr << "haproxy started and listening in "
            << std::chrono::duration_cast<std::chrono::microseconds>(started->took).count()
            << " us\n";
  ASSERT_EQ(started->binds.size(), 1u);
  EXPECT_EQ(started->binds[0].port, 80);
  EXPECT_EQ(pod_for("/a"), "backend-a");
  EXPECT_EQ(pod_for("/other"), "backend-b");

  const std::string dir = state_dir_ + "/loadbalancer/haproxy/" + kLb;
  EXPECT_EQ(started->dir, dir);
  for (const char* f :
       {"haproxy.conf", "haproxy.conf.contrail", "haproxy.pid", "haproxy.sock", "haproxy.log"}) {
    struct stat st;
    EXPECT_EQ(stat((dir + "/" + f).c_str(), &st), 0) << f;
  }
  auto stat_out = sup_->stats_command(kLb, "show stat");
  CSIM_ASSERT_OK(stat_out);
  EXPECT_NE(stat_out->find("L1,FRONTEND"), std::string::npos) << *stat_out;

  auto same = sup_->apply({kLb, "csim-t-hap", contrail_config(kLb, "10.9.3.2", "/a")});
  CSIM_ASSERT_OK(same);
  EXPECT_FALSE(same->changed);
  EXPECT_EQ(same->pid, started->pid);

  auto reloaded = sup_->apply({kLb, "csim-t-hap", contrail_config(kLb, "10.9.3.2", "/b")});
  CSIM_ASSERT_OK(reloaded);
  EXPECT_EQ(reloaded->state, "reloaded");
  EXPECT_NE(reloaded->pid, started->pid);
  std::cerr << "haproxy reloaded in "
            << std::chrono::duration_cast<std::chrono::microseconds>(reloaded->took).count()
            << " us\n";
  EXPECT_EQ(pod_for("/b"), "backend-a");
  EXPECT_EQ(pod_for("/a"), "backend-b");

  // A broken config is refused with haproxy's message; the running one keeps serving.
  auto broken = sup_->apply({kLb, "csim-t-hap", contrail_config(kLb, "10.9.3.2", "/c", "PNOPE")});
  ASSERT_FALSE(broken.is_ok());
  EXPECT_NE(broken.status().message().find("[ALERT]"), std::string::npos)
      << broken.status().message();
  EXPECT_NE(broken.status().message().find("PNOPE"), std::string::npos)
      << broken.status().message();
  auto after = sup_->status(kLb);
  ASSERT_TRUE(after);
  EXPECT_EQ(after->state, "failed");
  EXPECT_EQ(after->pid, reloaded->pid);
  EXPECT_EQ(pod_for("/b"), "backend-a") << "the previous config still serves";

  CSIM_ASSERT_OK(sup_->stop(kLb));
  EXPECT_FALSE(std::filesystem::exists(dir));
  EXPECT_EQ(pod_for("/b").rfind("error: connect", 0), 0u);
  EXPECT_FALSE(sup_->status(kLb).has_value());
}

TEST_F(HaproxySupervisorTest, FailedFirstStartReportsHaproxysError) {
  // 10.9.3.99 is not an address of the namespace: haproxy cannot bind.
  auto r = sup_->apply({kLb2, "csim-t-hap", contrail_config(kLb2, "10.9.3.99", "/a")});
  ASSERT_FALSE(r.is_ok());
  EXPECT_NE(r.status().message().find("cannot bind socket"), std::string::npos)
      << r.status().message();
  auto st = sup_->status(kLb2);
  ASSERT_TRUE(st);
  EXPECT_EQ(st->state, "failed");
  EXPECT_EQ(st->pid, 0);
  // Input that would reach haproxy.conf unchecked is refused before haproxy runs.
  auto evil = sup_->apply({kLb2, "csim-t-hap", "global\n\tlua-load /tmp/x.lua\n"});
  ASSERT_FALSE(evil.is_ok());
  EXPECT_EQ(evil.status().code(), core::Code::kInvalid);
  EXPECT_FALSE(sup_->apply({"../../etc", "csim-t-hap", "global\n"}).is_ok());
}

TEST_F(HaproxySupervisorTest, DeadProcessIsReportedAndRestartedOnNextApply) {
  auto started = sup_->apply({kLb, "csim-t-hap", contrail_config(kLb, "10.9.3.2", "/a")});
  CSIM_ASSERT_OK(started);
  ASSERT_TRUE(Reaper::instance().signal(started->pid, SIGKILL));
  ASSERT_TRUE(Reaper::instance().wait(started->pid, 5s).has_value());
  auto st = sup_->status(kLb);
  ASSERT_TRUE(st);
  EXPECT_EQ(st->state, "failed");
  EXPECT_NE(st->error.find("SIGKILL"), std::string::npos) << st->error;
  auto again = sup_->apply({kLb, "csim-t-hap", contrail_config(kLb, "10.9.3.2", "/a")});
  CSIM_ASSERT_OK(again);
  EXPECT_EQ(again->state, "started");
  EXPECT_EQ(pod_for("/a"), "backend-a");
}

TEST_F(HaproxySupervisorTest, TerminatesTlsWithTheSecretsCertificatesAndFollowsThem) {
  set_secret("default/def-tls", test_certs::self_signed("default.example", {"default.example"}));
  set_secret("default/foo-tls", test_certs::self_signed("foo.bar.com", {"foo.bar.com"}));
  auto started = sup_->apply({kLb, "csim-t-hap", tls_config(kLb)});
  CSIM_ASSERT_OK(started);
  EXPECT_EQ(started->state, "started");
  EXPECT_EQ(started->error, "");
  ASSERT_EQ(started->binds.size(), 2u);
  EXPECT_EQ(started->binds[1], (HaproxyBind{"10.9.3.2", 443, true}));
  ASSERT_EQ(started->certificates.size(), 2u);
  EXPECT_EQ(started->certificates[0].secret, "default/def-tls");
  EXPECT_EQ(started->certificates[1].leaf.subject_cn, "foo.bar.com");

  // SNI picks the certificate, Host the backend; other names get the first (default) one.
  EXPECT_EQ(https("foo.bar.com"), "backend-a foo.bar.com");
  EXPECT_EQ(https("other.example"), "backend-b default.example");
  EXPECT_EQ(pod_for("/a"), "backend-a") << "plain HTTP on :80 serves as before";
  // SNI and Host are independent: an explicit SNI picks the certificate, the Host the rule;
  // a Host that is an IP address sends no SNI (RFC 6066): the default certificate.
  HttpRequestSpec spec{"csim-t-hcli", "10.9.3.2",   443, "GET", "other.example", "/", {}, "", 3s,
                       true,          "foo.bar.com"};
  auto explicit_sni = http_request(spec);
  CSIM_ASSERT_OK(explicit_sni);
  EXPECT_EQ(explicit_sni->tls->sni, "foo.bar.com");
  EXPECT_EQ(explicit_sni->tls->certificate.subject_cn, "foo.bar.com");
  EXPECT_EQ(nlohmann::json::parse(explicit_sni->body)["pod"], "backend-b");
  spec.host_header = "";
  spec.sni = "";
  auto no_sni = http_request(spec);
  CSIM_ASSERT_OK(no_sni);
  EXPECT_EQ(no_sni->tls->sni, "");
  EXPECT_EQ(no_sni->tls->certificate.subject_cn, "default.example");
  EXPECT_FALSE(no_sni->tls->protocol.empty());

  // The files: named by container, 0600, in the instance directory, and what haproxy.conf names.
  const std::string dir = state_dir_ + "/loadbalancer/haproxy/" + kLb;
  for (const char* f : {"default__def-tls.pem", "default__foo-tls.pem"})
    EXPECT_EQ(file_mode(dir + "/" + f), 0600) << f;
  std::ifstream conf(dir + "/haproxy.conf");
  std::stringstream text;
  text << conf.rdbuf();
  EXPECT_NE(text.str().find("\tbind 10.9.3.2:443 ssl crt " + dir + "/default__def-tls.pem crt " +
                            dir + "/default__foo-tls.pem no-sslv3\n"),
            std::string::npos)
      << text.str();

  // Same text, same Secrets: nothing to do.
  auto same = sup_->apply({kLb, "csim-t-hap", tls_config(kLb)});
  CSIM_ASSERT_OK(same);
  EXPECT_FALSE(same->changed);

  // Rotation: a new certificate in the Secret reloads haproxy, which serves it.
  const std::string before = served_sha256("foo.bar.com");
  set_secret("default/foo-tls", test_certs::self_signed("foo.bar.com", {"foo.bar.com"}));
  auto rotated = sup_->apply({kLb, "csim-t-hap", tls_config(kLb)});
  CSIM_ASSERT_OK(rotated);
  EXPECT_TRUE(rotated->changed);
  EXPECT_EQ(rotated->state, "reloaded");
  EXPECT_NE(rotated->pid, started->pid);
  EXPECT_EQ(served_sha256("foo.bar.com"), rotated->certificates[1].leaf.sha256);
  EXPECT_NE(served_sha256("foo.bar.com"), before);

  // foo's Secret goes: its certificate is left out, the rest keeps serving, the error says so.
  set_secret("default/foo-tls", std::nullopt);
  auto missing = sup_->apply({kLb, "csim-t-hap", tls_config(kLb)});
  CSIM_ASSERT_OK(missing);
  EXPECT_EQ(missing->state, "reloaded");
  EXPECT_EQ(missing->error,
            "frontend L2 (bind 10.9.3.2:443): certificate crt__default__foo-tls left out: "
            "Secret default/foo-tls: secrets \"foo-tls\" not found");
  EXPECT_EQ(https("foo.bar.com"), "backend-a default.example");
  EXPECT_FALSE(std::filesystem::exists(dir + "/default__foo-tls.pem")) << "no stale key on disk";

  // A certificate whose key does not match is refused the same way.
  TlsSecret a = test_certs::self_signed("foo.bar.com", {"foo.bar.com"});
  TlsSecret b = test_certs::self_signed("foo.bar.com", {"foo.bar.com"});
  set_secret("default/foo-tls", TlsSecret{a.cert_pem, b.key_pem});
  auto mismatched = sup_->apply({kLb, "csim-t-hap", tls_config(kLb)});
  CSIM_ASSERT_OK(mismatched);
  EXPECT_FALSE(mismatched->changed);
  EXPECT_NE(mismatched->error.find(
                "Secret default/foo-tls: tls.key does not match the certificate in tls.crt"),
            std::string::npos)
      << mismatched->error;

  // No certificate at all: the TLS frontend is left out, HTTP still serves.
  set_secret("default/def-tls", std::nullopt);
  auto none = sup_->apply({kLb, "csim-t-hap", tls_config(kLb)});
  CSIM_ASSERT_OK(none);
  ASSERT_EQ(none->binds.size(), 1u);
  EXPECT_EQ(none->binds[0].port, 80);
  EXPECT_NE(none->error.find("frontend L2 (bind 10.9.3.2:443) not served"), std::string::npos)
      << none->error;
  EXPECT_EQ(https("foo.bar.com").rfind("error: connect 10.9.3.2:443", 0), 0u)
      << https("foo.bar.com");
  EXPECT_EQ(pod_for("/a"), "backend-a");

  // The Secrets come back: so does :443.
  set_secret("default/def-tls", test_certs::self_signed("default.example", {"default.example"}));
  set_secret("default/foo-tls", a);
  auto back = sup_->apply({kLb, "csim-t-hap", tls_config(kLb)});
  CSIM_ASSERT_OK(back);
  EXPECT_EQ(back->error, "");
  EXPECT_EQ(https("foo.bar.com"), "backend-a foo.bar.com");
}

TEST_F(HaproxySupervisorTest, WithoutASecretSourceTlsFrontendsAreLeftOut) {
  HaproxySupervisorOptions o;
  o.state_dir = state_dir_ + "/plain";
  HaproxySupervisor plain(o);
  auto r = plain.apply({kLb2, "csim-t-hap", tls_config(kLb2)});
  CSIM_ASSERT_OK(r);
  EXPECT_EQ(r->binds.size(), 1u);
  EXPECT_NE(r->error.find("the agent has no TLS secret source to read Secret default/def-tls"),
            std::string::npos)
      << r->error;
  EXPECT_EQ(pod_for("/a"), "backend-a");
}

TEST_F(HaproxySupervisorTest, WaitsForAFrontendBeforeStartingHaproxy) {
  auto waiting = sup_->apply({kLb, "csim-t-hap", no_frontend_config(kLb)});
  CSIM_ASSERT_OK(waiting);
  EXPECT_EQ(waiting->state, "waiting");
  EXPECT_TRUE(waiting->changed);
  EXPECT_EQ(waiting->pid, 0);
  EXPECT_TRUE(waiting->binds.empty());
  EXPECT_EQ(sup_->stats_command(kLb, "show info").status().code(), core::Code::kNotFound)
      << "no process runs";
  auto again = sup_->apply({kLb, "csim-t-hap", no_frontend_config(kLb)});
  CSIM_ASSERT_OK(again);
  EXPECT_FALSE(again->changed);
  // The first frontend starts it (a start, not a reload).
  auto started = sup_->apply({kLb, "csim-t-hap", contrail_config(kLb, "10.9.3.2", "/a")});
  CSIM_ASSERT_OK(started);
  EXPECT_EQ(started->state, "started");
  EXPECT_GT(started->pid, 0);
  EXPECT_EQ(pod_for("/a"), "backend-a");
  // A serving instance whose frontends all go is reloaded as before.
  auto emptied = sup_->apply({kLb, "csim-t-hap", no_frontend_config(kLb)});
  CSIM_ASSERT_OK(emptied);
  EXPECT_EQ(emptied->state, "reloaded");
}

}  // namespace
}  // namespace csim::agent
