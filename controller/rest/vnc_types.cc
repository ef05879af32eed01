#include "controller/rest/vnc_types.h"

#include <algorithm>

namespace csim::controller {
namespace {

// Contrail's resource types (vnc_api gen resource_common / the schema's yaml files).
std::vector<std::string> make_types() {
  std::vector<std::string> t = {
      "access-control-list",
      "address-group",
      "alarm",
      "alias-ip",
      "alias-ip-pool",
      "analytics-alarm-node",
      "analytics-node",
      "analytics-snmp-node",
      "api-access-list",
      "application-policy-set",
      "bgp-as-a-service",
      "bgp-router",
      "bgpvpn",
      "bridge-domain",
      "card",
      "cli-config",
      "config-database-node",
      "config-node",
      "config-properties",
      "control-node-zone",
      "customer-attachment",
      "data-center-interconnect",
      "database-node",
      "device-chassis",
      "device-functional-group",
      "device-image",
      "devicemgr-node",
      "discovery-service-assignment",
      "domain",
      "dsa-rule",
      "e2-service-provider",
      "fabric",
      "fabric-namespace",
      "feature",
      "feature-config",
      "feature-flag",
      "firewall-policy",
      "firewall-rule",
      "floating-ip",
      "floating-ip-pool",
      "flow-node",
      "forwarding-class",
      "global-analytics-config",
      "global-qos-config",
      "global-system-config",
      "global-vrouter-config",
      "hardware",
      "hardware-inventory",
      "host-based-service",
      "instance-ip",
      "interface-route-table",
      "intent-map",
      "job-template",
      "link-aggregation-group",
      "loadbalancer",
      "loadbalancer-healthmonitor",
      "loadbalancer-listener",
      "loadbalancer-member",
      "loadbalancer-pool",
      "logical-interface",
      "logical-router",
      "multicast-group",
      "multicast-group-address",
      "multicast-policy",
      "namespace",
      "network-device-config",
      "network-ipam",
      "network-policy",
      "node",
      "node-profile",
      "overlay-role",
      "peering-policy",
      "physical-interface",
      "physical-role",
      "physical-router",
      "policy-management",
      "port",
      "port-group",
      "port-profile",
      "port-tuple",
      "project",
      "provider-attachment",
      "qos-config",
      "qos-queue",
      "role-config",
      "role-definition",
      "route-aggregate",
      "route-table",
      "route-target",
      "routing-instance",
      "routing-policy",
      "security-group",
      "security-logging-object",
      "service-appliance",
      "service-appliance-set",
      "service-connection-module",
      "service-endpoint",
      "service-group",
      "service-health-check",
      "service-instance",
      "service-object",
      "service-template",
      "snmp-profile",
      "storm-control-profile",
      "structured-syslog-config",
      "structured-syslog-hostname-record",
      "structured-syslog-message",
      "structured-syslog-sla-profile",
      "sub-cluster",
      "subnet",
      "tag",
      "tag-type",
      "telemetry-profile",
      "virtual-DNS",
      "virtual-DNS-record",
      "virtual-ip",
      "virtual-machine",
      "virtual-machine-interface",
      "virtual-network",
      "virtual-port-group",
      "virtual-router",
      "webui-node",
  };
  std::sort(t.begin(), t.end());
  return t;
}

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() > suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

}  // namespace

const std::vector<std::string>& vnc_types() {
  static const std::vector<std::string> kTypes = make_types();
  return kTypes;
}

bool is_vnc_type(std::string_view type) {
  const auto& t = vnc_types();
  return std::binary_search(t.begin(), t.end(), type,
                            [](std::string_view a, std::string_view b) { return a < b; });
}

std::optional<std::string> type_of_collection(std::string_view collection) {
  if (collection.size() < 2 || collection.back() != 's') return std::nullopt;
  std::string_view type = collection.substr(0, collection.size() - 1);
  if (!is_vnc_type(type)) return std::nullopt;
  return std::string(type);
}

std::string collection_of(std::string_view type) { return std::string(type) + "s"; }

std::string type_field(std::string_view type) {
  std::string out(type);
  std::replace(out.begin(), out.end(), '-', '_');
  return out;
}

std::string type_from_field(std::string_view field) {
  std::string out(field);
  std::replace(out.begin(), out.end(), '_', '-');
  return out;
}

std::optional<std::string> ref_field_type(std::string_view field) {
  if (!ends_with(field, "_refs") || ends_with(field, "_back_refs")) return std::nullopt;
  std::string type = type_from_field(field.substr(0, field.size() - 5));
  if (!is_vnc_type(type)) return std::nullopt;
  return type;
}

bool is_back_ref_field(std::string_view field) {
  return ends_with(field, "_back_refs") &&
         is_vnc_type(type_from_field(field.substr(0, field.size() - 10)));
}

bool is_children_field(std::string_view field) {
  return field.find('-') == std::string_view::npos && field.size() > 1 && field.back() == 's' &&
         is_vnc_type(type_from_field(field.substr(0, field.size() - 1)));
}

std::optional<std::vector<std::string>> schema_parents(std::string_view type) {
  using Parents = std::vector<std::string>;
  static const std::vector<std::pair<std::string, Parents>> kParents = {
      {"access-control-list", {"security-group", "virtual-network"}},
      {"alias-ip", {"alias-ip-pool"}},
      {"alias-ip-pool", {"virtual-network"}},
      {"bgp-router", {"routing-instance"}},
      {"config-node", {"global-system-config"}},
      {"domain", {}},
      {"floating-ip", {"floating-ip-pool", "instance-ip"}},
      {"floating-ip-pool", {"virtual-network"}},
      {"global-system-config", {}},
      {"global-vrouter-config", {"global-system-config"}},
      {"instance-ip", {}},
      {"interface-route-table", {"project"}},
      {"loadbalancer", {"project"}},
      {"loadbalancer-healthmonitor", {"project"}},
      {"loadbalancer-listener", {"project"}},
      {"loadbalancer-member", {"loadbalancer-pool"}},
      {"loadbalancer-pool", {"project"}},
      {"logical-router", {"project"}},
      {"network-ipam", {"project"}},
      {"network-policy", {"project"}},
      {"physical-router", {"global-system-config"}},
      {"port-tuple", {"service-instance"}},
      {"project", {"domain"}},
      {"route-table", {"project"}},
      {"route-target", {}},
      {"routing-instance", {"virtual-network"}},
      {"security-group", {"project"}},
      {"service-appliance", {"service-appliance-set"}},
      {"service-appliance-set", {"global-system-config"}},
      {"service-health-check", {"project"}},
      {"service-instance", {"project"}},
      {"service-template", {"domain"}},
      {"virtual-DNS", {"domain"}},
      {"virtual-DNS-record", {"virtual-DNS"}},
      {"virtual-ip", {"project"}},
      {"virtual-machine", {}},
      {"virtual-machine-interface", {"project", "virtual-machine", "virtual-router"}},
      {"virtual-network", {"project"}},
      {"virtual-router", {"global-system-config"}},
  };
  for (const auto& [t, parents] : kParents)
    if (t == type) return parents;
  return std::nullopt;
}

}  // namespace csim::controller
