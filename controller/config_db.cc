#include "controller/config_db.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <deque>
#include <iostream>
#include <list>
#include <map>
#include <random>
#include <set>
#include <unordered_map>

#include "controller/ipam.h"
#include "controller/ipam_subnets.h"
#include "controller/sqlite_db.h"
#include "controller/wal_checkpointer.h"

namespace csim::controller {
namespace {

using nlohmann::json;

constexpr char kSchema[] = R"sql(
CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS objects (
  uuid TEXT PRIMARY KEY,
  type TEXT NOT NULL,
  fq_name TEXT NOT NULL,
  parent_type TEXT NOT NULL DEFAULT '',
  parent_uuid TEXT NOT NULL DEFAULT '',
  props TEXT NOT NULL DEFAULT '{}',
  created INTEGER NOT NULL,
  last_modified INTEGER NOT NULL,
  UNIQUE (type, fq_name)
);
CREATE INDEX IF NOT EXISTS objects_by_parent ON objects (parent_uuid, type);
CREATE TABLE IF NOT EXISTS refs (
  from_uuid TEXT NOT NULL REFERENCES objects (uuid) ON DELETE CASCADE,
  to_type TEXT NOT NULL,
  to_uuid TEXT NOT NULL REFERENCES objects (uuid),
  attr TEXT NOT NULL DEFAULT 'null',
  seq INTEGER NOT NULL,
  PRIMARY KEY (from_uuid, to_uuid)
);
CREATE INDEX IF NOT EXISTS refs_by_to ON refs (to_uuid);
-- The next seq of an object's refs (ref_update adds at MAX(seq) + 1) without reading
-- every ref of the object: a virtual-router has one per VM of its node.
CREATE INDEX IF NOT EXISTS refs_by_from_seq ON refs (from_uuid, seq);
CREATE TABLE IF NOT EXISTS ip_allocations (
  subnet TEXT NOT NULL,
  address INTEGER NOT NULL,
  owner_uuid TEXT NOT NULL REFERENCES objects (uuid) ON DELETE CASCADE,
  PRIMARY KEY (subnet, address)
);
CREATE INDEX IF NOT EXISTS ip_allocations_by_owner ON ip_allocations (owner_uuid);
)sql";

// Objects (alias o) with their refs (r); a condition on o follows. The fq_names of ref
// targets come from the identity cache.
constexpr char kObjectsWithRefs[] =
    "SELECT o.uuid, o.type, o.fq_name, o.parent_type, o.parent_uuid, o.props, o.created, "
    "o.last_modified, r.seq, r.to_type, r.to_uuid, r.attr FROM objects o "
    "LEFT JOIN refs r ON r.from_uuid = o.uuid WHERE ";

std::string join(const FqName& fq) {
  std::string out;
  for (size_t i = 0; i < fq.size(); ++i) out += (i ? ":" : "") + fq[i];
  return out;
}

// Contrail's id_perms timestamp: datetime.utcnow().isoformat().
std::string id_perms_time(int64_t nanos) {
  std::time_t secs = static_cast<std::time_t>(nanos / 1000000000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[40];
  size_t n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  std::snprintf(buf + n, sizeof buf - n, ".%06d", static_cast<int>((nanos / 1000) % 1000000));
  return buf;
}

// The fast path of parse_fq: a JSON array of strings without escapes, as json(fq).dump()
// writes ordinary names (["default-domain","k8s-default","x"]); nullopt for anything else.
std::optional<FqName> parse_plain_fq(const std::string& text) {
  const size_t n = text.size();
  if (n < 2 || text[0] != '[' || text[n - 1] != ']' || text.find('\\') != std::string::npos)
    return std::nullopt;
  FqName out;
  if (n == 2) return out;
  for (size_t i = 1;;) {
    if (text[i] != '"') return std::nullopt;
    const size_t end = text.find('"', i + 1);
    if (end == std::string::npos || end + 1 >= n) return std::nullopt;
    out.emplace_back(text, i + 1, end - i - 1);
    i = end + 1;
    if (text[i] == ']') return i + 1 == n ? std::optional<FqName>(std::move(out)) : std::nullopt;
    if (text[i] != ',') return std::nullopt;
    ++i;
  }
}

FqName parse_fq(const std::string& text) {
  if (auto plain = parse_plain_fq(text)) return std::move(*plain);
  json j = json::parse(text, nullptr, false);
  FqName out;
  if (j.is_array())
    for (const auto& e : j) out.push_back(e.is_string() ? e.get<std::string>() : e.dump());
  return out;
}

json parse_json(const std::string& text) {
  json j = json::parse(text, nullptr, false);
  return j.is_discarded() ? json() : j;
}

// Removes the DB-kept timestamps from props (callers may send back what they read).
void strip_timestamps(json& props) {
  auto it = props.find("id_perms");
  if (it == props.end() || !it->is_object()) return;
  it->erase("created");
  it->erase("last_modified");
  if (it->empty()) props.erase(it);
}

// Puts the DB-kept timestamps into props, as a read returns them.
void set_timestamps(json& props, const std::string& created, const std::string& last_modified) {
  if (!props.is_object()) props = json::object();
  json& perms = props["id_perms"];
  if (!perms.is_object()) perms = json::object();
  perms["created"] = created;
  perms["last_modified"] = last_modified;
}

bool valid_uuid_text(const std::string& s) {
  if (s.empty() || s.size() > 128) return false;
  for (char c : s)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.')
      return false;
  return true;
}

// The address property of the types the IPAM serves.
const char* address_field(const std::string& type) {
  if (type == "instance-ip") return "instance_ip_address";
  if (type == "floating-ip") return "floating_ip_address";
  return nullptr;
}

std::string string_prop(const json& props, const char* field) {
  if (!props.is_object()) return "";
  auto it = props.find(field);
  return it != props.end() && it->is_string() ? it->get<std::string>() : "";
}

// A subnet the IPAM can allocate from, with its allocation key.
struct KeyedSubnet {
  std::string key;
  IpamSubnet subnet;
};

std::string flat_key(const std::string& ipam_uuid, const Ipv4Prefix& p) {
  return ipam_uuid + ":" + p.to_string();
}
std::string ref_key(const std::string& vn_uuid, const std::string& ipam_uuid, const Ipv4Prefix& p) {
  return vn_uuid + ":" + ipam_uuid + ":" + p.to_string();
}

// Subnet keys that a holder object (a network-ipam, or a virtual-network through its ipam
// refs) defines.
std::set<std::string> subnet_keys(const std::string& type, const std::string& uuid,
                                  const json& props, const std::vector<Ref>& refs) {
  std::set<std::string> keys;
  if (type == "network-ipam")
    for (const auto& s : parse_subnets(ipam_subnet_list(props)))
      keys.insert(flat_key(uuid, s.prefix));
  for (const auto& r : refs)
    if (r.type == "network-ipam")
      for (const auto& s : parse_subnets(ref_subnet_list(r.attr)))
        keys.insert(ref_key(uuid, r.uuid, s.prefix));
  return keys;
}

struct Planned {
  std::string key;
  Ipv4 address = 0;
};

}  // namespace

void to_json(nlohmann::json& j, const IpAllocation& a) {
  j = {{"subnet", a.subnet}, {"address", a.address}, {"owner_uuid", a.owner_uuid}};
}

// Objects the read cache keeps (config_db.h).
constexpr size_t kReadCacheObjects = 4096;
// back_refs() / children() answers of at most kCachedAnswer objects are cached; later
// calls are assembled from the cache when at most kMaxMisses of their objects are missing.
constexpr size_t kCachedAnswer = 512;
constexpr size_t kMaxMisses = 4;

// Everything below runs with ConfigDb::mu_ held.
class ConfigDb::Impl {
 public:
  // What the DB knows about one object, without its refs.
  struct Header {
    std::string type;
    FqName fq_name;
    std::string parent_type;
    std::string parent_uuid;
    std::string props;  // JSON text
  };

  // What never changes while an object exists (update() keeps type, fq_name and parent).
  struct Identity {
    std::string type;
    FqName fq_name;
    std::string parent_type;
    std::string parent_uuid;
  };

