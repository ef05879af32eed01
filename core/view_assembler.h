// The agent's view (`xmpp.<node>`, docs/contracts.md) arrives as changes: a message is
// either the whole view ("base": 0, or no base) or the objects that entered or changed
// since version `base` plus the uuids of those that left ("removed"); routes, services
// and floating_ips always come whole. ViewAssembler adds the messages up to the whole
// view, as the vrouter agent (and a test standing in for one) must.
//
// Not thread-safe: one owner.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <tuple>
#include <vector>

#include "core/status.h"

namespace csim::core {

class ViewAssembler {
 public:
  // Applies the next message. A whole view replaces what is held. A change must be on the
  // version held (base == version()); else kConflict, naming both versions, and nothing
  // changes: the sender must send the whole view again. kInvalid for a message that is
  // not a view (no version, objects without type/fq_name/uuid); nothing changes then.
  Status apply(const nlohmann::json& message);

  // The version held (0 before the first whole view).
  uint64_t version() const { return version_; }

  // The whole view held, as a whole-view message: {version, node, summary, objects
  // (ordered by type, fq_name, uuid, as the control-node orders them), routes, services,
  // floating_ips}; null before the first whole view.
  nlohmann::json view() const;

 private:
  using Key = std::tuple<std::string, std::vector<std::string>, std::string>;  // type, fq, uuid

  uint64_t version_ = 0;
  std::string node_, summary_;
  std::map<Key, nlohmann::json> objects_;
  std::map<std::string, Key> key_of_;  // uuid -> key
  nlohmann::json routes_, services_, floating_ips_;
};

}  // namespace csim::core
