// ResyncCache over the real config DB (SQLite, in memory): while enabled, every read of a
// cached type answers what the DB answers (same objects, same order), also after writes
// through the cache; writes of others are not seen until disable() (read_fresh sees them).
#include "kube/kube_manager/resync_cache.h"

#include <gtest/gtest.h>

#include "controller/bootstrap.h"
#include "controller/config_db.h"
#include "core/bus.h"
#include "core/clock.h"

namespace csim::kube {
namespace {

using controller::ConfigObject;
using controller::FqName;
using controller::Ref;
using controller::RefOp;
using nlohmann::json;

const std::vector<std::string> kTypes = {"project", "virtual-machine", "virtual-machine-interface",
                                         "instance-ip", "virtual-router"};

// An object as compared: without the DB's timestamps (a cached object keeps the ones it
// was read or written with).
json comparable(ConfigObject o) {
  if (o.props.contains("id_perms")) o.props["id_perms"].erase("last_modified");
  return o;
}
json comparable(const std::optional<ConfigObject>& o) { return o ? comparable(*o) : json(); }
json comparable(const std::vector<ConfigObject>& v) {
  json out = json::array();
  for (const auto& o : v) out.push_back(comparable(o));
  return out;
}

class ResyncCacheTest : public ::testing::Test {
 protected:
  ResyncCacheTest() : bus(clock, core::Bus::Mode::kDeterministic), db(bus, clock, ":memory:"), cache(db) {}

  void SetUp() override {
    ASSERT_TRUE(db.open_status().is_ok());
    ASSERT_TRUE(controller::provision_defaults(db).is_ok());
    auto vr = controller::add_virtual_router(db, "node-1", "169.254.1.1");
    ASSERT_TRUE(vr.is_ok());
    vr_uuid = *vr;
    project = *db.read_fq("project", {"default-domain", "default-project"});
    network = *db.read_fq("virtual-network", {"default-domain", "default-project", "__public__"});
  }

  ConfigObject vm(const std::string& name) {
    ConfigObject o;
    o.type = "virtual-machine";
    o.fq_name = {name};
    return o;
  }
  ConfigObject vmi(const std::string& name, const std::string& vm_uuid) {
    ConfigObject o;
    o.type = "virtual-machine-interface";
    o.fq_name = {"default-domain", "default-project", name};
    o.parent_type = "project";
    o.parent_uuid = project.uuid;
    o.refs.push_back(Ref{"virtual-network", network.uuid, {}, nullptr});
    if (!vm_uuid.empty()) o.refs.push_back(Ref{"virtual-machine", vm_uuid, {}, nullptr});
    return o;
  }

  // Every read of every cached type, through the cache and straight from the DB.
  void expect_same_as_db() {
    std::vector<std::string> uuids;
    for (const auto& type : kTypes) {
      EXPECT_EQ(comparable(cache.list(type)), comparable(db.list(type))) << "list " << type;
      EXPECT_EQ(comparable(cache.list(type, project.uuid)), comparable(db.list(type, project.uuid)))
          << "list " << type << " in project";
      for (const auto& o : db.list(type)) {
        uuids.push_back(o.uuid);
        EXPECT_EQ(comparable(cache.read_fq(type, o.fq_name)), comparable(o)) << "read_fq " << o.uuid;
        EXPECT_EQ(comparable(cache.read(o.uuid)), comparable(o)) << "read " << o.uuid;
      }
      EXPECT_FALSE(cache.read_fq(type, {"no", "such"}));
    }
    uuids.push_back(network.uuid);
    uuids.push_back(project.uuid);
    for (const auto& uuid : uuids) {
      for (const auto& type : kTypes) {
        EXPECT_EQ(comparable(cache.back_refs(uuid, type)), comparable(db.back_refs(uuid, type)))
            << "back_refs " << uuid << " " << type;
        EXPECT_EQ(comparable(cache.children(uuid, type)), comparable(db.children(uuid, type)))
            << "children " << uuid << " " << type;
        std::vector<std::string> expected;
        for (const auto& o : db.back_refs(uuid, type)) expected.push_back(o.uuid);
        EXPECT_EQ(cache.back_ref_uuids(uuid, type), expected);
      }
    }
  }