  Impl(core::Bus& bus, core::Clock& clock, std::unique_ptr<SqliteDb> db,
       std::optional<uint64_t> seed)
      : bus_(bus), clock_(clock), db_(std::move(db)) {
    use_readers_ = !db_->path().empty() && db_->path() != ":memory:";
    if (use_readers_) {
      // Without it SQLite checkpoints inside the writer's commits (see wal_checkpointer.h).
      auto checkpointer = WalCheckpointer::start(*db_);
      if (checkpointer)
        checkpointer_ = std::move(*checkpointer);
      else  // SQLite's own autocheckpoint stays: slower commits, nothing lost
        std::cerr << "csim config-db: no background checkpoints: "
                  << checkpointer.status().to_string() << "\n";
    }
    if (seed) {
      rng_.seed(*seed);
    } else {
      std::random_device rd;
      std::seed_seq seq{rd(), rd(), rd(), rd(), rd(), rd()};
      rng_.seed(seq);
    }
  }

  core::Status init_schema() {
    if (auto s = db_->exec(kSchema); !s) return s;
    auto q = db_->query("SELECT version FROM schema_version");
    if (!q) return q.status();
    auto row = q->step();
    if (!row) return row.status();
    if (!*row) {
      auto ins = db_->query("INSERT INTO schema_version (version) VALUES (?1)");
      if (!ins) return ins.status();
      return ins->bind(1, int64_t{kSchemaVersion}).run();
    }
    int64_t v = q->integer(0);
    if (v != kSchemaVersion)
      return core::unavailable("config DB " + db_->path() + " has schema version " +
                               std::to_string(v) + "; this csim reads version " +
                               std::to_string(kSchemaVersion));
    return core::Status::ok();
  }

  // ---- reads ----

  // The connection a read runs on. A public read takes a reader connection of its own
  // (file DBs) and notes the write generation before its snapshot began: what it read may
  // go into the shared caches only if no write committed since (else it could put back a
  // row a concurrent write just replaced). Writes (and reads of a ":memory:" DB, under the
  // writer's mutex) use the writer's connection: nothing commits beside them.
  struct Conn {
    SqliteDb& db;
    std::optional<uint64_t> generation;  // nullopt: the writer's connection, under mu_
  };
  Conn writer() { return Conn{*db_, std::nullopt}; }

  // A reader connection for one read: an idle one, or a new one; nullptr for a ":memory:"
  // DB (one connection only) or when none can be opened (then reads share the writer's).
  std::unique_ptr<SqliteDb> take_reader() {
    if (!use_readers_) return nullptr;
    {
      std::lock_guard lock(readers_mu_);
      if (!idle_readers_.empty()) {
        auto r = std::move(idle_readers_.back());
        idle_readers_.pop_back();
        return r;
      }
    }
    auto r = SqliteDb::open_reader(db_->path());
    if (!r) {
      report(r.status());
      use_readers_ = false;
      return nullptr;
    }
    return std::move(*r);
  }
  void give_back(std::unique_ptr<SqliteDb> reader) {
    std::lock_guard lock(readers_mu_);
    idle_readers_.push_back(std::move(reader));
  }
  uint64_t generation() {
    std::lock_guard lock(state_mu_);
    return generation_;
  }
  // True when what `c` read may be kept in the shared caches (state_mu_ held): no
  // commit was in flight when its read began, and none has begun since.
  bool current_locked(const Conn& c) const {
    return !c.generation || (*c.generation == generation_ && generation_ % 2 == 0);
  }

  // Commits the write of object `uuid` (a delete: `deleting`) as the shared caches see
  // it. The generation is odd while the commit is in flight: a read beside it may see
  // the old row or the new one, so no read that began before or during it keeps
  // anything (an old row put back after a new one was served would make reads go
  // back). What the write changes leaves the cache before the commit, so no hit serves
  // it once the new row may be visible (a delete drops every cached object: it is
  // rare, and whatever it touched is read again). The generation is even again after
  // the commit, or its failure.
  core::Status commit_write(SqliteTransaction& txn, const std::string& uuid, bool deleting) {
    {
      std::lock_guard lock(state_mu_);
      ++generation_;
      if (deleting)
        uncache_all();
      else
        uncache(uuid);
    }
    core::Status s = txn.commit();
    std::lock_guard lock(state_mu_);
    if (s && deleting) identities_.erase(uuid);
    ++generation_;
    return s;
  }

  // Runs fn (the queries of one public read) in one read transaction: one snapshot, one
  // lock acquisition instead of one per query. Not for use inside a write.
  template <class F>
  auto snapshot(const Conn& c, F&& fn) {
    SqliteTransaction txn(c.db, SqliteTransaction::Mode::kRead);
    core::Status begun = txn.begin();
    if (!begun) report(begun);  // the queries still run, each in its own transaction
    auto out = fn();
    if (begun)
      if (auto s = txn.commit(); !s) report(s);
    return out;
  }

  std::optional<Header> header(const std::string& uuid) {
    auto q = db_->query(
        "SELECT type, fq_name, parent_type, parent_uuid, props FROM objects WHERE uuid = ?1");
    if (!q) return report(q.status()), std::nullopt;
    q->bind(1, uuid);
    auto row = q->step();
    if (!row) return report(row.status()), std::nullopt;
    if (!*row) return std::nullopt;
    return Header{q->text(0), parse_fq(q->text(1)), q->text(2), q->text(3), q->text(4)};
  }

  // The immutable part of an object (type, fq_name, parent), from memory when known.
  // nullopt when no object has that uuid (in c's snapshot).
  std::optional<Identity> identity(const Conn& c, const std::string& uuid) {
    {
      std::lock_guard lock(state_mu_);
      if (auto it = identities_.find(uuid); it != identities_.end()) return it->second;
    }
    auto q =
        c.db.query("SELECT type, fq_name, parent_type, parent_uuid FROM objects WHERE uuid = ?1");
    if (!q) return report(q.status()), std::nullopt;
    q->bind(1, uuid);
    auto row = q->step();
    if (!row) return report(row.status()), std::nullopt;
    if (!*row) return std::nullopt;
    Identity id{q->text(0), parse_fq(q->text(1)), q->text(2), q->text(3)};
    std::lock_guard lock(state_mu_);
    if (current_locked(c)) identities_.emplace(uuid, id);
    return id;
  }

  // Keeps the identities of objects `c` read (state_mu_ held).
  void remember_locked(const Conn& c, const ConfigObject& o) {
    if (!current_locked(c) || identities_.count(o.uuid)) return;
    identities_.emplace(o.uuid, Identity{o.type, o.fq_name, o.parent_type, o.parent_uuid});
  }
  void remember(const Conn& c, const ConfigObject& o) {
    std::lock_guard lock(state_mu_);
    remember_locked(c, o);
  }

  std::optional<std::string> uuid_of(const Conn& c, const std::string& type, const FqName& fq) {
    auto q = c.db.query("SELECT uuid FROM objects WHERE type = ?1 AND fq_name = ?2");
    if (!q) return report(q.status()), std::nullopt;
    q->bind(1, type).bind(2, json(fq).dump());
    auto row = q->step();
    if (!row) return report(row.status()), std::nullopt;
    if (!*row) return std::nullopt;
    return q->text(0);
  }

  // uuids of the objects of from_type referring to uuid, sorted as load() sorts (fq_name,
  // then type, then uuid), without building them.
  std::vector<std::string> referrer_uuids(const Conn& c, const std::string& uuid,
                                         const std::string& from_type) {
    auto q = c.db.query(
        "SELECT o.uuid, o.fq_name FROM refs r JOIN objects o ON o.uuid = r.from_uuid "
        "WHERE r.to_uuid = ?1 AND +o.type = ?2");
    if (!q) return report(q.status()), std::vector<std::string>{};
    q->bind(1, uuid).bind(2, from_type);
    std::vector<std::pair<FqName, std::string>> rows;
    for (;;) {
      auto row = q->step();
      if (!row) return report(row.status()), std::vector<std::string>{};
      if (!*row) break;
      rows.emplace_back(parse_fq(q->text(1)), q->text(0));
    }
    std::sort(rows.begin(), rows.end());
    std::vector<std::string> out;
    out.reserve(rows.size());
    for (auto& [fq, u] : rows) out.push_back(std::move(u));
    return out;
  }

