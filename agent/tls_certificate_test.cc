// check_tls_secret with certificates made at test time: what is accepted, what haproxy
// gets, and the errors users see for broken Secrets.
#include "agent/tls_certificate.h"

#include <gtest/gtest.h>

#include "agent/tls_test_certs.h"

namespace csim::agent {
namespace {

size_t count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t pos = text.find(what); pos != std::string::npos; pos = text.find(what, pos + 1)) ++n;
  return n;
}

TEST(TlsCertificate, AcceptsAMatchingPairAndBundlesItForHaproxy) {
  TlsSecret s = test_certs::self_signed("foo.bar.com", {"foo.bar.com", "www.foo.bar.com"});
  auto r = check_tls_secret(s, "Secret default/foo-tls");
  ASSERT_TRUE(r.is_ok()) << r.status().message();
  EXPECT_EQ(r->leaf.subject_cn, "foo.bar.com");
  EXPECT_EQ(r->leaf.sans, (std::vector<std::string>{"foo.bar.com", "www.foo.bar.com"}));
  EXPECT_EQ(r->leaf.sha256.size(), 64u);
  EXPECT_EQ(r->leaf.not_after.size(), 20u) << r->leaf.not_after;
  EXPECT_EQ(r->chain_length, 1u);
  // Certificate first, then the key: what `crt <file>` loads.
  EXPECT_EQ(count(r->pem_bundle, "-----BEGIN CERTIFICATE-----"), 1u);
  EXPECT_EQ(count(r->pem_bundle, "-----BEGIN PRIVATE KEY-----"), 1u);
  EXPECT_LT(r->pem_bundle.find("CERTIFICATE"), r->pem_bundle.find("PRIVATE KEY"));
  // The bundle is itself a valid pair (haproxy reads both from the one file).
  auto again = check_tls_secret({r->pem_bundle, r->pem_bundle}, "bundle");
  ASSERT_TRUE(again.is_ok()) << again.status().message();
  EXPECT_EQ(again->leaf, r->leaf);
}

TEST(TlsCertificate, KeepsTheChainInOrderAndDropsJunkAroundIt) {
  TlsSecret leaf = test_certs::self_signed("a.example", {"a.example"});
  TlsSecret other = test_certs::self_signed("intermediate.example", {});
  TlsSecret s{"comment line before\n" + leaf.cert_pem + "junk between\n" + other.cert_pem,
              leaf.key_pem};
  auto r = check_tls_secret(s, "Secret ns/chain");
  ASSERT_TRUE(r.is_ok()) << r.status().message();
  EXPECT_EQ(r->chain_length, 2u);
  EXPECT_EQ(r->leaf.subject_cn, "a.example");
  EXPECT_EQ(count(r->pem_bundle, "-----BEGIN CERTIFICATE-----"), 2u);
  EXPECT_EQ(r->pem_bundle.find("junk"), std::string::npos);
  EXPECT_EQ(r->pem_bundle.find("comment"), std::string::npos);
  EXPECT_EQ(r->pem_bundle.rfind(leaf.cert_pem, 0), 0u) << "the leaf stays first";
}

TEST(TlsCertificate, ExplainsWhatIsWrongWithASecret) {
  TlsSecret a = test_certs::self_signed("a.example", {"a.example"});
  TlsSecret b = test_certs::self_signed("b.example", {"b.example"});
  std::string truncated = b.cert_pem;
  truncated.erase(truncated.size() / 2, 40);
  struct Case {
    TlsSecret secret;
    std::string message;
  } cases[] = {
      {{a.cert_pem, b.key_pem}, "Secret ns/s: tls.key does not match the certificate in tls.crt"},
      {{"not a certificate", a.key_pem}, "Secret ns/s: tls.crt holds no PEM certificate"},
      {{a.key_pem, a.key_pem}, "Secret ns/s: tls.crt holds no PEM certificate"},
      {{truncated, a.key_pem}, "Secret ns/s: tls.crt holds no PEM certificate ("},
      {{a.cert_pem + truncated, a.key_pem}, "tls.crt: certificate 2 cannot be parsed"},
      {{a.cert_pem, a.cert_pem}, "tls.key holds no unencrypted PEM private key"},
      {{a.cert_pem, test_certs::encrypted_key(a, "secret")},
       "tls.key holds no unencrypted PEM private key"},
      {{"", a.key_pem}, "tls.crt is empty"},
      {{a.cert_pem, ""}, "tls.key is empty"},
  };
  for (const auto& c : cases) {
    auto r = check_tls_secret(c.secret, "Secret ns/s");
    ASSERT_FALSE(r.is_ok()) << c.message;
    EXPECT_EQ(r.status().code(), core::Code::kInvalid);
    EXPECT_NE(r.status().message().find(c.message), std::string::npos)
        << r.status().message() << "\n  wanted: " << c.message;
  }
}

}  // namespace
}  // namespace csim::agent
