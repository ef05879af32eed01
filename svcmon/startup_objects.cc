#include "svcmon/startup_objects.h"

#include "svcmon/haproxy_driver.h"

namespace csim::svcmon {
namespace {

using controller::ConfigObject;
using nlohmann::json;

constexpr const char* kGlobalSystemConfig = "default-global-system-config";
constexpr const char* kDomain = "default-domain";

struct ApplianceSet {
  const char* provider;
  const char* driver;
};
constexpr ApplianceSet kApplianceSets[] = {
    {kProviderOpencontrail,
     "svc_monitor.services.loadbalancer.drivers.ha_proxy.driver.OpencontrailLoadbalancerDriver"},
    {kProviderNative,
     "svc_monitor.services.loadbalancer.drivers.native.driver.OpencontrailLoadbalancerDriver"},
};

json template_properties() {
  return {
      {"version", 1},
      {"service_mode", "in-network-nat"},
      {"service_type", "loadbalancer"},
      {"service_virtualization_type", "network-namespace"},
      {"interface_type", json::array({{{"service_interface_type", "right"}, {"shared_ip", true}},
                                      {{"service_interface_type", "left"}, {"shared_ip", true}}})},
      {"ordered_interfaces", true},
      {"service_scaling", true}};
}

core::Status ensure(const Context& ctx, ConfigObject o) {
  if (ctx.api.read_fq(o.type, o.fq_name)) return core::Status::ok();
  const auto start = ctx.now();
  auto created = ctx.api.create(o);
  if (!created && created.status().code() != core::Code::kAlreadyExists) return created.status();
  ctx.record("startup", "created " + o.type + " " + fq_string(o.fq_name), start);
  return core::Status::ok();
}

}  // namespace

core::Status ensure_startup_objects(const Context& ctx) {
  auto gsc = ctx.api.read_fq("global-system-config", {kGlobalSystemConfig});
  if (!gsc)
    return core::not_found(std::string("global-system-config ") + kGlobalSystemConfig +
                           " does not exist: the controller's bootstrap must run before "
                           "svc-monitor starts");
  for (const auto& set : kApplianceSets) {
    ConfigObject o;
    o.type = "service-appliance-set";
    o.fq_name = {kGlobalSystemConfig, set.provider};
    o.parent_type = "global-system-config";
    o.parent_uuid = gsc->uuid;
    o.props["service_appliance_driver"] = set.driver;
    if (auto s = ensure(ctx, o); !s) return s;
  }
  auto domain = ctx.api.read_fq("domain", {kDomain});
  if (!domain)
    return core::not_found(std::string("domain ") + kDomain +
                           " does not exist: the controller's bootstrap must run before "
                           "svc-monitor starts");
  ConfigObject st;
  st.type = "service-template";
  st.fq_name = {kDomain, kHaproxyTemplateName};
  st.parent_type = "domain";
  st.parent_uuid = domain->uuid;
  st.props["service_template_properties"] = template_properties();
  return ensure(ctx, st);
}

}  // namespace csim::svcmon
