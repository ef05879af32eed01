#include "kube/kube_manager/service_reconciler.h"

#include "kube/kube_manager/config_ops.h"
#include "kube/kube_manager/naming.h"

namespace csim::kube {

using controller::ConfigObject;
using controller::Ref;
using nlohmann::json;

namespace {

core::Status named(const core::Status& s, const std::string& what) {
  return s.is_ok() ? s : core::Status(s.code(), what + ": " + s.message());
}

// ServiceLbListenerManager.create: protocol defaults to UDP unless supported.
std::string listener_protocol(const std::string& k8s_protocol) {
  for (const char* p : {"TCP", "HTTP", "HTTPS", "TERMINATED_HTTPS"})
    if (k8s_protocol == p) return k8s_protocol;
  return "UDP";
}

// ServiceLbPoolManager.create: TCP, HTTP, HTTPS, else UDP.
std::string pool_protocol(const std::string& k8s_protocol) {
  for (const char* p : {"TCP", "HTTP", "HTTPS"})
    if (k8s_protocol == p) return k8s_protocol;
  return "UDP";
}

struct Port {
  int port = 0;
  std::string protocol = "TCP";  // as written in the Service (Kubernetes default TCP)
  std::string name;              // "" when unnamed
};

std::vector<Port> service_ports(const json& svc) {
  std::vector<Port> out;
  for (const auto& p : svc.value("spec", json::object()).value("ports", json::array())) {
    if (!p.is_object() || !p.contains("port") || !p["port"].is_number_integer()) continue;
    Port port;
    port.port = p["port"].get<int>();
    port.protocol = p.value("protocol", "TCP");
    port.name = p.value("name", "");
    out.push_back(port);
  }
  return out;
}

json listener_annotations(const Port& p) {
  if (p.name.empty()) return json();
  return key_value_pairs({{"portName", p.name}});
}

core::Result<ConfigObject> create_listener(Context& ctx, const ConfigObject& lb,
                                           const ConfigObject& project, const Port& p) {
  ConfigObject ll;
  ll.type = "loadbalancer-listener";
  ll.uuid = new_uuid4();
  const std::string ll_name =
      lb.name() + "-" + p.protocol + "-" + std::to_string(p.port) + "-" + ll.uuid;
  ll.fq_name = project.fq_name;
  ll.fq_name.push_back(ll_name);
  ll.parent_type = "project";
  ll.parent_uuid = project.uuid;
  ll.props["display_name"] = ll_name;
  ll.props["loadbalancer_listener_properties"] = {
      {"protocol", listener_protocol(p.protocol)}, {"protocol_port", p.port}, {"admin_state", true}};
  if (!p.name.empty()) ll.props["annotations"] = listener_annotations(p);
  ll.refs.push_back(Ref{"loadbalancer", lb.uuid, {}, nullptr});
  auto created = ctx.api.create(ll);
  if (!created) return named(created.status(), "create loadbalancer-listener " + ll_name);
  return created;
}

bool listener_matches(const ConfigObject& ll, const Port& p) {
  const json props = ll.props.value("loadbalancer_listener_properties", json::object());
  return props.value("protocol_port", json()) == json(p.port) &&
         props.value("protocol", "") == listener_protocol(p.protocol);
}

core::Status create_pool(Context& ctx, const ConfigObject& listener, const ConfigObject& project,
                         const Port& p) {
  ConfigObject pool;
  pool.type = "loadbalancer-pool";
  pool.uuid = new_uuid4();
  pool.fq_name = project.fq_name;
  pool.fq_name.push_back(listener.name());
  pool.parent_type = "project";
  pool.parent_uuid = project.uuid;
  pool.props["loadbalancer_pool_properties"] = {{"protocol", pool_protocol(p.protocol)},
                                                {"admin_state", true}};
  pool.refs.push_back(Ref{"loadbalancer-listener", listener.uuid, {}, nullptr});
  auto created = ctx.api.create(pool);
  if (!created) return named(created.status(), "create loadbalancer-pool " + listener.name());
  return core::Status::ok();
}

}  // namespace

std::vector<ConfigObject> loadbalancers_for(Context& ctx, const std::string& kind,
                                            const std::string& ns, const std::string& name) {
  std::vector<ConfigObject> out;
  auto project = ctx.api.read_fq("project", project_fq_name(ctx.options, ns));
  if (!project) return out;
  for (auto& lb : ctx.api.children(project->uuid, "loadbalancer")) {
    if (!owned_by_cluster(ctx.options, lb)) continue;
    if (lb.annotation("kind") != kind || lb.annotation("namespace") != ns ||
        lb.annotation("name") != name)
      continue;
    out.push_back(std::move(lb));
  }
  return out;
}

core::Status reconcile_service(Context& ctx, const std::string& ns, const std::string& name,
                               const std::vector<std::string>& gone_uids) {
  auto svc = ctx.store.get("Service", ns, name);
  const std::string uid = svc ? (*svc)["metadata"].value("uid", "") : "";
  const std::string cluster_ip =
      svc ? (*svc).value("spec", json::object()).value("clusterIP", "") : "";
  const bool headless = cluster_ip == "None";
  const bool wanted = svc && !headless;

  // Stale loadbalancers: other uids of this Service, deleted uids, or a headless Service.
  std::vector<std::string> stale;
  // Other uids of this name come with their DELETED event (gone_uids) or, after a kill,
  // from the resync's sweep; listing the project's loadbalancers (O(loadbalancers in the
  // namespace)) is kept for when this one is not wanted: a delete, or another controller.
  if (!ctx.resyncing && !wanted)
    for (const auto& lb : loadbalancers_for(ctx, "Service", ns, name))
      if (!wanted || lb.uuid != uid) stale.push_back(lb.uuid);
  if (ctx.resyncing && !wanted && svc) {
    if (auto lb = ctx.api.read(uid); lb && lb->type == "loadbalancer") stale.push_back(uid);
  }
  for (const auto& gone : gone_uids) {
    if (wanted && gone == uid) continue;
    auto lb = ctx.api.read(gone);
    if (lb && lb->type == "loadbalancer" && owned_by_cluster(ctx.options, *lb) &&
        lb->annotation("kind") == "Service")
      stale.push_back(gone);
  }
  for (const auto& lb_uuid : stale) {
    auto lb = ctx.api.read(lb_uuid);
    if (!lb) continue;
    if (auto s = delete_loadbalancer(ctx, lb_uuid, LbKind::kService); !s) return s;
    ctx.record("service", "service " + ns + "/" + name + ": native loadbalancer " + lb->name() +
                              " deleted with its listeners, pools, members and VIP");
  }
  // VIP interfaces without a loadbalancer (a kill between their create and the
  // loadbalancer's, or between the loadbalancer's delete and theirs) of uids not wanted.
  std::vector<std::string> unwanted = gone_uids;
  if (svc && !wanted) unwanted.push_back(uid);
  for (const auto& u : unwanted) {
    if (wanted && u == uid) continue;
    auto deleted = delete_unused_vip_interface(ctx, "Service", ns, name, u);
    if (!deleted) return deleted.status();
    if (*deleted)
      ctx.record("service", "service " + ns + "/" + name + ": VIP interface " +
                                vip_interface_name(ctx.options, "Service", name, u) +
                                " without a loadbalancer deleted with its instance-ip");
  }
  if (!wanted) return core::Status::ok();
  if (cluster_ip.empty()) {
    ctx.record("service", "service " + ns + "/" + name + " has no clusterIP yet; waiting");
    return core::Status::ok();
  }

  if (ctx.ensure_namespace)
    if (auto s = ctx.ensure_namespace(ns); !s) return s;
  auto project = ctx.api.read_fq("project", project_fq_name(ctx.options, ns));
  if (!project) return core::not_found("project " + fq_string(project_fq_name(ctx.options, ns)) +
                                       " does not exist (namespace " + ns + ")");

  auto lb = ctx.api.read(uid);
  if (!lb) {
    auto vip = create_vip_interface(ctx, "Service", ns, name, uid, *project,
                                    ctx.cluster.service_network_uuid,
                                    ctx.cluster.service_subnet_uuid, cluster_ip);
    if (!vip) return vip.status();
    auto created = create_loadbalancer(ctx, "Service", ns, name, uid, *project, *vip);
    if (!created) {
      delete_virtual_interface(ctx.api, vip->vmi.uuid);
      return created.status();
    }
    lb = *created;
    ctx.record("service", "service " + ns + "/" + name + " -> native loadbalancer " + lb->name() +
                              " with clusterIP " + cluster_ip + " on " +
                              service_network_name(ctx.options));
  }

  if (auto s = ensure_service_appliance_set_ref(ctx, *lb); !s) return s;

  // Listeners and pools, one per port, matched by (protocol_port, protocol).
  const auto ports = service_ports(*svc);
  auto listeners = listeners_of(ctx.api, lb->uuid);
  std::vector<bool> used(listeners.size(), false);
  std::vector<std::optional<size_t>> match(ports.size());
  for (size_t k = 0; k < ports.size(); ++k) {
    for (size_t i = 0; i < listeners.size(); ++i) {
      if (!used[i] && listener_matches(listeners[i], ports[k])) {
        used[i] = true;
        match[k] = i;
        break;
      }
    }
  }
  for (size_t k = 0; k < ports.size(); ++k) {
    const Port& p = ports[k];
    ConfigObject ll;
    if (match[k]) {
      ll = listeners[*match[k]];
      if (ll.props.value("annotations", json()) != listener_annotations(p)) {
        auto updated = modify(ctx.api, ll.uuid, [&](ConfigObject& o) {
          if (p.name.empty()) o.props.erase("annotations");
          else o.props["annotations"] = listener_annotations(p);
        });
        if (!updated) return updated.status();
      }
    } else {
      auto created = create_listener(ctx, *lb, *project, p);
      if (!created) return created.status();
      ll = *created;
      ctx.record("service", "service " + ns + "/" + name + ": listener " + p.protocol + "/" +
                                std::to_string(p.port) +
                                (p.name.empty() ? "" : " (" + p.name + ")") + " and its pool");
    }
    if (!pool_of(ctx.api, ll.uuid)) {
      if (auto s = create_pool(ctx, ll, *project, p); !s) return s;
    }
  }
  for (size_t i = 0; i < listeners.size(); ++i) {
    if (used[i]) continue;
    if (auto s = delete_listener_tree(ctx.api, listeners[i]); !s) return s;
    ctx.record("service", "service " + ns + "/" + name + ": listener " + listeners[i].name() +
                              " no longer in spec.ports; deleted with its pool and members");
  }
  return core::Status::ok();
}

}  // namespace csim::kube
