#include "agent/haproxy_tls.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <map>
#include <set>
#include <sstream>

namespace csim::agent {
namespace {

constexpr std::string_view kCrtPrefix = "crt__";
constexpr size_t kMaxFileName = 255;

std::string errno_text(int err) {
  char buf[128];
  return strerror_r(err, buf, sizeof buf);
}

std::vector<std::string> split_words(const std::string& line) {
  std::vector<std::string> words;
  std::istringstream in(line);
  std::string w;
  while (in >> w) words.push_back(w);
  return words;
}

bool lower_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

std::string sha256_hex(std::string_view data, size_t hex_chars) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), md, &len, EVP_sha256(), nullptr);
  static const char* kHex = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < len && out.size() < hex_chars; ++i) {
    out += kHex[md[i] >> 4];
    out += kHex[md[i] & 15];
  }
  return out.substr(0, hex_chars);
}

}  // namespace

bool is_dns1123_label(std::string_view s) {
  if (s.empty() || s.size() > 63) return false;
  if (!lower_alnum(s.front()) || !lower_alnum(s.back())) return false;
  for (char c : s)
    if (!lower_alnum(c) && c != '-') return false;
  return true;
}

bool is_dns1123_subdomain(std::string_view s) {
  if (s.empty() || s.size() > 253) return false;
  size_t pos = 0;
  while (pos <= s.size()) {
    size_t dot = s.find('.', pos);
    if (dot == std::string_view::npos) dot = s.size();
    std::string_view label = s.substr(pos, dot - pos);
    // Kubernetes' subdomain regex allows labels up to the total limit; only their shape counts.
    if (label.empty() || !lower_alnum(label.front()) || !lower_alnum(label.back())) return false;
    for (char c : label)
      if (!lower_alnum(c) && c != '-') return false;
    pos = dot + 1;
  }
  return true;
}

core::Result<TlsContainer> parse_tls_container(std::string_view container) {
  auto quoted = [&] {
    std::string q;
    for (char c : container.substr(0, 300)) {
      auto u = static_cast<unsigned char>(c);
      q += (u >= 0x20 && u < 0x7f) ? c : '?';
    }
    return "TLS container '" + q + "'";
  };
  size_t sep = container.find("__");
  if (sep == std::string_view::npos)
    return core::invalid(quoted() + " is not <namespace>__<secret name>");
  TlsContainer c{std::string(container.substr(0, sep)), std::string(container.substr(sep + 2))};
  if (!is_dns1123_label(c.ns))
    return core::invalid(quoted() + ": namespace '" + c.ns +
                         "' is not a DNS-1123 label ([a-z0-9-], at most 63)");
  if (!is_dns1123_subdomain(c.name))
    return core::invalid(quoted() + ": Secret name '" + c.name +
                         "' is not a DNS-1123 subdomain ([a-z0-9.-], at most 253)");
  return c;
}

std::string pem_file_name(const TlsContainer& c) {
  std::string name = c.container() + ".pem";
  if (name.size() <= kMaxFileName) return name;
  return c.ns + "__" + c.name.substr(0, 160) + "-" + sha256_hex(c.container(), 16) + ".pem";
}

std::vector<std::string> tls_containers_in(const std::string& contrail_text) {
  std::set<std::string> out;
  std::istringstream in(contrail_text);
  std::string line;
  while (std::getline(in, line)) {
    auto words = split_words(line);
    if (words.empty() || words[0] != "bind" || line.empty() || (line[0] != ' ' && line[0] != '\t'))
      continue;
    for (const auto& w : words)
      if (w.size() > kCrtPrefix.size() && w.compare(0, kCrtPrefix.size(), kCrtPrefix) == 0)
        out.insert(w.substr(kCrtPrefix.size()));
  }
  return {out.begin(), out.end()};
}

