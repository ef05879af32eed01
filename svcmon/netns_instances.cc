#include "svcmon/netns_instances.h"

#include <algorithm>
#include <set>

namespace csim::svcmon {
namespace {

using controller::ConfigObject;
using controller::FqName;
using controller::Ref;
using controller::RefOp;
using nlohmann::json;

std::string join_names(const std::vector<std::string>& v) {
  std::string out;
  for (size_t i = 0; i < v.size(); ++i) out += (i ? ", " : "") + v[i];
  return out;
}

// Keeps refs of other types; replaces those of `type` with exactly {uuid}.
bool set_single_ref(ConfigObject& o, const std::string& type, const std::string& uuid) {
  auto have = o.ref_uuids(type);
  if (have.size() == 1 && have.front() == uuid) return false;
  o.refs.erase(
      std::remove_if(o.refs.begin(), o.refs.end(), [&](const Ref& r) { return r.type == type; }),
      o.refs.end());
  o.refs.push_back(Ref{type, uuid, {}, nullptr});
  return true;
}

// The VM of instance `index`, created or given its SI ref.
core::Result<ConfigObject> ensure_vm(const Context& ctx, const ConfigObject& si, int index) {
  const std::string name = netns_vm_name(si.fq_name, index);
  auto vm = ctx.api.read_fq("virtual-machine", {name});
  const auto start = ctx.now();
  if (!vm) {
    ConfigObject o;
    o.type = "virtual-machine";
    o.fq_name = {name};
    o.props["display_name"] = name + "__network-namespace";
    o.refs.push_back(Ref{"service-instance", si.uuid, {}, nullptr});
    auto created = ctx.api.create(o);
    if (!created) return created.status();
    ctx.record("netns.vm",
               "created virtual-machine " + name + " for service-instance " +
                   fq_string(si.fq_name) + " (" + (index == 0 ? "active" : "standby") + ")",
               start);
    return created;
  }
  if (!has_ref(*vm, si.uuid)) {
    if (auto s = ctx.api.ref_update("virtual-machine", vm->uuid, "service-instance", si.uuid,
                                    RefOp::kAdd);
        !s)
      return s;
    ctx.record("netns.vm",
               "linked virtual-machine " + name + " to service-instance " + fq_string(si.fq_name),
               start);
  }
  return *vm;
}

// The right VMI of instance `index`, created or corrected.
core::Result<ConfigObject> ensure_vmi(const Context& ctx, const LbGraph& g, const ConfigObject& si,
                                      const ConfigObject& vm, int index, const std::string& mac) {
  const std::string name = vm.name() + "__right__1";
  FqName fq(si.fq_name.begin(), si.fq_name.end() - 1);
  fq.push_back(name);
  const int pref = index == 0 ? kActiveLocalPreference : kStandbyLocalPreference;
  const json vmi_props = {{"service_interface_type", "right"}, {"local_preference", pref}};
  const json macs = {{"mac_address", json::array({mac})}};
  const auto start = ctx.now();
  auto vmi = ctx.api.read_fq("virtual-machine-interface", fq);
  if (!vmi) {
    ConfigObject o;
    o.type = "virtual-machine-interface";
    o.fq_name = fq;
    o.parent_type = "project";
    o.parent_uuid = si.parent_uuid;
    o.props["display_name"] = name;
    o.props["virtual_machine_interface_properties"] = vmi_props;
    o.props["virtual_machine_interface_mac_addresses"] = macs;
    o.props["id_perms"] = {{"user_visible", false}};
    o.refs = {Ref{"virtual-machine", vm.uuid, {}, nullptr},
              Ref{"virtual-network", g.vip_vn->uuid, {}, nullptr}};
    auto created = ctx.api.create(o);
    if (!created) return created.status();
    ctx.record("netns.vmi",
               "created virtual-machine-interface " + name + " (right, local-pref " +
                   std::to_string(pref) + ", mac " + mac + ", network " +
                   fq_string(g.vip_vn->fq_name) + ")",
               start);
    return created;
  }
  ConfigObject o = *vmi;
  bool changed = false;
  if (o.props.value("virtual_machine_interface_properties", json()) != vmi_props) {
    o.props["virtual_machine_interface_properties"] = vmi_props;
    changed = true;
  }
  if (o.props.value("virtual_machine_interface_mac_addresses", json()) != macs) {
    o.props["virtual_machine_interface_mac_addresses"] = macs;
    changed = true;
  }
  changed |= set_single_ref(o, "virtual-machine", vm.uuid);
  changed |= set_single_ref(o, "virtual-network", g.vip_vn->uuid);
  if (!changed) return *vmi;
  auto updated = ctx.api.update(o);
  if (!updated) return updated.status();
  ctx.record("netns.vmi",
             "corrected virtual-machine-interface " + name + " (right, local-pref " +
                 std::to_string(pref) + ", mac " + mac + ")",
             start);
  return updated;
}

}  // namespace

std::string netns_vm_name(const FqName& si_fq_name, int index) {
  std::string out;
  for (const auto& part : si_fq_name) out += part + "__";
  return out + std::to_string(index + 1);
}

std::string netns_mac(const std::string& u) {
  if (u.size() < 11) return "";
  return "02:" + u.substr(0, 2) + ":" + u.substr(2, 2) + ":" + u.substr(4, 2) + ":" +
         u.substr(6, 2) + ":" + u.substr(9, 2);
}

core::Status ensure_netns_instances(const Context& ctx, const LbGraph& g, const ConfigObject& si,
                                    std::vector<InstanceStatus>* instances) {
  instances->clear();
  const ConfigObject* primary = g.primary_iip();
  if (!primary || !g.vip_vn)
    return core::internal("loadbalancer " + g.lb.uuid + ": no VIP instance-ip or network");
  const std::string mac = netns_mac(primary->uuid);
  if (mac.empty())
    return core::invalid("instance-ip " + primary->uuid + ": uuid too short to derive a MAC");

  core::Status first_error;
  auto keep = [&](const core::Status& s) {
    if (!s && first_error) first_error = s;
  };

  std::vector<std::string> vmi_uuids, vmi_names;
  for (int i = 0; i < kNetnsInstances; ++i) {
    InstanceStatus in;
    in.index = i;
    in.vm_name = netns_vm_name(si.fq_name, i);
    in.local_preference = i == 0 ? kActiveLocalPreference : kStandbyLocalPreference;
    auto vm = ensure_vm(ctx, si, i);
    if (!vm) {
      keep(vm.status());
      instances->push_back(in);
      continue;
    }
    in.vm_uuid = vm->uuid;
    auto vmi = ensure_vmi(ctx, g, si, *vm, i, mac);
    if (!vmi) {
      keep(vmi.status());
    } else {
      in.vmi_uuid = vmi->uuid;
      vmi_uuids.push_back(vmi->uuid);
      vmi_names.push_back(vmi->name());
    }
    instances->push_back(in);
  }

  // The VIP instance-ips are shared by both VMIs (active-standby); FIPs follow them.
  std::set<std::string> vip_iips, vip_fips;
  for (const auto& iip : g.vip_iips) {
    vip_iips.insert(iip.uuid);
    const auto start = ctx.now();
    bool changed = false;
    for (const auto& vmi : vmi_uuids) {
      if (has_ref(iip, vmi)) continue;
      core::Status s = ctx.api.ref_update("instance-ip", iip.uuid, "virtual-machine-interface", vmi,
                                          RefOp::kAdd);
      keep(s);
      changed |= s.is_ok();
    }
    if (string_prop(iip.props, "instance_ip_mode") != "active-standby") {
      if (auto fresh = ctx.api.read(iip.uuid)) {
        fresh->props["instance_ip_mode"] = "active-standby";
        auto updated = ctx.api.update(*fresh);
        keep(updated.status());
        changed |= updated.is_ok();
      }
    }
    if (changed)
      ctx.record("netns.iip",
                 "shared instance-ip " + string_prop(iip.props, "instance_ip_address") + " with " +
                     join_names(vmi_names) + " (active-standby)",
                 start);
  }
  for (const auto& fip : g.vip_fips) {
    vip_fips.insert(fip.uuid);
    const auto start = ctx.now();
    bool changed = false;
    for (const auto& vmi : vmi_uuids) {
      if (has_ref(fip, vmi)) continue;
      core::Status s = ctx.api.ref_update("floating-ip", fip.uuid, "virtual-machine-interface", vmi,
                                          RefOp::kAdd);
      keep(s);
      changed |= s.is_ok();
    }
    if (changed)
      ctx.record("netns.fip",
                 "attached floating-ip " + string_prop(fip.props, "floating_ip_address") + " to " +
                     join_names(vmi_names),
                 start);
  }

  // Instance-ips and floating-ips that no longer belong to the VIP let go of our VMIs.
  for (const auto& vmi : vmi_uuids) {
    for (const char* type : {"instance-ip", "floating-ip"}) {
      const auto& keep_set = std::string(type) == "instance-ip" ? vip_iips : vip_fips;
      for (const auto& holder : ctx.api.back_refs(vmi, type)) {
        if (keep_set.count(holder.uuid)) continue;
        const auto start = ctx.now();
        core::Status s =
            ctx.api.ref_update(type, holder.uuid, "virtual-machine-interface", vmi, RefOp::kDelete);
        keep(s);
        if (s)
          ctx.record("netns.unlink",
                     std::string("detached ") + type + " " + holder.uuid +
                         " from virtual-machine-interface " + vmi,
                     start);
      }
    }
  }
  return first_error;
}

core::Status remove_netns_instances(const Context& ctx, const ConfigObject& si) {
  std::vector<ConfigObject> vms = ctx.api.back_refs(si.uuid, "virtual-machine");
  for (int i = 0; i < kNetnsInstances; ++i)
    if (auto vm = ctx.api.read_fq("virtual-machine", {netns_vm_name(si.fq_name, i)}))
      if (std::none_of(vms.begin(), vms.end(), [&](const auto& v) { return v.uuid == vm->uuid; }))
        vms.push_back(*vm);
  std::sort(vms.begin(), vms.end(),
            [](const ConfigObject& a, const ConfigObject& b) { return a.name() < b.name(); });

  for (const auto& vm : vms) {
    const auto start = ctx.now();
    for (const auto& vmi : ctx.api.back_refs(vm.uuid, "virtual-machine-interface")) {
      for (const auto& holder : ctx.api.back_refs(vmi.uuid)) {
        if (auto s = ctx.api.ref_update(holder.type, holder.uuid, "virtual-machine-interface",
                                        vmi.uuid, RefOp::kDelete);
            !s && s.code() != core::Code::kNotFound)
          return s;
      }
      if (auto s = remove_if_present(ctx.api, "virtual-machine-interface", vmi.uuid); !s) return s;
    }
    for (const auto& holder : ctx.api.back_refs(vm.uuid)) {
      if (auto s = ctx.api.ref_update(holder.type, holder.uuid, "virtual-machine", vm.uuid,
                                      RefOp::kDelete);
          !s && s.code() != core::Code::kNotFound)
        return s;
    }
    if (auto s = remove_if_present(ctx.api, "virtual-machine", vm.uuid); !s) return s;
    ctx.record("netns.delete", "deleted virtual-machine " + vm.name() + " and its interface",
               start);
  }
  return core::Status::ok();
}

}  // namespace csim::svcmon
