#include "agent/haproxy_runtime_config.h"

#include <gtest/gtest.h>

namespace csim::agent {
namespace {

// Contrail's rendering (contrail-reference.md §3.5), one frontend and two pools.
const char* kContrail =
    "global\n"
    "\tdaemon\n"
    "\tuser haproxy\n"
    "\tgroup haproxy\n"
    "\tlog /var/run/contrail/loadbalancer/haproxy.log.sock local0\n"
    "\tlog /var/run/contrail/loadbalancer/haproxy.log.sock local1 notice\n"
    "\ttune.ssl.default-dh-param 2048\n"
    "\tssl-default-bind-ciphers ECDH+AESGCM:DH+AESGCM:!aNULL:!MD5:!DSS\n"
    "\tulimit-n 200000\n"
    "\tmaxconn 65000\n"
    "\tstats socket /var/lib/contrail/loadbalancer/haproxy/LB/haproxy.sock mode 0666 level user\n"
    "\n"
    "defaults\n"
    "\tlog global\n"
    "\tretries 3\n"
    "\toption redispatch\n"
    "\ttimeout connect 5000\n"
    "\ttimeout client 300000\n"
    "\ttimeout server 300000\n"
    "\n"
    "frontend L1\n"
    "\toption tcplog\n"
    "\tbind 10.47.255.248:80 \n"
    "\tmode http\n"
    "\toption forwardfor\n"
    "\tacl P1_host hdr(host) -i foo.com\n"
    "\tacl P1_path path /a\n"
    "\tuse_backend P1 if P1_host P1_path\n"
    "\t\n"
    "\n"
    "\tdefault_backend P2\n"
    "\t\n"
    "\n"
    "backend P1\n"
    "\tmode http\n"
    "\tbalance roundrobin\n"
    "\toption forwardfor\n"
    "\tserver M1 10.96.0.10:80 weight 1\n"
    "\n"
    "backend P2\n"
    "\tmode http\n"
    "\tbalance roundrobin\n"
    "\toption forwardfor\n"
    "\tserver M2 10.96.0.11:80 weight 1\n"
    "\n";

const HaproxyRuntimePaths kPaths{"/s/loadbalancer/haproxy/LB/haproxy.sock",
                                 "/s/loadbalancer/haproxy/LB/haproxy-admin.sock",
                                 "/s/loadbalancer/haproxy/LB"};

TEST(HaproxyRuntimeConfig, AdaptsContrailsTextAndListsEveryChange) {
  auto r = derive_haproxy_runtime_config(kContrail, kPaths, 20000);
  ASSERT_TRUE(r.is_ok()) << r.status().message();
  const std::string& t = r->text;
  EXPECT_EQ(t.find("daemon"), std::string::npos);
  EXPECT_EQ(t.find("user haproxy"), std::string::npos);
  EXPECT_EQ(t.find("group haproxy"), std::string::npos);
  EXPECT_EQ(t.find("haproxy.log.sock"), std::string::npos);
  EXPECT_NE(t.find("\tulimit-n 20000\n"), std::string::npos);
  EXPECT_NE(t.find("\tmaxconn 9872\n"), std::string::npos) << t;
  EXPECT_NE(t.find("\tstats socket /s/loadbalancer/haproxy/LB/haproxy.sock mode 0666 level user\n"),
            std::string::npos);
  EXPECT_NE(t.find("\tstats socket /s/loadbalancer/haproxy/LB/haproxy-admin.sock mode 0600 level "
                   "admin expose-fd listeners\n"
                   "\thard-stop-after 10s\n\thttpclient.ssl.verify none\n\ndefaults\n"),
            std::string::npos)
      << "additions close the global section, before its blank line:\n"
      << t;
  // Everything outside global is untouched, byte for byte.
  std::string contrail = kContrail;
  EXPECT_EQ(t.substr(t.find("defaults\n")), contrail.substr(contrail.find("defaults\n")));
  ASSERT_EQ(r->adaptations.size(), 11u);
  EXPECT_EQ(r->adaptations[0],
            "daemon: removed (csim runs haproxy in the foreground and owns its pid)");
  EXPECT_EQ(r->adaptations[5], "ulimit-n 200000 -> 20000 (the hard limit of open files here)");
  EXPECT_EQ(r->adaptations[7], "maxconn 65000 -> 9872 (what ulimit-n 20000 allows)");
  ASSERT_EQ(r->binds.size(), 1u);
  EXPECT_EQ(r->binds[0].ip, "10.47.255.248");
  EXPECT_EQ(r->binds[0].port, 80);
}

TEST(HaproxyRuntimeConfig, KeepsWhatAlreadyFits) {
  std::string text =
      "global\n\tulimit-n 1000\n\tmaxconn 100\n\tstats socket /x mode 0666 level user\n";
  auto r = derive_haproxy_runtime_config(text, {"/x", "/y"}, 20000);
  ASSERT_TRUE(r.is_ok()) << r.status().message();
  EXPECT_NE(
      r->text.find("\tulimit-n 1000\n\tmaxconn 100\n\tstats socket /x mode 0666 level user\n"),
      std::string::npos);
  EXPECT_EQ(r->adaptations.size(), 3u) << "only the three additions";
}

TEST(HaproxyRuntimeConfig, AcceptsTheKubernetesSemanticsLines) {
  std::string text =
      "global\n\tstats socket /x mode 0666 level user\n\n"
      "frontend L1\n"
      "\tbind 10.47.255.248:80 \n"
      "\tmode http\n"
      "\t# kubernetes semantics: exact hosts, then *. wildcards, then host-less rules\n"
      "\tacl P1_host req.fhdr(host),field(1,:),lower -m str foo.bar.com\n"
      "\tacl P1_path path_reg '^/*foo(/.*)?$'\n"
      "\tacl P2_host req.fhdr(host),field(1,:),lower -m reg '^[^.]+\\.foo\\.com$'\n"
      "\tacl P3_path path /x\n"
      "\tacl ingress_hosts req.fhdr(host),field(1,:),lower -m str a.com foo.bar.com\n"
      "\tacl ingress_wildcards req.fhdr(host),field(1,:),lower -m reg '^[^.]+\\.a$' '^[^.]+\\.b$'\n"
      "\tuse_backend P1 if P1_host P1_path\n"
      "\tuse_backend no-match-404 if ingress_hosts\n"
      "\tuse_backend P3\n"
      "\tdefault_backend no-match-404\n"
      "\n"
      "backend no-match-404\n"
      "\tmode http\n"
      "\thttp-request return status 404 default-errorfiles\n"
      "\n";
  auto r = derive_haproxy_runtime_config(text, {"/x", "/y"}, 20000);
  ASSERT_TRUE(r.is_ok()) << r.status().message();
  EXPECT_EQ(r->text.substr(r->text.find("frontend L1")), text.substr(text.find("frontend L1")));
}

TEST(HaproxyRuntimeConfig, AcceptsTlsBindsWithCertificatesInTheInstanceDirectory) {
  std::string text =
      "global\n\tstats socket /x mode 0666 level user\n\n"
      "frontend L1\n\tbind 10.47.255.248:80 \n\tmode http\n\n"
      "frontend L2\n"
      "\tbind 10.47.255.248:443 ssl crt /s/loadbalancer/haproxy/LB/default__a-tls.pem "
      "crt /s/loadbalancer/haproxy/LB/default__b.tls.pem no-sslv3\n"
      "\tmode http\n\n";
  auto r = derive_haproxy_runtime_config(text, kPaths, 20000);
  ASSERT_TRUE(r.is_ok()) << r.status().message();
  EXPECT_EQ(r->text.substr(r->text.find("frontend L1")), text.substr(text.find("frontend L1")))
      << "the TLS bind is kept as written";
  ASSERT_EQ(r->binds.size(), 2u);
  EXPECT_EQ(r->binds[0], (HaproxyBind{"10.47.255.248", 80, false}));
  EXPECT_EQ(r->binds[1], (HaproxyBind{"10.47.255.248", 443, true}));

  // Without an instance directory no certificate file is acceptable.
  auto none = derive_haproxy_runtime_config(text, {"/x", "/y"}, 20000);
  ASSERT_FALSE(none.is_ok());
  EXPECT_NE(none.status().message().find("(none given)"), std::string::npos)
      << none.status().message();
}

TEST(HaproxyRuntimeConfig, RefusesWhatSvcMonitorNeverRenders) {
  struct Case {
    std::string text;
    std::string message;
  } cases[] = {
      {"global\nprogram x\n\tcommand /bin/sh\n", "line 2: section 'program'"},
      {"global\n\tlua-load /tmp/x.lua\n", "line 2: 'lua-load' in global"},
      {"global\nbackend b\n\texternal-check command /bin/sh\n", "'external-check' in backend"},
      {"global\nbackend b\n\toption external-check\n", "external checks"},
      {"global\nfrontend f\n\tbind /run/x.sock\n", "bind address must be <IPv4>:<port>"},
      {"global\nfrontend f\n\tbind 10.0.0.1:443 ssl crt__default__secret1 no-sslv3\n",
       "certificate token 'crt__default__secret1' was not replaced"},
      {"global\nfrontend f\n\tbind 10.0.0.1:443 ssl crt /etc/shadow no-sslv3\n",
       "crt must name a .pem file directly in this instance's directory /s/loadbalancer"},
      {"global\nfrontend f\n\tbind 10.0.0.1:443 ssl crt /s/loadbalancer/haproxy/LB/../x.pem\n",
       "crt must name"},
      {"global\nfrontend f\n\tbind 10.0.0.1:443 ssl crt /s/loadbalancer/haproxy/LB/sub/x.pem\n",
       "crt must name"},
      {"global\nfrontend f\n\tbind 10.0.0.1:443 ssl crt /s/loadbalancer/haproxy/LB/.x.pem\n",
       "crt must name"},
      {"global\nfrontend f\n\tbind 10.0.0.1:443 ssl crt /s/loadbalancer/haproxy/LB/x.key\n",
       "crt must name"},
      {"global\nfrontend f\n\tbind 10.0.0.1:443 ssl crt\n", "crt must name"},
      {"global\nfrontend f\n\tbind 10.0.0.1:443 ssl no-sslv3\n", "ssl without a certificate"},
      {"global\nfrontend f\n\tbind 10.0.0.1:443 crt /s/loadbalancer/haproxy/LB/x.pem\n",
       "need 'ssl'"},
      {"global\nfrontend f\n\tbind 10.0.0.1:443 no-sslv3\n", "need 'ssl'"},
      {"global\nfrontend f\n\tbind 10.0.0.1:443 ssl ssl crt /s/loadbalancer/haproxy/LB/x.pem\n",
       "unexpected bind option 'ssl'"},
      {"global\nfrontend f\n\tbind 10.0.0.1:443 ssl crt /s/loadbalancer/haproxy/LB/x.pem "
       "ca-file /etc/shadow\n",
       "unexpected bind option 'ca-file'"},
      {"global\nfrontend f\n\tbind 10.0.0.1:443 ssl crt /s/loadbalancer/haproxy/LB/x.pem "
       "crt-list /s/loadbalancer/haproxy/LB/x.pem\n",
       "unexpected bind option 'crt-list'"},
      {"global\nfrontend f\n\tacl a hdr(host) -f /etc/shadow\n", "only host and path acls"},
      {"global\nfrontend f\n\tacl a req.fhdr(host),field(1,:),lower -m str -f /etc/shadow\n",
       "only host and path acls"},
      {"global\nfrontend f\n\tacl a req.fhdr(host),field(1,:),lower -m reg ^a$\n",
       "only host and path acls"},
      {"global\nfrontend f\n\tacl a req.fhdr(host),field(1,:),lower -m sub a\n",
       "only host and path acls"},
      {"global\nfrontend f\n\tacl a req.fhdr(host),field(1,:),lower -m str\n",
       "only host and path acls"},
      {"global\nfrontend f\n\tacl a req.hdr(host),field(1,:),lower -m str a.com\n",
       "only host and path acls"},
      {"global\nfrontend f\n\tacl a path_reg '^/a'b'\n", "only host and path acls"},
      {"global\nfrontend f\n\tacl a path_reg -f '/x'\n", "only host and path acls"},
      {"global\nbackend b\n\thttp-request return status 200 file /etc/shadow\n",
       "only 'http-request return status 404 default-errorfiles'"},
      {"global\nbackend b\n\thttp-request set-var(txn.x) str(y)\n", "only 'http-request return"},
      {"global\nfrontend f\n\thttp-request return status 404 default-errorfiles\n",
       "'http-request' in frontend"},
      {"global\nbackend b\n\tserver s1 evil.example.com:80 weight 1\n", "server needs"},
      {"global\nbackend b\n\tserver s1 10.0.0.1:80 weight 1 ca-file /etc/shadow\n",
       "unexpected server option 'ca-file'"},
      {"global\n\tstats socket /x level admin\n", "admin socket"},
      {"global\n\tmaxconn lots\n", "'maxconn' needs a number"},
      {"defaults\n\tretries 3\n", "no global section"},
      {"\tdaemon\nglobal\n", "outside a section"},
      {"global\n\tdaemon\x1b[31m\n", "control character"},
      {"", "empty"},
  };
  for (const auto& c : cases) {
    auto r = derive_haproxy_runtime_config(c.text, kPaths, 20000);
    ASSERT_FALSE(r.is_ok()) << c.text;
    EXPECT_EQ(r.status().code(), core::Code::kInvalid);
    EXPECT_NE(r.status().message().find(c.message), std::string::npos) << r.status().message();
  }
}

}  // namespace
}  // namespace csim::agent
