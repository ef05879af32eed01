#include "kube/apiserver/kubeconfig.h"

#include <cerrno>
#include <cstdio>
#include <cstring>

#include <fcntl.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

namespace csim::kube::apiserver {

std::string kubeconfig_yaml(const std::string& server_url, const std::string& token,
                            const std::string& name) {
  // JSON strings are valid YAML scalars: quote every user-supplied value that way.
  auto q = [](const std::string& s) { return nlohmann::json(s).dump(); };
  std::string out;
  out += "apiVersion: v1\n";
  out += "kind: Config\n";
  out += "clusters:\n";
  out += "- name: " + q(name) + "\n";
  out += "  cluster:\n";
  out += "    server: " + q(server_url) + "\n";
  out += "users:\n";
  out += "- name: " + q(name) + "\n";
  if (!token.empty()) out += "  user:\n    token: " + q(token) + "\n";
  else out += "  user: {}\n";
  out += "contexts:\n";
  out += "- name: " + q(name) + "\n";
  out += "  context:\n";
  out += "    cluster: " + q(name) + "\n";
  out += "    user: " + q(name) + "\n";
  out += "    namespace: default\n";
  out += "current-context: " + q(name) + "\n";
  return out;
}

core::Status write_kubeconfig(const std::string& path, const std::string& server_url,
                              const std::string& token, const std::string& name) {
  const std::string text = kubeconfig_yaml(server_url, token, name);
  const std::string tmp = path + ".tmp." + std::to_string(::getpid());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return core::unavailable("kubeconfig " + tmp + ": " + std::strerror(errno));
  size_t done = 0;
  while (done < text.size()) {
    ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      std::string err = std::strerror(errno);
      ::close(fd);
      ::unlink(tmp.c_str());
      return core::unavailable("kubeconfig " + tmp + ": write: " + err);
    }
    done += static_cast<size_t>(n);
  }
  if (::close(fd) != 0) {
    std::string err = std::strerror(errno);
    ::unlink(tmp.c_str());
    return core::unavailable("kubeconfig " + tmp + ": close: " + err);
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    std::string err = std::strerror(errno);
    ::unlink(tmp.c_str());
    return core::unavailable("kubeconfig " + path + ": rename: " + err);
  }
  return core::Status::ok();
}

}  // namespace csim::kube::apiserver
