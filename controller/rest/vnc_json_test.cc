#include "controller/rest/vnc_json.h"

#include <gtest/gtest.h>

namespace csim::controller {
namespace {

using nlohmann::json;

constexpr char kBase[] = "http://127.0.0.1:8082";
constexpr char kLb[] = "8c84ff8a-30ac-4136-99d9-f0d9662f3eee";

ShapeOptions base_shape() {
  ShapeOptions o;
  o.base_url = kBase;
  return o;
}

ConfigObject lb() {
  ConfigObject o;
  o.type = "loadbalancer";
  o.uuid = kLb;
  o.fq_name = {"default-domain", "k8s-default", "ing__uid"};
  o.parent_type = "project";
  o.parent_uuid = "p-1";
  o.props["loadbalancer_provider"] = "opencontrail";
  o.props["id_perms"] = {{"created", "2026-01-01T00:00:00.000000"},
                         {"last_modified", "2026-01-01T00:00:01.000000"}};
  o.refs.push_back(
      {"virtual-machine-interface", "vmi-1", {"default-domain", "k8s-default", "vip"}, nullptr});
  o.refs.push_back({"service-instance", "si-1", {"default-domain", "k8s-default", kLb}, nullptr});
  o.refs.push_back(
      {"virtual-machine-interface", "vmi-2", {"default-domain", "k8s-default", "v2"}, {{"x", 1}}});
  return o;
}

TEST(VncJsonTest, UuidLongs) {
  auto l = uuid_longs(kLb);
  ASSERT_TRUE(l.has_value());
  EXPECT_EQ(l->first, 10125498831222882614ULL);
  EXPECT_EQ(l->second, 11086156774262128366ULL);
  EXPECT_EQ(uuid_from_longs(l->first, l->second), kLb);
  EXPECT_EQ(uuid_longs("FFFFFFFF-ffff-ffff-ffff-ffffffffffff")->first, ~0ULL);
  EXPECT_FALSE(uuid_longs("not-a-uuid").has_value());
  EXPECT_FALSE(is_canonical_uuid("8c84ff8a-30ac-4136-99d9-f0d9662f3ee"));
  EXPECT_FALSE(is_canonical_uuid("8c84ff8a030ac-4136-99d9-f0d9662f3eee"));
  EXPECT_FALSE(is_canonical_uuid("8c84ff8a-30ac-4136-99d9-f0d9662f3eeg"));
  EXPECT_TRUE(is_canonical_uuid(kLb));
}

TEST(VncJsonTest, ObjectHasIdentityDefaultsPropsAndGroupedRefs) {
  json j = vnc_object(lb(), Related{}, base_shape());
  EXPECT_EQ(j["uuid"], kLb);
  EXPECT_EQ(j["name"], "ing__uid");
  EXPECT_EQ(j["fq_name"], json({"default-domain", "k8s-default", "ing__uid"}));
  EXPECT_EQ(j["parent_type"], "project");
  EXPECT_EQ(j["parent_uuid"], "p-1");
  EXPECT_EQ(j["parent_href"], "http://127.0.0.1:8082/project/p-1");
  EXPECT_EQ(j["href"], std::string(kBase) + "/loadbalancer/" + kLb);
  EXPECT_EQ(j["display_name"], "ing__uid");  // the api-server's default
  EXPECT_EQ(j["loadbalancer_provider"], "opencontrail");
  EXPECT_EQ(j["id_perms"], json::parse(R"({"uuid": {"uuid_mslong": 10125498831222882614,
                                     "uuid_lslong": 11086156774262128366},
                            "enable": true, "created": "2026-01-01T00:00:00.000000",
                            "last_modified": "2026-01-01T00:00:01.000000", "description": null,
                            "user_visible": true, "creator": null,
                            "permissions": {"owner": "cloud-admin", "owner_access": 7,
                                            "group": "cloud-admin-group", "group_access": 7,
                                            "other_access": 7}})"));
  EXPECT_EQ(j["perms2"], json::parse(R"({"owner": "cloud-admin", "owner_access": 7,
                                          "global_access": 0, "share": []})"));
  EXPECT_EQ(j["virtual_machine_interface_refs"], json::parse(R"([
      {"to": ["default-domain", "k8s-default", "vip"], "uuid": "vmi-1",
       "href": "http://127.0.0.1:8082/virtual-machine-interface/vmi-1", "attr": null},
      {"to": ["default-domain", "k8s-default", "v2"], "uuid": "vmi-2",
       "href": "http://127.0.0.1:8082/virtual-machine-interface/vmi-2", "attr": {"x": 1}}])"));
  EXPECT_EQ(j["service_instance_refs"].size(), 1u);
  EXPECT_FALSE(j.contains("loadbalancer_listener_back_refs"));  // not asked for
}

TEST(VncJsonTest, StoredPermsWinOverDefaults) {
  ConfigObject o = lb();
  o.props["id_perms"]["user_visible"] = false;
  o.props["id_perms"]["permissions"] = {{"owner_access", 5}};
  o.props["id_perms"]["uuid"] = {{"uuid_mslong", 1}, {"uuid_lslong", 2}};  // derived, not stored
  o.props["perms2"] = {{"owner", "project-uuid"}, {"owner_access", 7}};
  o.props["display_name"] = "default__ing";
  json j = vnc_object(o, Related{}, base_shape());
  EXPECT_EQ(j["id_perms"]["user_visible"], false);
  EXPECT_EQ(j["id_perms"]["enable"], true);
  EXPECT_EQ(j["id_perms"]["permissions"]["owner_access"], 5);
  EXPECT_EQ(j["id_perms"]["permissions"]["group"], "cloud-admin-group");
  EXPECT_EQ(j["id_perms"]["uuid"]["uuid_mslong"], 10125498831222882614ULL);
  EXPECT_EQ(j["perms2"]["owner"], "project-uuid");
  EXPECT_EQ(j["perms2"]["share"], json::array());
  EXPECT_EQ(j["display_name"], "default__ing");
}

TEST(VncJsonTest, RootObjectHasNoParentFieldsAndNonUuidIdsNoLongs) {
  ConfigObject o;
  o.type = "instance-ip";
  o.uuid = "iip-1";
  o.fq_name = {"iip"};
  json j = vnc_object(o, Related{}, base_shape());
  EXPECT_FALSE(j.contains("parent_type"));
  EXPECT_FALSE(j.contains("parent_uuid"));
  EXPECT_FALSE(j.contains("parent_href"));
  EXPECT_FALSE(j["id_perms"].contains("uuid"));
}

TEST(VncJsonTest, BackRefsCarryTheHoldersAttrAndChildrenAreLinks) {
  ConfigObject pool;
  pool.type = "loadbalancer-pool";
  pool.uuid = "pool-1";
  pool.fq_name = {"d", "p", "pool"};
  ConfigObject holder;
  holder.type = "loadbalancer-listener";
  holder.uuid = "ll-1";
  holder.fq_name = {"d", "p", "ll"};
  holder.refs.push_back({"loadbalancer", "other", {}, nullptr});
  holder.refs.push_back({"loadbalancer-pool", "pool-1", {"d", "p", "pool"}, {{"w", 2}}});
  ConfigObject m1, m2;
  m1.type = m2.type = "loadbalancer-member";
  m1.uuid = "m1";
  m1.fq_name = {"d", "p", "pool", "m1"};
  m2.uuid = "m2";
  m2.fq_name = {"d", "p", "pool", "m2"};
  std::vector<ConfigObject> back = {holder}, kids = {m1, m2};
  json j = vnc_object(pool, Related{&back, &kids}, base_shape());
  EXPECT_EQ(j["loadbalancer_listener_back_refs"], json::parse(R"([{"to": ["d", "p", "ll"],
      "uuid": "ll-1", "href": "http://127.0.0.1:8082/loadbalancer-listener/ll-1",
      "attr": {"w": 2}}])"));
  EXPECT_EQ(j["loadbalancer_members"], json::parse(R"([
      {"to": ["d", "p", "pool", "m1"], "uuid": "m1",
       "href": "http://127.0.0.1:8082/loadbalancer-member/m1"},
      {"to": ["d", "p", "pool", "m2"], "uuid": "m2",
       "href": "http://127.0.0.1:8082/loadbalancer-member/m2"}])"));