  // Objects matching `cond` (SQL over alias o, parameters ?1..?n = binds), with their refs:
  // one query whatever the number of objects. Sorted by fq_name, then type.
  std::vector<ConfigObject> load(const Conn& c, const std::string& cond,
                                 const std::vector<std::string>& binds) {
    std::vector<ConfigObject> out;
    std::vector<std::vector<int64_t>> seqs;  // per object: the seq of each ref, as read
    {
      // One pass: each object once per ref (or once, with NULL ref columns, without refs).
      auto q = c.db.query(kObjectsWithRefs + cond);
      if (!q) return report(q.status()), out;
      for (size_t i = 0; i < binds.size(); ++i) q->bind(static_cast<int>(i + 1), binds[i]);
      std::map<std::string, size_t> index;
      std::string last_uuid;
      size_t at = 0;
      for (;;) {
        auto row = q->step();
        if (!row) return report(row.status()), std::vector<ConfigObject>{};
        if (!*row) break;
        std::string uuid = q->text(0);
        if (out.empty() || uuid != last_uuid) {
          auto [it, added] = index.emplace(uuid, out.size());
          at = it->second;
          if (added) {
            ConfigObject o;
            o.uuid = uuid;
            o.type = q->text(1);
            o.fq_name = parse_fq(q->text(2));
            o.parent_type = q->text(3);
            o.parent_uuid = q->text(4);
            o.props = parse_json(q->text(5));
            set_timestamps(o.props, id_perms_time(q->integer(6)), id_perms_time(q->integer(7)));
            out.push_back(std::move(o));
            seqs.emplace_back();
          }
          last_uuid = std::move(uuid);
        }
        if (q->is_null(8)) continue;  // no refs
        Ref r;
        r.type = q->text(9);
        r.uuid = q->text(10);
        r.attr = parse_json(q->text(11));
        out[at].refs.push_back(std::move(r));
        seqs[at].push_back(q->integer(8));
      }
    }
    {
      std::lock_guard lock(state_mu_);
      for (const auto& o : out) remember_locked(c, o);
    }
    // Refs in stored order (seq); the join yields them in index order. Their targets'
    // names (a target always exists: delete refuses an object that is referred to).
    for (size_t i = 0; i < out.size(); ++i) {
      auto& refs = out[i].refs;
      for (auto& r : refs)
        if (auto t = identity(c, r.uuid)) r.to = std::move(t->fq_name);
      const auto& seq = seqs[i];
      if (refs.size() < 2 || std::is_sorted(seq.begin(), seq.end())) continue;
      std::vector<size_t> order(refs.size());
      for (size_t k = 0; k < order.size(); ++k) order[k] = k;
      std::sort(order.begin(), order.end(), [&](size_t x, size_t y) { return seq[x] < seq[y]; });
      std::vector<Ref> sorted;
      sorted.reserve(refs.size());
      for (size_t k : order) sorted.push_back(std::move(refs[k]));
      refs = std::move(sorted);
    }
    std::sort(out.begin(), out.end(), [](const ConfigObject& a, const ConfigObject& b) {
      if (a.fq_name != b.fq_name) return a.fq_name < b.fq_name;
      if (a.type != b.type) return a.type < b.type;
      return a.uuid < b.uuid;
    });
    return out;
  }

  std::optional<ConfigObject> load_one(const Conn& c, const std::string& uuid) {
    auto v = load(c, "o.uuid = ?1", {uuid});
    if (v.empty()) return std::nullopt;
    return std::move(v.front());
  }

  std::vector<IpAllocation> allocations() {
    std::vector<IpAllocation> out;
    auto q = db_->query(
        "SELECT subnet, address, owner_uuid FROM ip_allocations ORDER BY subnet, address");
    if (!q) return report(q.status()), out;
    for (;;) {
      auto row = q->step();
      if (!row) return report(row.status()), out;
      if (!*row) break;
      out.push_back({q->text(0), format_ipv4(static_cast<Ipv4>(q->integer(1))), q->text(2)});
    }
    return out;
  }

  // ---- writes ----

  core::Result<ConfigObject> create(ConfigObject obj) {
    if (obj.type.empty()) return core::invalid("create: type is missing");
    const std::string fq = join(obj.fq_name);
    if (obj.fq_name.empty() || std::any_of(obj.fq_name.begin(), obj.fq_name.end(),
                                           [](const std::string& e) { return e.empty(); }))
      return core::invalid("create " + obj.type + " \"" + fq +
                           "\": fq_name is missing or has an empty element");
    const std::string what = obj.type + " " + fq;

    // The reads that validate the write run in its transaction: they see exactly the
    // state the write commits over, and take the lock once.
    SqliteTransaction txn(*db_);
    if (auto s = txn.begin(); !s) return s;

    // Parent: by uuid, or by the fq_name prefix when only parent_type is given.
    if (!obj.parent_uuid.empty()) {
      const auto parent = identity(writer(), obj.parent_uuid);
      if (!parent || (!obj.parent_type.empty() && parent->type != obj.parent_type))
        return core::not_found("create " + what + ": parent " +
                               (obj.parent_type.empty() ? "object" : obj.parent_type) + " " +
                               obj.parent_uuid + " does not exist" +
                               (parent ? " (that uuid is a " + parent->type + ")" : ""));
      obj.parent_type = parent->type;
      FqName expected = parent->fq_name;
      expected.push_back(obj.name());
      if (expected != obj.fq_name)
        return core::invalid("create " + what +
                             ": fq_name must be the parent's fq_name plus the name (" +
                             join(expected) + ")");
    } else if (!obj.parent_type.empty()) {
      if (obj.fq_name.size() < 2)
        return core::invalid("create " + what + ": parent_type " + obj.parent_type +
                             " needs the parent's fq_name before the name");
      FqName pfq(obj.fq_name.begin(), obj.fq_name.end() - 1);
      auto puuid = uuid_of(writer(), obj.parent_type, pfq);
      if (!puuid)
        return core::not_found("create " + what + ": parent " + obj.parent_type + " " + join(pfq) +
                               " does not exist");
      obj.parent_uuid = *puuid;
    }

    if (!obj.uuid.empty()) {
      if (!valid_uuid_text(obj.uuid))
        return core::invalid("create " + what + ": uuid \"" + obj.uuid +
                             "\" must be 1..128 letters, digits, '-', '_' or '.'");
      if (auto other = identity(writer(), obj.uuid))
        return core::already_exists("create " + what + ": uuid " + obj.uuid + " is taken by " +
                                    other->type + " " + join(other->fq_name));
    }
    if (auto dup = uuid_of(writer(), obj.type, obj.fq_name))
      return core::already_exists(what + " already exists (uuid " + *dup + ")");

    if (auto s = resolve_refs(obj.refs, "create " + what); !s) return s;
    if (obj.props.is_null()) obj.props = json::object();
    if (!obj.props.is_object())
      return core::invalid("create " + what + ": props must be a JSON object");
    strip_timestamps(obj.props);
    if (auto s = complete_holder_subnets(obj, nullptr, "create " + what); !s) return s;

    if (obj.uuid.empty()) obj.uuid = unique_uuid();
    auto planned = plan_address(obj, "create " + what);
    if (!planned) return planned.status();

    const int64_t now = clock_.now().count();
    {
      auto q = db_->query(
          "INSERT INTO objects (uuid, type, fq_name, parent_type, parent_uuid, props, created, "
          "last_modified) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7)");
      if (!q) return q.status();
      q->bind(1, obj.uuid).bind(2, obj.type).bind(3, json(obj.fq_name).dump());
      q->bind(4, obj.parent_type).bind(5, obj.parent_uuid).bind(6, obj.props.dump()).bind(7, now);
      if (auto s = q->run(); !s) return s;
    }
    if (auto s = insert_refs(obj.uuid, obj.refs); !s) return s;
    if (*planned) {
      if (auto s = insert_allocation(**planned, obj.uuid); !s) return s;
    }
    if (auto s = commit_write(txn, obj.uuid, false); !s) return s;

    if (*planned) note_taken((*planned)->key, (*planned)->address);
    remember(writer(), obj);
    std::string detail;
    if (const char* field = address_field(obj.type);
        field && !string_prop(obj.props, field).empty())
      detail = " (" + string_prop(obj.props, field) + ")";
    notify("create", obj.type, obj.uuid, obj.fq_name, detail);
    // What a read returns now, without reading it back: refs are in stored order with
    // their `to` filled by resolve_refs, props carry the DB's timestamps.
    const std::string stamp = id_perms_time(now);
    set_timestamps(obj.props, stamp, stamp);
    return std::move(obj);
  }

