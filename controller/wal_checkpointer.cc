#include "controller/wal_checkpointer.h"

#include <sqlite3.h>

namespace csim::controller {

core::Result<std::unique_ptr<WalCheckpointer>> WalCheckpointer::start(SqliteDb& writer,
                                                                       Options options) {
  // A checkpoint writes the database file but changes no content: a query-only
  // connection may run it.
  auto own = SqliteDb::open_reader(writer.path());
  if (!own) return own.status();
  // A read opens the connection's WAL: a checkpoint on a connection that never read may
  // do nothing (older SQLite).
  if (auto s = (*own)->exec("SELECT count(*) FROM sqlite_master"); !s.is_ok()) return s;
  return std::unique_ptr<WalCheckpointer>(
      new WalCheckpointer(writer, std::move(*own), options));
}

WalCheckpointer::WalCheckpointer(SqliteDb& writer, std::unique_ptr<SqliteDb> own,
                                 Options options)
    : writer_(writer), own_(std::move(own)), options_(options) {
  thread_ = std::thread([this] { run(); });
  sqlite3_wal_hook(writer_.handle(), &WalCheckpointer::on_commit, this);
}

WalCheckpointer::~WalCheckpointer() {
  sqlite3_wal_autocheckpoint(writer_.handle(), 1000);  // removes our hook
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_one();
  thread_.join();
}

WalCheckpointer::Stats WalCheckpointer::stats() const {
  return Stats{background_runs_.load(), inline_runs_.load()};
}

int WalCheckpointer::on_commit(void* self_ptr, sqlite3*, const char*, int wal_pages) {
  auto* self = static_cast<WalCheckpointer*>(self_ptr);
  if (wal_pages < self->asked_at_) self->asked_at_ = 0;  // the WAL started over
  if (wal_pages >= self->options_.inline_pages) {
    // SQLITE_BUSY when the thread is checkpointing at this moment: the next commit retries.
    self->checkpoint(self->writer_, self->inline_runs_);
  } else if (wal_pages - self->asked_at_ >= self->options_.background_pages &&
             !self->asked_.exchange(true)) {
    self->asked_at_ = wal_pages;
    // Lock and unlock so the wake-up cannot fall between the thread's check and its wait.
    { std::lock_guard lock(self->mu_); }
    self->cv_.notify_one();
  }
  return SQLITE_OK;
}

void WalCheckpointer::run() {
  std::unique_lock lock(mu_);
  for (;;) {
    cv_.wait(lock, [this] { return stopping_ || asked_.load(); });
    if (stopping_) return;
    lock.unlock();
    checkpoint(*own_, background_runs_);
    // Cleared after the run: commits during it found it asked; what they added is
    // copied by a later run, asked for once the WAL grew by background_pages again.
    asked_ = false;
    lock.lock();
  }
}

void WalCheckpointer::checkpoint(SqliteDb& db, std::atomic<uint64_t>& runs) {
  const int rc = sqlite3_wal_checkpoint_v2(db.handle(), nullptr, SQLITE_CHECKPOINT_PASSIVE,
                                           nullptr, nullptr);
  // SQLITE_BUSY: the other kind was running; the next commit (or run) tries again.
  if (rc == SQLITE_OK) runs.fetch_add(1, std::memory_order_relaxed);
}

}  // namespace csim::controller
