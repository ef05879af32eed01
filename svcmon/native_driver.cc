#include "svcmon/native_driver.h"

#include <set>
#include <tuple>

namespace csim::svcmon {
namespace {

using controller::ConfigObject;
using controller::Ref;
using nlohmann::json;

// A listener or member port given as a number or a decimal string; 0 when unusable.
int port_of(const json& props) {
  auto it = props.find("protocol_port");
  if (it == props.end()) return 0;
  if (it->is_number_integer()) return it->get<int>();
  if (it->is_string()) {
    const std::string s = it->get<std::string>();
    if (!s.empty() && s.size() <= 5 && std::all_of(s.begin(), s.end(), ::isdigit))
      return std::stoi(s);
  }
  return 0;
}

const json& group_of(const ConfigObject& o, const char* group) {
  static const json kEmpty = json::object();
  auto it = o.props.find(group);
  return it != o.props.end() && it->is_object() ? *it : kEmpty;
}

bool admin_up(const json& props) {
  auto it = props.find("admin_state");
  return it == props.end() || !it->is_boolean() || it->get<bool>();
}

std::set<std::pair<std::string, std::string>> ref_set(const std::vector<Ref>& refs) {
  std::set<std::pair<std::string, std::string>> out;
  for (const auto& r : refs) out.emplace(r.type, r.uuid);
  return out;
}

// Our floating-ips: parent an instance-ip, name the loadbalancer uuid.
std::vector<ConfigObject> native_fips_of(const Context& ctx, const std::string& lb_uuid) {
  std::vector<ConfigObject> out;
  for (auto& fip :
       ctx.names ? ctx.names->find("floating-ip", lb_uuid) : ctx.api.list("floating-ip"))
    if (fip.parent_type == "instance-ip" && fip.name() == lb_uuid) out.push_back(std::move(fip));
  return out;
}

}  // namespace

core::Status ensure_native_loadbalancer(const Context& ctx, const LbGraph& g, LbStatus* status) {
  core::Status first_error;
  auto keep = [&](const core::Status& s) {
    if (s) return;
    status->errors.push_back(s.to_string());
    if (first_error) first_error = s;
  };
  if (!g.vip_vmi) {
    keep(core::invalid("loadbalancer " + g.lb.uuid +
                       ": no virtual_machine_interface ref (the clusterIP VMI)"));
    return first_error;
  }

  // Port mappings and pod VMIs from listeners -> pools -> enabled members.
  std::set<std::tuple<int, std::string, int>> mappings;
  std::set<std::string> vmis;
  for (const auto& l : g.listeners) {
    const json& lp = group_of(l, "loadbalancer_listener_properties");
    if (!admin_up(lp)) continue;
    const int src = port_of(lp);
    const std::string protocol = string_prop(lp, "protocol");
    for (const auto& pool : g.pools) {
      if (!has_ref(pool, l.uuid)) continue;
      for (const auto& m : g.members) {
        if (m.parent_uuid != pool.uuid) continue;
        const json& mp = group_of(m, "loadbalancer_member_properties");
        if (!admin_up(mp)) continue;
        const int dst = port_of(mp);
        if (src <= 0 || dst <= 0) {
          keep(core::invalid("loadbalancer-member " + m.uuid +
                             ": no usable port mapping (listener " + l.uuid + " port " +
                             std::to_string(src) + ", member port " + std::to_string(dst) + ")"));
          continue;
        }
        mappings.emplace(src, protocol, dst);
        auto vmi = m.annotation("vmi");
        if (!vmi || vmi->empty()) {
          keep(core::invalid("loadbalancer-member " + m.uuid + ": annotation vmi is missing"));
          continue;
        }
        auto obj = ctx.api.read(*vmi);
        if (!obj || obj->type != "virtual-machine-interface") {
          keep(core::not_found("loadbalancer-member " + m.uuid + ": annotation vmi " + *vmi +
                               " is not a virtual-machine-interface"));
          continue;
        }
        vmis.insert(*vmi);
      }
    }
  }
  json port_mappings = json::array();
  for (const auto& [src, protocol, dst] : mappings)
    port_mappings.push_back({{"protocol", protocol}, {"src_port", src}, {"dst_port", dst}});
  std::vector<Ref> refs = {Ref{"project", g.lb.parent_uuid, {}, nullptr}};
  for (const auto& v : vmis) refs.push_back(Ref{"virtual-machine-interface", v, {}, nullptr});

  std::set<std::string> vip_iips;
  for (const auto& iip : g.vip_iips) {
    vip_iips.insert(iip.uuid);
    const std::string address = string_prop(iip.props, "instance_ip_address");
    const json props = {{"floating_ip_address", address},
                        {"floating_ip_traffic_direction", "ingress"},
                        {"floating_ip_port_mappings_enable", true},
                        {"floating_ip_port_mappings", {{"port_mappings", port_mappings}}}};
    std::optional<ConfigObject> fip;
    for (auto& child : ctx.api.children(iip.uuid, "floating-ip"))
      if (child.name() == g.lb.uuid) fip = std::move(child);
    const auto start = ctx.now();
    const std::string what = "floating-ip " + address + " for lb " + g.lb.uuid + ": " +
                             std::to_string(port_mappings.size()) + " port mappings, " +
                             std::to_string(vmis.size()) + " pod VMIs";
    if (!fip) {
      ConfigObject o;
      o.type = "floating-ip";
      o.fq_name = iip.fq_name;
      o.fq_name.push_back(g.lb.uuid);
      o.parent_type = "instance-ip";
      o.parent_uuid = iip.uuid;
      o.props = props;
      o.refs = refs;
      auto created = ctx.api.create(o);
      if (!created) {
        keep(created.status());
        continue;
      }
      ctx.record("native.fip", "created " + what, start);
      if (ctx.names) ctx.names->note(*created);
      fip = *created;
    } else {
      ConfigObject o = *fip;
      bool changed = ref_set(o.refs) != ref_set(refs);
      for (const auto& [k, v] : props.items()) {
        if (k == "floating_ip_address") continue;  // fixed at creation
        if (o.props.value(k, json()) != v) {
          o.props[k] = v;
          changed = true;
        }
      }
      if (changed) {
        o.refs = refs;
        auto updated = ctx.api.update(o);
        if (!updated) {
          keep(updated.status());
          continue;
        }
        ctx.record("native.fip", "updated " + what, start);
        fip = *updated;
      }
    }
    NativeFipStatus fs;
    fs.uuid = fip->uuid;
    fs.address = string_prop(fip->props, "floating_ip_address");
    fs.vmis.assign(vmis.begin(), vmis.end());
    fs.port_mappings = port_mappings;
    status->native_fips.push_back(std::move(fs));
  }

  // Floating-ips we made under instance-ips that are no longer the VIP's.
  for (const auto& fip : native_fips_of(ctx, g.lb.uuid)) {
    if (vip_iips.count(fip.parent_uuid)) continue;
    const auto start = ctx.now();
    core::Status s = remove_if_present(ctx.api, "floating-ip", fip.uuid);
    keep(s);
    if (s)
      ctx.record("native.fip.delete", "deleted stale floating-ip " + fq_string(fip.fq_name), start);
  }
  return first_error;
}

core::Status remove_native_loadbalancer(const Context& ctx, const std::string& lb_uuid) {
  for (const auto& fip : native_fips_of(ctx, lb_uuid)) {
    const auto start = ctx.now();
    if (auto s = remove_if_present(ctx.api, "floating-ip", fip.uuid); !s) return s;
    ctx.record("native.fip.delete",
               "deleted floating-ip " + string_prop(fip.props, "floating_ip_address") + " of lb " +
                   lb_uuid,
               start);
  }
  return core::Status::ok();
}

}  // namespace csim::svcmon
