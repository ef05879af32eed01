#include "controller/control_node.h"

#include <set>
#include <vector>

#include "controller/agent_views.h"

namespace csim::controller {
namespace {

using nlohmann::json;

const std::set<std::string>& walked_types() {
  static const std::set<std::string> kTypes = {
      "virtual-router",   "virtual-machine",           "service-instance",
      "service-template", "virtual-machine-interface", "instance-ip",
      "floating-ip",      "virtual-network",           "network-ipam"};
  return kTypes;
}

std::string plural(size_t n, const std::string& one, const std::string& many) {
  return std::to_string(n) + " " + (n == 1 ? one : many);
}

std::string view_summary(uint64_t version, const json& content) {
  size_t vms = 0, sis = 0;
  for (const auto& o : content["objects"]) {
    const std::string type = o.value("type", "");
    if (type == "virtual-machine") ++vms;
    if (type == "service-instance") ++sis;
  }
  return "view v" + std::to_string(version) + ": " + plural(vms, "VM", "VMs") + ", " +
         plural(sis, "SI", "SIs") + ", " + plural(content["routes"].size(), "route", "routes") +
         ", " + plural(content["services"].size(), "service", "services") + ", " +
         plural(content["floating_ips"].size(), "FIP", "FIPs");
}

std::string gateway_summary(uint64_t version, const json& routes) {
  std::string s =
      "gateway v" + std::to_string(version) + ": " + plural(routes.size(), "route", "routes");
  size_t shown = 0;
  for (const auto& r : routes) {
    if (shown++ == 3) {
      s += ", ...";
      break;
    }
    s += (shown == 1 ? ": " : ", ") + r["prefix"].get<std::string>() + " -> " +
         r["node"].get<std::string>();
  }
  return s;
}

std::string string_field(const json& body, const char* field) {
  if (!body.is_object()) return "";
  auto it = body.find(field);
  return it != body.end() && it->is_string() ? it->get<std::string>() : "";
}

}  // namespace

ControlNode::ControlNode(core::Bus& bus, const ConfigApi& api) : bus_(bus), api_(api) {}

void ControlNode::start() {
  bus_.subscribe(kModule, "config.changed.",
                 [this](const core::Envelope& e) { on_config_changed(e); });
  bus_.subscribe(kModule, "agent.status", [this](const core::Envelope& e) { on_agent_status(e); });
  bus_.subscribe(kModule, "agent.ack", [this](const core::Envelope& e) { on_agent_ack(e); });
  bus_.post(kModule, [this] { schedule(); });
}

void ControlNode::on_config_changed(const core::Envelope& e) {
  if (walked_types().count(string_field(e.body, "type"))) schedule();
}

void ControlNode::on_agent_status(const core::Envelope& e) {
  const std::string node = string_field(e.body, "node");
  const std::string state = string_field(e.body, "state");
  if (node.empty() || (state != "up" && state != "down")) {
    auto now = bus_.clock().now();
    bus_.record(kModule, "agent.status ignored",
                "agent.status without node or with state \"" + state + "\": " + e.body.dump(), now,
                now);
    return;
  }
  {
    std::lock_guard lock(mu_);
    Agent& a = agents_[node];
    a.live = state == "up";
    if (a.live) a.underlay_ip = string_field(e.body, "underlay_ip");
    a.content = nullptr;  // a (re)connected agent gets its full view; a down one none
  }
  schedule();
}

void ControlNode::on_agent_ack(const core::Envelope& e) {
  const std::string node = string_field(e.body, "node");
  if (node.empty()) return;
  std::lock_guard lock(mu_);
  Agent& a = agents_[node];
  a.acked_version = e.body.value("version", uint64_t{0});
  a.ack_ok = e.body.value("ok", true);
  a.ack_error = string_field(e.body, "error");
}

void ControlNode::schedule() {
  // A burst of changes makes one recompute; it runs under the trace context of the newest
  // change, so the trace links a push to what most likely caused it (e.g. svc-monitor's
  // last write for a new service-instance) rather than to the first change of the burst.
  latest_context_ = core::current_trace_context();
  if (pending_) return;
  pending_ = true;
  bus_.post(kModule, [this] {
    pending_ = false;
    core::ScopedTraceContext context(latest_context_);
    recompute();
  });
}

void ControlNode::recompute() {
  const auto start = bus_.clock().now();
  LiveAgents live;
  {
    std::lock_guard lock(mu_);
    for (const auto& [node, a] : agents_)
      if (a.live) live[node] = a.underlay_ip;
  }
  AgentViews views = compute_agent_views(api_, live);

  std::vector<std::pair<std::string, json>> publishes;
  {
    std::lock_guard lock(mu_);
    ++recomputes_;
    for (auto& [node, content] : views.nodes) {
      Agent& a = agents_[node];
      if (!a.live || content == a.content) continue;
      a.content = content;
      ++a.version;
      json body = content;
      body["version"] = a.version;
      body["node"] = node;
      body["summary"] = view_summary(a.version, content);
      a.view = body;
      publishes.emplace_back("xmpp." + node, std::move(body));
    }
    if (views.gateway_routes != gateway_routes_) {
      gateway_routes_ = views.gateway_routes;
      ++gateway_version_;
      publishes.emplace_back(
          "bgp.gateway",
          json{{"version", gateway_version_},
               {"routes", views.gateway_routes},
               {"summary", gateway_summary(gateway_version_, views.gateway_routes)}});
    }
  }
  bus_.record(
      kModule, "recompute",
      std::to_string(live.size()) + " live agents, " + plural(publishes.size(), "push", "pushes"),
      start, bus_.clock().now());
  for (auto& [topic, body] : publishes) bus_.publish(kModule, topic, std::move(body));
}

json ControlNode::view_of(const std::string& node) const {
  std::lock_guard lock(mu_);
  auto it = agents_.find(node);
  return it == agents_.end() ? json() : it->second.view;
}

json ControlNode::introspect() const {
  std::lock_guard lock(mu_);
  json agents = json::object();
  for (const auto& [node, a] : agents_)
    agents[node] = {{"state", a.live ? "up" : "down"},
                    {"underlay_ip", a.underlay_ip},
                    {"version", a.version},
                    {"acked_version", a.acked_version},
                    {"ack_ok", a.ack_ok},
                    {"ack_error", a.ack_error}};
  return {{"recomputes", recomputes_},
          {"agents", std::move(agents)},
          {"gateway",
           {{"version", gateway_version_},
            {"routes", gateway_routes_.is_null() ? json::array() : gateway_routes_}}}};
}

}  // namespace csim::controller
