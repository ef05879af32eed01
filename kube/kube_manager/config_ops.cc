#include "kube/kube_manager/config_ops.h"

#include <algorithm>

#include "kube/kube_manager/naming.h"
#include "kube/kube_manager/resync_cache.h"

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
  auto current = read_fresh(api, uuid);
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

bool is_detached_ingress_floating_ip(const KubeManagerOptions& o, const ConfigObject& fip) {
  if (fip.type != "floating-ip" || fip.parent_type != "floating-ip-pool") return false;
  if (!fip.ref_uuids("virtual-machine-interface").empty()) return false;
  const std::string suffix = "__" + fip.uuid;
  const std::string& name = fip.name();
  if (name.size() <= suffix.size() || name.compare(name.size() - suffix.size(), suffix.size(), suffix) != 0)
    return false;
  if (fip.refs.size() != 1 || fip.refs[0].type != "project") return false;
  const controller::FqName& project = fip.refs[0].to;
  const std::string prefix = o.cluster_name + "-";
  return project.size() == 2 && project[0] == o.domain && project[1].size() > prefix.size() &&
         project[1].rfind(prefix, 0) == 0;
}

namespace {

core::Status delete_virtual_interface_once(controller::ConfigApi& api, const std::string& vmi_uuid) {
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

}  // namespace

core::Status delete_virtual_interface(controller::ConfigApi& api, const std::string& vmi_uuid) {
  // svc-monitor works at the same time on its own strand: from a graph it read just before
  // the loadbalancer went, it may still add a native floating-ip under the instance-ip
  // after we listed its children; the config DB then refuses the delete (kConflict). Look
  // again, a bounded number of times: svc-monitor adds nothing more once the loadbalancer
  // is gone. (The crash test found it: a resync's sweep left the interface.)
  constexpr int kAttempts = 3;
  core::Status s;
  for (int attempt = 0; attempt < kAttempts; ++attempt) {
    s = delete_virtual_interface_once(api, vmi_uuid);
    if (s.is_ok() || s.code() != core::Code::kConflict) return s;
  }
  return s;
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

namespace {

// Deletes an instance-ip with the floating-ips hanging off it (svc-monitor's native-LB FIPs).
core::Status delete_instance_ip(controller::ConfigApi& api, const ConfigObject& iip) {
  for (const auto& fip : by_fq_name(api.children(iip.uuid, "floating-ip")))
    if (auto s = release_floating_ip(api, fip); !s) return s;
  return remove_if_present(api, "instance-ip", iip.uuid);
}

bool has_ref(const ConfigObject& o, const std::string& type, const std::string& uuid) {
  for (const auto& r : o.refs)
    if (r.type == type && r.uuid == uuid) return true;
  return false;
}

}  // namespace

core::Result<VipInterface> create_vip_interface(Context& ctx, const std::string& kind,
                                                const std::string& ns, const std::string& name,
                                                const std::string& uid,
                                                const ConfigObject& project,
                                                const std::string& vn_uuid,
                                                const std::string& subnet_uuid,
                                                const std::optional<std::string>& vip_address) {
  const controller::FqName vmi_fq = vip_interface_fq_name(ctx.options, kind, ns, name, uid);
  auto sg = ctx.api.read_fq("security-group", security_group_fq_name(ctx.options, ns));
  if (!sg) {
    return core::not_found("security-group " + fq_string(security_group_fq_name(ctx.options, ns)) +
                           " does not exist (namespace " + ns + " not provisioned)");
  }
  const nlohmann::json display_name = join_name({ns, name});
  auto set_props = [&](ConfigObject& vmi) {
    vmi.props["display_name"] = display_name;
    vmi.props["virtual_machine_interface_device_owner"] = "K8S:LOADBALANCER";
    vmi.props["port_security_enabled"] = true;
  };

  std::optional<ConfigObject> vmi = ctx.api.read_fq("virtual-machine-interface", vmi_fq);
  const bool adopted_vmi = vmi.has_value();
  if (vmi) {
    // Left by an unfinished create: adopt it (its fq_name is this object's, by uid).
    ConfigObject wanted = *vmi;
    set_props(wanted);
    const bool props_ok = wanted.props == vmi->props;
    const bool vn_ok = vmi->ref_uuids("virtual-network") == std::vector<std::string>{vn_uuid};
    const bool sg_ok = has_ref(*vmi, "security-group", sg->uuid);
    if (!props_ok || !vn_ok || !sg_ok) {
      auto updated = modify(ctx.api, vmi->uuid, [&](ConfigObject& o) {
        set_props(o);
        std::erase_if(o.refs, [](const Ref& r) { return r.type == "virtual-network"; });
        o.refs.insert(o.refs.begin(), Ref{"virtual-network", vn_uuid, {}, nullptr});
        if (!has_ref(o, "security-group", sg->uuid))
          o.refs.push_back(Ref{"security-group", sg->uuid, {}, nullptr});
      });
      if (!updated) return updated.status();
      vmi = *updated;
    }
  } else {
    ConfigObject fresh;
    fresh.type = "virtual-machine-interface";
    fresh.uuid = new_uuid4();
    fresh.fq_name = vmi_fq;
    fresh.parent_type = "project";
    fresh.parent_uuid = project.uuid;
    set_props(fresh);
    fresh.refs.push_back(Ref{"virtual-network", vn_uuid, {}, nullptr});
    fresh.refs.push_back(Ref{"security-group", sg->uuid, {}, nullptr});
    auto created = ctx.api.create(fresh);
    if (!created)
      return with_context(created.status(), "create virtual-machine-interface " + fq_string(vmi_fq));
    vmi = *created;
  }

  // The address: keep one instance-ip that fits, delete the others.
  std::optional<ConfigObject> kept;
  bool adopted_iip = false;
  for (const auto& iip : instance_ips_of(ctx.api, vmi->uuid)) {
    const bool fits = !kept && iip.ref_uuids("virtual-network") == std::vector<std::string>{vn_uuid} &&
                      (!vip_address || iip.props.value("instance_ip_address", "") == *vip_address);
    if (fits) {
      kept = iip;
      adopted_iip = true;
      continue;
    }
    if (auto s = delete_instance_ip(ctx.api, iip); !s) return s;
  }
  if (!kept) {
    ConfigObject iip;
    iip.type = "instance-ip";
    iip.uuid = new_uuid4();
    iip.fq_name = {join_name({name, iip.uuid})};
    iip.props["display_name"] = name;
    if (!subnet_uuid.empty()) iip.props["subnet_uuid"] = subnet_uuid;
    if (vip_address) iip.props["instance_ip_address"] = *vip_address;
    iip.props["perms2"] = {{"owner", project.uuid}, {"owner_access", 7}};
    iip.refs.push_back(Ref{"virtual-network", vn_uuid, {}, nullptr});
    iip.refs.push_back(Ref{"virtual-machine-interface", vmi->uuid, {}, nullptr});
    auto created_iip = ctx.api.create(iip);
    if (!created_iip) {
      core::Status failed = with_context(created_iip.status(),
                                         "create instance-ip " + iip.fq_name.front() + " for " +
                                             fq_string(vmi_fq));
      // Do not leave the interface behind without its address.
      remove_if_present(ctx.api, "virtual-machine-interface", vmi->uuid);
      return failed;
    }
    kept = *created_iip;
  }
  VipInterface out;
  out.vmi = *vmi;
  out.iip = *kept;
  out.vip = kept->props.value("instance_ip_address", "");
  if (adopted_vmi) {
    ctx.record("vip-interface", "adopted LB interface " + fq_string(vmi_fq) +
                                    " left by an unfinished create (instance-ip " + out.vip +
                                    (adopted_iip ? " kept)" : " created)"));
  }
  return out;
}

core::Result<bool> delete_unused_vip_interface(Context& ctx, const std::string& kind,
                                               const std::string& ns, const std::string& name,
                                               const std::string& uid) {
  const controller::FqName fq = vip_interface_fq_name(ctx.options, kind, ns, name, uid);
  auto vmi = ctx.api.read_fq("virtual-machine-interface", fq);
  if (!vmi) return false;
  if (!ctx.api.back_refs(vmi->uuid, "loadbalancer").empty()) return false;
  if (auto s = delete_virtual_interface(ctx.api, vmi->uuid); !s) return s;
  return true;
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