  core::Result<ConfigObject> update(ConfigObject obj) {
    if (obj.uuid.empty()) return core::invalid("update " + obj.type + ": uuid is missing");
    SqliteTransaction txn(*db_);  // validation reads and writes: one transaction
    if (auto s = txn.begin(); !s) return s;
    auto stored = load_one(writer(), obj.uuid);
    if (!stored || (!obj.type.empty() && obj.type != stored->type))
      return core::not_found("update: " + (obj.type.empty() ? "object" : obj.type) + " " +
                             obj.uuid + " does not exist" +
                             (stored ? " (that uuid is a " + stored->type + ")" : ""));
    const std::string what = "update " + stored->type + " " + join(stored->fq_name);
    if (!obj.fq_name.empty() && obj.fq_name != stored->fq_name)
      return core::invalid(what + ": fq_name cannot change (got " + join(obj.fq_name) + ")");
    if (!obj.parent_uuid.empty() && obj.parent_uuid != stored->parent_uuid)
      return core::invalid(what + ": parent cannot change (got " + obj.parent_uuid + ")");
    obj.type = stored->type;
    obj.fq_name = stored->fq_name;
    obj.parent_type = stored->parent_type;
    obj.parent_uuid = stored->parent_uuid;

    if (auto s = resolve_refs(obj.refs, what); !s) return s;
    if (obj.props.is_null()) obj.props = json::object();
    if (!obj.props.is_object()) return core::invalid(what + ": props must be a JSON object");
    strip_timestamps(obj.props);
    if (auto s = complete_holder_subnets(obj, &*stored, what); !s) return s;
    if (auto s = check_removed_subnets(*stored, obj, what); !s) return s;
    if (const char* field = address_field(obj.type)) {
      const std::string had = string_prop(stored->props, field);
      const std::string want = string_prop(obj.props, field);
      if (want.empty()) {
        if (!had.empty()) obj.props[field] = had;
      } else if (want != had) {
        return core::invalid(what + ": props." + field + " cannot change (is " +
                             (had.empty() ? "unset" : had) + ", got " + want + ")");
      }
    }

    const int64_t now = clock_.now().count();
    {
      auto q = db_->query("UPDATE objects SET props = ?2, last_modified = ?3 WHERE uuid = ?1");
      if (!q) return q.status();
      q->bind(1, obj.uuid).bind(2, obj.props.dump()).bind(3, now);
      if (auto s = q->run(); !s) return s;
    }
    {
      auto q = db_->query("DELETE FROM refs WHERE from_uuid = ?1");
      if (!q) return q.status();
      if (auto s = q->bind(1, obj.uuid).run(); !s) return s;
    }
    if (auto s = insert_refs(obj.uuid, obj.refs); !s) return s;
    if (auto s = commit_write(txn, obj.uuid, false); !s) return s;

    forget_subnets_of(obj.uuid);
    notify("update", obj.type, obj.uuid, obj.fq_name, "");
    // What a read returns now, without reading it back (see create).
    set_timestamps(obj.props, stored->props["id_perms"]["created"].get<std::string>(),
                   id_perms_time(now));
    return std::move(obj);
  }

  core::Status remove(const std::string& type, const std::string& uuid) {
    SqliteTransaction txn(*db_);  // validation reads and writes: one transaction
    if (auto s = txn.begin(); !s) return s;
    auto h = header(uuid);
    if (!h || (!type.empty() && h->type != type))
      return core::not_found("delete: " + (type.empty() ? "object" : type) + " " + uuid +
                             " does not exist" + (h ? " (that uuid is a " + h->type + ")" : ""));
    const std::string what = h->type + " " + join(h->fq_name) + " (" + uuid + ")";
    std::vector<std::string> blockers;
    int more = 0;
    auto collect = [&](const std::string& sql, const std::string& prefix,
                       const std::string& suffix) -> core::Status {
      auto q = db_->query(sql);
      if (!q) return q.status();
      q->bind(1, uuid);
      for (;;) {
        auto row = q->step();
        if (!row) return row.status();
        if (!*row) break;
        if (q->integer(3) > 0) {
          more += static_cast<int>(q->integer(3));
          continue;
        }
        blockers.push_back(prefix + q->text(0) + " " + join(parse_fq(q->text(1))) + " (" +
                           q->text(2) + ")" + suffix);
      }
      return core::Status::ok();
    };
    // Up to 5 of each, then a count of the rest (the 4th column is 0 for shown rows).
    if (auto s =
            collect("SELECT type, fq_name, uuid, 0 FROM (SELECT type, fq_name, uuid FROM objects "
                    "WHERE parent_uuid = ?1 ORDER BY type, fq_name LIMIT 5) "
                    "UNION ALL SELECT '', '', '', COUNT(*) - 5 FROM objects WHERE parent_uuid = ?1 "
                    "HAVING COUNT(*) > 5",
                    "child ", "");
        !s)
      return s;
    if (auto s = collect(
            "SELECT type, fq_name, uuid, 0 FROM (SELECT o.type, o.fq_name, o.uuid FROM refs r "
            "JOIN objects o ON o.uuid = r.from_uuid WHERE r.to_uuid = ?1 AND r.from_uuid != ?1 "
            "ORDER BY o.type, o.fq_name LIMIT 5) "
            "UNION ALL SELECT '', '', '', COUNT(*) - 5 FROM refs WHERE to_uuid = ?1 AND "
            "from_uuid != ?1 HAVING COUNT(*) > 5",
            "", " refers to it");
        !s)
      return s;
    if (!blockers.empty() || more > 0) {
      std::string msg = "cannot delete " + what + ": ";
      for (size_t i = 0; i < blockers.size(); ++i) msg += (i ? "; " : "") + blockers[i];
      if (more > 0) msg += "; and " + std::to_string(more) + " more";
      return core::conflict(msg);
    }

    std::vector<Planned> freed;
    {
      auto q = db_->query("SELECT subnet, address FROM ip_allocations WHERE owner_uuid = ?1");
      if (!q) return q.status();
      q->bind(1, uuid);
      for (;;) {
        auto row = q->step();
        if (!row) return row.status();
        if (!*row) break;
        freed.push_back({q->text(0), static_cast<Ipv4>(q->integer(1))});
      }
    }
    for (const char* sql :
         {"DELETE FROM ip_allocations WHERE owner_uuid = ?1",
          "DELETE FROM refs WHERE from_uuid = ?1", "DELETE FROM objects WHERE uuid = ?1"}) {
      auto q = db_->query(sql);
      if (!q) return q.status();
      if (auto s = q->bind(1, uuid).run(); !s) return s;
    }
    if (auto s = commit_write(txn, uuid, true); !s) return s;

    for (const auto& f : freed) {
      auto it = pools_.find(f.key);
      if (it != pools_.end()) it->second.release(f.address);
    }
    forget_subnets_of(uuid);
    std::string detail;
    if (const char* field = address_field(h->type)) {
      std::string a = string_prop(parse_json(h->props), field);
      if (!a.empty()) detail = " (" + a + (freed.empty() ? "" : " freed") + ")";
    }
    notify("delete", h->type, uuid, h->fq_name, detail);
    return core::Status::ok();
  }

