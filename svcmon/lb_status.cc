#include "svcmon/lb_status.h"

namespace csim::svcmon {

void to_json(nlohmann::json& j, const InstanceStatus& s) {
  j = {{"index", s.index},
       {"role", s.index == 0 ? "active" : "standby"},
       {"local_preference", s.local_preference},
       {"virtual_machine", s.vm_name},
       {"virtual_machine_uuid", s.vm_uuid},
       {"virtual_machine_interface_uuid", s.vmi_uuid},
       {"vrouter", s.vrouter.empty() ? nlohmann::json() : nlohmann::json(s.vrouter)}};
  if (!s.unscheduled_reason.empty()) j["unscheduled_reason"] = s.unscheduled_reason;
}

void to_json(nlohmann::json& j, const NativeFipStatus& s) {
  j = {{"uuid", s.uuid},
       {"address", s.address},
       {"vmis", s.vmis},
       {"port_mappings", s.port_mappings}};
}

void to_json(nlohmann::json& j, const LbStatus& s) {
  j = {{"uuid", s.uuid}, {"fq_name", s.fq_name}, {"provider", s.provider}, {"errors", s.errors}};
  if (s.provider == "opencontrail") {
    j["service_instance"] = {{"uuid", s.service_instance},
                             {"fq_name", s.service_instance_fq_name},
                             {"frontends", s.frontends},
                             {"backends", s.backends}};
    j["instances"] = s.instances;
  }
  if (s.provider == "native") j["floating_ips"] = s.native_fips;
}

}  // namespace csim::svcmon
