#include "kube/validation_rules.h"

#include <gtest/gtest.h>

namespace csim::kube {
namespace {

TEST(ValidationRulesTest, Dns1123) {
  EXPECT_TRUE(check_dns1123_subdomain("foo.bar.com").empty());
  EXPECT_TRUE(check_dns1123_subdomain("a").empty());
  EXPECT_FALSE(check_dns1123_subdomain("Foo").empty());
  EXPECT_FALSE(check_dns1123_subdomain("foo_bar").empty());
  EXPECT_FALSE(check_dns1123_subdomain("-foo").empty());
  EXPECT_FALSE(check_dns1123_subdomain("foo.").empty());
  EXPECT_FALSE(check_dns1123_subdomain("foo..bar").empty());
  EXPECT_FALSE(check_dns1123_subdomain("").empty());
  EXPECT_EQ(check_dns1123_subdomain(std::string(254, 'a')).front(),
            "must be no more than 253 characters");
  EXPECT_TRUE(check_dns1123_label("my-name").empty());
  EXPECT_TRUE(check_dns1123_label("123-abc").empty());
  EXPECT_FALSE(check_dns1123_label("a.b").empty());
  EXPECT_FALSE(check_dns1123_label(std::string(64, 'a')).empty());
  EXPECT_TRUE(check_dns1035_label("web").empty());
  EXPECT_FALSE(check_dns1035_label("1web").empty());
}

TEST(ValidationRulesTest, IngressHosts) {
  EXPECT_TRUE(check_ingress_host("foo.bar.com").empty());
  EXPECT_TRUE(check_ingress_host("*.bar.com").empty());
  EXPECT_FALSE(check_ingress_host("foo.*.com").empty());
  EXPECT_FALSE(check_ingress_host("*").empty());
  EXPECT_FALSE(check_ingress_host("foo_bar.com").empty());
  EXPECT_EQ(check_ingress_host("foo.com:8080"),
            Problems{"must be a host name without a port (an Ingress host never carries one)"});
  EXPECT_EQ(check_ingress_host("10.1.2.3"), Problems{"must be a DNS name, not an IP address"});
  EXPECT_EQ(check_ingress_host("::1"), Problems{"must be a DNS name, not an IP address"});
}

TEST(ValidationRulesTest, LabelsAndQualifiedNames) {
  EXPECT_TRUE(check_qualified_name("app").empty());
  EXPECT_TRUE(check_qualified_name("app.kubernetes.io/name").empty());
  EXPECT_TRUE(check_qualified_name("My_Key.1").empty());
  EXPECT_FALSE(check_qualified_name("a/b/c").empty());
  EXPECT_FALSE(check_qualified_name("/name").empty());
  EXPECT_FALSE(check_qualified_name("Example.com/x").empty()) << "prefix must be lower case";
  EXPECT_FALSE(check_qualified_name("bad key").empty());
  EXPECT_TRUE(check_label_value("").empty());
  EXPECT_TRUE(check_label_value("Web_1.x").empty());
  EXPECT_FALSE(check_label_value("-x").empty());
  EXPECT_FALSE(check_label_value(std::string(64, 'a')).empty());
}

TEST(ValidationRulesTest, IanaServiceNames) {
  EXPECT_TRUE(check_iana_svc_name("http").empty());
  EXPECT_TRUE(check_iana_svc_name("web-8080").empty());
  EXPECT_EQ(check_iana_svc_name("8080"), Problems{"must contain at least one letter (a-z)"});
  EXPECT_EQ(check_iana_svc_name("a--b"), Problems{"must not contain consecutive hyphens"});
  EXPECT_EQ(check_iana_svc_name("-ab"), Problems{"must not begin or end with a hyphen"});
  EXPECT_EQ(check_iana_svc_name("abcdefghijklmnop"), Problems{"must be no more than 15 characters"});
  EXPECT_FALSE(check_iana_svc_name("HTTP").empty());
}

TEST(ValidationRulesTest, PathCharacters) {
  EXPECT_TRUE(check_path_characters("/qa.html").empty());
  EXPECT_TRUE(check_path_characters("/a/b-c_d~e%20?x=1").empty());
  EXPECT_EQ(check_path_characters("/a b"),
            Problems{"must not contain whitespace, control characters, '#', quotes, '\\', '{' or "
                     "'}' (found a space at offset 2)"});
  EXPECT_NE(check_path_characters("/a\nb").front().find("a newline at offset 2"), std::string::npos);
  EXPECT_NE(check_path_characters("/a#b").front().find("'#'"), std::string::npos);
  EXPECT_NE(check_path_characters("/a\x01").front().find("control character 0x01"), std::string::npos);
  for (const char* bad : {"/\"", "/'", "/\\", "/{", "/}", "/\t"})
    EXPECT_FALSE(check_path_characters(bad).empty()) << bad;
}

TEST(ValidationRulesTest, IpAddresses) {
  EXPECT_TRUE(is_ipv4_address("10.96.0.10"));
  EXPECT_FALSE(is_ipv4_address("10.96.0"));
  EXPECT_FALSE(is_ipv4_address("10.96.0.256"));
  EXPECT_FALSE(is_ipv4_address("10.96.0.1a"));
  EXPECT_TRUE(is_ip_address("fe80::1"));
  EXPECT_FALSE(is_ip_address("foo.com"));
}

}  // namespace
}  // namespace csim::kube
