#include "controller/config_db.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <random>
#include <regex>
#include <set>
#include <thread>

#include "controller/test_objects.h"

namespace csim::controller {
namespace {

using nlohmann::json;
using testing::make;
using testing::ref;

json subnet(const std::string& ip, int len) {
  return {{"subnet", {{"ip_prefix", ip}, {"ip_prefix_len", len}}}};
}

// The config DB on ":memory:" with a deterministic bus that records every notification.
class ConfigDbTest : public ::testing::Test {
 protected:
  ConfigDbTest()
      : bus_(clock_, core::Bus::Mode::kDeterministic), db_(bus_, clock_, ":memory:", 42) {
    bus_.subscribe("test", "config.changed.", [this](const core::Envelope& e) {
      EXPECT_EQ(e.topic, "config.changed." + e.body["type"].get<std::string>());
      EXPECT_EQ(e.publisher, "config-db");
      bodies_.push_back(e.body);
    });
  }
  ~ConfigDbTest() override { bus_.run_until_idle(); }  // before db_ goes away

  // Notifications since the last call, as "op type last-name".
  std::vector<std::string> events() {
    bus_.run_until_idle();
    std::vector<std::string> out;
    for (const auto& b : bodies_)
      out.push_back(b["op"].get<std::string>() + " " + b["type"].get<std::string>() + " " +
                    b["fq_name"].back().get<std::string>());
    bodies_.clear();
    return out;
  }

  ConfigObject must(core::Result<ConfigObject> r) {
    EXPECT_TRUE(r.is_ok()) << r.status().to_string();
    return r.is_ok() ? *r : ConfigObject{};
  }

  // default-domain / k8s-default with a flat pod ipam and the pod network.
  void pod_network() {
    domain_ = must(db_.create(make("domain", {"default-domain"})));
    project_ = must(
        db_.create(make("project", {"default-domain", "k8s-default"}, "domain", domain_.uuid)));
    ConfigObject ipam = make("network-ipam", {"default-domain", "k8s-default", "k8s-pod-ipam"},
                             "project", project_.uuid);
    ipam.props["ipam_subnet_method"] = "flat-subnet";
    ipam.props["ipam_subnets"] = {{"subnets", json::array({subnet("10.32.0.0", 12)})}};
    pod_ipam_ = must(db_.create(ipam));
    ConfigObject vn =
        make("virtual-network", {"default-domain", "k8s-default", "k8s-default-pod-network"},
             "project", project_.uuid);
    vn.refs.push_back(ref("network-ipam", pod_ipam_.uuid, {{"ipam_subnets", json::array()}}));
    pod_vn_ = must(db_.create(vn));
    events();
  }

  core::Result<ConfigObject> iip(const std::string& name, const std::string& vn_uuid,
                                 const std::string& address = "",
                                 const std::string& subnet_uuid = "") {
    ConfigObject o = make("instance-ip", {name});
    o.refs.push_back(ref("virtual-network", vn_uuid));
    if (!address.empty()) o.props["instance_ip_address"] = address;
    if (!subnet_uuid.empty()) o.props["subnet_uuid"] = subnet_uuid;
    return db_.create(o);
  }

