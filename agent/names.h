// Names the data plane gives to namespaces and devices, and the checks that keep
// untrusted strings out of them.
//
// Every namespace csim makes has a predictable name with a fixed prefix, so a sweeper
// (and a human with `ls /run/netns`) can tell what it is:
//   csim-gw                       the gateway (underlay bridge, public side)
//   csim-ext                      the external client
//   csim-vr-<node>                a compute node's vrouter
//   csim-pod-<ns>.<name>          a pod (cut to 60 chars + hash when longer)
//   vrouter-<vm-uuid>:<lb-uuid>   a haproxy instance, named as Contrail names it
// Device names fit in 15 characters (IFNAMSIZ - 1). Only validated strings (DNS labels,
// uuids) reach these functions; they return "" for anything else.
// Pure functions, any thread.
#pragma once

#include <string>

namespace csim::agent {

// 8-4-4-4-12 hex digits (either case).
bool is_uuid(const std::string& s);
// RFC 1123 label: 1..63 of [a-z0-9-], starting and ending alphanumeric.
bool is_dns_label(const std::string& s);
// RFC 1123 subdomain: 1..253 chars, dot-separated labels.
bool is_dns_subdomain(const std::string& s);
// "02:ab:cd:ef:01:23" (hex, either case).
bool is_mac(const std::string& s);

// 8 hex digits of FNV-1a over s: short, stable across runs.
std::string short_hash(const std::string& s);

inline constexpr const char* kNetnsPrefix = "csim-";
inline constexpr const char* kGatewayNetns = "csim-gw";
inline constexpr const char* kExternalNetns = "csim-ext";
inline constexpr const char* kInstanceNetnsPrefix = "vrouter-";  // Contrail's NETNS_PREFIX

std::string vrouter_netns_name(const std::string& node);
std::string pod_netns_name(const std::string& kube_namespace, const std::string& pod);
std::string instance_netns_name(const std::string& vm_uuid, const std::string& lb_uuid);

// Gateway-side port of a node's fabric veth: "vr-<node>" or "vr-<hash>" when too long.
std::string fabric_port_name(const std::string& node);
// Vrouter-side device of a pod's VMI: "tap" + 11 chars of the VMI uuid (like the vrouter).
std::string pod_tap_name(const std::string& vmi_uuid);
// Devices of a haproxy instance, as the netns script names them: inside "gw-<uuid>"[:14],
// vrouter side "veth<uuid>"[:14].
std::string instance_inside_name(const std::string& vmi_uuid);
std::string instance_vrouter_name(const std::string& vmi_uuid);

// Contrail's netns MAC from an instance-ip uuid: 02:<uuid[0:2]>:[2:4]:[4:6]:[6:8]:[9:11].
std::string mac_from_iip_uuid(const std::string& iip_uuid);

}  // namespace csim::agent
