#include "kube/sqlite_store.h"

#include <sqlite3.h>

#include <utility>

namespace csim::kube {
namespace {

using nlohmann::json;

constexpr const char* kSchema = R"sql(
CREATE TABLE schema_version (version INTEGER NOT NULL);
CREATE TABLE objects (
  kind TEXT NOT NULL,
  namespace TEXT NOT NULL,
  name TEXT NOT NULL,
  json TEXT NOT NULL,
  resource_version INTEGER NOT NULL,
  PRIMARY KEY (kind, namespace, name)
) WITHOUT ROWID;
CREATE TABLE store (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  resource_version INTEGER NOT NULL
);
INSERT INTO store (id, resource_version) VALUES (1, 0);
)sql";

constexpr const char* kRefusedHint = "; move it away or delete it to start with an empty store";

std::string meta_field(const json& object, const char* field) {
  auto m = object.find("metadata");
  if (m == object.end() || !m->is_object()) return "";
  auto f = m->find(field);
  return f != m->end() && f->is_string() ? f->get<std::string>() : "";
}

std::string column_text(sqlite3_stmt* stmt, int column) {
  const unsigned char* t = sqlite3_column_text(stmt, column);
  if (t == nullptr) return "";
  return std::string(reinterpret_cast<const char*>(t),
                     static_cast<size_t>(sqlite3_column_bytes(stmt, column)));
}

// Resets a statement (and clears its bindings) when leaving a scope.
class Reset {
 public:
  explicit Reset(sqlite3_stmt* stmt) : stmt_(stmt) {}
  ~Reset() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }
  Reset(const Reset&) = delete;
  Reset& operator=(const Reset&) = delete;

 private:
  sqlite3_stmt* stmt_;
};

}  // namespace

SqliteStorePersistence::SqliteStorePersistence(sqlite3* db, std::string path)
    : db_(db), path_(std::move(path)) {}

SqliteStorePersistence::~SqliteStorePersistence() {
  for (sqlite3_stmt* stmt : {put_, erase_, set_rv_})
    if (stmt != nullptr) sqlite3_finalize(stmt);
  sqlite3_close(db_);
}

core::Result<std::unique_ptr<SqliteStorePersistence>> SqliteStorePersistence::open(
    const std::string& path) {
  if (path.empty() || path == ":memory:")
    return core::invalid("kube store: path \"" + path + "\" is not a file (nothing would persist)");
  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(
      path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    std::string msg = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    sqlite3_close(db);
    return core::unavailable("kube store " + path + ": cannot open: " + msg);
  }
  std::unique_ptr<SqliteStorePersistence> out(new SqliteStorePersistence(db, path));
  sqlite3_busy_timeout(db, 5000);
  if (auto s = out->init(); !s.is_ok()) return s;
  return out;
}

core::Status SqliteStorePersistence::error(const std::string& what, bool refused) const {
  return core::unavailable("kube store " + path_ + ": " + what + ": " + sqlite3_errmsg(db_) +
                           (refused ? kRefusedHint : ""));
}

core::Status SqliteStorePersistence::exec(const char* sql) const {
  char* err = nullptr;
  int rc = sqlite3_exec(db_, sql, nullptr, nullptr, &err);
  if (rc == SQLITE_OK) return core::Status::ok();
  std::string msg = err != nullptr ? err : sqlite3_errstr(rc);
  sqlite3_free(err);
  std::string shown = sql;
  if (shown.size() > 80) shown = shown.substr(0, 77) + "...";
  return core::unavailable("kube store " + path_ + ": " + msg + " in: " + shown);
}

core::Result<sqlite3_stmt*> SqliteStorePersistence::statement(sqlite3_stmt*& slot,
                                                              const char* sql) const {
  if (slot == nullptr) {
    if (sqlite3_prepare_v3(db_, sql, -1, SQLITE_PREPARE_PERSISTENT, &slot, nullptr) != SQLITE_OK)
      return error(std::string("cannot prepare ") + sql);
  }
  return slot;
}