  core::SimulatedClock clock_;
  core::Bus bus_;
  ConfigDb db_;
  std::vector<json> bodies_;
  ConfigObject domain_, project_, pod_ipam_, pod_vn_;
};

TEST_F(ConfigDbTest, CreateMakesAUuid4StoresAndNotifies) {
  ASSERT_TRUE(db_.open_status().is_ok());
  auto d = db_.create(make("domain", {"default-domain"}));
  ASSERT_TRUE(d.is_ok()) << d.status().to_string();
  EXPECT_TRUE(std::regex_match(
      d->uuid, std::regex("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")))
      << d->uuid;
  EXPECT_EQ(d->type, "domain");
  EXPECT_EQ(d->name(), "default-domain");
  bus_.run_until_idle();
  ASSERT_EQ(bodies_.size(), 1u);
  EXPECT_EQ(bodies_[0], (json{{"op", "create"},
                              {"type", "domain"},
                              {"uuid", d->uuid},
                              {"fq_name", {"default-domain"}},
                              {"summary", "create domain default-domain"}}));
  auto r = db_.read(d->uuid);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(json(*r), json(*d));
  auto f = db_.read_fq("domain", {"default-domain"});
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->uuid, d->uuid);
  EXPECT_FALSE(db_.read_fq("project", {"default-domain"}).has_value());
  EXPECT_FALSE(db_.read("nope").has_value());
}

TEST_F(ConfigDbTest, CallerChosenUuidIsKeptAndMustBeUnique) {
  ConfigObject lb = make("loadbalancer", {"lb-1"});
  lb.uuid = "7a2b5c14-0000-4000-8000-00000000beef";
  auto a = db_.create(lb);
  ASSERT_TRUE(a.is_ok()) << a.status().to_string();
  EXPECT_EQ(a->uuid, lb.uuid);
  ConfigObject other = make("loadbalancer", {"lb-2"});
  other.uuid = lb.uuid;
  auto b = db_.create(other);
  EXPECT_EQ(b.status().code(), core::Code::kAlreadyExists);
  EXPECT_EQ(b.status().message(),
            "create loadbalancer lb-2: uuid 7a2b5c14-0000-4000-8000-00000000beef is taken by "
            "loadbalancer lb-1");
  other.uuid = "bad uuid!";
  EXPECT_EQ(db_.create(other).status().code(), core::Code::kInvalid);
  EXPECT_EQ(events(), (std::vector<std::string>{"create loadbalancer lb-1"}));
}

TEST_F(ConfigDbTest, SeededUuidsAreReproducible) {
  core::Bus bus2(clock_, core::Bus::Mode::kDeterministic);
  ConfigDb other(bus2, clock_, ":memory:", 42);
  auto a = db_.create(make("domain", {"d"}));
  auto b = other.create(make("domain", {"d"}));
  ASSERT_TRUE(a.is_ok() && b.is_ok());
  EXPECT_EQ(a->uuid, b->uuid);
}

TEST_F(ConfigDbTest, RejectsMissingTypeNameAndDuplicates) {
  EXPECT_EQ(db_.create(make("", {"x"})).status().message(), "create: type is missing");
  EXPECT_EQ(db_.create(make("domain", {})).status().code(), core::Code::kInvalid);
  EXPECT_EQ(db_.create(make("domain", {""})).status().code(), core::Code::kInvalid);
  auto d = must(db_.create(make("domain", {"default-domain"})));
  auto dup = db_.create(make("domain", {"default-domain"}));
  EXPECT_EQ(dup.status().code(), core::Code::kAlreadyExists);
  EXPECT_EQ(dup.status().message(), "domain default-domain already exists (uuid " + d.uuid + ")");
  // fq_names are unique per type only.
  EXPECT_TRUE(db_.create(make("loadbalancer", {"default-domain"})).is_ok());
  EXPECT_EQ(events(), (std::vector<std::string>{"create domain default-domain",
                                                "create loadbalancer default-domain"}));
}

TEST_F(ConfigDbTest, ChecksTheParent) {
  auto d = must(db_.create(make("domain", {"default-domain"})));
  auto missing = db_.create(make("project", {"default-domain", "p"}, "domain", "no-such-uuid"));
  EXPECT_EQ(missing.status().code(), core::Code::kNotFound);
  EXPECT_EQ(missing.status().message(),
            "create project default-domain:p: parent domain no-such-uuid does not exist");
  auto wrong_type = db_.create(make("project", {"default-domain", "p"}, "project", d.uuid));
  EXPECT_EQ(wrong_type.status().code(), core::Code::kNotFound);
  auto wrong_fq = db_.create(make("project", {"other-domain", "p"}, "domain", d.uuid));
  EXPECT_EQ(wrong_fq.status().code(), core::Code::kInvalid);
  EXPECT_EQ(wrong_fq.status().message(),
            "create project other-domain:p: fq_name must be the parent's fq_name plus the name "
            "(default-domain:p)");
  // The parent can be named by type and fq_name alone.
  auto by_fq = db_.create(make("project", {"default-domain", "p"}, "domain"));
  ASSERT_TRUE(by_fq.is_ok()) << by_fq.status().to_string();
  EXPECT_EQ(by_fq->parent_uuid, d.uuid);
  auto by_fq_missing = db_.create(make("project", {"nope", "q"}, "domain"));
  EXPECT_EQ(by_fq_missing.status().message(),
            "create project nope:q: parent domain nope does not exist");
  // Parent type is filled in from the parent.
  auto untyped = db_.create(make("project", {"default-domain", "r"}, "", d.uuid));
  ASSERT_TRUE(untyped.is_ok());
  EXPECT_EQ(untyped->parent_type, "domain");
  EXPECT_EQ(events(), (std::vector<std::string>{"create domain default-domain", "create project p",
                                                "create project r"}));
}

TEST_F(ConfigDbTest, ChecksRefsFillsTheirNamesAndKeepsTheirOrder) {
  auto a = must(db_.create(make("virtual-machine", {"vm-a"})));
  auto b = must(db_.create(make("virtual-machine", {"vm-b"})));
  ConfigObject vr = make("virtual-router", {"node-1"});
  vr.refs = {ref("virtual-machine", b.uuid, {{"k", 1}}), ref("virtual-machine", a.uuid)};
  auto stored = db_.create(vr);
  ASSERT_TRUE(stored.is_ok()) << stored.status().to_string();
  ASSERT_EQ(stored->refs.size(), 2u);
  EXPECT_EQ(stored->refs[0].uuid, b.uuid);
  EXPECT_EQ(stored->refs[0].to, FqName{"vm-b"});
  EXPECT_EQ(stored->refs[0].attr, (json{{"k", 1}}));
  EXPECT_EQ(stored->refs[1].to, FqName{"vm-a"});
  EXPECT_TRUE(stored->refs[1].attr.is_null());
  EXPECT_EQ(stored->ref_uuids("virtual-machine"), (std::vector<std::string>{b.uuid, a.uuid}));

  ConfigObject bad = make("virtual-router", {"node-2"});
  bad.refs = {ref("virtual-machine", "missing-uuid")};
  auto r = db_.create(bad);
  EXPECT_EQ(r.status().code(), core::Code::kNotFound);
  EXPECT_EQ(r.status().message(),
            "create virtual-router node-2: refs[0]: virtual-machine missing-uuid does not exist");
  bad.refs = {ref("virtual-network", a.uuid)};
  EXPECT_EQ(db_.create(bad).status().message(),
            "create virtual-router node-2: refs[0]: virtual-network " + a.uuid +
                " does not exist (that uuid is a virtual-machine)");
  bad.refs = {ref("virtual-machine", a.uuid), ref("virtual-machine", a.uuid)};
  EXPECT_EQ(db_.create(bad).status().code(), core::Code::kInvalid);
  // A ref can name its target by fq_name.
  Ref by_name;
  by_name.type = "virtual-machine";
  by_name.to = {"vm-a"};
  bad.refs = {by_name};
  auto ok = db_.create(bad);
  ASSERT_TRUE(ok.is_ok()) << ok.status().to_string();
  EXPECT_EQ(ok->refs[0].uuid, a.uuid);
  EXPECT_FALSE(db_.read_fq("virtual-router", {"node-3"}).has_value());
  EXPECT_EQ(events(), (std::vector<std::string>{
                          "create virtual-machine vm-a", "create virtual-machine vm-b",
                          "create virtual-router node-1", "create virtual-router node-2"}));
}

TEST_F(ConfigDbTest, UpdateReplacesPropsAndRefsOnly) {
  auto vm = must(db_.create(make("virtual-machine", {"vm"})));
  ConfigObject si = make("service-instance", {"si"});
  si.props["service_instance_bindings"] = {{"key_value_pair", json::array()}};
  si = must(db_.create(si));
  const std::string created = si.props["id_perms"]["created"];
  clock_.advance(std::chrono::seconds(5));

  ConfigObject next = si;
  next.props = {{"display_name", "si"}};
  next.refs = {ref("virtual-machine", vm.uuid)};
  auto u = db_.update(next);
  ASSERT_TRUE(u.is_ok()) << u.status().to_string();
  EXPECT_FALSE(u->props.contains("service_instance_bindings"));
  EXPECT_EQ(u->props["display_name"], "si");
  EXPECT_EQ(u->props["id_perms"]["created"], created);
  EXPECT_EQ(u->props["id_perms"]["last_modified"], "2026-01-01T00:00:05.000000");
  ASSERT_EQ(u->refs.size(), 1u);
  EXPECT_EQ(u->refs[0].to, FqName{"vm"});
  EXPECT_EQ(db_.back_refs(vm.uuid).size(), 1u);

  next.refs.clear();
  ASSERT_TRUE(db_.update(next).is_ok());
  EXPECT_TRUE(db_.back_refs(vm.uuid).empty());

  ConfigObject renamed = next;
  renamed.fq_name = {"other"};
  EXPECT_EQ(db_.update(renamed).status().code(), core::Code::kInvalid);
  ConfigObject retyped = next;
  retyped.type = "virtual-machine";
  EXPECT_EQ(db_.update(retyped).status().code(), core::Code::kNotFound);
  ConfigObject missing = next;
  missing.uuid = "gone";
  EXPECT_EQ(db_.update(missing).status().message(), "update: service-instance gone does not exist");
  ConfigObject bad_ref = next;
  bad_ref.refs = {ref("virtual-machine", "gone")};
  EXPECT_EQ(db_.update(bad_ref).status().code(), core::Code::kNotFound);
  EXPECT_EQ(db_.read(si.uuid)->refs.size(), 0u) << "a failed update changes nothing";
  EXPECT_EQ(events(),
            (std::vector<std::string>{"create virtual-machine vm", "create service-instance si",
                                      "update service-instance si", "update service-instance si"}));
}

TEST_F(ConfigDbTest, TimestampsComeFromTheClockNotTheCaller) {
  ConfigObject o = make("loadbalancer", {"lb"});
  o.props["id_perms"] = {{"created", "1999-01-01T00:00:00"}, {"user_visible", false}};
  clock_.advance(std::chrono::microseconds(1500));
  auto c = must(db_.create(o));
  EXPECT_EQ(c.props["id_perms"], (json{{"created", "2026-01-01T00:00:00.001500"},
                                       {"last_modified", "2026-01-01T00:00:00.001500"},
                                       {"user_visible", false}}));
  // Sending back what was read does not move `created`.
  clock_.advance(std::chrono::hours(1));
  auto u = must(db_.update(c));
  EXPECT_EQ(u.props["id_perms"]["created"], "2026-01-01T00:00:00.001500");
  EXPECT_EQ(u.props["id_perms"]["last_modified"], "2026-01-01T01:00:00.001500");
  EXPECT_EQ(u.props["id_perms"]["user_visible"], false);
  ConfigObject plain = must(db_.create(make("loadbalancer", {"lb2"})));
  EXPECT_EQ(plain.props.size(), 1u) << plain.props.dump();
}

TEST_F(ConfigDbTest, DeleteIsRefusedWhileChildrenOrBackRefsExist) {
  pod_network();
  auto ip = must(iip("pod-iip", pod_vn_.uuid));
  events();
  auto s = db_.remove("virtual-network", pod_vn_.uuid);
  EXPECT_EQ(s.code(), core::Code::kConflict);
  EXPECT_EQ(s.message(),
            "cannot delete virtual-network default-domain:k8s-default:k8s-default-pod-network (" +
                pod_vn_.uuid + "): instance-ip pod-iip (" + ip.uuid + ") refers to it");
  s = db_.remove("project", project_.uuid);
  EXPECT_EQ(s.code(), core::Code::kConflict);
  EXPECT_EQ(s.message(), "cannot delete project default-domain:k8s-default (" + project_.uuid +
                             "): child network-ipam default-domain:k8s-default:k8s-pod-ipam (" +
                             pod_ipam_.uuid +
                             "); child virtual-network "
                             "default-domain:k8s-default:k8s-default-pod-network (" +
                             pod_vn_.uuid + ")");
  EXPECT_TRUE(events().empty());
  EXPECT_TRUE(db_.read(pod_vn_.uuid).has_value());

  EXPECT_EQ(db_.remove("virtual-network", ip.uuid).code(), core::Code::kNotFound);
  EXPECT_EQ(db_.remove("instance-ip", "gone").message(), "delete: instance-ip gone does not exist");
  ASSERT_TRUE(db_.remove("instance-ip", ip.uuid).is_ok());
  ASSERT_TRUE(db_.remove("virtual-network", pod_vn_.uuid).is_ok());
  ASSERT_TRUE(db_.remove("network-ipam", pod_ipam_.uuid).is_ok());
  ASSERT_TRUE(db_.remove("project", project_.uuid).is_ok());
  EXPECT_FALSE(db_.read(pod_vn_.uuid).has_value());
  bus_.run_until_idle();
  ASSERT_EQ(bodies_.size(), 4u);
  EXPECT_EQ(bodies_[0]["summary"], "delete instance-ip pod-iip (10.47.255.252 freed)");
  EXPECT_EQ(bodies_[1]["uuid"], pod_vn_.uuid);
  EXPECT_EQ(events(),
            (std::vector<std::string>{
                "delete instance-ip pod-iip", "delete virtual-network k8s-default-pod-network",
                "delete network-ipam k8s-pod-ipam", "delete project k8s-default"}));
}

TEST_F(ConfigDbTest, DeleteConflictCountsWhatItDoesNotName) {
  auto d = must(db_.create(make("domain", {"d"})));
  for (int i = 0; i < 8; ++i)
    must(db_.create(make("project", {"d", "p" + std::to_string(i)}, "domain", d.uuid)));
  auto s = db_.remove("domain", d.uuid);
  EXPECT_EQ(s.code(), core::Code::kConflict);
  EXPECT_NE(s.message().find("child project d:p4"), std::string::npos) << s.message();
  EXPECT_EQ(s.message().find("d:p5"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("; and 3 more"), std::string::npos) << s.message();
}

TEST_F(ConfigDbTest, SelfRefDoesNotBlockDelete) {
  auto o = must(db_.create(make("virtual-machine", {"vm"})));
  ASSERT_TRUE(
      db_.ref_update("virtual-machine", o.uuid, "virtual-machine", o.uuid, RefOp::kAdd).is_ok());
  EXPECT_TRUE(db_.remove("virtual-machine", o.uuid).is_ok());
}

TEST_F(ConfigDbTest, RefUpdateAddsChangesAndRemovesOneLink) {
  auto vm1 = must(db_.create(make("virtual-machine", {"vm-1"})));
  auto vm2 = must(db_.create(make("virtual-machine", {"vm-2"})));
  auto vr = must(db_.create(make("virtual-router", {"default-global-system-config", "node-1"})));
  events();
  ASSERT_TRUE(
      db_.ref_update("virtual-router", vr.uuid, "virtual-machine", vm2.uuid, RefOp::kAdd).is_ok());
  ASSERT_TRUE(db_.ref_update("virtual-router", vr.uuid, "virtual-machine", vm1.uuid, RefOp::kAdd,
                             {{"a", 1}})
                  .is_ok());
  // Adding again changes the attr in place.
  ASSERT_TRUE(db_.ref_update("virtual-router", vr.uuid, "virtual-machine", vm2.uuid, RefOp::kAdd,
                             {{"a", 2}})
                  .is_ok());
  auto r = db_.read(vr.uuid);
  ASSERT_EQ(r->refs.size(), 2u);
  EXPECT_EQ(r->refs[0].uuid, vm2.uuid);
  EXPECT_EQ(r->refs[0].attr, (json{{"a", 2}}));
  EXPECT_EQ(r->refs[1].uuid, vm1.uuid);
  EXPECT_EQ(r->refs[1].to, FqName{"vm-1"});
  EXPECT_EQ(db_.back_refs(vm1.uuid, "virtual-router").size(), 1u);
  EXPECT_TRUE(db_.back_refs(vm1.uuid, "instance-ip").empty());

  auto missing = db_.ref_update("virtual-router", vr.uuid, "virtual-machine", "gone", RefOp::kAdd);
  EXPECT_EQ(missing.code(), core::Code::kNotFound);
  EXPECT_EQ(missing.message(),
            "ref-update virtual-router default-global-system-config:node-1 -> "
            "virtual-machine gone: virtual-machine gone does not exist");
  EXPECT_EQ(
      db_.ref_update("virtual-router", "gone", "virtual-machine", vm1.uuid, RefOp::kAdd).code(),
      core::Code::kNotFound);
  EXPECT_EQ(
      db_.ref_update("virtual-machine", vr.uuid, "virtual-machine", vm1.uuid, RefOp::kAdd).code(),
      core::Code::kNotFound);

  ASSERT_TRUE(db_.ref_update("virtual-router", vr.uuid, "virtual-machine", vm2.uuid, RefOp::kDelete)
                  .is_ok());
  // Deleting a link that is not there is a no-op: no notification.
  ASSERT_TRUE(db_.ref_update("virtual-router", vr.uuid, "virtual-machine", vm2.uuid, RefOp::kDelete)
                  .is_ok());
  r = db_.read(vr.uuid);
  ASSERT_EQ(r->refs.size(), 1u);
  EXPECT_EQ(r->refs[0].uuid, vm1.uuid);
  // A new link goes after the existing ones.
  ASSERT_TRUE(
      db_.ref_update("virtual-router", vr.uuid, "virtual-machine", vm2.uuid, RefOp::kAdd).is_ok());
  EXPECT_EQ(db_.read(vr.uuid)->ref_uuids("virtual-machine"),
            (std::vector<std::string>{vm1.uuid, vm2.uuid}));
  bus_.run_until_idle();
  ASSERT_EQ(bodies_.size(), 5u);
  EXPECT_EQ(bodies_[0]["summary"],
            "update virtual-router default-global-system-config:node-1 (ref add "
            "virtual-machine " +
                vm2.uuid + ")");
  EXPECT_EQ(events(), std::vector<std::string>(5, "update virtual-router node-1"));
}

TEST_F(ConfigDbTest, ListBackRefsAndChildrenAreOrderedByFqName) {
  auto d = must(db_.create(make("domain", {"default-domain"})));
  auto pb = must(db_.create(make("project", {"default-domain", "b"}, "domain", d.uuid)));
  auto pa = must(db_.create(make("project", {"default-domain", "a"}, "domain", d.uuid)));
  auto pc = must(db_.create(make("project", {"default-domain", "a-c"}, "domain", d.uuid)));
  auto vn =
      must(db_.create(make("virtual-network", {"default-domain", "a", "net"}, "project", pa.uuid)));
  auto names = [](const std::vector<ConfigObject>& v) {
    std::vector<std::string> out;
    for (const auto& o : v) out.push_back(o.name());
    return out;
  };
  EXPECT_EQ(names(db_.list("project")), (std::vector<std::string>{"a", "a-c", "b"}));
  EXPECT_EQ(names(db_.list("project", d.uuid)), (std::vector<std::string>{"a", "a-c", "b"}));
  EXPECT_TRUE(db_.list("project", pa.uuid).empty());
  EXPECT_TRUE(db_.list("nothing").empty());
  EXPECT_EQ(names(db_.children(d.uuid)), (std::vector<std::string>{"a", "a-c", "b"}));
  EXPECT_EQ(names(db_.children(pa.uuid, "virtual-network")), (std::vector<std::string>{"net"}));
  EXPECT_TRUE(db_.children(pa.uuid, "project").empty());

  // Back-refs of every type, each with all its refs loaded.
  for (const auto& name : {"z", "y"}) {
    ConfigObject vmi =
        make("virtual-machine-interface", {"default-domain", "a", name}, "project", pa.uuid);
    vmi.refs = {ref("virtual-network", vn.uuid), ref("project", pb.uuid)};
    must(db_.create(vmi));
  }
  ConfigObject ip = make("instance-ip", {"ip"});
  ip.props["instance_ip_address"] = "192.0.2.1";
  ip.refs = {ref("project", pc.uuid)};
  EXPECT_EQ(db_.create(ip).status().code(), core::Code::kInvalid)
      << "an instance-ip needs a network";
  ConfigObject fip = make("floating-ip", {"fip"});
  fip.props["floating_ip_address"] = "192.0.2.1";
  fip.refs = {ref("virtual-network", vn.uuid)};
  must(db_.create(fip));
  auto back = db_.back_refs(vn.uuid);
  EXPECT_EQ(names(back), (std::vector<std::string>{"y", "z", "fip"}));
  ASSERT_EQ(back[0].refs.size(), 2u);
  EXPECT_EQ(back[0].refs[1].to, (FqName{"default-domain", "b"}));
  EXPECT_EQ(names(db_.back_refs(vn.uuid, "floating-ip")), (std::vector<std::string>{"fip"}));
  EXPECT_EQ(names(db_.back_refs(pb.uuid, "virtual-machine-interface")),
            (std::vector<std::string>{"y", "z"}));
}

TEST_F(ConfigDbTest, InstanceIpsGetAddressesFromTheTopOfTheFlatSubnet) {
  pod_network();
  // The api-server fills in gateway, DNS address and subnet uuid on the ipam.
  auto ipam = db_.read(pod_ipam_.uuid);
  const json& s0 = ipam->props["ipam_subnets"]["subnets"][0];
  EXPECT_EQ(s0["default_gateway"], "10.47.255.254");
  EXPECT_EQ(s0["dns_server_address"], "10.47.255.253");
  const std::string subnet_uuid = s0["subnet_uuid"];
  EXPECT_EQ(subnet_uuid.size(), 36u);

  auto a = must(iip("a", pod_vn_.uuid));
  auto b = must(iip("b", pod_vn_.uuid, "", subnet_uuid));
  auto c = must(iip("c", pod_vn_.uuid));
  EXPECT_EQ(a.props["instance_ip_address"], "10.47.255.252");
  EXPECT_EQ(b.props["instance_ip_address"], "10.47.255.251");
  EXPECT_EQ(c.props["instance_ip_address"], "10.47.255.250");
  bus_.run_until_idle();
  ASSERT_EQ(bodies_.size(), 3u);
  EXPECT_EQ(bodies_[0]["summary"], "create instance-ip a (10.47.255.252)");
  events();

  // Freeing an address makes it the next one handed out.
  ASSERT_TRUE(db_.remove("instance-ip", b.uuid).is_ok());
  EXPECT_EQ(must(iip("d", pod_vn_.uuid)).props["instance_ip_address"], "10.47.255.251");
  EXPECT_EQ(must(iip("e", pod_vn_.uuid)).props["instance_ip_address"], "10.47.255.249");

  auto allocs = db_.allocations();
  ASSERT_EQ(allocs.size(), 4u);
  EXPECT_EQ(allocs[0].subnet, pod_ipam_.uuid + ":10.32.0.0/12");
  EXPECT_EQ(allocs[0].address, "10.47.255.249");
  EXPECT_EQ(allocs[3].owner_uuid, a.uuid);
}

TEST_F(ConfigDbTest, RequestedAddressesAreReservedOnce) {
  pod_network();
  auto a = must(iip("a", pod_vn_.uuid, "10.40.0.7"));
  EXPECT_EQ(a.props["instance_ip_address"], "10.40.0.7");
  auto dup = iip("b", pod_vn_.uuid, "10.40.0.7");
  EXPECT_EQ(dup.status().code(), core::Code::kAlreadyExists);
  EXPECT_EQ(dup.status().message(),
            "create instance-ip b: address 10.40.0.7 is in use by instance-ip a (" + a.uuid + ")");
  auto gw = iip("b", pod_vn_.uuid, "10.47.255.254");
  EXPECT_EQ(gw.status().code(), core::Code::kAlreadyExists);
  EXPECT_EQ(gw.status().message(),
            "create instance-ip b: address 10.47.255.254 is the default gateway of 10.32.0.0/12");
  EXPECT_EQ(iip("b", pod_vn_.uuid, "10.47.255.253").status().code(), core::Code::kAlreadyExists);
  auto outside = iip("b", pod_vn_.uuid, "10.96.0.10");
  EXPECT_EQ(outside.status().code(), core::Code::kInvalid);
  EXPECT_EQ(outside.status().message(),
            "create instance-ip b: props.instance_ip_address 10.96.0.10 is not in a subnet of "
            "virtual-network "
            "default-domain:k8s-default:k8s-default-pod-network (10.32.0.0/12)");
  EXPECT_EQ(iip("b", pod_vn_.uuid, "10.47.255.255").status().code(), core::Code::kInvalid);
  EXPECT_EQ(iip("b", pod_vn_.uuid, "not-an-ip").status().code(), core::Code::kInvalid);
  auto wrong_subnet = iip("b", pod_vn_.uuid, "", "no-such-subnet");
  EXPECT_EQ(wrong_subnet.status().code(), core::Code::kNotFound);
  // Nothing failed half-way: only "a" exists, and the top address is still free.
  EXPECT_EQ(events(), (std::vector<std::string>{"create instance-ip a"}));
  EXPECT_EQ(must(iip("c", pod_vn_.uuid)).props["instance_ip_address"], "10.47.255.252");
}

TEST_F(ConfigDbTest, AddressesCannotChangeOnUpdate) {
  pod_network();
  auto a = must(iip("a", pod_vn_.uuid));
  ConfigObject next = a;
  next.props = {{"instance_ip_mode", "active-standby"}};
  auto u = db_.update(next);
  ASSERT_TRUE(u.is_ok()) << u.status().to_string();
  EXPECT_EQ(u->props["instance_ip_address"], "10.47.255.252")
      << "kept when the update leaves it out";
  EXPECT_EQ(u->props["instance_ip_mode"], "active-standby");
  next.props["instance_ip_address"] = "10.47.255.100";
  auto moved = db_.update(next);
  EXPECT_EQ(moved.status().code(), core::Code::kInvalid);
  EXPECT_EQ(moved.status().message(),
            "update instance-ip a: props.instance_ip_address cannot change (is "
            "10.47.255.252, got 10.47.255.100)");
}

TEST_F(ConfigDbTest, SubnetUuidPicksTheSubnetAndFullSubnetsFallThrough) {
  pod_network();
  ConfigObject ipam =
      make("network-ipam", {"default-domain", "k8s-default", "small"}, "project", project_.uuid);
  ipam.props["ipam_subnets"] = {
      {"subnets", json::array({subnet("192.0.2.0", 29), subnet("198.18.0.0", 24)})}};
  ipam = must(db_.create(ipam));
  ConfigObject vn = make("virtual-network", {"default-domain", "k8s-default", "small-net"},
                         "project", project_.uuid);
  vn.refs = {ref("network-ipam", ipam.uuid)};
  vn = must(db_.create(vn));
  const std::string second = ipam.props["ipam_subnets"]["subnets"][1]["subnet_uuid"];
  EXPECT_EQ(must(iip("s", vn.uuid, "", second)).props["instance_ip_address"], "198.18.0.252");
  // 192.0.2.0/29: gateway .6, DNS .5, then .4 .. .1; then the next subnet.
  std::vector<std::string> got;
  for (int i = 0; i < 5; ++i)
    got.push_back(must(iip("x" + std::to_string(i), vn.uuid)).props["instance_ip_address"]);
  EXPECT_EQ(got, (std::vector<std::string>{"192.0.2.4", "192.0.2.3", "192.0.2.2", "192.0.2.1",
                                           "198.18.0.251"}));
  const std::string first = ipam.props["ipam_subnets"]["subnets"][0]["subnet_uuid"];
  auto full = iip("y", vn.uuid, "", first);
  EXPECT_EQ(full.status().code(), core::Code::kUnavailable);
  EXPECT_EQ(full.status().message(),
            "create instance-ip y: no free address in 192.0.2.0/29 of virtual-network "
            "default-domain:k8s-default:small-net");
}

TEST_F(ConfigDbTest, SubnetsKeepTheirUuidsAndCannotBeRemovedWhileInUse) {
  pod_network();
  auto a = must(iip("a", pod_vn_.uuid));
  auto ipam = *db_.read(pod_ipam_.uuid);
  const std::string subnet_uuid = ipam.props["ipam_subnets"]["subnets"][0]["subnet_uuid"];
  // kube-manager re-sends the ipam as it made it: the subnet keeps its uuid.
  ConfigObject again = ipam;
  again.props["ipam_subnets"] = {{"subnets", json::array({subnet("10.32.0.0", 12)})}};
  auto u = must(db_.update(again));
  EXPECT_EQ(u.props["ipam_subnets"]["subnets"][0]["subnet_uuid"], subnet_uuid);
  EXPECT_EQ(must(iip("b", pod_vn_.uuid)).props["instance_ip_address"], "10.47.255.251");

  again.props["ipam_subnets"] = {{"subnets", json::array({subnet("10.64.0.0", 12)})}};
  auto removed = db_.update(again);
  EXPECT_EQ(removed.status().code(), core::Code::kConflict);
  EXPECT_EQ(removed.status().message(),
            "update network-ipam default-domain:k8s-default:k8s-pod-ipam: cannot "
            "remove subnet 10.32.0.0/12: 2 address(es) still in use");
  again.props["ipam_subnets"] = {{"subnets", json::array({subnet("10.32.0.1", 12)})}};
  EXPECT_EQ(db_.update(again).status().code(), core::Code::kInvalid);
  ASSERT_TRUE(db_.remove("instance-ip", a.uuid).is_ok());
}

TEST_F(ConfigDbTest, FloatingIpsComeFromThePoolsNetworkSubnetOnTheRefAttr) {
  auto d = must(db_.create(make("domain", {"default-domain"})));
  auto p =
      must(db_.create(make("project", {"default-domain", "default-project"}, "domain", d.uuid)));
  auto ipam =
      must(db_.create(make("network-ipam", {"default-domain", "default-project", "__public__-ipam"},
                           "project", p.uuid)));
  ConfigObject vn = make("virtual-network", {"default-domain", "default-project", "__public__"},
                         "project", p.uuid);
  vn.refs = {
      ref("network-ipam", ipam.uuid, {{"ipam_subnets", json::array({subnet("10.84.59.0", 24)})}})};
  vn = must(db_.create(vn));
  EXPECT_EQ(vn.refs[0].attr["ipam_subnets"][0]["default_gateway"], "10.84.59.254");
  auto pool = must(
      db_.create(make("floating-ip-pool",
                      {"default-domain", "default-project", "__public__", "__fip_pool_public__"},
                      "virtual-network", vn.uuid)));
  FqName pool_fq = pool.fq_name;
  auto fip = [&](const std::string& name, const std::string& address = "") {
    FqName fq = pool_fq;
    fq.push_back(name);
    ConfigObject o = make("floating-ip", fq, "floating-ip-pool", pool.uuid);
    if (!address.empty()) o.props["floating_ip_address"] = address;
    return db_.create(o);
  };
  EXPECT_EQ(must(fip("f1")).props["floating_ip_address"], "10.84.59.252");
  EXPECT_EQ(must(fip("f2", "10.84.59.10")).props["floating_ip_address"], "10.84.59.10");
  EXPECT_EQ(fip("f3", "10.84.59.10").status().code(), core::Code::kAlreadyExists);
  EXPECT_EQ(fip("f3", "10.84.60.10").status().code(), core::Code::kInvalid);
  // Instance-ips on the same network share the pool of addresses.
  EXPECT_EQ(must(iip("vip", vn.uuid)).props["instance_ip_address"], "10.84.59.251");
  auto allocs = db_.allocations();
  ASSERT_EQ(allocs.size(), 3u);
  EXPECT_EQ(allocs[0].subnet, vn.uuid + ":" + ipam.uuid + ":10.84.59.0/24");
  // A ref_update that drops the subnet from the attr is refused while addresses are in use.
  auto s = db_.ref_update("virtual-network", vn.uuid, "network-ipam", ipam.uuid, RefOp::kAdd,
                          {{"ipam_subnets", json::array()}});
  EXPECT_EQ(s.code(), core::Code::kConflict);
  EXPECT_EQ(
      db_.ref_update("virtual-network", vn.uuid, "network-ipam", ipam.uuid, RefOp::kDelete).code(),
      core::Code::kConflict);
  // ... and keeps the subnet uuid when it re-sends the same subnet.
  const std::string su = vn.refs[0].attr["ipam_subnets"][0]["subnet_uuid"];
  ASSERT_TRUE(db_.ref_update("virtual-network", vn.uuid, "network-ipam", ipam.uuid, RefOp::kAdd,
                             {{"ipam_subnets", json::array({subnet("10.84.59.0", 24)})}})
                  .is_ok());
  EXPECT_EQ(db_.read(vn.uuid)->refs[0].attr["ipam_subnets"][0]["subnet_uuid"], su);
}

TEST_F(ConfigDbTest, ClusterIpFloatingIpsShareTheirInstanceIpsAddress) {
  pod_network();
  auto cip = must(iip("svc", pod_vn_.uuid, "10.40.0.10"));
  ConfigObject f = make("floating-ip", {"svc", "fip-1"}, "instance-ip", cip.uuid);
  f.props["floating_ip_port_mappings"] = {
      {"port_mappings",
       json::array({{{"protocol", "TCP"}, {"src_port", 80}, {"dst_port", 8080}}})}};
  auto fip1 = must(db_.create(f));
  EXPECT_EQ(fip1.props["floating_ip_address"], "10.40.0.10");
  ConfigObject f2 = make("floating-ip", {"svc", "fip-2"}, "instance-ip", cip.uuid);
  f2.props["floating_ip_address"] = "10.40.0.10";
  EXPECT_TRUE(db_.create(f2).is_ok());
  EXPECT_EQ(db_.allocations().size(), 1u) << "the FIPs allocate nothing";
  EXPECT_EQ(db_.children(cip.uuid, "floating-ip").size(), 2u);
}

TEST_F(ConfigDbTest, FailedWritesPublishNothing) {
  EXPECT_FALSE(db_.create(make("project", {"d", "p"}, "domain", "x")).is_ok());
  EXPECT_FALSE(db_.remove("project", "x").is_ok());
  EXPECT_FALSE(db_.ref_update("project", "x", "domain", "y", RefOp::kAdd).is_ok());
  EXPECT_TRUE(events().empty());
}

TEST_F(ConfigDbTest, NotificationsFollowTheOrderOfWrites) {
  pod_network();
  auto vm = must(db_.create(make("virtual-machine", {"pod-uid"})));
  ConfigObject vmi = make("virtual-machine-interface",
                          {"default-domain", "k8s-default", "pod__vmi"}, "project", project_.uuid);
  vmi.refs = {ref("virtual-machine", vm.uuid), ref("virtual-network", pod_vn_.uuid)};
  vmi = must(db_.create(vmi));
  ConfigObject ip = make("instance-ip", {"pod__iip"});
  ip.refs = {ref("virtual-network", pod_vn_.uuid), ref("virtual-machine-interface", vmi.uuid)};
  ip = must(db_.create(ip));
  ASSERT_TRUE(
      db_.ref_update("virtual-machine", vm.uuid, "virtual-network", pod_vn_.uuid, RefOp::kAdd)
          .is_ok());
  ASSERT_TRUE(db_.remove("instance-ip", ip.uuid).is_ok());
  ASSERT_TRUE(db_.remove("virtual-machine-interface", vmi.uuid).is_ok());
  EXPECT_EQ(events(),
            (std::vector<std::string>{
                "create virtual-machine pod-uid", "create virtual-machine-interface pod__vmi",
                "create instance-ip pod__iip", "update virtual-machine pod-uid",
                "delete instance-ip pod__iip", "delete virtual-machine-interface pod__vmi"}));
}

TEST_F(ConfigDbTest, WritesReturnExactlyWhatAReadReturns) {
  // create() and update() build their result without reading the object back: it must
  // be what read() returns (timestamps, completed subnets, refs' names, addresses).
  pod_network();
  auto same_as_read = [&](const ConfigObject& written) {
    auto r = db_.read(written.uuid);
    ASSERT_TRUE(r.has_value()) << written.uuid;
    EXPECT_EQ(json(*r).dump(), json(written).dump());
  };
  ConfigObject vn = make("virtual-network", {"default-domain", "k8s-default", "svc-net"},
                         "project");  // parent by fq_name
  vn.props["virtual_network_properties"] = {{"forwarding_mode", "l3"}, {"vxlan", 4094}};
  Ref by_name;
  by_name.type = "network-ipam";
  by_name.to = pod_ipam_.fq_name;  // ref by fq_name
  by_name.attr = {{"ipam_subnets", json::array({subnet("10.96.0.0", 12)})}, {"weight", 1.5}};
  vn.refs.push_back(by_name);
  clock_.advance(std::chrono::microseconds(1234567));
  const ConfigObject created_vn = must(db_.create(vn));
  EXPECT_EQ(created_vn.parent_uuid, project_.uuid);
  EXPECT_EQ(created_vn.refs.at(0).uuid, pod_ipam_.uuid);
  EXPECT_EQ(created_vn.props["id_perms"]["created"], "2026-01-01T00:00:01.234567");
  same_as_read(created_vn);

  auto ip = iip("pod__iip", pod_vn_.uuid);
  ASSERT_TRUE(ip.is_ok()) << ip.status().to_string();
  EXPECT_EQ(ip->props["instance_ip_address"], "10.47.255.252");
  same_as_read(*ip);

  ConfigObject changed = *ip;
  changed.props.erase("instance_ip_address");  // an update without the address keeps it
  changed.props["id_perms"] = {{"user_visible", true}, {"created", "caller's"}};
  changed.props["annotations"] = {{"key_value_pair", json::array()}};
  clock_.advance(std::chrono::seconds(5));
  auto updated = db_.update(changed);
  ASSERT_TRUE(updated.is_ok()) << updated.status().to_string();
  EXPECT_EQ(updated->props["instance_ip_address"], "10.47.255.252");
  EXPECT_EQ(updated->props["id_perms"]["created"], ip->props["id_perms"]["created"]);
  EXPECT_EQ(updated->props["id_perms"]["last_modified"], "2026-01-01T00:00:06.234567");
  EXPECT_EQ(updated->props["id_perms"]["user_visible"], true);
  same_as_read(*updated);

  ConfigObject vn2 = created_vn;
  vn2.refs.at(0).attr["ipam_subnets"].push_back(subnet("10.200.0.0", 16));
  auto updated_vn = db_.update(vn2);
  ASSERT_TRUE(updated_vn.is_ok()) << updated_vn.status().to_string();
  EXPECT_EQ(updated_vn->refs.at(0).attr["ipam_subnets"].size(), 2u);
  EXPECT_TRUE(updated_vn->refs.at(0).attr["ipam_subnets"][1].contains("subnet_uuid"));
  same_as_read(*updated_vn);
}

// The read cache never answers differently from the file: after every step of a random
// history of writes (creates, updates, ref adds and deletes, deletes, a uuid reused by a
// new object) interleaved with cached reads, read() and read_fq() equal read_uncached().
TEST_F(ConfigDbTest, CachedReadsEqualUncachedReadsOverRandomHistory) {
  pod_network();
  std::mt19937 rng(5);
  std::vector<std::string> vms;   // live virtual-machines
  std::vector<std::string> vmis;  // live virtual-machine-interfaces
  auto check = [&](int step) {
    std::vector<std::string> all = vms;
    all.insert(all.end(), vmis.begin(), vmis.end());
    all.push_back(pod_vn_.uuid);
    for (const auto& uuid : all) {
      auto cached = db_.read(uuid);
      auto file = db_.read_uncached(uuid);
      ASSERT_TRUE(file) << "step " << step;
      ASSERT_TRUE(cached) << "step " << step;
      EXPECT_EQ(json(*cached), json(*file)) << "step " << step << " " << uuid;
      auto by_name = db_.read_fq(file->type, file->fq_name);
      ASSERT_TRUE(by_name) << "step " << step;
      EXPECT_EQ(json(*by_name), json(*file)) << "step " << step << " " << uuid;
      EXPECT_EQ(db_.uuid_of(file->type, file->fq_name), uuid) << "step " << step;
    }
    // Typed back-refs (served from the cache when it holds every referrer) equal the
    // referrers read from the file, in fq_name order.
    for (const auto& vm : vms) {
      std::vector<ConfigObject> want;
      for (const auto& vmi : vmis) {
        auto o = db_.read_uncached(vmi);
        for (const auto& r : o->refs)
          if (r.uuid == vm) {
            want.push_back(*o);
            break;
          }
      }
      std::sort(want.begin(), want.end(), [](const ConfigObject& a, const ConfigObject& b) {
        return a.fq_name < b.fq_name;
      });
      json got = json::array(), expected = json::array();
      for (const auto& o : db_.back_refs(vm, "virtual-machine-interface")) got.push_back(o);
      for (const auto& o : want) expected.push_back(o);
      EXPECT_EQ(got, expected) << "step " << step << " back_refs of " << vm;
      std::vector<std::string> want_uuids;
      for (const auto& o : want) want_uuids.push_back(o.uuid);
      EXPECT_EQ(db_.back_ref_uuids(vm, "virtual-machine-interface"), want_uuids)
          << "step " << step << " back_ref_uuids of " << vm;
    }
    // children() and untyped back_refs() with many objects: every interface, in order.
    json interfaces = json::array();
    {
      std::vector<ConfigObject> all_vmis;
      for (const auto& vmi : vmis) all_vmis.push_back(*db_.read_uncached(vmi));
      std::sort(all_vmis.begin(), all_vmis.end(),
                [](const ConfigObject& a, const ConfigObject& b) { return a.fq_name < b.fq_name; });
      for (const auto& o : all_vmis) interfaces.push_back(o);
    }
    json kids = json::array(), referrers = json::array();
    for (const auto& o : db_.children(project_.uuid, "virtual-machine-interface")) kids.push_back(o);
    for (const auto& o : db_.back_refs(pod_vn_.uuid)) referrers.push_back(o);
    EXPECT_EQ(kids, interfaces) << "step " << step;
    EXPECT_EQ(referrers, interfaces) << "step " << step;
  };
  for (int step = 0; step < 300; ++step) {
    const int op = static_cast<int>(rng() % 8);
    if (op <= 1 || vms.empty()) {
      auto vm = db_.create(make("virtual-machine", {"vm-" + std::to_string(step)}));
      ASSERT_TRUE(vm.is_ok());
      vms.push_back(vm->uuid);
      ConfigObject vmi = make("virtual-machine-interface",
                              {"default-domain", "k8s-default", "vmi-" + std::to_string(step)},
                              "project", project_.uuid);
      vmi.refs = {ref("virtual-machine", vm->uuid), ref("virtual-network", pod_vn_.uuid)};
      auto created = db_.create(vmi);
      ASSERT_TRUE(created.is_ok()) << created.status().to_string();
      vmis.push_back(created->uuid);
    } else if (op == 2) {
      const std::string uuid = vmis[rng() % vmis.size()];
      ConfigObject o = *db_.read(uuid);
      o.props["display_name"] = "v" + std::to_string(step);
      ASSERT_TRUE(db_.update(o).is_ok());
    } else if (op == 3) {
      ASSERT_TRUE(db_.ref_update("virtual-machine-interface", vmis[rng() % vmis.size()],
                                 "virtual-machine", vms[rng() % vms.size()], RefOp::kAdd)
                      .is_ok());
    } else if (op == 4) {
      ASSERT_TRUE(db_.ref_update("virtual-machine-interface", vmis[rng() % vmis.size()],
                                 "virtual-machine", vms[rng() % vms.size()], RefOp::kDelete)
                      .is_ok());
    } else if (op == 5) {
      // Delete an interface, then reuse its uuid for a virtual-machine of another name.
      const size_t i = rng() % vmis.size();
      const std::string uuid = vmis[i];
      ASSERT_TRUE(db_.remove("virtual-machine-interface", uuid).is_ok());
      vmis.erase(vmis.begin() + static_cast<long>(i));
      if (rng() % 2) {
        ConfigObject vm = make("virtual-machine", {"reused-" + std::to_string(step)});
        vm.uuid = uuid;
        ASSERT_TRUE(db_.create(vm).is_ok());
        vms.push_back(uuid);
      }
    } else {
      (void)db_.read(vms[rng() % vms.size()]);  // fills the cache
    }
    check(step);
  }
}

// More objects than the cache keeps: evicted entries are read from the file again, and a
// write to an evicted object is seen.
TEST_F(ConfigDbTest, CacheEvictionKeepsReadsRight) {
  std::vector<std::string> uuids;
  for (int i = 0; i < 4300; ++i) {
    auto vm = db_.create(make("virtual-machine", {"vm-" + std::to_string(i)}));
    ASSERT_TRUE(vm.is_ok());
    uuids.push_back(vm->uuid);
  }
  for (const auto& u : uuids) ASSERT_TRUE(db_.read(u));
  for (int i = 0; i < 4300; i += 97) {
    ConfigObject o = *db_.read(uuids[i]);
    o.props["display_name"] = "changed";
    ASSERT_TRUE(db_.update(o).is_ok());
  }
  for (size_t i = 0; i < uuids.size(); ++i) {
    auto got = db_.read(uuids[i]);
    ASSERT_TRUE(got);
    EXPECT_EQ(json(*got), json(*db_.read_uncached(uuids[i])));
    EXPECT_EQ(got->props.value("display_name", "") == "changed", i % 97 == 0) << i;
  }
  events();
}

TEST_F(ConfigDbTest, ReadsKeepRefsInStoredOrderWhateverTheirUuids) {
  // Reads get refs through the (from_uuid, to_uuid) index: they must come back in the
  // order they were stored (seq), not in uuid order.
  ConfigObject z = make("virtual-machine", {"vm-z"});
  z.uuid = "zzz";
  ConfigObject a = make("virtual-machine", {"vm-a"});
  a.uuid = "aaa";
  ConfigObject m = make("virtual-machine", {"vm-m"});
  m.uuid = "mmm";
  for (auto& o : {z, a, m}) must(db_.create(o));
  ConfigObject vr = make("virtual-router", {"node-1"});
  vr.refs = {ref("virtual-machine", "zzz"), ref("virtual-machine", "aaa", {{"k", 1}})};
  vr = must(db_.create(vr));
  ASSERT_TRUE(
      db_.ref_update("virtual-router", vr.uuid, "virtual-machine", "mmm", RefOp::kAdd).is_ok());
  const std::vector<std::string> want = {"zzz", "aaa", "mmm"};
  auto r = db_.read(vr.uuid);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->ref_uuids("virtual-machine"), want);
  EXPECT_EQ(r->refs[0].to, FqName{"vm-z"});
  EXPECT_EQ(r->refs[1].attr, (json{{"k", 1}}));
  EXPECT_EQ(r->refs[2].to, FqName{"vm-m"});
  auto listed = db_.list("virtual-router");
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0].ref_uuids("virtual-machine"), want);
  auto back = db_.back_refs("aaa", "virtual-router");
  ASSERT_EQ(back.size(), 1u);
  EXPECT_EQ(back[0].ref_uuids("virtual-machine"), want);
  EXPECT_TRUE(db_.back_refs("aaa", "virtual-machine").empty());
  EXPECT_EQ(db_.back_refs("aaa").size(), 1u);
}

