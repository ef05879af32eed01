// What every part of svc-monitor works with: the bus (for work records), the config API,
// the options, and small helpers to read VNC properties.
//
// Thread: svc-monitor's parts run on its strand only; Context itself holds references
// and is cheap to copy.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "controller/config_api.h"
#include "core/bus.h"
#include "core/clock.h"
#include "svcmon/haproxy_config.h"
#include "svcmon/name_index.h"

namespace csim::svcmon {

// The bus module name of svc-monitor (subscriptions, posts, work records).
inline constexpr const char* kModule = "svc-monitor";

// The provider names of loadbalancer_provider (§3.1).
inline constexpr const char* kProviderOpencontrail = "opencontrail";
inline constexpr const char* kProviderNative = "native";
// virtual_machine_interface_device_owner of kube-manager's VIP VMIs.
inline constexpr const char* kK8sDeviceOwner = "K8S:LOADBALANCER";

struct Context {
  core::Bus& bus;
  controller::ConfigApi& api;
  std::string state_dir;
  // The Ingress routing haproxy.conf is rendered with (SvcMonitorOptions::semantics).
  RoutingSemantics semantics = RoutingSemantics::kContrail;
  // svc-monitor's service-instances and floating-ips by name (SvcMonitor keeps it); null
  // makes the drivers list the whole type instead (same answer, O(all objects)).
  NameIndex* names = nullptr;

  core::Nanos now() const { return bus.clock().now(); }
  // Records finished work as a child span of the message being handled:
  // record("schedule", "scheduled X on node-1 (active, local-pref 200)", start).
  void record(const std::string& name, const std::string& summary, core::Nanos start) const;
};

// "a:b:c" (Contrail's fq_name string, e.g. for interface_list.virtual_network).
std::string fq_string(const controller::FqName& fq);

// props[key] as a string; "" when absent, null or not a string.
std::string string_prop(const nlohmann::json& props, const std::string& key);

// Whether `refs` holds a ref to uuid.
bool has_ref(const controller::ConfigObject& o, const std::string& uuid);

// A KeyValuePairs value ({"key_value_pair":[{key, value}]}) as ordered (key, value) pairs;
// non-string values are dumped as JSON text.
std::vector<std::pair<std::string, std::string>> key_values(const nlohmann::json& kvps);

// Removes an object; NotFound counts as done (someone else removed it first).
core::Status remove_if_present(controller::ConfigApi& api, const std::string& type,
                               const std::string& uuid);

}  // namespace csim::svcmon