  ShapeOptions no_hrefs = base_shape();
  no_hrefs.hrefs = false;
  json bare = vnc_object(pool, Related{&back, &kids}, no_hrefs);
  EXPECT_EQ(bare.dump().find("href"), std::string::npos) << bare.dump();
}

TEST(VncJsonTest, FieldsKeepIdentityAndTheNamedFieldsOnly) {
  ShapeOptions o = base_shape();
  o.fields = std::set<std::string>{"service_instance_refs", "loadbalancer_provider"};
  json j = vnc_object(lb(), Related{}, o);
  std::set<std::string> keys;
  for (auto it = j.begin(); it != j.end(); ++it) keys.insert(it.key());
  EXPECT_EQ(keys, (std::set<std::string>{"uuid", "name", "fq_name", "parent_type", "parent_uuid",
                                         "parent_href", "href", "service_instance_refs",
                                         "loadbalancer_provider"}));
  json entry = vnc_list_entry(lb(), Related{}, o);
  keys.clear();
  for (auto it = entry.begin(); it != entry.end(); ++it) keys.insert(it.key());
  EXPECT_EQ(keys, (std::set<std::string>{"uuid", "fq_name", "href", "service_instance_refs",
                                         "loadbalancer_provider"}));
  EXPECT_EQ(vnc_list_entry(lb(), Related{}, base_shape()),
            json({{"uuid", kLb},
                  {"fq_name", {"default-domain", "k8s-default", "ing__uid"}},
                  {"href", std::string(kBase) + "/loadbalancer/" + kLb}}));
}

