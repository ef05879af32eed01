#include "kube/apiserver/kubeconfig.h"

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>

#include <fcntl.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

namespace csim::kube::apiserver {

namespace {

std::string base64(const std::string& in) {
  static const char* kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    const uint32_t v = (static_cast<unsigned char>(in[i]) << 16) | (static_cast<unsigned char>(in[i + 1]) << 8) |
                       static_cast<unsigned char>(in[i + 2]);
    for (int shift : {18, 12, 6, 0}) out += kAlphabet[(v >> shift) & 63];
  }
  if (i < in.size()) {
    uint32_t v = static_cast<unsigned char>(in[i]) << 16;
    if (i + 1 < in.size()) v |= static_cast<unsigned char>(in[i + 1]) << 8;
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += i + 1 < in.size() ? kAlphabet[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

}  // namespace

std::string kubeconfig_yaml(const KubeconfigSpec& spec) {
  // JSON strings are valid YAML scalars: quote every user-supplied value that way.
  auto q = [](const std::string& s) { return nlohmann::json(s).dump(); };
  std::string out;
  out += "apiVersion: v1\n";
  out += "kind: Config\n";
  out += "clusters:\n";
  out += "- name: " + q(spec.name) + "\n";
  out += "  cluster:\n";
  out += "    server: " + q(spec.server_url) + "\n";
  if (!spec.ca_pem.empty()) out += "    certificate-authority-data: " + base64(spec.ca_pem) + "\n";
  out += "users:\n";
  out += "- name: " + q(spec.name) + "\n";
  if (!spec.token.empty()) out += "  user:\n    token: " + q(spec.token) + "\n";
  else out += "  user: {}\n";
  out += "contexts:\n";
  out += "- name: " + q(spec.name) + "\n";
  out += "  context:\n";
  out += "    cluster: " + q(spec.name) + "\n";
  out += "    user: " + q(spec.name) + "\n";
  out += "    namespace: default\n";
  out += "current-context: " + q(spec.name) + "\n";
  return out;
}

std::string kubeconfig_yaml(const std::string& server_url, const std::string& token,
                            const std::string& name) {
  return kubeconfig_yaml(KubeconfigSpec{server_url, token, "", name});
}

core::Status write_kubeconfig(const std::string& path, const std::string& server_url,
                              const std::string& token, const std::string& name) {
  return write_kubeconfig(path, KubeconfigSpec{server_url, token, "", name});
}

core::Status write_kubeconfig(const std::string& path, const KubeconfigSpec& spec) {
  const std::string text = kubeconfig_yaml(spec);
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
