#include "kube/kube_manager/cluster_setup.h"

#include <vector>

#include "controller/ipam.h"
#include "kube/kube_manager/config_ops.h"
#include "kube/kube_manager/naming.h"

namespace csim::kube {

using controller::ConfigObject;
using controller::FqName;
using controller::Ref;

namespace {

struct Step {
  Context& ctx;
  std::vector<std::string> created;  // for the trace line
};

core::Status named(const core::Status& s, const std::string& what) {
  return s.is_ok() ? s : core::Status(s.code(), what + ": " + s.message());
}

// _create_project: a bare project (annotations come with its Namespace).
core::Result<ConfigObject> ensure_project(Step& step, const ConfigObject& domain,
                                          const std::string& ns) {
  FqName fq = project_fq_name(step.ctx.options, ns);
  if (auto p = step.ctx.api.read_fq("project", fq)) return *p;
  ConfigObject p;
  p.type = "project";
  p.fq_name = fq;
  p.parent_type = "domain";
  p.parent_uuid = domain.uuid;
  auto created = step.ctx.api.create(p);
  if (!created) return named(created.status(), "create project " + fq_string(fq));
  step.created.push_back("project " + fq.back());
  return created;
}

// The ipam_subnets value the brief and Contrail's api-server give a flat-subnet ipam.
nlohmann::json ipam_subnets(const controller::Ipv4Prefix& p, const std::string& subnet_uuid) {
  return {{"subnets",
           nlohmann::json::array(
               {{{"subnet",
                  {{"ip_prefix", controller::format_ipv4(p.network)}, {"ip_prefix_len", p.length}}},
                 {"default_gateway", controller::format_ipv4(controller::default_gateway(p))},
                 {"dns_server_address", controller::format_ipv4(controller::default_dns_server(p))},
                 {"subnet_uuid", subnet_uuid}}})}};
}

// The subnet_uuid of the ipam's first subnet when that subnet is `p`, else "".
std::string matching_subnet_uuid(const ConfigObject& ipam, const controller::Ipv4Prefix& p) {
  const auto& subnets = ipam.props.value("ipam_subnets", nlohmann::json::object())
                            .value("subnets", nlohmann::json::array());
  if (!subnets.is_array() || subnets.empty()) return "";
  const auto& first = subnets[0];
  const auto& sn = first.value("subnet", nlohmann::json::object());
  if (sn.value("ip_prefix", "") != controller::format_ipv4(p.network) ||
      sn.value("ip_prefix_len", -1) != p.length)
    return "";
  return first.value("subnet_uuid", "");
}

// _create_ipam(name, subnets, proj, type='flat-subnet'). Returns (ipam, subnet_uuid).
core::Result<std::pair<ConfigObject, std::string>> ensure_ipam(Step& step,
                                                               const ConfigObject& project,
                                                               const std::string& name,
                                                               const std::string& subnet_text) {
  auto prefix = controller::parse_prefix(subnet_text);
  if (!prefix) return named(prefix.status(), "kube-manager option subnet for " + name);
  FqName fq = project.fq_name;
  fq.push_back(name);
  if (auto existing = step.ctx.api.read_fq("network-ipam", fq)) {
    std::string subnet_uuid = matching_subnet_uuid(*existing, *prefix);
    if (!subnet_uuid.empty() &&
        existing->props.value("ipam_subnet_method", "") == "flat-subnet")
      return std::make_pair(*existing, subnet_uuid);
    subnet_uuid = new_uuid4();
    auto updated = modify(step.ctx.api, existing->uuid, [&](ConfigObject& o) {
      o.props["ipam_subnet_method"] = "flat-subnet";
      o.props["ipam_subnets"] = ipam_subnets(*prefix, subnet_uuid);
    });
    if (!updated) return updated.status();
    step.created.push_back("network-ipam " + name + " subnet " + prefix->to_string() + " (updated)");
    // The DB may keep the uuid of a subnet it knew; read back what it stored.
    std::string stored = matching_subnet_uuid(*updated, *prefix);
    return std::make_pair(*updated, stored.empty() ? subnet_uuid : stored);
  }
  ConfigObject ipam;
  ipam.type = "network-ipam";
  ipam.fq_name = fq;
  ipam.parent_type = "project";
  ipam.parent_uuid = project.uuid;
  const std::string subnet_uuid = new_uuid4();
  ipam.props["ipam_subnet_method"] = "flat-subnet";
  ipam.props["ipam_subnets"] = ipam_subnets(*prefix, subnet_uuid);
  auto created = step.ctx.api.create(ipam);
  if (!created) return named(created.status(), "create network-ipam " + fq_string(fq));
  step.created.push_back("network-ipam " + name + " " + prefix->to_string());
  std::string stored = matching_subnet_uuid(*created, *prefix);
  return std::make_pair(*created, stored.empty() ? subnet_uuid : stored);
}

// _create_network: flat-subnet-only, l3, ref to the ipam with VnSubnetsType([]).
core::Result<ConfigObject> ensure_network(Step& step, const ConfigObject& project,
                                          const std::string& name, const ConfigObject& ipam) {
  FqName fq = project.fq_name;
  fq.push_back(name);
  const nlohmann::json attr = {{"ipam_subnets", nlohmann::json::array()}};
  if (auto existing = step.ctx.api.read_fq("virtual-network", fq)) {
    for (const auto& r : existing->refs)
      if (r.type == "network-ipam" && r.uuid == ipam.uuid) return *existing;
    auto s = step.ctx.api.ref_update("virtual-network", existing->uuid, "network-ipam", ipam.uuid,
                                     controller::RefOp::kAdd, attr);
    if (!s) return named(s, "add network-ipam ref to virtual-network " + fq_string(fq));
    step.created.push_back("ref " + name + " -> " + ipam.name());
    return *step.ctx.api.read(existing->uuid);
  }
  ConfigObject vn;
  vn.type = "virtual-network";
  vn.fq_name = fq;
  vn.parent_type = "project";
  vn.parent_uuid = project.uuid;
  vn.props["address_allocation_mode"] = "flat-subnet-only";
  vn.props["virtual_network_properties"] = {{"forwarding_mode", "l3"}};
  vn.props["fabric_snat"] = false;
  vn.refs.push_back(Ref{"network-ipam", ipam.uuid, {}, attr});
  auto created = step.ctx.api.create(vn);
  if (!created) return named(created.status(), "create virtual-network " + fq_string(fq));
  step.created.push_back("virtual-network " + name);
  return created;
}

}  // namespace

core::Status provision_cluster(Context& ctx) {
  const KubeManagerOptions& o = ctx.options;
  auto domain = ctx.api.read_fq("domain", {o.domain});
  if (!domain) {
    return core::not_found("domain " + o.domain +
                           " does not exist: the controller's bootstrap must run before "
                           "kube-manager starts");
  }
  Step step{ctx, {}};
  auto default_project = ensure_project(step, *domain, "default");
  if (!default_project) return default_project.status();
  if (auto p = ensure_project(step, *domain, "kube-system"); !p) return p.status();

  auto pod_ipam = ensure_ipam(step, *default_project, pod_ipam_name(o), o.pod_subnet);
  if (!pod_ipam) return pod_ipam.status();
  auto pod_vn = ensure_network(step, *default_project, pod_network_name(o), pod_ipam->first);
  if (!pod_vn) return pod_vn.status();
  auto service_ipam =
      ensure_ipam(step, *default_project, service_ipam_name(o), o.service_subnet);
  if (!service_ipam) return service_ipam.status();
  auto service_vn =
      ensure_network(step, *default_project, service_network_name(o), service_ipam->first);
  if (!service_vn) return service_vn.status();

  ctx.cluster.default_project_uuid = default_project->uuid;
  ctx.cluster.pod_ipam_uuid = pod_ipam->first.uuid;
  ctx.cluster.pod_subnet_uuid = pod_ipam->second;
  ctx.cluster.service_ipam_uuid = service_ipam->first.uuid;
  ctx.cluster.service_subnet_uuid = service_ipam->second;
  ctx.cluster.pod_network_uuid = pod_vn->uuid;
  ctx.cluster.service_network_uuid = service_vn->uuid;

  std::string summary;
  if (step.created.empty()) {
    summary = "cluster " + o.cluster_name + " already provisioned (pod subnet " + o.pod_subnet +
              ", service subnet " + o.service_subnet + ")";
  } else {
    summary = "provisioned cluster " + o.cluster_name + ": ";
    for (size_t i = 0; i < step.created.size(); ++i)
      summary += (i ? ", " : "") + step.created[i];
  }
  ctx.record("provision cluster", summary);
  return core::Status::ok();
}

}  // namespace csim::kube
