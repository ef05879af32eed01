#include "svcmon/lb_graph.h"

#include <algorithm>
#include <set>

#include "svcmon/context.h"

namespace csim::svcmon {
namespace {

using controller::ConfigApi;
using controller::ConfigObject;
using nlohmann::json;

void sort_unique(std::vector<ConfigObject>& v) {
  std::sort(v.begin(), v.end(),
            [](const ConfigObject& a, const ConfigObject& b) { return a.uuid < b.uuid; });
  v.erase(
      std::unique(v.begin(), v.end(),
                  [](const ConfigObject& a, const ConfigObject& b) { return a.uuid == b.uuid; }),
      v.end());
}

// An integer property given as a JSON number or a decimal string (kube-manager passes
// listener ports as strings, §1.2). `fallback` when absent or null.
core::Result<int> int_prop(const ConfigObject& o, const json& props, const std::string& group,
                           const std::string& key, int fallback) {
  auto it = props.find(key);
  if (it == props.end() || it->is_null()) return fallback;
  if (it->is_number_integer()) {
    long long v = it->get<long long>();
    if (v >= -2147483647LL && v <= 2147483647LL) return static_cast<int>(v);
  }
  if (it->is_string()) {
    const std::string s = it->get<std::string>();
    if (!s.empty() && s.size() <= 9 && std::all_of(s.begin(), s.end(), ::isdigit))
      return std::stoi(s);
  }
  return core::invalid(o.type + " " + o.uuid + ": " + group + "." + key + " " + it->dump() +
                       " is not an integer");
}

core::Result<bool> bool_prop(const ConfigObject& o, const json& props, const std::string& group,
                             const std::string& key, bool fallback) {
  auto it = props.find(key);
  if (it == props.end() || it->is_null()) return fallback;
  if (it->is_boolean()) return it->get<bool>();
  return core::invalid(o.type + " " + o.uuid + ": " + group + "." + key + " " + it->dump() +
                       " is not a boolean");
}

const json& group_of(const ConfigObject& o, const std::string& group) {
  static const json kEmpty = json::object();
  auto it = o.props.find(group);
  return it != o.props.end() && it->is_object() ? *it : kEmpty;
}

std::vector<std::string> lbs_of_vmi_api(const ConfigApi& api, const std::string& vmi_uuid) {
  std::vector<std::string> out;
  for (const auto& lb : api.back_refs(vmi_uuid, "loadbalancer")) out.push_back(lb.uuid);
  return out;
}

std::vector<std::string> lbs_of_listener(const ConfigApi& api, const ConfigObject& listener) {
  return listener.ref_uuids("loadbalancer");
}

std::vector<std::string> lbs_of_pool(const ConfigApi& api, const ConfigObject& pool) {
  std::vector<std::string> out;
  for (const auto& l : pool.ref_uuids("loadbalancer-listener"))
    if (auto listener = api.read(l)) {
      auto v = lbs_of_listener(api, *listener);
      out.insert(out.end(), v.begin(), v.end());
    }
  return out;
}

}  // namespace

std::string LbGraph::vip_address() const {
  auto it = lb.props.find("loadbalancer_properties");
  if (it == lb.props.end()) return "";
  return string_prop(*it, "vip_address");
}

bool LbGraph::kubernetes() const {
  return vip_vmi &&
         string_prop(vip_vmi->props, "virtual_machine_interface_device_owner") == kK8sDeviceOwner;
}

const ConfigObject* LbGraph::primary_iip() const {
  const std::string vip = vip_address();
  for (const auto& iip : vip_iips)
    if (!vip.empty() && string_prop(iip.props, "instance_ip_address") == vip) return &iip;
  return vip_iips.empty() ? nullptr : &vip_iips.front();
}

controller::FqName LbGraph::service_instance_fq_name() const {
  controller::FqName fq(lb.fq_name.begin(), lb.fq_name.end() - (lb.fq_name.empty() ? 0 : 1));
  fq.push_back(lb.uuid);
  return fq;
}

std::vector<std::string> LbGraph::uuids() const {
  std::vector<std::string> out = {lb.uuid};
  for (const auto* v : {&listeners, &pools, &members, &vip_iips, &vip_fips})
    for (const auto& o : *v) out.push_back(o.uuid);
  if (vip_vmi) out.push_back(vip_vmi->uuid);
  return out;
}

std::optional<LbGraph> read_lb_graph(const ConfigApi& api, const std::string& uuid) {
  auto lb = api.read(uuid);
  if (!lb || lb->type != "loadbalancer") return std::nullopt;
  LbGraph g;
  g.lb = std::move(*lb);
  g.provider = string_prop(g.lb.props, "loadbalancer_provider");
  if (g.provider.empty()) g.provider = kProviderOpencontrail;
  g.listeners = api.back_refs(uuid, "loadbalancer-listener");
  sort_unique(g.listeners);
  for (const auto& l : g.listeners) {
    auto pools = api.back_refs(l.uuid, "loadbalancer-pool");
    g.pools.insert(g.pools.end(), pools.begin(), pools.end());
  }
  sort_unique(g.pools);
  for (const auto& p : g.pools) {
    auto members = api.children(p.uuid, "loadbalancer-member");
    g.members.insert(g.members.end(), members.begin(), members.end());
  }
  sort_unique(g.members);
  auto vmis = g.lb.ref_uuids("virtual-machine-interface");
  if (!vmis.empty()) g.vip_vmi = api.read(vmis.front());
  if (g.vip_vmi) {
    auto vns = g.vip_vmi->ref_uuids("virtual-network");
    if (!vns.empty()) g.vip_vn = api.read(vns.front());
    g.vip_iips = api.back_refs(g.vip_vmi->uuid, "instance-ip");
    sort_unique(g.vip_iips);
    g.vip_fips = api.back_refs(g.vip_vmi->uuid, "floating-ip");
    sort_unique(g.vip_fips);
  }
  return g;
}

core::Result<HaproxyLoadbalancer> to_haproxy_input(const LbGraph& g, const std::string& state_dir) {
  HaproxyLoadbalancer in;
  in.uuid = g.lb.uuid;
  in.vip_address = g.vip_address();
  in.merge_listeners_by_port = g.kubernetes();
  in.state_dir = state_dir;

  for (const auto& l : g.listeners) {
    const std::string grp = "loadbalancer_listener_properties";
    const json& p = group_of(l, grp);
    HaproxyListener x;
    x.uuid = l.uuid;
    x.protocol = string_prop(p, "protocol");
    auto port = int_prop(l, p, grp, "protocol_port", 0);
    if (!port) return port.status();
    x.protocol_port = *port;
    auto admin = bool_prop(l, p, grp, "admin_state", true);
    if (!admin) return admin.status();
    x.admin_state = *admin;
    auto limit = int_prop(l, p, grp, "connection_limit", 0);
    if (!limit) return limit.status();
    x.connection_limit = *limit;
    x.default_tls_container = string_prop(p, "default_tls_container");
    if (auto sni = p.find("sni_containers"); sni != p.end() && sni->is_array())
      for (const auto& s : *sni)
        if (s.is_string()) x.sni_containers.push_back(s.get<std::string>());
    in.listeners.push_back(std::move(x));
  }

  std::set<std::string> listener_uuids;
  for (const auto& l : g.listeners) listener_uuids.insert(l.uuid);
  for (const auto& pool : g.pools) {
    const std::string grp = "loadbalancer_pool_properties";
    const json& p = group_of(pool, grp);
    HaproxyPool x;
    x.uuid = pool.uuid;
    for (const auto& l : pool.ref_uuids("loadbalancer-listener"))
      if (listener_uuids.count(l)) {
        x.listener_uuid = l;
        break;
      }
    x.protocol = string_prop(p, "protocol");
    x.method = string_prop(p, "loadbalancer_method");
    auto admin = bool_prop(pool, p, grp, "admin_state", true);
    if (!admin) return admin.status();
    x.admin_state = *admin;
    if (auto a = pool.props.find("annotations"); a != pool.props.end())
      for (auto& [k, v] : key_values(*a)) x.annotations[k] = v;
    if (auto a = pool.props.find("loadbalancer_pool_custom_attributes"); a != pool.props.end())
      x.custom_attributes = key_values(*a);
    in.pools.push_back(std::move(x));
  }

  for (const auto& m : g.members) {
    const std::string grp = "loadbalancer_member_properties";
    const json& p = group_of(m, grp);
    HaproxyMember x;
    x.uuid = m.uuid;
    x.pool_uuid = m.parent_uuid;
    x.address = string_prop(p, "address");
    auto port = int_prop(m, p, grp, "protocol_port", 0);
    if (!port) return port.status();
    x.protocol_port = *port;
    auto weight = int_prop(m, p, grp, "weight", 1);
    if (!weight) return weight.status();
    x.weight = *weight;
    auto admin = bool_prop(m, p, grp, "admin_state", true);
    if (!admin) return admin.status();
    x.admin_state = *admin;
    in.members.push_back(std::move(x));
  }
  return in;
}

std::vector<std::string> affected_loadbalancers(const ConfigApi& api, const std::string& type,
                                                const std::string& uuid,
                                                const LbsOfVmi& lbs_of_vmi_given) {
  const LbsOfVmi lbs_of_vmi =
      lbs_of_vmi_given
          ? lbs_of_vmi_given
          : LbsOfVmi([&api](const std::string& vmi) { return lbs_of_vmi_api(api, vmi); });
  std::vector<std::string> out;
  auto add = [&](const std::vector<std::string>& v) { out.insert(out.end(), v.begin(), v.end()); };
  if (type == "loadbalancer") {
    out.push_back(uuid);
  } else if (type == "virtual-machine-interface") {
    add(lbs_of_vmi(uuid));  // by uuid: no read (pods' interfaces are most of these)
  } else if (auto obj = api.read(uuid)) {
    if (type == "loadbalancer-listener") {
      add(lbs_of_listener(api, *obj));
    } else if (type == "loadbalancer-pool") {
      add(lbs_of_pool(api, *obj));
    } else if (type == "loadbalancer-member") {
      if (auto pool = api.read(obj->parent_uuid)) add(lbs_of_pool(api, *pool));
    } else if (type == "instance-ip") {
      for (const auto& vmi : obj->ref_uuids("virtual-machine-interface")) add(lbs_of_vmi(vmi));
    } else if (type == "floating-ip") {
      for (const auto& vmi : obj->ref_uuids("virtual-machine-interface")) add(lbs_of_vmi(vmi));
      if (obj->parent_type == "instance-ip")
        if (auto iip = api.read(obj->parent_uuid))
          for (const auto& vmi : iip->ref_uuids("virtual-machine-interface")) add(lbs_of_vmi(vmi));
    }
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

}  // namespace csim::svcmon
