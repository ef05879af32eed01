#include "svcmon/haproxy_driver.h"

#include "svcmon/haproxy_config.h"
#include "svcmon/netns_instances.h"

namespace csim::svcmon {
namespace {

using controller::ConfigObject;
using controller::Ref;
using controller::RefOp;
using nlohmann::json;

json instance_properties(const LbGraph& g) {
  return {{"interface_list", json::array({{{"virtual_network", fq_string(g.vip_vn->fq_name)},
                                           {"ip_address", g.vip_address()}}})},
          {"ha_mode", "active-standby"},
          {"scale_out", {{"max_instances", kNetnsInstances}, {"auto_scale", false}}}};
}

json bindings(const LbGraph& g, const std::string& text) {
  json kvps = json::array({{{"key", "lb_version"}, {"value", "v2"}},
                           {{"key", "lb_uuid"}, {"value", g.lb.uuid}},
                           {{"key", "haproxy_config"}, {"value", text}}});
  if (g.kubernetes()) kvps.push_back({{"key", "orchestrator"}, {"value", "kubernetes"}});
  return {{"key_value_pair", kvps}};
}

std::string stored_text(const ConfigObject& si) {
  auto it = si.props.find("service_instance_bindings");
  if (it == si.props.end()) return "";
  for (const auto& [k, v] : key_values(*it))
    if (k == "haproxy_config") return v;
  return "";
}

std::vector<ConfigObject> service_instances_of(const Context& ctx, const std::string& lb_uuid,
                                               const LbGraph* graph) {
  std::vector<ConfigObject> out;
  if (graph) {
    if (auto si = ctx.api.read_fq("service-instance", graph->service_instance_fq_name()))
      out.push_back(*si);
    return out;
  }
  for (auto& si :
       ctx.names ? ctx.names->find("service-instance", lb_uuid) : ctx.api.list("service-instance"))
    if (si.name() == lb_uuid) out.push_back(std::move(si));
  return out;
}

}  // namespace

core::Status ensure_haproxy_loadbalancer(const Context& ctx, VrouterScheduler& scheduler,
                                         const LbGraph& g, LbStatus* status) {
  const std::string lb_what = "loadbalancer " + g.lb.uuid;
  auto fail = [&](core::Status s) {
    status->errors.push_back(s.to_string());
    return s;
  };
  if (!g.vip_vmi)
    return fail(core::invalid(lb_what + ": no virtual_machine_interface ref (the VIP VMI)"));
  if (g.vip_iips.empty()) {
    // §3.4: a VIP VMI without an instance-ip has no service-instance.
    status->errors.push_back(lb_what + ": the VIP VMI " + g.vip_vmi->uuid +
                             " has no instance-ip yet: no service-instance");
    return remove_haproxy_loadbalancer(ctx, g.lb.uuid, &g);
  }
  if (!g.vip_vn)
    return fail(core::invalid(lb_what + ": the VIP VMI " + g.vip_vmi->uuid +
                              " has no virtual-network ref"));

  // Render.
  const auto render_start = ctx.now();
  core::Result<std::string> text = core::internal("not rendered");
  auto input = to_haproxy_input(g, ctx.state_dir);
  if (input) {
    input->semantics = ctx.semantics;
    text = render_haproxy_config(*input);
  }
  const core::Status render_status = input ? text.status() : input.status();
  if (!render_status) {
    status->errors.push_back("cannot render haproxy config: " + render_status.to_string());
    ctx.record("haproxy.render.failed",
               "cannot render haproxy.conf for lb " + g.lb.uuid + ": " + render_status.to_string(),
               render_start);
  }

  const auto fq = g.service_instance_fq_name();
  status->service_instance_fq_name = fq;
  auto si = ctx.api.read_fq("service-instance", fq);
  const json props = instance_properties(g);
  auto note_render = [&](const std::string& t) {
    auto counts = count_sections(t);
    ctx.record("haproxy.render",
               "rendered haproxy.conf for lb " + g.lb.uuid + " (" +
                   std::to_string(counts.frontends) + " frontends, " +
                   std::to_string(counts.backends) + " backends)",
               render_start);
  };

  if (!si) {
    if (!render_status) return render_status;  // no SI without a config text
    auto tmpl = ctx.api.read_fq("service-template", {"default-domain", kHaproxyTemplateName});
    if (!tmpl)
      return fail(
          core::not_found("service-template default-domain:" + std::string(kHaproxyTemplateName) +
                          " does not exist (svc-monitor start creates it)"));
    note_render(*text);
    const auto start = ctx.now();
    ConfigObject o;
    o.type = "service-instance";
    o.fq_name = fq;
    o.parent_type = "project";
    o.parent_uuid = g.lb.parent_uuid;
    o.props["service_instance_properties"] = props;
    o.props["service_instance_bindings"] = bindings(g, *text);
    o.refs.push_back(Ref{"service-template", tmpl->uuid, {}, nullptr});
    auto created = ctx.api.create(o);
    if (!created) return fail(created.status());
    if (ctx.names) ctx.names->note(*created);
    ctx.record("si.create",
               "created service-instance " + fq_string(fq) +
                   " (network-namespace, active-standby, 2 instances, vip " + g.vip_address() + ")",
               start);
    si = *created;
  } else {
    ConfigObject o = *si;
    bool changed = false, text_changed = false;
    if (o.props.value("service_instance_properties", json()) != props) {
      o.props["service_instance_properties"] = props;
      changed = true;
    }
    if (render_status) {
      json b = bindings(g, *text);
      if (o.props.value("service_instance_bindings", json()) != b) {
        text_changed = needs_reload(stored_text(o), *text);
        o.props["service_instance_bindings"] = b;
        changed = true;
      }
    }
    if (o.ref_uuids("service-template").empty()) {
      if (auto tmpl =
              ctx.api.read_fq("service-template", {"default-domain", kHaproxyTemplateName})) {
        o.refs.push_back(Ref{"service-template", tmpl->uuid, {}, nullptr});
        changed = true;
      }
    }
    if (changed) {
      if (text_changed) note_render(*text);
      const auto start = ctx.now();
      auto updated = ctx.api.update(o);
      if (!updated) return fail(updated.status());
      ctx.record("si.update",
                 "updated service-instance " + fq_string(fq) +
                     (text_changed ? " (new haproxy config)" : " (properties)"),
                 start);
      si = *updated;
    }
  }
  status->service_instance = si->uuid;
  auto counts = count_sections(stored_text(*si));
  status->frontends = counts.frontends;
  status->backends = counts.backends;

  core::Status first_error = render_status;
  if (!has_ref(g.lb, si->uuid)) {
    const auto start = ctx.now();
    core::Status s =
        ctx.api.ref_update("loadbalancer", g.lb.uuid, "service-instance", si->uuid, RefOp::kAdd);
    if (!s) {
      status->errors.push_back(s.to_string());
      if (first_error) first_error = s;
    } else {
      ctx.record("si.link",
                 "linked loadbalancer " + g.lb.uuid + " to service-instance " + fq_string(fq),
                 start);
    }
  }

  core::Status s = ensure_netns_instances(ctx, g, *si, &status->instances);
  if (!s) {
    status->errors.push_back(s.to_string());
    if (first_error) first_error = s;
  }
  s = scheduler.place(ctx, status->instances);
  if (!s) {
    status->errors.push_back(s.to_string());
    if (first_error) first_error = s;
  }
  return first_error;
}

core::Status remove_haproxy_loadbalancer(const Context& ctx, const std::string& lb_uuid,
                                         const LbGraph* graph) {
  for (const auto& si : service_instances_of(ctx, lb_uuid, graph)) {
    const auto start = ctx.now();
    for (const auto& lb : ctx.api.back_refs(si.uuid, "loadbalancer")) {
      core::Status s =
          ctx.api.ref_update("loadbalancer", lb.uuid, "service-instance", si.uuid, RefOp::kDelete);
      if (!s && s.code() != core::Code::kNotFound) return s;
    }
    if (auto s = remove_netns_instances(ctx, si); !s) return s;
    if (auto s = remove_if_present(ctx.api, "service-instance", si.uuid); !s) return s;
    ctx.record("si.delete", "deleted service-instance " + fq_string(si.fq_name), start);
  }
  return core::Status::ok();
}

}  // namespace csim::svcmon
