// What the control-node sends each vrouter agent, computed from the config graph: a pure
// function of the config (read through ConfigApi) and of which agents are live.
//
// The walk follows Contrail's IFMap graph walker (contrail-reference.md §4.1) from each
// node's virtual-router [default-global-system-config, <node>]:
//   VR -> VM (VR refs) -> SI (VM refs) -> ST (SI refs)
//   VM -> VMI (VMIs that refer to the VM) -> instance-ips / floating-ips that refer to the
//   VMI, VN (VMI refs) -> network-ipam (VN refs)
// A VM is hosted on every node whose virtual-router refers to it.
//
// Objects are sent as agent_projection() makes them (below).
//
// Routes (docs/contracts.md): every instance-ip address of a VMI hosted on a live node is
// a /32 path with the VMI's virtual_machine_interface_properties.local_preference (100
// when absent). Per prefix the best path wins: higher local_pref, then lower node name,
// then lower VMI uuid. Every live node gets every prefix: "local" (with the VMI) where the
// best path is its own, else "remote" to the winning node (with that node's underlay_ip).
//
// Services: floating-ips whose parent is an instance-ip (the native load balancer's
// clusterIP): one entry per port mapping, backends = the instance-ip addresses of the
// referenced VMIs hosted on live nodes, with dst_port. Services without a live backend
// are left out. Every live node gets every service.
//
// Floating IPs (1:1 NAT): floating-ips whose parent is a floating-ip-pool, per node for
// each referenced VMI the node hosts: fixed_ip = props.floating_ip_fixed_ip_address, or
// the first instance-ip address of the VMI. The gateway gets the best path per such
// floating-ip over the live nodes hosting one of its VMIs (same preference rules).
//
// Everything is ordered (objects by type then fq_name, prefixes and addresses
// numerically), so equal config gives byte-equal JSON. Thread: any; reads ConfigApi only.
#pragma once

#include <cstddef>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "controller/config_api.h"

namespace csim::controller {

// node name -> underlay ip ("" when unknown) of every live agent.
using LiveAgents = std::map<std::string, std::string>;

struct AgentViews {
  // node -> {"objects": [...], "routes": [...], "services": [...], "floating_ips": [...]}
  // for every live agent (an agent without a virtual-router gets empty objects).
  std::map<std::string, nlohmann::json> nodes;
  // [{"prefix", "node", "local_pref", "underlay_ip"}] best path per public floating-ip.
  nlohmann::json gateway_routes = nlohmann::json::array();
};

// Reads the graph with one list() per type (no per-object queries) and computes the
// views of all live agents and the gateway's routes. The from-scratch reference for
// AgentViewsIndex below (O(whole graph) per call).
AgentViews compute_agent_views(const ConfigApi& api, const LiveAgents& live);

// The types the walk reads (a change of any other type never changes a view).
const std::set<std::string>& walked_types();

// What an agent is sent of a walked config object. As Contrail's control-node sends each
// vrouter only the properties its IFMap schema subset names, a view carries uuid, type,
// fq_name, parent, the refs (with their attrs) and, per type, only the props the agent
// acts on (agent_props()); id_perms, perms2, annotations, display_name and the like stay
// in the config DB. Views (and the control-node's mirror of the graph) hold objects so
// projected: about a third of their size.
ConfigObject agent_projection(ConfigObject object);

// The props agent_projection() keeps, by type (a type not listed keeps none).
const std::map<std::string, std::set<std::string>>& agent_props();

// The same views, kept up to date one changed object at a time, so that a change costs
// what it touches rather than a read of the whole graph. The control-node feeds it from
// "config.changed.<type>" (apply() with the object as read after the notification).
//
// It mirrors the walked objects with the indexes the walk needs (VMs by VR, VMIs by VM,
// instance-ips and floating-ips by VMI, instance-ips by address, floating-ips by parent)
// and keeps the derived tables: the best path per instance-ip prefix, the services table,
// each node's NAT entries and the gateway's best paths, plus each live node's walk as
// reference counts over the walk's edges (a DAG by type), so that an object entering or
// leaving a walk costs its own subtree. apply() updates the walks and records what the
// object's old and new states invalidate; update() recomputes only that: the prefixes of
// the instance-ips involved and the floating-ips whose addresses, backends or paths may
// differ. The result is byte-equal to compute_agent_views() over the same objects and live
// agents (agent_views_test checks it on random change sequences, delivered out of order).
//
// Costs: apply O((refs + live nodes) log n + the subtree that enters or leaves a walk);
// update O(what was invalidated); view() of a node O(that view), as every view carries
// every route and service (docs/contracts.md). A change of the live agents, or of a node's
// underlay address, recomputes the derived tables in full (O(n), rare); a node's walk is
// built in full when its agent becomes live or its virtual-router appears.
// Memory: one ConfigObject per walked object plus the indexes; a view's JSON is made from
// the objects by view() (never kept here).
// Not thread-safe: one owner (the control-node's strand).
class AgentViewsIndex {
 public:
  AgentViewsIndex();
  ~AgentViewsIndex();
  AgentViewsIndex(const AgentViewsIndex&) = delete;
  AgentViewsIndex& operator=(const AgentViewsIndex&) = delete;

  // Replaces the mirror with every walked object (one list() per walked type); the next
  // update() recomputes everything.
  void load(const ConfigApi& api);

  // The current state of object `uuid` of a walked `type`: the stored object, or nullopt
  // when it does not exist (any more). Other types, and an object whose type is not
  // `type`, are treated as absent.
  void apply(const std::string& type, const std::string& uuid, std::optional<ConfigObject> object);

  // Which agents are live (node -> underlay ip). A different set than the last one given
  // makes the next update() recompute everything.
  void set_live(const LiveAgents& live);

  struct Update {
    std::set<std::string> nodes;  // live nodes whose view may differ from the last update's
    bool gateway = false;         // the gateway's routes may differ
  };
  // Recomputes what apply() and set_live() invalidated since the last call.
  Update update();

  // After update(): the view of a live node ({"objects", "routes", "services",
  // "floating_ips"}, as AgentViews::nodes), or null for a node that is not live.
  nlohmann::json view(const std::string& node);

  // After update(), the same view in parts, so that a push can carry only what changed:
  // the objects of a live node's view (uuids in view order, with the number of VMs and
  // SIs among them; empty for a node that is not live), one object as the view shows it
  // (nullptr if it is not in the mirror), and the rest of the view ({"routes",
  // "services", "floating_ips"}; null for a node that is not live).
  struct Members {
    std::vector<std::string> uuids;
    size_t vms = 0, sis = 0;
  };
  Members members(const std::string& node);
  // Objects are immutable: a change replaces the object, so a caller may keep one as
  // what it sent (it shares the mirror's memory while unchanged).
  std::shared_ptr<const ConfigObject> object(const std::string& uuid) const;
  nlohmann::json view_rest(const std::string& node);
  // After update(): the gateway's routes, as AgentViews::gateway_routes.
  const nlohmann::json& gateway_routes();

  // What the last update() recomputed, with the walk changes of the apply() calls before
  // it and the walks built by view() since (tests and benchmarks).
  struct Stats {
    size_t prefixes = 0;      // instance-ip prefixes whose best path was recomputed
    size_t floating_ips = 0;  // floating-ips whose services / NAT / gateway part was recomputed
    size_t walks = 0;         // node walks built from scratch (new agent, new virtual-router)
    size_t walk_changes = 0;  // objects that entered or left a node's walk
  };
  const Stats& stats() const;

 private:
  struct State;
  std::unique_ptr<State> s_;
};

}  // namespace csim::controller
