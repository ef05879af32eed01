// ConfigDb: the Contrail config API (controller/config_api.h) over SQLite, as the
// api-server keeps VNC objects: generic tables, not one table per type.
//
//   objects         (uuid PK, type, fq_name JSON UNIQUE per type, parent_type, parent_uuid,
//                    props JSON, created, last_modified)
//   refs            (from_uuid, to_type, to_uuid, attr JSON, seq), indexed by to_uuid for
//                    back-refs and by (from_uuid, seq) so a ref is appended in O(log n)
//   ip_allocations  (subnet key, address as a 32-bit integer, owner uuid)
//   schema_version  (version)
//
// Every write is one transaction (BEGIN IMMEDIATE; the reads that validate it run inside
// it, so they see exactly the state it commits over); after it commits, one notification
// is published on the bus ("config.changed.<type>", see config_api.h) from module
// "config-db", in the trace of the write. Notifications are published in commit order
// (queued under the write's lock, published after it is released, one publisher at a
// time), and before the write returns. A file DB runs in WAL mode with
// synchronous=NORMAL: a write that returned survives a kill -9 of the process. Its WAL
// is copied back into the file by a thread beside the writer (wal_checkpointer.h), not
// inside the commits. create() and update() return what a read would
// return, built without reading the object back.
//
// Reads: each call is one read transaction and one query (objects joined with their
// refs). On a file DB a read runs on a reader connection of its own (WAL: it sees the
// last commit before it began), beside the writer and other readers, without the
// writer's mutex; a ":memory:" DB has one connection, so its reads take the mutex. The
// immutable part of each object seen (type, fq_name, parent) is kept in memory, so
// validating refs and naming ref targets (`to`) costs no query; every write goes
// through this object, so that memory is never stale (the file must not be written by
// anyone else while it is open). read() and read_fq() also keep the last 4,096 objects
// they returned (least recently used out): a hit costs a copy, no query. A write drops
// the object it writes (create, update, ref_update: only that object changes; remove
// drops them all) just before its commit; a read keeps what it read only if no commit
// was in flight when it began and none began since (a read beside a commit may see the
// old row or the new one), so a hit is what the query would return and reads never go
// back (config_db_test compares them over random histories with read_uncached(), and
// with readers racing a writer). back_refs() and children() first
// select only the uuids (through the refs_by_to / objects_by_parent indexes) and copy
// the objects from the cache, reading at most 4 missing ones one by one; with more
// missing they run their one query, and cache its answer when it has at most 512
// objects. So the virtual-router of a VM (refs to every VM of its node) or a project's
// loadbalancers cost a copy, not a read of every row and ref again.
//
// Beyond ConfigApi's contract:
//  - props["id_perms"]["created"] / ["last_modified"] are kept by the DB from the clock
//    (Contrail's format "2026-01-01T00:00:00.000000", UTC); values a caller passes are
//    ignored. Other id_perms fields (user_visible, ...) are stored as given.
//  - Subnets (network-ipam props.ipam_subnets.subnets, or a virtual-network's ref attr
//    ipam_subnets) are validated and completed on write as the api-server does:
//    default_gateway = last-1, dns_server_address = last-2, subnet_uuid (kept across
//    updates by prefix). Removing a subnet that still has addresses in use is kConflict.
//  - instance-ip and floating-ip addresses cannot change on update (an update without
//    the address keeps it). A floating-ip whose parent is an instance-ip (the native
//    load balancer's clusterIP) shares the parent's address: nothing is allocated.
//  - A ref may name its target by fq_name (`to`) instead of uuid. Refs are resolved and
//    their `to` filled in on every read.
//  - ref_update kDelete of a ref that does not exist is a no-op: no write, no notification.
//
// Thread-safe: one mutex around every write (and every read of a ":memory:" DB); reads
// of a file DB share only short critical sections (the read cache, the identities).
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "controller/config_api.h"
#include "core/bus.h"
#include "core/clock.h"
#include "core/status.h"