TEST_F(ConfigDbTest, NamesWithQuotesBackslashesAndUnicodeRoundTrip) {
  const FqName domain_fq = {"d\"q\\b\tx"};
  const FqName project_fq = {domain_fq[0], "pr\u00fcf-\xe5\x90\x8d,[]"};
  auto d = must(db_.create(make("domain", domain_fq)));
  auto p = must(db_.create(make("project", project_fq, "domain", d.uuid)));
  ConfigObject vm = make("virtual-machine", {"vm"});
  vm.refs = {ref("project", p.uuid), ref("domain", d.uuid)};
  vm = must(db_.create(vm));
  auto r = db_.read(vm.uuid);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->refs[0].to, project_fq);
  EXPECT_EQ(r->refs[1].to, domain_fq);
  EXPECT_EQ(db_.read(p.uuid)->fq_name, project_fq);
  auto by_fq = db_.read_fq("project", project_fq);
  ASSERT_TRUE(by_fq.has_value());
  EXPECT_EQ(by_fq->uuid, p.uuid);
  EXPECT_EQ(db_.children(d.uuid, "project").at(0).fq_name, project_fq);
  // Commas and brackets in names without escapes.
  const FqName plain = {"a,b][c", "\"\",", "[]"};
  auto odd = must(db_.create(make("virtual-network", plain)));
  EXPECT_EQ(db_.read(odd.uuid)->fq_name, plain);
  EXPECT_EQ(db_.list("virtual-network").at(0).fq_name, plain);
}

