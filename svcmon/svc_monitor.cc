#include "svcmon/svc_monitor.h"

#include <algorithm>
#include <optional>

#include "svcmon/haproxy_driver.h"
#include "svcmon/lb_graph.h"
#include "svcmon/native_driver.h"
#include "svcmon/scheduling_event.h"
#include "svcmon/startup_objects.h"

namespace csim::svcmon {
namespace {

// Object types whose changes can affect a loadbalancer (§3.2).
bool relevant_type(const std::string& type) {
  static const std::set<std::string> kTypes = {
      "loadbalancer", "loadbalancer-listener", "loadbalancer-pool",        "loadbalancer-member",
      "instance-ip",  "floating-ip",           "virtual-machine-interface"};
  return kTypes.count(type) > 0;
}

std::string join_lines(const std::vector<std::string>& v) {
  std::string out;
  for (size_t i = 0; i < v.size(); ++i) out += (i ? "; " : "") + v[i];
  return out;
}

}  // namespace

SvcMonitor::SvcMonitor(core::Bus& bus, controller::ConfigApi& api, SvcMonitorOptions options)
    : bus_(bus),
      api_(api),
      options_(std::move(options)),
      names_(api),
      ctx_{bus, api, options_.state_dir},
      scheduler_(options_.seed) {
  ctx_.names = &names_;
}

core::Status SvcMonitor::start() {
  auto semantics = parse_routing_semantics(options_.semantics);
  if (!semantics)
    return core::invalid("svc-monitor: semantics \"" + options_.semantics +
                         "\" is neither \"contrail\" nor \"kubernetes\"");
  ctx_.semantics = *semantics;
  if (auto s = ensure_startup_objects(ctx_); !s) return s;
  bus_.subscribe(kModule, "config.changed.",
                 [this](const core::Envelope& e) { on_config_changed(e); });
  bus_.subscribe(kModule, "agent.status", [this](const core::Envelope& e) { on_agent_status(e); });
  resync();
  return core::Status::ok();
}

void SvcMonitor::resync() {
  bus_.post(kModule, [this] { resync_now(); });
}

nlohmann::json SvcMonitor::introspect() const {
  std::unique_lock lock(mu_);
  nlohmann::json lbs = nlohmann::json::array();
  for (const auto& [uuid, st] : status_) lbs.push_back(st);
  return {{"module", kModule}, {"agents", agents_}, {"loadbalancers", lbs}};
}

void SvcMonitor::on_config_changed(const core::Envelope& e) {
  names_.on_change(e.body);
  const std::string type = e.body.value("type", "");
  const std::string uuid = e.body.value("uuid", "");
  if (uuid.empty()) return;
  if (type == "virtual-router") {
    scheduler_.vrouter_changed(uuid);
    // A vrouter appeared or changed: instances waiting for one may now be placed.
    for (const auto& lb : unscheduled_lbs_) mark_dirty(lb);
    return;
  }
  if (!relevant_type(type)) return;
  const LbsOfVmi lbs_of_vmi = [this](const std::string& vmi) {
    auto it = lbs_of_vmi_.find(vmi);
    return it == lbs_of_vmi_.end() ? std::vector<std::string>{}
                                   : std::vector<std::string>(it->second.begin(), it->second.end());
  };
  for (const auto& lb : affected_loadbalancers(api_, type, uuid, lbs_of_vmi)) mark_dirty(lb);
  auto it = lbs_of_object_.find(uuid);
  if (it != lbs_of_object_.end())
    for (const auto& lb : it->second) mark_dirty(lb);
}

void SvcMonitor::on_agent_status(const core::Envelope& e) {
  const std::string node = e.body.value("node", "");
  const std::string state = e.body.value("state", "");
  if (node.empty() || (state != "up" && state != "down")) return;
  const bool up = state == "up";
  if (!scheduler_.set_agent_state(node, up)) return;
  {
    std::unique_lock lock(mu_);
    agents_ = scheduler_.agent_states();
  }
  const auto start = ctx_.now();
  if (up) {
    ctx_.record("agent.up",
                "vrouter " + node + " is up: " + std::to_string(unscheduled_lbs_.size()) +
                    " loadbalancer(s) waiting for a vrouter",
                start);
    for (const auto& lb : unscheduled_lbs_) mark_dirty(lb);
    return;
  }
  // Down: every loadbalancer with a VM on that vrouter.
  std::set<std::string> affected;
  for (const auto& vr : api_.list("virtual-router")) {
    if (vr.name() != node) continue;
    for (const auto& vm_uuid : vr.ref_uuids("virtual-machine")) {
      auto it = lbs_of_object_.find(vm_uuid);
      if (it != lbs_of_object_.end()) affected.insert(it->second.begin(), it->second.end());
      if (auto vm = api_.read(vm_uuid))
        for (const auto& si_uuid : vm->ref_uuids("service-instance"))
          if (auto si = api_.read(si_uuid)) affected.insert(si->name());
    }
  }
  ctx_.record("agent.down",
              "vrouter " + node + " is down: rescheduling instances of " +
                  std::to_string(affected.size()) + " loadbalancer(s)",
              start);
  for (const auto& lb : affected) mark_dirty(lb);
}

void SvcMonitor::mark_dirty(const std::string& lb_uuid) {
  dirty_.insert(lb_uuid);
  if (pass_posted_) return;
  pass_posted_ = true;
  bus_.post(kModule, [this] { run_pass(); });
}

void SvcMonitor::run_pass() {
  pass_posted_ = false;
  std::set<std::string> batch;
  batch.swap(dirty_);
  for (const auto& lb : batch) reconcile(lb);
}

void SvcMonitor::resync_now() {
  scheduler_.forget_vrouters();
  std::set<std::string> lbs;
  for (const auto& lb : api_.list("loadbalancer")) lbs.insert(lb.uuid);
  // Service-instances svc-monitor made (bindings lb_uuid = their name), native FIPs. The
  // lists also reload the name index (name_index.h).
  const auto sis = api_.list("service-instance");
  names_.load("service-instance", sis);
  for (const auto& si : sis) {
    auto it = si.props.find("service_instance_bindings");
    if (it == si.props.end()) continue;
    for (const auto& [k, v] : key_values(*it))
      if (k == "lb_uuid" && v == si.name()) lbs.insert(v);
  }
  const auto fips = api_.list("floating-ip");
  names_.load("floating-ip", fips);
  for (const auto& fip : fips)
    if (fip.parent_type == "instance-ip") lbs.insert(fip.name());
  {
    std::unique_lock lock(mu_);
    for (const auto& [uuid, st] : status_) lbs.insert(uuid);
  }
  for (const auto& lb : lbs) mark_dirty(lb);
}

void SvcMonitor::reconcile(const std::string& lb_uuid) {
  LbStatus st;
  st.uuid = lb_uuid;
  std::vector<std::string> related;
  bool gone = false;
  // The other provider's leftovers are looked for when the provider may have changed:
  // first sight of the LB (start, restart) or a different provider last time.
  std::string previous_provider = "?";
  {
    std::unique_lock lock(mu_);
    auto it = status_.find(lb_uuid);
    if (it != status_.end()) previous_provider = it->second.provider;
  }
  bool cleanup_failed = false;
  auto cleanup = [&](const core::Status& s) {
    if (s) return;
    cleanup_failed = true;
    st.errors.push_back("removing what the other provider made: " + s.to_string());
  };

  auto graph = read_lb_graph(api_, lb_uuid);
  set_vmis(lb_uuid,
           graph ? graph->lb.ref_uuids("virtual-machine-interface") : std::vector<std::string>{});
  if (!graph) {
    // Deleted: remove whatever svc-monitor made for it.
    core::Status a = remove_haproxy_loadbalancer(ctx_, lb_uuid, nullptr);
    core::Status b = remove_native_loadbalancer(ctx_, lb_uuid);
    if (!a) st.errors.push_back("removing the service-instance: " + a.to_string());
    if (!b) st.errors.push_back("removing native floating-ips: " + b.to_string());
    gone = st.errors.empty();
  } else {
    st.fq_name = graph->lb.fq_name;
    st.provider = graph->provider;
    related = graph->uuids();
    if (graph->provider == kProviderOpencontrail) {
      ensure_haproxy_loadbalancer(ctx_, scheduler_, *graph, &st);
      if (previous_provider != kProviderOpencontrail || cleanup_pending_.count(lb_uuid))
        cleanup(remove_native_loadbalancer(ctx_, lb_uuid));
    } else if (graph->provider == kProviderNative) {
      ensure_native_loadbalancer(ctx_, *graph, &st);
      if (previous_provider != kProviderNative || cleanup_pending_.count(lb_uuid))
        cleanup(remove_haproxy_loadbalancer(ctx_, lb_uuid, &*graph));
    } else {
      st.errors.push_back("loadbalancer " + lb_uuid + ": loadbalancer_provider \"" +
                          graph->provider + "\" is neither opencontrail nor native");
      cleanup(remove_haproxy_loadbalancer(ctx_, lb_uuid, &*graph));
      cleanup(remove_native_loadbalancer(ctx_, lb_uuid));
    }
    if (!st.service_instance.empty()) related.push_back(st.service_instance);
    for (const auto& in : st.instances)
      for (const auto* u : {&in.vm_uuid, &in.vmi_uuid})
        if (!u->empty()) related.push_back(*u);
    for (const auto& f : st.native_fips) {
      related.push_back(f.uuid);
      related.insert(related.end(), f.vmis.begin(), f.vmis.end());
    }
  }

  if (cleanup_failed) {
    cleanup_pending_.insert(lb_uuid);
  } else {
    cleanup_pending_.erase(lb_uuid);
  }

  const bool waiting = std::any_of(st.instances.begin(), st.instances.end(),
                                   [](const InstanceStatus& in) { return in.vrouter.empty(); });
  if (waiting) {
    unscheduled_lbs_.insert(lb_uuid);
  } else {
    unscheduled_lbs_.erase(lb_uuid);
  }

  std::optional<LbStatus> previous;
  {
    std::unique_lock lock(mu_);
    auto it = status_.find(lb_uuid);
    if (it != status_.end()) previous = it->second;
    if (gone) {
      status_.erase(lb_uuid);
    } else {
      status_[lb_uuid] = st;
    }
  }
  if (!st.errors.empty() && (!previous || st.errors != previous->errors))
    ctx_.record("reconcile.error", "lb " + lb_uuid + ": " + join_lines(st.errors), ctx_.now());
  if (!gone && graph) {
    if (auto event = scheduling_event(previous ? &*previous : nullptr, st))
      bus_.publish(kModule, "kube.event", std::move(*event));
  }
  // A deleted LB whose cleanup failed keeps its status and related objects, so later
  // events (and resync) retry it.
  if (gone) {
    set_related(lb_uuid, {});
  } else if (graph) {
    set_related(lb_uuid, std::move(related));
  }
}

void SvcMonitor::set_related(const std::string& lb_uuid, std::vector<std::string> uuids) {
  auto old = objects_of_lb_.find(lb_uuid);
  if (old != objects_of_lb_.end()) {
    for (const auto& u : old->second) {
      auto it = lbs_of_object_.find(u);
      if (it == lbs_of_object_.end()) continue;
      it->second.erase(lb_uuid);
      if (it->second.empty()) lbs_of_object_.erase(it);
    }
    objects_of_lb_.erase(old);
  }
  if (uuids.empty()) return;
  for (const auto& u : uuids) lbs_of_object_[u].insert(lb_uuid);
  objects_of_lb_[lb_uuid] = std::move(uuids);
}

void SvcMonitor::set_vmis(const std::string& lb_uuid, std::vector<std::string> vmis) {
  auto old = vmis_of_lb_.find(lb_uuid);
  if (old != vmis_of_lb_.end()) {
    for (const auto& v : old->second) {
      auto it = lbs_of_vmi_.find(v);
      if (it == lbs_of_vmi_.end()) continue;
      it->second.erase(lb_uuid);
      if (it->second.empty()) lbs_of_vmi_.erase(it);
    }
    vmis_of_lb_.erase(old);
  }
  if (vmis.empty()) return;
  for (const auto& v : vmis) lbs_of_vmi_[v].insert(lb_uuid);
  vmis_of_lb_[lb_uuid] = std::move(vmis);
}

}  // namespace csim::svcmon
