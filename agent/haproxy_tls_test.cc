// The crt__ tokens of Contrail's haproxy text: name checks, PEM file names, the bind
// rewriting (what is left out when a certificate cannot be had) and the 0600 files.
#include "agent/haproxy_tls.h"

#include <dirent.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

namespace csim::agent {
namespace {

TEST(HaproxyTls, ChecksDns1123Names) {
  const std::string x63(63, 'x'), x64(64, 'x');
  for (const std::string& ok : {std::string("default"), std::string("kube-system"),
                                std::string("a"), std::string("0abc9"), x63})
    EXPECT_TRUE(is_dns1123_label(ok)) << ok;
  for (const std::string& bad :
       {std::string(""), std::string("-a"), std::string("a-"), std::string("A"), std::string("a_b"),
        std::string("a.b"), std::string("a b"), std::string("\xc3\xa4"), x64})
    EXPECT_FALSE(is_dns1123_label(bad)) << bad;
  for (const char* ok : {"foo-tls", "foo.tls", "a.b-c.d", "x"})
    EXPECT_TRUE(is_dns1123_subdomain(ok)) << ok;
  for (const char* bad : {"", ".a", "a.", "a..b", "..", "a/b", "a_b", "-a.b", "a.-b", "Foo"})
    EXPECT_FALSE(is_dns1123_subdomain(bad)) << bad;
  EXPECT_TRUE(is_dns1123_subdomain(std::string(253, 'a')));
  EXPECT_FALSE(is_dns1123_subdomain(std::string(254, 'a')));
}

TEST(HaproxyTls, ParsesContainersAndRefusesWhatCouldEscapeTheDirectory) {
  auto c = parse_tls_container("default__foo-tls");
  ASSERT_TRUE(c.is_ok()) << c.status().message();
  EXPECT_EQ(*c, (TlsContainer{"default", "foo-tls"}));
  EXPECT_EQ(c->secret(), "default/foo-tls");
  EXPECT_EQ(c->container(), "default__foo-tls");
  EXPECT_EQ(*parse_tls_container("kube-system__a.b"), (TlsContainer{"kube-system", "a.b"}));

  struct Case {
    const char* container;
    const char* message;
  } cases[] = {
      {"nodelimiter", "is not <namespace>__<secret name>"},
      {"Default__x", "namespace 'Default' is not a DNS-1123 label"},
      {"__x", "namespace '' is not"},
      {"default__", "Secret name '' is not a DNS-1123 subdomain"},
      {"default__../../etc/passwd", "Secret name '../../etc/passwd'"},
      {"default__a/b", "Secret name 'a/b'"},
      {"default__x__y", "Secret name 'x__y'"},
      {"a_b__c", "namespace 'a_b'"},
      {"default__.hidden", "Secret name '.hidden'"},
  };
  for (const auto& k : cases) {
    auto r = parse_tls_container(k.container);
    ASSERT_FALSE(r.is_ok()) << k.container;
    EXPECT_EQ(r.status().code(), core::Code::kInvalid);
    EXPECT_NE(r.status().message().find(k.message), std::string::npos) << r.status().message();
    EXPECT_NE(r.status().message().find("TLS container '"), std::string::npos);
  }
}

TEST(HaproxyTls, NamesPemFilesByTheirContainerNotTheCertificate) {
  EXPECT_EQ(pem_file_name({"default", "foo-tls"}), "default__foo-tls.pem");
  EXPECT_EQ(pem_file_name({"default", "foo.tls"}), "default__foo.tls.pem");
  // The longest valid names still give a file name (<= 255 bytes), distinct and stable.
  const std::string ns(63, 'n');
  const std::string a = std::string(200, 'a') + ".x", b = std::string(200, 'a') + ".y";
  const std::string fa = pem_file_name({ns, a}), fb = pem_file_name({ns, b});
  EXPECT_LE(fa.size(), 255u);
  EXPECT_NE(fa, fb);
  EXPECT_EQ(fa, pem_file_name({ns, a}));
  EXPECT_EQ(fa.rfind(ns + "__aaaa", 0), 0u);
  EXPECT_EQ(fa.substr(fa.size() - 4), ".pem");
}

const char* kText =
    "global\n\tdaemon\n\n"
    "frontend L80\n\toption tcplog\n\tbind 10.0.0.5:80 \n\tmode http\n"
    "\tacl P1_host hdr(host) -i foo.bar.com\n\tuse_backend P1 if P1_host \n\t\n\n"
    "frontend L443\n\toption tcplog\n"
    "\tbind 10.0.0.5:443 ssl crt__default__def-tls crt__default__foo-tls crt__default__def-tls "
    "no-sslv3\n"
    "\tmode http\n\tacl P2_host hdr(host) -i foo.bar.com\n\tuse_backend P2 if P2_host \n\t\n\n"
    "backend P1\n\tmode http\n\tserver M1 10.96.0.1:80 weight 1\n\n"
    "backend P2\n\tmode http\n\tserver M2 10.96.0.1:80 weight 1\n\n";

TEST(HaproxyTls, ListsTheContainersOfBindLines) {
  EXPECT_EQ(tls_containers_in(kText),
            (std::vector<std::string>{"default__def-tls", "default__foo-tls"}));
  EXPECT_TRUE(tls_containers_in("global\nfrontend f\n\tbind 1.2.3.4:80 \n").empty());
}

TEST(HaproxyTls, ReplacesTokensWithFilesOncePerContainer) {
  std::map<std::string, int> calls;
  auto r = rewrite_tls_binds(kText, [&](const std::string& c) -> core::Result<std::string> {
    ++calls[c];
    return "/d/" + c + ".pem";
  });
  EXPECT_TRUE(r.errors.empty());
  std::string want = kText;
  const std::string from =
      "\tbind 10.0.0.5:443 ssl crt__default__def-tls crt__default__foo-tls crt__default__def-tls "
      "no-sslv3";
  want.replace(want.find(from), from.size(),
               "\tbind 10.0.0.5:443 ssl crt /d/default__def-tls.pem crt /d/default__foo-tls.pem "
               "no-sslv3");
  EXPECT_EQ(r.text, want) << "the default certificate stays first; a repeated one is dropped";
  EXPECT_EQ(calls, (std::map<std::string, int>{{"default__def-tls", 1}, {"default__foo-tls", 1}}));
  EXPECT_EQ(r.containers, (std::vector<std::string>{"default__def-tls", "default__foo-tls"}));
  ASSERT_EQ(r.adaptations.size(), 2u);
  EXPECT_EQ(r.adaptations[0].rfind("crt__default__def-tls -> crt /d/default__def-tls.pem", 0), 0u);

  // No token: the text comes back as it was, and the resolver is not called.
  calls.clear();
  const std::string plain = "global\nfrontend f\n\tbind 1.2.3.4:80 \n\tmode http";
  auto p = rewrite_tls_binds(plain, [&](const std::string& c) -> core::Result<std::string> {
    ++calls[c];
    return std::string("/x");
  });
  EXPECT_EQ(p.text, plain);
  EXPECT_TRUE(calls.empty());
}

TEST(HaproxyTls, LeavesOutWhatCannotBeResolvedAndKeepsTheRest) {
  // foo's Secret is missing: the bind keeps the default certificate.
  auto r = rewrite_tls_binds(kText, [](const std::string& c) -> core::Result<std::string> {
    if (c == "default__foo-tls") return core::not_found("Secret default/foo-tls not found");
    return "/d/" + c + ".pem";
  });
  EXPECT_NE(r.text.find("\tbind 10.0.0.5:443 ssl crt /d/default__def-tls.pem no-sslv3\n"),
            std::string::npos)
      << r.text;
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(r.errors[0],
            "frontend L443 (bind 10.0.0.5:443): certificate crt__default__foo-tls left out: "
            "Secret default/foo-tls not found");

  // No certificate at all: the TLS frontend goes, everything else stays byte for byte.
  auto none = rewrite_tls_binds(kText, [](const std::string& c) -> core::Result<std::string> {
    return core::not_found("Secret " + c + " not found");
  });
  std::string want = kText;
  const size_t from = want.find("frontend L443"), to = want.find("\nbackend P1") + 1;
  want.erase(from, to - from);
  EXPECT_EQ(none.text, want);
  ASSERT_EQ(none.errors.size(), 3u);
  EXPECT_EQ(none.errors[2],
            "frontend L443 (bind 10.0.0.5:443) not served: none of its certificates could be "
            "loaded");
  EXPECT_TRUE(none.containers.empty());
}

mode_t mode_of(const std::string& path) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0) return 0;
  return st.st_mode & 07777;
}