TEST_F(ConfigDbTest, AUuidUsedAgainAfterDeleteHasItsNewTypeAndName) {
  ConfigObject vm = make("virtual-machine", {"old-name"});
  vm.uuid = "same-uuid";
  must(db_.create(vm));
  ConfigObject vr = make("virtual-router", {"node-1"});
  vr.refs = {ref("virtual-machine", "same-uuid")};
  vr = must(db_.create(vr));
  ASSERT_TRUE(db_.remove("virtual-router", vr.uuid).is_ok());
  ASSERT_TRUE(db_.remove("virtual-machine", "same-uuid").is_ok());
  ConfigObject vn = make("virtual-network", {"new-name"});
  vn.uuid = "same-uuid";
  must(db_.create(vn));
  ConfigObject holder = make("virtual-machine-interface", {"vmi"});
  holder.refs = {ref("virtual-machine", "same-uuid")};
  EXPECT_EQ(db_.create(holder).status().message(),
            "create virtual-machine-interface vmi: refs[0]: virtual-machine same-uuid does not "
            "exist (that uuid is a virtual-network)");
  holder.refs = {ref("virtual-network", "same-uuid")};
  auto h = must(db_.create(holder));
  EXPECT_EQ(db_.read(h.uuid)->refs.at(0).to, FqName{"new-name"});
  EXPECT_EQ(
      db_.ref_update("virtual-machine", "same-uuid", "virtual-network", "x", RefOp::kAdd).code(),
      core::Code::kNotFound);
}

