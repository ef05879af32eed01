// The persistence seam of the kube-apiserver's object store.
//
// MemoryObjectStore keeps every object in memory and, when given a StorePersistence,
// writes each change through it before the change becomes visible (a failed write
// leaves the store unchanged and is returned to the caller). A later SQLite backend
// implements this interface and restores a store with MemoryObjectStore::restore().
#pragma once

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "core/status.h"

namespace csim::kube {

class StorePersistence {
 public:
  virtual ~StorePersistence() = default;

  // Stores (inserts or replaces) `object`, whose metadata.resourceVersion is
  // `resource_version`. Called with the store's lock held: must not call the store.
  virtual core::Status put(const nlohmann::json& object, uint64_t resource_version) = 0;

  // Forgets the object (kind, ns, name); the store's resourceVersion is now
  // `resource_version`. Called with the store's lock held: must not call the store.
  virtual core::Status erase(const std::string& kind, const std::string& ns,
                             const std::string& name, uint64_t resource_version) = 0;
};

}  // namespace csim::kube
