#include "agent/agent_view.h"

#include <algorithm>

#include "agent/json_util.h"
#include "agent/names.h"

namespace csim::agent {
namespace {

using nlohmann::json;

struct Obj {
  std::string type;
  std::string uuid;
  std::vector<std::string> fq_name;
  std::string parent_type;
  const json* props = nullptr;
  const json* refs = nullptr;

  std::string fq() const {
    std::string s;
    for (const auto& p : fq_name) s += (s.empty() ? "" : ":") + p;
    return s;
  }
  // Uuids (and attrs) of refs of one type.
  std::vector<std::pair<std::string, const json*>> refs_of(const std::string& t) const {
    std::vector<std::pair<std::string, const json*>> out;
    if (!refs || !refs->is_array()) return out;
    for (const auto& r : *refs) {
      if (str_field(r, "type") != t) continue;
      auto u = r.find("uuid");
      if (u == r.end() || !u->is_string()) continue;
      auto a = r.find("attr");
      out.emplace_back(u->get<std::string>(), a == r.end() ? nullptr : &*a);
    }
    return out;
  }
  std::string prop_string(const char* name) const {
    if (!props || !props->is_object()) return "";
    auto it = props->find(name);
    return it != props->end() && it->is_string() ? it->get<std::string>() : "";
  }
  const json* prop(const char* name) const {
    if (!props || !props->is_object()) return nullptr;
    auto it = props->find(name);
    return it == props->end() ? nullptr : &*it;
  }
};

struct Subnet {
  Ipv4Prefix prefix;
  std::optional<Ipv4> gateway;
};

// IpamSubnetType list -> subnets (gateway last-1 when absent, as the api-server fills it).
void add_subnets(const json* list, std::vector<Subnet>* out) {
  if (!list || !list->is_array()) return;
  for (const auto& s : *list) {
    if (!s.is_object()) continue;
    auto sub = s.find("subnet");
    if (sub == s.end() || !sub->is_object()) continue;
    auto ip = parse_ipv4(str_field(*sub, "ip_prefix"));
    auto len = sub->find("ip_prefix_len");
    if (!ip || len == sub->end() || !len->is_number_integer()) continue;
    int l = len->get<int>();
    if (l < 0 || l > 32) continue;
    Subnet n{Ipv4Prefix{*ip, l}.network(), std::nullopt};
    auto gw = s.find("default_gateway");
    if (gw != s.end() && gw->is_string()) {
      auto g = parse_ipv4(gw->get<std::string>());
      if (g && g->value != 0) n.gateway = g;
    }
    if (!n.gateway && l <= 30) {
      uint32_t broadcast = n.prefix.addr.value | (l == 0 ? ~0u : ~(~0u << (32 - l)));
      n.gateway = Ipv4{broadcast - 1};
    }
    out->push_back(n);
  }
}

}  // namespace

std::vector<const ViewInterface*> AgentView::interfaces_of(const std::string& vm_uuid) const {
  std::vector<const ViewInterface*> out;
  for (const auto& [u, i] : interfaces) {
    if (i.vm_uuid == vm_uuid) out.push_back(&i);
  }
  return out;
}

core::Result<AgentView> parse_agent_view(const json& body) {
  if (!body.is_object()) return core::invalid("view: not a JSON object");
  auto version = body.find("version");
  if (version == body.end() || !version->is_number_integer() || version->get<int64_t>() < 0) {
    return core::invalid("view: no version");
  }
  AgentView v;
  v.version = version->get<uint64_t>();
  v.node = str_field(body, "node");

  // Objects by type and uuid (the view lists them ordered by type, fq_name).
  std::map<std::string, Obj> objects;
  std::map<std::string, std::vector<std::string>> by_type;
  if (auto it = body.find("objects"); it != body.end() && it->is_array()) {
    for (const auto& o : *it) {
      if (!o.is_object()) continue;
      Obj x;
      x.type = str_field(o, "type");
      x.uuid = str_field(o, "uuid");
      if (!is_uuid(x.uuid)) {
        v.problems.push_back("object of type " + x.type + " with bad uuid '" + x.uuid +
                             "' ignored");
        continue;
      }
      if (auto fq = o.find("fq_name"); fq != o.end() && fq->is_array()) {
        for (const auto& p : *fq)
          x.fq_name.push_back(p.is_string() ? p.get<std::string>() : safe_dump(p));
      }
      x.parent_type = str_field(o, "parent_type");
      if (auto p = o.find("props"); p != o.end()) x.props = &*p;
      if (auto r = o.find("refs"); r != o.end()) x.refs = &*r;
      by_type[x.type].push_back(x.uuid);
      objects[x.uuid] = x;
    }
  }
  auto get = [&](const std::string& uuid, const char* type) -> const Obj* {
    auto it = objects.find(uuid);
    return it != objects.end() && it->second.type == type ? &it->second : nullptr;
  };

  for (const auto& u : by_type["virtual-machine"]) v.vms.insert(u);

  // Subnets per virtual-network: ref attrs (user-defined) and the ipams' own (flat).
  std::map<std::string, std::vector<Subnet>> subnets_of_vn;
  for (const auto& u : by_type["virtual-network"]) {
    const Obj& vn = objects[u];
    auto& subnets = subnets_of_vn[u];
    for (const auto& [ipam_uuid, attr] : vn.refs_of("network-ipam")) {
      if (attr && attr->is_object())
        add_subnets(attr->contains("ipam_subnets") ? &(*attr)["ipam_subnets"] : nullptr, &subnets);
      if (const Obj* ipam = get(ipam_uuid, "network-ipam")) {
        const json* is = ipam->prop("ipam_subnets");
        if (is && is->is_object() && is->contains("subnets"))
          add_subnets(&(*is)["subnets"], &subnets);
      }
    }
  }

  // Instance-ips per VMI (in view order).
  std::map<std::string, std::vector<const Obj*>> iips_of_vmi;
  for (const auto& u : by_type["instance-ip"]) {
    const Obj& iip = objects[u];
    for (const auto& [vmi, attr] : iip.refs_of("virtual-machine-interface"))
      iips_of_vmi[vmi].push_back(&iip);
  }

  for (const auto& u : by_type["virtual-machine-interface"]) {
    const Obj& o = objects[u];
    ViewInterface i;
    i.uuid = u;
    auto vms = o.refs_of("virtual-machine");
    if (vms.empty()) continue;  // not plugged into a VM of this node
    i.vm_uuid = vms.front().first;
    if (const json* p = o.prop("virtual_machine_interface_properties"); p && p->is_object()) {
      i.service_interface_type = str_field(*p, "service_interface_type");
    }
    if (const json* m = o.prop("virtual_machine_interface_mac_addresses"); m && m->is_object()) {
      auto list = m->find("mac_address");
      if (list != m->end() && list->is_array() && !list->empty() && (*list)[0].is_string()) {
        std::string mac = (*list)[0].get<std::string>();
        if (is_mac(mac)) {
          i.mac = mac;
        } else {
          v.problems.push_back("virtual-machine-interface " + u + ": bad MAC '" + mac +
                               "' ignored");
        }
      }
    }
    for (const Obj* iip : iips_of_vmi[u]) {
      const std::string text = iip->prop_string("instance_ip_address");
      auto ip = parse_ipv4(text);
      if (!ip) {
        if (!text.empty())
          v.problems.push_back("instance-ip " + iip->uuid + ": bad address '" + text + "'");
        continue;
      }
      i.ip = ip;
      i.iip_uuid = iip->uuid;
      break;
    }
    if (i.ip) {
      for (const auto& [vn, attr] : o.refs_of("virtual-network")) {
        for (const Subnet& s : subnets_of_vn[vn]) {
          if (s.prefix.contains(*i.ip)) {
            i.prefix_len = s.prefix.len;
            i.gateway = s.gateway;
            break;
          }
        }
        if (i.gateway) break;
      }
      if (i.gateway) v.gateways.insert(*i.gateway);
    }
    v.interfaces[u] = i;
  }

  // Service instances: one per (SI, VM of this node that refers to it).
  for (const auto& vm_uuid : by_type["virtual-machine"]) {
    const Obj& vm = objects[vm_uuid];
    for (const auto& [si_uuid, attr] : vm.refs_of("service-instance")) {
      const Obj* si = get(si_uuid, "service-instance");
      if (!si) continue;
      ViewServiceInstance s;
      s.si_uuid = si_uuid;
      s.si_name = si->fq();
      s.vm_uuid = vm_uuid;
      bool namespace_type = true;
      for (const auto& [st_uuid, a] : si->refs_of("service-template")) {
        const Obj* st = get(st_uuid, "service-template");
        const json* p = st ? st->prop("service_template_properties") : nullptr;
        if (p && p->is_object() && p->contains("service_virtualization_type")) {
          namespace_type = str_field(*p, "service_virtualization_type") == "network-namespace";
        }
      }
      if (!namespace_type) continue;  // the agent handles network-namespace SIs only
      if (const json* b = si->prop("service_instance_bindings"); b && b->is_object()) {
        auto kvps = b->find("key_value_pair");
        if (kvps != b->end() && kvps->is_array()) {
          for (const auto& kv : *kvps) {
            if (!kv.is_object()) continue;
            const json& val = kv.contains("value") ? kv["value"] : json();
            s.bindings.emplace_back(str_field(kv, "key"),
                                    val.is_string() ? val.get<std::string>() : safe_dump(val));
          }
        }
      }
      for (const auto& [k, val] : s.bindings) {
        if (k == "lb_uuid") s.lb_uuid = val;
        if (k == "haproxy_config") s.haproxy_config = val;
      }
      for (const ViewInterface* i : v.interfaces_of(vm_uuid)) {
        if (i->service_interface_type == "right") {
          s.right = *i;
          break;
        }
      }
      // Usable() (contrail-reference.md §4.2), plus a config to run.
      if (!s.right) {
        s.not_usable = "no right interface";
      } else if (!s.right->ip) {
        s.not_usable = "right interface " + s.right->uuid + " has no instance-ip";
      } else if (!s.right->gateway) {
        s.not_usable = "no subnet with a gateway for " + s.right->ip->str();
      } else if (s.lb_uuid.empty()) {
        s.not_usable = "no lb_uuid in the bindings";
      } else if (!is_uuid(s.lb_uuid)) {
        s.not_usable = "lb_uuid '" + s.lb_uuid + "' is not a uuid";
        v.problems.push_back("service-instance " + s.si_name + ": " + s.not_usable);
      } else if (s.haproxy_config.empty()) {
        s.not_usable = "no haproxy_config in the bindings yet";
      } else {
        s.usable = true;
      }
      v.service_instances.push_back(std::move(s));
    }
  }
  std::sort(v.service_instances.begin(), v.service_instances.end(),
            [](const auto& a, const auto& b) {
              return std::tie(a.si_uuid, a.vm_uuid) < std::tie(b.si_uuid, b.vm_uuid);
            });

  if (auto it = body.find("routes"); it != body.end() && it->is_array()) {
    for (const auto& r : *it) {
      if (!r.is_object()) continue;
      auto prefix = parse_ipv4_prefix(str_field(r, "prefix"));
      const json& nh = obj_field(r, "nexthop");
      if (!prefix) {
        v.problems.push_back("route " + safe_dump(r, 200) + " ignored: bad prefix or nexthop");
        continue;
      }
      ViewRoute route;
      route.prefix = prefix->network();
      route.local_pref = static_cast<int>(int_field(r, "local_pref", 100));
      const std::string type = str_field(nh, "type");
      if (type == "local") {
        route.local = true;
        route.vmi = str_field(nh, "vmi");
        if (!is_uuid(route.vmi)) {
          v.problems.push_back("route " + prefix->str() + ": bad vmi");
          continue;
        }
      } else if (type == "remote") {
        route.node = str_field(nh, "node");
        if (!is_dns_subdomain(route.node)) {
          v.problems.push_back("route " + prefix->str() + ": bad node '" + route.node + "'");
          continue;
        }
        route.underlay = parse_ipv4(str_field(nh, "underlay_ip"));
      } else {
        v.problems.push_back("route " + prefix->str() + ": unknown nexthop type '" + type + "'");
        continue;
      }
      v.routes.push_back(route);
    }
  }

  if (auto it = body.find("services"); it != body.end() && it->is_array()) {
    for (const auto& s : *it) {
      if (!s.is_object()) continue;
      ViewService svc;
      auto ip = parse_ipv4(str_field(s, "cluster_ip"));
      std::string proto = str_field(s, "protocol", "TCP");
      for (auto& c : proto) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      const int64_t port = int_field(s, "port", 0);
      if (!ip || (proto != "tcp" && proto != "udp") || port < 1 || port > 65535) {
        v.problems.push_back("service " + safe_dump(s, 200) +
                             " ignored: bad cluster_ip, protocol or port");
        continue;
      }
      svc.cluster_ip = *ip;
      svc.protocol = proto;
      svc.port = static_cast<int>(port);
      for (const auto& b : arr_field(s, "backends")) {
        if (!b.is_object()) continue;
        auto bip = parse_ipv4(str_field(b, "ip"));
        const int64_t bport = int_field(b, "port", 0);
        if (!bip || bport < 1 || bport > 65535) {
          v.problems.push_back("service " + ip->str() + ":" + std::to_string(port) +
                               ": bad backend " + safe_dump(b, 200));
          continue;
        }
        svc.backends.emplace_back(*bip, static_cast<int>(bport));
      }
      v.services.push_back(std::move(svc));
    }
  }

  if (auto it = body.find("floating_ips"); it != body.end() && it->is_array()) {
    for (const auto& f : *it) {
      if (!f.is_object()) continue;
      auto fip = parse_ipv4(str_field(f, "fip"));
      auto fixed = parse_ipv4(str_field(f, "fixed_ip"));
      if (!fip || !fixed) {
        v.problems.push_back("floating ip " + safe_dump(f, 200) + " ignored: bad address");
        continue;
      }
      v.floating_ips.push_back({*fip, *fixed, str_field(f, "vmi")});
    }
  }
  return v;
}

}  // namespace csim::agent