std::string temp_db_path(const std::string& name) {
  const char* dir = std::getenv("TEST_TMPDIR");
  std::string path =
      std::string(dir ? dir : "/tmp") + "/" + name + "-" + std::to_string(getpid()) + ".db";
  std::filesystem::remove(path);
  std::filesystem::remove(path + "-wal");
  std::filesystem::remove(path + "-shm");
  return path;
}

TEST(ConfigDbFileTest, PersistsAcrossReopenInWalMode) {
  core::SimulatedClock clock;
  core::Bus bus(clock, core::Bus::Mode::kDeterministic);
  const std::string path = temp_db_path("config");
  std::string vn_uuid, ip_uuid;
  {
    auto db = ConfigDb::open(bus, clock, path, 7);
    ASSERT_TRUE(db.is_ok()) << db.status().to_string();
    auto ipam = make("network-ipam", {"ipam"});
    ipam.props["ipam_subnets"] = {{"subnets", json::array({subnet("10.32.0.0", 12)})}};
    auto i = (*db)->create(ipam);
    ASSERT_TRUE(i.is_ok()) << i.status().to_string();
    auto vn = make("virtual-network", {"vn"});
    vn.refs = {ref("network-ipam", i->uuid)};
    vn_uuid = (*db)->create(vn)->uuid;
    auto ip = make("instance-ip", {"a"});
    ip.refs = {ref("virtual-network", vn_uuid)};
    auto a = (*db)->create(ip);
    ASSERT_TRUE(a.is_ok()) << a.status().to_string();
    ip_uuid = a->uuid;
  }
  {
    sqlite3* raw = nullptr;
    ASSERT_EQ(sqlite3_open(path.c_str(), &raw), SQLITE_OK);
    sqlite3_stmt* st = nullptr;
    ASSERT_EQ(sqlite3_prepare_v2(raw, "PRAGMA journal_mode", -1, &st, nullptr), SQLITE_OK);
    ASSERT_EQ(sqlite3_step(st), SQLITE_ROW);
    EXPECT_STREQ(reinterpret_cast<const char*>(sqlite3_column_text(st, 0)), "wal");
    sqlite3_finalize(st);
    ASSERT_EQ(sqlite3_prepare_v2(raw, "SELECT version FROM schema_version", -1, &st, nullptr),
              SQLITE_OK);
    ASSERT_EQ(sqlite3_step(st), SQLITE_ROW);
    EXPECT_EQ(sqlite3_column_int(st, 0), ConfigDb::kSchemaVersion);
    sqlite3_finalize(st);
    sqlite3_close(raw);
  }
  {
    // Same seed: the generator replays its uuids, which must not collide with stored ones.
    auto db = ConfigDb::open(bus, clock, path, 7);
    ASSERT_TRUE(db.is_ok()) << db.status().to_string();
    auto a = (*db)->read(ip_uuid);
    ASSERT_TRUE(a.has_value());
    EXPECT_EQ(a->props["instance_ip_address"], "10.47.255.252");
    auto ip = make("instance-ip", {"b"});
    ip.refs = {ref("virtual-network", vn_uuid)};
    auto b = (*db)->create(ip);
    ASSERT_TRUE(b.is_ok()) << b.status().to_string();
    EXPECT_EQ(b->props["instance_ip_address"], "10.47.255.251");
    EXPECT_EQ((*db)->list("instance-ip").size(), 2u);
  }
  std::filesystem::remove(path);
  std::filesystem::remove(path + "-wal");
  std::filesystem::remove(path + "-shm");
}

