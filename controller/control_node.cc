#include "controller/control_node.h"

#include <algorithm>
#include <set>
#include <vector>

#include "core/view_assembler.h"

namespace csim::controller {
namespace {

using nlohmann::json;

std::string plural(size_t n, const std::string& one, const std::string& many) {
  return std::to_string(n) + " " + (n == 1 ? one : many);
}

// "view v7: 3 VMs, 1 SI, 12 routes, 2 services, 1 FIP" (the whole view), and for a change
// what it carries: " (change on v6: 2 objects, 1 removed)".
std::string view_summary(uint64_t version, const AgentViewsIndex::Members& members,
                         const json& rest, uint64_t base, size_t objects, size_t removed) {
  std::string s = "view v" + std::to_string(version) + ": " +
                  plural(members.vms, "VM", "VMs") + ", " + plural(members.sis, "SI", "SIs") +
                  ", " + plural(rest["routes"].size(), "route", "routes") + ", " +
                  plural(rest["services"].size(), "service", "services") + ", " +
                  plural(rest["floating_ips"].size(), "FIP", "FIPs");
  if (base > 0)
    s += " (change on v" + std::to_string(base) + ": " + plural(objects, "object", "objects") +
         ", " + std::to_string(removed) + " removed)";
  return s;
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
  bool resync = false;
  {
    std::lock_guard lock(mu_);
    Agent& a = agents_[node];
    a.acked_version = e.body.value("version", uint64_t{0});
    a.ack_ok = e.body.value("ok", true);
    a.ack_error = string_field(e.body, "error");
    // The agent could not apply a change (it holds another version): send the whole view.
    resync = e.body.value("resync", false) && a.live;
    if (resync) a.resend = true;
  }
  if (resync) schedule();
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

  // Views that may differ, or that their agent must get again, one node at a time: the
  // objects that entered the view or changed (as sent: compared with what the agent was
  // last sent), the uuids of those that left, the routes, services and floating-ips whole.
  size_t pushes = 0;
  for (const auto& [node, underlay] : live) {
    const Agent& a = agents_.at(node);
    if (!a.resend && !update.nodes.count(node)) continue;
    ++stats.views_built;
    const bool whole = a.resend;
    const AgentViewsIndex::Members members = index_.members(node);
    json objects = json::array();
    // uuid -> the object now, to keep as sent: those pushed, and those equal to what was
    // sent but made anew by a change the agent does not see (so the old copy can go).
    std::vector<std::pair<std::string, std::shared_ptr<const ConfigObject>>> sent;
    size_t still_sent = 0;  // members the agent already has (changed or not)
    for (const auto& uuid : members.uuids) {
      auto it = a.sent_objects.find(uuid);
      if (it != a.sent_objects.end()) ++still_sent;
      // The mirror makes a new object for every change: one still the object sent is
      // unchanged; a new one is compared with what was sent.
      std::shared_ptr<const ConfigObject> now = index_.object(uuid);
      if (!whole && it != a.sent_objects.end()) {
        if (it->second == now) continue;
        if (*it->second == *now) {
          sent.emplace_back(uuid, std::move(now));
          continue;
        }
      }
      objects.push_back(json(*now));
      sent.emplace_back(uuid, std::move(now));
    }
    json removed = json::array();
    if (!whole && still_sent < a.sent_objects.size()) {  // some sent objects left the view
      std::vector<std::string> now = members.uuids;
      std::sort(now.begin(), now.end());
      for (const auto& [uuid, object] : a.sent_objects)
        if (!std::binary_search(now.begin(), now.end(), uuid)) removed.push_back(uuid);
    }
    json rest = index_.view_rest(node);
    std::string rest_text = rest.dump();
    if (!whole && objects.empty() && removed.empty() && rest_text == a.sent_rest) {
      // Nothing to push; still let go of the old copies of objects made anew (equal).
      if (!sent.empty()) {
        std::lock_guard lock(mu_);
        for (auto& [uuid, object] : sent) agents_[node].sent_objects[uuid] = std::move(object);
      }
      continue;
    }
    // Versions are written on this strand only.
    const uint64_t version = a.version + 1;
    const uint64_t base = whole ? 0 : a.version;
    std::string summary =
        view_summary(version, members, rest, base, objects.size(), removed.size());
    const size_t routes = rest["routes"].size();
    json body = std::move(rest);
    body["version"] = version;
    body["base"] = base;
    body["node"] = node;
    body["summary"] = summary;
    body["objects"] = std::move(objects);
    if (!whole) body["removed"] = removed;
    {
      std::lock_guard lock(mu_);
      Agent& w = agents_[node];
      if (whole) w.sent_objects.clear();
      for (const auto& uuid : removed) w.sent_objects.erase(uuid.get<std::string>());
      for (auto& [uuid, object] : sent) w.sent_objects[uuid] = std::move(object);
      w.sent_rest.swap(rest_text);
      w.sent_routes = routes;
      w.version = version;
      w.resend = false;
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
  std::vector<std::shared_ptr<const ConfigObject>> objects;  // immutable: read unlocked
  std::string rest, summary;
  uint64_t version = 0;
  {
    std::lock_guard lock(mu_);
    auto it = agents_.find(node);
    if (it == agents_.end() || it->second.sent_rest.empty()) return json();
    for (const auto& [uuid, object] : it->second.sent_objects) objects.push_back(object);
    rest = it->second.sent_rest;
    summary = it->second.summary;
    version = it->second.version;
  }
  // As a whole view (core::ViewAssembler orders objects by type, fq_name, uuid).
  core::ViewAssembler whole;
  json message = json::parse(rest);
  message["version"] = version;
  message["node"] = node;
  message["summary"] = std::move(summary);
  message["objects"] = json::array();
  for (const auto& object : objects) message["objects"].push_back(json(*object));
  if (!whole.apply(message).is_ok()) return json();
  return whole.view();
}

json ControlNode::introspect() const {
  std::lock_guard lock(mu_);
  json agents = json::object();
  for (const auto& [node, a] : agents_)
    agents[node] = {{"state", a.live ? "up" : "down"},
                    {"underlay_ip", a.underlay_ip},
                    {"version", a.version},
                    {"objects", a.sent_objects.size()},
                    {"routes", a.sent_routes},
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
