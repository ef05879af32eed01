// Checkpoints a WAL database beside its writer instead of inside its commits.
//
// SQLite's default (wal_autocheckpoint=1000) copies the WAL back into the database file,
// and syncs both, inside the commit that pushed the WAL past 1,000 pages: the writer
// and everyone waiting for it stall meanwhile. At 1,000 Ingresses that was a third of
// the config DB's commit time. This class takes that work to a thread of its own, on a
// connection of its own:
//
//   - After each commit SQLite calls the WAL hook with the WAL's size in pages. Each time
//     the WAL has grown by `background_pages` since the last ask, the checkpointer thread
//     is woken (unless it is still busy) and runs a PASSIVE checkpoint, which copies what
//     it can without blocking the writer or the readers.
//   - A checkpoint that runs while the writer keeps committing rarely catches up with
//     the WAL's end, and SQLite starts the WAL over from its beginning only when all of
//     it was copied: so at `inline_pages` or more the writer checkpoints in its own
//     commit, as SQLite's default does, and copies only what the background left. That
//     bounds the WAL file at about `inline_pages` pages.
//
// Durability is SQLite's: a committed transaction is in the WAL; checkpoints only move it.
// Not copyable; the writer connection must outlive this object, and no write may run
// while it is constructed or destroyed (it installs and removes the writer's WAL hook).
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <thread>

#include "controller/sqlite_db.h"
#include "core/status.h"

namespace csim::controller {

class WalCheckpointer {
 public:
  struct Options {
    int background_pages = 1000;  // SQLite's default autocheckpoint size
    int inline_pages = 8000;      // ~32 MiB of 4 KiB pages
  };
  struct Stats {
    uint64_t background_runs = 0;  // checkpoints run by the thread
    uint64_t inline_runs = 0;      // checkpoints run in a commit (the WAL reached inline_pages)
  };

  // Opens the checkpointer's own connection to `writer`'s file and takes over its WAL
  // hook (which turns SQLite's autocheckpoint off). kUnavailable when the connection
  // cannot be opened; the writer is then left as it was.
  static core::Result<std::unique_ptr<WalCheckpointer>> start(SqliteDb& writer, Options options);
  static core::Result<std::unique_ptr<WalCheckpointer>> start(SqliteDb& writer) {
    return start(writer, Options{});
  }
  // Gives the writer its autocheckpoint back and joins the thread.
  ~WalCheckpointer();
  WalCheckpointer(const WalCheckpointer&) = delete;
  WalCheckpointer& operator=(const WalCheckpointer&) = delete;

  Stats stats() const;

 private:
  WalCheckpointer(SqliteDb& writer, std::unique_ptr<SqliteDb> own, Options options);
  // SQLite's WAL hook: runs in the writer's thread after each commit.
  static int on_commit(void* self, struct sqlite3* db, const char* name, int wal_pages);
  void run();
  // One PASSIVE checkpoint on `db`; counts it in `runs` when it ran.
  void checkpoint(SqliteDb& db, std::atomic<uint64_t>& runs);

  SqliteDb& writer_;
  std::unique_ptr<SqliteDb> own_;  // used by the thread only
  const Options options_;
  std::atomic<bool> asked_{false};
  int asked_at_ = 0;  // the WAL's size at the last ask; the writer's thread only
  std::atomic<uint64_t> background_runs_{0}, inline_runs_{0};
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;  // under mu_
  std::thread thread_;
};

}  // namespace csim::controller
