// A small RAII wrapper over the SQLite C API for the config DB: one connection, a cache
// of prepared statements keyed by their SQL text, and transactions.
//
// Not thread-safe: one thread at a time per SqliteDb (ConfigDb serialises its writer
// connection with its mutex and hands each reader connection to one read at a time).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "core/status.h"

struct sqlite3;
struct sqlite3_stmt;

namespace csim::controller {

class SqliteDb;

// A prepared statement in use. Obtained from SqliteDb::query(); resets the statement and
// clears its bindings when it goes out of scope, so the cached statement can be reused.
class SqliteQuery {
 public:
  SqliteQuery(SqliteQuery&& other) noexcept;
  SqliteQuery& operator=(SqliteQuery&&) = delete;
  ~SqliteQuery();

  // Binds parameter `index` (1-based, as SQLite counts).
  SqliteQuery& bind(int index, std::string_view text);
  SqliteQuery& bind(int index, int64_t value);

  // Runs to the next row: true with a row, false when done; an error names the SQL.
  core::Result<bool> step();
  // Runs a statement that returns no rows.
  core::Status run();

  std::string text(int column) const;  // NULL reads as ""
  bool is_null(int column) const;
  int64_t integer(int column) const;
  // Rows changed by the last run() of this statement.
  int changes() const;

 private:
  friend class SqliteDb;
  SqliteQuery(SqliteDb* db, sqlite3_stmt* stmt, const std::string* sql);
  core::Status error(int rc) const;

  SqliteDb* db_;
  sqlite3_stmt* stmt_;
  const std::string* sql_;
  core::Status bind_error_;
};

class SqliteDb {
 public:
  // Opens (creating if needed) the database at `path`; ":memory:" is a private in-memory
  // database. File databases are switched to WAL journaling with synchronous=NORMAL (the
  // WAL file cut back to 64 MiB after a checkpoint).
  // Foreign keys are on. kUnavailable with SQLite's message when the file cannot be opened.
  static core::Result<std::unique_ptr<SqliteDb>> open(const std::string& path);
  // Opens a second connection to the file database at `path` for reads only (query_only,
  // a small page cache: the file's pages are in the OS cache). In WAL mode its read
  // transactions run beside the writer's: each sees the last commit before it began.
  static core::Result<std::unique_ptr<SqliteDb>> open_reader(const std::string& path);
  ~SqliteDb();
  SqliteDb(const SqliteDb&) = delete;
  SqliteDb& operator=(const SqliteDb&) = delete;

  // Runs one or more statements without parameters (schema, PRAGMAs).
  core::Status exec(const std::string& sql);
  // A cached prepared statement for `sql`, ready to bind. The SqliteQuery must be
  // destroyed before the same SQL is queried again (it holds the one cached statement).
  core::Result<SqliteQuery> query(const std::string& sql);

  // Transactions, run through cached statements (no SQL parsing per transaction).
  core::Status begin();       // BEGIN IMMEDIATE: takes the write lock now (writes)
  core::Status begin_read();  // BEGIN (deferred): one snapshot for several reads
  core::Status commit();
  void rollback();  // best effort; used on error paths

  const std::string& path() const { return path_; }
  sqlite3* handle() const { return db_; }

 private:
  SqliteDb(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}
  // Opens a connection with SQLite open `flags`, a busy timeout, then runs `pragmas`;
  // `what` qualifies the error (" for reading").
  static core::Result<std::unique_ptr<SqliteDb>> connect(const std::string& path, int flags,
                                                         const std::string& pragmas,
                                                         const std::string& what);

  // Steps a cached statement without parameters (BEGIN, COMMIT) to completion.
  core::Status run_simple(const std::string& sql);

  sqlite3* db_;
  std::string path_;
  std::map<std::string, sqlite3_stmt*, std::less<>> statements_;
};

// Rolls back unless commit() succeeded. One per write (kWrite: BEGIN IMMEDIATE, so the
// reads that validate a write see the state it commits over), or one around the queries
// of one read (kRead: one snapshot and one lock acquisition instead of one per query).
class SqliteTransaction {
 public:
  enum class Mode { kWrite, kRead };
  explicit SqliteTransaction(SqliteDb& db, Mode mode = Mode::kWrite) : db_(db), mode_(mode) {}
  ~SqliteTransaction() {
    if (open_) db_.rollback();
  }
  core::Status begin() {
    core::Status s = mode_ == Mode::kWrite ? db_.begin() : db_.begin_read();
    open_ = s.is_ok();
    return s;
  }
  core::Status commit() {
    core::Status s = db_.commit();
    if (s.is_ok()) open_ = false;
    return s;
  }

 private:
  SqliteDb& db_;
  Mode mode_;
  bool open_ = false;
};

}  // namespace csim::controller
