#include "controller/agent_views.h"

#include <algorithm>
#include <set>
#include <tuple>

#include "controller/ipam.h"

namespace csim::controller {
namespace {

using nlohmann::json;

constexpr int kDefaultLocalPreference = 100;

// The config graph, read once, with the back-ref indexes the walk needs.
struct Graph {
  std::map<std::string, ConfigObject> objects;                  // uuid -> object
  std::map<std::string, std::string> vr_of_node;                // node -> VR uuid
  std::map<std::string, std::vector<std::string>> nodes_of_vm;  // VM uuid -> nodes (VR names)
  std::map<std::string, std::vector<std::string>> vmis_of_vm;   // VM uuid -> VMI uuids
  std::map<std::string, std::vector<std::string>> iips_of_vmi;  // VMI uuid -> instance-ip uuids
  std::map<std::string, std::vector<std::string>> fips_of_vmi;  // VMI uuid -> floating-ip uuids
  std::vector<std::string> fips;                                // every floating-ip, by fq_name

  const ConfigObject* get(const std::string& uuid) const {
    auto it = objects.find(uuid);
    return it == objects.end() ? nullptr : &it->second;
  }
};

const std::vector<std::string>& lookup(const std::map<std::string, std::vector<std::string>>& m,
                                       const std::string& key) {
  static const std::vector<std::string> kNone;
  auto it = m.find(key);
  return it == m.end() ? kNone : it->second;
}

Graph read_graph(const ConfigApi& api) {
  Graph g;
  for (const char* type : {"virtual-router", "virtual-machine", "service-instance",
                           "service-template", "virtual-machine-interface", "instance-ip",
                           "floating-ip", "virtual-network", "network-ipam"}) {
    for (auto& o : api.list(type)) {
      const std::string type_name = o.type;
      const std::string uuid = o.uuid;
      if (type_name == "virtual-router") {
        g.vr_of_node.emplace(o.name(), uuid);
        for (const auto& vm : o.ref_uuids("virtual-machine")) g.nodes_of_vm[vm].push_back(o.name());
      } else if (type_name == "virtual-machine-interface") {
        for (const auto& vm : o.ref_uuids("virtual-machine")) g.vmis_of_vm[vm].push_back(uuid);
      } else if (type_name == "instance-ip") {
        for (const auto& vmi : o.ref_uuids("virtual-machine-interface"))
          g.iips_of_vmi[vmi].push_back(uuid);
      } else if (type_name == "floating-ip") {
        for (const auto& vmi : o.ref_uuids("virtual-machine-interface"))
          g.fips_of_vmi[vmi].push_back(uuid);
        g.fips.push_back(uuid);
      }
      g.objects.emplace(uuid, std::move(o));
    }
  }
  for (auto& [vm, nodes] : g.nodes_of_vm) {
    std::sort(nodes.begin(), nodes.end());
    nodes.erase(std::unique(nodes.begin(), nodes.end()), nodes.end());
  }
  return g;
}

std::string string_prop(const json& props, const char* field) {
  auto it = props.find(field);
  return it != props.end() && it->is_string() ? it->get<std::string>() : "";
}

std::optional<Ipv4> address_prop(const ConfigObject& o, const char* field) {
  auto a = parse_ipv4(string_prop(o.props, field));
  if (!a.is_ok()) return std::nullopt;
  return *a;
}

int local_preference(const ConfigObject& vmi) {
  auto it = vmi.props.find("virtual_machine_interface_properties");
  if (it == vmi.props.end() || !it->is_object()) return kDefaultLocalPreference;
  auto lp = it->find("local_preference");
  if (lp == it->end() || !lp->is_number_integer() || lp->get<int64_t>() <= 0)
    return kDefaultLocalPreference;
  return static_cast<int>(lp->get<int64_t>());
}

// Nodes hosting a VMI: those whose virtual-router refers to the VMI's VM.
std::vector<std::string> nodes_of_vmi(const Graph& g, const ConfigObject& vmi) {
  std::vector<std::string> out;
  for (const auto& vm : vmi.ref_uuids("virtual-machine"))
    for (const auto& n : lookup(g.nodes_of_vm, vm)) out.push_back(n);
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

struct Path {
  int local_pref = 0;
  std::string node;
  std::string vmi;
};

// Better path first: higher local_pref, then lower node name, then lower VMI uuid.
bool better(const Path& a, const Path& b) {
  return std::make_tuple(-a.local_pref, a.node, a.vmi) <
         std::make_tuple(-b.local_pref, b.node, b.vmi);
}

std::string prefix32(Ipv4 a) { return format_ipv4(a) + "/32"; }

// Paths of every live-hosted VMI in `vmis`.
std::vector<Path> live_paths(const Graph& g, const std::vector<std::string>& vmis,
                             const LiveAgents& live) {
  std::vector<Path> out;
  for (const auto& vu : vmis) {
    const ConfigObject* vmi = g.get(vu);
    if (!vmi || vmi->type != "virtual-machine-interface") continue;
    for (const auto& node : nodes_of_vmi(g, *vmi))
      if (live.count(node)) out.push_back({local_preference(*vmi), node, vu});
  }
  return out;
}

// The objects a node's virtual-router reaches (contrail-reference.md §4.1).
json walk(const Graph& g, const std::string& node) {
  std::set<std::string> seen;
  auto add = [&](const std::string& uuid) { return g.get(uuid) && seen.insert(uuid).second; };
  auto vr_it = g.vr_of_node.find(node);
  if (vr_it != g.vr_of_node.end() && add(vr_it->second)) {
    const ConfigObject& vr = *g.get(vr_it->second);
    for (const auto& vm_uuid : vr.ref_uuids("virtual-machine")) {
      if (!add(vm_uuid)) continue;
      const ConfigObject& vm = *g.get(vm_uuid);
      for (const auto& si_uuid : vm.ref_uuids("service-instance")) {
        if (!add(si_uuid)) continue;
        for (const auto& st : g.get(si_uuid)->ref_uuids("service-template")) add(st);
      }
      for (const auto& vmi_uuid : lookup(g.vmis_of_vm, vm_uuid)) {
        if (!add(vmi_uuid)) continue;
        for (const auto& iip : lookup(g.iips_of_vmi, vmi_uuid)) add(iip);
        for (const auto& fip : lookup(g.fips_of_vmi, vmi_uuid)) add(fip);
        for (const auto& vn_uuid : g.get(vmi_uuid)->ref_uuids("virtual-network")) {
          if (!add(vn_uuid)) continue;
          for (const auto& ipam : g.get(vn_uuid)->ref_uuids("network-ipam")) add(ipam);
        }
      }
    }
  }
  std::vector<const ConfigObject*> objs;
  for (const auto& u : seen) objs.push_back(g.get(u));
  std::sort(objs.begin(), objs.end(), [](const ConfigObject* a, const ConfigObject* b) {
    return std::tie(a->type, a->fq_name, a->uuid) < std::tie(b->type, b->fq_name, b->uuid);
  });
  json out = json::array();
  for (const auto* o : objs) out.push_back(*o);
  return out;
}

std::string underlay_of(const Graph& g, const LiveAgents& live, const std::string& node) {
  auto it = live.find(node);
  if (it != live.end() && !it->second.empty()) return it->second;
  auto vr = g.vr_of_node.find(node);
  if (vr == g.vr_of_node.end()) return "";
  return string_prop(g.get(vr->second)->props, "virtual_router_ip_address");
}

// The first instance-ip address of a VMI (instance-ips ordered by fq_name).
std::optional<Ipv4> fixed_ip_of(const Graph& g, const std::string& vmi) {
  for (const auto& iu : lookup(g.iips_of_vmi, vmi))
    if (auto a = address_prop(*g.get(iu), "instance_ip_address")) return a;
  return std::nullopt;
}

json services(const Graph& g, const LiveAgents& live) {
  // (cluster ip, protocol, port) -> backends (ip, port)
  std::map<std::tuple<Ipv4, std::string, int64_t>, std::set<std::pair<Ipv4, int64_t>>> table;
  for (const auto& fu : g.fips) {
    const ConfigObject& fip = *g.get(fu);
    if (fip.parent_type != "instance-ip") continue;
    auto cluster_ip = address_prop(fip, "floating_ip_address");
    if (!cluster_ip) {
      const ConfigObject* parent = g.get(fip.parent_uuid);
      if (parent) cluster_ip = address_prop(*parent, "instance_ip_address");
    }
    if (!cluster_ip) continue;
    auto pm = fip.props.find("floating_ip_port_mappings");
    if (pm == fip.props.end() || !pm->is_object()) continue;
    auto list = pm->find("port_mappings");
    if (list == pm->end() || !list->is_array()) continue;
    std::set<Ipv4> backends;
    for (const auto& path : live_paths(g, fip.ref_uuids("virtual-machine-interface"), live))
      if (auto a = fixed_ip_of(g, path.vmi)) backends.insert(*a);
    for (const auto& m : *list) {
      if (!m.is_object()) continue;
      const std::string protocol = m.value("protocol", std::string("TCP"));
      auto src = m.find("src_port");
      auto dst = m.find("dst_port");
      if (src == m.end() || dst == m.end() || !src->is_number_integer() ||
          !dst->is_number_integer())
        continue;
      auto& entry = table[{*cluster_ip, protocol, src->get<int64_t>()}];
      for (Ipv4 b : backends) entry.insert({b, dst->get<int64_t>()});
    }
  }
  json out = json::array();
  for (const auto& [key, backends] : table) {
    if (backends.empty()) continue;
    json list = json::array();
    for (const auto& [ip, port] : backends)
      list.push_back({{"ip", format_ipv4(ip)}, {"port", port}});
    out.push_back({{"cluster_ip", format_ipv4(std::get<0>(key))},
                   {"protocol", std::get<1>(key)},
                   {"port", std::get<2>(key)},
                   {"backends", std::move(list)}});
  }
  return out;
}

}  // namespace

AgentViews compute_agent_views(const ConfigApi& api, const LiveAgents& live) {
  const Graph g = read_graph(api);
  AgentViews out;

  // Best path per instance-ip prefix over the live nodes.
  std::map<Ipv4, Path> best;
  for (const auto& [uuid, o] : g.objects) {
    if (o.type != "instance-ip") continue;
    auto a = address_prop(o, "instance_ip_address");
    if (!a) continue;
    for (const auto& p : live_paths(g, o.ref_uuids("virtual-machine-interface"), live)) {
      auto it = best.find(*a);
      if (it == best.end() || better(p, it->second)) best[*a] = p;
    }
  }

  const json svc = services(g, live);

  // Public floating-ips: per-node NAT entries and the gateway's best path.
  std::map<std::string, std::set<std::tuple<Ipv4, std::string, Ipv4>>>
      nat;  // node -> (fip, vmi, fixed)
  std::map<Ipv4, Path> gateway;
  for (const auto& fu : g.fips) {
    const ConfigObject& fip = *g.get(fu);
    if (fip.parent_type != "floating-ip-pool") continue;
    auto address = address_prop(fip, "floating_ip_address");
    if (!address) continue;
    auto fixed_prop = address_prop(fip, "floating_ip_fixed_ip_address");
    for (const auto& p : live_paths(g, fip.ref_uuids("virtual-machine-interface"), live)) {
      auto fixed = fixed_prop ? fixed_prop : fixed_ip_of(g, p.vmi);
      if (fixed) nat[p.node].insert({*address, p.vmi, *fixed});
      auto it = gateway.find(*address);
      if (it == gateway.end() || better(p, it->second)) gateway[*address] = p;
    }
  }
  for (const auto& [a, p] : gateway)
    out.gateway_routes.push_back({{"prefix", prefix32(a)},
                                  {"node", p.node},
                                  {"local_pref", p.local_pref},
                                  {"underlay_ip", underlay_of(g, live, p.node)}});

  for (const auto& [node, underlay] : live) {
    json routes = json::array();
    for (const auto& [a, p] : best) {
      json nexthop = p.node == node ? json{{"type", "local"}, {"vmi", p.vmi}}
                                    : json{{"type", "remote"},
                                           {"node", p.node},
                                           {"underlay_ip", underlay_of(g, live, p.node)}};
      routes.push_back(
          {{"prefix", prefix32(a)}, {"nexthop", std::move(nexthop)}, {"local_pref", p.local_pref}});
    }
    json fips = json::array();
    for (const auto& [fip, vmi, fixed] : nat[node])
      fips.push_back({{"fip", format_ipv4(fip)}, {"fixed_ip", format_ipv4(fixed)}, {"vmi", vmi}});
    out.nodes[node] = {{"objects", walk(g, node)},
                       {"routes", std::move(routes)},
                       {"services", svc},
                       {"floating_ips", std::move(fips)}};
  }
  return out;
}

}  // namespace csim::controller
