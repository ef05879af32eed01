#include "agent/nftables.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "agent/netns.h"
#include "agent/process.h"
#include "agent/test_util.h"

namespace csim::agent {
namespace {

using namespace std::chrono_literals;

const char* kRuleset = R"(table ip csim
delete table ip csim
table ip csim {
  chain prerouting {
    type nat hook prerouting priority dstnat; policy accept;
    ip daddr 10.96.0.10 tcp dport 80 dnat ip to numgen inc mod 1 map { 0 : 10.9.2.2 . 8080 }
  }
}
)";

// Client ns A (10.9.2.1) and server ns B (10.9.2.2, DNAT 10.96.0.10:80 -> 10.9.2.2:8080).
class NftTest : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override {
    set_nft_force_process(GetParam());
    auto a = create_netns("csim-t-nft-a");
    auto b = create_netns("csim-t-nft-b");
    ASSERT_TRUE(a.is_ok() && b.is_ok());
    a_ = *a;
    b_ = *b;
    CSIM_ASSERT_OK(a_->rtnl().add_veth({"eth0"}, {"eth0", b_->fd(), "", true, &b_->rtnl()}));
    CSIM_ASSERT_OK(a_->rtnl().add_address("eth0", *parse_ipv4_prefix("10.9.2.1/24")));
    CSIM_ASSERT_OK(b_->rtnl().add_address("eth0", *parse_ipv4_prefix("10.9.2.2/24")));
    CSIM_ASSERT_OK(a_->rtnl().replace_route(
        {*parse_ipv4_prefix("10.96.0.0/12"), parse_ipv4("10.9.2.2"), "eth0"}));
  }
  void TearDown() override {
    set_nft_force_process(false);
    delete_netns("csim-t-nft-a");
    delete_netns("csim-t-nft-b");
  }
  std::shared_ptr<Netns> a_, b_;
};

TEST_P(NftTest, DnatRulesetIsAppliedInsideTheNamespace) {
  CSIM_ASSERT_OK(apply_nft(*b_, kRuleset));
  CSIM_ASSERT_OK(apply_nft(*b_, kRuleset));  // replacing the table is idempotent
  auto listed = run_command({{"nft", "list", "ruleset"}, "csim-t-nft-b"}, "", 5s);
  CSIM_ASSERT_OK(listed);
  EXPECT_NE(listed->out.find("10.9.2.2 . 8080"), std::string::npos) << listed->out;
  auto other = run_command({{"nft", "list", "ruleset"}, "csim-t-nft-a"}, "", 5s);
  CSIM_ASSERT_OK(other);
  EXPECT_EQ(other->out.find("csim"), std::string::npos) << "only namespace B got the table";

  auto server = socket_in_netns(b_->fd(), "b", AF_INET, SOCK_STREAM);
  CSIM_ASSERT_OK(server);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(8080);
  ASSERT_EQ(bind(*server, reinterpret_cast<sockaddr*>(&sa), sizeof sa), 0);
  ASSERT_EQ(listen(*server, 4), 0);
  auto client = socket_in_netns(a_->fd(), "a", AF_INET, SOCK_STREAM);
  CSIM_ASSERT_OK(client);
  sockaddr_in vip{};
  vip.sin_family = AF_INET;
  vip.sin_port = htons(80);
  inet_pton(AF_INET, "10.96.0.10", &vip.sin_addr);
  EXPECT_EQ(connect(*client, reinterpret_cast<sockaddr*>(&vip), sizeof vip), 0)
      << "DNAT to the listener";
  close(*client);
  close(*server);
}

TEST_P(NftTest, BrokenRulesetReportsNftsError) {
  auto st =
      apply_nft(*b_, "table ip csim {\n  chain c {\n    ip daddr 1.2.3.4 frobnicate\n  }\n}\n");
  ASSERT_FALSE(st.is_ok());
  EXPECT_NE(st.message().find("csim-t-nft-b"), std::string::npos) << st.message();
  EXPECT_NE(st.message().find("syntax error"), std::string::npos) << st.message();
}

INSTANTIATE_TEST_SUITE_P(Backends, NftTest, ::testing::Values(false, true),
                         [](const auto& info) { return info.param ? "NftProcess" : "Library"; });

TEST(Nft, LibraryIsAvailableOnThisMachine) { EXPECT_EQ(nft_backend(), "libnftables"); }

}  // namespace
}  // namespace csim::agent
