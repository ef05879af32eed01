#include "daemon/cluster_dir.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

namespace csim::daemon {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

std::string join(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : ", ") + x;
  return s;
}

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

core::Status write_atomic(const std::string& path, const std::string& text) {
  const std::string tmp = path + ".tmp";
  int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return core::unavailable("open " + tmp + ": " + std::strerror(errno));
  bool ok = write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) && fsync(fd) == 0;
  int err = errno;
  close(fd);
  if (!ok) return core::unavailable("write " + tmp + ": " + std::strerror(err));
  if (rename(tmp.c_str(), path.c_str()) != 0)
    return core::unavailable("rename " + tmp + " to " + path + ": " + std::strerror(errno));
  return core::Status::ok();
}

// Removes the leftovers of one node's directory; appends what went to `removed`
// (relative to the cluster directory).
core::Status clean_node_dir(const fs::path& cluster, const std::string& node, std::vector<std::string>& removed) {
  const fs::path dir = cluster / node;
  std::error_code ec;
  if (!fs::is_directory(fs::symlink_status(dir, ec))) return core::Status::ok();
  const fs::path lb = dir / "loadbalancer";
  if (fs::exists(fs::symlink_status(lb, ec))) {
    // After a clean stop only empty directories are left there: not worth a mention.
    bool holds_files = !fs::is_directory(fs::symlink_status(lb, ec));
    for (fs::recursive_directory_iterator it(lb, ec), end; !ec && !holds_files && it != end; it.increment(ec))
      holds_files = !it->is_directory(ec) || it->is_symlink(ec);
    fs::remove_all(lb, ec);
    if (ec) return core::unavailable("remove " + lb.string() + ": " + ec.message());
    if (holds_files) removed.push_back(node + "/loadbalancer");
  }
  std::vector<fs::path> doomed;
  fs::recursive_directory_iterator it(dir, fs::directory_options::none, ec), end;
  if (ec) return core::unavailable("read " + dir.string() + ": " + ec.message());
  for (; it != end; it.increment(ec)) {
    if (ec) return core::unavailable("read " + dir.string() + ": " + ec.message());
    const auto st = it->symlink_status(ec);
    if (ec) continue;  // gone meanwhile
    const std::string name = it->path().filename().string();
    if (fs::is_socket(st) || (fs::is_regular_file(st) && ends_with(name, ".pid"))) doomed.push_back(it->path());
  }
  for (const auto& p : doomed) {
    if (unlink(p.c_str()) != 0 && errno != ENOENT)
      return core::unavailable("remove " + p.string() + ": " + std::strerror(errno));
    removed.push_back(fs::relative(p, cluster, ec).string());
  }
  return core::Status::ok();
}

}  // namespace

core::Result<std::optional<std::vector<std::string>>> recorded_nodes(const std::string& cluster_dir) {
  const std::string path = cluster_dir + "/" + kClusterFile;
  std::error_code ec;
  if (!fs::exists(fs::symlink_status(path, ec))) return std::optional<std::vector<std::string>>();
  std::ifstream in(path, std::ios::binary);
  if (!in) return core::unavailable("open " + path + ": " + std::strerror(errno));
  std::stringstream text;
  text << in.rdbuf();
  const json j = json::parse(text.str(), nullptr, false);
  auto bad = [&] { return core::invalid(path + " is not {\"nodes\": [names]}; remove it to record the nodes again"); };
  if (!j.is_object() || !j.contains("nodes") || !j["nodes"].is_array() || j["nodes"].empty()) return bad();
  std::vector<std::string> nodes;
  for (const auto& n : j["nodes"]) {
    if (!n.is_string() || n.get<std::string>().empty()) return bad();
    nodes.push_back(n.get<std::string>());
  }
  return std::optional<std::vector<std::string>>(nodes);
}

core::Result<PreparedClusterDir> prepare_cluster_dir(const std::string& cluster_dir,
                                                     const std::vector<std::string>& nodes) {
  if (nodes.empty()) return core::invalid("a cluster needs at least one node");
  for (const auto& n : nodes) {
    if (n.empty() || n.find('/') != std::string::npos || n == "." || n == "..")
      return core::invalid("node name \"" + n + "\" cannot name a directory");
  }
  std::error_code ec;
  fs::create_directories(cluster_dir, ec);
  if (ec) return core::unavailable("cannot create " + cluster_dir + ": " + ec.message());

  auto recorded = recorded_nodes(cluster_dir);
  if (!recorded.is_ok()) return recorded.status();
  if (*recorded && **recorded != nodes) {
    return core::invalid(cluster_dir + " holds a cluster of nodes " + join(**recorded) + " (" +
                         std::to_string((*recorded)->size()) + "), not " + join(nodes) + ": start it with --nodes " +
                         std::to_string((*recorded)->size()) + ", or use another --state-dir (or remove " +
                         cluster_dir + " to start afresh)");
  }
  PreparedClusterDir out;
  for (const char* db : {"config.db", "kube.db"}) out.restored |= fs::exists(fs::path(cluster_dir) / db, ec);
  if (!*recorded) {
    if (auto st = write_atomic(cluster_dir + "/" + kClusterFile, json{{"nodes", nodes}}.dump() + "\n"); !st.is_ok())
      return st;
  }
  // Leftovers of every node directory there is (also of nodes no longer recorded).
  std::vector<std::string> node_dirs;
  for (fs::directory_iterator it(cluster_dir, ec), end; !ec && it != end; it.increment(ec)) {
    if (it->is_directory(ec) && !it->is_symlink(ec)) node_dirs.push_back(it->path().filename().string());
  }
  if (ec) return core::unavailable("read " + cluster_dir + ": " + ec.message());
  std::sort(node_dirs.begin(), node_dirs.end());
  for (const auto& node : node_dirs) {
    if (auto st = clean_node_dir(cluster_dir, node, out.removed); !st.is_ok()) return st;
  }
  std::sort(out.removed.begin(), out.removed.end());
  return out;
}

}  // namespace csim::daemon