core::Status SqliteStorePersistence::init() {
  // Reading the header first: a file that is not SQLite fails here ("file is not a database").
  int32_t application_id = 0;
  std::vector<std::string> tables;
  {
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v2(db_, "PRAGMA application_id", -1, &stmt, nullptr) != SQLITE_OK)
      return error("cannot read the file", true);
    int rc = sqlite3_step(stmt);
    if (rc == SQLITE_ROW) application_id = sqlite3_column_int(stmt, 0);
    sqlite3_finalize(stmt);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) return error("cannot read the file", true);
    if (sqlite3_prepare_v2(db_, "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name",
                           -1, &stmt, nullptr) != SQLITE_OK)
      return error("cannot list tables", true);
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) tables.push_back(column_text(stmt, 0));
    sqlite3_finalize(stmt);
    if (rc != SQLITE_DONE) return error("cannot list tables", true);
  }

  if (application_id == 0 && tables.empty()) {
    // A new (missing or empty) file.
    if (auto s = exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"); !s.is_ok()) return s;
    if (auto s = exec("BEGIN IMMEDIATE"); !s.is_ok()) return s;
    std::string create = std::string(kSchema) + "INSERT INTO schema_version (version) VALUES (" +
                         std::to_string(kSchemaVersion) + ");" +
                         "PRAGMA application_id = " + std::to_string(kApplicationId) + ";";
    if (auto s = exec(create.c_str()); !s.is_ok()) {
      sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
      return s;
    }
    return exec("COMMIT");
  }

  if (application_id != kApplicationId) {
    std::string names;
    for (const auto& t : tables) names += (names.empty() ? "" : ", ") + t;
    return core::unavailable("kube store " + path_ +
                             ": not a csim kube-apiserver store (application_id " +
                             std::to_string(application_id) +
                             ", tables: " + (names.empty() ? "none" : names) + ")" + kRefusedHint);
  }
  for (const char* want : {"objects", "schema_version", "store"}) {
    bool found = false;
    for (const auto& t : tables) found |= t == want;
    if (!found)
      return core::unavailable("kube store " + path_ + ": table " + want + " is missing" +
                               kRefusedHint);
  }
  {
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v2(db_, "SELECT version FROM schema_version", -1, &stmt, nullptr) !=
        SQLITE_OK)
      return error("cannot read schema_version", true);
    int rc = sqlite3_step(stmt);
    const bool has_row = rc == SQLITE_ROW;
    const int64_t version = has_row ? sqlite3_column_int64(stmt, 0) : 0;
    sqlite3_finalize(stmt);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) return error("cannot read schema_version", true);
    if (!has_row)
      return core::unavailable("kube store " + path_ + ": schema_version is empty" + kRefusedHint);
    if (version != kSchemaVersion)
      return core::unavailable("kube store " + path_ + " has schema version " +
                               std::to_string(version) + "; this csim reads version " +
                               std::to_string(kSchemaVersion) + kRefusedHint);
  }
  // A damaged file is refused here rather than half-loaded.
  {
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v2(db_, "PRAGMA quick_check", -1, &stmt, nullptr) != SQLITE_OK)
      return error("integrity check failed", true);
    std::string problems;
    int rc;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
      std::string line = column_text(stmt, 0);
      if (line != "ok") problems += (problems.empty() ? "" : "; ") + line;
    }
    sqlite3_finalize(stmt);
    if (rc != SQLITE_DONE) return error("integrity check failed", true);
    if (!problems.empty()) {
      if (problems.size() > 300) problems = problems.substr(0, 297) + "...";
      return core::unavailable("kube store " + path_ + " is damaged: " + problems + kRefusedHint);
    }
  }
  return exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;");
}

template <class Body>
core::Status SqliteStorePersistence::transaction(uint64_t resource_version, Body body) {
  std::lock_guard lock(mu_);
  if (auto s = exec("BEGIN IMMEDIATE"); !s.is_ok()) return s;
  auto rollback = [this] { sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr); };
  if (auto s = body(); !s.is_ok()) {
    rollback();
    return s;
  }
  auto set_rv = statement(
      set_rv_, "UPDATE store SET resource_version = MAX(resource_version, ?1) WHERE id = 1");
  if (!set_rv.is_ok()) {
    rollback();
    return set_rv.status();
  }
  {
    Reset reset(*set_rv);
    sqlite3_bind_int64(*set_rv, 1, static_cast<sqlite3_int64>(resource_version));
    if (sqlite3_step(*set_rv) != SQLITE_DONE) {
      core::Status s = error("cannot record resourceVersion " + std::to_string(resource_version));
      rollback();
      return s;
    }
  }
  if (auto s = exec("COMMIT"); !s.is_ok()) {
    rollback();
    return s;
  }
  return core::Status::ok();
}

