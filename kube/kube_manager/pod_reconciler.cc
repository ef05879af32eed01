#include "kube/kube_manager/pod_reconciler.h"

#include "kube/kube_manager/config_ops.h"
#include "kube/kube_manager/naming.h"
#include "kube/object_util.h"

namespace csim::kube {

using controller::ConfigObject;
using controller::Ref;
using nlohmann::json;

namespace {

core::Status named(const core::Status& s, const std::string& what) {
  return s.is_ok() ? s : core::Status(s.code(), what + ": " + s.message());
}

// Pod labels + namespace labels + namespace=<ns> (vnc_pod.py process / _get_namespace_labels).
json pod_labels(Context& ctx, const json& pod, const std::string& ns) {
  json labels = json::object();
  const json& meta = pod["metadata"];
  if (meta.contains("labels") && meta["labels"].is_object()) labels = meta["labels"];
  if (auto n = ctx.store.get("Namespace", "", ns)) {
    const json& nmeta = (*n)["metadata"];
    if (nmeta.contains("labels") && nmeta["labels"].is_object())
      for (const auto& [k, v] : nmeta["labels"].items()) labels[k] = v;
  }
  labels["namespace"] = ns;
  return labels;
}

core::Status create_interface(Context& ctx, const std::string& ns, const std::string& pod_name,
                              const ConfigObject& project, const ConfigObject& vm) {
  auto sg = ctx.api.read_fq("security-group", security_group_fq_name(ctx.options, ns));
  if (!sg) {
    return core::not_found("security-group " + fq_string(security_group_fq_name(ctx.options, ns)) +
                           " does not exist (namespace " + ns + " not provisioned)");
  }
  ConfigObject vmi;
  vmi.type = "virtual-machine-interface";
  vmi.uuid = new_uuid4();
  const std::string vmi_name = join_name({pod_name, vmi.uuid});
  vmi.fq_name = project.fq_name;
  vmi.fq_name.push_back(vmi_name);
  vmi.parent_type = "project";
  vmi.parent_uuid = project.uuid;
  vmi.props["display_name"] = vmi_name;
  vmi.props["port_security_enabled"] = true;
  vmi.props["annotations"] = key_value_pairs(k8s_annotations(
      ctx.options, "Pod", ns, pod_name, {{"index", "0/1"}, {"network", "default"}}));
  vmi.refs.push_back(Ref{"virtual-network", ctx.cluster.pod_network_uuid, {}, nullptr});
  vmi.refs.push_back(Ref{"virtual-machine", vm.uuid, {}, nullptr});
  vmi.refs.push_back(Ref{"security-group", sg->uuid, {}, nullptr});
  auto created_vmi = ctx.api.create(vmi);
  if (!created_vmi)
    return named(created_vmi.status(), "create virtual-machine-interface " + fq_string(vmi.fq_name));
  return core::Status::ok();
}

// _create_iip for one VMI.
core::Status create_instance_ip(Context& ctx, const std::string& ns, const std::string& pod_name,
                                const ConfigObject& project, const std::string& vmi_uuid,
                                std::string* address) {
  ConfigObject iip;
  iip.type = "instance-ip";
  iip.uuid = new_uuid4();
  const std::string iip_name = join_name({pod_name, iip.uuid});
  iip.fq_name = {iip_name};
  iip.props["display_name"] = iip_name;
  iip.props["subnet_uuid"] = ctx.cluster.pod_subnet_uuid;
  iip.props["perms2"] = {{"owner", project.uuid}, {"owner_access", 7}};
  iip.props["annotations"] = key_value_pairs(k8s_annotations(ctx.options, "Pod", ns, pod_name));
  iip.refs.push_back(Ref{"virtual-network", ctx.cluster.pod_network_uuid, {}, nullptr});
  iip.refs.push_back(Ref{"virtual-machine-interface", vmi_uuid, {}, nullptr});
  auto created = ctx.api.create(iip);
  if (!created) return named(created.status(), "create instance-ip " + iip_name);
  *address = created->props.value("instance_ip_address", "");
  return core::Status::ok();
}

// Endpoints in the namespace that list this pod (ready or not).
void enqueue_endpoints_of_pod(Context& ctx, const std::string& ns, const std::string& uid) {
  if (!ctx.enqueue || ctx.resyncing) return;  // the resync reconciles every Endpoints next
  // Filtered in the store: only the Endpoints that list the pod are copied (a namespace
  // may have hundreds).
  auto lists_pod = [&uid](const json& ep) { return endpoints_list_pod(ep, "uid", uid); };
  for (const auto& ep : ctx.store.list_if("Endpoints", ns, lists_pod))
    ctx.enqueue("Endpoints", ns, ep["metadata"].value("name", ""));
}

}  // namespace

core::Status delete_pod_config(Context& ctx, const std::string& vm_uuid) {
  auto vm = ctx.api.read(vm_uuid);
  if (!vm || vm->type != "virtual-machine") return core::Status::ok();
  for (const auto& vr : ctx.api.back_ref_uuids(vm_uuid, "virtual-router")) {
    auto s = ctx.api.ref_update("virtual-router", vr, "virtual-machine", vm_uuid,
                                controller::RefOp::kDelete);
    if (!s && s.code() != core::Code::kNotFound)
      return named(s, "unlink virtual-router " + vr + " from virtual-machine " + vm->name());
  }
  for (const auto& vmi : ctx.api.back_refs(vm_uuid, "virtual-machine-interface")) {
    for (const auto& iip : instance_ips_of(ctx.api, vmi.uuid)) {
      if (auto s = remove_if_present(ctx.api, "instance-ip", iip.uuid); !s) return s;
    }
    for (const auto& fip : floating_ips_of(ctx.api, vmi.uuid)) {
      auto s = ctx.api.ref_update("floating-ip", fip.uuid, "virtual-machine-interface", vmi.uuid,
                                  controller::RefOp::kDelete);
      if (!s && s.code() != core::Code::kNotFound)
        return named(s, "detach floating-ip " + fq_string(fip.fq_name) + " from " + vmi.name());
    }
    if (auto s = remove_if_present(ctx.api, "virtual-machine-interface", vmi.uuid); !s) return s;
  }
  if (auto s = remove_if_present(ctx.api, "virtual-machine", vm_uuid); !s) return s;
  const std::string ns = vm->annotation("namespace").value_or("?");
  const std::string pod = vm->annotation("name").value_or("?");
  ctx.record("pod", "pod " + ns + "/" + pod + " gone: virtual-machine " + vm->name() +
                        " and its interface and instance-ip deleted");
  return core::Status::ok();
}

core::Status reconcile_pod(Context& ctx, const std::string& ns, const std::string& name,
                           const std::vector<std::string>& gone_uids) {
  auto pod = ctx.store.get("Pod", ns, name);
  const std::string uid = pod ? (*pod)["metadata"].value("uid", "") : "";
  const bool host_network = pod && (*pod).value("spec", json::object()).value("hostNetwork", false);
  const bool wanted = pod && !host_network;

  // Stale VMs: the one named after this pod with another uid, and those of deleted uids.
  const controller::FqName vm_fq = {join_name({ctx.options.cluster_name, ns, name})};
  auto existing = ctx.api.read_fq("virtual-machine", vm_fq);
  if (existing && (!wanted || existing->uuid != uid) && owned_by_cluster(ctx.options, *existing)) {
    if (auto s = delete_pod_config(ctx, existing->uuid); !s) return s;
    existing.reset();
  }
  for (const auto& gone : gone_uids) {
    if (wanted && gone == uid) continue;
    auto vm = ctx.api.read(gone);
    if (vm && vm->type == "virtual-machine" && owned_by_cluster(ctx.options, *vm))
      if (auto s = delete_pod_config(ctx, gone); !s) return s;
  }
  if (!wanted) return core::Status::ok();

  if (ctx.ensure_namespace)
    if (auto s = ctx.ensure_namespace(ns); !s) return s;
  auto project = ctx.api.read_fq("project", project_fq_name(ctx.options, ns));
  if (!project) return core::not_found("project " + fq_string(project_fq_name(ctx.options, ns)) +
                                       " does not exist (namespace " + ns + ")");

  const json annotations = key_value_pairs(k8s_annotations(
      ctx.options, "Pod", ns, name,
      {{"k8s_uuid", uid}, {"labels", python_json_dumps(pod_labels(ctx, *pod, ns))}}));
  ConfigObject vm;
  if (!existing) {
    vm.type = "virtual-machine";
    vm.uuid = uid;
    vm.fq_name = vm_fq;
    vm.props["display_name"] = join_name({ns, name});
    vm.props["server_type"] = "container";
    vm.props["perms2"] = {{"owner", project->uuid}, {"owner_access", 7}};
    vm.props["annotations"] = annotations;
    auto created = ctx.api.create(vm);
    if (!created) return named(created.status(), "create virtual-machine " + vm_fq.front());
    vm = *created;
  } else {
    vm = *existing;
    if (vm.props.value("annotations", json()) != annotations) {  // labels changed
      auto updated =
          modify(ctx.api, vm.uuid, [&](ConfigObject& o) { o.props["annotations"] = annotations; });
      if (!updated) return updated.status();
      vm = *updated;
    }
  }

  // The interface and its address.
  std::string address;
  bool created_interface = false;
  auto vmis = ctx.api.back_refs(vm.uuid, "virtual-machine-interface");
  if (vmis.empty()) {
    if (auto s = create_interface(ctx, ns, name, *project, vm); !s) return s;
    vmis = ctx.api.back_refs(vm.uuid, "virtual-machine-interface");
    created_interface = true;
  }
  for (const auto& vmi : vmis) {
    auto iips = instance_ips_of(ctx.api, vmi.uuid);
    if (iips.empty()) {
      if (auto s = create_instance_ip(ctx, ns, name, *project, vmi.uuid, &address); !s) return s;
      ctx.record("pod", "pod " + ns + "/" + name + ": virtual-machine " + vm.name() +
                            ", interface " + vmi.name() + ", instance-ip " + address +
                            " from " + ctx.options.pod_subnet);
      created_interface = true;
    }
  }

  // Link to the node's virtual-router once scheduled.
  const std::string node = (*pod).value("spec", json::object()).value("nodeName", "");
  if (!node.empty()) {
    // uuids only: a virtual-router refers to every VM on its node.
    auto vr = ctx.api.uuid_of("virtual-router", virtual_router_fq_name(node));
    if (!vr) {
      return core::not_found("virtual-router " + fq_string(virtual_router_fq_name(node)) +
                             " for pod " + ns + "/" + name + " does not exist");
    }
    bool linked = false;
    for (const auto& other : ctx.api.back_ref_uuids(vm.uuid, "virtual-router")) {
      if (other == *vr) {
        linked = true;
        continue;
      }
      auto s = ctx.api.ref_update("virtual-router", other, "virtual-machine", vm.uuid,
                                  controller::RefOp::kDelete);
      if (!s && s.code() != core::Code::kNotFound)
        return named(s, "unlink virtual-router " + other + " from virtual-machine " + vm.name());
    }
    if (!linked) {
      auto s = ctx.api.ref_update("virtual-router", *vr, "virtual-machine", vm.uuid,
                                  controller::RefOp::kAdd);
      if (!s) return named(s, "link virtual-router " + node + " to virtual-machine " + vm.name());
      ctx.record("pod", "pod " + ns + "/" + name + " scheduled: virtual-router " + node +
                            " -> virtual-machine " + vm.name());
    }
  }
  if (created_interface) enqueue_endpoints_of_pod(ctx, ns, uid);
  return core::Status::ok();
}

}  // namespace csim::kube
