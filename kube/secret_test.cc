#include "kube/secret.h"

#include <gtest/gtest.h>

#include "kube/base64.h"
#include "kube/defaults.h"
#include "kube/validation.h"

namespace csim::kube {
namespace {

using nlohmann::json;

json tls_secret() {
  return {{"apiVersion", "v1"},
          {"kind", "Secret"},
          {"metadata", {{"name", "foo-cert"}, {"namespace", "shop"}}},
          {"type", "kubernetes.io/tls"},
          {"data", {{"tls.crt", base64_encode("-----BEGIN CERTIFICATE-----\n...")},
                    {"tls.key", base64_encode("-----BEGIN PRIVATE KEY-----\n...")}}}};
}

std::vector<std::string> messages(const json& o) {
  std::vector<std::string> out;
  for (const auto& e : validate(o)) out.push_back(e.to_string());
  return out;
}

TEST(Secret, ATlsSecretIsValidAndReadsBack) {
  json s = tls_secret();
  EXPECT_TRUE(messages(s).empty());
  auto pair = tls_key_pair(s);
  ASSERT_TRUE(pair) << pair.status().to_string();
  EXPECT_EQ(pair->certificate_pem, "-----BEGIN CERTIFICATE-----\n...");
  EXPECT_EQ(pair->private_key_pem, "-----BEGIN PRIVATE KEY-----\n...");
}

TEST(Secret, TlsTypeNeedsBothKeysNamedInTheError) {
  json s = tls_secret();
  s["data"].erase("tls.key");
  auto m = messages(s);
  ASSERT_EQ(m.size(), 1u);
  EXPECT_NE(m[0].find("data[tls.key]"), std::string::npos) << m[0];
}

TEST(Secret, BadBase64AndBadKeysAreNamedAndValuesNotEchoed) {
  json s = tls_secret();
  s["data"]["tls.crt"] = "not base64!";
  s["data"]["bad key"] = base64_encode("x");
  auto m = messages(s);
  ASSERT_EQ(m.size(), 2u);
  EXPECT_NE(m[0].find("data[bad key]"), std::string::npos) << m[0];
  EXPECT_NE(m[1].find("data[tls.crt]"), std::string::npos) << m[1];
  EXPECT_EQ(m[1].find("not base64!"), std::string::npos) << "secret bytes must not be echoed";
}

TEST(Secret, StringDataIsFoldedIntoDataAndWins) {
  json s = {{"apiVersion", "v1"},
            {"kind", "Secret"},
            {"metadata", {{"name", "plain"}, {"namespace", "default"}}},
            {"data", {{"a", base64_encode("old")}}},
            {"stringData", {{"a", "new"}, {"b", "text"}}}};
  EXPECT_TRUE(messages(s).empty());
  apply_defaults(s);
  EXPECT_EQ(s["type"], "Opaque");
  EXPECT_FALSE(s.contains("stringData"));
  EXPECT_EQ(*base64_decode(s["data"]["a"]), "new");
  EXPECT_EQ(*base64_decode(s["data"]["b"]), "text");
}

TEST(Secret, TlsKeysMayComeFromStringData) {
  json s = tls_secret();
  s.erase("data");
  s["stringData"] = {{"tls.crt", "C"}, {"tls.key", "K"}};
  EXPECT_TRUE(messages(s).empty());
  apply_defaults(s);
  auto pair = tls_key_pair(s);
  ASSERT_TRUE(pair);
  EXPECT_EQ(pair->certificate_pem, "C");
}

TEST(Secret, OversizedSecretIsRefused) {
  json s = tls_secret();
  s["stringData"] = {{"big", std::string(kMaxSecretBytes + 1, 'x')}};
  auto m = messages(s);
  ASSERT_EQ(m.size(), 1u);
  EXPECT_NE(m[0].find("Too long"), std::string::npos);
}

TEST(Secret, TlsKeyPairExplainsWhatIsWrong) {
  json s = tls_secret();
  s["type"] = "Opaque";
  auto r = tls_key_pair(s);
  ASSERT_FALSE(r);
  EXPECT_NE(r.status().message().find("Secret shop/foo-cert"), std::string::npos);
  EXPECT_NE(r.status().message().find("kubernetes.io/tls"), std::string::npos);
}

}  // namespace
}  // namespace csim::kube
