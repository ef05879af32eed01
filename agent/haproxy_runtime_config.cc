#include "agent/haproxy_runtime_config.h"

#include <algorithm>
#include <set>
#include <sstream>

#include "agent/ipv4.h"

namespace csim::agent {
namespace {

constexpr unsigned long kContrailUlimit = 200000;
constexpr unsigned long kFdOverhead = 256;  // listeners, sockets, files beyond 2 per connection

std::vector<std::string> split_words(const std::string& line) {
  std::vector<std::string> words;
  std::istringstream in(line);
  std::string w;
  while (in >> w) words.push_back(w);
  return words;
}

bool all_digits(const std::string& s) {
  return !s.empty() && s.size() <= 9 &&
         std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// "10.47.255.248:80" -> bind; false if not IPv4:port.
bool parse_ip_port(const std::string& token, HaproxyBind* out) {
  auto colon = token.rfind(':');
  if (colon == std::string::npos) return false;
  auto ip = parse_ipv4(token.substr(0, colon));
  std::string port = token.substr(colon + 1);
  if (!ip || !all_digits(port)) return false;
  int p = std::stoi(port);
  if (p < 1 || p > 65535) return false;
  out->ip = ip->str();
  out->port = p;
  return true;
}

// Directives svc-monitor renders, per section (contrail-reference.md §3.5).
const std::set<std::string> kGlobal = {"daemon",
                                       "user",
                                       "group",
                                       "log",
                                       "tune.ssl.default-dh-param",
                                       "ssl-default-bind-ciphers",
                                       "ulimit-n",
                                       "maxconn",
                                       "stats",
                                       "maxconnrate",
                                       "maxsessrate",
                                       "maxsslconn",
                                       "maxsslrate",
                                       "tune.http.maxhdr",
                                       "tune.ssl.maxrecord",
                                       "nbthread"};
const std::set<std::string> kDefaults = {"log", "retries", "option", "timeout", "mode", "maxconn"};
const std::set<std::string> kFrontend = {
    "option",          "bind",       "mode", "maxconn", "acl", "use_backend",
    "default_backend", "rate-limit", "no",   "timeout"};
const std::set<std::string> kBackend = {"mode",       "balance",     "option", "server",
                                        "timeout",    "stick-table", "stick",  "cookie",
                                        "appsession", "http-check",  "acl",    "http-request"};
// The Host fetch of the kubernetes semantics (svcmon/kubernetes_routing.h).
constexpr const char* kKubernetesHostFetch = "req.fhdr(host),field(1,:),lower";

// A regex pattern as svc-monitor renders it: one single-quoted word (haproxy interprets
// nothing inside), no quote inside.
bool quoted_regex(const std::string& w) {
  return w.size() >= 3 && w.front() == '\'' && w.back() == '\'' &&
         w.find('\'', 1) == w.size() - 1;
}

// The acl forms svc-monitor renders:
//   acl <name> hdr(host) -i <host>                                   contrail
//   acl <name> path <path>                                           both
//   acl <name> req.fhdr(host),field(1,:),lower -m str <host>...      kubernetes
//   acl <name> req.fhdr(host),field(1,:),lower -m reg '<regex>'...   kubernetes
//   acl <name> path_reg '<regex>'                                    kubernetes
bool rendered_acl(const std::vector<std::string>& w) {
  if (w.size() == 5 && w[2] == "hdr(host)" && w[3] == "-i") return true;
  if (w.size() == 4 && w[2] == "path" && w[3][0] != '-') return true;
  if (w.size() == 4 && w[2] == "path_reg" && quoted_regex(w[3])) return true;
  if (w.size() >= 5 && w[2] == kKubernetesHostFetch && w[3] == "-m") {
    for (size_t i = 5; i < w.size(); ++i) {
      if (w[4] == "str" && (w[i][0] == '-' || w[i][0] == '\'')) return false;
      if (w[4] == "reg" && !quoted_regex(w[i])) return false;
    }
    return w.size() >= 6 && (w[4] == "str" || w[4] == "reg");
  }
  return false;
}
// Server options the renderer uses after "<name> <ip>:<port>".
const std::set<std::string> kServerOptions = {"weight", "check", "inter", "fall", "rise", "cookie"};

// A certificate file the agent wrote: <instance_dir>/<name>.pem, the name of
// [A-Za-z0-9._-] without a leading '.'.
bool certificate_in(const std::string& path, const std::string& instance_dir) {
  if (instance_dir.empty() || instance_dir[0] != '/') return false;
  if (path.size() <= instance_dir.size() + 1 ||
      path.compare(0, instance_dir.size(), instance_dir) != 0 || path[instance_dir.size()] != '/')
    return false;
  const std::string name = path.substr(instance_dir.size() + 1);
  if (name.size() < 5 || name[0] == '.' || name.compare(name.size() - 4, 4, ".pem") != 0)
    return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == '-';
  });
}

core::Status refuse(int line_no, const std::string& why) {
  return core::invalid("haproxy_config line " + std::to_string(line_no) + ": " + why);
}

}  // namespace

