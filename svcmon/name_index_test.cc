// NameIndex against list() + filter on the real config DB.
#include "svcmon/name_index.h"

#include <gtest/gtest.h>

#include "controller/bootstrap.h"
#include "controller/config_db.h"
#include "core/bus.h"
#include "core/clock.h"

namespace csim::svcmon {
namespace {

using controller::ConfigObject;
using nlohmann::json;

class NameIndexTest : public ::testing::Test {
 protected:
  NameIndexTest()
      : bus_(clock_, core::Bus::Mode::kDeterministic), db_(bus_, clock_, ":memory:", 4) {
    bus_.subscribe("test", "config.changed.", [this](const core::Envelope& e) {
      if (feed_) index_.on_change(e.body);
    });
    EXPECT_TRUE(controller::provision_defaults(db_).is_ok());
    project_ = *db_.read_fq("project", {"default-domain", "default-project"});
    vn_ = *db_.read_fq("virtual-network", {"default-domain", "default-project", "__public__"});
  }

  ConfigObject iip(const std::string& name) {
    ConfigObject o;
    o.type = "instance-ip";
    o.fq_name = {name};
    o.refs = {controller::Ref{"virtual-network", vn_.uuid, {}, nullptr}};
    auto r = db_.create(o);
    EXPECT_TRUE(r.is_ok()) << r.status().to_string();
    return *r;
  }
  ConfigObject fip_under(const ConfigObject& parent, const std::string& name) {
    ConfigObject o;
    o.type = "floating-ip";
    o.fq_name = parent.fq_name;
    o.fq_name.push_back(name);
    o.parent_uuid = parent.uuid;
    auto r = db_.create(o);
    EXPECT_TRUE(r.is_ok()) << r.status().to_string();
    return *r;
  }
  ConfigObject si(const std::string& name) {
    ConfigObject o;
    o.type = "service-instance";
    o.fq_name = {"default-domain", "default-project", name};
    o.parent_uuid = project_.uuid;
    auto r = db_.create(o);
    EXPECT_TRUE(r.is_ok()) << r.status().to_string();
    return *r;
  }
  // list(type) filtered by name: what find() must answer.
  std::vector<std::string> listed(const std::string& type, const std::string& name) {
    std::vector<std::string> out;
    for (const auto& o : db_.list(type))
      if (o.name() == name) out.push_back(o.uuid);
    return out;
  }
  std::vector<std::string> found(const std::string& type, const std::string& name) {
    std::vector<std::string> out;
    for (const auto& o : index_.find(type, name)) out.push_back(o.uuid);
    return out;
  }

  core::SimulatedClock clock_;
  core::Bus bus_;
  controller::ConfigDb db_;
  NameIndex index_{db_};
  bool feed_ = true;
  ConfigObject project_, vn_;
};

TEST_F(NameIndexTest, FindsWhatListFindsInListOrder) {
  // Floating-ips named "lb-1" under three instance-ips made out of name order, one named
  // "lb-2", a service-instance "lb-1": find() answers as list() + filter, by fq_name.
  auto z = iip("z-iip"), a = iip("a-iip"), m = iip("m-iip");
  fip_under(z, "lb-1");
  fip_under(a, "lb-1");
  fip_under(m, "lb-1");
  fip_under(m, "lb-2");
  si("lb-1");
  bus_.run_until_idle();
  EXPECT_EQ(found("floating-ip", "lb-1"), listed("floating-ip", "lb-1"));
  EXPECT_EQ(found("floating-ip", "lb-1").size(), 3u);
  EXPECT_EQ(db_.read(found("floating-ip", "lb-1")[0])->parent_uuid, a.uuid);
  EXPECT_EQ(found("floating-ip", "lb-2"), listed("floating-ip", "lb-2"));
  EXPECT_EQ(found("service-instance", "lb-1"), listed("service-instance", "lb-1"));
  EXPECT_TRUE(found("service-instance", "lb-2").empty());
  EXPECT_TRUE(found("virtual-network", "__public__").empty()) << "not an indexed type";
}

TEST_F(NameIndexTest, FollowsCreatesAndDeletesFromNotifications) {
  auto p = iip("p-iip");
  EXPECT_TRUE(found("floating-ip", "lb").empty());  // loads (nothing yet)
  auto f = fip_under(p, "lb");
  bus_.run_until_idle();
  EXPECT_EQ(found("floating-ip", "lb"), std::vector<std::string>{f.uuid});
  ASSERT_TRUE(db_.remove("floating-ip", f.uuid).is_ok());
  bus_.run_until_idle();
  EXPECT_TRUE(found("floating-ip", "lb").empty());
}

TEST_F(NameIndexTest, NotedCreatesAreFoundBeforeTheirNotification) {
  auto p = iip("p-iip");
  EXPECT_TRUE(found("floating-ip", "lb").empty());
  auto f = fip_under(p, "lb");  // notification still queued
  EXPECT_TRUE(found("floating-ip", "lb").empty()) << "neither loaded nor notified nor noted";
  index_.note(f);
  EXPECT_EQ(found("floating-ip", "lb"), std::vector<std::string>{f.uuid});
  bus_.run_until_idle();
  EXPECT_EQ(found("floating-ip", "lb"), std::vector<std::string>{f.uuid});
}

TEST_F(NameIndexTest, StaleEntriesAreSkippedAndLoadReplacesEntries) {
  feed_ = false;  // notifications not fed: only load() and note() fill the index
  auto p = iip("p-iip");
  auto f = fip_under(p, "lb");
  index_.note(f);
  ASSERT_TRUE(db_.remove("floating-ip", f.uuid).is_ok());
  EXPECT_TRUE(found("floating-ip", "lb").empty()) << "deleted: skipped although indexed";
  auto g = fip_under(p, "lb");
  EXPECT_TRUE(found("floating-ip", "lb").empty());
  index_.load("floating-ip", db_.list("floating-ip"));
  EXPECT_EQ(found("floating-ip", "lb"), std::vector<std::string>{g.uuid});
}

}  // namespace
}  // namespace csim::svcmon
