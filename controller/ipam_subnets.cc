#include "controller/ipam_subnets.h"

#include <set>

namespace csim::controller {
namespace {

const nlohmann::json& null_json() {
  static const nlohmann::json kNull;
  return kNull;
}

// An optional address field: absent -> fill, "0.0.0.0" -> none, else inside the subnet.
core::Status complete_address(nlohmann::json& entry, const char* field, Ipv4 fill,
                              const Ipv4Prefix& prefix, const std::string& where) {
  auto it = entry.find(field);
  if (it == entry.end() || it->is_null()) {
    entry[field] = format_ipv4(fill);
    return core::Status::ok();
  }
  if (!it->is_string()) return core::invalid(where + "." + field + ": must be a string");
  auto a = parse_ipv4(it->get<std::string>());
  if (!a.is_ok()) return core::invalid(where + "." + field + ": " + a.status().message());
  if (*a != 0 && !prefix.contains(*a))
    return core::invalid(where + "." + field + ": " + format_ipv4(*a) + " is not in " +
                         prefix.to_string());
  return core::Status::ok();
}

core::Result<Ipv4Prefix> entry_prefix(const nlohmann::json& entry, const std::string& where) {
  if (!entry.is_object()) return core::invalid(where + ": must be an object");
  auto subnet = entry.find("subnet");
  if (subnet == entry.end() || !subnet->is_object())
    return core::invalid(where + ".subnet: missing (want {ip_prefix, ip_prefix_len})");
  auto ip = subnet->find("ip_prefix");
  if (ip == subnet->end() || !ip->is_string())
    return core::invalid(where + ".subnet.ip_prefix: missing or not a string");
  auto len = subnet->find("ip_prefix_len");
  if (len == subnet->end() || !len->is_number_integer())
    return core::invalid(where + ".subnet.ip_prefix_len: missing or not an integer");
  auto address = parse_ipv4(ip->get<std::string>());
  if (!address.is_ok())
    return core::invalid(where + ".subnet.ip_prefix: " + address.status().message());
  int64_t l = len->get<int64_t>();
  if (l < 0 || l > 30)
    return core::invalid(where + ".subnet.ip_prefix_len: " + std::to_string(l) +
                         " must be 0..30 (a subnet needs host addresses)");
  auto prefix = make_prefix(*address, static_cast<int>(l));
  if (!prefix.is_ok()) return core::invalid(where + ".subnet: " + prefix.status().message());
  return prefix;
}

}  // namespace

core::Status complete_subnets(nlohmann::json& list, const nlohmann::json& previous,
                              const std::string& where,
                              const std::function<std::string()>& make_uuid) {
  if (list.is_null()) return core::Status::ok();
  if (!list.is_array()) return core::invalid(where + ": must be a list");
  std::set<std::string> seen;
  for (size_t i = 0; i < list.size(); ++i) {
    const std::string at = where + "[" + std::to_string(i) + "]";
    nlohmann::json& entry = list[i];
    auto prefix = entry_prefix(entry, at);
    if (!prefix.is_ok()) return prefix.status();
    const std::string text = prefix->to_string();
    if (!seen.insert(text).second)
      return core::invalid(at + ".subnet: " + text + " is listed twice");
    if (auto s = complete_address(entry, "default_gateway", default_gateway(*prefix), *prefix, at);
        !s)
      return s;
    if (auto s =
            complete_address(entry, "dns_server_address", default_dns_server(*prefix), *prefix, at);
        !s)
      return s;
    auto su = entry.find("subnet_uuid");
    if (su != entry.end() && !su->is_null() && !su->is_string())
      return core::invalid(at + ".subnet_uuid: must be a string");
    if (su == entry.end() || su->is_null() || su->get<std::string>().empty()) {
      std::string kept;
      if (previous.is_array()) {
        for (const auto& old : previous) {
          auto p = entry_prefix(old, at);
          if (p.is_ok() && *p == *prefix) {
            kept = old.value("subnet_uuid", "");
            break;
          }
        }
      }
      entry["subnet_uuid"] = kept.empty() ? make_uuid() : kept;
    }
  }
  return core::Status::ok();
}

std::vector<IpamSubnet> parse_subnets(const nlohmann::json& list) {
  std::vector<IpamSubnet> out;
  if (!list.is_array()) return out;
  for (const auto& entry : list) {
    auto prefix = entry_prefix(entry, "");
    if (!prefix.is_ok()) continue;
    IpamSubnet s;
    s.prefix = *prefix;
    auto address = [&](const char* field, Ipv4 fallback) -> Ipv4 {
      auto it = entry.find(field);
      if (it == entry.end() || !it->is_string()) return fallback;
      auto a = parse_ipv4(it->get<std::string>());
      return a.is_ok() ? *a : fallback;
    };
    s.gateway = address("default_gateway", default_gateway(*prefix));
    s.dns = address("dns_server_address", default_dns_server(*prefix));
    auto su = entry.find("subnet_uuid");
    if (su != entry.end() && su->is_string()) s.subnet_uuid = su->get<std::string>();
    out.push_back(std::move(s));
  }
  return out;
}

const nlohmann::json& ipam_subnet_list(const nlohmann::json& ipam_props) {
  if (!ipam_props.is_object()) return null_json();
  auto it = ipam_props.find("ipam_subnets");
  if (it == ipam_props.end() || !it->is_object()) return null_json();
  auto list = it->find("subnets");
  return list == it->end() ? null_json() : *list;
}

const nlohmann::json& ref_subnet_list(const nlohmann::json& attr) {
  if (!attr.is_object()) return null_json();
  auto it = attr.find("ipam_subnets");
  return it == attr.end() ? null_json() : *it;
}

}  // namespace csim::controller
