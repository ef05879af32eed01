#include "controller/wal_checkpointer.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <atomic>
#include <filesystem>
#include <vector>
#include <string>
#include <thread>

namespace csim::controller {
namespace {

namespace fs = std::filesystem;

std::string fresh_path(const std::string& name) {
  const char* dir = std::getenv("TEST_TMPDIR");
  std::string path =
      std::string(dir ? dir : "/tmp") + "/" + name + "-" + std::to_string(getpid()) + ".db";
  for (const char* suffix : {"", "-wal", "-shm"}) std::remove((path + suffix).c_str());
  return path;
}

uintmax_t size_of(const std::string& path) {
  std::error_code ec;
  const auto n = fs::file_size(path, ec);
  return ec ? 0 : n;
}

// `count` transactions, each inserting one row of 2 KiB: at least one page each.
void write_rows(SqliteDb& db, int from, int count) {
  const std::string blob(2048, 'x');
  for (int i = from; i < from + count; ++i) {
    SqliteTransaction txn(db);
    ASSERT_TRUE(txn.begin().is_ok());
    auto q = db.query("INSERT INTO rows (id, body) VALUES (?1, ?2)");
    ASSERT_TRUE(q.is_ok()) << q.status().to_string();
    ASSERT_TRUE(q->bind(1, int64_t{i}).bind(2, blob).run().is_ok());
    ASSERT_TRUE(txn.commit().is_ok());
  }
}

int64_t count_rows(const std::string& path) {
  auto db = SqliteDb::open_reader(path);
  EXPECT_TRUE(db.is_ok());
  if (!db.is_ok()) return -1;
  auto q = (*db)->query("SELECT COUNT(*) FROM rows");
  EXPECT_TRUE(q.is_ok());
  if (!q.is_ok() || !q->step().is_ok()) return -1;
  return q->integer(0);
}

std::unique_ptr<SqliteDb> open_table(const std::string& path) {
  auto db = SqliteDb::open(path);
  EXPECT_TRUE(db.is_ok()) << db.status().to_string();
  if (!db.is_ok()) return nullptr;
  EXPECT_TRUE((*db)->exec("CREATE TABLE rows (id INTEGER PRIMARY KEY, body TEXT)").is_ok());
  return std::move(*db);
}

TEST(WalCheckpointer, ItsThreadCopiesTheWalIntoTheDatabaseFile) {
  const std::string path = fresh_path("wal-background");
  auto db = open_table(path);
  ASSERT_TRUE(db);
  const uintmax_t file_before = size_of(path);
  {
    auto checkpointer = WalCheckpointer::start(*db, {.background_pages = 16, .inline_pages = 1 << 30});
    ASSERT_TRUE(checkpointer.is_ok()) << checkpointer.status().to_string();
    // 400 pages or more: under SQLite's own 1,000-page autocheckpoint nothing would move.
    write_rows(*db, 0, 400);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (size_of(path) < file_before + 200 * 4096 &&
           std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    const auto stats = (*checkpointer)->stats();
    EXPECT_GE(stats.background_runs, 1u);
    EXPECT_EQ(stats.inline_runs, 0u);
  }
  EXPECT_GE(size_of(path), file_before + 200 * 4096) << "the rows never reached the file";
  EXPECT_EQ(count_rows(path), 400);
  // The writer's hook is SQLite's own again: commits go on after the checkpointer is gone.
  write_rows(*db, 400, 10);
  EXPECT_EQ(count_rows(path), 410);
}

TEST(WalCheckpointer, TheWriterCheckpointsInlineWhenTheWalReachesTheCap) {
  const std::string path = fresh_path("wal-inline");
  auto db = open_table(path);
  ASSERT_TRUE(db);
  auto checkpointer = WalCheckpointer::start(*db, {.background_pages = 1 << 30, .inline_pages = 64});
  ASSERT_TRUE(checkpointer.is_ok()) << checkpointer.status().to_string();
  write_rows(*db, 0, 2000);  // 2,000 pages or more through a WAL capped at 64
  EXPECT_GE((*checkpointer)->stats().inline_runs, 1u);
  EXPECT_EQ((*checkpointer)->stats().background_runs, 0u);
  // The WAL starts over after each full checkpoint: its file stays near the cap
  // (frames of 4 KiB pages plus 24-byte headers, a 32-byte file header, a few pages'
  // slack for the transaction that crossed the cap).
  EXPECT_LE(size_of(path + "-wal"), (64u + 8u) * (4096u + 24u) + 32u);
  EXPECT_EQ(count_rows(path), 2000);
}

TEST(WalCheckpointer, ReadersSeeEveryCommitWhileTheThreadCheckpoints) {
  const std::string path = fresh_path("wal-readers");
  auto db = open_table(path);
  ASSERT_TRUE(db);
  auto checkpointer = WalCheckpointer::start(*db, {.background_pages = 8, .inline_pages = 128});
  ASSERT_TRUE(checkpointer.is_ok());
  for (int round = 0; round < 20; ++round) {
    write_rows(*db, round * 25, 25);
    EXPECT_EQ(count_rows(path), (round + 1) * 25);
  }
}

TEST(WalCheckpointer, ReadersBesideTheWriterNeverSeeACommitUndone) {
  // Readers on connections of their own, beside a writer and the checkpointer: the
  // counter they read never goes back.
  const std::string path = fresh_path("wal-monotonic");
  auto db = open_table(path);
  ASSERT_TRUE(db);
  ASSERT_TRUE(db->exec("CREATE TABLE counter (n INTEGER); INSERT INTO counter VALUES (0)").is_ok());
  auto checkpointer = WalCheckpointer::start(*db, {.background_pages = 8, .inline_pages = 64});
  ASSERT_TRUE(checkpointer.is_ok());
  std::atomic<bool> stop{false};
  std::atomic<int> went_back{0}, reads{0};
  std::vector<std::thread> readers;
  for (int t = 0; t < 2; ++t)
    readers.emplace_back([&] {
      auto r = SqliteDb::open_reader(path);
      ASSERT_TRUE(r.is_ok());
      int64_t last = -1;
      for (int k = 0; k < 100000 && !stop; ++k) {
        SqliteTransaction txn(**r, SqliteTransaction::Mode::kRead);
        ASSERT_TRUE(txn.begin().is_ok());
        auto q = (*r)->query("SELECT n FROM counter");
        ASSERT_TRUE(q.is_ok());
        auto row = q->step();
        ASSERT_TRUE(row.is_ok() && *row);
        const int64_t n = q->integer(0);
        if (n < last) ++went_back;
        last = std::max(last, n);
        ++reads;
        ASSERT_TRUE(txn.commit().is_ok());
      }
    });
  const std::string blob(3000, 'y');
  for (int k = 1; k <= 3000; ++k) {
    SqliteTransaction txn(*db);
    ASSERT_TRUE(txn.begin().is_ok());
    {
      auto u = db->query("UPDATE counter SET n = ?1");
      ASSERT_TRUE(u->bind(1, int64_t{k}).run().is_ok());
    }
    auto i = db->query("INSERT INTO rows (id, body) VALUES (?1, ?2)");
    ASSERT_TRUE(i->bind(1, int64_t{k}).bind(2, blob).run().is_ok());
    ASSERT_TRUE(txn.commit().is_ok());
  }
  stop = true;
  for (auto& t : readers) t.join();
  EXPECT_EQ(went_back.load(), 0);
  EXPECT_GT(reads.load(), 100);
  EXPECT_GE((*checkpointer)->stats().background_runs, 1u);
}

}  // namespace
}  // namespace csim::controller