TEST(ConfigDbFileTest, AppendingARefDoesNotReadTheObjectsOtherRefs) {
  // ref_update appends at MAX(seq) + 1: through refs_by_from_seq that is one index probe,
  // not a read of every ref of the object (a virtual-router has one per VM of its node).
  const std::string path = temp_db_path("ref-append-plan");
  {
    core::SimulatedClock clock;
    core::Bus bus(clock, core::Bus::Mode::kDeterministic);
    ConfigDb db(bus, clock, path);
    ASSERT_TRUE(db.open_status().is_ok());
  }
  sqlite3* h = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &h), SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(h,
                               "EXPLAIN QUERY PLAN SELECT COALESCE(MAX(seq), -1) + 1 FROM refs "
                               "WHERE from_uuid = 'x'",
                               -1, &st, nullptr),
            SQLITE_OK);
  std::string plan;
  while (sqlite3_step(st) == SQLITE_ROW)
    plan += reinterpret_cast<const char*>(sqlite3_column_text(st, 3)) + std::string("; ");
  sqlite3_finalize(st);
  sqlite3_close(h);
  EXPECT_NE(plan.find("COVERING INDEX refs_by_from_seq"), std::string::npos) << plan;
}

TEST(ConfigDbFileTest, RefusedWritesReleaseTheWriteLock) {
  // Validation runs inside the write's transaction: a refused write must end it, so that
  // another connection can write at once (busy timeout 0).
  core::SimulatedClock clock;
  core::Bus bus(clock, core::Bus::Mode::kDeterministic);
  const std::string path = temp_db_path("lock");
  auto db = ConfigDb::open(bus, clock, path, 3);
  ASSERT_TRUE(db.is_ok()) << db.status().to_string();
  auto d = (*db)->create(make("domain", {"d"}));
  ASSERT_TRUE(d.is_ok());
  ASSERT_TRUE((*db)->create(make("project", {"d", "p"}, "domain", d->uuid)).is_ok());
  EXPECT_EQ((*db)->create(make("domain", {"d"})).status().code(), core::Code::kAlreadyExists);
  EXPECT_EQ((*db)->update(make("domain", {"x"})).status().code(), core::Code::kInvalid);
  EXPECT_EQ((*db)->remove("domain", d->uuid).code(), core::Code::kConflict);
  EXPECT_EQ((*db)->ref_update("domain", d->uuid, "project", "nope", RefOp::kAdd).code(),
            core::Code::kNotFound);
  EXPECT_TRUE((*db)->ref_update("domain", d->uuid, "project", "nope", RefOp::kDelete).is_ok());
  sqlite3* other = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &other), SQLITE_OK);
  EXPECT_EQ(sqlite3_exec(other,
                         "BEGIN IMMEDIATE; UPDATE schema_version SET version = version; "
                         "COMMIT",
                         nullptr, nullptr, nullptr),
            SQLITE_OK)
      << sqlite3_errmsg(other);
  sqlite3_close(other);
  EXPECT_TRUE((*db)->create(make("domain", {"e"})).is_ok());
  db->reset();
  std::filesystem::remove(path);
  std::filesystem::remove(path + "-wal");
  std::filesystem::remove(path + "-shm");
}

