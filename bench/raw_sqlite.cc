#include "bench/raw_sqlite.h"

#include <sqlite3.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <memory>

namespace csim::bench {
namespace {

core::Status error(sqlite3* db, const std::string& what) {
  return core::unavailable("sqlite: " + what + ": " + (db ? sqlite3_errmsg(db) : "out of memory"));
}

struct DbCloser {
  void operator()(sqlite3* db) const { sqlite3_close(db); }
};
using Db = std::unique_ptr<sqlite3, DbCloser>;

core::Result<Db> open_db(const std::string& path, bool read_only) {
  sqlite3* raw = nullptr;
  const int flags =
      (read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE) |
      SQLITE_OPEN_NOMUTEX;
  Db db;
  int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
  db.reset(raw);
  if (rc != SQLITE_OK) return error(raw, "open " + path);
  sqlite3_busy_timeout(raw, 5000);
  if (!read_only) {
    // The config DB's pragmas (controller/sqlite_db.cc).
    if (sqlite3_exec(raw,
                     "PRAGMA foreign_keys=ON; PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
                     nullptr, nullptr, nullptr) != SQLITE_OK)
      return error(raw, "pragmas on " + path);
  }
  return db;
}

class Stmt {
 public:
  Stmt(sqlite3* db, const std::string& sql) : db_(db), sql_(sql) {
    if (sqlite3_prepare_v3(db, sql.c_str(), -1, SQLITE_PREPARE_PERSISTENT, &s_, nullptr) !=
        SQLITE_OK)
      status_ = error(db, "prepare " + sql);
  }
  ~Stmt() { sqlite3_finalize(s_); }
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;

  const core::Status& status() const { return status_; }
  sqlite3_stmt* get() const { return s_; }

  core::Status run(const SqliteRow& row) {
    for (size_t c = 0; c < row.size(); ++c) {
      const int i = static_cast<int>(c + 1);
      if (row[c].is_int)
        sqlite3_bind_int64(s_, i, row[c].integer);
      else
        sqlite3_bind_text(s_, i, row[c].text.data(), static_cast<int>(row[c].text.size()),
                          SQLITE_STATIC);
    }
    const int rc = sqlite3_step(s_);
    sqlite3_reset(s_);
    sqlite3_clear_bindings(s_);
    if (rc != SQLITE_DONE && rc != SQLITE_ROW) return error(db_, sql_);
    return core::Status::ok();
  }

