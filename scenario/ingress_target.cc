#include "scenario/ingress_target.h"

namespace csim::scenario {

std::vector<std::string> ingress_addresses(const nlohmann::json& ingress) {
  std::vector<std::string> out;
  auto list = ingress.value("status", nlohmann::json::object())
                  .value("loadBalancer", nlohmann::json::object())
                  .value("ingress", nlohmann::json::array());
  for (const auto& e : list)
    if (e.is_object() && e.contains("ip") && e["ip"].is_string()) out.push_back(e["ip"]);
  return out;
}

IngressHistory::IngressHistory(std::string scenario_ns) : scenario_ns_(std::move(scenario_ns)) {
  namespaces_.insert(scenario_ns_);
}

void IngressHistory::track(const std::vector<kube::LoadedObject>& objects, const std::string& default_ns) {
  for (const auto& o : objects) {
    const auto meta = o.object.value("metadata", nlohmann::json::object());
    const std::string ns = meta.value("namespace", "");
    if (!ns.empty()) namespaces_.insert(ns);
    if (o.object.value("kind", "") == "Namespace") namespaces_.insert(meta.value("name", ""));
  }
  namespaces_.insert(default_ns);
}

std::vector<IngressTarget> IngressHistory::current(const kube::ObjectStore& store) const {
  std::vector<IngressTarget> out;
  for (const auto& ns : namespaces_) {
    for (const auto& ing : store.list("Ingress", ns)) {
      IngressTarget t;
      t.ns = ns;
      t.name = ing["metadata"].value("name", "");
      t.exists = true;
      t.addresses = ingress_addresses(ing);
      out.push_back(std::move(t));
    }
  }
  return out;
}

void IngressHistory::observe(const kube::ObjectStore& store) {
  for (auto& t : current(store)) {
    auto& remembered = seen_[{t.ns, t.name}];
    if (!t.addresses.empty()) remembered = t.addresses;
  }
}

core::Result<IngressTarget> IngressHistory::resolve(const kube::ObjectStore& store, const std::string& name) const {
  const auto now = current(store);
  std::string names;
  for (const auto& t : now) names += (names.empty() ? "" : ", ") + t.name;
  const std::string has = now.empty() ? "it has none at this point" : "it has " + names + " at this point";
  if (name.empty()) {
    if (now.size() == 1) return now.front();
    if (now.size() > 1)
      return core::invalid("the scenario has " + std::to_string(now.size()) + " Ingresses at this point (" + names +
                           "): name one with request.ingress");
    if (seen_.size() == 1) {
      IngressTarget t;
      t.ns = seen_.begin()->first.first;
      t.name = seen_.begin()->first.second;
      t.addresses = seen_.begin()->second;
      return t;
    }
    return core::not_found("the scenario has no Ingress at this point");
  }
  // Prefer the scenario's own namespace when several namespaces have one of that name.
  const IngressTarget* found = nullptr;
  for (const auto& t : now)
    if (t.name == name && (!found || t.ns == scenario_ns_)) found = &t;
  if (found) return *found;
  for (const auto& [key, addresses] : seen_) {
    if (key.second != name) continue;
    IngressTarget t;
    t.ns = key.first;
    t.name = key.second;
    t.addresses = addresses;
    return t;  // seen_ is ordered: any namespace will do when the name is unique
  }
  return core::not_found("no Ingress \"" + name + "\" in the scenario (" + has + ")");
}

}  // namespace csim::scenario
