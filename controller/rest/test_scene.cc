#include "controller/rest/test_scene.h"

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "controller/bootstrap.h"

namespace csim::controller {
namespace {

using nlohmann::json;

ConfigObject make(const std::string& type, const std::string& uuid, FqName fq,
                  const std::string& parent_type = "", const std::string& parent_uuid = "") {
  ConfigObject o;
  o.type = type;
  o.uuid = uuid;
  o.fq_name = std::move(fq);
  o.parent_type = parent_type;
  o.parent_uuid = parent_uuid;
  return o;
}

json kvps(const std::vector<std::pair<std::string, std::string>>& kv) {
  json out = json::array();
  for (const auto& [k, v] : kv) out.push_back({{"key", k}, {"value", v}});
  return {{"key_value_pair", out}};
}

ConfigObject must(core::Result<ConfigObject> r) {
  if (!r) throw std::runtime_error("test scene: " + r.status().to_string());
  return std::move(*r);
}

}  // namespace

TestScene::TestScene()
    : bus(clock, core::Bus::Mode::kDeterministic), db(bus, clock, ":memory:", 7) {
  bus.subscribe("test", "config.changed.",
                [this](const core::Envelope& e) { bodies_.push_back(e.body); });
  if (auto s = provision_defaults(db); !s) throw std::runtime_error(s.to_string());
  const std::string d = kDefaultDomain, p = "k8s-default";
  const auto domain = *db.read_fq("domain", {d});
  const auto gsc = *db.read_fq("global-system-config", {kGlobalSystemConfig});

  auto sas = make("service-appliance-set", SceneIds::kSas, {kGlobalSystemConfig, "opencontrail"},
                  "global-system-config", gsc.uuid);
  sas.props["service_appliance_driver"] =
      "svc_monitor.services.loadbalancer.drivers.ha_proxy.driver.OpencontrailLoadbalancerDriver";
  must(db.create(sas));

  auto project = make("project", SceneIds::kProject, {d, p}, "domain", domain.uuid);
  project.props["annotations"] = kvps({{"cluster", "k8s"}, {"namespace", "default"}});
  must(db.create(project));

  auto sg =
      make("security-group", "", {d, p, "k8s-default-default-sg"}, "project", SceneIds::kProject);
  const auto sg_obj = must(db.create(sg));

  auto ipam = make("network-ipam", "", {d, p, "k8s-pod-ipam"}, "project", SceneIds::kProject);
  ipam.props["ipam_subnet_method"] = "flat-subnet";
  ipam.props["ipam_subnets"] = {{"subnets",
                                 {{{"subnet", {{"ip_prefix", "10.32.0.0"}, {"ip_prefix_len", 12}}},
                                   {"subnet_uuid", "99999999-9999-4999-8999-999999999999"}}}}};
  const auto ipam_obj = must(db.create(ipam));

  auto vn = make("virtual-network", SceneIds::kVn, {d, p, "k8s-default-pod-network"}, "project",
                 SceneIds::kProject);
  vn.props["address_allocation_mode"] = "flat-subnet-only";
  vn.props["virtual_network_properties"] = {{"forwarding_mode", "l3"}};
  vn.refs.push_back(Ref{"network-ipam", ipam_obj.uuid, {}, {{"ipam_subnets", json::array()}}});
  must(db.create(vn));

  auto vmi = make("virtual-machine-interface", SceneIds::kVmi,
                  {d, p, std::string("k8s__Ingress__simple-fanout__") + SceneIds::kLb}, "project",
                  SceneIds::kProject);
  vmi.props["display_name"] = "default__simple-fanout";
  vmi.props["virtual_machine_interface_device_owner"] = "K8S:LOADBALANCER";
  vmi.props["port_security_enabled"] = true;
  vmi.refs.push_back(Ref{"virtual-network", SceneIds::kVn, {}, nullptr});
  vmi.refs.push_back(Ref{"security-group", sg_obj.uuid, {}, nullptr});
  must(db.create(vmi));

  auto iip = make("instance-ip", SceneIds::kIip, {std::string("simple-fanout__") + SceneIds::kIip});
  iip.props["display_name"] = "simple-fanout";
  iip.props["subnet_uuid"] = "99999999-9999-4999-8999-999999999999";
  iip.props["perms2"] = {{"owner", SceneIds::kProject}, {"owner_access", 7}};
  iip.refs.push_back(Ref{"virtual-network", SceneIds::kVn, {}, nullptr});
  iip.refs.push_back(Ref{"virtual-machine-interface", SceneIds::kVmi, {}, nullptr});
  const auto iip_obj = must(db.create(iip));
  const std::string vip = iip_obj.props.value("instance_ip_address", "");

  const std::string lb_name = std::string("simple-fanout__") + SceneIds::kLb;
  auto lb = make("loadbalancer", SceneIds::kLb, {d, p, lb_name}, "project", SceneIds::kProject);
  lb.props["display_name"] = "default__simple-fanout";
  lb.props["loadbalancer_provider"] = "opencontrail";
  lb.props["loadbalancer_properties"] = {{"provisioning_status", "ACTIVE"},
                                         {"operating_status", "ONLINE"},
                                         {"vip_address", vip},
                                         {"admin_state", true}};
  lb.props["annotations"] = kvps({{"kind", "Ingress"},
                                  {"owner", "k8s"},
                                  {"cluster", "k8s"},
                                  {"project", p},
                                  {"namespace", "default"},
                                  {"name", "simple-fanout"}});
  lb.refs.push_back(Ref{"service-appliance-set", SceneIds::kSas, {}, nullptr});
  lb.refs.push_back(Ref{"virtual-machine-interface", SceneIds::kVmi, {}, nullptr});
  must(db.create(lb));

  const std::string ll_name = lb_name + "-HTTP-80-" + SceneIds::kListener;
  auto ll = make("loadbalancer-listener", SceneIds::kListener, {d, p, ll_name}, "project",
                 SceneIds::kProject);
  ll.props["display_name"] = ll_name;
  ll.props["loadbalancer_listener_properties"] = {
      {"protocol", "HTTP"}, {"protocol_port", "80"}, {"admin_state", true}};
  ll.refs.push_back(Ref{"loadbalancer", SceneIds::kLb, {}, nullptr});
  must(db.create(ll));

  auto pool =
      make("loadbalancer-pool", SceneIds::kPool, {d, p, ll_name}, "project", SceneIds::kProject);
  pool.props["loadbalancer_pool_properties"] = {
      {"protocol", "HTTP"}, {"loadbalancer_method", "ROUND_ROBIN"}, {"admin_state", true}};
  pool.props["annotations"] = kvps({{"host", "foo.bar.com"}, {"path", "/foo"}, {"type", "acl"}});
  pool.refs.push_back(Ref{"loadbalancer-listener", SceneIds::kListener, {}, nullptr});
  must(db.create(pool));

  auto member = make("loadbalancer-member", SceneIds::kMember, {d, p, ll_name, SceneIds::kMember},
                     "loadbalancer-pool", SceneIds::kPool);
  member.props["loadbalancer_member_properties"] = {
      {"address", "10.96.0.10"}, {"protocol_port", 80}, {"weight", 1}, {"admin_state", true}};
  member.props["annotations"] = kvps({{"serviceName", "service1"}});
  must(db.create(member));
  events();  // the scene's own notifications are not the test's
}

TestScene::~TestScene() { bus.run_until_idle(); }

std::vector<std::string> TestScene::events() {
  bus.run_until_idle();
  std::vector<std::string> out;
  for (const auto& b : bodies_)
    out.push_back(b["op"].get<std::string>() + " " + b["type"].get<std::string>() + " " +
                  b["fq_name"].back().get<std::string>());
  bodies_.clear();
  return out;
}

std::string read_test_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) return "";
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string golden_diff(const std::string& name, const json& actual) {
  const std::string text = actual.dump(2) + "\n";
  if (const char* dir = std::getenv("CSIM_UPDATE_GOLDEN")) {
    std::ofstream out(std::string(dir) + "/" + name + ".json");
    out << text;
    return out ? "" : "cannot write golden " + name;
  }
  const std::string path = "controller/rest/testdata/" + name + ".json";
  json expected = json::parse(read_test_file(path), nullptr, false);
  if (expected.is_discarded()) return "golden " + path + " is missing or not JSON";
  if (expected == actual) return "";
  return "differs from " + path + "\n--- expected\n" + expected.dump(2) + "\n--- actual\n" + text +
         "\n--- JSON patch from expected to actual\n" + json::diff(expected, actual).dump(2);
}

}  // namespace csim::controller
