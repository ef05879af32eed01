#include "kube/endpoints_controller.h"

#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <tuple>
#include <utility>

#include "kube/object_util.h"

namespace csim::kube {
namespace {

using nlohmann::json;

constexpr int kWriteAttempts = 3;

// IPv4 as a number for sorting; unparsable addresses sort last, by text.
std::tuple<int, uint64_t, std::string> ip_order(const std::string& ip) {
  uint64_t v = 0;
  int parts = 0;
  size_t i = 0;
  while (i <= ip.size() && parts < 4) {
    size_t dot = ip.find('.', i);
    std::string part = ip.substr(i, dot == std::string::npos ? std::string::npos : dot - i);
    if (part.empty() || part.size() > 3 || part.find_first_not_of("0123456789") != std::string::npos)
      return {1, 0, ip};
    v = v * 256 + std::stoul(part);
    ++parts;
    if (dot == std::string::npos) break;
    i = dot + 1;
  }
  if (parts != 4) return {1, 0, ip};
  return {0, v, ip};
}

// The pod's port for a Service port, or nothing when a named targetPort is not found.
std::optional<int64_t> resolve_target_port(const json& service_port, const json& pod) {
  json target = service_port.value("targetPort", json());
  if (target.is_null()) target = service_port.value("port", json());
  if (target.is_number_integer()) return target.get<int64_t>();
  if (!target.is_string()) return std::nullopt;
  const std::string protocol = service_port.value("protocol", json("TCP")).is_string()
                                   ? service_port.value("protocol", std::string("TCP"))
                                   : "TCP";
  const json& spec = pod.value("spec", json::object());
  if (!spec.is_object() || !spec.contains("containers") || !spec["containers"].is_array())
    return std::nullopt;
  for (const json& c : spec["containers"]) {
    if (!c.is_object() || !c.contains("ports") || !c["ports"].is_array()) continue;
    for (const json& p : c["ports"]) {
      if (!p.is_object() || p.value("name", json()) != target) continue;
      if (p.value("protocol", json("TCP")) != protocol) continue;
      if (p.contains("containerPort") && p["containerPort"].is_number_integer())
        return p["containerPort"].get<int64_t>();
    }
  }
  return std::nullopt;
}

}  // namespace

EndpointsController::EndpointsController(core::Bus& bus, ObjectStore& store)
    : bus_(bus), store_(store) {}

void EndpointsController::start() {
  for (const char* kind : {"Service", "Pod", "Endpoints"})
    bus_.subscribe(kModule, watch_topic(kind), [this](const core::Envelope& e) { on_event(e); });
  bus_.post(kModule, [this] { resync(); });
}

void EndpointsController::on_event(const core::Envelope& e) {
  const json& object = e.body.value("object", json::object());
  const std::string kind = object.value("kind", "");
  const std::string ns = meta_string(object, "namespace");
  const std::string name = meta_string(object, "name");
  if (kind == "Service" || kind == "Endpoints") {
    mark(ns, name);
  } else if (kind == "Pod") {
    for (const std::string& service : services_for_pod(object)) mark(ns, service);
  }
}

void EndpointsController::mark(const std::string& ns, const std::string& name) {
  marked_[{ns, name}] = core::current_trace_context();
  if (pass_pending_) return;
  pass_pending_ = true;
  bus_.post(kModule, [this] { drain(); });
}

void EndpointsController::drain() {
  pass_pending_ = false;
  auto marked = std::exchange(marked_, {});
  for (const auto& [key, context] : marked) {
    core::ScopedTraceContext scope(context);
    report(reconcile(key.first, key.second));
  }
}

std::vector<std::string> EndpointsController::services_for_pod(const json& pod) const {
  const std::string ns = meta_string(pod, "namespace");
  const std::string name = meta_string(pod, "name");
  const json& meta = pod.value("metadata", json::object());
  const json labels = meta.is_object() ? meta.value("labels", json()) : json();
  std::set<std::string> out;
  // Services that select the pod now: it may join (or change in) their Endpoints.
  for (const json& svc : store_.list_if("Service", ns, [&](const json& s) {
         auto spec = s.find("spec");
         if (spec == s.end() || !spec->is_object()) return false;
         auto selector = spec->find("selector");
         return selector != spec->end() && selector_matches_labels(*selector, labels);
       }))
    out.insert(meta_string(svc, "name"));
  // Endpoints that list the pod: it may have to leave them (labels changed, pod deleted).
  for (const json& ep : store_.list_if("Endpoints", ns, [&](const json& e) {
         return endpoints_list_pod(e, "name", name);
       }))
    out.insert(meta_string(ep, "name"));
  return {out.begin(), out.end()};
}

void EndpointsController::report(const core::Status& status) {
  if (status.is_ok()) return;
  const auto now = bus_.clock().now();
  bus_.record(kModule, "reconcile failed", status.to_string(), now, now);
}

void EndpointsController::resync() {
  for (const json& svc : store_.list("Service"))
    report(reconcile(meta_string(svc, "namespace"), meta_string(svc, "name")));
  for (const json& ep : store_.list("Endpoints")) {
    const std::string ns = meta_string(ep, "namespace");
    const std::string name = meta_string(ep, "name");
    if (!store_.get("Service", ns, name)) report(reconcile(ns, name));
  }
}

json EndpointsController::desired_endpoints(const json& service, const std::vector<json>& pods) {
  const std::string ns = meta_string(service, "namespace");
  const std::string name = meta_string(service, "name");
  const json& spec = service.value("spec", json::object());
  const json selector = spec.is_object() ? spec.value("selector", json()) : json();
  const json ports = spec.is_object() ? spec.value("ports", json::array()) : json::array();

  struct Subset {
    json ports = json::array();
    std::vector<json> ready;
    std::vector<json> not_ready;
  };
  std::map<std::string, Subset> subsets;  // by ports (dumped)
  for (const json& pod : pods) {
    const json& meta = pod.value("metadata", json::object());
    if (!selector_matches_labels(selector, meta.value("labels", json()))) continue;
    if (pod_is_terminal(pod)) continue;
    const json& status = pod.value("status", json::object());
    if (!status.is_object() || !status.contains("podIP") || !status["podIP"].is_string() ||
        status["podIP"].get<std::string>().empty())
      continue;
    json pod_ports = json::array();
    bool resolved_any = false;
    for (const json& sp : ports) {
      if (!sp.is_object()) continue;
      auto port = resolve_target_port(sp, pod);
      if (!port) continue;
      resolved_any = true;
      json ep = json::object();
      if (sp.contains("name") && sp["name"].is_string() && !sp["name"].get<std::string>().empty())
        ep["name"] = sp["name"];
      ep["port"] = *port;
      ep["protocol"] = sp.value("protocol", json("TCP"));
      pod_ports.push_back(std::move(ep));
    }
    if (!ports.empty() && !resolved_any) continue;
    std::sort(pod_ports.begin(), pod_ports.end(), [](const json& a, const json& b) {
      return std::make_tuple(a.value("name", ""), a.value("port", 0), a.value("protocol", "")) <
             std::make_tuple(b.value("name", ""), b.value("port", 0), b.value("protocol", ""));
    });
    json address = {{"ip", status["podIP"]}};
    const json& pod_spec = pod.value("spec", json::object());
    if (pod_spec.is_object() && pod_spec.contains("nodeName") && pod_spec["nodeName"].is_string())
      address["nodeName"] = pod_spec["nodeName"];
    address["targetRef"] = {{"kind", "Pod"},
                            {"namespace", meta_string(pod, "namespace")},
                            {"name", meta_string(pod, "name")},
                            {"uid", meta_string(pod, "uid")}};
    Subset& subset = subsets[pod_ports.dump()];
    subset.ports = pod_ports;
    (pod_is_ready(pod) ? subset.ready : subset.not_ready).push_back(std::move(address));
  }
  auto by_ip = [](const json& a, const json& b) {
    return std::make_tuple(ip_order(a["ip"]), a["targetRef"]["name"].get<std::string>()) <
           std::make_tuple(ip_order(b["ip"]), b["targetRef"]["name"].get<std::string>());
  };
  json out_subsets = json::array();
  for (auto& [key, subset] : subsets) {
    std::sort(subset.ready.begin(), subset.ready.end(), by_ip);
    std::sort(subset.not_ready.begin(), subset.not_ready.end(), by_ip);
    json s = json::object();
    if (!subset.ready.empty()) s["addresses"] = subset.ready;
    if (!subset.not_ready.empty()) s["notReadyAddresses"] = subset.not_ready;
    if (!subset.ports.empty()) s["ports"] = subset.ports;
    out_subsets.push_back(std::move(s));
  }
  json endpoints = {{"apiVersion", "v1"},
                    {"kind", "Endpoints"},
                    {"metadata", {{"name", name}, {"namespace", ns}}},
                    {"subsets", std::move(out_subsets)}};
  const json& svc_meta = service.value("metadata", json::object());
  if (svc_meta.is_object() && svc_meta.contains("labels") && svc_meta["labels"].is_object() &&
      !svc_meta["labels"].empty())
    endpoints["metadata"]["labels"] = svc_meta["labels"];
  return endpoints;
}

core::Status EndpointsController::reconcile(const std::string& ns, const std::string& name) {
  core::Status last;
  for (int attempt = 0; attempt < kWriteAttempts; ++attempt) {
    auto service = store_.get("Service", ns, name);
    auto existing = store_.get("Endpoints", ns, name);
    if (!service) {
      if (!existing) return core::Status::ok();
      auto r = store_.remove("Endpoints", ns, name);
      if (r.is_ok() || r.status().code() == core::Code::kNotFound) return core::Status::ok();
      return core::Status(r.status().code(), "delete endpoints " + ns + "/" + name + ": " +
                                                 r.status().message());
    }
    const json& spec = service->value("spec", json::object());
    const json selector = spec.is_object() ? spec.value("selector", json()) : json();
    if (!selector.is_object() || selector.empty() ||
        (spec.is_object() && spec.value("type", json()) == "ExternalName"))
      return core::Status::ok();  // not ours: the Service's owner manages its Endpoints
    // Only the pods the selector matches (desired_endpoints() filters the same way).
    json desired = desired_endpoints(*service, store_.list_if("Pod", ns, [&](const json& pod) {
      auto meta = pod.find("metadata");
      if (meta == pod.end() || !meta->is_object()) return false;
      auto labels = meta->find("labels");
      return labels != meta->end() && selector_matches_labels(selector, *labels);
    }));
    if (!existing) {
      auto r = store_.create(desired);
      if (r.is_ok()) return core::Status::ok();
      last = r.status();
      if (last.code() == core::Code::kAlreadyExists) continue;
      break;
    }
    json updated = *existing;
    updated["subsets"] = desired["subsets"];
    if (desired["metadata"].contains("labels"))
      updated["metadata"]["labels"] = desired["metadata"]["labels"];
    else
      updated["metadata"].erase("labels");
    if (updated == *existing) return core::Status::ok();
    auto r = store_.update(updated);
    if (r.is_ok()) return core::Status::ok();
    last = r.status();
    if (last.code() != core::Code::kConflict && last.code() != core::Code::kNotFound) break;
  }
  return core::Status(last.code(), "endpoints " + ns + "/" + name + ": " + last.message());
}

}  // namespace csim::kube