  core::Status ref_update(const std::string& type, const std::string& uuid,
                          const std::string& ref_type, const std::string& ref_uuid, RefOp op,
                          json attr) {
    SqliteTransaction txn(*db_);  // validation reads and writes: one transaction
    if (auto s = txn.begin(); !s) return s;
    const auto h = identity(writer(), uuid);
    if (!h || (!type.empty() && h->type != type))
      return core::not_found("ref-update: " + (type.empty() ? "object" : type) + " " + uuid +
                             " does not exist" + (h ? " (that uuid is a " + h->type + ")" : ""));
    const std::string what =
        "ref-update " + h->type + " " + join(h->fq_name) + " -> " + ref_type + " " + ref_uuid;
    if (ref_type.empty() || ref_uuid.empty())
      return core::invalid(what + ": ref type and uuid are required");

    // The existing link, if any.
    std::optional<json> old_attr;
    {
      auto q = db_->query("SELECT attr FROM refs WHERE from_uuid = ?1 AND to_uuid = ?2");
      if (!q) return q.status();
      q->bind(1, uuid).bind(2, ref_uuid);
      auto row = q->step();
      if (!row) return row.status();
      if (*row) old_attr = parse_json(q->text(0));
    }
    if (op == RefOp::kDelete && !old_attr) return core::Status::ok();

    std::set<std::string> old_keys, new_keys;
    if (ref_type == "network-ipam") {
      if (old_attr)
        old_keys = subnet_keys("", uuid, nullptr, {Ref{ref_type, ref_uuid, {}, *old_attr}});
    }
    if (op == RefOp::kAdd) {
      const auto target = identity(writer(), ref_uuid);
      if (!target || target->type != ref_type)
        return core::not_found(what + ": " + ref_type + " " + ref_uuid + " does not exist" +
                               (target ? " (that uuid is a " + target->type + ")" : ""));
      if (ref_type == "network-ipam" && attr.is_object() && attr.contains("ipam_subnets")) {
        json previous = old_attr ? ref_subnet_list(*old_attr) : json();
        if (auto s = complete_subnets(attr["ipam_subnets"], previous, what + ": attr.ipam_subnets",
                                      [this] { return new_uuid(); });
            !s)
          return s;
      }
      if (ref_type == "network-ipam")
        new_keys = subnet_keys("", uuid, nullptr, {Ref{ref_type, ref_uuid, {}, attr}});
    }
    if (auto s = check_keys_unused(old_keys, new_keys, what); !s) return s;

    if (op == RefOp::kAdd) {
      auto q = db_->query(
          "INSERT INTO refs (from_uuid, to_type, to_uuid, attr, seq) VALUES (?1, ?2, ?3, ?4, "
          "(SELECT COALESCE(MAX(seq), -1) + 1 FROM refs WHERE from_uuid = ?1)) "
          "ON CONFLICT (from_uuid, to_uuid) DO UPDATE SET attr = excluded.attr");
      if (!q) return q.status();
      q->bind(1, uuid).bind(2, ref_type).bind(3, ref_uuid).bind(4, attr.dump());
      if (auto s = q->run(); !s) return s;
    } else {
      auto q = db_->query("DELETE FROM refs WHERE from_uuid = ?1 AND to_uuid = ?2");
      if (!q) return q.status();
      if (auto s = q->bind(1, uuid).bind(2, ref_uuid).run(); !s) return s;
    }
    {
      auto q = db_->query("UPDATE objects SET last_modified = ?2 WHERE uuid = ?1");
      if (!q) return q.status();
      if (auto s = q->bind(1, uuid).bind(2, clock_.now().count()).run(); !s) return s;
    }
    if (auto s = commit_write(txn, uuid, false); !s) return s;

    if (ref_type == "network-ipam") forget_subnets_of(uuid);
    notify("update", h->type, uuid, h->fq_name,
           std::string(op == RefOp::kAdd ? " (ref add " : " (ref delete ") + ref_type + " " +
               ref_uuid + ")");
    return core::Status::ok();
  }

 private:
  static void report(const core::Status& s) {
    std::cerr << "csim config-db: read failed: " << s.to_string() << "\n";
  }

  std::string new_uuid() {
    uint64_t hi = rng_(), lo = rng_();
    hi = (hi & 0xffffffffffff0fffULL) | 0x0000000000004000ULL;  // version 4
    lo = (lo & 0x3fffffffffffffffULL) | 0x8000000000000000ULL;  // variant 10
    char buf[37];
    std::snprintf(buf, sizeof buf, "%08x-%04x-%04x-%04x-%012llx", static_cast<unsigned>(hi >> 32),
                  static_cast<unsigned>((hi >> 16) & 0xffff), static_cast<unsigned>(hi & 0xffff),
                  static_cast<unsigned>(lo >> 48),
                  static_cast<unsigned long long>(lo & 0xffffffffffffULL));
    return buf;
  }

  // A uuid4 no stored object has (a seeded generator replays its sequence on a reopened DB).
  std::string unique_uuid() {
    for (;;) {
      std::string u = new_uuid();
      if (!identity(writer(), u)) return u;
    }
  }

  // Checks each ref's target exists (by uuid, or by fq_name in `to`), fills type and `to`.
  core::Status resolve_refs(std::vector<Ref>& refs, const std::string& what) {
    std::set<std::string> seen;
    for (size_t i = 0; i < refs.size(); ++i) {
      Ref& r = refs[i];
      const std::string at = what + ": refs[" + std::to_string(i) + "]";
      if (r.type.empty()) return core::invalid(at + ": type is missing");
      if (r.uuid.empty()) {
        if (r.to.empty()) return core::invalid(at + ": needs a uuid or a fq_name (to)");
        auto u = uuid_of(writer(), r.type, r.to);
        if (!u) return core::not_found(at + ": " + r.type + " " + join(r.to) + " does not exist");
        r.uuid = *u;
      }
      const auto target = identity(writer(), r.uuid);
      if (!target || target->type != r.type)
        return core::not_found(at + ": " + r.type + " " + r.uuid + " does not exist" +
                               (target ? " (that uuid is a " + target->type + ")" : ""));
      if (!seen.insert(r.uuid).second)
        return core::invalid(at + ": " + r.type + " " + r.uuid + " is referred to twice");
      r.to = target->fq_name;
    }
    return core::Status::ok();
  }

  core::Status insert_refs(const std::string& from, const std::vector<Ref>& refs) {
    for (size_t i = 0; i < refs.size(); ++i) {
      auto q = db_->query(
          "INSERT INTO refs (from_uuid, to_type, to_uuid, attr, seq) VALUES (?1, ?2, ?3, ?4, ?5)");
      if (!q) return q.status();
      q->bind(1, from).bind(2, refs[i].type).bind(3, refs[i].uuid).bind(4, refs[i].attr.dump());
      q->bind(5, static_cast<int64_t>(i));
      if (auto s = q->run(); !s) return s;
    }
    return core::Status::ok();
  }

  // Validates and completes the subnets an object defines: a network-ipam's own, and
  // those on its refs to network-ipams.
  core::Status complete_holder_subnets(ConfigObject& obj, const ConfigObject* stored,
                                       const std::string& what) {
    auto make_uuid = [this] { return new_uuid(); };
    if (obj.type == "network-ipam") {
      auto it = obj.props.find("ipam_subnets");
      if (it != obj.props.end() && !it->is_null()) {
        if (!it->is_object()) return core::invalid(what + ": props.ipam_subnets must be an object");
        if (it->contains("subnets")) {
          const json& previous = stored ? ipam_subnet_list(stored->props) : json();
          if (auto s = complete_subnets((*it)["subnets"], previous,
                                        what + ": props.ipam_subnets.subnets", make_uuid);
              !s)
            return s;
        }
      }
    }
    for (size_t i = 0; i < obj.refs.size(); ++i) {
      Ref& r = obj.refs[i];
      if (r.type != "network-ipam" || !r.attr.is_object() || !r.attr.contains("ipam_subnets"))
        continue;
      json previous;
      if (stored)
        for (const auto& old : stored->refs)
          if (old.uuid == r.uuid) previous = ref_subnet_list(old.attr);
      if (auto s = complete_subnets(r.attr["ipam_subnets"], previous,
                                    what + ": refs[" + std::to_string(i) + "].attr.ipam_subnets",
                                    make_uuid);
          !s)
        return s;
    }
    return core::Status::ok();
  }

  core::Status check_removed_subnets(const ConfigObject& stored, const ConfigObject& next,
                                     const std::string& what) {
    return check_keys_unused(subnet_keys(stored.type, stored.uuid, stored.props, stored.refs),
                             subnet_keys(next.type, next.uuid, next.props, next.refs), what);
  }

  // kConflict if a subnet in `before` but not in `after` still has addresses in use.
  core::Status check_keys_unused(const std::set<std::string>& before,
                                 const std::set<std::string>& after, const std::string& what) {
    for (const auto& key : before) {
      if (after.count(key)) continue;
      auto q = db_->query("SELECT COUNT(*) FROM ip_allocations WHERE subnet = ?1");
      if (!q) return q.status();
      q->bind(1, key);
      auto row = q->step();
      if (!row) return row.status();
      int64_t n = q->integer(0);
      if (n > 0) {
        std::string prefix = key.substr(key.rfind(':') + 1);
        return core::conflict(what + ": cannot remove subnet " + prefix + ": " + std::to_string(n) +
                              " address(es) still in use");
      }
    }
    return core::Status::ok();
  }

