// Where svc-monitor finds what it made for a loadbalancer without listing a whole type:
// its service-instances and its clusterIP floating-ips are named after the loadbalancer's
// uuid (haproxy_driver.h, native_driver.h), so an index by (type, name) answers "the
// objects of this type named <lb-uuid>" in O(matches) instead of list() + filter, which
// made every reconcile O(all floating-ips) and the cost of N Services O(N^2).
//
// The index holds candidate uuids; it is kept from:
//  - load(): one list() per indexed type (resync() reloads it);
//  - "config.changed.<type>" bodies (on_change): create / update add the uuid under the
//    last element of fq_name, delete removes it;
//  - svc-monitor's own creates (note()), so a lookup right after a create finds it before
//    its notification comes back.
// find() reads every candidate and keeps those that exist with that type and name, sorted
// as list() sorts (fq_name, then uuid): the answer is what list(type) filtered by name
// gives, as long as every object of the type was made before the last load() or has been
// noted or notified since (objects made by others are known once their notification is
// handled; then the loadbalancer they concern is reconciled again anyway).
//
// Thread: svc-monitor's strand only.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "controller/config_api.h"

namespace csim::svcmon {

class NameIndex {
 public:
  explicit NameIndex(const controller::ConfigApi& api);

  // Whether `type` is indexed: "service-instance" and "floating-ip".
  static bool indexes(const std::string& type);

  // Replaces the entries of `type` with these objects (the result of list(type)).
  void load(const std::string& type, const std::vector<controller::ConfigObject>& objects);
  // Notes one config.changed body ({op, type, uuid, fq_name}); other types are ignored.
  void on_change(const nlohmann::json& body);
  // Notes an object svc-monitor just created.
  void note(const controller::ConfigObject& object);

  // The existing objects of `type` named `name`, ordered as list() orders them. The first
  // call for a type not loaded yet loads it.
  std::vector<controller::ConfigObject> find(const std::string& type, const std::string& name);

 private:
  const controller::ConfigApi& api_;
  std::set<std::string> loaded_;                                                // types
  std::map<std::pair<std::string, std::string>, std::set<std::string>> uuids_;  // (type, name)
};

}  // namespace csim::svcmon