std::string read_all(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(HaproxyTls, WritesPrivateFilesAtomicallyWithMode0600) {
  char tmpl[] = "/tmp/csim-tls-XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  const std::string dir = tmpl;
  const mode_t old_umask = umask(0);  // a permissive umask must not make the key readable
  auto st = write_private_file(dir, "default__foo-tls.pem", "first");
  umask(old_umask);
  ASSERT_TRUE(st.is_ok()) << st.message();
  EXPECT_EQ(mode_of(dir + "/default__foo-tls.pem"), 0600);
  EXPECT_EQ(read_all(dir + "/default__foo-tls.pem"), "first");

  // Replacing a file that someone made world-readable gives a 0600 file again.
  chmod((dir + "/default__foo-tls.pem").c_str(), 0644);
  ASSERT_TRUE(write_private_file(dir, "default__foo-tls.pem", "second").is_ok());
  EXPECT_EQ(mode_of(dir + "/default__foo-tls.pem"), 0600);
  EXPECT_EQ(read_all(dir + "/default__foo-tls.pem"), "second");

  // A symlink in the way is replaced, not followed.
  ASSERT_EQ(symlink("/etc/hostname", (dir + "/link.pem").c_str()), 0);
  ASSERT_TRUE(write_private_file(dir, "link.pem", "third").is_ok());
  EXPECT_EQ(read_all(dir + "/link.pem"), "third");
  EXPECT_FALSE(std::filesystem::is_symlink(dir + "/link.pem"));

  // No temporary file is left behind.
  size_t files = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    ++files;
    EXPECT_NE(e.path().filename().string()[0], '.') << e.path();
  }
  EXPECT_EQ(files, 2u);

  for (const char* bad : {"", ".hidden.pem", "../x.pem", "a/b.pem"}) {
    auto r = write_private_file(dir, bad, "x");
    EXPECT_EQ(r.code(), core::Code::kInvalid) << bad;
  }
  auto missing = write_private_file(dir + "/nosuch", "x.pem", "x");
  EXPECT_EQ(missing.code(), core::Code::kUnavailable);
  EXPECT_NE(missing.message().find(dir + "/nosuch/.tmp."), std::string::npos) << missing.message();
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace csim::agent
