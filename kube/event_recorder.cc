#include "kube/event_recorder.h"

#include <algorithm>
#include <cstdio>

#include "core/clock.h"
#include "core/kube_event.h"

namespace csim::kube {
namespace {

using nlohmann::json;

std::string str(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : "";
}

// "10.84.59.252, 10.47.255.252" from status.loadBalancer.ingress[].ip.
std::string status_addresses(const json& object) {
  std::string out;
  const json* status = object.contains("status") ? &object["status"] : nullptr;
  if (status == nullptr || !status->is_object() || !status->contains("loadBalancer")) return out;
  const json& lb = (*status)["loadBalancer"];
  if (!lb.is_object() || !lb.contains("ingress") || !lb["ingress"].is_array()) return out;
  for (const auto& i : lb["ingress"]) {
    const std::string ip = i.is_object() ? str(i, "ip") : "";
    if (!ip.empty()) out += (out.empty() ? "" : ", ") + ip;
  }
  return out;
}

std::string join_ports(const json& ports) {
  std::string out;
  if (!ports.is_array()) return out;
  for (const auto& p : ports) out += (out.empty() ? "" : ",") + p.dump();
  return out;
}

}  // namespace

EventRecorder::EventRecorder(core::Bus& bus, ObjectStore& store)
    : bus_(bus), store_(store), guard_(std::make_shared<Guard>()) {}

EventRecorder::~EventRecorder() {
  std::lock_guard lock(guard_->mu);
  guard_->alive = false;
}

json EventRecorder::event_body(const std::string& uid, const std::string& reason,
                               const std::string& message, const std::string& component,
                               const std::string& host, bool warning) {
  return core::kube_event_body(uid, reason, message, component, host, warning);
}

void EventRecorder::start() {
  for (const char* kind : {"Ingress", "Service"}) {
    for (const auto& o : store_.list(kind)) {
      const json& meta = o["metadata"];
      Involved inv{kind, str(o, "apiVersion"), str(meta, "namespace"), str(meta, "name"), str(meta, "uid")};
      addresses_[inv.uid] = status_addresses(o);
      objects_[inv.uid] = std::move(inv);
    }
  }
  // Events an earlier run wrote (a restarted `csim up`): counted on, and deleted with their
  // object, as if this run had written them. Oldest first by firstTimestamp, then name.
  std::vector<json> events = store_.list("Event");
  std::stable_sort(events.begin(), events.end(), [](const json& a, const json& b) {
    return str(a, "firstTimestamp") < str(b, "firstTimestamp");
  });
  for (const auto& ev : events) {
    const json& inv = ev.value("involvedObject", json::object());
    const std::string uid = str(inv, "uid");
    if (!objects_.count(uid)) continue;
    const json& source = ev.value("source", json::object());
    const std::string key = str(ev, "reason") + "\x1f" + str(ev, "message") + "\x1f" + str(source, "component") +
                            "\x1f" + str(source, "host");
    written_[uid][key] = Written{ev["metadata"].value("name", ""), ev.value("count", 1)};
    order_[uid].push_back(key);
  }
  // Every handler checks the guard: a delivery queued before destruction does nothing.
  auto guarded = [g = guard_](auto fn) {
    return [g, fn](const core::Envelope& e) {
      std::lock_guard lock(g->mu);
      if (g->alive) fn(e);
    };
  };
  bus_.subscribe(kModule, watch_topic("Ingress"), guarded([this](const core::Envelope& e) { on_object(e); }));
  bus_.subscribe(kModule, watch_topic("Service"), guarded([this](const core::Envelope& e) { on_object(e); }));
  bus_.subscribe(kModule, kEventTopic, guarded([this](const core::Envelope& e) { on_event(e); }));
  bus_.subscribe(kModule, "agent.haproxy", guarded([this](const core::Envelope& e) { on_haproxy(e); }));
}

void EventRecorder::on_object(const core::Envelope& e) {
  const json& object = e.body.value("object", json::object());
  const json& meta = object.value("metadata", json::object());
  const std::string uid = str(meta, "uid");
  if (uid.empty()) return;
  if (str(e.body, "type") == "DELETED") {
    forget(uid);
    return;
  }
  objects_[uid] = Involved{str(object, "kind"), str(object, "apiVersion"), str(meta, "namespace"),
                           str(meta, "name"), uid};
  const std::string now = status_addresses(object);
  std::string& before = addresses_[uid];
  if (now == before) return;
  const bool first = before.empty();
  before = now;
  if (now.empty()) return;
  // kube-manager writes the status once the loadbalancer has its VIP (and floating IP).
  record(uid, first ? "LoadBalancerCreated" : "LoadBalancerUpdated",
         std::string(first ? "loadbalancer " + uid + " created" : "loadbalancer " + uid + " updated") +
             ", addresses " + now,
         "contrail-kube-manager", "", false);
}

void EventRecorder::on_event(const core::Envelope& e) {
  const json& b = e.body;
  const std::string uid = str(b, "uid"), reason = str(b, "reason"), message = str(b, "message");
  if (uid.empty() || reason.empty()) return;
  record(uid, reason, message, str(b, "component"), str(b, "host"), str(b, "type") == "Warning");
}

void EventRecorder::on_haproxy(const core::Envelope& e) {
  const json& b = e.body;
  const std::string lb = str(b, "lb"), node = str(b, "node"), state = str(b, "state");
  const std::string where = str(b, "vip") + ":" + join_ports(b.value("ports", json::array()));
  const std::string ns = str(b, "namespace");
  const long pid = b.value("pid", 0L);
  // The node leads the message: kubectl's "From" column shows only the component.
  const std::string serving = "haproxy pid " + std::to_string(pid) + " serving " + where + " (netns " + ns + ")";
  if (state == "started") {
    record(lb, "HaproxyStarted", node + ": " + serving, "vrouter-agent", node, false);
  } else if (state == "reloaded") {
    record(lb, "HaproxyReloaded", node + ": " + serving, "vrouter-agent", node, false);
  } else if (state == "stopped") {
    record(lb, "HaproxyStopped", node + ": haproxy stopped (netns " + ns + ")", "vrouter-agent", node, false);
  } else if (state == "failed") {
    record(lb, "HaproxyFailed", node + ": haproxy failed (netns " + ns + "): " + str(b, "error"), "vrouter-agent",
           node, true);
  }
  // A started or reloaded haproxy may still report a problem it worked around (a missing
  // certificate): that deserves a Warning of its own.
  if ((state == "started" || state == "reloaded") && !str(b, "error").empty())
    record(lb, "HaproxyDegraded", node + ": " + str(b, "error"), "vrouter-agent", node, true);
}

void EventRecorder::record(const std::string& uid, const std::string& reason, const std::string& message,
                           const std::string& component, const std::string& host, bool warning) {
  auto obj = objects_.find(uid);
  if (obj == objects_.end()) return;  // not an object csim records Events for (or gone)
  const Involved& inv = obj->second;
  const std::string now = core::rfc3339(bus_.clock().now());
  const std::string key = reason + "\x1f" + message + "\x1f" + component + "\x1f" + host;
  auto& mine = written_[uid];
  if (auto w = mine.find(key); w != mine.end()) {
    auto existing = store_.get("Event", inv.ns, w->second.name);
    if (existing) {
      json updated = *existing;
      updated["count"] = ++w->second.count;
      updated["lastTimestamp"] = now;
      updated["metadata"].erase("resourceVersion");
      if (store_.update(std::move(updated)).is_ok()) return;
    }
    mine.erase(w);  // deleted meanwhile: write a new one
  }
  char hex[32];
  std::snprintf(hex, sizeof hex, "%llx", static_cast<unsigned long long>(bus_.clock().now().count()));
  json event = {{"apiVersion", "v1"},
                {"kind", "Event"},
                {"metadata", {{"name", inv.name + "." + hex}, {"namespace", inv.ns}}},
                {"involvedObject",
                 {{"kind", inv.kind}, {"namespace", inv.ns}, {"name", inv.name}, {"uid", inv.uid},
                  {"apiVersion", inv.api_version}}},
                {"reason", reason},
                {"message", message},
                {"type", warning ? "Warning" : "Normal"},
                {"source", host.empty() ? json{{"component", component}}
                                        : json{{"component", component}, {"host", host}}},
                {"firstTimestamp", now},
                {"lastTimestamp", now},
                {"count", 1},
                {"reportingComponent", component},
                {"reportingInstance", host}};
  auto created = store_.create(std::move(event));
  if (!created.is_ok()) {
    const auto t = bus_.clock().now();
    bus_.record(kModule, "event not written", inv.kind + " " + inv.ns + "/" + inv.name + " " + reason + ": " +
                                                  created.status().message(), t, t);
    return;
  }
  mine[key] = Written{(*created)["metadata"].value("name", ""), 1};
  auto& order = order_[uid];
  order.push_back(key);
  while (order.size() > kMaxEventsPerObject) {
    auto oldest = mine.find(order.front());
    if (oldest != mine.end()) {
      (void)store_.remove("Event", inv.ns, oldest->second.name);
      mine.erase(oldest);
    }
    order.erase(order.begin());
  }
}

void EventRecorder::forget(const std::string& uid) {
  auto obj = objects_.find(uid);
  if (obj != objects_.end()) {
    for (const auto& [_, w] : written_[uid]) (void)store_.remove("Event", obj->second.ns, w.name);
    objects_.erase(obj);
  }
  written_.erase(uid);
  order_.erase(uid);
  addresses_.erase(uid);
}

}  // namespace csim::kube
