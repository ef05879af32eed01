#include "controller/control_node.h"

#include <set>
#include <vector>

namespace csim::controller {
namespace {

using nlohmann::json;

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

// Whether a view's content ({objects, routes, services, floating_ips}) is what the last
// published body carries.
bool same_content(const json& content, const json& body) {
  if (!body.is_object()) return false;
  for (const auto& [key, value] : content.items()) {
    auto it = body.find(key);
    if (it == body.end() || *it != value) return false;
  }
  return true;
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
  const std::string type = string_field(e.body, "type");
  if (!walked_types().count(type)) return;
  const std::string uuid = string_field(e.body, "uuid");
  if (!uuid.empty()) changed_[uuid] = type;
  schedule();
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
    a.resend = true;  // a (re)connected agent gets its full view; a down one none
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
  RecomputeStats stats;
  if (!loaded_) {
    // Everything once; the changes noted so far are in what list() returns.
    index_.load(api_);
    loaded_ = true;
    changed_.clear();
  }
  for (auto& [uuid, type] : changed_) {
    index_.apply(type, uuid, api_.read(uuid));
    ++stats.objects_read;
  }
  changed_.clear();

  // agents_ is written on this strand only, so reading it here needs no lock.
  LiveAgents live;
  for (const auto& [node, a] : agents_)
    if (a.live) live[node] = a.underlay_ip;
  index_.set_live(live);
  const AgentViewsIndex::Update update = index_.update();

  // Views that may differ, or that their agent must get again.
  std::vector<std::pair<std::string, json>> changed_views;
  for (const auto& [node, underlay] : live) {
    const Agent& a = agents_.at(node);
    if (!a.resend && !update.nodes.count(node)) continue;
    json content = index_.view(node);
    ++stats.views_built;
    if (!a.resend && same_content(content, a.view)) continue;
    changed_views.emplace_back(node, std::move(content));
  }
  const json* gateway = nullptr;
  if (update.gateway && index_.gateway_routes() != gateway_routes_)
    gateway = &index_.gateway_routes();
  const auto& s = index_.stats();
  stats.prefixes = s.prefixes;
  stats.floating_ips = s.floating_ips;
  stats.walks = s.walks;
  stats.walk_changes = s.walk_changes;

  // The bodies, and the copies kept for view_of() (made outside the lock).
  std::vector<std::pair<std::string, json>> publishes;
  std::vector<json> kept;
  for (auto& [node, content] : changed_views) {
    const uint64_t version = agents_.at(node).version + 1;
    const std::string summary = view_summary(version, content);
    json body = std::move(content);
    body["version"] = version;
    body["node"] = node;
    body["summary"] = summary;
    kept.push_back(body);
    publishes.emplace_back("xmpp." + node, std::move(body));
  }
  {
    std::lock_guard lock(mu_);
    ++recomputes_;
    last_stats_ = stats;
    for (size_t i = 0; i < changed_views.size(); ++i) {
      Agent& a = agents_[changed_views[i].first];
      ++a.version;
      a.resend = false;
      std::swap(a.view, kept[i]);  // the previous view is freed after the lock
    }
    if (gateway) {
      gateway_routes_ = *gateway;
      ++gateway_version_;
      publishes.emplace_back("bgp.gateway",
                             json{{"version", gateway_version_},
                                  {"routes", gateway_routes_},
                                  {"summary", gateway_summary(gateway_version_, gateway_routes_)}});
    }
  }
  bus_.record(
      kModule, "recompute",
      std::to_string(live.size()) + " live agents, " + plural(publishes.size(), "push", "pushes"),
      start, bus_.clock().now());
  for (auto& [topic, body] : publishes) bus_.publish(kModule, topic, std::move(body));
}

ControlNode::RecomputeStats ControlNode::last_recompute() const {
  std::lock_guard lock(mu_);
  return last_stats_;
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