  core::SimulatedClock clock;
  core::Bus bus;
  controller::ConfigDb db;
  ResyncCache cache;
  std::string vr_uuid;
  ConfigObject project;
  ConfigObject network;
};

TEST_F(ResyncCacheTest, ReadsAnswerWhatTheDbAnswersAcrossWrites) {
  auto vm1 = db.create(vm("vm-1"));
  ASSERT_TRUE(vm1.is_ok());
  ASSERT_TRUE(db.create(vmi("b-port", vm1->uuid)).is_ok());
  cache.enable(kTypes);
  EXPECT_TRUE(cache.enabled());
  EXPECT_GT(cache.size(), 3u);
  expect_same_as_db();

  // Writes through the cache.
  auto vm2 = cache.create(vm("vm-2"));
  ASSERT_TRUE(vm2.is_ok());
  auto port = cache.create(vmi("a-port", vm2->uuid));
  ASSERT_TRUE(port.is_ok());
  ConfigObject iip;
  iip.type = "instance-ip";
  iip.fq_name = {"iip-1"};
  iip.refs.push_back(Ref{"virtual-network", network.uuid, {}, nullptr});
  iip.refs.push_back(Ref{"virtual-machine-interface", port->uuid, {}, nullptr});
  ASSERT_TRUE(cache.create(iip).is_ok());
  expect_same_as_db();

  ASSERT_TRUE(cache.ref_update("virtual-router", vr_uuid, "virtual-machine", vm1->uuid, RefOp::kAdd));
  ASSERT_TRUE(cache.ref_update("virtual-router", vr_uuid, "virtual-machine", vm2->uuid, RefOp::kAdd,
                               json{{"note", "x"}}));
  expect_same_as_db();
  EXPECT_EQ(cache.uuid_of("virtual-router", {"default-global-system-config", "node-1"}), vr_uuid);
  ASSERT_TRUE(cache.ref_update("virtual-router", vr_uuid, "virtual-machine", vm1->uuid, RefOp::kDelete));
  expect_same_as_db();

  ConfigObject changed = *cache.read(port->uuid);
  changed.props["display_name"] = "renamed";
  changed.refs.erase(changed.refs.begin() + 1);  // no longer on vm-2
  ASSERT_TRUE(cache.update(changed).is_ok());
  expect_same_as_db();

  ASSERT_TRUE(cache.remove("instance-ip", db.read_fq("instance-ip", {"iip-1"})->uuid));
  ASSERT_TRUE(cache.remove("virtual-machine-interface", port->uuid));
  EXPECT_EQ(cache.remove("virtual-machine-interface", port->uuid).code(), core::Code::kNotFound);
  expect_same_as_db();
}

TEST_F(ResyncCacheTest, OthersWritesAreSeenAfterDisableAndByReadFresh) {
  auto vm1 = db.create(vm("vm-1"));
  ASSERT_TRUE(vm1.is_ok());
  cache.enable(kTypes);
  // Another module writes the DB directly.
  ConfigObject edited = *db.read(vm1->uuid);
  edited.props["display_name"] = "theirs";
  ASSERT_TRUE(db.update(edited).is_ok());
  auto theirs = db.create(vm("vm-2"));
  ASSERT_TRUE(theirs.is_ok());

  EXPECT_FALSE(cache.read(vm1->uuid)->props.contains("display_name")) << "served from memory";
  EXPECT_FALSE(cache.read_fq("virtual-machine", {"vm-2"}));
  EXPECT_EQ(read_fresh(cache, vm1->uuid)->props["display_name"], "theirs");
  EXPECT_TRUE(cache.read(theirs->uuid)) << "a uuid not cached is read from the DB";
  // Types not enabled always go to the DB.
  EXPECT_TRUE(cache.read_fq("virtual-network", network.fq_name));

  cache.disable();
  EXPECT_FALSE(cache.enabled());
  EXPECT_EQ(cache.size(), 0u);
  EXPECT_EQ(cache.read(vm1->uuid)->props["display_name"], "theirs");
  EXPECT_TRUE(cache.read_fq("virtual-machine", {"vm-2"}));
  expect_same_as_db();
}

}  // namespace
}  // namespace csim::kube
