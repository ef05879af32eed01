#include "controller/sqlite_db.h"

#include <sqlite3.h>

namespace csim::controller {

SqliteQuery::SqliteQuery(SqliteDb* db, sqlite3_stmt* stmt, const std::string* sql)
    : db_(db), stmt_(stmt), sql_(sql) {}

SqliteQuery::SqliteQuery(SqliteQuery&& other) noexcept
    : db_(other.db_), stmt_(other.stmt_), sql_(other.sql_), bind_error_(other.bind_error_) {
  other.stmt_ = nullptr;
}

SqliteQuery::~SqliteQuery() {
  if (stmt_) {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }
}

core::Status SqliteQuery::error(int rc) const {
  std::string sql = *sql_;
  if (sql.size() > 120) sql = sql.substr(0, 117) + "...";
  return core::unavailable("sqlite " + db_->path() + ": " + sqlite3_errstr(rc) + " (" +
                           sqlite3_errmsg(db_->handle()) + ") in: " + sql);
}

SqliteQuery& SqliteQuery::bind(int index, std::string_view text) {
  int rc =
      sqlite3_bind_text(stmt_, index, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
  if (rc != SQLITE_OK && bind_error_.is_ok()) bind_error_ = error(rc);
  return *this;
}

SqliteQuery& SqliteQuery::bind(int index, int64_t value) {
  int rc = sqlite3_bind_int64(stmt_, index, value);
  if (rc != SQLITE_OK && bind_error_.is_ok()) bind_error_ = error(rc);
  return *this;
}

core::Result<bool> SqliteQuery::step() {
  if (!bind_error_.is_ok()) return bind_error_;
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return error(rc);
}

core::Status SqliteQuery::run() {
  for (;;) {
    auto r = step();
    if (!r.is_ok()) return r.status();
    if (!*r) return core::Status::ok();
  }
}

std::string SqliteQuery::text(int column) const {
  const unsigned char* t = sqlite3_column_text(stmt_, column);
  if (!t) return "";
  return std::string(reinterpret_cast<const char*>(t),
                     static_cast<size_t>(sqlite3_column_bytes(stmt_, column)));
}

bool SqliteQuery::is_null(int column) const {
  return sqlite3_column_type(stmt_, column) == SQLITE_NULL;
}

int64_t SqliteQuery::integer(int column) const { return sqlite3_column_int64(stmt_, column); }

int SqliteQuery::changes() const { return sqlite3_changes(db_->handle()); }

core::Result<std::unique_ptr<SqliteDb>> SqliteDb::connect(const std::string& path, int flags,
                                                           const std::string& pragmas,
                                                           const std::string& what) {
  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &db, flags | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    std::string msg = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    sqlite3_close(db);
    return core::unavailable("sqlite: cannot open config DB " + path + what + ": " + msg);
  }
  std::unique_ptr<SqliteDb> out(new SqliteDb(db, path));
  sqlite3_busy_timeout(db, 5000);
  if (auto s = out->exec(pragmas); !s.is_ok()) return s;
  return out;
}

core::Result<std::unique_ptr<SqliteDb>> SqliteDb::open(const std::string& path) {
  // A page cache of up to 8 MiB (SQLite's default is 2 MiB): the B-tree pages a write
  // and its validation touch stay in memory. Reads of a file DB run on reader connections
  // (open_reader) with caches of their own; the OS caches the file for all of them.
  // Memory is taken only as pages are read.
  std::string pragmas = "PRAGMA foreign_keys=ON; PRAGMA cache_size=-8192;";
  if (path != ":memory:" && !path.empty())
    // WAL; after a checkpoint the WAL file is cut back to 64 MiB (readers beside the
    // writer can delay checkpoints during a burst, and the file keeps its largest size).
    pragmas +=
        "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA journal_size_limit=67108864;";
  return connect(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, pragmas, "");
}

core::Result<std::unique_ptr<SqliteDb>> SqliteDb::open_reader(const std::string& path) {
  return connect(path, SQLITE_OPEN_READWRITE, "PRAGMA query_only=ON; PRAGMA cache_size=-2048;",
                 " for reading");
}

SqliteDb::~SqliteDb() {
  for (auto& [sql, stmt] : statements_) sqlite3_finalize(stmt);
  sqlite3_close(db_);
}

core::Status SqliteDb::exec(const std::string& sql) {
  char* err = nullptr;
  int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err);
  if (rc == SQLITE_OK) return core::Status::ok();
  std::string msg = err ? err : sqlite3_errstr(rc);
  sqlite3_free(err);
  std::string shown = sql.size() > 120 ? sql.substr(0, 117) + "..." : sql;
  return core::unavailable("sqlite " + path_ + ": " + msg + " in: " + shown);
}

core::Result<SqliteQuery> SqliteDb::query(const std::string& sql) {
  auto it = statements_.find(sql);
  if (it == statements_.end()) {
    sqlite3_stmt* stmt = nullptr;
    int rc = sqlite3_prepare_v3(db_, sql.c_str(), static_cast<int>(sql.size()),
                                SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
    if (rc != SQLITE_OK)
      return core::internal("sqlite " + path_ + ": cannot prepare: " + sqlite3_errmsg(db_) +
                            " in: " + sql);
    it = statements_.emplace(sql, stmt).first;
  }
  return SqliteQuery(this, it->second, &it->first);
}

core::Status SqliteDb::run_simple(const std::string& sql) {
  auto q = query(sql);
  if (!q.is_ok()) return q.status();
  return q->run();
}

core::Status SqliteDb::begin() { return run_simple("BEGIN IMMEDIATE"); }
core::Status SqliteDb::begin_read() { return run_simple("BEGIN"); }
core::Status SqliteDb::commit() { return run_simple("COMMIT"); }
void SqliteDb::rollback() {
  // Only when a transaction is open (a failed COMMIT may already have ended it).
  if (!sqlite3_get_autocommit(db_)) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
}

}  // namespace csim::controller
