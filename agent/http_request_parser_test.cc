#include "agent/http_request_parser.h"

#include <gtest/gtest.h>

namespace csim::agent {
namespace {

using Kind = ParseOutcome::Kind;

TEST(HttpRequestParser, SimpleGet) {
  HttpRequest req;
  std::string data =
      "GET /qa.html?x=1 HTTP/1.1\r\nHost: foo.com\r\nX-A: 1\r\n\r\nGET / HTTP/1.1\r\n";
  auto o = parse_http_request(data, {}, &req);
  ASSERT_EQ(o.kind, Kind::kComplete);
  EXPECT_EQ(o.consumed, data.find("GET /", 5));
  EXPECT_EQ(req.method, "GET");
  EXPECT_EQ(req.target, "/qa.html?x=1");
  EXPECT_EQ(req.header("host"), "foo.com");
  EXPECT_TRUE(req.keep_alive());
}

TEST(HttpRequestParser, IncompleteUntilHeadAndBodyArrive) {
  HttpRequest req;
  EXPECT_EQ(parse_http_request("GET / HTTP/1.1\r\nHost: a\r\n", {}, &req).kind, Kind::kIncomplete);
  std::string post = "POST /p HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nab";
  EXPECT_EQ(parse_http_request(post, {}, &req).kind, Kind::kIncomplete);
  post += "cde";
  auto o = parse_http_request(post, {}, &req);
  ASSERT_EQ(o.kind, Kind::kComplete);
  EXPECT_EQ(req.body, "abcde");
  EXPECT_EQ(o.consumed, post.size());
}

TEST(HttpRequestParser, ChunkedBody) {
  HttpRequest req;
  std::string data =
      "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: "
      "chunked\r\n\r\n3\r\nabc\r\n2;ext=1\r\nde\r\n0\r\nX-T: 1\r\n\r\n";
  auto o = parse_http_request(data, {}, &req);
  ASSERT_EQ(o.kind, Kind::kComplete);
  EXPECT_EQ(req.body, "abcde");
  EXPECT_EQ(o.consumed, data.size());
  EXPECT_EQ(parse_http_request(data.substr(0, data.size() - 2), {}, &req).kind, Kind::kIncomplete);
}

TEST(HttpRequestParser, KeepAliveRules) {
  HttpRequest req;
  parse_http_request("GET / HTTP/1.0\r\n\r\n", {}, &req);
  EXPECT_FALSE(req.keep_alive());
  parse_http_request("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", {}, &req);
  EXPECT_TRUE(req.keep_alive());
  parse_http_request("GET / HTTP/1.1\r\nHost: a\r\nConnection: foo, close\r\n\r\n", {}, &req);
  EXPECT_FALSE(req.keep_alive());
}

TEST(HttpRequestParser, MalformedRequestsAreRejectedWithStatus) {
  HttpRequest req;
  struct Case {
    std::string data;
    int status;
  } cases[] = {
      {"GARBAGE\r\n\r\n", 400},
      {"GET  / HTTP/1.1\r\nHost: a\r\n\r\n", 400},
      {"GET / HTTP/2.0\r\nHost: a\r\n\r\n", 400},
      {"GET / HTTP/1.1\r\n\r\n", 400},  // no Host
      {"GET / HTTP/1.1\r\nHost: a\r\nBad Header: x\r\n\r\n", 400},
      {"GET / HTTP/1.1\r\nHost: a\r\nNoColon\r\n\r\n", 400},
      {"GET / HTTP/1.1\r\nHost: a\r\n folded\r\n\r\n", 400},
      {"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: x\r\n\r\n", 400},
      {"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", 400},
      {"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 99999999\r\n\r\n", 413},
      {"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\n", 501},
      {"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 400},
  };
  for (const auto& c : cases) {
    auto o = parse_http_request(c.data, {}, &req);
    EXPECT_EQ(o.kind, Kind::kError) << c.data;
    EXPECT_EQ(o.status, c.status) << c.data << " -> " << o.reason;
  }
}

TEST(HttpRequestParser, HeadSizeIsBounded) {
  HttpRequest req;
  std::string huge = "GET / HTTP/1.1\r\nHost: a\r\nX: " + std::string(20000, 'a');
  auto o = parse_http_request(huge, {}, &req);
  EXPECT_EQ(o.kind, Kind::kError);
  EXPECT_EQ(o.status, 431);
}

}  // namespace
}  // namespace csim::agent
