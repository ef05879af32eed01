// The echo server as pods run it: started in a namespace, asked over a veth with the
// HTTP client, and poked with raw bytes for keep-alive, pipelining and bad requests.
#include "agent/echo_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <nlohmann/json.hpp>

#include "agent/http_client.h"
#include "agent/netns.h"
#include "agent/process.h"
#include "agent/test_util.h"

namespace csim::agent {
namespace {

using namespace std::chrono_literals;

// A pod namespace (10.9.1.2) and a client namespace (10.9.1.1) joined by a veth, with the
// echo server running in the pod namespace on ports 8080 and 80.
class EchoServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto pod = create_netns("csim-t-echo-pod");
    auto cli = create_netns("csim-t-echo-cli");
    ASSERT_TRUE(pod.is_ok() && cli.is_ok());
    pod_ = *pod;
    cli_ = *cli;
    CSIM_ASSERT_OK(cli_->rtnl().add_veth({"eth0"}, {"eth0", pod_->fd(), "", true, &pod_->rtnl()}));
    CSIM_ASSERT_OK(cli_->rtnl().add_address("eth0", *parse_ipv4_prefix("10.9.1.1/24")));
    CSIM_ASSERT_OK(pod_->rtnl().add_address("eth0", *parse_ipv4_prefix("10.9.1.2/24")));
    int p[2];
    ASSERT_EQ(pipe2(p, O_CLOEXEC), 0);
    Command cmd{
        {"/proc/self/exe", "echo-server", "--pod", "qa-1", "--namespace", "default", "--node",
         "node-1", "--labels", R"({"app":"qa"})", "--port", "8080", "--port", "80"},
        "csim-t-echo-pod"};
    auto child = start_process(cmd, {-1, p[1], 2});
    close(p[1]);
    CSIM_ASSERT_OK(child);
    server_ = std::move(*child);
    std::string line;
    char c;
    struct pollfd pf = {p[0], POLLIN, 0};
    while (poll(&pf, 1, 5000) == 1 && read(p[0], &c, 1) == 1 && c != '\n') line += c;
    close(p[0]);
    ASSERT_EQ(line, "listening on :8080 :80");
  }
  void TearDown() override {
    if (server_) server_->stop(2s);
    delete_netns("csim-t-echo-pod");
    delete_netns("csim-t-echo-cli");
  }

  // Sends raw bytes from the client namespace and reads until the server closes or
  // `expect_bytes` arrived (bounded by 3 s).
  std::string raw_exchange(const std::string& bytes, size_t expect_responses) {
    auto s = socket_in_netns(cli_->fd(), "cli", AF_INET, SOCK_STREAM);
    EXPECT_TRUE(s.is_ok());
    int fd = *s;
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(8080);
    inet_pton(AF_INET, "10.9.1.2", &a.sin_addr);
    EXPECT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    EXPECT_EQ(send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL),
              static_cast<ssize_t>(bytes.size()));
    std::string got;
    char buf[4096];
    auto deadline = std::chrono::steady_clock::now() + 3s;
    while (std::chrono::steady_clock::now() < deadline) {
      size_t count = 0;
      for (size_t pos = 0; (pos = got.find("HTTP/1.1 ", pos)) != std::string::npos; ++pos) ++count;
      if (count >= expect_responses && got.size() > 0 && got.rfind("}\n") == got.size() - 2) break;
      struct pollfd pf = {fd, POLLIN, 0};
      if (poll(&pf, 1, 100) != 1) continue;
      ssize_t n = read(fd, buf, sizeof buf);
      if (n <= 0) break;
      got.append(buf, n);
    }
    close(fd);
    return got;
  }

  std::shared_ptr<Netns> pod_, cli_;
  std::unique_ptr<ChildProcess> server_;
};

TEST_F(EchoServerTest, AnswersWithJsonDescribingPodAndRequest) {
  HttpRequestSpec spec;
  spec.netns = "csim-t-echo-cli";
  spec.ip = "10.9.1.2";
  spec.port = 8080;
  spec.host_header = "foo.com";
  spec.path = "/qa.html?x=1";
  spec.extra_headers = {{"X-Test", "a"}, {"X-Test", "b"}};
  auto r = http_request(spec);
  CSIM_ASSERT_OK(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->header("content-type"), "application/json");
  auto j = nlohmann::json::parse(r->body);
  EXPECT_EQ(j["pod"], "qa-1");
  EXPECT_EQ(j["namespace"], "default");
  EXPECT_EQ(j["node"], "node-1");
  EXPECT_EQ(j["labels"], nlohmann::json({{"app", "qa"}}));
  EXPECT_EQ(j["method"], "GET");
  EXPECT_EQ(j["host"], "foo.com");
  EXPECT_EQ(j["path"], "/qa.html?x=1");
  EXPECT_EQ(j["headers"]["x-test"], "a, b");
  EXPECT_EQ(j["ip"], "10.9.1.2");
  EXPECT_EQ(j["port"], 8080);
  EXPECT_EQ(j["client"], "10.9.1.1");
  // The second port answers too.
  auto r80 = http_request_in_netns("csim-t-echo-cli", "10.9.1.2", 80, "POST", "bar", "/", 3s);
  CSIM_ASSERT_OK(r80);
  EXPECT_EQ(nlohmann::json::parse(r80->body)["port"], 80);
  EXPECT_EQ(nlohmann::json::parse(r80->body)["method"], "POST");
}