TlsBindRewrite rewrite_tls_binds(const std::string& contrail_text, const CrtResolver& resolve) {
  TlsBindRewrite out;
  std::map<std::string, core::Result<std::string>> resolved;
  std::vector<std::string> lines;
  std::string section, section_name;
  size_t section_start = 0;
  bool drop = false;
  auto close_section = [&] {
    if (drop) lines.resize(section_start);
    drop = false;
  };

  std::istringstream in(contrail_text);
  std::string line;
  while (std::getline(in, line)) {
    auto words = split_words(line);
    const bool header =
        !line.empty() && line[0] != ' ' && line[0] != '\t' && !words.empty() && words[0][0] != '#';
    if (header) {
      close_section();
      section = words[0];
      section_name = words.size() > 1 ? words[1] : "";
      section_start = lines.size();
      lines.push_back(line);
      continue;
    }
    bool has_crt_token = false;
    if (section == "frontend" && words.size() >= 2 && words[0] == "bind") {
      for (const auto& w : words)
        has_crt_token |=
            w.size() > kCrtPrefix.size() && w.compare(0, kCrtPrefix.size(), kCrtPrefix) == 0;
    }
    if (!has_crt_token) {
      lines.push_back(line);
      continue;
    }
    const std::string where = "frontend " + section_name + " (bind " + words[1] + ")";
    std::vector<std::string> rewritten = {"bind", words[1]};
    std::set<std::string> seen;
    size_t kept = 0;
    for (size_t i = 2; i < words.size(); ++i) {
      const std::string& w = words[i];
      if (w.size() <= kCrtPrefix.size() || w.compare(0, kCrtPrefix.size(), kCrtPrefix) != 0) {
        rewritten.push_back(w);
        continue;
      }
      const std::string container = w.substr(kCrtPrefix.size());
      if (!seen.insert(container).second) continue;  // once per bind
      auto it = resolved.find(container);
      if (it == resolved.end()) {
        it = resolved.emplace(container, resolve(container)).first;
        if (it->second.is_ok()) {
          out.containers.push_back(container);
          out.adaptations.push_back(w + " -> crt " + *it->second +
                                    " (the Secret's certificate and key, mode 0600)");
        }
      }
      if (!it->second.is_ok()) {
        out.errors.push_back(where + ": certificate " + w +
                             " left out: " + it->second.status().message());
        continue;
      }
      rewritten.push_back("crt");
      rewritten.push_back(*it->second);
      ++kept;
    }
    if (kept == 0) {
      drop = true;
      out.errors.push_back(where + " not served: none of its certificates could be loaded");
      out.adaptations.push_back(where + ": left out (no certificate could be loaded)");
      continue;
    }
    std::string text = "\t";
    for (size_t i = 0; i < rewritten.size(); ++i) text += (i ? " " : "") + rewritten[i];
    lines.push_back(text);
  }
  close_section();
  for (size_t i = 0; i < lines.size(); ++i) {
    out.text += lines[i];
    if (i + 1 < lines.size() || (!contrail_text.empty() && contrail_text.back() == '\n'))
      out.text += "\n";
  }
  return out;
}

core::Status write_private_file(const std::string& dir, const std::string& name,
                                const std::string& bytes) {
  if (name.empty() || name[0] == '.' || name.find('/') != std::string::npos ||
      name.size() > kMaxFileName)
    return core::invalid("write_private_file: '" + name + "' is not a plain file name");
  static std::atomic<unsigned> counter{0};
  const std::string path = dir + "/" + name;
  const std::string tmp =
      dir + "/.tmp." + std::to_string(getpid()) + "." + std::to_string(counter.fetch_add(1));
  int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) return core::unavailable("create " + tmp + ": " + errno_text(errno));
  auto fail = [&](const std::string& what, int err) {
    close(fd);
    unlink(tmp.c_str());
    return core::unavailable(what + " " + tmp + ": " + errno_text(err));
  };
  if (fchmod(fd, 0600) != 0) return fail("chmod 0600", errno);
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail("write", errno);
    }
    done += static_cast<size_t>(n);
  }
  if (close(fd) != 0) {
    int err = errno;
    unlink(tmp.c_str());
    return core::unavailable("close " + tmp + ": " + errno_text(err));
  }
  if (rename(tmp.c_str(), path.c_str()) != 0) {
    int err = errno;
    unlink(tmp.c_str());
    return core::unavailable("rename " + tmp + " to " + path + ": " + errno_text(err));
  }
  return core::Status::ok();
}

}  // namespace csim::agent
