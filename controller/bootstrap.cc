#include "controller/bootstrap.h"

#include "controller/ipam.h"

namespace csim::controller {
namespace {

using nlohmann::json;

// The uuid of (type, fq), creating it from `make()` when it does not exist.
template <class Make>
core::Result<std::string> ensure(ConfigApi& api, const std::string& type, const FqName& fq,
                                 Make make) {
  if (auto existing = api.read_fq(type, fq)) return existing->uuid;
  ConfigObject o = make();
  o.type = type;
  o.fq_name = fq;
  auto created = api.create(std::move(o));
  if (!created.is_ok()) {
    const core::Status& s = created.status();
    return core::Status(s.code(), "provision defaults: " + s.message());
  }
  return created->uuid;
}

ConfigObject child_of(const std::string& parent_type, const std::string& parent_uuid) {
  ConfigObject o;
  o.parent_type = parent_type;
  o.parent_uuid = parent_uuid;
  return o;
}

bool valid_name(const std::string& name) {
  if (name.empty() || name.size() > 253) return false;
  for (char c : name)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '.' && c != '_')
      return false;
  return true;
}

}  // namespace

core::Status provision_defaults(ConfigApi& api) {
  auto gsc =
      ensure(api, "global-system-config", {kGlobalSystemConfig}, [] { return ConfigObject{}; });
  if (!gsc) return gsc.status();
  auto domain = ensure(api, "domain", {kDefaultDomain}, [] { return ConfigObject{}; });
  if (!domain) return domain.status();
  auto project = ensure(api, "project", {kDefaultDomain, kDefaultProject},
                        [&] { return child_of("domain", *domain); });
  if (!project) return project.status();
  auto ipam = ensure(api, "network-ipam", {kDefaultDomain, kDefaultProject, kPublicIpam}, [&] {
    ConfigObject o = child_of("project", *project);
    o.props["ipam_method"] = "dhcp";
    return o;
  });
  if (!ipam) return ipam.status();
  auto vn = ensure(api, "virtual-network", {kDefaultDomain, kDefaultProject, kPublicNetwork}, [&] {
    ConfigObject o = child_of("project", *project);
    o.props["router_external"] = true;
    o.props["virtual_network_properties"] = {{"forwarding_mode", "l3"}};
    auto prefix = *parse_prefix(kPublicSubnet);
    Ref r;
    r.type = "network-ipam";
    r.uuid = *ipam;
    r.attr = {{"ipam_subnets", json::array({{{"subnet",
                                              {{"ip_prefix", format_ipv4(prefix.network)},
                                               {"ip_prefix_len", prefix.length}}},
                                             {"default_gateway", kPublicGateway}}})}};
    o.refs.push_back(std::move(r));
    return o;
  });
  if (!vn) return vn.status();
  auto pool = ensure(api, "floating-ip-pool",
                     {kDefaultDomain, kDefaultProject, kPublicNetwork, kPublicFipPool},
                     [&] { return child_of("virtual-network", *vn); });
  if (!pool) return pool.status();
  return core::Status::ok();
}

core::Result<std::string> add_virtual_router(ConfigApi& api, const std::string& name,
                                             const std::string& underlay_ip) {
  if (!valid_name(name))
    return core::invalid("virtual-router \"" + name +
                         "\": name must be 1..253 letters, digits, '-', '.' or '_'");
  auto ip = parse_ipv4(underlay_ip);
  if (!ip)
    return core::invalid("virtual-router " + name + ": underlay ip: " + ip.status().message());
  auto gsc =
      ensure(api, "global-system-config", {kGlobalSystemConfig}, [] { return ConfigObject{}; });
  if (!gsc) return gsc.status();
  const FqName fq = {kGlobalSystemConfig, name};
  if (auto existing = api.read_fq("virtual-router", fq)) {
    if (existing->props.value("virtual_router_ip_address", "") == underlay_ip)
      return existing->uuid;
    existing->props["virtual_router_ip_address"] = underlay_ip;
    auto updated = api.update(*existing);
    if (!updated) return updated.status();
    return updated->uuid;
  }
  ConfigObject vr = child_of("global-system-config", *gsc);
  vr.type = "virtual-router";
  vr.fq_name = fq;
  vr.props["virtual_router_ip_address"] = underlay_ip;
  vr.props["display_name"] = name;
  auto created = api.create(std::move(vr));
  if (!created) return created.status();
  return created->uuid;
}

}  // namespace csim::controller
