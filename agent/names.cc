#include "agent/names.h"

#include <cctype>
#include <cstdint>
#include <cstdio>

namespace csim::agent {
namespace {

bool is_hex(char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; }
bool is_lower_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

bool is_uuid(const std::string& s) {
  if (s.size() != 36) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (s[i] != '-') return false;
    } else if (!is_hex(s[i])) {
      return false;
    }
  }
  return true;
}

bool is_dns_label(const std::string& s) {
  if (s.empty() || s.size() > 63) return false;
  for (char c : s) {
    if (!is_lower_alnum(c) && c != '-') return false;
  }
  return is_lower_alnum(s.front()) && is_lower_alnum(s.back());
}

bool is_dns_subdomain(const std::string& s) {
  if (s.empty() || s.size() > 253) return false;
  size_t start = 0;
  while (true) {
    size_t dot = s.find('.', start);
    std::string label = s.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    if (!is_dns_label(label)) return false;
    if (dot == std::string::npos) return true;
    start = dot + 1;
  }
}

bool is_mac(const std::string& s) {
  if (s.size() != 17) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    if (i % 3 == 2) {
      if (s[i] != ':') return false;
    } else if (!is_hex(s[i])) {
      return false;
    }
  }
  return true;
}

std::string short_hash(const std::string& s) {
  uint32_t h = 2166136261u;
  for (unsigned char c : s) {
    h ^= c;
    h *= 16777619u;
  }
  char buf[9];
  std::snprintf(buf, sizeof buf, "%08x", h);
  return buf;
}

std::string vrouter_netns_name(const std::string& node) {
  if (!is_dns_subdomain(node)) return "";
  std::string name = std::string(kNetnsPrefix) + "vr-" + node;
  if (name.size() > 100) name = name.substr(0, 91) + "-" + short_hash(node);
  return name;
}

std::string pod_netns_name(const std::string& kube_namespace, const std::string& pod) {
  if (!is_dns_label(kube_namespace) || !is_dns_subdomain(pod)) return "";
  // A namespace is a DNS label (no dots), so the first '.' separates it from the pod
  // name: distinct (namespace, name) pairs never give the same text.
  std::string name = std::string(kNetnsPrefix) + "pod-" + kube_namespace + "." + pod;
  if (name.size() > 60) name = name.substr(0, 51) + "-" + short_hash(kube_namespace + "/" + pod);
  return name;
}

std::string instance_netns_name(const std::string& vm_uuid, const std::string& lb_uuid) {
  if (!is_uuid(vm_uuid) || !is_uuid(lb_uuid)) return "";
  return std::string(kInstanceNetnsPrefix) + lower(vm_uuid) + ":" + lower(lb_uuid);
}

std::string fabric_port_name(const std::string& node) {
  if (!is_dns_subdomain(node)) return "";
  std::string name = "vr-" + node;
  if (name.size() > 15) name = "vr-" + short_hash(node);
  return name;
}

std::string pod_tap_name(const std::string& vmi_uuid) {
  if (!is_uuid(vmi_uuid)) return "";
  return ("tap" + lower(vmi_uuid)).substr(0, 14);
}

std::string instance_inside_name(const std::string& vmi_uuid) {
  if (!is_uuid(vmi_uuid)) return "";
  return ("gw-" + lower(vmi_uuid)).substr(0, 14);
}

std::string instance_vrouter_name(const std::string& vmi_uuid) {
  if (!is_uuid(vmi_uuid)) return "";
  return ("veth" + lower(vmi_uuid)).substr(0, 14);
}

std::string mac_from_iip_uuid(const std::string& iip_uuid) {
  if (!is_uuid(iip_uuid)) return "";
  std::string u = lower(iip_uuid);
  return "02:" + u.substr(0, 2) + ":" + u.substr(2, 2) + ":" + u.substr(4, 2) + ":" +
         u.substr(6, 2) + ":" + u.substr(9, 2);
}

}  // namespace csim::agent
