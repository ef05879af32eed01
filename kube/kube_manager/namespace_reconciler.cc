#include "kube/kube_manager/namespace_reconciler.h"

#include "kube/kube_manager/config_ops.h"
#include "kube/kube_manager/naming.h"

namespace csim::kube {

using controller::ConfigObject;
using nlohmann::json;

namespace {

core::Status named(const core::Status& s, const std::string& what) {
  return s.is_ok() ? s : core::Status(s.code(), what + ": " + s.message());
}

// _update_security_groups._get_rule
json sg_rule(bool ingress, const std::string& prefix, const std::string& ethertype) {
  json addr = {{"subnet", {{"ip_prefix", prefix}, {"ip_prefix_len", 0}}}};
  json local = {{"security_group", "local"}};
  json ports = json::array({{{"start_port", 0}, {"end_port", 65535}}});
  return {{"rule_uuid", new_uuid4()},
          {"direction", ">"},
          {"protocol", "any"},
          {"src_addresses", json::array({ingress ? addr : local})},
          {"src_ports", ports},
          {"dst_addresses", json::array({ingress ? local : addr})},
          {"dst_ports", ports},
          {"ethertype", ethertype}};
}

core::Status ensure_security_group(Context& ctx, const std::string& ns, const ConfigObject& project) {
  const auto fq = security_group_fq_name(ctx.options, ns);
  const auto annotations =
      key_value_pairs(k8s_annotations(ctx.options, "Namespace", ns, fq.back()));
  if (auto sg = ctx.api.read_fq("security-group", fq)) {
    if (sg->props.value("annotations", json()) == annotations) return core::Status::ok();
    auto updated = modify(ctx.api, sg->uuid, [&](ConfigObject& o) { o.props["annotations"] = annotations; });
    return updated.status();
  }
  ConfigObject sg;
  sg.type = "security-group";
  sg.fq_name = fq;
  sg.parent_type = "project";
  sg.parent_uuid = project.uuid;
  sg.props["id_perms"] = {{"enable", true}, {"description", "Default security group"}};
  sg.props["security_group_entries"] = {
      {"policy_rule", json::array({sg_rule(true, "0.0.0.0", "IPv4"), sg_rule(true, "::", "IPv6"),
                                   sg_rule(false, "0.0.0.0", "IPv4"),
                                   sg_rule(false, "::", "IPv6")})}};
  sg.props["perms2"] = {{"owner", project.uuid}, {"owner_access", 7}};  // chown to the project
  sg.props["annotations"] = annotations;
  auto created = ctx.api.create(sg);
  if (!created) return named(created.status(), "create security-group " + fq_string(fq));
  ctx.record("namespace", "namespace " + ns + ": security-group " + fq.back() +
                              " (allow all in/out, IPv4+IPv6)");
  return core::Status::ok();
}

core::Status delete_namespace_config(Context& ctx, const std::string& ns) {
  const auto sg_fq = security_group_fq_name(ctx.options, ns);
  if (auto sg = ctx.api.read_fq("security-group", sg_fq)) {
    for (const auto& vmi : ctx.api.back_refs(sg->uuid, "virtual-machine-interface")) {
      auto s = ctx.api.ref_update("virtual-machine-interface", vmi.uuid, "security-group",
                                  sg->uuid, controller::RefOp::kDelete);
      if (!s && s.code() != core::Code::kNotFound)
        return named(s, "detach security-group " + sg_fq.back() + " from " + fq_string(vmi.fq_name));
    }
    if (auto s = remove_if_present(ctx.api, "security-group", sg->uuid); !s) return s;
  }
  auto project = ctx.api.read_fq("project", project_fq_name(ctx.options, ns));
  if (!project) {
    ctx.record("namespace", "namespace " + ns + " deleted: security-group " + sg_fq.back() + " removed");
    return core::Status::ok();
  }
  if (project->uuid == ctx.cluster.default_project_uuid) {
    ctx.record("namespace", "namespace " + ns + " deleted: project " + project->name() +
                                " kept (it holds the cluster's ipams and networks)");
    return core::Status::ok();
  }
  if (auto s = remove_if_present(ctx.api, "project", project->uuid); !s) return s;
  ctx.record("namespace", "namespace " + ns + " deleted: security-group " + sg_fq.back() +
                              " and project " + project->name() + " removed");
  return core::Status::ok();
}

}  // namespace

core::Status reconcile_namespace(Context& ctx, const std::string& name) {
  auto ns = ctx.store.get("Namespace", "", name);
  if (!ns) {
    // Only touch a project this cluster annotated (or the SG it made).
    auto project = ctx.api.read_fq("project", project_fq_name(ctx.options, name));
    auto sg = ctx.api.read_fq("security-group", security_group_fq_name(ctx.options, name));
    bool ours = (project && owned_by_cluster(ctx.options, *project)) ||
                (sg && owned_by_cluster(ctx.options, *sg));
    if (!ours) return core::Status::ok();
    return delete_namespace_config(ctx, name);
  }
  const json& meta = (*ns)["metadata"];
  const std::string uid = meta.value("uid", "");
  std::string isolation;
  if (meta.contains("annotations") && meta["annotations"].is_object())
    isolation = meta["annotations"].value("opencontrail.org/isolation", "");
  const std::string isolated = isolation == "true" || isolation == "True" ? "True" : "False";
  const auto annotations = key_value_pairs(k8s_annotations(
      ctx.options, "Namespace", name, name, {{"k8s_uuid", uid}, {"isolated", isolated}}));

  const auto fq = project_fq_name(ctx.options, name);
  std::optional<ConfigObject> project = ctx.api.read_fq("project", fq);
  if (!project) {
    auto domain = ctx.api.read_fq("domain", {ctx.options.domain});
    if (!domain) return core::not_found("domain " + ctx.options.domain + " does not exist");
    ConfigObject p;
    p.type = "project";
    p.fq_name = fq;
    p.parent_type = "domain";
    p.parent_uuid = domain->uuid;
    p.props["annotations"] = annotations;
    auto created = ctx.api.create(p);
    if (!created) return named(created.status(), "create project " + fq_string(fq));
    project = *created;
    ctx.record("namespace", "namespace " + name + " -> project " + fq_string(fq));
  } else if (project->props.value("annotations", json()) != annotations) {
    auto updated =
        modify(ctx.api, project->uuid, [&](ConfigObject& o) { o.props["annotations"] = annotations; });
    if (!updated) return updated.status();
    project = *updated;
    ctx.record("namespace", "namespace " + name + " -> project " + fq_string(fq) +
                                " (annotations k8s_uuid=" + uid + ")");
  }
  return ensure_security_group(ctx, name, *project);
}

}  // namespace csim::kube
