#include "daemon/endpoints.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace csim::daemon {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

StateDir fresh_state(const std::string& name) {
  const char* t = std::getenv("TEST_TMPDIR");
  StateDir s{std::string(t ? t : "/tmp") + "/endpoints_test-" + name};
  fs::remove_all(s.dir);
  fs::create_directories(s.dir);
  return s;
}

TEST(Endpoints, WriteThenReadWithMode0600) {
  StateDir state = fresh_state("roundtrip");
  DaemonEndpoints e;
  e.pid = 4242;
  e.listen_address = "127.0.0.1";
  e.api_port = 40000;
  e.config_port = 8082;
  e.introspect_port = 8085;
  ASSERT_TRUE(write_endpoints(state, e).is_ok());
  EXPECT_EQ(state.endpoints_file(), state.dir + "/csim.json");
  struct stat st;
  ASSERT_EQ(stat(state.endpoints_file().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  std::ifstream in(state.endpoints_file());
  json j = json::parse(in);
  EXPECT_EQ(j, json::parse(R"({"pid":4242,"listen_address":"127.0.0.1","api_port":40000,
                               "config_port":8082,"introspect_port":8085})"));
  auto back = read_endpoints(state);
  ASSERT_TRUE(back.is_ok()) << back.status().message();
  EXPECT_EQ(back->pid, 4242);
  EXPECT_EQ(back->config_port, 8082);
  EXPECT_EQ(back->introspect_port, 8085);
  EXPECT_EQ(back->token, "");

  e.token = "s3cret-token";
  ASSERT_TRUE(write_endpoints(state, e).is_ok());
  EXPECT_EQ(read_endpoints(state)->token, "s3cret-token");
  EXPECT_FALSE(fs::exists(state.endpoints_file() + ".tmp"));
}

TEST(Endpoints, MissingAndMalformed) {
  StateDir state = fresh_state("bad");
  auto missing = read_endpoints(state);
  ASSERT_FALSE(missing.is_ok());
  EXPECT_EQ(missing.status().code(), core::Code::kNotFound);
  std::ofstream(state.endpoints_file()) << R"({"pid":1,"listen_address":"127.0.0.1","api_port":1,"config_port":"x"})";
  auto bad = read_endpoints(state);
  ASSERT_FALSE(bad.is_ok());
  EXPECT_EQ(bad.status().code(), core::Code::kInvalid);
  EXPECT_NE(bad.status().message().find("\"config_port\" must be a port number"), std::string::npos)
      << bad.status().message();
  EXPECT_FALSE(endpoints_from_json(json::parse(R"({"pid":1,"listen_address":"::1","api_port":1,
      "config_port":2,"introspect_port":70000})")).is_ok());
}

TEST(Endpoints, ClientAddress) {
  EXPECT_EQ(*client_ipv4("0.0.0.0"), "127.0.0.1");
  EXPECT_EQ(*client_ipv4("127.0.0.2"), "127.0.0.2");
  auto v6 = client_ipv4("::1");
  ASSERT_FALSE(v6.is_ok());
  EXPECT_NE(v6.status().message().find("IPv4 only"), std::string::npos);
}

}  // namespace
}  // namespace csim::daemon
