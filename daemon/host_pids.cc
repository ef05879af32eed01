#include "daemon/host_pids.h"

#include <dirent.h>
#include <unistd.h>

#include <cctype>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace csim::daemon {
namespace {

std::vector<pid_t> all_pids() {
  std::vector<pid_t> out;
  DIR* d = opendir("/proc");
  if (!d) return out;
  while (dirent* e = readdir(d)) {
    if (!std::isdigit(static_cast<unsigned char>(e->d_name[0]))) continue;
    out.push_back(static_cast<pid_t>(std::atoi(e->d_name)));
  }
  closedir(d);
  return out;
}

std::string pid_ns(pid_t pid) {
  char buf[64];
  std::string link = "/proc/" + std::to_string(pid) + "/ns/pid";
  ssize_t n = readlink(link.c_str(), buf, sizeof buf - 1);
  if (n <= 0) return "";
  return std::string(buf, static_cast<size_t>(n));
}

// PPid and the last NSpid entry from /proc/<pid>/status.
bool read_status(pid_t pid, pid_t* ppid, pid_t* inner) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  if (!in) return false;
  std::string line;
  bool got_ppid = false, got_ns = false;
  while (std::getline(in, line)) {
    if (line.rfind("PPid:", 0) == 0) {
      *ppid = static_cast<pid_t>(std::atoi(line.c_str() + 5));
      got_ppid = true;
    } else if (line.rfind("NSpid:", 0) == 0) {
      std::istringstream s(line.substr(6));
      long v = 0, last = 0;
      while (s >> v) last = v;
      *inner = static_cast<pid_t>(last);
      got_ns = true;
    }
  }
  return got_ppid && got_ns;
}

}  // namespace

SandboxPids SandboxPids::scan(pid_t outer_pid) {
  SandboxPids out;
  if (outer_pid <= 0) return out;
  const std::vector<pid_t> pids = all_pids();
  std::string ns;
  for (pid_t p : pids) {
    pid_t ppid = 0, inner = 0;
    if (read_status(p, &ppid, &inner) && ppid == outer_pid && inner == 1) {
      out.init_ = p;
      ns = pid_ns(p);
      break;
    }
  }
  if (ns.empty()) return out;
  for (pid_t p : pids) {
    if (pid_ns(p) != ns) continue;
    pid_t ppid = 0, inner = 0;
    if (read_status(p, &ppid, &inner) && inner > 0) out.map_[inner] = p;
  }
  return out;
}

std::optional<pid_t> SandboxPids::host_pid(pid_t sandbox_pid) const {
  auto it = map_.find(sandbox_pid);
  if (it == map_.end()) return std::nullopt;
  return it->second;
}

}  // namespace csim::daemon
