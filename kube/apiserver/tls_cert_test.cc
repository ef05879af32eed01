#include "kube/apiserver/tls_cert.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace csim::kube::apiserver {
namespace {

namespace fs = std::filesystem;
using std::chrono::hours;
using std::chrono::system_clock;

CertRequest request() {
  return CertRequest{.ip_addresses = {"10.20.30.40", "127.0.0.1"}, .dns_names = {"localhost"}};
}

int64_t epoch(system_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

unsigned mode_of(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0 ? (st.st_mode & 0777) : 0;
}

std::string temp_dir(const std::string& name) {
  const char* t = std::getenv("TEST_TMPDIR");
  fs::path dir = fs::path(t ? t : "/tmp") / name;
  fs::remove_all(dir);
  return dir.string();
}

TEST(TlsCert, ServerCertificateNamesTheRequestAndChainsToItsCa) {
  const auto now = system_clock::now();
  auto cert = generate_serving_cert(request());
  ASSERT_TRUE(cert.is_ok()) << cert.status().message();
  EXPECT_NE(cert->key_pem.find("-----BEGIN PRIVATE KEY-----"), std::string::npos);

  auto server = inspect_cert(cert->cert_pem);
  ASSERT_TRUE(server.is_ok()) << server.status().message();
  EXPECT_EQ(server->subject_cn, "csim-apiserver");
  EXPECT_EQ(server->issuer_cn, "csim-ca");
  EXPECT_FALSE(server->is_ca);
  EXPECT_EQ(server->key_type, "EC P-256");
  EXPECT_EQ(server->ip_addresses, (std::vector<std::string>{"10.20.30.40", "127.0.0.1"}));
  EXPECT_EQ(server->dns_names, std::vector<std::string>{"localhost"});
  // Valid from (a little before) now for a year.
  EXPECT_LE(server->not_before, epoch(now));
  EXPECT_GT(server->not_before, epoch(now - hours(2)));
  EXPECT_NEAR(static_cast<double>(server->not_after), static_cast<double>(epoch(now + hours(24 * 365))), 120.0);

  auto ca = inspect_cert(cert->ca_cert_pem);
  ASSERT_TRUE(ca.is_ok());
  EXPECT_TRUE(ca->is_ca);
  EXPECT_EQ(ca->subject_cn, "csim-ca");
  EXPECT_EQ(ca->key_type, "EC P-256");
  EXPECT_GT(ca->not_after, epoch(now + hours(24 * 365 * 9)));

  EXPECT_TRUE(check_serving_cert(*cert, request(), now, hours(24 * 30)).is_ok());
}

TEST(TlsCert, CheckSaysWhatIsWrong) {
  const auto now = system_clock::now();
  auto cert = generate_serving_cert(request());
  ASSERT_TRUE(cert.is_ok());
  CertRequest other = request();
  other.ip_addresses.push_back("192.0.2.7");
  auto st = check_serving_cert(*cert, other, now, hours(0));
  EXPECT_EQ(st.code(), core::Code::kInvalid);
  EXPECT_NE(st.message().find("does not name IP address 192.0.2.7"), std::string::npos) << st.message();

  st = check_serving_cert(*cert, request(), now + hours(24 * 340), hours(24 * 30));
  EXPECT_NE(st.message().find("server certificate expires too soon"), std::string::npos) << st.message();

  // A server certificate of another CA.
  auto stranger = generate_serving_cert(request());
  ASSERT_TRUE(stranger.is_ok());
  ServingCert mixed = *cert;
  mixed.cert_pem = stranger->cert_pem;
  mixed.key_pem = stranger->key_pem;
  st = check_serving_cert(mixed, request(), now, hours(0));
  EXPECT_NE(st.message().find("not issued by the CA"), std::string::npos) << st.message();

  ServingCert wrong_key = *cert;
  wrong_key.key_pem = stranger->key_pem;
  st = check_serving_cert(wrong_key, request(), now, hours(0));
  EXPECT_NE(st.message().find("server key does not match"), std::string::npos) << st.message();

  ServingCert garbage = *cert;
  garbage.cert_pem = "not a certificate";
  EXPECT_FALSE(check_serving_cert(garbage, request(), now, hours(0)).is_ok());
}

TEST(TlsCert, RefusesNamesThatAreNotAddressesOrHostNames) {
  auto bad_ip = generate_serving_cert(CertRequest{.ip_addresses = {"127.0.0.1,DNS:evil.example"}});
  EXPECT_EQ(bad_ip.status().code(), core::Code::kInvalid);
  EXPECT_NE(bad_ip.status().message().find("is not an IPv4 or IPv6 address"), std::string::npos);
  auto bad_name = generate_serving_cert(CertRequest{.dns_names = {"localhost,IP:1.2.3.4"}});
  EXPECT_EQ(bad_name.status().code(), core::Code::kInvalid);
  EXPECT_EQ(generate_serving_cert(CertRequest{}).status().code(), core::Code::kInvalid);
  auto v6 = generate_serving_cert(CertRequest{.ip_addresses = {"::1"}});
  ASSERT_TRUE(v6.is_ok()) << v6.status().message();
  EXPECT_EQ(inspect_cert(v6->cert_pem)->ip_addresses, std::vector<std::string>{"::1"});
}

TEST(TlsCert, EnsureCreatesPrivateKeysThenReusesAndReissuesFromTheSameCa) {
  const std::string dir = temp_dir("tls-ensure");
  auto first = ensure_serving_cert(dir, request());
  ASSERT_TRUE(first.is_ok()) << first.status().message();
  EXPECT_EQ(first->action, "created");
  EXPECT_EQ(mode_of(dir), 0700u);
  EXPECT_EQ(mode_of(dir + "/ca.key"), 0600u);
  EXPECT_EQ(mode_of(dir + "/apiserver.key"), 0600u);
  EXPECT_EQ(mode_of(dir + "/apiserver.crt"), 0644u);
  EXPECT_EQ(slurp(dir + "/apiserver.crt"), first->cert.cert_pem);
  EXPECT_EQ(slurp(dir + "/ca.crt"), first->cert.ca_cert_pem);

  chmod((dir + "/apiserver.key").c_str(), 0644);
  auto again = ensure_serving_cert(dir, request());
  ASSERT_TRUE(again.is_ok());
  EXPECT_EQ(again->action, "reused");
  EXPECT_EQ(again->cert.cert_pem, first->cert.cert_pem);
  EXPECT_EQ(again->cert.key_pem, first->cert.key_pem);
  EXPECT_EQ(mode_of(dir + "/apiserver.key"), 0600u) << "a reused key is made private again";

  // Another listen address: a new server certificate from the same CA (kubeconfigs handed
  // out before still trust it).
  CertRequest moved = request();
  moved.ip_addresses[0] = "10.20.30.41";
  auto reissued = ensure_serving_cert(dir, moved);
  ASSERT_TRUE(reissued.is_ok()) << reissued.status().message();
  EXPECT_EQ(reissued->action, "reissued");
  EXPECT_NE(reissued->reason.find("does not name IP address 10.20.30.41"), std::string::npos) << reissued->reason;
  EXPECT_EQ(reissued->cert.ca_cert_pem, first->cert.ca_cert_pem);
  EXPECT_NE(reissued->cert.cert_pem, first->cert.cert_pem);
  EXPECT_TRUE(check_serving_cert(reissued->cert, moved, system_clock::now(), hours(24)).is_ok());

  // Near the end of the server certificate's year: renewed.
  auto late = ensure_serving_cert(dir, moved, system_clock::now() + hours(24 * 350));
  ASSERT_TRUE(late.is_ok());
  EXPECT_EQ(late->action, "reissued");

  // A damaged CA: everything anew.
  std::ofstream(dir + "/ca.crt") << "garbage";
  auto fresh = ensure_serving_cert(dir, moved);
  ASSERT_TRUE(fresh.is_ok());
  EXPECT_EQ(fresh->action, "created");
  EXPECT_NE(fresh->cert.ca_cert_pem, first->cert.ca_cert_pem);
  EXPECT_TRUE(check_serving_cert(fresh->cert, moved, system_clock::now(), hours(24)).is_ok());
  fs::remove_all(dir);
}

}  // namespace
}  // namespace csim::kube::apiserver
