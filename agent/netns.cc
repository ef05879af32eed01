#include "agent/netns.h"

#include <dirent.h>
#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <thread>

namespace csim::agent {
namespace {

std::string errno_text(int err) {
  char buf[128];
  return strerror_r(err, buf, sizeof buf);
}

bool valid_name(const std::string& name) {
  if (name.empty() || name.size() > 255 || name == "." || name == "..") return false;
  for (char c : name) {
    if (c == '/' || static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return false;
  }
  return true;
}

std::string path_of(const std::string& name) { return std::string(kNetnsDir) + "/" + name; }

core::Status write_sysctls_here(const std::string& label, const std::vector<Sysctl>& values) {
  for (const auto& [key, value] : values) {
    if (key.find("..") != std::string::npos || key.empty() || key[0] == '/') {
      return core::invalid("bad sysctl path " + key);
    }
    std::string path = "/proc/sys/" + key;
    int fd = open(path.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd < 0)
      return core::unavailable("open " + path + " in " + label + ": " + errno_text(errno));
    ssize_t n = write(fd, value.data(), value.size());
    int err = errno;
    close(fd);
    if (n != static_cast<ssize_t>(value.size())) {
      return core::unavailable("write " + value + " to " + path + " in " + label + ": " +
                               errno_text(err));
    }
  }
  return core::Status::ok();
}

}  // namespace

Netns::~Netns() { close(fd_); }

core::Status run_in_netns(int netns_fd, const std::string& label,
                          const std::function<core::Status()>& fn) {
  core::Status result;
  std::thread t([&] {
    if (setns(netns_fd, CLONE_NEWNET) != 0) {
      result = core::unavailable("enter network namespace " + label + ": " + errno_text(errno));
      return;
    }
    result = fn();
  });
  t.join();
  return result;
}

core::Status write_sysctls(int netns_fd, const std::string& label,
                           const std::vector<Sysctl>& values) {
  return run_in_netns(netns_fd, label, [&] { return write_sysctls_here(label, values); });
}

core::Result<int> socket_in_netns(int netns_fd, const std::string& label, int domain, int type) {
  int fd = -1;
  auto st = run_in_netns(netns_fd, label, [&]() -> core::Status {
    fd = socket(domain, type | SOCK_CLOEXEC, 0);
    if (fd < 0) return core::unavailable("socket in " + label + ": " + errno_text(errno));
    return core::Status::ok();
  });
  if (!st.is_ok()) return st;
  return fd;
}

core::Result<std::shared_ptr<Netns>> create_netns(const std::string& name,
                                                  const std::vector<Sysctl>& sysctls,
                                                  bool replace) {
  if (!valid_name(name)) return core::invalid("invalid network namespace name '" + name + "'");
  const std::string path = path_of(name);
  if (mkdir(kNetnsDir, 0755) != 0 && errno != EEXIST) {
    return core::unavailable(std::string("mkdir ") + kNetnsDir + ": " + errno_text(errno));
  }
  struct stat st;
  if (lstat(path.c_str(), &st) == 0) {
    if (!replace) return core::already_exists("network namespace " + name + " already exists");
    if (auto d = delete_netns(name); !d.is_ok()) return d;
  }
  int file = open(path.c_str(), O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0444);
  if (file < 0) return core::unavailable("create " + path + ": " + errno_text(errno));
  close(file);

  std::unique_ptr<Rtnl> rtnl;
  int ns_fd = -1;
  core::Status result;
  std::thread t([&] {
    if (unshare(CLONE_NEWNET) != 0) {
      result = core::unavailable("unshare(CLONE_NEWNET) for " + name + ": " + errno_text(errno));
      return;
    }
    if (mount("/proc/thread-self/ns/net", path.c_str(), "none", MS_BIND, nullptr) != 0) {
      result =
          core::unavailable("bind-mount the new namespace on " + path + ": " + errno_text(errno));
      return;
    }
    ns_fd = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
    if (ns_fd < 0) {
      result = core::unavailable("open the new namespace " + name + ": " + errno_text(errno));
      return;
    }
    auto r = Rtnl::open(name);
    if (!r.is_ok()) {
      result = r.status();
      return;
    }
    rtnl = std::move(*r);
    if (auto s = rtnl->set_up("lo"); !s.is_ok()) {
      result = s;
      return;
    }
    result = write_sysctls_here(name, sysctls);
  });
  t.join();
  if (!result.is_ok()) {
    if (ns_fd >= 0) close(ns_fd);
    delete_netns(name);
    return result;
  }
  return std::make_shared<Netns>(name, ns_fd, std::move(rtnl));
}

core::Result<int> open_netns_fd(const std::string& name) {
  if (!valid_name(name)) return core::invalid("invalid network namespace name '" + name + "'");
  const std::string path = path_of(name);
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return core::not_found("no network namespace " + name);
    return core::unavailable("open " + path + ": " + errno_text(errno));
  }
  return fd;
}

core::Result<std::shared_ptr<Netns>> open_netns(const std::string& name) {
  auto opened = open_netns_fd(name);
  if (!opened.is_ok()) return opened.status();
  int fd = *opened;
  std::unique_ptr<Rtnl> rtnl;
  auto st = run_in_netns(fd, name, [&]() -> core::Status {
    auto r = Rtnl::open(name);
    if (!r.is_ok()) return r.status();
    rtnl = std::move(*r);
    return core::Status::ok();
  });
  if (!st.is_ok()) {
    close(fd);
    return st;
  }
  return std::make_shared<Netns>(name, fd, std::move(rtnl));
}

core::Status delete_netns(const std::string& name) {
  if (!valid_name(name)) return core::invalid("invalid network namespace name '" + name + "'");
  const std::string path = path_of(name);
  if (umount2(path.c_str(), MNT_DETACH) != 0 && errno != EINVAL && errno != ENOENT) {
    return core::unavailable("unmount " + path + ": " + errno_text(errno));
  }
  if (unlink(path.c_str()) != 0 && errno != ENOENT) {
    return core::unavailable("remove " + path + ": " + errno_text(errno));
  }
  return core::Status::ok();
}

std::vector<std::string> list_netns() {
  std::vector<std::string> names;
  DIR* dir = opendir(kNetnsDir);
  if (dir == nullptr) return names;
  while (struct dirent* e = readdir(dir)) {
    std::string n = e->d_name;
    if (n != "." && n != "..") names.push_back(n);
  }
  closedir(dir);
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace csim::agent

namespace csim::agent {

core::Result<std::vector<std::string>> sweep_netns(const std::vector<std::string>& prefixes) {
  std::vector<std::string> removed;
  std::string errors;
  for (const auto& name : list_netns()) {
    bool match = false;
    for (const auto& p : prefixes) match = match || (!p.empty() && name.rfind(p, 0) == 0);
    if (!match) continue;
    if (auto st = delete_netns(name); st.is_ok()) {
      removed.push_back(name);
    } else {
      errors += (errors.empty() ? "" : "; ") + st.message();
    }
  }
  if (!errors.empty()) return core::unavailable("sweep: " + errors);
  return removed;
}

}  // namespace csim::agent