TEST(VncJsonTest, ParseWriteSortsFieldsIntoPropsAndRefs) {
  json body = json::parse(R"({"loadbalancer-member": {
      "uuid": "u", "fq_name": ["d", "p", "pool", "m"], "parent_type": "loadbalancer_pool",
      "parent_uuid": "pool-1", "href": "ignored", "parent_href": "ignored",
      "id_perms": {"uuid": {"uuid_mslong": 1, "uuid_lslong": 2}, "created": "x",
                   "last_modified": "y", "user_visible": false},
      "loadbalancer_member_properties": {"admin_state": false, "address": "10.96.0.10"},
      "display_name": null,
      "virtual_machine_interface_refs": [{"to": ["d", "p", "vmi"], "attr": {"a": 1}},
                                         {"uuid": "vmi-2", "href": "ignored"}],
      "loadbalancer_pool_back_refs": [{"uuid": "x"}],
      "loadbalancer_healthmonitors": [{"uuid": "x"}]}})");
  auto w = parse_vnc_write("loadbalancer-member", body);
  ASSERT_TRUE(w.is_ok()) << w.status().to_string();
  EXPECT_EQ(w->uuid, "u");
  EXPECT_EQ(w->fq_name, (FqName{"d", "p", "pool", "m"}));
  EXPECT_EQ(w->parent_type, "loadbalancer-pool");
  EXPECT_EQ(w->parent_uuid, "pool-1");
  EXPECT_EQ(w->props, json::parse(R"({"id_perms": {"user_visible": false},
      "loadbalancer_member_properties": {"admin_state": false, "address": "10.96.0.10"},
      "display_name": null})"));
  ASSERT_EQ(w->refs.size(), 1u);
  EXPECT_EQ(w->refs[0].first, "virtual-machine-interface");
  ASSERT_EQ(w->refs[0].second.size(), 2u);
  EXPECT_EQ(w->refs[0].second[0].to, (FqName{"d", "p", "vmi"}));
  EXPECT_EQ(w->refs[0].second[0].attr, json({{"a", 1}}));
  EXPECT_EQ(w->refs[0].second[1].uuid, "vmi-2");
  EXPECT_TRUE(w->refs[0].second[1].attr.is_null());

  ConfigObject o = object_for_create(*w, *w->fq_name);
  EXPECT_FALSE(o.props.contains("display_name"));  // nulls are not stored
  EXPECT_EQ(o.refs.size(), 2u);
}

TEST(VncJsonTest, ParseWriteTakesTheUuidFromIdPermsWhenAlone) {
  auto w = parse_vnc_write("project", json::parse(R"({"project": {"id_perms": {"uuid":
      {"uuid_mslong": 10125498831222882614, "uuid_lslong": 11086156774262128366}}}})"));
  ASSERT_TRUE(w.is_ok());
  EXPECT_EQ(w->uuid, kLb);
}

