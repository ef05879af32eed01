// The floor the config DB is measured against: the rows a config DB file holds, written
// with nothing but SQLite (prepared statements, the same schema, the same pragmas: WAL,
// synchronous=NORMAL, foreign keys on). Used by the benchmarks in bench/ only.
//
// Thread: the caller's; no shared state.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "core/status.h"

namespace csim::bench {

// One column as stored: the config DB uses text and integer columns only.
struct SqliteValue {
  bool is_int = false;
  int64_t integer = 0;
  std::string text;
};
using SqliteRow = std::vector<SqliteValue>;

// One config object's rows: its objects row, and the refs and ip_allocations rows that
// are written in the same transaction (see read_config_db_rows).
struct ObjectRows {
  SqliteRow object;                    // uuid, type, fq_name, parent_type, parent_uuid, props,
                                       // created, last_modified
  std::vector<SqliteRow> refs;         // from_uuid, to_type, to_uuid, attr, seq
  std::vector<SqliteRow> allocations;  // subnet, address, owner_uuid
};

struct ConfigDbRows {
  std::vector<std::string> schema;  // CREATE statements from sqlite_master, in creation order
  std::vector<SqliteRow> schema_version;
  std::vector<ObjectRows> objects;  // in insertion (rowid) order

  // Rows (objects + refs + ip_allocations) of the last `last` objects.
  size_t row_count(size_t last) const;
};

// Reads every row of the config DB file at `path` (read-only). A ref row goes with its
// object, unless it points at an object inserted later (a ref added by ref_update after
// both existed): then it goes with that later object, so that writing the objects in
// order satisfies the foreign keys. kUnavailable with SQLite's message on failure.
core::Result<ConfigDbRows> read_config_db_rows(const std::string& path);

enum class TxnPer {
  kObject,  // BEGIN IMMEDIATE; an object's rows; COMMIT — the config DB's durability unit
  kRow,     // every row in its own autocommit transaction
};

// Creates a fresh database at `path` with rows.schema and the config DB's pragmas, writes
// every object's rows in order, and returns the milliseconds the last `timed` objects
// took (the ones before are the untimed base). kUnavailable on any SQLite error.
core::Result<double> write_rows_raw(const ConfigDbRows& rows, const std::string& path, size_t timed,
                                    TxnPer per);

}  // namespace csim::bench
