// `csim config`'s client against the real config DB (SQLite, in memory) served by the real
// REST server on loopback.
#include "daemon/config_client.h"

#include <gtest/gtest.h>

#include "controller/bootstrap.h"
#include "controller/config_db.h"
#include "controller/rest/config_rest_server.h"
#include "core/bus.h"
#include "core/clock.h"

namespace csim::daemon {
namespace {

using nlohmann::json;

class ConfigClient : public ::testing::Test {
 protected:
  void SetUp() override {
    auto db = controller::ConfigDb::open(bus_, clock_, ":memory:", 7);
    ASSERT_TRUE(db.is_ok()) << db.status().message();
    db_ = std::move(*db);
    ASSERT_TRUE(controller::provision_defaults(*db_).is_ok());
    controller::RestOptions options;
    options.port = 0;
    options.token = token_;
    server_ = std::make_unique<controller::ConfigRestServer>(*db_, options);
    auto port = server_->start();
    ASSERT_TRUE(port.is_ok()) << port.status().message();
    endpoint_.port = *port;
    endpoint_.token = token_;
    auto project = db_->read_fq("project", {"default-domain", "default-project"});
    ASSERT_TRUE(project);
    project_uuid_ = project->uuid;
  }
  void TearDown() override {
    if (server_) server_->stop();
  }

  core::SimulatedClock clock_;
  core::Bus bus_{clock_, core::Bus::Mode::kDeterministic};
  std::string token_;
  std::unique_ptr<controller::ConfigDb> db_;
  std::unique_ptr<controller::ConfigRestServer> server_;
  ConfigEndpoint endpoint_;
  std::string project_uuid_;
};

TEST(ConfigType, Spellings) {
  EXPECT_EQ(*config_type("loadbalancer"), "loadbalancer");
  EXPECT_EQ(*config_type("loadbalancers"), "loadbalancer");
  EXPECT_EQ(*config_type("loadbalancer_pool"), "loadbalancer-pool");
  EXPECT_EQ(*config_type("loadbalancer-pools"), "loadbalancer-pool");
  auto bad = config_type("loadbalancerz");
  ASSERT_FALSE(bad.is_ok());
  EXPECT_EQ(bad.status().code(), core::Code::kInvalid);
  EXPECT_EQ(bad.status().message(),
            "unknown config type \"loadbalancerz\" (did you mean loadbalancer?); `csim config types` lists them");
  EXPECT_EQ(config_type("flux-capacitor").status().message(),
            "unknown config type \"flux-capacitor\"; `csim config types` lists them");
  EXPECT_NE(config_type("virtual_machine_interfaz").status().message().find("did you mean virtual-machine-interface?"),
            std::string::npos);
  EXPECT_FALSE(config_type("").is_ok());
  EXPECT_FALSE(config_type("../etc").is_ok());
  EXPECT_TRUE(looks_like_uuid("78833635-915b-41b4-930d-84f91bf14b09"));
  EXPECT_FALSE(looks_like_uuid("78833635-915b-41b4-930d-84f91bf14b0g"));
  EXPECT_FALSE(looks_like_uuid("78833635915b41b4930d84f91bf14b09"));
}

TEST_F(ConfigClient, GetByUuidAndByFqName) {
  auto by_uuid = config_get(endpoint_, "project", project_uuid_);
  ASSERT_TRUE(by_uuid.is_ok()) << by_uuid.status().message();
  EXPECT_EQ((*by_uuid)["project"]["uuid"], project_uuid_);
  EXPECT_EQ((*by_uuid)["project"]["fq_name"], json::parse(R"(["default-domain","default-project"])"));
  auto by_name = config_get(endpoint_, "projects", "default-domain:default-project");
  ASSERT_TRUE(by_name.is_ok()) << by_name.status().message();
  EXPECT_EQ(*by_name, *by_uuid);
}

TEST_F(ConfigClient, ErrorsNameWhatIsMissing) {
  auto no_uuid = config_get(endpoint_, "loadbalancer", "00000000-0000-0000-0000-0000000000aa");
  ASSERT_FALSE(no_uuid.is_ok());
  EXPECT_EQ(no_uuid.status().code(), core::Code::kNotFound);
  EXPECT_EQ(no_uuid.status().message(), "no loadbalancer 00000000-0000-0000-0000-0000000000aa in the config API");
  // The project exists but is no loadbalancer.
  EXPECT_EQ(config_get(endpoint_, "loadbalancer", project_uuid_).status().code(), core::Code::kNotFound);
  auto no_name = config_get(endpoint_, "project", "default-domain:nope");
  ASSERT_FALSE(no_name.is_ok());
  EXPECT_EQ(no_name.status().code(), core::Code::kNotFound);
  EXPECT_EQ(no_name.status().message(), "no project named default-domain:nope in the config API");
  EXPECT_EQ(config_get(endpoint_, "project", "just-a-name").status().code(), core::Code::kInvalid);
  EXPECT_EQ(config_get(endpoint_, "project", "a::b").status().code(), core::Code::kInvalid);
  EXPECT_EQ(config_get(endpoint_, "project", std::string("a:\nb")).status().code(), core::Code::kInvalid);
  EXPECT_EQ(config_get(endpoint_, "nonsense", project_uuid_).status().code(), core::Code::kInvalid);

  ConfigEndpoint nobody = endpoint_;
  server_->stop();
  auto down = config_list(nobody, "project", false);
  ASSERT_FALSE(down.is_ok());
  EXPECT_EQ(down.status().code(), core::Code::kUnavailable);
  EXPECT_NE(down.status().message().find("cannot reach the config API at 127.0.0.1:"), std::string::npos)
      << down.status().message();
}

TEST_F(ConfigClient, ListAndDetail) {
  auto list = config_list(endpoint_, "virtual-network", false);
  ASSERT_TRUE(list.is_ok()) << list.status().message();
  ASSERT_TRUE((*list)["virtual-networks"].is_array());
  bool found = false;
  for (const auto& vn : (*list)["virtual-networks"]) {
    if (vn["fq_name"] == json::parse(R"(["default-domain","default-project","__public__"])")) found = true;
    EXPECT_FALSE(vn.contains("network_ipam_refs"));
  }
  EXPECT_TRUE(found) << list->dump();
  auto detail = config_list(endpoint_, "virtual-networks", true);
  ASSERT_TRUE(detail.is_ok()) << detail.status().message();
  bool has_refs = false;
  for (const auto& vn : (*detail)["virtual-networks"])
    if (vn.contains("virtual-network") && vn["virtual-network"].contains("network_ipam_refs")) has_refs = true;
  EXPECT_TRUE(has_refs) << detail->dump().substr(0, 500);
  auto none = config_list(endpoint_, "loadbalancer", true);
  ASSERT_TRUE(none.is_ok());
  EXPECT_EQ(*none, json::parse(R"({"loadbalancers": []})"));
}

class ConfigClientWithToken : public ConfigClient {
 protected:
  void SetUp() override {
    token_ = "s3cret-token-for-tests";
    ConfigClient::SetUp();
  }
};

TEST_F(ConfigClientWithToken, SendsTheToken) {
  EXPECT_TRUE(config_get(endpoint_, "project", project_uuid_).is_ok());
  ConfigEndpoint without = endpoint_;
  without.token.clear();
  auto refused = config_get(without, "project", project_uuid_);
  ASSERT_FALSE(refused.is_ok());
  EXPECT_NE(refused.status().message().find("refused the token (401)"), std::string::npos)
      << refused.status().message();
}

}  // namespace
}  // namespace csim::daemon
