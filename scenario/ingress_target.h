// Which Ingress a scenario's request goes to, and where: shared by the dry run
// (check.h) and the runner (runner.h), so both resolve `request.ingress` alike.
//
// A scenario's Ingresses are those in its namespaces: its own namespace plus every
// namespace its applied objects name. A request names one (`ingress: web`), or names none
// when exactly one exists at that point. A request to an Ingress deleted earlier in the
// scenario goes to the addresses it last had (to check that nothing answers any more).
// Not thread-safe (one per scenario run).
#pragma once

#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "core/status.h"
#include "kube/object_store.h"
#include "kube/yaml_loader.h"

namespace csim::scenario {

struct IngressTarget {
  std::string ns, name;
  bool exists = false;                 // false: deleted earlier in the scenario
  std::vector<std::string> addresses;  // status.loadBalancer.ingress[].ip: [external IP, VIP] or [VIP]
};

class IngressHistory {
 public:
  explicit IngressHistory(std::string scenario_ns);

  // Adds the namespaces the objects name (after an apply).
  void track(const std::vector<kube::LoadedObject>& objects, const std::string& default_ns);
  // Remembers every Ingress of the tracked namespaces that exists now, with its addresses.
  void observe(const kube::ObjectStore& store);
  // The Ingress `name` ("" = the only one), as explained above; kNotFound / kInvalid with
  // a message that says what the scenario has.
  core::Result<IngressTarget> resolve(const kube::ObjectStore& store, const std::string& name) const;

  // Every Ingress seen so far, with its last addresses.
  const std::map<std::pair<std::string, std::string>, std::vector<std::string>>& seen() const { return seen_; }
  const std::set<std::string>& namespaces() const { return namespaces_; }

 private:
  std::vector<IngressTarget> current(const kube::ObjectStore& store) const;

  std::string scenario_ns_;
  std::set<std::string> namespaces_;
  std::map<std::pair<std::string, std::string>, std::vector<std::string>> seen_;  // (ns, name) -> addresses
};

// The status addresses of an Ingress object.
std::vector<std::string> ingress_addresses(const nlohmann::json& ingress);

}  // namespace csim::scenario
