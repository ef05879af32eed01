#include "kube/kube_manager/config_ops.h"

#include <algorithm>

#include "kube/kube_manager/naming.h"

namespace csim::kube {

using controller::ConfigObject;
using controller::Ref;

namespace {

std::vector<ConfigObject> by_fq_name(std::vector<ConfigObject> objects) {
  std::sort(objects.begin(), objects.end(),
            [](const ConfigObject& a, const ConfigObject& b) { return a.fq_name < b.fq_name; });
  return objects;
}

core::Status with_context(const core::Status& s, const std::string& what) {
  if (s.is_ok()) return s;
  return core::Status(s.code(), what + ": " + s.message());
}

}  // namespace

core::Result<ConfigObject> modify(controller::ConfigApi& api, const std::string& uuid,
                                  const std::function<void(ConfigObject&)>& change) {
  auto current = api.read(uuid);
  if (!current) return core::not_found("object " + uuid + " does not exist");
  ConfigObject changed = *current;
  change(changed);
  auto updated = api.update(changed);
  if (!updated)
    return with_context(updated.status(), "update " + current->type + " " + fq_string(current->fq_name));
  return updated;
}

core::Status remove_if_present(controller::ConfigApi& api, const std::string& type,
                               const std::string& uuid) {
  core::Status s = api.remove(type, uuid);
  if (s.is_ok() || s.code() == core::Code::kNotFound) return core::Status::ok();
  return with_context(s, "delete " + type + " " + uuid);
}

std::vector<ConfigObject> listeners_of(const controller::ConfigApi& api,
                                       const std::string& lb_uuid) {
  return by_fq_name(api.back_refs(lb_uuid, "loadbalancer-listener"));
}

std::optional<ConfigObject> pool_of(const controller::ConfigApi& api,
                                    const std::string& listener_uuid) {
  auto pools = by_fq_name(api.back_refs(listener_uuid, "loadbalancer-pool"));
  if (pools.empty()) return std::nullopt;
  return pools.front();
}

std::vector<ConfigObject> members_of(const controller::ConfigApi& api,
                                     const std::string& pool_uuid) {
  return by_fq_name(api.children(pool_uuid, "loadbalancer-member"));
}

core::Status delete_listener_tree(controller::ConfigApi& api, const ConfigObject& listener) {
  // Every pool that refers to the listener (normally one), members first.
  for (const auto& pool : by_fq_name(api.back_refs(listener.uuid, "loadbalancer-pool"))) {
    for (const auto& member : members_of(api, pool.uuid)) {
      if (auto s = remove_if_present(api, "loadbalancer-member", member.uuid); !s) return s;
    }
    if (auto s = remove_if_present(api, "loadbalancer-pool", pool.uuid); !s) return s;
  }
  return remove_if_present(api, "loadbalancer-listener", listener.uuid);
}

std::vector<std::string> vip_interfaces_of(const ConfigObject& lb) {
  return lb.ref_uuids("virtual-machine-interface");
}

std::vector<ConfigObject> floating_ips_of(const controller::ConfigApi& api,
                                          const std::string& vmi_uuid) {
  return by_fq_name(api.back_refs(vmi_uuid, "floating-ip"));
}

std::vector<ConfigObject> instance_ips_of(const controller::ConfigApi& api,
                                          const std::string& vmi_uuid) {
  return by_fq_name(api.back_refs(vmi_uuid, "instance-ip"));
}

// fip.set_virtual_machine_interface_list([]); update; delete.
core::Status release_floating_ip(controller::ConfigApi& api, ConfigObject fip) {
  if (!fip.ref_uuids("virtual-machine-interface").empty()) {
    auto updated = modify(api, fip.uuid, [](ConfigObject& o) {
      o.refs.erase(std::remove_if(o.refs.begin(), o.refs.end(),
                                  [](const Ref& r) { return r.type == "virtual-machine-interface"; }),
                   o.refs.end());
    });
    if (!updated.is_ok() && updated.status().code() != core::Code::kNotFound)
      return with_context(updated.status(), "clear virtual-machine-interface refs of floating-ip " +
                                                fq_string(fip.fq_name));
  }
  return remove_if_present(api, "floating-ip", fip.uuid);
}

core::Status deallocate_floating_ips(controller::ConfigApi& api, const std::string& vmi_uuid) {
  for (const auto& fip : floating_ips_of(api, vmi_uuid)) {
    if (auto s = release_floating_ip(api, fip); !s) return s;
  }
  return core::Status::ok();
}

core::Status delete_virtual_interface(controller::ConfigApi& api, const std::string& vmi_uuid) {
  // vmi --> floating-ip
  for (const auto& fip : floating_ips_of(api, vmi_uuid)) {
    if (auto s = remove_if_present(api, "floating-ip", fip.uuid); !s) return s;
  }
  // vmi --> instance-ip --> floating-ip (svc-monitor's native-LB FIPs are IIP children)
  for (const auto& iip : instance_ips_of(api, vmi_uuid)) {
    for (const auto& fip : by_fq_name(api.children(iip.uuid, "floating-ip"))) {
      if (auto s = remove_if_present(api, "floating-ip", fip.uuid); !s) return s;
    }
    if (auto s = remove_if_present(api, "instance-ip", iip.uuid); !s) return s;
  }
  return remove_if_present(api, "virtual-machine-interface", vmi_uuid);
}

core::Status delete_loadbalancer(Context& ctx, const std::string& lb_uuid, LbKind kind) {
  auto lb = ctx.api.read(lb_uuid);
  if (!lb || lb->type != "loadbalancer") return core::Status::ok();
  const auto vmis = vip_interfaces_of(*lb);
  if (kind == LbKind::kService) {
    for (const auto& vmi : vmis)
      for (const auto& fip : floating_ips_of(ctx.api, vmi))
        if (auto s = remove_if_present(ctx.api, "floating-ip", fip.uuid); !s) return s;
  }
  for (const auto& listener : listeners_of(ctx.api, lb_uuid)) {
    if (auto s = delete_listener_tree(ctx.api, listener); !s) return s;
  }
  if (kind == LbKind::kIngress && !vmis.empty()) {
    // Contrail deallocates the floating-ips of the first VIP interface only.
    if (auto s = deallocate_floating_ips(ctx.api, vmis.front()); !s) return s;
  }
  if (auto s = remove_if_present(ctx.api, "loadbalancer", lb_uuid); !s) return s;
  for (const auto& vmi : vmis) {
    if (auto s = delete_virtual_interface(ctx.api, vmi); !s) return s;
  }
  return core::Status::ok();
}

core::Result<VipInterface> create_vip_interface(Context& ctx, const std::string& kind,
                                                const std::string& ns, const std::string& name,
                                                const std::string& uid,
                                                const ConfigObject& project,
                                                const std::string& vn_uuid,
                                                const std::string& subnet_uuid,
                                                const std::optional<std::string>& vip_address) {
  const KubeManagerOptions& o = ctx.options;
  const std::string vmi_name = join_name({o.cluster_name, kind, name, uid});
  controller::FqName vmi_fq = project.fq_name;
  vmi_fq.push_back(vmi_name);

  // "Duplicate LB Interface …, delete it" (a VMI left from an earlier, unfinished create).
  if (auto old = ctx.api.read_fq("virtual-machine-interface", vmi_fq)) {
    ctx.record("vip-interface", "deleting duplicate LB interface " + fq_string(vmi_fq));
    for (const auto& iip : instance_ips_of(ctx.api, old->uuid)) {
      for (const auto& fip : by_fq_name(ctx.api.children(iip.uuid, "floating-ip")))
        if (auto s = release_floating_ip(ctx.api, fip); !s) return s;
    }
    if (auto s = delete_virtual_interface(ctx.api, old->uuid); !s) return s;
  }

  auto sg = ctx.api.read_fq("security-group", security_group_fq_name(o, ns));
  if (!sg) {
    return core::not_found("security-group " + fq_string(security_group_fq_name(o, ns)) +
                           " does not exist (namespace " + ns + " not provisioned)");
  }

  ConfigObject vmi;
  vmi.type = "virtual-machine-interface";
  vmi.uuid = new_uuid4();
  vmi.fq_name = vmi_fq;
  vmi.parent_type = "project";
  vmi.parent_uuid = project.uuid;
  vmi.props["display_name"] = join_name({ns, name});
  vmi.props["virtual_machine_interface_device_owner"] = "K8S:LOADBALANCER";
  vmi.props["port_security_enabled"] = true;
  vmi.refs.push_back(Ref{"virtual-network", vn_uuid, {}, nullptr});
  vmi.refs.push_back(Ref{"security-group", sg->uuid, {}, nullptr});
  auto created_vmi = ctx.api.create(vmi);
  if (!created_vmi) {
    return with_context(created_vmi.status(),
                        "create virtual-machine-interface " + fq_string(vmi_fq));
  }

  ConfigObject iip;
  iip.type = "instance-ip";
  iip.uuid = new_uuid4();
  iip.fq_name = {join_name({name, iip.uuid})};
  iip.props["display_name"] = name;
  if (!subnet_uuid.empty()) iip.props["subnet_uuid"] = subnet_uuid;
  if (vip_address) iip.props["instance_ip_address"] = *vip_address;
  iip.props["perms2"] = {{"owner", project.uuid}, {"owner_access", 7}};
  iip.refs.push_back(Ref{"virtual-network", vn_uuid, {}, nullptr});
  iip.refs.push_back(Ref{"virtual-machine-interface", created_vmi->uuid, {}, nullptr});
  auto created_iip = ctx.api.create(iip);
  if (!created_iip) {
    core::Status failed = with_context(created_iip.status(),
                                       "create instance-ip " + iip.fq_name.front() + " for " +
                                           fq_string(vmi_fq));
    // Do not leave the interface behind without its address.
    remove_if_present(ctx.api, "virtual-machine-interface", created_vmi->uuid);
    return failed;
  }
  VipInterface out;
  out.vmi = *created_vmi;
  out.iip = *created_iip;
  out.vip = created_iip->props.value("instance_ip_address", "");
  return out;
}

core::Result<ConfigObject> create_loadbalancer(Context& ctx, const std::string& kind,
                                               const std::string& ns, const std::string& name,
                                               const std::string& uid,
                                               const ConfigObject& project,
                                               const VipInterface& vip) {
  const std::string provider = kind == "Service" ? "native" : "opencontrail";
  ConfigObject lb;
  lb.type = "loadbalancer";
  lb.uuid = uid;
  lb.fq_name = project.fq_name;
  lb.fq_name.push_back(join_name({name, uid}));
  lb.parent_type = "project";
  lb.parent_uuid = project.uuid;
  lb.props["display_name"] = join_name({ns, name});
  lb.props["loadbalancer_provider"] = provider;
  lb.props["loadbalancer_properties"] = {{"provisioning_status", "ACTIVE"},
                                         {"operating_status", "ONLINE"},
                                         {"vip_address", vip.vip},
                                         {"admin_state", true}};
  lb.props["annotations"] = key_value_pairs(k8s_annotations(ctx.options, kind, ns, name));
  if (auto sas = ctx.api.read_fq("service-appliance-set", service_appliance_set_fq_name(provider)))
    lb.refs.push_back(Ref{"service-appliance-set", sas->uuid, {}, nullptr});
  lb.refs.push_back(Ref{"virtual-machine-interface", vip.vmi.uuid, {}, nullptr});
  auto created = ctx.api.create(lb);
  if (!created) return with_context(created.status(), "create loadbalancer " + fq_string(lb.fq_name));
  return created;
}

core::Status ensure_service_appliance_set_ref(Context& ctx, const ConfigObject& lb) {
  const std::string provider = lb.props.value("loadbalancer_provider", "");
  if (provider.empty() || !lb.ref_uuids("service-appliance-set").empty()) return core::Status::ok();
  auto sas = ctx.api.read_fq("service-appliance-set", service_appliance_set_fq_name(provider));
  if (!sas) return core::Status::ok();
  return with_context(ctx.api.ref_update("loadbalancer", lb.uuid, "service-appliance-set", sas->uuid,
                                         controller::RefOp::kAdd),
                      "add service-appliance-set ref to loadbalancer " + fq_string(lb.fq_name));
}

}  // namespace csim::kube
