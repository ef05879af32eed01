#include "controller/agent_views.h"

#include <algorithm>
#include <set>
#include <tuple>
#include <unordered_map>
#include <utility>

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

const std::vector<std::string>& walked_type_list() {
  static const std::vector<std::string> kTypes = {
      "virtual-router",   "virtual-machine",           "service-instance",
      "service-template", "virtual-machine-interface", "instance-ip",
      "floating-ip",      "virtual-network",           "network-ipam"};
  return kTypes;
}

Graph read_graph(const ConfigApi& api) {
  Graph g;
  for (const auto& type : walked_type_list()) {
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
      g.objects.emplace(uuid, agent_projection(std::move(o)));
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

// A port mapping's protocol: "TCP" when absent, nullopt (the mapping is skipped) when it
// is not a string.
std::optional<std::string> mapping_protocol(const json& mapping) {
  auto it = mapping.find("protocol");
  if (it == mapping.end()) return std::string("TCP");
  if (!it->is_string()) return std::nullopt;
  return it->get<std::string>();
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
      auto protocol = mapping_protocol(m);
      if (!protocol) continue;
      auto src = m.find("src_port");
      auto dst = m.find("dst_port");
      if (src == m.end() || dst == m.end() || !src->is_number_integer() ||
          !dst->is_number_integer())
        continue;
      auto& entry = table[{*cluster_ip, *protocol, src->get<int64_t>()}];
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

// ---- AgentViewsIndex ------------------------------------------------------------------

const std::set<std::string>& walked_types() {
  static const std::set<std::string> kTypes(walked_type_list().begin(), walked_type_list().end());
  return kTypes;
}

namespace {

const char kVirtualRouter[] = "virtual-router";
const char kVirtualMachine[] = "virtual-machine";
const char kServiceInstance[] = "service-instance";
const char kServiceTemplate[] = "service-template";
const char kVmi[] = "virtual-machine-interface";
const char kInstanceIp[] = "instance-ip";
const char kFloatingIp[] = "floating-ip";
const char kVirtualNetwork[] = "virtual-network";
const char kNetworkIpam[] = "network-ipam";

bool same_path(const Path& a, const Path& b) {
  return a.local_pref == b.local_pref && a.node == b.node && a.vmi == b.vmi;
}

using SvcKey = std::tuple<Ipv4, std::string, int64_t>;  // cluster ip, protocol, port
using Backend = std::pair<Ipv4, int64_t>;               // ip, port
using NatEntry = std::tuple<Ipv4, std::string, Ipv4>;   // fip, vmi, fixed ip
using FqKey = std::pair<FqName, std::string>;           // fq_name, uuid: list()'s order

// Adds (+1) or removes (-1) one reference to `value` in a refcounted set; true when the
// value appeared or disappeared.
template <class K>
bool count(std::map<K, int>& m, const K& value, int delta) {
  int& n = m[value];
  n += delta;
  if (n > 0) return n == delta;  // 0 -> delta when it just appeared
  m.erase(value);
  return true;
}

template <class M, class K, class V>
void index_add(M& m, const K& key, const V& value) {
  m[key].insert(value);
}

template <class M, class K, class V>
void index_remove(M& m, const K& key, const V& value) {
  auto it = m.find(key);
  if (it == m.end()) return;
  it->second.erase(value);
  if (it->second.empty()) m.erase(it);
}

template <class M, class K>
const typename M::mapped_type& find_or_empty(const M& m, const K& key) {
  static const typename M::mapped_type kNone;
  auto it = m.find(key);
  return it == m.end() ? kNone : it->second;
}

}  // namespace

struct AgentViewsIndex::State {
  struct Entry {
    // Immutable once made: the control-node keeps the very objects it sent (a change
    // makes a new one), so the mirror and what agents were sent share their memory.
    std::shared_ptr<const ConfigObject> object;  // its JSON is made when a view is
  };
  // One live node's walk, kept by reference counts over the walk's edges, which form a
  // DAG by type (VR -> VM -> SI -> ST, VM -> VMI -> instance-ip / floating-ip / VN -> ipam):
  // an object is reached when it exists and is the node's virtual-router or has a reached
  // parent. A change reaches or unreaches only the subtree it adds or cuts.
  using ObjectKey = std::tuple<std::string, FqName, std::string>;  // type, fq_name, uuid
  struct Walk {
    std::string root;                            // the node's virtual-router ("" none)
    std::unordered_map<std::string, int> count;  // uuid -> edges from reached parents
    std::set<ObjectKey> reached;                 // in view order
    bool changed = false;                        // since the last update()
  };
  // What one floating-ip contributes to the derived tables (compared before applying).
  struct FipPart {
    std::vector<std::pair<SvcKey, Backend>> services;
    std::vector<std::pair<std::string, NatEntry>> nat;  // node -> entry
    std::optional<std::pair<Ipv4, Path>> gateway;       // address -> its best live path
    bool operator==(const FipPart& o) const {
      return services == o.services && nat == o.nat &&
             gateway.has_value() == o.gateway.has_value() &&
             (!gateway || (gateway->first == o.gateway->first &&
                           same_path(gateway->second, o.gateway->second)));
    }
  };

  // The mirror and its indexes.
  std::map<std::string, Entry> objects;                           // uuid -> object
  std::map<std::string, std::set<FqKey>> vrs_by_name;             // node -> VRs named so
  std::map<std::string, std::map<std::string, int>> nodes_of_vm;  // VM -> node -> refs
  std::map<std::string, std::set<std::string>> vmis_of_vm;        // VM -> VMIs
  std::map<std::string, std::set<FqKey>> iips_of_vmi;             // VMI -> instance-ips
  std::map<std::string, std::set<std::string>> fips_of_vmi;       // VMI -> floating-ips
  std::map<Ipv4, std::set<std::string>> iips_by_address;          // address -> instance-ips
  std::map<std::string, std::set<std::string>> fips_of_parent;    // instance-ip -> its FIPs
  LiveAgents live;
  bool live_known = false;

  // Invalidated since the last update().
  bool all_dirty = true;
  bool underlay_dirty = false;
  std::set<Ipv4> dirty_prefixes;
  std::set<std::string> dirty_fips, dirty_vms, dirty_vmis, dirty_fixed_vmis;

  // Derived.
  std::map<Ipv4, Path> best;                                  // per instance-ip prefix
  std::map<SvcKey, std::map<Backend, int>> services;          // refcounted backends
  std::map<std::string, std::map<NatEntry, int>> nat;         // node -> refcounted entries
  std::map<Ipv4, std::map<std::string, Path>> gateway_paths;  // address -> fip -> path
  std::map<Ipv4, Path> gateway;                               // address -> best path
  std::map<std::string, FipPart> fip_parts;                   // fip -> its contribution
  std::map<std::string, Walk> walks;                          // live node -> its walk (once built)
  json services_json = json::array();
  bool services_json_dirty = true;
  json gateway_json = json::array();
  bool gateway_json_dirty = true;
  Stats stats;
  size_t walk_changes = 0;  // since the last update() (apply() moves walks)

  const ConfigObject* get(const std::string& uuid) const {
    auto it = objects.find(uuid);
    return it == objects.end() ? nullptr : it->second.object.get();
  }

  const std::string* vr_of_node(const std::string& node) const {
    auto it = vrs_by_name.find(node);
    return it == vrs_by_name.end() ? nullptr : &it->second.begin()->second;
  }

  // The address a node's virtual-router declares ("" without one).
  std::string vr_address(const std::string& node) const {
    const std::string* vr = vr_of_node(node);
    if (!vr) return "";
    const ConfigObject* o = get(*vr);
    return o ? string_prop(o->props, "virtual_router_ip_address") : "";
  }

  std::string underlay_of(const std::string& node) const {
    auto it = live.find(node);
    if (it != live.end() && !it->second.empty()) return it->second;
    return vr_address(node);
  }

  std::vector<std::string> nodes_of_vmi(const ConfigObject& vmi) const {
    std::vector<std::string> out;
    for (const auto& vm : vmi.ref_uuids(kVirtualMachine))
      for (const auto& [node, n] : find_or_empty(nodes_of_vm, vm)) out.push_back(node);
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
  }

  std::vector<Path> live_paths(const std::vector<std::string>& vmis) const {
    std::vector<Path> out;
    for (const auto& vu : vmis) {
      const ConfigObject* vmi = get(vu);
      if (!vmi || vmi->type != kVmi) continue;
      for (const auto& node : nodes_of_vmi(*vmi))
        if (live.count(node)) out.push_back({local_preference(*vmi), node, vu});
    }
    return out;
  }

  std::optional<Ipv4> fixed_ip_of(const std::string& vmi) const {
    for (const auto& [fq, iu] : find_or_empty(iips_of_vmi, vmi))
      if (const ConfigObject* iip = get(iu))
        if (auto a = address_prop(*iip, "instance_ip_address")) return a;
    return std::nullopt;
  }

  // ---- mirror maintenance ----

  // Drops (sign -1) or adds (+1) an object's entries in the indexes (apply() marks what
  // the change invalidates).
  void index(const ConfigObject& o, int sign) {
    const bool add = sign > 0;
    if (o.type == kVirtualRouter) {
      const FqKey key{o.fq_name, o.uuid};
      if (add)
        index_add(vrs_by_name, o.name(), key);
      else
        index_remove(vrs_by_name, o.name(), key);
      for (const auto& vm : o.ref_uuids(kVirtualMachine)) {
        auto& nodes = nodes_of_vm[vm];
        count(nodes, o.name(), sign);
        if (nodes.empty()) nodes_of_vm.erase(vm);
      }
    } else if (o.type == kVmi) {
      for (const auto& vm : o.ref_uuids(kVirtualMachine)) {
        if (add)
          index_add(vmis_of_vm, vm, o.uuid);
        else
          index_remove(vmis_of_vm, vm, o.uuid);
      }
    } else if (o.type == kInstanceIp) {
      const FqKey key{o.fq_name, o.uuid};
      for (const auto& vmi : o.ref_uuids(kVmi)) {
        if (add)
          index_add(iips_of_vmi, vmi, key);
        else
          index_remove(iips_of_vmi, vmi, key);
      }
      if (auto a = address_prop(o, "instance_ip_address")) {
        if (add)
          index_add(iips_by_address, *a, o.uuid);
        else
          index_remove(iips_by_address, *a, o.uuid);
      }
    } else if (o.type == kFloatingIp) {
      for (const auto& vmi : o.ref_uuids(kVmi)) {
        if (add)
          index_add(fips_of_vmi, vmi, o.uuid);
        else
          index_remove(fips_of_vmi, vmi, o.uuid);
      }
      if (o.parent_type == kInstanceIp) {
        if (add)
          index_add(fips_of_parent, o.parent_uuid, o.uuid);
        else
          index_remove(fips_of_parent, o.parent_uuid, o.uuid);
      }
    }
  }

  // What a VMI contributes to paths: that it is one, its preference, its VMs.
  using VmiPathInputs = std::tuple<bool, int, std::vector<std::string>>;
  static VmiPathInputs path_inputs(const ConfigObject* o) {
    if (!o || o->type != kVmi) return {false, 0, {}};
    return {true, local_preference(*o), o->ref_uuids(kVirtualMachine)};
  }

  // Marks what reads the changed object's old or new state (the derived tables; walks
  // are handled by walk_before / walk_after). Called around the index update: `before` runs
  // first and returns what `after` compares.
  struct Before {
    std::map<std::string, std::optional<Ipv4>> fixed;  // instance-ip: VMI -> fixed ip
    VmiPathInputs vmi;
  };
  Before mark_before(const ConfigObject* old, const ConfigObject* now) {
    Before b;
    const ConfigObject* any = now ? now : old;
    if (any->type == kInstanceIp) {
      for (const ConfigObject* o : {old, now})
        if (o)
          for (const auto& vmi : o->ref_uuids(kVmi)) b.fixed.emplace(vmi, std::nullopt);
      for (auto& [vmi, fixed] : b.fixed) fixed = fixed_ip_of(vmi);
    } else if (any->type == kVmi) {
      b.vmi = path_inputs(old);
    }
    return b;
  }
  void mark_after(const ConfigObject* old, const ConfigObject* now, const Before& b) {
    const ConfigObject* any = now ? now : old;
    if (any->type == kVirtualRouter) {
      // VMs whose hosting changed: refs added or removed (by count).
      std::map<std::string, int> delta;
      if (old)
        for (const auto& vm : old->ref_uuids(kVirtualMachine)) --delta[vm];
      if (now)
        for (const auto& vm : now->ref_uuids(kVirtualMachine)) ++delta[vm];
      for (const auto& [vm, d] : delta)
        if (d != 0) dirty_vms.insert(vm);
    } else if (any->type == kVmi) {
      if (path_inputs(now) != b.vmi) dirty_vmis.insert(any->uuid);
    } else if (any->type == kInstanceIp) {
      for (const ConfigObject* o : {old, now})
        if (o)
          if (auto a = address_prop(*o, "instance_ip_address")) dirty_prefixes.insert(*a);
      for (const auto& [vmi, fixed] : b.fixed)
        if (fixed_ip_of(vmi) != fixed) dirty_fixed_vmis.insert(vmi);
      // Service floating-ips under it take its address as their cluster ip.
      for (const auto& f : find_or_empty(fips_of_parent, any->uuid)) dirty_fips.insert(f);
    } else if (any->type == kFloatingIp) {
      dirty_fips.insert(any->uuid);
    }
  }

  // ---- walks ----

  static ObjectKey key_of(const ConfigObject& o) { return {o.type, o.fq_name, o.uuid}; }

  // Calls f(target uuid) for every walk edge out of `o`, as currently indexed.
  template <class F>
  void for_each_child(const ConfigObject& o, F&& f) const {
    if (o.type == kVirtualRouter) {
      for (const auto& vm : o.ref_uuids(kVirtualMachine)) f(vm);
    } else if (o.type == kVirtualMachine) {
      for (const auto& si : o.ref_uuids(kServiceInstance)) f(si);
      for (const auto& vmi : find_or_empty(vmis_of_vm, o.uuid)) f(vmi);
    } else if (o.type == kServiceInstance) {
      for (const auto& st : o.ref_uuids(kServiceTemplate)) f(st);
    } else if (o.type == kVmi) {
      for (const auto& [fq, iip] : find_or_empty(iips_of_vmi, o.uuid)) f(iip);
      for (const auto& fip : find_or_empty(fips_of_vmi, o.uuid)) f(fip);
      for (const auto& vn : o.ref_uuids(kVirtualNetwork)) f(vn);
    } else if (o.type == kVirtualNetwork) {
      for (const auto& ipam : o.ref_uuids(kNetworkIpam)) f(ipam);
    }
  }
  // Edges out of `o` that `o` itself holds (its refs), as opposed to those held by its
  // children (a VMI's ref to its VM, an instance-ip's / floating-ip's ref to its VMI).
  static std::vector<std::string> own_children(const ConfigObject* o) {
    if (!o) return {};
    if (o->type == kVirtualRouter) return o->ref_uuids(kVirtualMachine);
    if (o->type == kVirtualMachine) return o->ref_uuids(kServiceInstance);
    if (o->type == kServiceInstance) return o->ref_uuids(kServiceTemplate);
    if (o->type == kVmi) return o->ref_uuids(kVirtualNetwork);
    if (o->type == kVirtualNetwork) return o->ref_uuids(kNetworkIpam);
    return {};
  }
  // Parents of `o` through edges that `o` holds: the VMs of a VMI, the VMIs of an
  // instance-ip or floating-ip.
  static std::vector<std::string> own_parents(const ConfigObject* o) {
    if (!o) return {};
    if (o->type == kVmi) return o->ref_uuids(kVirtualMachine);
    if (o->type == kInstanceIp || o->type == kFloatingIp) return o->ref_uuids(kVmi);
    return {};
  }

  bool reached(const Walk& w, const std::string& uuid) const {
    if (!objects.count(uuid)) return false;
    if (uuid == w.root) return true;
    auto it = w.count.find(uuid);
    return it != w.count.end() && it->second > 0;
  }
  void reach(Walk& w, const ConfigObject& o) {
    ++walk_changes;
    w.changed = true;
    w.reached.insert(key_of(o));
    for_each_child(o, [&](const std::string& child) { add_edge(w, child); });
  }
  void unreach(Walk& w, const ConfigObject& o) {
    ++walk_changes;
    w.changed = true;
    w.reached.erase(key_of(o));
    for_each_child(o, [&](const std::string& child) { remove_edge(w, child); });
  }
  void add_edge(Walk& w, const std::string& child) {
    if (++w.count[child] != 1 || child == w.root) return;
    if (const ConfigObject* o = get(child)) reach(w, *o);
  }
  void remove_edge(Walk& w, const std::string& child) {
    auto it = w.count.find(child);
    if (it == w.count.end()) return;  // cannot happen: edges are removed as added
    if (--it->second > 0) return;
    w.count.erase(it);
    if (child == w.root) return;
    if (const ConfigObject* o = get(child)) unreach(w, *o);
  }

  Walk build_walk(const std::string& node) {
    ++stats.walks;
    const size_t changes = walk_changes;  // a build is counted as one walk, not as changes
    Walk w;
    const std::string* vr = vr_of_node(node);
    w.root = vr ? *vr : "";
    if (const ConfigObject* o = vr ? get(*vr) : nullptr) reach(w, *o);
    w.changed = true;
    walk_changes = changes;
    return w;
  }

  // How one object's change moves each walk: computed on the old state (before the
  // indexes change), finished on the new one (after).
  struct WalkStep {
    bool was = false, will = false;
  };
  std::map<std::string, WalkStep> walk_before(const std::string& uuid, const ConfigObject* old,
                                              const ConfigObject* now) {
    std::map<std::string, WalkStep> steps;
    for (auto& [node, w] : walks) {
      WalkStep st;
      st.was = old && reached(w, uuid);
      // Its own edges from parents (parents' reach does not depend on it: the walk is a DAG).
      int from_parents = 0;
      for (const auto& p : own_parents(old))
        if (reached(w, p)) --from_parents;
      for (const auto& p : own_parents(now))
        if (reached(w, p)) ++from_parents;
      if (from_parents != 0) {
        int& c = w.count[uuid];
        c += from_parents;
        if (c == 0) w.count.erase(uuid);
      }
      auto c = w.count.find(uuid);
      st.will = now && (uuid == w.root || (c != w.count.end() && c->second > 0));
      if (st.was && !st.will) {
        unreach(w, *old);
      } else if (st.was && st.will) {
        // Still reached: only its own edges that go away matter now.
        std::multiset<std::string> keep;
        for (const auto& c2 : own_children(now)) keep.insert(c2);
        for (const auto& c2 : own_children(old)) {
          auto k = keep.find(c2);
          if (k != keep.end()) {
            keep.erase(k);
          } else {
            remove_edge(w, c2);
          }
        }
        w.changed = true;  // its content is in the view
      }
      steps[node] = st;
    }
    return steps;
  }
  void walk_after(const ConfigObject* old, const ConfigObject* now,
                  const std::map<std::string, WalkStep>& steps) {
    for (auto& [node, w] : walks) {
      auto st = steps.find(node);
      if (st == steps.end()) continue;
      if (!st->second.was && st->second.will) {
        reach(w, *now);
      } else if (st->second.was && st->second.will) {
        std::multiset<std::string> had;
        for (const auto& c : own_children(old)) had.insert(c);
        for (const auto& c : own_children(now)) {
          auto h = had.find(c);
          if (h != had.end()) {
            had.erase(h);
          } else {
            add_edge(w, c);
          }
        }
      }
    }
  }

  void apply(const std::string& type, const std::string& uuid, std::optional<ConfigObject> now) {
    if (!walked_types().count(type) || (now && (now->type != type || now->uuid != uuid)))
      now.reset();
    if (now) now = agent_projection(std::move(*now));
    auto it = objects.find(uuid);
    const ConfigObject* old = it == objects.end() ? nullptr : it->second.object.get();
    if (!old && !now) return;
    const bool router =
        (old && old->type == kVirtualRouter) || (now && now->type == kVirtualRouter);
    const std::string router_name = router ? (now ? now->name() : old->name()) : "";
    const std::string address_before = router ? vr_address(router_name) : "";
    const std::string* root = router ? vr_of_node(router_name) : nullptr;
    const std::string root_before = root ? *root : "";
    const Before before = mark_before(old, now ? &*now : nullptr);
    const auto steps = walk_before(uuid, old, now ? &*now : nullptr);
    std::shared_ptr<const ConfigObject> previous;
    if (old) {
      index(*old, -1);
      previous = std::move(it->second.object);
    }
    if (now) {
      Entry& e = objects[uuid];
      e.object = std::make_shared<const ConfigObject>(std::move(*now));
      index(*e.object, +1);
      mark_after(previous.get(), e.object.get(), before);
      walk_after(previous.get(), e.object.get(), steps);
    } else {
      objects.erase(it);
      mark_after(previous.get(), nullptr, before);
      walk_after(previous.get(), nullptr, steps);
    }
    if (router) {
      if (vr_address(router_name) != address_before) underlay_dirty = true;
      // The node's virtual-router appeared, went, or another of that name took over.
      const std::string* now_root = vr_of_node(router_name);
      if ((now_root ? *now_root : "") != root_before && walks.count(router_name))
        walks[router_name] = build_walk(router_name);
    }
  }

  // ---- derived state ----

  // Makes paths[a] the path `top` (none: no entry); true when that changed it.
  static bool store_path(std::map<Ipv4, Path>& paths, Ipv4 a, const std::optional<Path>& top) {
    auto it = paths.find(a);
    if (!top) {
      if (it == paths.end()) return false;
      paths.erase(it);
      return true;
    }
    if (it != paths.end() && same_path(it->second, *top)) return false;
    paths[a] = *top;
    return true;
  }

  // The best path of one prefix over its instance-ips; true when it changed.
  bool recompute_prefix(Ipv4 a) {
    ++stats.prefixes;
    std::optional<Path> top;
    for (const auto& iu : find_or_empty(iips_by_address, a)) {
      const ConfigObject* iip = get(iu);
      if (!iip) continue;
      for (const auto& p : live_paths(iip->ref_uuids(kVmi)))
        if (!top || better(p, *top)) top = p;
    }
    return store_path(best, a, top);
  }

  FipPart fip_part(const std::string& uuid) const {
    FipPart part;
    const ConfigObject* fip = get(uuid);
    if (!fip || fip->type != kFloatingIp) return part;
    if (fip->parent_type == kInstanceIp) {
      auto cluster_ip = address_prop(*fip, "floating_ip_address");
      if (!cluster_ip)
        if (const ConfigObject* parent = get(fip->parent_uuid))
          cluster_ip = address_prop(*parent, "instance_ip_address");
      if (!cluster_ip) return part;
      auto pm = fip->props.find("floating_ip_port_mappings");
      if (pm == fip->props.end() || !pm->is_object()) return part;
      auto list = pm->find("port_mappings");
      if (list == pm->end() || !list->is_array()) return part;
      std::set<Ipv4> backends;
      for (const auto& path : live_paths(fip->ref_uuids(kVmi)))
        if (auto a = fixed_ip_of(path.vmi)) backends.insert(*a);
      for (const auto& m : *list) {
        if (!m.is_object()) continue;
        auto protocol = mapping_protocol(m);
        if (!protocol) continue;
        auto src = m.find("src_port");
        auto dst = m.find("dst_port");
        if (src == m.end() || dst == m.end() || !src->is_number_integer() ||
            !dst->is_number_integer())
          continue;
        for (Ipv4 b : backends)
          part.services.push_back(
              {{*cluster_ip, *protocol, src->get<int64_t>()}, {b, dst->get<int64_t>()}});
      }
    } else if (fip->parent_type == "floating-ip-pool") {
      auto address = address_prop(*fip, "floating_ip_address");
      if (!address) return part;
      auto fixed_prop = address_prop(*fip, "floating_ip_fixed_ip_address");
      for (const auto& p : live_paths(fip->ref_uuids(kVmi))) {
        auto fixed = fixed_prop ? fixed_prop : fixed_ip_of(p.vmi);
        if (fixed) part.nat.push_back({p.node, {*address, p.vmi, *fixed}});
        if (!part.gateway || better(p, part.gateway->second)) part.gateway = {*address, p};
      }
    }
    return part;
  }

  // Swaps one floating-ip's contribution; records what changed.
  void recompute_fip(const std::string& uuid, bool* services_changed,
                     std::set<std::string>* nat_nodes, std::set<Ipv4>* gateway_addresses) {
    ++stats.floating_ips;
    FipPart part = fip_part(uuid);
    auto it = fip_parts.find(uuid);
    static const FipPart kEmpty;
    const FipPart& old = it == fip_parts.end() ? kEmpty : it->second;
    if (part == old) return;
    for (const auto& [key, backend] : old.services) {
      auto& backends = services[key];
      if (count(backends, backend, -1)) *services_changed = true;
      if (backends.empty()) services.erase(key);
    }
    for (const auto& [key, backend] : part.services)
      if (count(services[key], backend, +1)) *services_changed = true;
    for (const auto& [node, entry] : old.nat) {
      auto& entries = nat[node];
      if (count(entries, entry, -1)) nat_nodes->insert(node);
      if (entries.empty()) nat.erase(node);
    }
    for (const auto& [node, entry] : part.nat)
      if (count(nat[node], entry, +1)) nat_nodes->insert(node);
    if (old.gateway) {
      index_remove(gateway_paths, old.gateway->first, uuid);
      gateway_addresses->insert(old.gateway->first);
    }
    if (part.gateway) {
      gateway_paths[part.gateway->first][uuid] = part.gateway->second;
      gateway_addresses->insert(part.gateway->first);
    }
    if (part.services.empty() && part.nat.empty() && !part.gateway) {
      if (it != fip_parts.end()) fip_parts.erase(it);
    } else {
      fip_parts[uuid] = std::move(part);
    }
  }

  // The gateway's best path of one address; true when it changed.
  bool recompute_gateway(Ipv4 a) {
    std::optional<Path> top;
    for (const auto& [fip, p] : find_or_empty(gateway_paths, a))
      if (!top || better(p, *top)) top = p;
    return store_path(gateway, a, top);
  }

  Update update() {
    stats = {};
    stats.walk_changes = std::exchange(walk_changes, 0);
    Update out;
    const bool everything = all_dirty;
    if (all_dirty) {
      for (const auto& [a, iips] : iips_by_address) dirty_prefixes.insert(a);
      for (const auto& [a, p] : best) dirty_prefixes.insert(a);
      for (const auto& [uuid, e] : objects)
        if (e.object->type == kFloatingIp) dirty_fips.insert(uuid);
      for (const auto& [uuid, part] : fip_parts) dirty_fips.insert(uuid);
      // Walks do not depend on liveness: drop those of nodes no longer live only.
      for (auto it = walks.begin(); it != walks.end();)
        it = live.count(it->first) ? std::next(it) : walks.erase(it);
      all_dirty = false;
    }
    for (const auto& vm : dirty_vms)
      for (const auto& vmi : find_or_empty(vmis_of_vm, vm)) dirty_vmis.insert(vmi);
    for (const auto& vmi : dirty_vmis) {
      for (const auto& [fq, iu] : find_or_empty(iips_of_vmi, vmi))
        if (const ConfigObject* iip = get(iu))
          if (auto a = address_prop(*iip, "instance_ip_address")) dirty_prefixes.insert(*a);
      for (const auto& f : find_or_empty(fips_of_vmi, vmi)) dirty_fips.insert(f);
    }
    for (const auto& vmi : dirty_fixed_vmis)
      for (const auto& f : find_or_empty(fips_of_vmi, vmi)) dirty_fips.insert(f);

    bool routes_changed = false;
    for (Ipv4 a : dirty_prefixes) routes_changed |= recompute_prefix(a);
    bool services_changed = false;
    std::set<std::string> nat_nodes;
    std::set<Ipv4> gateway_addresses;
    for (const auto& f : dirty_fips)
      recompute_fip(f, &services_changed, &nat_nodes, &gateway_addresses);
    bool gateway_changed = false;
    for (Ipv4 a : gateway_addresses) gateway_changed |= recompute_gateway(a);

    if (services_changed) services_json_dirty = true;
    if (gateway_changed || underlay_dirty || everything) gateway_json_dirty = true;
    out.gateway = gateway_json_dirty;
    if (routes_changed || services_changed || underlay_dirty || everything) {
      for (const auto& [node, underlay] : live) out.nodes.insert(node);
    } else {
      for (const auto& n : nat_nodes)
        if (live.count(n)) out.nodes.insert(n);
      for (const auto& [n, w] : walks)
        if (w.changed && live.count(n)) out.nodes.insert(n);
    }
    for (auto& [n, w] : walks) w.changed = false;
    underlay_dirty = false;
    dirty_prefixes.clear();
    dirty_fips.clear();
    dirty_vms.clear();
    dirty_vmis.clear();
    dirty_fixed_vmis.clear();
    return out;
  }

  const json& services_view() {
    if (!services_json_dirty) return services_json;
    services_json = json::array();
    for (const auto& [key, backends] : services) {
      if (backends.empty()) continue;
      json list = json::array();
      for (const auto& [backend, n] : backends)
        list.push_back({{"ip", format_ipv4(backend.first)}, {"port", backend.second}});
      services_json.push_back({{"cluster_ip", format_ipv4(std::get<0>(key))},
                               {"protocol", std::get<1>(key)},
                               {"port", std::get<2>(key)},
                               {"backends", std::move(list)}});
    }
    services_json_dirty = false;
    return services_json;
  }

  Walk& walk_of(const std::string& node) {
    auto w = walks.find(node);
    if (w == walks.end()) {
      w = walks.emplace(node, build_walk(node)).first;
      w->second.changed = false;  // built now: nothing to report to the next update()
    }
    return w->second;
  }

  AgentViewsIndex::Members members(const std::string& node) {
    AgentViewsIndex::Members out;
    if (!live.count(node)) return out;
    const Walk& w = walk_of(node);
    out.uuids.reserve(w.reached.size());
    for (const auto& [type, fq, uuid] : w.reached) {
      out.uuids.push_back(uuid);
      if (type == "virtual-machine") ++out.vms;
      if (type == "service-instance") ++out.sis;
    }
    return out;
  }

  json view_rest(const std::string& node) {
    if (!live.count(node)) return json();
    json routes = json::array();
    for (const auto& [a, p] : best) {
      json nexthop =
          p.node == node
              ? json{{"type", "local"}, {"vmi", p.vmi}}
              : json{{"type", "remote"}, {"node", p.node}, {"underlay_ip", underlay_of(p.node)}};
      routes.push_back(
          {{"prefix", prefix32(a)}, {"nexthop", std::move(nexthop)}, {"local_pref", p.local_pref}});
    }
    json fips = json::array();
    for (const auto& [entry, n] : find_or_empty(nat, node)) {
      const auto& [fip, vmi, fixed] = entry;
      fips.push_back({{"fip", format_ipv4(fip)}, {"fixed_ip", format_ipv4(fixed)}, {"vmi", vmi}});
    }
    return {{"routes", std::move(routes)},
            {"services", services_view()},
            {"floating_ips", std::move(fips)}};
  }

  json view(const std::string& node) {
    if (!live.count(node)) return json();
    const Walk& w = walk_of(node);
    json objs = json::array();
    objs.get_ref<json::array_t&>().reserve(w.reached.size());
    for (const auto& key : w.reached)
      objs.push_back(json(*objects.find(std::get<2>(key))->second.object));
    json out = view_rest(node);
    out["objects"] = std::move(objs);
    return out;
  }

  const json& gateway_view() {
    if (!gateway_json_dirty) return gateway_json;
    gateway_json = json::array();
    for (const auto& [a, p] : gateway)
      gateway_json.push_back({{"prefix", prefix32(a)},
                              {"node", p.node},
                              {"local_pref", p.local_pref},
                              {"underlay_ip", underlay_of(p.node)}});
    gateway_json_dirty = false;
    return gateway_json;
  }
};

AgentViewsIndex::AgentViewsIndex() : s_(std::make_unique<State>()) {}
AgentViewsIndex::~AgentViewsIndex() = default;

const std::map<std::string, std::set<std::string>>& agent_props() {
  // What the walk and agent/agent_view.cc read: the underlay address, the interface's
  // preference, MAC and service interface type, addresses, the native load balancer's
  // port mappings, the service template's virtualization type, the service instance's
  // bindings (haproxy config, lb uuid), the IPAM's flat subnets.
  static const std::map<std::string, std::set<std::string>> kProps = {
      {"virtual-router", {"virtual_router_ip_address"}},
      {"virtual-machine-interface",
       {"virtual_machine_interface_properties", "virtual_machine_interface_mac_addresses"}},
      {"instance-ip", {"instance_ip_address"}},
      {"floating-ip",
       {"floating_ip_address", "floating_ip_fixed_ip_address", "floating_ip_port_mappings"}},
      {"service-template", {"service_template_properties"}},
      {"service-instance", {"service_instance_bindings"}},
      {"network-ipam", {"ipam_subnets"}},
  };
  return kProps;
}

ConfigObject agent_projection(ConfigObject object) {
  static const std::set<std::string> kNone;
  auto kept = agent_props().find(object.type);
  const std::set<std::string>& names = kept == agent_props().end() ? kNone : kept->second;
  json props = json::object();
  if (object.props.is_object())
    for (const auto& name : names)
      if (auto it = object.props.find(name); it != object.props.end())
        props[name] = std::move(*it);
  object.props = std::move(props);
  return object;
}

void AgentViewsIndex::load(const ConfigApi& api) {
  LiveAgents live = std::move(s_->live);
  const bool live_known = s_->live_known;
  s_ = std::make_unique<State>();
  s_->live = std::move(live);
  s_->live_known = live_known;
  for (const auto& type : walked_type_list())
    for (auto& o : api.list(type)) {
      const std::string uuid = o.uuid;
      s_->apply(type, uuid, std::move(o));
    }
  s_->all_dirty = true;
}

void AgentViewsIndex::apply(const std::string& type, const std::string& uuid,
                            std::optional<ConfigObject> object) {
  s_->apply(type, uuid, std::move(object));
}

void AgentViewsIndex::set_live(const LiveAgents& live) {
  if (s_->live_known && live == s_->live) return;
  s_->live = live;
  s_->live_known = true;
  s_->all_dirty = true;
}

AgentViewsIndex::Update AgentViewsIndex::update() { return s_->update(); }

json AgentViewsIndex::view(const std::string& node) { return s_->view(node); }

AgentViewsIndex::Members AgentViewsIndex::members(const std::string& node) {
  return s_->members(node);
}

std::shared_ptr<const ConfigObject> AgentViewsIndex::object(const std::string& uuid) const {
  auto it = s_->objects.find(uuid);
  return it == s_->objects.end() ? nullptr : it->second.object;
}

json AgentViewsIndex::view_rest(const std::string& node) { return s_->view_rest(node); }

const json& AgentViewsIndex::gateway_routes() { return s_->gateway_view(); }

const AgentViewsIndex::Stats& AgentViewsIndex::stats() const { return s_->stats; }

}  // namespace csim::controller
