// What svc-monitor last found and did for one loadbalancer: the service-instance, its
// two instances and where they run, the native floating-ips, and the errors. Filled in by
// each reconcile, shown by introspection (`csim` CLI) as JSON.
//
// Plain data; SvcMonitor guards its copies with a mutex.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "controller/config_api.h"

namespace csim::svcmon {

// One network-namespace instance of an opencontrail loadbalancer (§3.6).
struct InstanceStatus {
  int index = 0;        // 0 = active (local-pref 200), 1 = standby (100)
  std::string vm_name;  // "<domain>__<project>__<lb-uuid>__<index+1>"
  std::string vm_uuid;
  std::string vmi_uuid;  // its "right" VMI
  int local_preference = 0;
  std::string vrouter;             // node name, "" while unscheduled
  std::string unscheduled_reason;  // why it has no vrouter ("" when scheduled)
  // This reconcile placed it, took it off a vrouter, or newly failed to place it (the
  // scheduler's work, as opposed to a placement found already made, e.g. after a restart).
  bool placement_changed = false;
};

// One clusterIP floating-ip of a native loadbalancer (§2.5).
struct NativeFipStatus {
  std::string uuid;
  std::string address;
  std::vector<std::string> vmis;  // member pod VMIs it is attached to
  nlohmann::json port_mappings;   // [{protocol, src_port, dst_port}]
};

struct LbStatus {
  std::string uuid;
  controller::FqName fq_name;
  std::string provider;          // "opencontrail", "native", or "" when deleted
  std::string service_instance;  // uuid, opencontrail only
  controller::FqName service_instance_fq_name;
  int frontends = 0;  // of the stored haproxy config
  int backends = 0;
  std::vector<InstanceStatus> instances;
  std::vector<NativeFipStatus> native_fips;
  std::vector<std::string> errors;  // of the last reconcile
};

void to_json(nlohmann::json& j, const InstanceStatus& s);
void to_json(nlohmann::json& j, const NativeFipStatus& s);
void to_json(nlohmann::json& j, const LbStatus& s);

}  // namespace csim::svcmon