namespace csim::controller {

// One address handed out by the IPAM (for introspection).
struct IpAllocation {
  std::string subnet;      // "<ipam-uuid>:10.32.0.0/12" or "<vn-uuid>:<ipam-uuid>:10.84.59.0/24"
  std::string address;     // "10.47.255.252"
  std::string owner_uuid;  // the instance-ip or floating-ip
};
void to_json(nlohmann::json& j, const IpAllocation& a);

class ConfigDb : public ConfigApi {
 public:
  static constexpr int kSchemaVersion = 1;
  static constexpr const char* kModule = "config-db";

  // Opens (creating) the DB at sqlite_path; ":memory:" for a private in-memory DB.
  // uuid_seed makes generated uuids reproducible (tests, replays); without it they are
  // random. If opening fails, open_status() says why and every call fails with it;
  // prefer open(), which returns the error instead.
  ConfigDb(core::Bus& bus, core::Clock& clock, std::string sqlite_path,
           std::optional<uint64_t> uuid_seed = std::nullopt);
  static core::Result<std::unique_ptr<ConfigDb>> open(
      core::Bus& bus, core::Clock& clock, std::string sqlite_path,
      std::optional<uint64_t> uuid_seed = std::nullopt);
  ~ConfigDb() override;
  ConfigDb(const ConfigDb&) = delete;
  ConfigDb& operator=(const ConfigDb&) = delete;

  // OK, or why the DB could not be opened (kUnavailable with SQLite's message).
  const core::Status& open_status() const { return open_status_; }

  core::Result<ConfigObject> create(ConfigObject object) override;
  core::Result<ConfigObject> update(ConfigObject object) override;
  core::Status remove(const std::string& type, const std::string& uuid) override;
  core::Status ref_update(const std::string& type, const std::string& uuid,
                          const std::string& ref_type, const std::string& ref_uuid, RefOp op,
                          nlohmann::json attr = nullptr) override;

  std::optional<ConfigObject> read(const std::string& uuid) const override;
  std::optional<ConfigObject> read_fq(const std::string& type, const FqName& fq) const override;
  // read() without the cache: what the file holds (tests compare it with read()).
  std::optional<ConfigObject> read_uncached(const std::string& uuid) const;
  std::vector<ConfigObject> list(const std::string& type,
                                 const std::string& parent_uuid = "") const override;
  std::vector<ConfigObject> back_refs(const std::string& uuid,
                                      const std::string& from_type = "") const override;
  std::vector<ConfigObject> children(const std::string& uuid,
                                     const std::string& child_type = "") const override;
  // From the (type, fq_name) and refs indexes; no object is built.
  std::optional<std::string> uuid_of(const std::string& type, const FqName& fq) const override;
  std::vector<std::string> back_ref_uuids(const std::string& uuid,
                                          const std::string& from_type) const override;

  // Every allocated address, ordered by subnet key and address.
  std::vector<IpAllocation> allocations() const;

  // How the one mutex was used since the DB was opened, per kind of call: benchmarks
  // print it to show where the config DB serialises its callers. Thread-safe.
  struct LockUse {
    uint64_t calls = 0;
    core::Nanos held{0};    // inside the call, lock held
    core::Nanos waited{0};  // waiting for the lock
  };
  struct LockStats {
    LockUse writes;  // create, update, remove, ref_update
    // Every other call that queried (cache hits are not counted). On a reader connection
    // no lock is taken: `held` is the time the read took, `waited` stays 0.
    LockUse reads;
  };
  LockStats lock_stats() const;

  class Impl;

 private:
  class TimedLock;
  template <class F>
  auto reading(F&& fn) const;
  template <class F>
  auto writing(F&& fn);

  core::Status open_status_;
  mutable std::mutex mu_;
  mutable std::atomic<uint64_t> lock_counts_[6] = {};  // LockStats as calls, held ns, waited ns
  std::unique_ptr<Impl> impl_;
};

}  // namespace csim::controller
