// SqliteStorePersistence: the kube-apiserver's objects in a SQLite file (kube.db), so a
// restarted csim finds the cluster it left (kube/store_persistence.h is the seam).
//
// Schema (version kSchemaVersion; PRAGMA application_id = kApplicationId marks the file):
//   schema_version (version)                       one row
//   objects        (kind, namespace, name, json, resource_version,
//                   PRIMARY KEY (kind, namespace, name))   namespace "" for cluster kinds
//   store          (id = 1, resource_version)      the store's resourceVersion
// Durability: WAL journal, synchronous=NORMAL. Every put()/erase() is one transaction
// (the object and the store's resourceVersion together) and returns only after it
// committed, so a write the store acknowledged survives kill -9 of the process (not a
// power loss: that needs synchronous=FULL).
//
// open() refuses, with a message that names the file and what is wrong, a file that is
// not SQLite, a damaged one (PRAGMA quick_check), a SQLite file of something else
// (other application_id, or tables without ours) and one of another schema version.
// An empty or missing file becomes a new, empty store.
//
// Restoring (the composition root's job, sim/control_plane.cc):
//   auto p = SqliteStorePersistence::open(path);   auto snap = (*p)->load();
//   MemoryObjectStore::Options o;  o.persistence = p->get();
//   MemoryObjectStore store(bus, clock, o);  store.restore(snap->objects, snap->resource_version);
// (with a seed that differs from the run that wrote the file, or the restored store draws
// that run's uids again; the store's own "default" Namespace is not written through).
//
// Thread-safe: one mutex around every call (the store calls put()/erase() with its own
// lock held; nothing here calls back into the store).
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/status.h"
#include "kube/store_persistence.h"

struct sqlite3;
struct sqlite3_stmt;

namespace csim::kube {

class SqliteStorePersistence : public StorePersistence {
 public:
  static constexpr int kSchemaVersion = 1;
  static constexpr int32_t kApplicationId = 0x63736b73;  // "csks": csim kube store

  // What load() returns: every object, ordered by kind, namespace, name, and the store's
  // resourceVersion (0 for a new store).
  struct Snapshot {
    std::vector<nlohmann::json> objects;
    uint64_t resource_version = 0;
  };

  // Opens (creating when missing or empty) the store file at `path`. kInvalid for "" and
  // ":memory:" (nothing would persist); kUnavailable when the file cannot be opened or is
  // refused (see above).
  static core::Result<std::unique_ptr<SqliteStorePersistence>> open(const std::string& path);
  ~SqliteStorePersistence() override;
  SqliteStorePersistence(const SqliteStorePersistence&) = delete;
  SqliteStorePersistence& operator=(const SqliteStorePersistence&) = delete;

  // StorePersistence: insert-or-replace by (kind, metadata.namespace, metadata.name) /
  // delete, with the store's resourceVersion, in one committed transaction. kInvalid for
  // an object without kind or name; kUnavailable with SQLite's message (nothing written).
  core::Status put(const nlohmann::json& object, uint64_t resource_version) override;
  core::Status erase(const std::string& kind, const std::string& ns, const std::string& name,
                     uint64_t resource_version) override;

  // Everything stored. kUnavailable naming the object whose JSON does not parse.
  core::Result<Snapshot> load() const;

  const std::string& path() const { return path_; }

 private:
  SqliteStorePersistence(sqlite3* db, std::string path);
  core::Status init();
  core::Status exec(const char* sql) const;
  core::Status error(const std::string& what, bool refused = false) const;
  core::Result<sqlite3_stmt*> statement(sqlite3_stmt*& slot, const char* sql) const;
  // Runs `body` (statements of one write) between BEGIN IMMEDIATE and COMMIT, then sets
  // the store's resourceVersion; rolls back on any error.
  template <class Body>
  core::Status transaction(uint64_t resource_version, Body body);

  mutable std::mutex mu_;
  sqlite3* db_;
  std::string path_;
  mutable sqlite3_stmt* put_ = nullptr;
  mutable sqlite3_stmt* erase_ = nullptr;
  mutable sqlite3_stmt* set_rv_ = nullptr;
};

}  // namespace csim::kube
