// Named network namespaces, as `ip netns` keeps them: a namespace is kept alive by a bind
// mount of its nsfs file on /run/netns/<name> (inside the sandbox, /run is csim's own
// tmpfs). csim creates them itself, without `ip`: a helper thread unshare()s a new
// network namespace, bind-mounts it, brings lo up and opens an rtnetlink socket there
// that the handle keeps for later configuration.
//
// Thread-safety: free functions are thread-safe; a Netns handle is safe to share (its
// Rtnl serialises requests). Callers must not create or delete the same name
// concurrently.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "agent/netlink.h"
#include "core/status.h"

namespace csim::agent {

inline constexpr const char* kNetnsDir = "/run/netns";

// An open named namespace.
class Netns {
 public:
  Netns(std::string name, int fd, std::unique_ptr<Rtnl> rtnl)
      : name_(std::move(name)), fd_(fd), rtnl_(std::move(rtnl)) {}
  ~Netns();
  Netns(const Netns&) = delete;
  Netns& operator=(const Netns&) = delete;

  const std::string& name() const { return name_; }
  // A descriptor of the namespace (for setns and IFLA_NET_NS_FD); owned by the handle.
  int fd() const { return fd_; }
  // rtnetlink socket opened inside the namespace.
  Rtnl& rtnl() { return *rtnl_; }

 private:
  std::string name_;
  int fd_;
  std::unique_ptr<Rtnl> rtnl_;
};

// A sysctl path under /proc/sys ("net/ipv4/ip_forward") and its value.
using Sysctl = std::pair<std::string, std::string>;

// Creates /run/netns/<name> with lo up and the given sysctls written inside it. If the
// name already exists, it is deleted first when replace is true (Contrail's "create"
// without --update does that), else the result is kAlreadyExists. The name must be a
// plain file name (checked).
core::Result<std::shared_ptr<Netns>> create_netns(const std::string& name,
                                                  const std::vector<Sysctl>& sysctls = {},
                                                  bool replace = true);
// A descriptor of /run/netns/<name> (O_CLOEXEC; the caller closes it). kNotFound if absent.
core::Result<int> open_netns_fd(const std::string& name);
// Opens an existing named namespace. kNotFound if absent.
core::Result<std::shared_ptr<Netns>> open_netns(const std::string& name);
// Unmounts and removes /run/netns/<name>. The namespace itself goes away when the last
// process in it has exited (stop them first). OK if it does not exist.
core::Status delete_netns(const std::string& name);
// Names in /run/netns, sorted.
std::vector<std::string> list_netns();
// Deletes every named namespace whose name starts with one of the prefixes (csim's are
// "csim-" and "vrouter-"); returns the names removed, and an error listing failures.
core::Result<std::vector<std::string>> sweep_netns(const std::vector<std::string>& prefixes);

// Runs fn on a helper thread that has entered the namespace `netns_fd`; returns its
// status. Used for what only works from inside (sockets, /proc/sys/net).
core::Status run_in_netns(int netns_fd, const std::string& label,
                          const std::function<core::Status()>& fn);
// Writes sysctls from inside the namespace (/proc/sys/net is per namespace).
core::Status write_sysctls(int netns_fd, const std::string& label,
                           const std::vector<Sysctl>& values);

// Opens a socket(domain, type) inside the namespace; the caller owns the descriptor.
core::Result<int> socket_in_netns(int netns_fd, const std::string& label, int domain, int type);

}  // namespace csim::agent
