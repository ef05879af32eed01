#include "kube/sqlite_store.h"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "core/bus.h"
#include "core/clock.h"
#include "kube/memory_store.h"

namespace csim::kube {
namespace {

using nlohmann::json;

json ns_obj(const std::string& name) {
  return {{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", name}}}};
}

json service(const std::string& ns, const std::string& name) {
  return {{"apiVersion", "v1"},
          {"kind", "Service"},
          {"metadata", {{"name", name}, {"namespace", ns}}},
          {"spec", {{"selector", {{"app", name}}}, {"ports", {{{"port", 80}}}}}}};
}

json pod(const std::string& ns, const std::string& name) {
  return {{"apiVersion", "v1"},
          {"kind", "Pod"},
          {"metadata", {{"name", name}, {"namespace", ns}, {"labels", {{"app", "web"}}}}},
          {"spec", {{"containers", {{{"name", "c"}, {"image", "echo"}}}}}}};
}

// Runs raw SQL on a file, as another program (or a damaged disk) would.
void raw_sql(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  char* err = nullptr;
  int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err);
  std::string msg = err ? err : "";
  sqlite3_free(err);
  sqlite3_close(db);
  ASSERT_EQ(rc, SQLITE_OK) << msg;
}

class SqliteStoreTest : public ::testing::Test {
 protected:
  SqliteStoreTest() : bus_(clock_, core::Bus::Mode::kDeterministic) {
    char tmpl[] = "/tmp/csim-kube-db-XXXXXX";
    dir_ = mkdtemp(tmpl);
    path_ = dir_ + "/kube.db";
  }
  ~SqliteStoreTest() override { std::filesystem::remove_all(dir_); }

  std::unique_ptr<SqliteStorePersistence> open_ok() {
    auto p = SqliteStorePersistence::open(path_);
    EXPECT_TRUE(p.is_ok()) << p.status().to_string();
    return p.is_ok() ? std::move(*p) : nullptr;
  }

  core::SimulatedClock clock_;
  core::Bus bus_;
  std::string dir_;
  std::string path_;
};

TEST_F(SqliteStoreTest, ANewFileIsAnEmptyStore) {
  auto p = open_ok();
  ASSERT_TRUE(p);
  auto snap = p->load();
  ASSERT_TRUE(snap.is_ok()) << snap.status().to_string();
  EXPECT_TRUE(snap->objects.empty());
  EXPECT_EQ(snap->resource_version, 0u);
  EXPECT_TRUE(std::filesystem::exists(path_));
}

TEST_F(SqliteStoreTest, InMemoryAndEmptyPathsAreRefused) {
  EXPECT_EQ(SqliteStorePersistence::open(":memory:").status().code(), core::Code::kInvalid);
  EXPECT_EQ(SqliteStorePersistence::open("").status().code(), core::Code::kInvalid);
}

TEST_F(SqliteStoreTest, EveryWriteOfTheStoreIsThereAfterReopening) {
  std::vector<json> before_objects;
  uint64_t before_rv = 0;
  {
    auto p = open_ok();
    ASSERT_TRUE(p);
    MemoryObjectStore::Options options;
    options.seed = 7;
    options.persistence = p.get();
    MemoryObjectStore store(bus_, clock_, options);
    ASSERT_TRUE(store.create(ns_obj("team")).is_ok());
    ASSERT_TRUE(store.create(service("team", "web")).is_ok());
    ASSERT_TRUE(store.create(service("team", "gone")).is_ok());
    ASSERT_TRUE(store.create(pod("team", "web-1")).is_ok());
    json updated = service("team", "web");
    updated["metadata"]["labels"] = {{"tier", "front"}};
    ASSERT_TRUE(store.update(updated).is_ok());
    ASSERT_TRUE(store
                    .update_status("Pod", "team", "web-1",
                                   {{"phase", "Running"}, {"podIP", "10.47.255.250"}})
                    .is_ok());
    ASSERT_TRUE(store.remove("Service", "team", "gone").is_ok());
    for (const char* kind : {"Namespace", "Pod", "Service"})
      for (const auto& o : store.list(kind))
        if (!(kind == std::string("Namespace") && o["metadata"]["name"] == "default"))
          before_objects.push_back(o);
    before_rv = store.resource_version();
  }

  auto p = open_ok();
  ASSERT_TRUE(p);
  auto snap = p->load();
  ASSERT_TRUE(snap.is_ok()) << snap.status().to_string();
  // The last write was a delete: the store's version is kept although no object has it.
  EXPECT_EQ(snap->resource_version, before_rv);
  // Ordered by kind, namespace, name; the constructor's "default" is not written.
  ASSERT_EQ(snap->objects.size(), before_objects.size());
  for (size_t i = 0; i < before_objects.size(); ++i) EXPECT_EQ(snap->objects[i], before_objects[i]);
  for (const auto& o : snap->objects) EXPECT_NE(o["metadata"]["name"], "gone");

  // Restored: same uids, same versions, and the next write continues after them.
  MemoryObjectStore::Options options;
  options.seed = 8;
  options.persistence = p.get();
  MemoryObjectStore restored(bus_, clock_, options);
  ASSERT_TRUE(restored.restore(snap->objects, snap->resource_version).is_ok());
  for (const auto& o : before_objects) {
    auto got = restored.get(o["kind"], o["metadata"].value("namespace", ""), o["metadata"]["name"]);
    ASSERT_TRUE(got) << o.dump();
    EXPECT_EQ(*got, o);
  }
  EXPECT_EQ(restored.resource_version(), before_rv);
  auto created = restored.create(service("team", "api"));
  ASSERT_TRUE(created.is_ok()) << created.status().to_string();
  EXPECT_EQ((*created)["metadata"]["resourceVersion"], std::to_string(before_rv + 1));
  // The restored clusterIP stays allocated: the new Service gets another one.
  EXPECT_NE((*created)["spec"]["clusterIP"],
            (*restored.get("Service", "team", "web"))["spec"]["clusterIP"]);
}

TEST_F(SqliteStoreTest, DeletingANamespaceRemovesEveryRowOfIt) {
  {
    auto p = open_ok();
    ASSERT_TRUE(p);
    MemoryObjectStore::Options options;
    options.persistence = p.get();
    MemoryObjectStore store(bus_, clock_, options);
    ASSERT_TRUE(store.create(ns_obj("team")).is_ok());
    ASSERT_TRUE(store.create(service("team", "web")).is_ok());
    ASSERT_TRUE(store.create(pod("team", "web-1")).is_ok());
    ASSERT_TRUE(store.create(service("default", "kept")).is_ok());
    ASSERT_TRUE(store.remove("Namespace", "", "team").is_ok());
  }
  auto p = open_ok();
  ASSERT_TRUE(p);
  auto snap = p->load();
  ASSERT_TRUE(snap.is_ok());
  ASSERT_EQ(snap->objects.size(), 1u);
  EXPECT_EQ(snap->objects[0]["metadata"]["name"], "kept");
  EXPECT_EQ(snap->resource_version, 8u);  // default ns 1, four creates, three deletes
}

TEST_F(SqliteStoreTest, PutAndEraseAreRefusedWithoutIdentity) {
  auto p = open_ok();
  ASSERT_TRUE(p);
  EXPECT_EQ(p->put(json{{"kind", "Pod"}}, 1).code(), core::Code::kInvalid);
  EXPECT_EQ(p->put(json::array(), 1).code(), core::Code::kInvalid);
  // Erasing what is not there only moves the version.
  ASSERT_TRUE(p->erase("Pod", "default", "nothing", 5).is_ok());
  EXPECT_EQ(p->load()->resource_version, 5u);
  // The version never goes back.
  ASSERT_TRUE(p->put(ns_obj("a"), 3).is_ok());
  EXPECT_EQ(p->load()->resource_version, 5u);
  EXPECT_EQ(p->load()->objects.size(), 1u);
}

TEST_F(SqliteStoreTest, AFileThatIsNotSqliteIsRefused) {
  {
    std::ofstream f(path_, std::ios::binary);
    for (int i = 0; i < 200; ++i)
      f << "this is not a database, it is a kube.db someone overwrote\n";
  }
  auto p = SqliteStorePersistence::open(path_);
  ASSERT_FALSE(p.is_ok());
  EXPECT_EQ(p.status().code(), core::Code::kUnavailable);
  EXPECT_NE(p.status().message().find(path_), std::string::npos) << p.status().message();
  EXPECT_NE(p.status().message().find("not a database"), std::string::npos) << p.status().message();
}

TEST_F(SqliteStoreTest, ASqliteFileOfSomethingElseIsRefused) {
  // What the config DB looks like (same table names in part, version 1 too).
  raw_sql(path_,
          "CREATE TABLE schema_version (version INTEGER NOT NULL);"
          "INSERT INTO schema_version VALUES (1);"
          "CREATE TABLE objects (uuid TEXT PRIMARY KEY, type TEXT);");
  auto p = SqliteStorePersistence::open(path_);
  ASSERT_FALSE(p.is_ok());
  EXPECT_NE(p.status().message().find("not a csim kube-apiserver store"), std::string::npos)
      << p.status().message();
  EXPECT_NE(p.status().message().find("objects, schema_version"), std::string::npos)
      << p.status().message();
  // Nothing was changed in it.
  raw_sql(path_, "SELECT uuid, type FROM objects");
}

TEST_F(SqliteStoreTest, AnotherSchemaVersionIsRefused) {
  { ASSERT_TRUE(open_ok()); }
  raw_sql(path_, "UPDATE schema_version SET version = 2");
  auto p = SqliteStorePersistence::open(path_);
  ASSERT_FALSE(p.is_ok());
  EXPECT_NE(p.status().message().find("schema version 2; this csim reads version 1"),
            std::string::npos)
      << p.status().message();
}

TEST_F(SqliteStoreTest, AMissingTableIsRefused) {
  { ASSERT_TRUE(open_ok()); }
  raw_sql(path_, "DROP TABLE store");
  auto p = SqliteStorePersistence::open(path_);
  ASSERT_FALSE(p.is_ok());
  EXPECT_NE(p.status().message().find("table store is missing"), std::string::npos)
      << p.status().message();
}

TEST_F(SqliteStoreTest, ARowThatDoesNotParseIsReportedByName) {
  { ASSERT_TRUE(open_ok()); }
  raw_sql(path_, "INSERT INTO objects VALUES ('Pod', 'default', 'broken', '{not json', 3);");
  auto p = open_ok();
  ASSERT_TRUE(p);
  auto snap = p->load();
  ASSERT_FALSE(snap.is_ok());
  EXPECT_NE(snap.status().message().find("Pod default/broken: stored JSON does not parse"),
            std::string::npos)
      << snap.status().message();
}

TEST_F(SqliteStoreTest, ADamagedFileIsRefused) {
  {
    auto p = open_ok();
    ASSERT_TRUE(p);
    // Enough rows for several b-tree pages.
    for (int i = 0; i < 300; ++i) {
      json n = ns_obj("ns-" + std::to_string(i));
      n["metadata"]["annotations"] = {{"filler", std::string(200, 'x')}};
      ASSERT_TRUE(p->put(n, static_cast<uint64_t>(i + 1)).is_ok());
    }
  }  // closing checkpoints the WAL into the file
  const auto size = std::filesystem::file_size(path_);
  ASSERT_GT(size, 4u * 4096u);
  {
    std::fstream f(path_, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(2 * 4096);  // the third page: a b-tree page of the objects table
    std::string junk(4096, '\xA5');
    f.write(junk.data(), static_cast<std::streamsize>(junk.size()));
  }
  auto p = SqliteStorePersistence::open(path_);
  ASSERT_FALSE(p.is_ok()) << "a damaged file was opened";
  EXPECT_NE(p.status().message().find(path_), std::string::npos) << p.status().message();
  EXPECT_NE(p.status().message().find("start with an empty store"), std::string::npos)
      << p.status().message();
}

}  // namespace
}  // namespace csim::kube
