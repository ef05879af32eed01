#include "daemon/cluster_dir.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace csim::daemon {
namespace {

namespace fs = std::filesystem;

std::string fresh_dir(const std::string& name) {
  const char* t = std::getenv("TEST_TMPDIR");
  std::string dir = std::string(t ? t : "/tmp") + "/cluster_dir_test-" + name;
  fs::remove_all(dir);
  return dir;
}

void write(const std::string& path, const std::string& text) {
  fs::create_directories(fs::path(path).parent_path());
  std::ofstream(path) << text;
}

std::string read(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// A socket file, as haproxy's stats socket leaves one behind (bound by a relative name:
// test directories are deeper than a socket path may be long).
void make_socket(const std::string& path) {
  fs::create_directories(fs::path(path).parent_path());
  const fs::path cwd = fs::current_path();
  fs::current_path(fs::path(path).parent_path());
  int fd = socket(AF_UNIX, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", fs::path(path).filename().c_str());
  EXPECT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0) << path;
  close(fd);
  fs::current_path(cwd);
  ASSERT_TRUE(fs::is_socket(path)) << path;
}

TEST(ClusterDir, NewDirectoryRecordsItsNodes) {
  const std::string dir = fresh_dir("new");
  auto prepared = prepare_cluster_dir(dir, {"node-1", "node-2"});
  ASSERT_TRUE(prepared.is_ok()) << prepared.status().message();
  EXPECT_FALSE(prepared->restored);
  EXPECT_TRUE(prepared->removed.empty());
  EXPECT_EQ(read(dir + "/cluster.json"), "{\"nodes\":[\"node-1\",\"node-2\"]}\n");
  auto nodes = recorded_nodes(dir);
  ASSERT_TRUE(nodes.is_ok());
  ASSERT_TRUE(nodes->has_value());
  EXPECT_EQ(**nodes, (std::vector<std::string>{"node-1", "node-2"}));
}

TEST(ClusterDir, NothingRecordedInAMissingDirectory) {
  auto nodes = recorded_nodes(fresh_dir("missing"));
  ASSERT_TRUE(nodes.is_ok());
  EXPECT_FALSE(nodes->has_value());
}

TEST(ClusterDir, RestartKeepsTheDatabasesAndRemovesWhatNamedDeadProcesses) {
  const std::string dir = fresh_dir("restart");
  ASSERT_TRUE(prepare_cluster_dir(dir, {"node-1", "node-2"}).is_ok());
  for (const char* f : {"config.db", "config.db-wal", "config.db-shm", "kube.db", "kube.db-wal"})
    write(dir + "/" + f, "data");
  write(dir + "/node-1/agent.lock", "");
  write(dir + "/node-1/pods/csim-pod-default.qa.log", "hello\n");
  const std::string lb = dir + "/node-1/loadbalancer/haproxy/78833635-915b-41b4-930d-84f91bf14b09";
  write(lb + "/haproxy.conf", "global\n");
  write(lb + "/haproxy.pid", "42\n");
  make_socket(dir + "/node-2/x.sock");
  write(dir + "/node-2/pods/echo.pid", "7\n");
  write(dir + "/notes.txt", "mine");

  auto prepared = prepare_cluster_dir(dir, {"node-1", "node-2"});
  ASSERT_TRUE(prepared.is_ok()) << prepared.status().message();
  EXPECT_TRUE(prepared->restored);
  EXPECT_EQ(prepared->removed,
            (std::vector<std::string>{"node-1/loadbalancer", "node-2/pods/echo.pid", "node-2/x.sock"}));
  for (const char* f : {"config.db", "config.db-wal", "config.db-shm", "kube.db", "kube.db-wal", "notes.txt",
                        "node-1/agent.lock", "node-1/pods/csim-pod-default.qa.log", "cluster.json"})
    EXPECT_TRUE(fs::exists(dir + "/" + f)) << f;
  EXPECT_FALSE(fs::exists(dir + "/node-1/loadbalancer"));
  EXPECT_FALSE(fs::exists(dir + "/node-2/x.sock"));
  EXPECT_EQ(read(dir + "/config.db"), "data");
  EXPECT_EQ(read(dir + "/node-1/pods/csim-pod-default.qa.log"), "hello\n");

  // Empty directories (what a clean stop leaves) go without a mention.
  fs::create_directories(dir + "/node-2/loadbalancer/haproxy");
  // Once clean, a second start removes nothing.
  auto again = prepare_cluster_dir(dir, {"node-1", "node-2"});
  ASSERT_TRUE(again.is_ok());
  EXPECT_TRUE(again->removed.empty());
  EXPECT_FALSE(fs::exists(dir + "/node-2/loadbalancer"));
}

TEST(ClusterDir, RefusesOtherNodesAndTouchesNothing) {
  const std::string dir = fresh_dir("other-nodes");
  ASSERT_TRUE(prepare_cluster_dir(dir, {"node-1", "node-2"}).is_ok());
  write(dir + "/node-1/loadbalancer/x/haproxy.pid", "1\n");
  auto refused = prepare_cluster_dir(dir, {"node-1"});
  ASSERT_FALSE(refused.is_ok());
  EXPECT_EQ(refused.status().code(), core::Code::kInvalid);
  EXPECT_NE(refused.status().message().find("holds a cluster of nodes node-1, node-2 (2), not node-1"),
            std::string::npos)
      << refused.status().message();
  EXPECT_NE(refused.status().message().find("--nodes 2"), std::string::npos) << refused.status().message();
  EXPECT_TRUE(fs::exists(dir + "/node-1/loadbalancer/x/haproxy.pid"));
  EXPECT_EQ(read(dir + "/cluster.json"), "{\"nodes\":[\"node-1\",\"node-2\"]}\n");
}

TEST(ClusterDir, BadRecordAndBadNodeNames) {
  const std::string dir = fresh_dir("bad");
  write(dir + "/cluster.json", "{\"nodes\": 3}");
  auto nodes = recorded_nodes(dir);
  ASSERT_FALSE(nodes.is_ok());
  EXPECT_NE(nodes.status().message().find(dir + "/cluster.json is not {\"nodes\": [names]}"), std::string::npos)
      << nodes.status().message();
  EXPECT_FALSE(prepare_cluster_dir(dir, {"node-1"}).is_ok());
  EXPECT_EQ(prepare_cluster_dir(fresh_dir("bad2"), {"../x"}).status().code(), core::Code::kInvalid);
  EXPECT_EQ(prepare_cluster_dir(fresh_dir("bad3"), {}).status().code(), core::Code::kInvalid);
}

}  // namespace
}  // namespace csim::daemon
