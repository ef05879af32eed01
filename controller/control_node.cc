#include "controller/control_node.h"

#include <algorithm>
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
  auto task = [this] {
    pending_ = false;
    core::ScopedTraceContext context(latest_context_);
    recompute();
  };
  const core::Nanos now = bus_.clock().now();
  const core::Nanos ready_at = last_end_ + kPacingFactor * (last_end_ - last_start_);
  if (ready_at > now)
    bus_.post_after(kModule, std::min<core::Nanos>(ready_at - now, kMaxPacing), std::move(task));
  else
    bus_.post(kModule, std::move(task));
}

void ControlNode::recompute() {
  const auto start = bus_.clock().now();
  RecomputeStats stats;
  // The pacing measures the incremental part: the first recompute's full load is a
  // one-off (at a restart it would otherwise hold back the next recompute by up to
  // kMaxPacing, right when the agents come up).
  core::Nanos paced_start = start;
  if (!loaded_) {
    // Everything once; the changes noted so far are in what list() returns.
    index_.load(api_);
    loaded_ = true;
    changed_.clear();
    paced_start = bus_.clock().now();
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

  // Views that may differ, or that their agent must get again: one at a time (built,
  // compared, published, dropped), so at most one new view is in memory at once.
  size_t pushes = 0;
  for (const auto& [node, underlay] : live) {
    const Agent& a = agents_.at(node);
    if (!a.resend && !update.nodes.count(node)) continue;
    json content = index_.view(node);
    ++stats.views_built;
    std::string dump = content.dump();
    if (!a.resend && dump == a.content) continue;
    // Versions are written on this strand only.
    const uint64_t version = a.version + 1;
    std::string summary = view_summary(version, content);
    json body = std::move(content);
    body["version"] = version;
    body["node"] = node;
    body["summary"] = summary;
    {
      std::lock_guard lock(mu_);
      Agent& w = agents_[node];
      w.version = version;
      w.resend = false;
      w.content.swap(dump);  // the previous one is freed after the lock
      w.summary = std::move(summary);
    }
    bus_.publish(kModule, "xmpp." + node, std::move(body));
    ++pushes;
  }
  const json* gateway = nullptr;
  if (update.gateway && index_.gateway_routes() != gateway_routes_)
    gateway = &index_.gateway_routes();
  const auto& s = index_.stats();
  stats.prefixes = s.prefixes;
  stats.floating_ips = s.floating_ips;
  stats.walks = s.walks;
  stats.walk_changes = s.walk_changes;

  json gateway_body;
  {
    std::lock_guard lock(mu_);
    ++recomputes_;
    last_stats_ = stats;
    if (gateway) {
      gateway_routes_ = *gateway;
      ++gateway_version_;
      gateway_body = json{{"version", gateway_version_},
                          {"routes", gateway_routes_},
                          {"summary", gateway_summary(gateway_version_, gateway_routes_)}};
    }
  }
  if (gateway) {
    bus_.publish(kModule, "bgp.gateway", std::move(gateway_body));
    ++pushes;
  }
  last_start_ = paced_start;
  last_end_ = bus_.clock().now();
  bus_.record(kModule, "recompute",
              std::to_string(live.size()) + " live agents, " + plural(pushes, "push", "pushes"),
              start, last_end_);
}

ControlNode::RecomputeStats ControlNode::last_recompute() const {
  std::lock_guard lock(mu_);
  return last_stats_;
}

json ControlNode::view_of(const std::string& node) const {
  std::string content, summary;
  uint64_t version = 0;
  {
    std::lock_guard lock(mu_);
    auto it = agents_.find(node);
    if (it == agents_.end() || it->second.content.empty()) return json();
    content = it->second.content;
    summary = it->second.summary;
    version = it->second.version;
  }
  json body = json::parse(content);
  body["version"] = version;
  body["node"] = node;
  body["summary"] = std::move(summary);
  return body;
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