core::Result<HaproxyRuntimeConfig> derive_haproxy_runtime_config(const std::string& contrail_text,
                                                                 const HaproxyRuntimePaths& paths,
                                                                 unsigned long nofile_hard_limit) {
  if (contrail_text.empty()) return core::invalid("haproxy_config is empty");
  if (contrail_text.find('\0') != std::string::npos)
    return core::invalid("haproxy_config contains a NUL byte");
  HaproxyRuntimeConfig out;
  std::istringstream in(contrail_text);
  std::string line;
  std::string section;
  int line_no = 0;
  bool saw_global = false;
  unsigned long ulimit = 0;  // as written (0: none)
  long maxconn_line = -1;    // index in `lines` of the global maxconn
  unsigned long maxconn = 0;
  std::vector<std::string> lines;  // output lines
  size_t global_end = 0;           // where to add lines at the end of global

  while (std::getline(in, line)) {
    ++line_no;
    for (char c : line) {
      if ((static_cast<unsigned char>(c) < 0x20 && c != '\t') || c == 0x7f) {
        return refuse(line_no, "control character");
      }
    }
    auto words = split_words(line);
    if (words.empty()) {
      lines.push_back(line);
      continue;
    }
    if (words[0][0] == '#') {
      lines.push_back(line);
      continue;
    }
    const bool header = line[0] != ' ' && line[0] != '\t';
    if (header) {
      const std::string& kw = words[0];
      if (kw == "global" || kw == "defaults") {
        if (words.size() != 1) return refuse(line_no, "'" + kw + "' takes no name here");
      } else if (kw == "frontend" || kw == "backend") {
        if (words.size() != 2) return refuse(line_no, "'" + kw + "' needs one name");
      } else {
        return refuse(line_no, "section '" + kw + "' is not one svc-monitor renders");
      }
      if (section == "global") global_end = lines.size();
      section = kw;
      saw_global = saw_global || kw == "global";
      lines.push_back(line);
      continue;
    }
    if (section.empty()) return refuse(line_no, "directive outside a section");
    const std::string& kw = words[0];
    const std::set<std::string>& allowed = section == "global"     ? kGlobal
                                           : section == "defaults" ? kDefaults
                                           : section == "frontend" ? kFrontend
                                                                   : kBackend;
    if (!allowed.count(kw)) {
      return refuse(line_no, "'" + kw + "' in " + section +
                                 " is not a directive svc-monitor renders; refused");
    }

    if (section == "global") {
      if (kw == "daemon") {
        out.adaptations.push_back(
            "daemon: removed (csim runs haproxy in the foreground and owns its pid)");
        continue;
      }
      if (kw == "user" || kw == "group") {
        out.adaptations.push_back(line.substr(line.find(kw)) +
                                  ": removed (no such id inside csim's user namespace)");
        continue;
      }
      if (kw == "log") {
        out.adaptations.push_back(line.substr(line.find(kw)) +
                                  ": removed (Contrail's log socket does not exist here)");
        continue;
      }
      if (kw == "stats") {
        if (words.size() < 3 || words[1] != "socket")
          return refuse(line_no, "only 'stats socket <path> ...' is accepted");
        std::string rest;
        for (size_t i = 3; i < words.size(); ++i) {
          if (words[i] == "expose-fd" ||
              (words[i] == "level" && i + 1 < words.size() && words[i + 1] == "admin")) {
            return refuse(line_no, "the stats socket may not be an admin socket");
          }
          rest += " " + words[i];
        }
        lines.push_back("\tstats socket " + paths.stats_socket + rest);
        if (words[2] != paths.stats_socket) {
          out.adaptations.push_back("stats socket " + words[2] + " -> " + paths.stats_socket +
                                    " (csim's state directory)");
        }
        continue;
      }
      if (kw == "ulimit-n" || kw == "maxconn") {
        if (words.size() != 2 || !all_digits(words[1]))
          return refuse(line_no, "'" + kw + "' needs a number");
        unsigned long v = std::stoul(words[1]);
        if (kw == "ulimit-n") {
          ulimit = v;
          unsigned long lowered = std::min(v, nofile_hard_limit);
          if (lowered != v) {
            out.adaptations.push_back("ulimit-n " + words[1] + " -> " + std::to_string(lowered) +
                                      " (the hard limit of open files here)");
          }
          lines.push_back("\tulimit-n " + std::to_string(lowered));
          ulimit = lowered;
        } else {
          maxconn = v;
          maxconn_line = static_cast<long>(lines.size());
          lines.push_back(line);
        }
        continue;
      }
    }

    if (kw == "acl" && !rendered_acl(words)) {
      return refuse(line_no, "only host and path acls are accepted");
    }
    if (kw == "http-request" &&
        words != std::vector<std::string>{"http-request", "return", "status", "404",
                                          "default-errorfiles"}) {
      return refuse(line_no, "only 'http-request return status 404 default-errorfiles' (the "
                             "kubernetes semantics' no-match backend) is accepted");
    }
    if (kw == "option" && words.size() >= 2 && words[1] == "external-check") {
      return refuse(line_no, "external checks are not accepted");
    }
    if (kw == "log" && section == "defaults" && !(words.size() == 2 && words[1] == "global")) {
      return refuse(line_no, "only 'log global' is accepted in defaults");
    }
    if (kw == "bind") {
      HaproxyBind b;
      if (words.size() < 2 || !parse_ip_port(words[1], &b)) {
        return refuse(line_no, "bind address must be <IPv4>:<port>");
      }
      bool no_sslv3 = false;
      size_t crts = 0;
      for (size_t i = 2; i < words.size(); ++i) {
        const std::string& w = words[i];
        if (w == "ssl" && !b.ssl) {
          b.ssl = true;
        } else if (w == "no-sslv3" && !no_sslv3) {
          no_sslv3 = true;
        } else if (w == "crt") {
          if (i + 1 >= words.size() || !certificate_in(words[i + 1], paths.instance_dir)) {
            return refuse(line_no, "bind " + words[1] +
                                       ": crt must name a .pem file directly in this "
                                       "instance's directory" +
                                       (paths.instance_dir.empty() ? std::string(" (none given)")
                                                                   : " " + paths.instance_dir));
          }
          ++i;
          ++crts;
        } else if (w.rfind("crt__", 0) == 0) {
          return refuse(line_no, "bind " + words[1] + ": certificate token '" + w +
                                     "' was not replaced by a certificate file (the agent "
                                     "resolves crt__<ns>__<secret> from the Kubernetes Secret "
                                     "when it has a TLS secret source)");
        } else {
          return refuse(line_no, "unexpected bind option '" + w + "'");
        }
      }
      if (b.ssl && crts == 0)
        return refuse(line_no, "bind " + words[1] + ": ssl without a certificate");
      if (!b.ssl && (crts > 0 || no_sslv3))
        return refuse(line_no, "bind " + words[1] + ": crt and no-sslv3 need 'ssl'");
      out.binds.push_back(b);
    }
    if (kw == "server") {
      HaproxyBind target;
      if (words.size() < 3 || !parse_ip_port(words[2], &target)) {
        return refuse(line_no, "server needs '<name> <IPv4>:<port>'");
      }
      for (size_t i = 3; i < words.size(); ++i) {
        if (kServerOptions.count(words[i])) continue;
        if (all_digits(words[i]) || (words[i].size() > 1 && words[i].back() == 's' &&
                                     all_digits(words[i].substr(0, words[i].size() - 1)))) {
          continue;  // a value: weight 1, inter 5s, fall 3
        }
        if (i > 0 && words[i - 1] == "cookie") continue;  // cookie <member-uuid>
        return refuse(line_no, "unexpected server option '" + words[i] + "'");
      }
    }
    lines.push_back(line);
  }
  if (!saw_global) return core::invalid("haproxy_config has no global section");
  if (section == "global") global_end = lines.size();

  // maxconn must fit the file descriptors haproxy gets (it needs about 2 per connection).
  const unsigned long fds = ulimit ? ulimit : nofile_hard_limit;
  const unsigned long fit = fds > 2 * kFdOverhead ? (fds - kFdOverhead) / 2 : 1;
  if (maxconn_line >= 0 && maxconn > fit) {
    lines[static_cast<size_t>(maxconn_line)] = "\tmaxconn " + std::to_string(fit);
    out.adaptations.push_back("maxconn " + std::to_string(maxconn) + " -> " + std::to_string(fit) +
                              " (what ulimit-n " + std::to_string(fds) + " allows)");
  }
  // Trailing blank lines of the global section stay after what we add.
  size_t insert_at = global_end;
  while (insert_at > 0 && split_words(lines[insert_at - 1]).empty()) --insert_at;
  std::vector<std::string> added = {
      "\tstats socket " + paths.admin_socket + " mode 0600 level admin expose-fd listeners",
      "\thard-stop-after 10s",
      "\thttpclient.ssl.verify none",
  };
  out.adaptations.push_back(
      "+ stats socket " + paths.admin_socket +
      " level admin expose-fd listeners (reloads hand the listening sockets over)");
  out.adaptations.push_back(
      "+ hard-stop-after 10s (a process replaced by a reload ends within 10 s)");
  out.adaptations.push_back(
      "+ httpclient.ssl.verify none (haproxy's unused HTTP client would load the "
      "system CA store at every start)");
  lines.insert(lines.begin() + static_cast<long>(insert_at), added.begin(), added.end());

  for (const auto& l : lines) out.text += l + "\n";
  return out;
}

}  // namespace csim::agent