TEST(VncJsonTest, ParseWriteErrorsNameTheField) {
  struct Case {
    const char* body;
    const char* message;
  } cases[] = {
      {R"({"loadbalancer": 1})", "loadbalancer: must be a JSON object"},
      {R"({"loadbalancers": {}})", "the body must be {\"loadbalancer\": {...}}"},
      {R"({"loadbalancer": {}, "x": 1})", "the body must be {\"loadbalancer\": {...}}"},
      {R"([1])", "the body must be"},
      {R"({"loadbalancer": {"fq_name": "a:b"}})", "loadbalancer.fq_name: must be a non-empty list"},
      {R"({"loadbalancer": {"fq_name": ["a", ""]}})", "loadbalancer.fq_name: must be a non-empty"},
      {R"({"loadbalancer": {"uuid": 5}})", "loadbalancer.uuid: must be a string"},
      {R"({"loadbalancer": {"id_perms": []}})", "loadbalancer.id_perms: must be an object"},
      {R"({"loadbalancer": {"service_instance_refs": {}}})",
       "loadbalancer.service_instance_refs: must be a list"},
      {R"({"loadbalancer": {"service_instance_refs": [5]}})",
       "loadbalancer.service_instance_refs[0]: must be an object"},
      {R"({"loadbalancer": {"service_instance_refs": [{"attr": 1}]}})",
       "loadbalancer.service_instance_refs[0]: needs the uuid or the fq_name (to) of the "
       "service-instance"},
      {R"({"loadbalancer": {"service_instance_refs": [{"to": [1]}]}})",
       "loadbalancer.service_instance_refs[0].to: must be"},
      {R"({"loadbalancer": {"widget_refs": []}})",
       "loadbalancer.widget_refs: no such type \"widget\" to refer to"},
  };
  for (const auto& c : cases) {
    auto w = parse_vnc_write("loadbalancer", json::parse(c.body));
    ASSERT_FALSE(w.is_ok()) << c.body;
    EXPECT_EQ(w.status().code(), core::Code::kInvalid);
    EXPECT_EQ(w.status().message().rfind(c.message, 0), 0u)
        << c.body << " -> " << w.status().message();
  }
}

TEST(VncJsonTest, MergeUpdateReplacesGivenFieldsAndRefTypesInPlace) {
  ConfigObject stored = lb();
  stored.props["display_name"] = "old";
  stored.props["loadbalancer_properties"] = {{"admin_state", true}, {"vip_address", "10.0.0.1"}};
  auto w = parse_vnc_write("loadbalancer", json::parse(R"({"loadbalancer": {
      "loadbalancer_properties": {"admin_state": false},
      "display_name": null,
      "id_perms": {"description": "maintenance"},
      "virtual_machine_interface_refs": [{"uuid": "vmi-9"}]}})"));
  ASSERT_TRUE(w.is_ok());
  ConfigObject m = merge_update(stored, *w);
  EXPECT_EQ(m.uuid, stored.uuid);
  EXPECT_EQ(m.fq_name, stored.fq_name);
  EXPECT_EQ(m.props["loadbalancer_properties"], json({{"admin_state", false}}));  // whole property
  EXPECT_FALSE(m.props.contains("display_name"));
  EXPECT_EQ(m.props["loadbalancer_provider"], "opencontrail");  // not given: kept
  EXPECT_EQ(m.props["id_perms"]["description"], "maintenance");
  EXPECT_EQ(m.props["id_perms"]["created"], "2026-01-01T00:00:00.000000");  // merged
  ASSERT_EQ(m.refs.size(), 2u);
  EXPECT_EQ(m.refs[0].uuid, "vmi-9");  // where the vmi refs were
  EXPECT_EQ(m.refs[1].uuid, "si-1");   // other types kept

  auto clear = parse_vnc_write(
      "loadbalancer",
      json::parse(
          R"({"loadbalancer": {"service_instance_refs": [], "virtual_network_refs": [{"uuid": "vn"}]}})"));
  ConfigObject c = merge_update(stored, *clear);
  ASSERT_EQ(c.refs.size(), 3u);
  EXPECT_EQ(c.refs[0].uuid, "vmi-1");
  EXPECT_EQ(c.refs[1].uuid, "vmi-2");
  EXPECT_EQ(c.refs[2].uuid, "vn");
}

}  // namespace
}  // namespace csim::controller