 private:
  sqlite3* db_;
  std::string sql_;
  sqlite3_stmt* s_ = nullptr;
  core::Status status_;
};

core::Result<std::vector<SqliteRow>> select_all(sqlite3* db, const std::string& sql) {
  Stmt q(db, sql);
  if (!q.status().is_ok()) return q.status();
  std::vector<SqliteRow> out;
  for (;;) {
    const int rc = sqlite3_step(q.get());
    if (rc == SQLITE_DONE) break;
    if (rc != SQLITE_ROW) return error(db, sql);
    SqliteRow r;
    for (int c = 0; c < sqlite3_column_count(q.get()); ++c) {
      SqliteValue v;
      if (sqlite3_column_type(q.get(), c) == SQLITE_INTEGER) {
        v.is_int = true;
        v.integer = sqlite3_column_int64(q.get(), c);
      } else if (const unsigned char* t = sqlite3_column_text(q.get(), c)) {
        v.text.assign(reinterpret_cast<const char*>(t),
                      static_cast<size_t>(sqlite3_column_bytes(q.get(), c)));
      }
      r.push_back(std::move(v));
    }
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace

size_t ConfigDbRows::row_count(size_t last) const {
  size_t n = 0;
  for (size_t i = objects.size() - std::min(last, objects.size()); i < objects.size(); ++i)
    n += 1 + objects[i].refs.size() + objects[i].allocations.size();
  return n;
}

core::Result<ConfigDbRows> read_config_db_rows(const std::string& path) {
  auto db = open_db(path, true);
  if (!db.is_ok()) return db.status();
  sqlite3* h = db->get();
  ConfigDbRows out;
  auto schema = select_all(h, "SELECT sql FROM sqlite_master WHERE sql IS NOT NULL ORDER BY rowid");
  if (!schema.is_ok()) return schema.status();
  for (auto& r : *schema) out.schema.push_back(std::move(r[0].text));
  auto version = select_all(h, "SELECT version FROM schema_version");
  if (!version.is_ok()) return version.status();
  out.schema_version = std::move(*version);
  auto objects = select_all(h,
                            "SELECT uuid, type, fq_name, parent_type, parent_uuid, props, created, "
                            "last_modified FROM objects ORDER BY rowid");
  if (!objects.is_ok()) return objects.status();
  std::map<std::string, size_t> index;
  for (auto& r : *objects) {
    index[r[0].text] = out.objects.size();
    out.objects.push_back({std::move(r), {}, {}});
  }
  auto refs =
      select_all(h, "SELECT from_uuid, to_type, to_uuid, attr, seq FROM refs ORDER BY rowid");
  if (!refs.is_ok()) return refs.status();
  for (auto& r : *refs) {
    auto from = index.find(r[0].text), to = index.find(r[2].text);
    if (from == index.end() || to == index.end())
      return core::internal("config DB " + path + ": ref " + r[0].text + " -> " + r[2].text +
                            " names a missing object");
    out.objects[std::max(from->second, to->second)].refs.push_back(std::move(r));
  }
  auto allocations =
      select_all(h, "SELECT subnet, address, owner_uuid FROM ip_allocations ORDER BY rowid");
  if (!allocations.is_ok()) return allocations.status();
  for (auto& r : *allocations) {
    auto owner = index.find(r[2].text);
    if (owner == index.end())
      return core::internal("config DB " + path + ": address owner " + r[2].text + " is missing");
    out.objects[owner->second].allocations.push_back(std::move(r));
  }
  return out;
}

core::Result<double> write_rows_raw(const ConfigDbRows& rows, const std::string& path, size_t timed,
                                    TxnPer per) {
  auto db = open_db(path, false);
  if (!db.is_ok()) return db.status();
  sqlite3* h = db->get();
  for (const auto& sql : rows.schema)
    if (sqlite3_exec(h, sql.c_str(), nullptr, nullptr, nullptr) != SQLITE_OK) return error(h, sql);
  Stmt version(h, "INSERT INTO schema_version (version) VALUES (?1)");
  Stmt object(h,
              "INSERT INTO objects (uuid, type, fq_name, parent_type, parent_uuid, props, created, "
              "last_modified) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)");
  Stmt ref(h,
           "INSERT INTO refs (from_uuid, to_type, to_uuid, attr, seq) VALUES (?1, ?2, ?3, ?4, ?5)");
  Stmt allocation(h,
                  "INSERT INTO ip_allocations (subnet, address, owner_uuid) VALUES (?1, ?2, ?3)");
  Stmt begin(h, "BEGIN IMMEDIATE"), commit(h, "COMMIT");
  for (const Stmt* s : {&version, &object, &ref, &allocation, &begin, &commit})
    if (!s->status().is_ok()) return s->status();
  for (const auto& r : rows.schema_version)
    if (auto s = version.run(r); !s.is_ok()) return s;

  using Clock = std::chrono::steady_clock;
  const size_t first_timed = rows.objects.size() - std::min(timed, rows.objects.size());
  Clock::time_point t0 = Clock::now();
  const SqliteRow none;
  for (size_t i = 0; i < rows.objects.size(); ++i) {
    if (i == first_timed) t0 = Clock::now();
    const ObjectRows& o = rows.objects[i];
    if (per == TxnPer::kObject)
      if (auto s = begin.run(none); !s.is_ok()) return s;
    if (auto s = object.run(o.object); !s.is_ok()) return s;
    for (const auto& r : o.refs)
      if (auto s = ref.run(r); !s.is_ok()) return s;
    for (const auto& r : o.allocations)
      if (auto s = allocation.run(r); !s.is_ok()) return s;
    if (per == TxnPer::kObject)
      if (auto s = commit.run(none); !s.is_ok()) return s;
  }
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

}  // namespace csim::bench
