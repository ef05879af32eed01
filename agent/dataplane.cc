#include "agent/dataplane.h"

#include "agent/names.h"
#include "agent/nftables.h"

namespace csim::agent {
namespace {

constexpr const char* kVhost = "vhost0";          // the vrouter's fabric interface
constexpr const char* kGatewayExternal = "ext0";  // gateway side of the client veth
constexpr const char* kClientIf = "eth0";

const std::vector<Sysctl> kRouterSysctls = {
    {"net/ipv4/ip_forward", "1"},
    {"net/ipv4/conf/all/rp_filter", "0"},
    {"net/ipv4/conf/default/rp_filter", "0"},
};

core::Status join(const std::string& what, const std::vector<std::string>& errors) {
  if (errors.empty()) return core::Status::ok();
  std::string msg = what + ": ";
  for (size_t i = 0; i < errors.size(); ++i) msg += (i ? "; " : "") + errors[i];
  return core::unavailable(msg);
}

bool valid_ifname(const std::string& n) {
  return !n.empty() && n.size() <= 15 && n.find('/') == std::string::npos;
}

Ipv4Prefix default_route() { return Ipv4Prefix{Ipv4{0}, 0}; }

}  // namespace

Dataplane::Dataplane(DataplaneOptions options) : options_(std::move(options)) {}

Dataplane::~Dataplane() { destroy(); }

core::Status Dataplane::create_fabric() {
  std::lock_guard lock(mu_);
  if (gateway_) return core::Status::ok();
  auto gw = create_netns(kGatewayNetns, kRouterSysctls);
  if (!gw.is_ok()) return gw.status();
  auto ext = create_netns(kExternalNetns);
  if (!ext.is_ok()) {
    delete_netns(kGatewayNetns);
    return ext.status();
  }
  auto& g = **gw;
  auto& e = **ext;
  core::Status st = g.rtnl().add_bridge(options_.bridge);
  if (st.is_ok()) st = g.rtnl().add_address(options_.bridge, options_.gateway_underlay);
  if (st.is_ok())
    st = g.rtnl().add_veth({kGatewayExternal}, {kClientIf, e.fd(), "", true, &e.rtnl()});
  if (st.is_ok()) st = g.rtnl().add_address(kGatewayExternal, options_.gateway_external);
  if (st.is_ok()) st = e.rtnl().add_address(kClientIf, options_.client_external);
  if (st.is_ok()) {
    st = e.rtnl().replace_route({default_route(), options_.gateway_external.addr, kClientIf});
  }
  if (!st.is_ok()) {
    delete_netns(kExternalNetns);
    delete_netns(kGatewayNetns);
    return core::unavailable("create the fabric: " + st.message());
  }
  gateway_ = *gw;
  external_ = *ext;
  return core::Status::ok();
}

core::Status Dataplane::destroy() {
  std::vector<std::string> errors;
  std::map<std::string, std::shared_ptr<NodeState>> nodes;
  {
    std::lock_guard lock(mu_);
    nodes.swap(nodes_);
  }
  for (auto& [name, n] : nodes) {
    std::lock_guard nl(n->mu);
    if (auto st = remove_node_locked(*n); !st.is_ok()) errors.push_back(st.message());
  }
  std::lock_guard lock(mu_);
  if (external_) {
    if (auto st = delete_netns(kExternalNetns); !st.is_ok()) errors.push_back(st.message());
    external_.reset();
  }
  if (gateway_) {
    if (auto st = delete_netns(kGatewayNetns); !st.is_ok()) errors.push_back(st.message());
    gateway_.reset();
  }
  {
    std::lock_guard gl(gateway_routes_mu_);
    gateway_routes_.installed.clear();
  }
  return join("destroy the data plane", errors);
}

core::Result<Ipv4> Dataplane::add_node(const std::string& node, std::optional<Ipv4> underlay) {
  const std::string ns_name = vrouter_netns_name(node);
  const std::string port = fabric_port_name(node);
  if (ns_name.empty() || port.empty())
    return core::invalid("node name '" + node + "' is not a DNS name");
  std::lock_guard lock(mu_);
  if (!gateway_) return core::internal("add node " + node + ": create_fabric() must come first");
  if (auto it = nodes_.find(node); it != nodes_.end()) return it->second->underlay;

  std::set<Ipv4> used = {options_.gateway_underlay.addr};
  for (const auto& [name, n] : nodes_) used.insert(n->underlay);
  Ipv4 ip;
  if (underlay) {
    if (!options_.gateway_underlay.contains(*underlay) || used.count(*underlay)) {
      return core::invalid("underlay address " + underlay->str() + " for " + node +
                           " is taken or outside " + options_.gateway_underlay.network().str());
    }
    ip = *underlay;
  } else {
    ip = options_.first_node_underlay;
    while (used.count(ip) || (ip.value & 0xff) == 0 || (ip.value & 0xff) == 0xff) ++ip.value;
    if (!options_.gateway_underlay.contains(ip))
      return core::unavailable("no free underlay address for " + node);
  }

  auto ns = create_netns(ns_name, kRouterSysctls);
  if (!ns.is_ok()) return ns.status();
  auto& v = **ns;
  auto& g = *gateway_;
  g.rtnl().delete_link(port);  // a leftover of an earlier run of this node
  core::Status st = g.rtnl().add_veth({port}, {kVhost, v.fd(), "", true, &v.rtnl()});
  if (st.is_ok()) st = g.rtnl().set_master(port, options_.bridge);
  if (st.is_ok()) st = v.rtnl().add_address(kVhost, {ip, options_.gateway_underlay.len});
  if (st.is_ok())
    st = v.rtnl().replace_route({default_route(), options_.gateway_underlay.addr, kVhost});
  if (!st.is_ok()) {
    g.rtnl().delete_link(port);
    delete_netns(ns_name);
    return core::unavailable("add node " + node + ": " + st.message());
  }
  auto state = std::make_shared<NodeState>();
  state->name = node;
  state->underlay = ip;
  state->ns = *ns;
  state->fabric_port = port;
  nodes_[node] = state;
  return ip;
}

core::Status Dataplane::remove_node_locked(NodeState& n) {
  std::vector<std::string> errors;
  for (const auto& [netns, ifname] : n.endpoints) {
    if (auto st = delete_netns(netns); !st.is_ok()) errors.push_back(st.message());
  }
  n.endpoints.clear();
  std::shared_ptr<Netns> gw = gateway_ns();
  if (gw) {
    if (auto st = gw->rtnl().delete_link(n.fabric_port); !st.is_ok())
      errors.push_back(st.message());
  }
  if (n.ns) {
    if (auto st = delete_netns(n.ns->name()); !st.is_ok()) errors.push_back(st.message());
  }
  n.routes.installed.clear();
  n.local_addresses.clear();
  n.nat.clear();
  return join("remove node " + n.name, errors);
}

core::Status Dataplane::remove_node(const std::string& node) {
  std::shared_ptr<NodeState> n;
  {
    std::lock_guard lock(mu_);
    auto it = nodes_.find(node);
    if (it == nodes_.end()) return core::Status::ok();
    n = it->second;
    nodes_.erase(it);
  }
  std::lock_guard nl(n->mu);
  return remove_node_locked(*n);
}

std::shared_ptr<Dataplane::NodeState> Dataplane::node_state(const std::string& node) const {
  std::lock_guard lock(mu_);
  auto it = nodes_.find(node);
  return it == nodes_.end() ? nullptr : it->second;
}

std::optional<Ipv4> Dataplane::node_underlay_ip(const std::string& node) const {
  auto n = node_state(node);
  if (!n) return std::nullopt;
  return n->underlay;
}

std::map<std::string, Ipv4> Dataplane::nodes() const {
  std::lock_guard lock(mu_);
  std::map<std::string, Ipv4> out;
  for (const auto& [name, n] : nodes_) out[name] = n->underlay;
  return out;
}

core::Result<std::shared_ptr<Netns>> Dataplane::add_endpoint(const EndpointSpec& spec) {
  if (!valid_ifname(spec.inside_ifname) || !valid_ifname(spec.vrouter_ifname)) {
    return core::invalid("endpoint " + spec.netns + ": device names must have 1..15 characters");
  }
  auto n = node_state(spec.node);
  if (!n) return core::not_found("endpoint " + spec.netns + ": no vrouter for node " + spec.node);
  std::lock_guard nl(n->mu);
  auto& vr = *n->ns;
  // Replace a leftover of the same endpoint, or another one that used the device name.
  if (auto it = n->endpoints.find(spec.netns); it != n->endpoints.end()) {
    vr.rtnl().delete_link(it->second);
    n->endpoints.erase(it);
  }
  vr.rtnl().delete_link(spec.vrouter_ifname);
  for (auto it = n->routes.installed.begin(); it != n->routes.installed.end();) {
    it = it->second.dev == spec.vrouter_ifname ? n->routes.installed.erase(it) : std::next(it);
  }

  auto ep = create_netns(spec.netns);
  if (!ep.is_ok()) return ep.status();
  auto& e = **ep;
  core::Status st = e.rtnl().add_veth({spec.inside_ifname, -1, spec.mac, true},
                                      {spec.vrouter_ifname, vr.fd(), "", true, &vr.rtnl()});
  if (st.is_ok()) st = e.rtnl().add_address(spec.inside_ifname, spec.address);
  if (st.is_ok()) {
    RouteSpec def{default_route(), spec.gateway, spec.inside_ifname, /*onlink=*/true};
    st = e.rtnl().replace_route(def);
  }
  if (st.is_ok()) {
    st = vr.rtnl().set_inet_conf(spec.vrouter_ifname,
                                 {{InetConf::kProxyArp, 1}, {InetConf::kRpFilter, 0}});
  }
  if (!st.is_ok()) {
    vr.rtnl().delete_link(spec.vrouter_ifname);
    delete_netns(spec.netns);
    return core::unavailable("add endpoint " + spec.netns + " on " + spec.node + ": " +
                             st.message());
  }
  n->endpoints[spec.netns] = spec.vrouter_ifname;
  return *ep;
}

core::Status Dataplane::remove_endpoint(const std::string& node, const std::string& netns) {
  auto n = node_state(node);
  if (!n) return delete_netns(netns);
  std::lock_guard nl(n->mu);
  std::vector<std::string> errors;
  if (auto it = n->endpoints.find(netns); it != n->endpoints.end()) {
    const std::string dev = it->second;
    if (auto st = n->ns->rtnl().delete_link(dev); !st.is_ok()) errors.push_back(st.message());
    for (auto r = n->routes.installed.begin(); r != n->routes.installed.end();) {
      r = r->second.dev == dev ? n->routes.installed.erase(r) : std::next(r);
    }
    n->endpoints.erase(it);
  }
  if (auto st = delete_netns(netns); !st.is_ok()) errors.push_back(st.message());
  return join("remove endpoint " + netns, errors);
}

core::Status Dataplane::sync_routes(Netns& ns, RouteState& state,
                                    const std::vector<RouteSpec>& routes) {
  std::map<Ipv4Prefix, RouteSpec> desired;
  for (const auto& r : routes) desired[r.dst.network()] = r;
  std::vector<std::string> errors;
  for (auto it = state.installed.begin(); it != state.installed.end();) {
    if (desired.count(it->first)) {
      ++it;
      continue;
    }
    if (auto st = ns.rtnl().delete_route(it->first); !st.is_ok()) {
      errors.push_back(st.message());
      ++it;
    } else {
      it = state.installed.erase(it);
    }
  }
  for (const auto& [prefix, spec] : desired) {
    auto it = state.installed.find(prefix);
    if (it != state.installed.end() && it->second == spec) continue;
    if (auto st = ns.rtnl().replace_route(spec); !st.is_ok()) {
      errors.push_back(st.message());
      state.installed.erase(prefix);
    } else {
      state.installed[prefix] = spec;
    }
  }
  return join("routes in " + ns.name(), errors);
}

core::Status Dataplane::sync_vrouter_routes(const std::string& node,
                                            const std::vector<RouteSpec>& routes) {
  auto n = node_state(node);
  if (!n) return core::not_found("no vrouter for node " + node);
  std::lock_guard nl(n->mu);
  return sync_routes(*n->ns, n->routes, routes);
}

core::Status Dataplane::add_vrouter_route(const std::string& node, const RouteSpec& route) {
  auto n = node_state(node);
  if (!n) return core::not_found("no vrouter for node " + node);
  std::lock_guard nl(n->mu);
  const Ipv4Prefix prefix = route.dst.network();
  auto it = n->routes.installed.find(prefix);
  if (it != n->routes.installed.end() && it->second == route) return core::Status::ok();
  auto st = n->ns->rtnl().replace_route(route);
  if (st.is_ok()) n->routes.installed[prefix] = route;
  return st;
}

core::Status Dataplane::sync_vrouter_local_addresses(const std::string& node,
                                                     const std::set<Ipv4>& addresses) {
  auto n = node_state(node);
  if (!n) return core::not_found("no vrouter for node " + node);
  std::lock_guard nl(n->mu);
  std::vector<std::string> errors;
  for (auto it = n->local_addresses.begin(); it != n->local_addresses.end();) {
    if (addresses.count(*it)) {
      ++it;
      continue;
    }
    if (auto st = n->ns->rtnl().delete_address("lo", {*it, 32}); !st.is_ok()) {
      errors.push_back(st.message());
      ++it;
    } else {
      it = n->local_addresses.erase(it);
    }
  }
  for (const auto& a : addresses) {
    if (n->local_addresses.count(a)) continue;
    if (auto st = n->ns->rtnl().add_address("lo", {a, 32}); !st.is_ok()) {
      errors.push_back(st.message());
    } else {
      n->local_addresses.insert(a);
    }
  }
  return join("addresses of lo in " + n->ns->name(), errors);
}

core::Status Dataplane::set_vrouter_nat(const std::string& node, const std::string& ruleset) {
  auto n = node_state(node);
  if (!n) return core::not_found("no vrouter for node " + node);
  std::lock_guard nl(n->mu);
  if (ruleset == n->nat) return core::Status::ok();
  auto st = apply_nft(*n->ns, ruleset);
  if (st.is_ok()) {
    n->nat = ruleset;
  } else {
    n->nat.clear();  // unknown state: apply again next time
  }
  return st;
}

core::Status Dataplane::sync_gateway_routes(const std::vector<RouteSpec>& routes) {
  std::shared_ptr<Netns> gw = gateway_ns();
  if (!gw) return core::internal("gateway routes: create_fabric() must come first");
  std::lock_guard gl(gateway_routes_mu_);
  return sync_routes(*gw, gateway_routes_, routes);
}

std::shared_ptr<Netns> Dataplane::gateway_ns() const {
  std::lock_guard lock(mu_);
  return gateway_;
}

std::shared_ptr<Netns> Dataplane::external_ns() const {
  std::lock_guard lock(mu_);
  return external_;
}

std::shared_ptr<Netns> Dataplane::vrouter_ns(const std::string& node) const {
  auto n = node_state(node);
  return n ? n->ns : nullptr;
}

nlohmann::json Dataplane::introspect() const {
  nlohmann::json out;
  std::map<std::string, std::shared_ptr<NodeState>> nodes;
  {
    std::lock_guard lock(mu_);
    out["gateway"] = gateway_ ? nlohmann::json(gateway_->name()) : nlohmann::json();
    out["external_client"] = external_ ? nlohmann::json(external_->name()) : nlohmann::json();
    out["external_client_ip"] = options_.client_external.addr.str();
    nodes = nodes_;
  }
  {
    std::lock_guard gl(gateway_routes_mu_);
    nlohmann::json routes = nlohmann::json::array();
    for (const auto& [p, r] : gateway_routes_.installed) routes.push_back(r.str());
    out["gateway_routes"] = routes;
  }
  nlohmann::json jn = nlohmann::json::object();
  for (const auto& [name, n] : nodes) {
    std::lock_guard nl(n->mu);
    nlohmann::json routes = nlohmann::json::array();
    for (const auto& [p, r] : n->routes.installed) routes.push_back(r.str());
    nlohmann::json locals = nlohmann::json::array();
    for (const auto& a : n->local_addresses) locals.push_back(a.str());
    nlohmann::json endpoints = nlohmann::json::object();
    for (const auto& [ns, dev] : n->endpoints) endpoints[ns] = dev;
    jn[name] = {{"namespace", n->ns ? n->ns->name() : ""},
                {"underlay_ip", n->underlay.str()},
                {"fabric_port", n->fabric_port},
                {"routes", routes},
                {"local_addresses", locals},
                {"endpoints", endpoints},
                {"nat", n->nat}};
  }
  out["nodes"] = jn;
  return out;
}

}  // namespace csim::agent