TEST_F(EchoServerTest, KeepAliveAndPipelining) {
  std::string two =
      "GET /a HTTP/1.1\r\nHost: h\r\n\r\n"
      "GET /b HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n";
  std::string got = raw_exchange(two, 2);
  size_t first = got.find("\"path\":\"/a\"");
  size_t second = got.find("\"path\":\"/b\"");
  EXPECT_NE(first, std::string::npos) << got;
  EXPECT_NE(second, std::string::npos) << got;
  EXPECT_LT(first, second);
  EXPECT_NE(got.find("Connection: close"), std::string::npos);
}

TEST_F(EchoServerTest, MalformedRequestGets400AndConnectionCloses) {
  std::string got = raw_exchange("THIS IS NOT HTTP\r\n\r\n", 1);
  EXPECT_EQ(got.rfind("HTTP/1.1 400 Bad Request\r\n", 0), 0u) << got;
  std::string huge = "GET / HTTP/1.1\r\nHost: h\r\nX-Big: " + std::string(20000, 'x') + "\r\n\r\n";
  got = raw_exchange(huge, 1);
  EXPECT_EQ(got.rfind("HTTP/1.1 431 ", 0), 0u) << got.substr(0, 100);
  // The server is still fine.
  auto r = http_request_in_netns("csim-t-echo-cli", "10.9.1.2", 8080, "GET", "h", "/", 3s);
  CSIM_ASSERT_OK(r);
  EXPECT_EQ(r->status, 200);
}

TEST_F(EchoServerTest, ExitsCleanlyOnSigterm) {
  ASSERT_TRUE(server_->signal(SIGTERM));
  auto st = server_->wait_for(3s);
  ASSERT_TRUE(st.has_value());
  EXPECT_TRUE(st->success()) << st->describe();
}

TEST_F(EchoServerTest, ClientReportsRefusedAndTimeouts) {
  auto refused = http_request_in_netns("csim-t-echo-cli", "10.9.1.2", 9999, "GET", "", "/", 2s);
  ASSERT_FALSE(refused.is_ok());
  EXPECT_NE(refused.status().message().find("Connection refused"), std::string::npos)
      << refused.status().message();
  EXPECT_NE(refused.status().message().find("from csim-t-echo-cli"), std::string::npos);
  // A listener that never answers: the read times out on the deadline.
  auto silent = socket_in_netns(pod_->fd(), "pod", AF_INET, SOCK_STREAM);
  CSIM_ASSERT_OK(silent);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(7777);
  ASSERT_EQ(bind(*silent, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  ASSERT_EQ(listen(*silent, 4), 0);
  auto start = std::chrono::steady_clock::now();
  auto slow = http_request_in_netns("csim-t-echo-cli", "10.9.1.2", 7777, "GET", "", "/", 300ms);
  close(*silent);
  ASSERT_FALSE(slow.is_ok());
  EXPECT_NE(slow.status().message().find("timed out after 300 ms"), std::string::npos)
      << slow.status().message();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 2s);
}

TEST(HttpClient, RejectsUnsafeInput) {
  EXPECT_EQ(http_request_in_netns("", "10.0.0.1; x", 80, "GET", "", "/", 1s).status().code(),
            core::Code::kInvalid);
  EXPECT_EQ(http_request_in_netns("", "10.0.0.1", 80, "GET", "", "/a b", 1s).status().code(),
            core::Code::kInvalid);
  EXPECT_EQ(http_request_in_netns("", "10.0.0.1", 80, "GET", "a\r\nX: y", "/", 1s).status().code(),
            core::Code::kInvalid);
  EXPECT_EQ(http_request_in_netns("", "10.0.0.1", 0, "GET", "", "/", 1s).status().code(),
            core::Code::kInvalid);
  EXPECT_EQ(http_request_in_netns("", "10.0.0.1", 80, "G T", "", "/", 1s).status().code(),
            core::Code::kInvalid);
  EXPECT_EQ(
      http_request_in_netns("csim-no-such-ns", "10.0.0.1", 80, "GET", "", "/", 1s).status().code(),
      core::Code::kNotFound);
}

TEST(EchoServerArgs, ParsesAndValidates) {
  const char* good[] = {"echo-server", "--pod", "p", "--port", "8080", "--labels", R"({"a":"b"})"};
  auto o = parse_echo_server_args(7, const_cast<char**>(good));
  CSIM_ASSERT_OK(o);
  EXPECT_EQ(o->ports, std::vector<int>{8080});
  const char* default_port[] = {"echo-server", "--pod", "p"};
  EXPECT_EQ(parse_echo_server_args(3, const_cast<char**>(default_port))->ports,
            std::vector<int>{80});
  const char* bad_port[] = {"echo-server", "--pod", "p", "--port", "70000"};
  EXPECT_FALSE(parse_echo_server_args(5, const_cast<char**>(bad_port)).is_ok());
  const char* bad_labels[] = {"echo-server", "--pod", "p", "--labels", "[1]"};
  EXPECT_FALSE(parse_echo_server_args(5, const_cast<char**>(bad_labels)).is_ok());
  const char* unknown[] = {"echo-server", "--pod", "p", "--bogus", "1"};
  EXPECT_FALSE(parse_echo_server_args(5, const_cast<char**>(unknown)).is_ok());
}

}  // namespace
}  // namespace csim::agent
