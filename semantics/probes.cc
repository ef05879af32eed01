#include "semantics/probes.h"

#include <algorithm>

#include "semantics/match.h"

namespace csim::semantics {
namespace {

void add(std::vector<std::string>& list, const std::string& value) {
  if (std::find(list.begin(), list.end(), value) == list.end()) list.push_back(value);
}

std::string upper_ascii(const std::string& s) {
  std::string out = s;
  for (char& c : out)
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  return out;
}

}  // namespace

std::vector<std::string> probe_hosts(const IngressModel& ingress) {
  std::vector<std::string> hosts = {""};
  for (const auto& rule : ingress.rules) {
    const std::string& h = rule.host;
    if (h.empty()) continue;
    if (is_wildcard_host(h)) {
      const std::string suffix = h.substr(2);  // "foo.com"
      add(hosts, "csim-probe." + suffix);
      add(hosts, "csim-probe." + suffix + ":80");
      add(hosts, "a.csim-probe." + suffix);
      add(hosts, suffix);
    } else {
      add(hosts, h);
      add(hosts, h + ":80");
      add(hosts, upper_ascii(h));
    }
  }
  add(hosts, kUnmatchedHost);
  return hosts;
}

std::vector<std::string> probe_paths(const IngressModel& ingress) {
  std::vector<std::string> paths;
  for (const IngressPath* p : ingress.paths()) {
    if (!p->path) {
      add(paths, "/");
      add(paths, "/csim-any");
      continue;
    }
    const std::string& path = *p->path;
    add(paths, path);
    if (path.back() == '/') {
      add(paths, path + "x");
      const size_t keep = prefix_rank_length(path);
      if (keep > 0) add(paths, path.substr(0, keep));
    } else {
      add(paths, path + "/x");
      add(paths, path + "/");
      add(paths, path + "x");
    }
  }
  add(paths, "/");
  add(paths, kUnmatchedPath);
  return paths;
}

std::vector<ProbeRequest> probe_requests(const IngressModel& ingress) {
  std::vector<ProbeRequest> probes;
  const auto paths = probe_paths(ingress);
  for (const auto& host : probe_hosts(ingress))
    for (const auto& path : paths) probes.push_back({host, path});
  return probes;
}

}  // namespace csim::semantics