  // The subnets a virtual-network allocates from, in order: for each network-ipam ref, the
  // ref's own subnets (attr.ipam_subnets), then the ipam's flat subnets.
  core::Result<std::vector<KeyedSubnet>> subnets_of_vn(const std::string& vn_uuid) {
    std::vector<KeyedSubnet> out;
    auto q = db_->query(
        "SELECT r.to_uuid, r.attr, t.props FROM refs r JOIN objects t ON t.uuid = r.to_uuid "
        "WHERE r.from_uuid = ?1 AND r.to_type = 'network-ipam' ORDER BY r.seq");
    if (!q) return q.status();
    q->bind(1, vn_uuid);
    for (;;) {
      auto row = q->step();
      if (!row) return row.status();
      if (!*row) break;
      const std::string ipam = q->text(0);
      for (auto& s : parse_subnets(ref_subnet_list(parse_json(q->text(1)))))
        out.push_back({ref_key(vn_uuid, ipam, s.prefix), s});
      for (auto& s : parse_subnets(ipam_subnet_list(parse_json(q->text(2)))))
        out.push_back({flat_key(ipam, s.prefix), s});
    }
    return out;
  }

  // The free addresses of a subnet (its gateway and DNS address reserved). Cached per
  // subnet key; loaded from the DB on first use.
  core::Result<AddressPool*> pool(const KeyedSubnet& ks) {
    auto it = pools_.find(ks.key);
    if (it != pools_.end()) return &it->second;
    AddressPool p(ks.subnet.prefix);
    auto q = db_->query("SELECT address FROM ip_allocations WHERE subnet = ?1");
    if (!q) return q.status();
    q->bind(1, ks.key);
    for (;;) {
      auto row = q->step();
      if (!row) return row.status();
      if (!*row) break;
      p.take(static_cast<Ipv4>(q->integer(0)));
    }
    if (ks.subnet.gateway) p.take(ks.subnet.gateway);
    if (ks.subnet.dns) p.take(ks.subnet.dns);
    return &pools_.emplace(ks.key, std::move(p)).first->second;
  }

  void note_taken(const std::string& key, Ipv4 a) {
    auto it = pools_.find(key);
    if (it != pools_.end()) it->second.take(a);
  }

  // Drops cached pools of subnets a holder defines (their gateway may have changed).
  void forget_subnets_of(const std::string& holder_uuid) {
    const std::string prefix = holder_uuid + ":";
    for (auto it = pools_.lower_bound(prefix);
         it != pools_.end() && it->first.compare(0, prefix.size(), prefix) == 0;)
      it = pools_.erase(it);
  }

  std::string describe_user(const std::string& key, Ipv4 a, const IpamSubnet& s) {
    if (a == s.gateway) return "the default gateway of " + s.prefix.to_string();
    if (a == s.dns) return "the DNS server address of " + s.prefix.to_string();
    auto q = db_->query(
        "SELECT o.type, o.fq_name, o.uuid FROM ip_allocations a JOIN objects o ON o.uuid = "
        "a.owner_uuid WHERE a.subnet = ?1 AND a.address = ?2");
    if (q) {
      q->bind(1, key).bind(2, static_cast<int64_t>(a));
      auto row = q->step();
      if (row.is_ok() && *row)
        return "in use by " + q->text(0) + " " + join(parse_fq(q->text(1))) + " (" + q->text(2) +
               ")";
    }
    return "in use";
  }

  // Decides the address of a new instance-ip or floating-ip and writes it into props.
  core::Result<std::optional<Planned>> plan_address(ConfigObject& obj, const std::string& what) {
    const char* field = address_field(obj.type);
    if (!field) return std::optional<Planned>();
    auto fit = obj.props.find(field);
    if (fit != obj.props.end() && !fit->is_null() && !fit->is_string())
      return core::invalid(what + ": props." + field + " must be a string");
    std::string requested = string_prop(obj.props, field);

    std::string vn_uuid;
    std::string subnet_uuid;
    if (obj.type == "instance-ip") {
      auto vns = obj.ref_uuids("virtual-network");
      if (vns.empty())
        return core::invalid(what + ": an instance-ip needs a virtual_network ref (its network)");
      vn_uuid = vns.front();
      auto su = obj.props.find("subnet_uuid");
      if (su != obj.props.end() && !su->is_null()) {
        if (!su->is_string()) return core::invalid(what + ": props.subnet_uuid must be a string");
        subnet_uuid = su->get<std::string>();
      }
    } else if (obj.parent_type == "floating-ip-pool") {
      const auto pool = identity(writer(), obj.parent_uuid);
      if (!pool || pool->parent_type != "virtual-network")
        return core::invalid(what + ": floating-ip-pool " + obj.parent_uuid +
                             " has no virtual-network parent to allocate from");
      vn_uuid = pool->parent_uuid;
    } else if (obj.parent_type == "instance-ip") {
      // The native load balancer's FIP: the clusterIP of its parent instance-ip.
      if (requested.empty()) {
        auto parent = header(obj.parent_uuid);
        std::string a = parent ? string_prop(parse_json(parent->props), "instance_ip_address") : "";
        if (a.empty())
          return core::invalid(what + ": parent instance-ip " + obj.parent_uuid +
                               " has no address");
        obj.props[field] = a;
      } else if (auto a = parse_ipv4(requested); !a) {
        return core::invalid(what + ": props." + field + ": " + a.status().message());
      }
      return std::optional<Planned>();
    } else {
      if (!requested.empty()) {
        if (auto a = parse_ipv4(requested); !a)
          return core::invalid(what + ": props." + field + ": " + a.status().message());
        return std::optional<Planned>();
      }
      return core::invalid(what + ": a floating-ip needs a floating-ip-pool parent or an address");
    }

    const auto vn = identity(writer(), vn_uuid);
    const std::string vn_name =
        vn ? "virtual-network " + join(vn->fq_name) : "virtual-network " + vn_uuid;
    auto all = subnets_of_vn(vn_uuid);
    if (!all) return all.status();
    std::vector<KeyedSubnet> candidates;
    for (auto& ks : *all)
      if (subnet_uuid.empty() || ks.subnet.subnet_uuid == subnet_uuid) candidates.push_back(ks);
    if (!subnet_uuid.empty() && candidates.empty())
      return core::not_found(what + ": props.subnet_uuid " + subnet_uuid + " is not a subnet of " +
                             vn_name);
    if (candidates.empty())
      return core::invalid(what + ": " + vn_name +
                           " has no subnets (no network-ipam ref with ipam_subnets)");
    std::string names;
    for (size_t i = 0; i < candidates.size(); ++i)
      names += (i ? ", " : "") + candidates[i].subnet.prefix.to_string();

    if (!requested.empty()) {
      auto a = parse_ipv4(requested);
      if (!a) return core::invalid(what + ": props." + field + ": " + a.status().message());
      for (auto& ks : candidates) {
        if (!ks.subnet.prefix.contains(*a)) continue;
        if (*a == ks.subnet.prefix.network || *a == ks.subnet.prefix.broadcast())
          return core::invalid(what + ": props." + field + " " + requested +
                               " is the network or broadcast address of " +
                               ks.subnet.prefix.to_string());
        auto p = pool(ks);
        if (!p) return p.status();
        if (!(*p)->is_free(*a))
          return core::already_exists(what + ": address " + requested + " is " +
                                      describe_user(ks.key, *a, ks.subnet));
        return std::optional<Planned>(Planned{ks.key, *a});
      }
      return core::invalid(what + ": props." + field + " " + requested + " is not in a subnet of " +
                           vn_name + " (" + names + ")");
    }
    for (auto& ks : candidates) {
      auto p = pool(ks);
      if (!p) return p.status();
      if (auto a = (*p)->highest_free()) {
        obj.props[field] = format_ipv4(*a);
        return std::optional<Planned>(Planned{ks.key, *a});
      }
    }
    return core::unavailable(what + ": no free address in " + names + " of " + vn_name);
  }

  core::Status insert_allocation(const Planned& p, const std::string& owner) {
    auto q =
        db_->query("INSERT INTO ip_allocations (subnet, address, owner_uuid) VALUES (?1, ?2, ?3)");
    if (!q) return q.status();
    return q->bind(1, p.key).bind(2, static_cast<int64_t>(p.address)).bind(3, owner).run();
  }

  // Queues the notification of a committed write (mu_ held, so the queue is in commit
  // order); publish_notes() publishes it once mu_ is released.
  void notify(const std::string& op, const std::string& type, const std::string& uuid,
              const FqName& fq, const std::string& detail) {
    json body = {{"op", op},
                 {"type", type},
                 {"uuid", uuid},
                 {"fq_name", fq},
                 {"summary", op + " " + type + " " + join(fq) + detail}};
    std::lock_guard lock(notes_mu_);
    notes_.push_back({"config.changed." + type, std::move(body), core::current_trace_context()});
  }