core::Status SqliteStorePersistence::put(const json& object, uint64_t resource_version) {
  const std::string kind = object.is_object() ? object.value("kind", "") : "";
  const std::string name = object.is_object() ? meta_field(object, "name") : "";
  if (kind.empty() || name.empty())
    return core::invalid("kube store " + path_ + ": cannot store an object without kind or name");
  const std::string ns = meta_field(object, "namespace");
  std::string text;
  try {
    text = object.dump();
  } catch (const json::exception& ex) {
    return core::invalid("kube store " + path_ + ": " + kind + " " + (ns.empty() ? "" : ns + "/") +
                         name + " cannot be stored: " + ex.what());
  }
  return transaction(resource_version, [&]() -> core::Status {
    auto stmt = statement(put_,
                          "INSERT OR REPLACE INTO objects (kind, namespace, name, json, "
                          "resource_version) VALUES (?1, ?2, ?3, ?4, ?5)");
    if (!stmt.is_ok()) return stmt.status();
    Reset reset(*stmt);
    sqlite3_bind_text(*stmt, 1, kind.data(), static_cast<int>(kind.size()), SQLITE_STATIC);
    sqlite3_bind_text(*stmt, 2, ns.data(), static_cast<int>(ns.size()), SQLITE_STATIC);
    sqlite3_bind_text(*stmt, 3, name.data(), static_cast<int>(name.size()), SQLITE_STATIC);
    sqlite3_bind_text(*stmt, 4, text.data(), static_cast<int>(text.size()), SQLITE_STATIC);
    sqlite3_bind_int64(*stmt, 5, static_cast<sqlite3_int64>(resource_version));
    if (sqlite3_step(*stmt) != SQLITE_DONE)
      return error("cannot store " + kind + " " + (ns.empty() ? "" : ns + "/") + name);
    return core::Status::ok();
  });
}

core::Status SqliteStorePersistence::erase(const std::string& kind, const std::string& ns,
                                           const std::string& name, uint64_t resource_version) {
  return transaction(resource_version, [&]() -> core::Status {
    auto stmt =
        statement(erase_, "DELETE FROM objects WHERE kind = ?1 AND namespace = ?2 AND name = ?3");
    if (!stmt.is_ok()) return stmt.status();
    Reset reset(*stmt);
    sqlite3_bind_text(*stmt, 1, kind.data(), static_cast<int>(kind.size()), SQLITE_STATIC);
    sqlite3_bind_text(*stmt, 2, ns.data(), static_cast<int>(ns.size()), SQLITE_STATIC);
    sqlite3_bind_text(*stmt, 3, name.data(), static_cast<int>(name.size()), SQLITE_STATIC);
    if (sqlite3_step(*stmt) != SQLITE_DONE)
      return error("cannot delete " + kind + " " + (ns.empty() ? "" : ns + "/") + name);
    return core::Status::ok();
  });
}

core::Result<SqliteStorePersistence::Snapshot> SqliteStorePersistence::load() const {
  std::lock_guard lock(mu_);
  Snapshot snapshot;
  // One read transaction: the objects and the resourceVersion of the same commit.
  if (auto s = exec("BEGIN"); !s.is_ok()) return s;
  auto finish = [this](core::Status s) -> core::Status {
    sqlite3_exec(db_, "COMMIT", nullptr, nullptr, nullptr);
    return s;
  };
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db_,
                         "SELECT kind, namespace, name, json FROM objects "
                         "ORDER BY kind, namespace, name",
                         -1, &stmt, nullptr) != SQLITE_OK)
    return finish(error("cannot read objects"));
  int rc;
  while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
    const std::string kind = column_text(stmt, 0);
    const std::string ns = column_text(stmt, 1);
    const std::string name = column_text(stmt, 2);
    const std::string where = kind + " " + (ns.empty() ? "" : ns + "/") + name;
    json object = json::parse(column_text(stmt, 3), nullptr, false);
    if (object.is_discarded() || !object.is_object()) {
      sqlite3_finalize(stmt);
      return finish(core::unavailable("kube store " + path_ + ": " + where +
                                      ": stored JSON does not parse" + kRefusedHint));
    }
    if (object.value("kind", "") != kind || meta_field(object, "name") != name ||
        meta_field(object, "namespace") != ns) {
      sqlite3_finalize(stmt);
      return finish(core::unavailable("kube store " + path_ + ": row " + where +
                                      " holds another object (" + object.value("kind", "") + " " +
                                      meta_field(object, "namespace") + "/" +
                                      meta_field(object, "name") + ")" + kRefusedHint));
    }
    snapshot.objects.push_back(std::move(object));
  }
  sqlite3_finalize(stmt);
  if (rc != SQLITE_DONE) return finish(error("cannot read objects"));
  if (sqlite3_prepare_v2(db_, "SELECT resource_version FROM store WHERE id = 1", -1, &stmt,
                         nullptr) != SQLITE_OK)
    return finish(error("cannot read the store's resourceVersion"));
  rc = sqlite3_step(stmt);
  if (rc == SQLITE_ROW)
    snapshot.resource_version = static_cast<uint64_t>(sqlite3_column_int64(stmt, 0));
  sqlite3_finalize(stmt);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    return finish(error("cannot read the store's resourceVersion"));
  if (auto s = finish(core::Status::ok()); !s.is_ok()) return s;
  return snapshot;
}

}  // namespace csim::kube
