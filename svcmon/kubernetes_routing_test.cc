#include "svcmon/kubernetes_routing.h"

#include <gtest/gtest.h>

namespace csim::svcmon {
namespace {

using Lines = std::vector<std::string>;

RoutingPool pool(const std::string& uuid, std::map<std::string, std::string> annotations) {
  return {uuid, std::move(annotations)};
}

// The routing lines without the comment line.
Lines routing(const std::vector<RoutingPool>& pools, bool* no_match = nullptr) {
  KubernetesRouting r = kubernetes_routing(pools, pools);
  EXPECT_EQ(r.lines.at(0).rfind("# kubernetes semantics: ", 0), 0u);
  if (no_match) *no_match = r.uses_no_match_backend;
  return Lines(r.lines.begin() + 1, r.lines.end());
}

TEST(RegexEscape, EveryAsciiNonAlphanumericIsEscaped) {
  EXPECT_EQ(regex_escape("aZ09"), "aZ09");
  EXPECT_EQ(regex_escape("a.b-c_d~e*f+g?h(i)[j]{k}|l^m$n/o%p:q;r=s&t!u@v,w<x>y`z"),
            "a\\.b\\-c\\_d\\~e\\*f\\+g\\?h\\(i\\)\\[j\\]\\{k\\}\\|l\\^m\\$n\\/o\\%p\\:q\\;r\\=s\\&"
            "t\\!u\\@v\\,w\\<x\\>y\\`z");
  EXPECT_EQ(regex_escape("caf\xc3\xa9"), "caf\xc3\xa9") << "bytes >= 0x80 are no metacharacters";
}

TEST(PrefixPathRegex, MatchesElementByElement) {
  EXPECT_EQ(prefix_path_regex("/"), "") << "no segment: every path";
  EXPECT_EQ(prefix_path_regex("///"), "");
  EXPECT_EQ(prefix_path_regex("/foo"), "^/*foo(/.*)?$");
  EXPECT_EQ(prefix_path_regex("/foo/"), "^/*foo(/.*)?$") << "the trailing slash does not count";
  EXPECT_EQ(prefix_path_regex("/aaa/bbb"), "^/*aaa/+bbb(/.*)?$");
  EXPECT_EQ(prefix_path_regex("//aaa//bbb/"), "^/*aaa/+bbb(/.*)?$") << "empty segments count for nothing";
  EXPECT_EQ(prefix_path_regex("/a.b/c*"), "^/*a\\.b/+c\\*(/.*)?$");
}

TEST(WildcardHostRegex, ExactlyOneLabelLowerCase) {
  EXPECT_EQ(wildcard_host_regex("*.foo.com"), "^[^.]+\\.foo\\.com$");
  EXPECT_EQ(wildcard_host_regex("*.Foo.COM"), "^[^.]+\\.foo\\.com$");
  EXPECT_EQ(wildcard_host_regex("*.a-b.*"), "^[^.]+\\.a\\-b\\.\\*$");
}

TEST(KubernetesProblems, HostsAndPaths) {
  EXPECT_EQ(kubernetes_host_problem("foo.com"), "");
  EXPECT_EQ(kubernetes_host_problem("*.foo.com"), "");
  EXPECT_EQ(kubernetes_host_problem("foo.com:80"), "has a ':' (an Ingress host has no port)");
  EXPECT_EQ(kubernetes_host_problem("[::1]"), "has a ':' (an Ingress host has no port)");
  EXPECT_EQ(kubernetes_host_problem("-i"), "starts with '-'");
  EXPECT_EQ(kubernetes_path_problem(""), "");
  EXPECT_EQ(kubernetes_path_problem("/a"), "");
  EXPECT_EQ(kubernetes_path_problem("a"), "does not start with '/'");
  EXPECT_EQ(kubernetes_path_problem("-i"), "does not start with '/'");
}

TEST(KubernetesRouting, DocsHostExampleOrdersHostsThenWildcardsThenHostless) {
  // docs/semantics.md "Hosts": *.foo.com Prefix /, foo.bar.com Prefix /, host-less Exact /x.
  bool no_match = false;
  Lines lines = routing({pool("W", {{"type", "acl"}, {"host", "*.foo.com"}, {"path", "/"},
                                    {"pathType", "Prefix"}, {"index", "0"}}),
                         pool("H", {{"type", "acl"}, {"host", "foo.bar.com"}, {"path", "/"},
                                    {"pathType", "Prefix"}, {"index", "1"}}),
                         pool("X", {{"type", "acl"}, {"path", "/x"}, {"pathType", "Exact"},
                                    {"index", "2"}})},
                        &no_match);
  EXPECT_EQ(lines, (Lines{
                       "acl W_host req.fhdr(host),field(1,:),lower -m reg '^[^.]+\\.foo\\.com$'",
                       "acl H_host req.fhdr(host),field(1,:),lower -m str foo.bar.com",
                       "acl X_path path /x",
                       "acl ingress_hosts req.fhdr(host),field(1,:),lower -m str foo.bar.com",
                       "acl ingress_wildcards req.fhdr(host),field(1,:),lower -m reg "
                       "'^[^.]+\\.foo\\.com$'",
                       "use_backend H if H_host",
                       "use_backend no-match-404 if ingress_hosts",
                       "use_backend W if W_host",
                       "use_backend no-match-404 if ingress_wildcards",
                       "use_backend X if X_path",
                       "default_backend no-match-404",
                   }));
  EXPECT_TRUE(no_match);
}

TEST(KubernetesRouting, LongestFirstExactBeforePrefixThenSpecOrder) {
  // Prefix /, /aaa, /aaa/bbb/ (trailing slash: length 8), Exact /aaa/bbb (length 8),
  // Prefix /foo and Exact /foo, ImplementationSpecific /aaa/bbb (exact, length 8).
  Lines lines = routing({
      pool("A", {{"type", "acl"}, {"path", "/"}, {"pathType", "Prefix"}, {"index", "0"}}),
      pool("B", {{"type", "acl"}, {"path", "/aaa"}, {"pathType", "Prefix"}, {"index", "1"}}),
      pool("C", {{"type", "acl"}, {"path", "/aaa/bbb/"}, {"pathType", "Prefix"}, {"index", "2"}}),
      pool("D", {{"type", "acl"}, {"path", "/aaa/bbb"}, {"pathType", "Exact"}, {"index", "3"}}),
      pool("E", {{"type", "acl"}, {"path", "/foo"}, {"pathType", "Prefix"}, {"index", "4"}}),
      pool("F", {{"type", "acl"}, {"path", "/foo"}, {"pathType", "Exact"}, {"index", "5"}}),
      pool("G", {{"type", "acl"}, {"path", "/aaa/bbb"}, {"index", "6"}}),  // no pathType
      pool("Z", {{"type", "default"}, {"index", "7"}}),
  });
  EXPECT_EQ(lines, (Lines{
                       "acl B_path path_reg '^/*aaa(/.*)?$'",
                       "acl C_path path_reg '^/*aaa/+bbb(/.*)?$'",
                       "acl D_path path /aaa/bbb",
                       "acl E_path path_reg '^/*foo(/.*)?$'",
                       "acl F_path path /foo",
                       "acl G_path path /aaa/bbb",
                       "use_backend D if D_path",
                       "use_backend G if G_path",
                       "use_backend C if C_path",
                       "use_backend F if F_path",
                       "use_backend B if B_path",
                       "use_backend E if E_path",
                       "use_backend A",
                       "default_backend Z",
                   }));
}

TEST(KubernetesRouting, PathlessEntriesAndExactWithoutPath) {
  bool no_match = true;
  Lines lines = routing({
      pool("E", {{"type", "acl"}, {"host", "a.com"}, {"pathType", "Exact"}, {"index", "0"}}),
      pool("I", {{"type", "acl"}, {"host", "b.com"}, {"path", ""}, {"index", "1"}}),
      pool("P", {{"type", "acl"}, {"pathType", "Prefix"}, {"index", "2"}}),
      pool("D", {{"type", "default"}, {"index", "3"}}),
  }, &no_match);
  EXPECT_EQ(lines, (Lines{
                       "acl I_host req.fhdr(host),field(1,:),lower -m str b.com",
                       "acl ingress_hosts req.fhdr(host),field(1,:),lower -m str a.com b.com",
                       "use_backend I if I_host",
                       "use_backend D if ingress_hosts",
                       "use_backend P",
                       "default_backend D",
                   }))
      << "Exact without a path never matches but still owns a.com";
  EXPECT_FALSE(no_match);
}

TEST(KubernetesRouting, ClaimedHostsComeFromEveryPoolOfTheIngress) {
  RoutingPool hostless = pool("X", {{"type", "acl"}, {"path", "/x"}, {"pathType", "Exact"},
                                    {"index", "0"}, {"claimed_hosts", "Only.Claimed,*.Wild.Example"}});
  RoutingPool https_only = pool("S", {{"type", "acl"}, {"host", "tls.example"}, {"index", "1"}});
  KubernetesRouting r = kubernetes_routing({hostless}, {hostless, https_only});
  EXPECT_EQ(Lines(r.lines.begin() + 1, r.lines.end()),
            (Lines{
                "acl X_path path /x",
                "acl ingress_hosts req.fhdr(host),field(1,:),lower -m str only.claimed tls.example",
                "acl ingress_wildcards req.fhdr(host),field(1,:),lower -m reg "
                "'^[^.]+\\.wild\\.example$'",
                "use_backend no-match-404 if ingress_hosts",
                "use_backend no-match-404 if ingress_wildcards",
                "use_backend X if X_path",
                "default_backend no-match-404",
            }));
}

TEST(KubernetesRouting, NoClaimLinesWhenNothingFollows) {
  Lines lines = routing({
      pool("A", {{"type", "acl"}, {"host", "a.com"}, {"path", "/a"}, {"pathType", "Exact"}}),
      pool("W", {{"type", "acl"}, {"host", "*.b.com"}, {"path", "/"}, {"pathType", "Prefix"}}),
  });
  EXPECT_EQ(lines, (Lines{
                       "acl A_host req.fhdr(host),field(1,:),lower -m str a.com",
                       "acl A_path path /a",
                       "acl W_host req.fhdr(host),field(1,:),lower -m reg '^[^.]+\\.b\\.com$'",
                       "acl ingress_hosts req.fhdr(host),field(1,:),lower -m str a.com",
                       "use_backend A if A_host A_path",
                       "use_backend no-match-404 if ingress_hosts",
                       "use_backend W if W_host",
                       "default_backend no-match-404",
                   }));
}

TEST(KubernetesRouting, NoPoolsGiveA404ForEverything) {
  bool no_match = false;
  EXPECT_EQ(routing({}, &no_match), (Lines{"default_backend no-match-404"}));
  EXPECT_TRUE(no_match);
  EXPECT_EQ(no_match_backend_lines(),
            (Lines{"mode http", "http-request return status 404 default-errorfiles"}));
}

}  // namespace
}  // namespace csim::svcmon