TEST(ConfigDbFileTest, AcceptedWritesSurviveKill9) {
  // A child process creates objects and reports each uuid after create() returned; the
  // parent kills it with SIGKILL mid-stream. Every reported object must be in the file.
  const std::string path = temp_db_path("kill9");
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    close(fds[0]);
    core::SimulatedClock clock;
    core::Bus bus(clock, core::Bus::Mode::kDeterministic);
    ConfigDb db(bus, clock, path, 11);
    if (!db.open_status().is_ok()) _exit(2);
    for (int i = 0; i < 100000; ++i) {
      auto o = db.create(make("virtual-machine", {"vm-" + std::to_string(i)}));
      if (!o.is_ok()) _exit(3);
      std::string line = o->uuid + "\n";
      if (write(fds[1], line.data(), line.size()) != static_cast<ssize_t>(line.size())) _exit(4);
      if (i % 256 == 0) bus.run_until_idle();
    }
    _exit(0);
  }
  close(fds[1]);
  std::string got;
  char buf[4096];
  while (std::count(got.begin(), got.end(), '\n') < 300) {
    ssize_t n = read(fds[0], buf, sizeof buf);
    ASSERT_GT(n, 0) << "the child stopped early";
    got.append(buf, static_cast<size_t>(n));
  }
  ASSERT_EQ(kill(child, SIGKILL), 0);
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  EXPECT_TRUE(WIFSIGNALED(status));
  for (;;) {  // what the child reported before it died
    ssize_t n = read(fds[0], buf, sizeof buf);
    if (n <= 0) break;
    got.append(buf, static_cast<size_t>(n));
  }
  close(fds[0]);
  std::vector<std::string> uuids;
  for (size_t at = 0, nl; (nl = got.find('\n', at)) != std::string::npos; at = nl + 1)
    uuids.push_back(got.substr(at, nl - at));
  ASSERT_GE(uuids.size(), 300u);

  core::SimulatedClock clock;
  core::Bus bus(clock, core::Bus::Mode::kDeterministic);
  auto db = ConfigDb::open(bus, clock, path);
  ASSERT_TRUE(db.is_ok()) << db.status().to_string();
  size_t missing = 0;
  for (const auto& u : uuids) missing += !(*db)->read(u).has_value();
  EXPECT_EQ(missing, 0u) << "of " << uuids.size() << " acknowledged creates";
  EXPECT_GE((*db)->list("virtual-machine").size(), uuids.size());
  db->reset();
  std::filesystem::remove(path);
  std::filesystem::remove(path + "-wal");
  std::filesystem::remove(path + "-shm");
}