 public:
  // Publishes the queued notifications, in commit order, each in the trace of the write
  // that made it. Called by every write after it released mu_: the next write commits
  // while this one is published. When it returns, the caller's own notification has been
  // published (by this call, or by the one that held publish_mu_ before it).
  void publish_notes() {
    std::lock_guard publishing(publish_mu_);
    for (;;) {
      Note note;
      {
        std::lock_guard lock(notes_mu_);
        if (notes_.empty()) return;
        note = std::move(notes_.front());
        notes_.pop_front();
      }
      core::ScopedTraceContext context(note.context);
      bus_.publish(kModule, note.topic, std::move(note.body));
    }
  }

 private:
  struct Note {
    std::string topic;
    json body;
    core::TraceContext context;
  };
  std::mutex publish_mu_;  // one publisher at a time, so notes go out in queue order
  std::mutex notes_mu_;
  std::deque<Note> notes_;

  core::Bus& bus_;
  core::Clock& clock_;
  std::unique_ptr<SqliteDb> db_;
  // Copies the WAL into the file beside the writer (file DBs); declared after db_, so it
  // goes first and gives the writer SQLite's own autocheckpoint back.
  std::unique_ptr<WalCheckpointer> checkpointer_;
  std::mt19937_64 rng_;
  std::map<std::string, AddressPool> pools_;  // subnet key -> free addresses
  // Reader connections not in use (file DBs).
  std::mutex readers_mu_;
  std::vector<std::unique_ptr<SqliteDb>> idle_readers_;
  std::atomic<bool> use_readers_{false};

  // state_mu_ guards what reads and writes share: the identities, the read cache and the
  // write generation. Held briefly, never across a query.
  std::mutex state_mu_;
  uint64_t generation_ = 0;  // + 1 per committed write
  // uuid -> identity of objects seen (read or written); an entry goes when its object is
  // deleted. Every write goes through this Impl, so it is never stale. Never iterated.
  std::unordered_map<std::string, Identity> identities_;

 public:
  // ---- the read cache (see config_db.h) ----

  // The cached object `uuid`, or nullptr; a hit becomes the most recent entry. The
  // object is immutable: copy it after the lock is released.
  std::shared_ptr<const ConfigObject> cached(const std::string& uuid) {
    std::lock_guard lock(state_mu_);
    return cached_locked(uuid);
  }
  std::shared_ptr<const ConfigObject> cached_fq(const std::string& key) {
    std::lock_guard lock(state_mu_);
    auto it = cache_by_key_.find(key);
    return it == cache_by_key_.end() ? nullptr : cached_locked(it->second);
  }
  // Keeps `o` as `c` just read it, unless a write committed since c's snapshot began.
  void cache(const Conn& c, const ConfigObject& o) {
    auto copy = std::make_shared<const ConfigObject>(o);
    std::lock_guard lock(state_mu_);
    if (current_locked(c)) cache_locked(std::move(copy));
  }

 private:
  std::shared_ptr<const ConfigObject> cached_locked(const std::string& uuid) {
    auto it = cache_.find(uuid);
    if (it == cache_.end()) return nullptr;
    cache_order_.splice(cache_order_.begin(), cache_order_, it->second.order);
    return it->second.object;
  }
  // Keeps `o`, evicting the least recently used entry.
  void cache_locked(std::shared_ptr<const ConfigObject> o) {
    if (kReadCacheObjects == 0) return;
    uncache(o->uuid);
    cache_order_.push_front(o->uuid);
    std::string key = cache_key(o->type, o->fq_name);
    cache_by_key_[key] = o->uuid;
    const std::string uuid = o->uuid;
    cache_.emplace(uuid, CacheEntry{std::move(o), std::move(key), cache_order_.begin()});
    while (cache_.size() > kReadCacheObjects) uncache(cache_order_.back());
  }
  // Drops object `uuid` (it was written).
  void uncache(const std::string& uuid) {
    auto it = cache_.find(uuid);
    if (it == cache_.end()) return;
    auto k = cache_by_key_.find(it->second.key);
    if (k != cache_by_key_.end() && k->second == uuid) cache_by_key_.erase(k);
    cache_order_.erase(it->second.order);
    cache_.erase(it);
  }
  void uncache_all() {
    cache_.clear();
    cache_by_key_.clear();
    cache_order_.clear();
  }

 public:
  // The objects whose uuids `sql` selects (parameters ?1..?n = binds; one column),
  // assembled from the cache: hits are copied, up to kMaxMisses misses are read one by
  // one (and cached). nullopt when more are missing (the caller runs its one query).
  // Sorted as load() sorts. Inside a read snapshot of c.
  // `refers_to` (back-refs): a hit must still refer to that uuid, else it is read from
  // the snapshot like a miss (the cache may hold a newer copy than the snapshot that
  // listed it, one whose ref is gone).
  std::optional<std::vector<ConfigObject>> assemble(const Conn& c, const std::string& sql,
                                                    const std::vector<std::string>& binds,
                                                    const std::string& refers_to = "") {
    if (kReadCacheObjects == 0) return std::nullopt;
    std::vector<std::string> uuids;
    {
      auto q = c.db.query(sql);
      if (!q) return report(q.status()), std::nullopt;
      for (size_t i = 0; i < binds.size(); ++i) q->bind(static_cast<int>(i + 1), binds[i]);
      for (;;) {
        auto row = q->step();
        if (!row) return report(row.status()), std::nullopt;
        if (!*row) break;
        uuids.push_back(q->text(0));
      }
    }
    std::vector<std::shared_ptr<const ConfigObject>> hits(uuids.size());
    {
      std::lock_guard lock(state_mu_);
      size_t misses = 0;
      for (const auto& u : uuids)
        if (!cache_.count(u) && ++misses > kMaxMisses) return std::nullopt;
      for (size_t i = 0; i < uuids.size(); ++i) hits[i] = cached_locked(uuids[i]);
    }
    if (!refers_to.empty())
      for (auto& hit : hits)
        if (hit && std::none_of(hit->refs.begin(), hit->refs.end(),
                                [&](const Ref& r) { return r.uuid == refers_to; }))
          hit = nullptr;
    std::vector<ConfigObject> out;
    out.reserve(uuids.size());
    for (size_t i = 0; i < uuids.size(); ++i) {
      if (hits[i]) {
        out.push_back(*hits[i]);
        continue;
      }
      auto o = load_one(c, uuids[i]);
      if (!o) return std::nullopt;
      cache(c, *o);
      out.push_back(std::move(*o));
    }
    std::sort(out.begin(), out.end(), [](const ConfigObject& a, const ConfigObject& b) {
      if (a.fq_name != b.fq_name) return a.fq_name < b.fq_name;
      if (a.type != b.type) return a.type < b.type;
      return a.uuid < b.uuid;
    });
    return out;
  }

  // Caches the objects of a query's answer unless it is large (it would push out the rest).
  void cache_answer(const Conn& c, const std::vector<ConfigObject>& objects) {
    if (objects.size() > kCachedAnswer) return;
    for (const auto& o : objects) cache(c, o);
  }

  static std::string cache_key(const std::string& type, const FqName& fq) {
    return type + '\n' + json(fq).dump();
  }

 private:
  struct CacheEntry {
    std::shared_ptr<const ConfigObject> object;
    std::string key;  // cache_key(type, fq_name)
    std::list<std::string>::iterator order;
  };
  std::unordered_map<std::string, CacheEntry> cache_;            // uuid -> entry; never iterated
  std::unordered_map<std::string, std::string> cache_by_key_;    // cache_key -> uuid
  std::list<std::string> cache_order_;                           // uuids, most recent first
};

// Holds mu_ for one call and adds the time waited for it and held to lock_counts_.
class ConfigDb::TimedLock {
 public:
  TimedLock(const ConfigDb& db, bool write)
      : counts_(db.lock_counts_ + (write ? 0 : 3)), asked_(Steady::now()), lock_(db.mu_),
        got_(Steady::now()) {}
  ~TimedLock() { count(counts_, Steady::now() - got_, got_ - asked_); }

  using Steady = std::chrono::steady_clock;
  // Adds one call to counts (calls, held ns, waited ns).
  static void count(std::atomic<uint64_t>* counts, Steady::duration held,
                    Steady::duration waited) {
    counts[0].fetch_add(1, std::memory_order_relaxed);
    counts[1].fetch_add(ns(held), std::memory_order_relaxed);
    counts[2].fetch_add(ns(waited), std::memory_order_relaxed);
  }

