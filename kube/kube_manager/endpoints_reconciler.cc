#include "kube/kube_manager/endpoints_reconciler.h"

#include <map>
#include <optional>
#include <vector>

#include "kube/kube_manager/config_ops.h"
#include "kube/kube_manager/naming.h"

namespace csim::kube {

using controller::ConfigObject;
using nlohmann::json;

namespace {

core::Status named(const core::Status& s, const std::string& what) {
  return s.is_ok() ? s : core::Status(s.code(), what + ": " + s.message());
}

struct EndpointPort {
  int port = 0;
  std::string protocol = "TCP";
  std::string name;
};

struct PodAddress {
  std::string uid;
  std::string ip;
  std::string pod_name;
};

struct Desired {
  std::string vmi;
  std::string vm;
  int port = 0;
};

// The pod VMI (of VM `pod_uid`) whose instance-ip address is `ip`.
std::optional<std::string> vmi_with_address(Context& ctx, const std::string& pod_uid,
                                            const std::string& ip) {
  for (const auto& vmi : ctx.api.back_refs(pod_uid, "virtual-machine-interface"))
    for (const auto& iip : instance_ips_of(ctx.api, vmi.uuid))
      if (iip.props.value("instance_ip_address", "") == ip) return vmi.uuid;
  return std::nullopt;
}

json member_annotations(const std::string& vmi, const std::string& vm) {
  return key_value_pairs({{"vmi", vmi}, {"vm", vm}});
}

}  // namespace

core::Status reconcile_endpoints(Context& ctx, const std::string& ns, const std::string& name) {
  auto svc = ctx.store.get("Service", ns, name);
  if (!svc) return core::Status::ok();
  auto lb = ctx.api.read((*svc)["metadata"].value("uid", ""));
  if (!lb || lb->type != "loadbalancer") return core::Status::ok();

  auto ep = ctx.store.get("Endpoints", ns, name);
  std::vector<EndpointPort> ports;
  std::vector<PodAddress> pods;
  if (ep) {
    const json subsets = ep->value("subsets", json::array());
    if (subsets.is_array() && !subsets.empty()) {
      for (const auto& p : subsets[0].value("ports", json::array())) {
        if (!p.is_object() || !p.contains("port") || !p["port"].is_number_integer()) continue;
        ports.push_back({p["port"].get<int>(), p.value("protocol", "TCP"), p.value("name", "")});
      }
    }
    for (const auto& subset : subsets) {
      for (const auto& addr : subset.value("addresses", json::array())) {
        const json ref = addr.value("targetRef", json::object());
        const std::string uid = ref.value("uid", "");
        if (uid.empty()) continue;  // host endpoints: nested mode only
        pods.push_back({uid, addr.value("ip", ""), ref.value("name", "")});
      }
    }
  }

  // The pod interfaces behind the endpoint addresses.
  std::vector<std::pair<PodAddress, std::string>> resolved;  // (pod, vmi uuid)
  std::vector<std::string> waiting;
  for (const auto& pod : pods) {
    if (auto vmi = vmi_with_address(ctx, pod.uid, pod.ip)) {
      resolved.emplace_back(pod, *vmi);
      continue;
    }
    // hostNetwork pods never get an interface (vnc_pod.py ignores them): no member.
    auto obj = pod.pod_name.empty() ? std::nullopt : ctx.store.get("Pod", ns, pod.pod_name);
    if (obj && obj->value("spec", json::object()).value("hostNetwork", false)) continue;
    waiting.push_back(pod.pod_name.empty() ? pod.uid : pod.pod_name);
  }

  int created = 0;
  int removed = 0;
  int updated = 0;
  for (const auto& listener : listeners_of(ctx.api, lb->uuid)) {
    auto pool = pool_of(ctx.api, listener.uuid);
    if (!pool) continue;
    const json props = listener.props.value("loadbalancer_listener_properties", json::object());
    const std::string protocol = props.value("protocol", "");
    const std::string port_name = listener.annotation("portName").value_or("");
    std::optional<EndpointPort> port;
    for (const auto& p : ports) {
      const std::string p_protocol = p.protocol == "TCP" || p.protocol == "UDP" ? p.protocol : "UDP";
      if (p_protocol != protocol) continue;
      if (!port_name.empty() && !p.name.empty() && port_name != p.name) continue;
      port = p;
      break;
    }
    // Desired members of this pool, keyed by VMI uuid.
    std::map<std::string, Desired> desired;
    if (port)
      for (const auto& [pod, vmi] : resolved) desired[vmi] = {vmi, pod.uid, port->port};

    for (const auto& member : members_of(ctx.api, pool->uuid)) {
      const std::string vmi = member.annotation("vmi").value_or("");
      auto it = desired.find(vmi);
      if (it == desired.end() || member.annotation("vm") != it->second.vm) {
        if (auto s = remove_if_present(ctx.api, "loadbalancer-member", member.uuid); !s) return s;
        ++removed;
        continue;
      }
      const json mprops = member.props.value("loadbalancer_member_properties", json::object());
      if (mprops.value("protocol_port", json()) != json(it->second.port)) {
        const int port = it->second.port;
        auto u = modify(ctx.api, member.uuid, [&](ConfigObject& o) {
          o.props["loadbalancer_member_properties"]["protocol_port"] = port;
        });
        if (!u) return u.status();
        ++updated;
      }
      desired.erase(it);
    }
    for (const auto& [vmi, d] : desired) {
      ConfigObject m;
      m.type = "loadbalancer-member";
      m.uuid = new_uuid4();
      m.fq_name = pool->fq_name;
      m.fq_name.push_back(m.uuid);
      m.parent_type = "loadbalancer-pool";
      m.parent_uuid = pool->uuid;
      m.props["loadbalancer_member_properties"] = {
          {"protocol_port", d.port}, {"weight", 1}, {"admin_state", true}};
      m.props["annotations"] = member_annotations(d.vmi, d.vm);
      auto c = ctx.api.create(m);
      if (!c) return named(c.status(), "create loadbalancer-member in pool " + pool->name());
      ++created;
    }
  }
  if (created || removed || updated) {
    std::string summary = "endpoints " + ns + "/" + name + ": ";
    std::vector<std::string> parts;
    if (created) parts.push_back(std::to_string(created) + " member(s) added");
    if (updated) parts.push_back(std::to_string(updated) + " member port(s) updated");
    if (removed) parts.push_back(std::to_string(removed) + " member(s) removed");
    for (size_t i = 0; i < parts.size(); ++i) summary += (i ? ", " : "") + parts[i];
    summary += " (" + std::to_string(resolved.size()) + " pod(s) behind " + lb->name() + ")";
    ctx.record("endpoints", summary);
  }
  if (!waiting.empty()) {
    std::string w;
    for (size_t i = 0; i < waiting.size(); ++i) w += (i ? ", " : "") + waiting[i];
    ctx.record("endpoints", "endpoints " + ns + "/" + name + ": waiting for the interface of pod(s) " + w);
  }
  return core::Status::ok();
}

}  // namespace csim::kube
