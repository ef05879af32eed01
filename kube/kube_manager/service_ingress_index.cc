#include "kube/kube_manager/service_ingress_index.h"

namespace csim::kube {

void ServiceIngressIndex::set(const std::string& ns, const std::string& ingress,
                              const std::set<std::string>& services) {
  std::lock_guard lock(mu_);
  auto& old = by_ingress_[{ns, ingress}];
  for (const auto& svc : old) {
    auto it = by_service_.find({ns, svc});
    if (it == by_service_.end()) continue;
    it->second.erase(ingress);
    if (it->second.empty()) by_service_.erase(it);
  }
  old = services;
  for (const auto& svc : services) by_service_[{ns, svc}].insert(ingress);
  if (services.empty()) by_ingress_.erase({ns, ingress});
}

void ServiceIngressIndex::remove(const std::string& ns, const std::string& ingress) {
  set(ns, ingress, {});
}

std::vector<std::string> ServiceIngressIndex::ingresses_using(const std::string& ns,
                                                              const std::string& service) const {
  std::lock_guard lock(mu_);
  auto it = by_service_.find({ns, service});
  if (it == by_service_.end()) return {};
  return {it->second.begin(), it->second.end()};
}

nlohmann::json ServiceIngressIndex::to_json() const {
  std::lock_guard lock(mu_);
  nlohmann::json out = nlohmann::json::object();
  for (const auto& [key, ingresses] : by_service_)
    out[key.first + "/" + key.second] = std::vector<std::string>(ingresses.begin(), ingresses.end());
  return out;
}

}  // namespace csim::kube
