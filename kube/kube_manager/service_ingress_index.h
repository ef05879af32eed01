// Which Ingresses use which Services (contrail-reference.md §1.9: KM's
// _ingress_label_cache). kube-manager queues those Ingresses whenever a Service is
// created, changed or deleted, so members follow the Service (Contrail propagates only
// create and delete, not a clusterIP or port change).
//
// Thread-safe (written on kube-manager's strand, read by introspection from any thread).
#pragma once

#include <map>
#include <mutex>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace csim::kube {

class ServiceIngressIndex {
 public:
  // Ingress ns/ingress uses exactly `services` (names in namespace ns) from now on.
  void set(const std::string& ns, const std::string& ingress, const std::set<std::string>& services);
  // Forgets Ingress ns/ingress.
  void remove(const std::string& ns, const std::string& ingress);
  // Names of the Ingresses in ns that use Service ns/service, sorted.
  std::vector<std::string> ingresses_using(const std::string& ns, const std::string& service) const;
  // {"<ns>/<service>": ["<ingress>", ...], ...}
  nlohmann::json to_json() const;

 private:
  using Key = std::pair<std::string, std::string>;  // namespace, name
  mutable std::mutex mu_;
  std::map<Key, std::set<std::string>> by_service_;  // -> ingress names
  std::map<Key, std::set<std::string>> by_ingress_;  // -> service names
};

}  // namespace csim::kube
