#include "controller/bootstrap.h"

#include <gtest/gtest.h>

#include "controller/config_db.h"

namespace csim::controller {
namespace {

using nlohmann::json;

class BootstrapTest : public ::testing::Test {
 protected:
  BootstrapTest()
      : bus_(clock_, core::Bus::Mode::kDeterministic), db_(bus_, clock_, ":memory:", 1) {
    bus_.subscribe("test", "config.changed.", [this](const core::Envelope& e) {
      events_.push_back(e.body["op"].get<std::string>() + " " + e.body["type"].get<std::string>());
    });
  }
  ~BootstrapTest() override { bus_.run_until_idle(); }

  std::vector<std::string> events() {
    bus_.run_until_idle();
    auto out = std::move(events_);
    events_.clear();
    return out;
  }

  core::SimulatedClock clock_;
  core::Bus bus_;
  ConfigDb db_;
  std::vector<std::string> events_;
};

TEST_F(BootstrapTest, ProvisionsTheDefaultsAndThePublicNetworkOnce) {
  ASSERT_TRUE(provision_defaults(db_).is_ok());
  EXPECT_EQ(events(),
            (std::vector<std::string>{"create global-system-config", "create domain",
                                      "create project", "create network-ipam",
                                      "create virtual-network", "create floating-ip-pool"}));
  auto project = db_.read_fq("project", {"default-domain", "default-project"});
  ASSERT_TRUE(project.has_value());
  EXPECT_EQ(project->parent_uuid, db_.read_fq("domain", {"default-domain"})->uuid);
  auto vn = db_.read_fq("virtual-network", {"default-domain", "default-project", "__public__"});
  ASSERT_TRUE(vn.has_value());
  EXPECT_EQ(vn->parent_uuid, project->uuid);
  ASSERT_EQ(vn->refs.size(), 1u);
  EXPECT_EQ(vn->refs[0].to, (FqName{"default-domain", "default-project", "__public__-ipam"}));
  const json& s = vn->refs[0].attr["ipam_subnets"][0];
  EXPECT_EQ(s["subnet"], (json{{"ip_prefix", "10.84.59.0"}, {"ip_prefix_len", 24}}));
  EXPECT_EQ(s["default_gateway"], "10.84.59.254");
  auto pool = db_.read_fq("floating-ip-pool", {"default-domain", "default-project", "__public__",
                                               "__fip_pool_public__"});
  ASSERT_TRUE(pool.has_value());
  EXPECT_EQ(pool->parent_uuid, vn->uuid);

  // Idempotent: a second run (a restart against the same DB) writes nothing.
  ASSERT_TRUE(provision_defaults(db_).is_ok());
  EXPECT_TRUE(events().empty());

  // The pool hands out public addresses from the top: 10.84.59.252 first.
  ConfigObject fip;
  fip.type = "floating-ip";
  fip.fq_name = pool->fq_name;
  fip.fq_name.push_back("fip-1");
  fip.parent_type = "floating-ip-pool";
  fip.parent_uuid = pool->uuid;
  auto f = db_.create(fip);
  ASSERT_TRUE(f.is_ok()) << f.status().to_string();
  EXPECT_EQ(f->props["floating_ip_address"], "10.84.59.252");
}

TEST_F(BootstrapTest, CompletesAPartlyProvisionedDb) {
  ConfigObject d;
  d.type = "domain";
  d.fq_name = {"default-domain"};
  ASSERT_TRUE(db_.create(d).is_ok());
  events();
  ASSERT_TRUE(provision_defaults(db_).is_ok());
  EXPECT_EQ(events(), (std::vector<std::string>{"create global-system-config", "create project",
                                                "create network-ipam", "create virtual-network",
                                                "create floating-ip-pool"}));
}

TEST_F(BootstrapTest, RecreatesWhatWasDeleted) {
  ASSERT_TRUE(provision_defaults(db_).is_ok());
  auto vn = db_.read_fq("virtual-network", {"default-domain", "default-project", "__public__"});
  auto pool = db_.read_fq("floating-ip-pool", {"default-domain", "default-project", "__public__",
                                               "__fip_pool_public__"});
  ASSERT_TRUE(db_.remove("floating-ip-pool", pool->uuid).is_ok());
  ASSERT_TRUE(db_.remove("virtual-network", vn->uuid).is_ok());
  events();
  ASSERT_TRUE(provision_defaults(db_).is_ok());
  EXPECT_EQ(events(),
            (std::vector<std::string>{"create virtual-network", "create floating-ip-pool"}));
}

TEST_F(BootstrapTest, ReportsConfigApiErrors) {
  ConfigDb broken(bus_, clock_, "/nonexistent-dir/csim/config.db");
  auto s = provision_defaults(broken);
  EXPECT_EQ(s.code(), core::Code::kUnavailable);
  EXPECT_EQ(s.message().rfind("provision defaults: ", 0), 0u) << s.message();
  EXPECT_EQ(add_virtual_router(broken, "node-1", "169.254.1.1").status().code(),
            core::Code::kUnavailable);
}

TEST_F(BootstrapTest, AddsVirtualRoutersIdempotently) {
  auto a = add_virtual_router(db_, "node-1", "169.254.1.1");
  ASSERT_TRUE(a.is_ok()) << a.status().to_string();
  EXPECT_EQ(events(),
            (std::vector<std::string>{"create global-system-config", "create virtual-router"}));
  auto vr = db_.read(*a);
  ASSERT_TRUE(vr.has_value());
  EXPECT_EQ(vr->fq_name, (FqName{"default-global-system-config", "node-1"}));
  EXPECT_EQ(vr->parent_type, "global-system-config");
  EXPECT_EQ(vr->props["virtual_router_ip_address"], "169.254.1.1");

  auto again = add_virtual_router(db_, "node-1", "169.254.1.1");
  ASSERT_TRUE(again.is_ok());
  EXPECT_EQ(*again, *a);
  EXPECT_TRUE(events().empty());

  // A node that comes back with another address keeps its uuid and its VMs.
  ConfigObject vm;
  vm.type = "virtual-machine";
  vm.fq_name = {"vm-1"};
  auto v = db_.create(vm);
  ASSERT_TRUE(
      db_.ref_update("virtual-router", *a, "virtual-machine", v->uuid, RefOp::kAdd).is_ok());
  events();
  auto moved = add_virtual_router(db_, "node-1", "169.254.1.9");
  ASSERT_TRUE(moved.is_ok());
  EXPECT_EQ(*moved, *a);
  EXPECT_EQ(events(), (std::vector<std::string>{"update virtual-router"}));
  EXPECT_EQ(db_.read(*a)->props["virtual_router_ip_address"], "169.254.1.9");
  EXPECT_EQ(db_.read(*a)->ref_uuids("virtual-machine"), (std::vector<std::string>{v->uuid}));

  auto b = add_virtual_router(db_, "node-2", "169.254.1.2");
  ASSERT_TRUE(b.is_ok());
  EXPECT_NE(*b, *a);
  EXPECT_EQ(db_.list("virtual-router").size(), 2u);
}

TEST_F(BootstrapTest, RejectsBadNamesAndAddresses) {
  auto bad_ip = add_virtual_router(db_, "node-1", "169.254.1");
  EXPECT_EQ(bad_ip.status().code(), core::Code::kInvalid);
  EXPECT_EQ(
      bad_ip.status().message(),
      "virtual-router node-1: underlay ip: \"169.254.1\" is not an IPv4 address (want a.b.c.d)");
  EXPECT_EQ(add_virtual_router(db_, "", "169.254.1.1").status().code(), core::Code::kInvalid);
  EXPECT_EQ(add_virtual_router(db_, "node 1;rm", "169.254.1.1").status().code(),
            core::Code::kInvalid);
  EXPECT_TRUE(events().empty());
}

}  // namespace
}  // namespace csim::controller
