#include "kube/kube_manager/ingress_reconciler.h"

#include <algorithm>
#include <optional>

#include "kube/kube_manager/config_ops.h"
#include "kube/kube_manager/ingress_backends.h"
#include "kube/kube_manager/naming.h"
#include "kube/kube_manager/service_reconciler.h"

namespace csim::kube {

using controller::ConfigObject;
using controller::FqName;
using controller::Ref;
using nlohmann::json;

namespace {

core::Status named(const core::Status& s, const std::string& what) {
  return s.is_ok() ? s : core::Status(s.code(), what + ": " + s.message());
}

std::optional<std::string> metadata_annotation(const json& obj, const std::string& key) {
  const json meta = obj.value("metadata", json::object());
  const json ann = meta.value("annotations", json::object());
  if (!ann.is_object()) return std::nullopt;
  auto it = ann.find(key);
  if (it == ann.end() || !it->is_string()) return std::nullopt;
  return it->get<std::string>();
}

// §1.1: annotation kubernetes.io/ingress.class (default opencontrail); csim also reads
// spec.ingressClassName when there is no annotation. Returns the foreign class, or "".
std::string foreign_class(const json& ing) {
  if (auto cls = metadata_annotation(ing, "kubernetes.io/ingress.class"))
    return *cls == "opencontrail" ? "" : *cls;
  const json spec = ing.value("spec", json::object());
  if (auto it = spec.find("ingressClassName"); it != spec.end() && it->is_string())
    return it->get<std::string>() == "opencontrail" ? "" : it->get<std::string>();
  return "";
}

// Where a backend's member points, or why it has none.
struct Target {
  bool ok = false;
  std::string address;
  int port = 0;
  std::string reason;
};

Target resolve_target(Context& ctx, const std::string& ns, const IngressBackend& b) {
  Target t;
  auto svc = ctx.store.get("Service", ns, b.service_name);
  if (!svc) {
    t.reason = "Service " + ns + "/" + b.service_name + " not found";
    return t;
  }
  const json spec = svc->value("spec", json::object());
  const std::string cluster_ip = spec.value("clusterIP", "");
  if (cluster_ip.empty() || cluster_ip == "None") {
    t.reason = "Service " + ns + "/" + b.service_name + " has no clusterIP";
    return t;
  }
  if (b.service_port_number) {
    // Improvement over Contrail, which makes the member at any number: a port the Service
    // does not have would leave haproxy waiting on a connection nothing answers (until its
    // connect timeout, then 503). Here the backend is unavailable, as a missing named port.
    t.port = *b.service_port_number;
    const json ports = spec.value("ports", json::array());
    const bool found = std::any_of(ports.begin(), ports.end(), [&](const json& p) {
      return p.is_object() && p.contains("port") && p["port"].is_number_integer() &&
             p["port"].get<int>() == t.port;
    });
    if (!found) {
      t.reason = "port " + std::to_string(t.port) + " not found in Service " + ns + "/" + b.service_name;
      return t;
    }
  } else {
    // Improvement over Contrail, which passes the port name through as protocol_port:
    // a named servicePort is resolved to the number of the Service port of that name.
    bool found = false;
    for (const auto& p : spec.value("ports", json::array())) {
      if (p.is_object() && p.value("name", "") == b.service_port_name &&
          p.contains("port") && p["port"].is_number_integer()) {
        t.port = p["port"].get<int>();
        found = true;
        break;
      }
    }
    if (!found) {
      t.reason = "port " + b.service_port_name + " not found in Service " + ns + "/" + b.service_name;
      return t;
    }
  }
  t.ok = true;
  t.address = cluster_ip;
  return t;
}

// "path /qa.html -> qa-webserver:80", "host foo.bar.com -> …", "default backend -> …".
std::string describe(const IngressBackend& b) {
  std::string what;
  if (b.listener_protocol == "TERMINATED_HTTPS") what += "HTTPS ";
  if (b.type == "default") {
    what += "default backend";
  } else {
    std::string cond;
    if (b.host) cond += "host " + *b.host;
    if (b.path) cond += std::string(cond.empty() ? "" : " ") + "path " + *b.path;
    what += cond.empty() ? "rule without host or path" : cond;
  }
  return what + " -> " + b.service_name + ":" + b.service_port_text();
}

// One existing listener of the loadbalancer with its pool and members (§1.7 step 2).
struct OldBackend {
  ConfigObject listener;
  std::optional<ConfigObject> pool;
  std::vector<ConfigObject> members;
  bool done = false;
};

// The pool annotations Contrail's diff compares (host, path, type): csim's additions
// (index, pathType, claimed_hosts, backend_unavailable) are updated in place, never a
// reason for a new pool.
bool csim_annotation(const std::string& key) {
  return key == "index" || key == "pathType" || key == "claimed_hosts" ||
         key == kBackendUnavailableAnnotation;
}

std::map<std::string, std::string> diff_annotations(const IngressBackend& b) {
  std::map<std::string, std::string> out;
  for (const auto& [k, v] : pool_annotations(b))
    if (!csim_annotation(k)) out[k] = v;
  return out;
}

std::map<std::string, std::string> diff_annotations(const ConfigObject& pool) {
  auto out = annotation_map(pool);
  std::erase_if(out, [](const auto& kv) { return csim_annotation(kv.first); });
  return out;
}

bool same_listener(const OldBackend& o, const IngressBackend& b) {
  const json props = o.listener.props.value("loadbalancer_listener_properties", json::object());
  if (props.value("protocol", "") != b.listener_protocol) return false;
  std::string tls;
  if (auto it = props.find("default_tls_container"); it != props.end() && it->is_string())
    tls = it->get<std::string>();
  if (tls != b.default_tls_container) return false;
  std::vector<std::string> sni;
  if (auto it = props.find("sni_containers"); it != props.end() && it->is_array())
    for (const auto& s : *it)
      if (s.is_string()) sni.push_back(s.get<std::string>());
  return sni == b.sni_containers;
}

bool same_pool(const OldBackend& o, const IngressBackend& b) {
  if (!o.pool) return false;
  const json props = o.pool->props.value("loadbalancer_pool_properties", json::object());
  return props.value("protocol", "") == b.pool_protocol &&
         diff_annotations(*o.pool) == diff_annotations(b);
}

// Contrail's member comparison (serviceName and protocol_port of the first member); a
// backend whose Service cannot be resolved wants no member at all.
bool same_member(const OldBackend& o, const IngressBackend& b, const Target& t) {
  if (!t.ok) return o.members.empty();
  if (o.members.empty()) return false;
  const ConfigObject& m = o.members.front();
  if (m.annotation("serviceName") != b.service_name) return false;
  const json props = m.props.value("loadbalancer_member_properties", json::object());
  return props.value("protocol_port", json()) == json(t.port);
}

json member_props(const Target& t) {
  return {{"address", t.address}, {"protocol_port", t.port}, {"weight", 1}, {"admin_state", true}};
}

json member_annotations(const IngressBackend& b) {
  return key_value_pairs({{"serviceName", b.service_name}});
}

// The pool's annotations: ingress_backends.h's, then backend_unavailable = why when the
// backend's Service cannot be resolved.
json pool_annotation_kvps(const IngressBackend& b, const Target& t) {
  KeyValues kvs;
  for (const auto& [k, v] : pool_annotations(b)) kvs.emplace_back(k, v);
  if (!t.ok) kvs.emplace_back(kBackendUnavailableAnnotation, t.reason);
  return key_value_pairs(kvs);
}

// Writes the pool's annotations when they differ.
core::Status put_pool_annotations(Context& ctx, const ConfigObject& pool, const json& kvps) {
  if (pool.props.value("annotations", json()) == kvps) return core::Status::ok();
  auto u = modify(ctx.api, pool.uuid, [&](ConfigObject& p) { p.props["annotations"] = kvps; });
  return u ? core::Status::ok() : u.status();
}

core::Result<ConfigObject> create_member(Context& ctx, const ConfigObject& pool,
                                         const IngressBackend& b, const Target& t) {
  ConfigObject m;
  m.type = "loadbalancer-member";
  m.uuid = new_uuid4();
  m.fq_name = pool.fq_name;
  m.fq_name.push_back(m.uuid);
  m.parent_type = "loadbalancer-pool";
  m.parent_uuid = pool.uuid;
  m.props["loadbalancer_member_properties"] = member_props(t);
  m.props["annotations"] = member_annotations(b);
  auto created = ctx.api.create(m);
  if (!created) return named(created.status(), "create loadbalancer-member in pool " + pool.name());
  return created;
}

}  // namespace

IngressReconciler::IngressReconciler(Context& ctx) : ctx_(ctx) {}

std::vector<std::string> IngressReconciler::ingresses_using(const std::string& ns,
                                                            const std::string& service) const {
  return index_.ingresses_using(ns, service);
}

nlohmann::json IngressReconciler::introspect() const {
  return {{"service_index", index_.to_json()}};
}

void IngressReconciler::note(const std::string& key, const std::string& text) {
  new_notes_[key].insert(text);
  auto it = notes_.find(key);
  if (it != notes_.end() && it->second.count(text)) return;
  ctx_.record("ingress", text);
}

core::Status IngressReconciler::reconcile(const std::string& ns, const std::string& name,
                                          const std::vector<std::string>& gone_uids) {
  const std::string key = ns + "/" + name;
  new_notes_.erase(key);
  struct NotesCommit {  // the notes of this run become "the last run's" whatever the outcome
    IngressReconciler* self;
    std::string key;
    ~NotesCommit() {
      self->notes_[key] = self->new_notes_[key];
      self->new_notes_.erase(key);
    }
  } commit{this, key};

  auto ing = ctx_.store.get("Ingress", ns, name);
  const std::string uid = ing ? (*ing)["metadata"].value("uid", "") : "";
  const std::string cls = ing ? foreign_class(*ing) : "";
  const bool wanted = ing && cls.empty();

  // Loadbalancers to delete: other uids of this Ingress, deleted uids, or ours when the
  // Ingress belongs to another controller.
  std::vector<std::string> stale;
  // Other uids of this name come with their DELETED event (gone_uids) or, after a kill,
  // from the resync's sweep; listing the project's loadbalancers (O(loadbalancers in the
  // namespace)) is kept for when this one is not wanted: a delete, or another controller.
  if (!ctx_.resyncing && !wanted)
    for (const auto& lb : loadbalancers_for(ctx_, "Ingress", ns, name))
      if (!wanted || lb.uuid != uid) stale.push_back(lb.uuid);
  if (ctx_.resyncing && !wanted && ing) {
    if (auto lb = ctx_.api.read(uid); lb && lb->type == "loadbalancer") stale.push_back(uid);
  }
  for (const auto& gone : gone_uids) {
    if (wanted && gone == uid) continue;
    auto lb = ctx_.api.read(gone);
    if (lb && lb->type == "loadbalancer" && owned_by_cluster(ctx_.options, *lb) &&
        lb->annotation("kind") == "Ingress" &&
        std::find(stale.begin(), stale.end(), gone) == stale.end())
      stale.push_back(gone);
  }
  for (const auto& lb_uuid : stale) {
    auto lb = ctx_.api.read(lb_uuid);
    if (!lb) continue;
    std::string fip;
    for (const auto& vmi : vip_interfaces_of(*lb))
      for (const auto& f : floating_ips_of(ctx_.api, vmi))
        fip = f.props.value("floating_ip_address", "");
    const std::string vip =
        lb->props.value("loadbalancer_properties", json::object()).value("vip_address", "");
    if (auto s = delete_loadbalancer(ctx_, lb_uuid, LbKind::kIngress); !s) return s;
    ctx_.record("ingress", "ingress " + key + ": loadbalancer " + lb->name() +
                               " deleted with its listeners, pools and members; freed VIP " + vip +
                               (fip.empty() ? "" : " and external IP " + fip));
  }
  // VIP interfaces without a loadbalancer (a kill between their create and the
  // loadbalancer's, or between the loadbalancer's delete and theirs) of uids not wanted.
  std::vector<std::string> unwanted = gone_uids;
  if (ing && !wanted) unwanted.push_back(uid);
  for (const auto& u : unwanted) {
    if (wanted && u == uid) continue;
    auto deleted = delete_unused_vip_interface(ctx_, "Ingress", ns, name, u);
    if (!deleted) return deleted.status();
    if (*deleted)
      ctx_.record("ingress", "ingress " + key + ": VIP interface " +
                                 vip_interface_name(ctx_.options, "Ingress", name, u) +
                                 " without a loadbalancer deleted with its instance-ip and floating-ips");
  }
  if (!ing) {
    index_.remove(ns, name);
    return core::Status::ok();
  }
  if (!cls.empty()) {
    index_.remove(ns, name);
    note(key, "ingress " + key + " has class '" + cls + "', not opencontrail: ignored");
    return core::Status::ok();
  }

  // §1.4: what the spec asks for.
  std::vector<std::string> skipped;
  std::vector<IngressBackend> desired = ingress_backends(ing->value("spec", json::object()), ns, &skipped);
  for (const auto& s : skipped) note(key, "ingress " + key + ": " + s);
  {
    std::set<std::string> services;
    for (const auto& b : desired) services.insert(b.service_name);
    index_.set(ns, name, services);
  }

  if (ctx_.ensure_namespace)
    if (auto s = ctx_.ensure_namespace(ns); !s) return s;
  auto project = ctx_.api.read_fq("project", project_fq_name(ctx_.options, ns));
  if (!project) return core::not_found("project " + fq_string(project_fq_name(ctx_.options, ns)) +
                                       " does not exist (namespace " + ns + ")");

  // 1. The loadbalancer with its VIP interface (§1.2 #1-#3).
  std::optional<ConfigObject> lb = ctx_.api.read(uid);
  if (lb && vip_interfaces_of(*lb).empty()) {  // broken leftover: start over
    if (auto s = delete_loadbalancer(ctx_, uid, LbKind::kIngress); !s) return s;
    lb.reset();
  }
  if (!lb) {
    auto vip = create_vip_interface(ctx_, "Ingress", ns, name, uid, *project,
                                    ctx_.cluster.pod_network_uuid, ctx_.cluster.pod_subnet_uuid,
                                    std::nullopt);
    if (!vip) return vip.status();
    auto created = create_loadbalancer(ctx_, "Ingress", ns, name, uid, *project, *vip);
    if (!created) {
      delete_virtual_interface(ctx_.api, vip->vmi.uuid);
      return created.status();
    }
    lb = *created;
    ctx_.record("ingress", "ingress " + key + " -> loadbalancer " + lb->name() +
                               " (opencontrail), VIP " + vip->vip + " from " +
                               pod_network_name(ctx_.options));
  }
  if (auto s = ensure_service_appliance_set_ref(ctx_, *lb); !s) return s;
  lb = ctx_.api.read(uid);
  if (!lb) return core::not_found("loadbalancer " + uid + " vanished");
  const std::string vip =
      lb->props.value("loadbalancer_properties", json::object()).value("vip_address", "");
  const std::string vmi_uuid = vip_interfaces_of(*lb).front();

  // 2. The external IP (§1.6, §1.7 step 1).
  std::optional<std::string> desired_ip = metadata_annotation(*ing, "externalIP");
  if (desired_ip && desired_ip->empty()) desired_ip.reset();
  const json desired_ip_json = desired_ip ? json(*desired_ip) : json(nullptr);

  std::optional<FqName> pool_fq;
  std::string pool_source;
  if (auto text = metadata_annotation(*ing, "opencontrail.org/fip-pool")) {
    pool_fq = parse_fip_pool_dict(*text);
    if (!pool_fq) note(key, "ingress " + key + ": annotation opencontrail.org/fip-pool '" + *text +
                                "' is not a {domain, project, network, name} dict; ignored");
  }
  if (!pool_fq) {
    if (auto nsobj = ctx_.store.get("Namespace", "", ns))
      if (auto text = metadata_annotation(*nsobj, "opencontrail.org/fip-pool")) {
        pool_fq = parse_fip_pool_dict(*text);
        if (!pool_fq) note(key, "namespace " + ns + ": annotation opencontrail.org/fip-pool '" +
                                    *text + "' is not a {domain, project, network, name} dict; ignored");
      }
  }
  if (!pool_fq && ctx_.options.public_fip_pool.size() == 4) pool_fq = ctx_.options.public_fip_pool;

  auto fips = floating_ips_of(ctx_.api, vmi_uuid);
  KeyValues lb_annotations = annotation_list(*lb);
  auto ext_it = std::find_if(lb_annotations.begin(), lb_annotations.end(),
                             [](const auto& kv) { return kv.first == "externalIP"; });
  const bool annotation_changed = ext_it != lb_annotations.end() && ext_it->second != desired_ip_json;
  std::optional<std::string> fip_address;
  std::optional<ConfigObject> kept;
  if (!annotation_changed && pool_fq) {
    for (const auto& f : fips) {
      FqName parent(f.fq_name.begin(), f.fq_name.end() - (f.fq_name.empty() ? 0 : 1));
      if (parent == *pool_fq &&
          (!desired_ip || f.props.value("floating_ip_address", "") == *desired_ip)) {
        kept = f;
        break;
      }
    }
  }
  auto set_external_ip_annotation = [&](std::optional<json> value) -> core::Status {
    KeyValues kvs = annotation_list(*lb);
    auto it = std::find_if(kvs.begin(), kvs.end(), [](const auto& kv) { return kv.first == "externalIP"; });
    if (!value) {
      if (it == kvs.end()) return core::Status::ok();
      kvs.erase(it);
    } else if (it == kvs.end()) {
      kvs.emplace_back("externalIP", *value);
    } else if (it->second == *value) {
      return core::Status::ok();
    } else {
      it->second = *value;  // replaced, not appended (§6.2)
    }
    auto updated = modify(ctx_.api, lb->uuid,
                          [&](ConfigObject& o) { o.props["annotations"] = key_value_pairs(kvs); });
    if (!updated) return updated.status();
    lb = *updated;
    return core::Status::ok();
  };
  if (kept) {
    for (const auto& f : fips) {
      if (f.uuid == kept->uuid) continue;
      if (auto s = release_floating_ip(ctx_.api, f); !s) return s;
    }
    fip_address = kept->props.value("floating_ip_address", "");
    if (auto s = set_external_ip_annotation(desired_ip_json); !s) return s;
  } else {
    if (!fips.empty()) {
      std::string released;
      for (const auto& f : fips) released += (released.empty() ? "" : ", ") +
                                             f.props.value("floating_ip_address", std::string("?"));
      if (auto s = deallocate_floating_ips(ctx_.api, vmi_uuid); !s) return s;
      ctx_.record("ingress", "ingress " + key + ": released external IP " + released);
    }
    std::optional<ConfigObject> pool;
    if (pool_fq) {
      pool = ctx_.api.read_fq("floating-ip-pool", *pool_fq);
      if (!pool)
        note(key, "ingress " + key + ": floating-ip-pool " + fq_string(*pool_fq) +
                      " not found; no external IP (status has only the VIP)");
    }
    if (pool) {
      ConfigObject fip;
      fip.type = "floating-ip";
      fip.uuid = new_uuid4();
      fip.fq_name = pool->fq_name;
      fip.fq_name.push_back(join_name({name, fip.uuid}));
      fip.parent_type = "floating-ip-pool";
      fip.parent_uuid = pool->uuid;
      if (desired_ip) fip.props["floating_ip_address"] = *desired_ip;
      fip.refs.push_back(Ref{"project", project->uuid, {}, nullptr});
      fip.refs.push_back(Ref{"virtual-machine-interface", vmi_uuid, {}, nullptr});
      auto created = ctx_.api.create(fip);
      if (!created) {
        note(key, "ingress " + key + ": external IP " + (desired_ip ? *desired_ip : "(any)") +
                      " not allocated from " + fq_string(*pool_fq) + ": " +
                      created.status().message() + "; status has only the VIP");
      } else {
        fip_address = created->props.value("floating_ip_address", "");
        ctx_.record("ingress", "allocated VIP " + vip + " and external IP " + *fip_address +
                                   " for " + key + " (floating-ip " + created->name() + " in " +
                                   fq_string(*pool_fq) + ")");
      }
    }
    if (auto s = set_external_ip_annotation(fip_address ? std::optional<json>(desired_ip_json)
                                                        : std::nullopt);
        !s)
      return s;
  }

  // 3. Status: [FIP, VIP], only when it changed.
  {
    json addresses = json::array();
    if (fip_address) addresses.push_back({{"ip", *fip_address}});
    addresses.push_back({{"ip", vip}});
    const json status = {{"loadBalancer", {{"ingress", addresses}}}};
    const json current = ing->value("status", json::object());
    if (current.value("loadBalancer", json()) != status["loadBalancer"]) {
      auto updated = ctx_.store.update_status("Ingress", ns, name, status);
      if (!updated) return named(updated.status(), "update status of ingress " + key);
      std::string text;
      for (const auto& a : addresses) text += (text.empty() ? "" : ",") + a["ip"].get<std::string>();
      ctx_.record("ingress", "ingress " + key + " status: ADDRESS " + text);
    }
  }

  // 4. Backends (§1.7 steps 2-6).
  std::vector<OldBackend> old;
  for (auto& listener : listeners_of(ctx_.api, lb->uuid)) {
    OldBackend o;
    o.listener = listener;
    o.pool = pool_of(ctx_.api, listener.uuid);
    if (o.pool) o.members = members_of(ctx_.api, o.pool->uuid);
    old.push_back(std::move(o));
  }
  std::vector<Target> targets;
  for (const auto& b : desired) targets.push_back(resolve_target(ctx_, ns, b));

  // Phase 1: unchanged (annotations, listener, pool and member equal); phase 2: same
  // annotations, listener and pool, other member.
  std::vector<std::optional<size_t>> pair(desired.size());
  for (int phase = 1; phase <= 2; ++phase) {
    for (size_t i = 0; i < desired.size(); ++i) {
      if (pair[i]) continue;
      for (size_t j = 0; j < old.size(); ++j) {
        if (old[j].done) continue;
        if (!same_listener(old[j], desired[i]) || !same_pool(old[j], desired[i])) continue;
        if (phase == 1 && !same_member(old[j], desired[i], targets[i])) continue;
        old[j].done = true;
        pair[i] = j;
        break;
      }
    }
  }

  // A backend whose Service cannot be resolved keeps its listener and pool, without
  // member, annotated backend_unavailable (told once while it lasts).
  auto note_unavailable = [&](const IngressBackend& b, const Target& t) {
    note(key, "ingress " + key + ": " + describe(b) + ": " + t.reason +
                  "; listener and pool kept without member (pool annotation " +
                  kBackendUnavailableAnnotation + ")");
  };

  // Kept and updated backends: make member and pool right.
  for (size_t i = 0; i < desired.size(); ++i) {
    if (!pair[i]) continue;
    const IngressBackend& b = desired[i];
    const Target& t = targets[i];
    OldBackend& o = old[*pair[i]];
    // The port follows the protocol (80 or 443); the diff (Contrail's) compares only the
    // protocol, so a port changed through the config API is put back in place.
    const json lport = o.listener.props.value("loadbalancer_listener_properties", json::object())
                           .value("protocol_port", json());
    if (lport != json(b.listener_port())) {
      auto u = modify(ctx_.api, o.listener.uuid, [&](ConfigObject& l) {
        l.props["loadbalancer_listener_properties"]["protocol_port"] = b.listener_port();
      });
      if (!u) return u.status();
      ctx_.record("ingress", "ingress " + key + ": " + describe(b) + ": listener port put back to " +
                                 std::to_string(b.listener_port()) + " (was " + lport.dump() + ")");
    }
    if (!t.ok) {
      // Annotated first, then emptied: svc-monitor never sees a visible pool without
      // server under the contrail semantics.
      if (auto s = put_pool_annotations(ctx_, *o.pool, pool_annotation_kvps(b, t)); !s) return s;
      for (const auto& m : o.members)
        if (auto s = remove_if_present(ctx_.api, "loadbalancer-member", m.uuid); !s) return s;
      if (!o.members.empty())
        ctx_.record("ingress", "ingress " + key + ": " + describe(b) + ": " + t.reason +
                                   "; member removed from pool " + o.pool->name());
      note_unavailable(b, t);
      continue;
    }
    if (o.members.empty()) {
      auto m = create_member(ctx_, *o.pool, b, t);
      if (!m) return m.status();
      ctx_.record("ingress", "ingress " + key + ": " + describe(b) + ": member " + t.address + ":" +
                                 std::to_string(t.port) + " added to pool " + o.pool->name());
    } else {
      const ConfigObject& m = o.members.front();
      json props = m.props.value("loadbalancer_member_properties", json::object());
      const std::string was = m.annotation("serviceName").value_or("?") + " " +
                              props.value("address", json()).dump() + ":" +
                              props.value("protocol_port", json()).dump();
      const bool same = props.value("address", json()) == json(t.address) &&
                        props.value("protocol_port", json()) == json(t.port) &&
                        m.props.value("annotations", json()) == member_annotations(b);
      if (!same) {
        auto u = modify(ctx_.api, m.uuid, [&](ConfigObject& o) {
          json& p = o.props["loadbalancer_member_properties"];
          p["address"] = t.address;
          p["protocol_port"] = t.port;
          o.props["annotations"] = member_annotations(b);
        });
        if (!u) return u.status();
        ctx_.record("ingress", "ingress " + key + ": " + describe(b) + ": member updated to " +
                                   t.address + ":" + std::to_string(t.port) + " (was " + was + ")");
      }
      for (size_t k = 1; k < o.members.size(); ++k)
        if (auto s = remove_if_present(ctx_.api, "loadbalancer-member", o.members[k].uuid); !s)
          return s;
    }
    // After the member: a pool that was unavailable becomes visible with its server.
    if (auto s = put_pool_annotations(ctx_, *o.pool, pool_annotation_kvps(b, t)); !s) return s;
  }

  // Remaining old backends: members, pool, listener.
  for (const auto& o : old) {
    if (o.done) continue;
    if (auto s = delete_listener_tree(ctx_.api, o.listener); !s) return s;
    std::string what = o.listener.name();
    if (o.pool) {
      auto a = annotation_map(*o.pool);
      std::string cond;
      if (a.count("host")) cond += "host " + a["host"];
      if (a.count("path")) cond += std::string(cond.empty() ? "" : " ") + "path " + a["path"];
      if (a.count("type") && a["type"] == "default") cond = "default backend";
      if (!cond.empty()) what = cond;
    }
    ctx_.record("ingress", "ingress " + key + ": backend " + what +
                               " no longer in spec; listener, pool and members deleted");
  }

  // Remaining new backends: listener, pool, member (none for an unresolved Service).
  for (size_t i = 0; i < desired.size(); ++i) {
    if (pair[i]) continue;
    const IngressBackend& b = desired[i];
    const Target& t = targets[i];
    ConfigObject ll;
    ll.type = "loadbalancer-listener";
    ll.uuid = new_uuid4();
    const std::string ll_name = lb->name() + "-" + b.listener_protocol + "-" +
                                std::to_string(b.listener_port()) + "-" + ll.uuid;
    ll.fq_name = project->fq_name;
    ll.fq_name.push_back(ll_name);
    ll.parent_type = "project";
    ll.parent_uuid = project->uuid;
    ll.props["display_name"] = ll_name;
    json lprops = {{"protocol", b.listener_protocol},
                   {"protocol_port", b.listener_port()},
                   {"admin_state", true}};
    if (!b.default_tls_container.empty()) lprops["default_tls_container"] = b.default_tls_container;
    if (!b.sni_containers.empty()) lprops["sni_containers"] = b.sni_containers;
    ll.props["loadbalancer_listener_properties"] = lprops;
    ll.refs.push_back(Ref{"loadbalancer", lb->uuid, {}, nullptr});
    auto listener = ctx_.api.create(ll);
    if (!listener) return named(listener.status(), "create loadbalancer-listener " + ll_name);

    ConfigObject pool;
    pool.type = "loadbalancer-pool";
    pool.uuid = new_uuid4();
    pool.fq_name = project->fq_name;
    pool.fq_name.push_back(ll_name);
    pool.parent_type = "project";
    pool.parent_uuid = project->uuid;
    pool.props["loadbalancer_pool_properties"] = {
        {"protocol", b.pool_protocol}, {"loadbalancer_method", "ROUND_ROBIN"}, {"admin_state", true}};
    pool.props["annotations"] = pool_annotation_kvps(b, t);
    pool.refs.push_back(Ref{"loadbalancer-listener", listener->uuid, {}, nullptr});
    auto created_pool = ctx_.api.create(pool);
    if (!created_pool) return named(created_pool.status(), "create loadbalancer-pool " + ll_name);

    if (!t.ok) {
      ctx_.record("ingress", "ingress " + key + ": " + describe(b) + " unavailable: " + t.reason +
                                 " (listener " + b.listener_protocol + "/" +
                                 std::to_string(b.listener_port()) + ", pool " + ll_name +
                                 " without member)");
      note_unavailable(b, t);
      continue;
    }
    auto member = create_member(ctx_, *created_pool, b, t);
    if (!member) return member.status();
    ctx_.record("ingress", "ingress " + key + ": " + describe(b) + " = " + t.address + ":" +
                               std::to_string(t.port) + " (listener " + b.listener_protocol + "/" +
                               std::to_string(b.listener_port()) + ", pool " + ll_name + ")");
  }
  return core::Status::ok();
}

}  // namespace csim::kube