 private:
  static uint64_t ns(Steady::duration d) {
    return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(d).count());
  }
  std::atomic<uint64_t>* counts_;
  Steady::time_point asked_;
  std::lock_guard<std::mutex> lock_;
  Steady::time_point got_;
};

ConfigDb::LockStats ConfigDb::lock_stats() const {
  auto use = [this](int at) {
    return LockUse{lock_counts_[at].load(), core::Nanos(lock_counts_[at + 1].load()),
                   core::Nanos(lock_counts_[at + 2].load())};
  };
  return {use(0), use(3)};
}

ConfigDb::ConfigDb(core::Bus& bus, core::Clock& clock, std::string sqlite_path,
                   std::optional<uint64_t> uuid_seed) {
  auto db = SqliteDb::open(sqlite_path);
  if (!db) {
    open_status_ = db.status();
    return;
  }
  auto impl = std::make_unique<Impl>(bus, clock, std::move(*db), uuid_seed);
  open_status_ = impl->init_schema();
  if (open_status_.is_ok()) impl_ = std::move(impl);
}

core::Result<std::unique_ptr<ConfigDb>> ConfigDb::open(core::Bus& bus, core::Clock& clock,
                                                       std::string sqlite_path,
                                                       std::optional<uint64_t> uuid_seed) {
  auto db = std::make_unique<ConfigDb>(bus, clock, std::move(sqlite_path), uuid_seed);
  if (!db->open_status().is_ok()) return db->open_status();
  return db;
}

ConfigDb::~ConfigDb() = default;

// Every write: the write under mu_, then its notification outside it.
template <class F>
auto ConfigDb::writing(F&& fn) {
  auto out = [&] {
    TimedLock lock(*this, true);
    return fn();
  }();
  impl_->publish_notes();
  return out;
}

core::Result<ConfigObject> ConfigDb::create(ConfigObject object) {
  if (!impl_) return open_status_;
  return writing([&] { return impl_->create(std::move(object)); });
}

core::Result<ConfigObject> ConfigDb::update(ConfigObject object) {
  if (!impl_) return open_status_;
  return writing([&] { return impl_->update(std::move(object)); });
}

core::Status ConfigDb::remove(const std::string& type, const std::string& uuid) {
  if (!impl_) return open_status_;
  return writing([&] { return impl_->remove(type, uuid); });
}

core::Status ConfigDb::ref_update(const std::string& type, const std::string& uuid,
                                  const std::string& ref_type, const std::string& ref_uuid,
                                  RefOp op, nlohmann::json attr) {
  if (!impl_) return open_status_;
  return writing(
      [&] { return impl_->ref_update(type, uuid, ref_type, ref_uuid, op, std::move(attr)); });
}

// Runs fn(conn) in one read snapshot: on a reader connection of its own, beside the
// writer and other readers; for a ":memory:" DB on the writer's, under mu_.
template <class F>
auto ConfigDb::reading(F&& fn) const {
  if (auto reader = impl_->take_reader()) {
    const auto start = TimedLock::Steady::now();
    Impl::Conn c{*reader, impl_->generation()};
    auto out = impl_->snapshot(c, [&] { return fn(c); });
    impl_->give_back(std::move(reader));
    TimedLock::count(lock_counts_ + 3, TimedLock::Steady::now() - start, {});
    return out;
  }
  TimedLock lock(*this, false);
  Impl::Conn c = impl_->writer();
  return impl_->snapshot(c, [&] { return fn(c); });
}

std::optional<ConfigObject> ConfigDb::read(const std::string& uuid) const {
  if (!impl_) return std::nullopt;
  if (auto hit = impl_->cached(uuid)) return *hit;
  return reading([&](const Impl::Conn& c) {
    auto o = impl_->load_one(c, uuid);
    if (o) impl_->cache(c, *o);
    return o;
  });
}

std::optional<ConfigObject> ConfigDb::read_uncached(const std::string& uuid) const {
  if (!impl_) return std::nullopt;
  return reading([&](const Impl::Conn& c) { return impl_->load_one(c, uuid); });
}

std::optional<ConfigObject> ConfigDb::read_fq(const std::string& type, const FqName& fq) const {
  if (!impl_) return std::nullopt;
  if (auto hit = impl_->cached_fq(Impl::cache_key(type, fq))) return *hit;
  return reading([&](const Impl::Conn& c) -> std::optional<ConfigObject> {
    auto v = impl_->load(c, "o.type = ?1 AND o.fq_name = ?2", {type, nlohmann::json(fq).dump()});
    if (v.empty()) return std::nullopt;
    impl_->cache(c, v.front());
    return std::move(v.front());
  });
}

std::vector<ConfigObject> ConfigDb::list(const std::string& type,
                                         const std::string& parent_uuid) const {
  if (!impl_) return {};
  return reading([&](const Impl::Conn& c) {
    if (parent_uuid.empty()) return impl_->load(c, "o.type = ?1", {type});
    return impl_->load(c, "o.type = ?1 AND o.parent_uuid = ?2", {type, parent_uuid});
  });
}

std::optional<std::string> ConfigDb::uuid_of(const std::string& type, const FqName& fq) const {
  if (!impl_) return std::nullopt;
  if (auto hit = impl_->cached_fq(Impl::cache_key(type, fq))) return hit->uuid;
  return reading([&](const Impl::Conn& c) { return impl_->uuid_of(c, type, fq); });
}

std::vector<std::string> ConfigDb::back_ref_uuids(const std::string& uuid,
                                                  const std::string& from_type) const {
  if (!impl_) return {};
  return reading(
      [&](const Impl::Conn& c) { return impl_->referrer_uuids(c, uuid, from_type); });
}

std::vector<ConfigObject> ConfigDb::back_refs(const std::string& uuid,
                                              const std::string& from_type) const {
  if (!impl_) return {};
  return reading([&](const Impl::Conn& c) -> std::vector<ConfigObject> {
    // The referrers' uuids through refs_by_to, their objects from the read cache (a
    // virtual-router, with a ref to every VM of its node, is copied, not read back ref by
    // ref); else one query. "+o.type" keeps SQLite from scanning every object of the type
    // through the (type, fq_name) index instead (O(objects of the type) per call).
    if (from_type.empty()) {
      if (auto hit =
              impl_->assemble(c, "SELECT from_uuid FROM refs WHERE to_uuid = ?1", {uuid}, uuid))
        return std::move(*hit);
      auto out =
          impl_->load(c, "o.uuid IN (SELECT from_uuid FROM refs WHERE to_uuid = ?1)", {uuid});
      impl_->cache_answer(c, out);
      return out;
    }
    if (auto hit = impl_->assemble(c,
                                   "SELECT o.uuid FROM refs r JOIN objects o ON o.uuid = "
                                   "r.from_uuid WHERE r.to_uuid = ?1 AND o.type = ?2",
                                   {uuid, from_type}, uuid))
      return std::move(*hit);
    auto out = impl_->load(
        c, "+o.type = ?2 AND o.uuid IN (SELECT from_uuid FROM refs WHERE to_uuid = ?1)",
        {uuid, from_type});
    impl_->cache_answer(c, out);
    return out;
  });
}

std::vector<ConfigObject> ConfigDb::children(const std::string& uuid,
                                             const std::string& child_type) const {
  if (!impl_) return {};
  return reading([&](const Impl::Conn& c) -> std::vector<ConfigObject> {
    // The children's uuids through objects_by_parent, their objects from the read cache;
    // else one query.
    if (child_type.empty()) {
      if (auto hit = impl_->assemble(c, "SELECT uuid FROM objects WHERE parent_uuid = ?1", {uuid}))
        return std::move(*hit);
      auto out = impl_->load(c, "o.parent_uuid = ?1", {uuid});
      impl_->cache_answer(c, out);
      return out;
    }
    if (auto hit = impl_->assemble(
            c, "SELECT uuid FROM objects WHERE parent_uuid = ?1 AND type = ?2", {uuid, child_type}))
      return std::move(*hit);
    auto out = impl_->load(c, "o.parent_uuid = ?1 AND o.type = ?2", {uuid, child_type});
    impl_->cache_answer(c, out);
    return out;
  });
}

std::vector<IpAllocation> ConfigDb::allocations() const {
  TimedLock lock(*this, false);
  if (!impl_) return {};
  return impl_->allocations();
}

}  // namespace csim::controller