TEST(ConfigDbFileTest, RefusesAnotherSchemaVersion) {
  core::SimulatedClock clock;
  core::Bus bus(clock, core::Bus::Mode::kDeterministic);
  const std::string path = temp_db_path("version");
  { ASSERT_TRUE(ConfigDb::open(bus, clock, path).is_ok()); }
  sqlite3* raw = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &raw), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(raw, "UPDATE schema_version SET version = 99", nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(raw);
  auto db = ConfigDb::open(bus, clock, path);
  ASSERT_FALSE(db.is_ok());
  EXPECT_EQ(db.status().code(), core::Code::kUnavailable);
  EXPECT_NE(db.status().message().find("schema version 99"), std::string::npos)
      << db.status().message();
  std::filesystem::remove(path);
}

TEST(ConfigDbFileTest, OpenFailureIsReportedByEveryCall) {
  core::SimulatedClock clock;
  core::Bus bus(clock, core::Bus::Mode::kDeterministic);
  auto db = ConfigDb::open(bus, clock, "/nonexistent-dir/x/config.db");
  ASSERT_FALSE(db.is_ok());
  EXPECT_EQ(db.status().code(), core::Code::kUnavailable);
  EXPECT_NE(db.status().message().find("/nonexistent-dir/x/config.db"), std::string::npos);
  ConfigDb broken(bus, clock, "/nonexistent-dir/x/config.db");
  EXPECT_FALSE(broken.open_status().is_ok());
  EXPECT_EQ(broken.create(make("domain", {"d"})).status().code(), core::Code::kUnavailable);
  EXPECT_TRUE(broken.list("domain").empty());
}

class ConfigDbNotifyTest : public ::testing::TestWithParam<bool> {};

TEST_P(ConfigDbNotifyTest, NotificationsArePublishedAfterCommit) {
  // A subscriber on another thread that reads the object it hears about always finds it
  // (and finds a deleted one gone): on ":memory:" (one connection) and on a file, where
  // the subscriber reads on a reader connection of its own.
  core::Bus bus(core::SystemClock::instance(), core::Bus::Mode::kThreaded, 2);
  ConfigDb db(bus, core::SystemClock::instance(),
              GetParam() ? temp_db_path("notify-after-commit") : ":memory:");
  std::atomic<int> found{0}, gone{0}, wrong{0};
  bus.subscribe("reader", "config.changed.", [&](const core::Envelope& e) {
    auto o = db.read(e.body["uuid"].get<std::string>());
    if (e.body["op"] == "delete")
      (o ? wrong : gone)++;
    else if (o)
      found++;
  });
  for (int i = 0; i < 50; ++i) {
    auto o = db.create(make("virtual-machine", {"vm-" + std::to_string(i)}));
    ASSERT_TRUE(o.is_ok());
    if (i % 2) {
      ASSERT_TRUE(bus.run_until_idle(std::chrono::seconds(10)));
      ASSERT_TRUE(db.remove("virtual-machine", o->uuid).is_ok());
    }
  }
  ASSERT_TRUE(bus.run_until_idle(std::chrono::seconds(10)));
  EXPECT_EQ(found.load(), 50);
  EXPECT_EQ(gone.load(), 25);
  EXPECT_EQ(wrong.load(), 0);
}
INSTANTIATE_TEST_SUITE_P(MemoryAndFile, ConfigDbNotifyTest, ::testing::Bool());

TEST(ConfigDbThreadTest, ReadersBesideTheWriterNeverSeeOrCacheAnOldObject) {
  // A file DB: reads run on reader connections of their own, beside the writer. A read
  // that began before a write committed must not put its older copy into the read cache:
  // the writer, reading right after each update, must find its own write every time, and
  // no reader may see the counter go back.
  const std::string path = temp_db_path("concurrent-readers");
  core::Bus bus(core::SystemClock::instance(), core::Bus::Mode::kThreaded, 2);
  ConfigDb db(bus, core::SystemClock::instance(), path);
  ASSERT_TRUE(db.open_status().is_ok()) << db.open_status().to_string();
  auto vm = db.create(make("virtual-machine", {"vm"}));
  ASSERT_TRUE(vm.is_ok());
  auto vr = make("virtual-router", {"node-1"});
  vr.refs = {ref("virtual-machine", vm->uuid)};
  auto router = db.create(vr);
  ASSERT_TRUE(router.is_ok()) << router.status().to_string();
  auto counter = [](const std::optional<ConfigObject>& o) {
    return o && o->props.contains("n") ? o->props["n"].get<int>() : -1;
  };
  std::atomic<bool> stop{false};
  std::atomic<int> reads{0}, went_back{0};
  std::vector<std::thread> readers;
  for (int t = 0; t < 3; ++t) {
    readers.emplace_back([&, t] {
      int last = -1;
      for (int k = 0; k < 2000000 && !stop; ++k) {
        int n = -1;
        if (t == 0) n = counter(db.read(vm->uuid));
        if (t == 1) n = counter(db.read_fq("virtual-machine", {"vm"}));
        if (t == 2) {
          // The virtual-router that refers to the VM, from the cache or one query.
          auto referrers = db.back_refs(vm->uuid, "virtual-router");
          n = counter(db.read(vm->uuid));
          if (referrers.size() != 1) ++went_back;
        }
        if (n < last) ++went_back;
        last = std::max(last, n);
        ++reads;
      }
    });
  }
  int stale = 0;
  // 2,000 writes: a read that put an old row back after a new one was served showed up
  // in about 1 run of 4 at 300 (the window is a commit's last microseconds).
  constexpr int kWrites = 2000;
  for (int k = 0; k < kWrites; ++k) {
    ConfigObject o = *vm;
    o.props = {{"n", k}};
    ASSERT_TRUE(db.update(o).is_ok());
    if (counter(db.read(vm->uuid)) != k) ++stale;
    if (counter(db.read_fq("virtual-machine", {"vm"})) != k) ++stale;
  }
  stop = true;
  for (auto& t : readers) t.join();
  ASSERT_TRUE(bus.run_until_idle(std::chrono::seconds(10)));
  EXPECT_EQ(stale, 0);
  EXPECT_EQ(went_back.load(), 0);
  EXPECT_GT(reads.load(), kWrites);
  EXPECT_EQ(counter(db.read_uncached(vm->uuid)), kWrites - 1);
}

TEST(ConfigDbThreadTest, ConcurrentWritersGetDistinctAddresses) {
  core::Bus bus(core::SystemClock::instance(), core::Bus::Mode::kThreaded, 2);
  ConfigDb db(bus, core::SystemClock::instance(), ":memory:");
  // Notifications are published in commit order, also when writers race: the IPAM hands
  // out addresses from the top down, so the addresses they name must go strictly down.
  std::atomic<int> notified{0}, out_of_order{0};
  int last_octet = 256;  // every address is 10.47.255.x
  bus.subscribe("test", "config.changed.instance-ip", [&](const core::Envelope& e) {
    ++notified;
    const std::string summary = e.body["summary"].get<std::string>();  // "... (10.47.255.7)"
    const std::string address = summary.substr(summary.rfind('(') + 1);
    const int octet = std::stoi(address.substr(address.rfind('.') + 1));
    if (octet >= last_octet) ++out_of_order;
    last_octet = octet;
  });
  auto ipam = make("network-ipam", {"ipam"});
  ipam.props["ipam_subnets"] = {{"subnets", json::array({subnet("10.32.0.0", 12)})}};
  auto i = db.create(ipam);
  auto vn = make("virtual-network", {"vn"});
  vn.refs = {ref("network-ipam", i->uuid)};
  const std::string vn_uuid = db.create(vn)->uuid;
  std::vector<std::thread> threads;
  std::mutex mu;
  std::set<std::string> addresses;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int k = 0; k < 50; ++k) {
        auto ip = make("instance-ip", {"ip-" + std::to_string(t) + "-" + std::to_string(k)});
        ip.refs = {ref("virtual-network", vn_uuid)};
        auto r = db.create(ip);
        ASSERT_TRUE(r.is_ok()) << r.status().to_string();
        std::lock_guard lock(mu);
        addresses.insert(r->props["instance_ip_address"].get<std::string>());
      }
    });
  }
  for (auto& t : threads) t.join();
  ASSERT_TRUE(bus.run_until_idle(std::chrono::seconds(10)));
  EXPECT_EQ(addresses.size(), 200u);
  // Exactly the 200 addresses from the top down: .252 .. .53.
  EXPECT_TRUE(addresses.count("10.47.255.252"));
  EXPECT_TRUE(addresses.count("10.47.255.53"));
  EXPECT_FALSE(addresses.count("10.47.255.52"));
  EXPECT_EQ(notified.load(), 200);
  EXPECT_EQ(out_of_order.load(), 0);
  EXPECT_EQ(db.list("instance-ip").size(), 200u);
}

}  // namespace
}  // namespace csim::controller
