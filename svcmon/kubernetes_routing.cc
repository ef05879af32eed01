#include "svcmon/kubernetes_routing.h"

#include <algorithm>
#include <optional>
#include <set>

#include "semantics/match.h"

namespace csim::svcmon {
namespace {

// Host groups in the order the Kubernetes semantics tries them.
enum Group { kExactHost = 0, kWildcardHost = 1, kNoHost = 2 };

// A pool's use_backend line with what orders it.
struct Entry {
  Group group = kNoHost;
  size_t length = 0;   // rank length
  bool exact = false;  // Exact, or ImplementationSpecific with a path
  size_t position = 0; // spec order within the frontend
  std::string line;
};

std::string annotation(const RoutingPool& p, const char* key) {
  auto it = p.annotations.find(key);
  return it == p.annotations.end() ? std::string() : it->second;
}

bool has_annotation(const RoutingPool& p, const char* key) {
  return p.annotations.count(key) > 0;
}

// Pools of type "acl" route; the others (type "default" or none) are default backends,
// as in Contrail's renderer.
bool is_rule_pool(const RoutingPool& p) {
  auto it = p.annotations.find("type");
  return it != p.annotations.end() && it->second == "acl";
}

std::vector<std::string> split_commas(const std::string& v) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos <= v.size()) {
    size_t end = v.find(',', pos);
    if (end == std::string::npos) end = v.size();
    out.push_back(v.substr(pos, end - pos));
    pos = end + 1;
  }
  return out;
}

std::string join(const std::vector<std::string>& parts, const std::string& sep) {
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i) out += (i ? sep : "") + parts[i];
  return out;
}

std::string quoted_regex(const std::string& pattern) { return "'" + pattern + "'"; }

}  // namespace

std::vector<std::string> no_match_backend_lines() {
  return {"mode http", "http-request return status 404 default-errorfiles"};
}

std::string kubernetes_host_problem(std::string_view host) {
  if (host.find(':') != std::string_view::npos)
    return "has a ':' (an Ingress host has no port)";
  if (!host.empty() && host.front() == '-') return "starts with '-'";
  return "";
}

std::string kubernetes_path_problem(std::string_view path) {
  if (!path.empty() && path.front() != '/') return "does not start with '/'";
  return "";
}

std::string regex_escape(std::string_view literal) {
  std::string out;
  for (char c : literal) {
    const unsigned char u = static_cast<unsigned char>(c);
    const bool alnum = (u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z') || (u >= '0' && u <= '9');
    if (!alnum && u < 0x80) out += '\\';
    out += c;
  }
  return out;
}

std::string prefix_path_regex(std::string_view prefix) {
  std::vector<std::string> segments;
  size_t pos = 0;
  while (pos <= prefix.size()) {
    size_t end = prefix.find('/', pos);
    if (end == std::string_view::npos) end = prefix.size();
    if (end > pos) segments.push_back(regex_escape(prefix.substr(pos, end - pos)));
    pos = end + 1;
  }
  if (segments.empty()) return "";
  return "^/*" + join(segments, "/+") + "(/.*)?$";
}

std::string wildcard_host_regex(std::string_view rule_host) {
  return "^[^.]+" + regex_escape(semantics::lower_ascii(rule_host.substr(1))) + "$";
}

KubernetesRouting kubernetes_routing(const std::vector<RoutingPool>& frontend_pools,
                                     const std::vector<RoutingPool>& ingress_pools) {
  KubernetesRouting out;
  out.lines.push_back(
      "# kubernetes semantics: exact hosts, then *. wildcards, then host-less rules; the "
      "longest path first, Exact before Prefix");

  std::optional<std::string> fallback;
  std::vector<Entry> entries;
  for (size_t i = 0; i < frontend_pools.size(); ++i) {
    const RoutingPool& pool = frontend_pools[i];
    if (!is_rule_pool(pool)) {
      if (!fallback) fallback = pool.uuid;
      continue;
    }
    Entry e;
    e.position = i;
    std::vector<std::string> acls, conditions;

    if (has_annotation(pool, "host")) {
      const std::string host = annotation(pool, "host");
      const std::string acl = pool.uuid + "_host";
      if (semantics::is_wildcard_host(host)) {
        e.group = kWildcardHost;
        acls.push_back("acl " + acl + " " + kHostFetch + " -m reg " +
                       quoted_regex(wildcard_host_regex(host)));
      } else {
        e.group = kExactHost;
        acls.push_back("acl " + acl + " " + kHostFetch + " -m str " +
                       semantics::lower_ascii(host));
      }
      conditions.push_back(acl);
    }

    const std::string type = annotation(pool, "pathType");
    const std::string path = annotation(pool, "path");  // "" = no path
    const std::string path_acl = pool.uuid + "_path";
    bool never = false;
    if (type == "Exact") {
      if (path.empty()) {
        never = true;  // Exact without a path matches no request
      } else {
        acls.push_back("acl " + path_acl + " path " + path);
        conditions.push_back(path_acl);
        e.length = path.size();
        e.exact = true;
      }
    } else if (type == "Prefix") {
      const std::string prefix = path.empty() ? "/" : path;
      const std::string regex = prefix_path_regex(prefix);
      if (!regex.empty()) {
        acls.push_back("acl " + path_acl + " path_reg " + quoted_regex(regex));
        conditions.push_back(path_acl);
      }
      e.length = semantics::prefix_rank_length(prefix);
    } else if (!path.empty()) {  // ImplementationSpecific with a path: exact (csim's choice)
      acls.push_back("acl " + path_acl + " path " + path);
      conditions.push_back(path_acl);
      e.length = path.size();
      e.exact = true;
    }  // ImplementationSpecific without a path: every path, rank 0
    if (never) continue;  // no acl, no use_backend (its host is still owned, see below)
    out.lines.insert(out.lines.end(), acls.begin(), acls.end());
    e.line = "use_backend " + pool.uuid + (conditions.empty() ? "" : " if " + join(conditions, " "));
    entries.push_back(std::move(e));
  }

  std::stable_sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) {
    if (a.group != b.group) return a.group < b.group;
    if (a.length != b.length) return a.length > b.length;
    if (a.exact != b.exact) return a.exact;
    return a.position < b.position;
  });

  // The hosts the Ingress owns: a request for one of them never reaches a later group.
  std::set<std::string> exact_hosts, wildcards;
  for (const RoutingPool& pool : ingress_pools) {
    std::vector<std::string> hosts;
    if (is_rule_pool(pool) && has_annotation(pool, "host")) hosts.push_back(annotation(pool, "host"));
    if (has_annotation(pool, "claimed_hosts"))
      for (auto& h : split_commas(annotation(pool, "claimed_hosts"))) hosts.push_back(h);
    for (const auto& h : hosts) {
      if (h.empty()) continue;
      if (semantics::is_wildcard_host(h))
        wildcards.insert(wildcard_host_regex(h));
      else
        exact_hosts.insert(semantics::lower_ascii(h));
    }
  }
  auto later = [&](Group g) {
    return std::any_of(entries.begin(), entries.end(), [g](const Entry& e) { return e.group > g; });
  };
  const std::string fallback_backend = fallback ? *fallback : kNoMatchBackend;
  const bool claim_exact = !exact_hosts.empty() && later(kExactHost);
  const bool claim_wildcards = !wildcards.empty() && later(kWildcardHost);
  if (claim_exact)
    out.lines.push_back("acl ingress_hosts " + std::string(kHostFetch) + " -m str " +
                        join(std::vector<std::string>(exact_hosts.begin(), exact_hosts.end()), " "));
  if (claim_wildcards) {
    std::vector<std::string> patterns;
    for (const auto& w : wildcards) patterns.push_back(quoted_regex(w));
    out.lines.push_back("acl ingress_wildcards " + std::string(kHostFetch) + " -m reg " +
                        join(patterns, " "));
  }

  size_t next = 0;
  for (int g = kExactHost; g <= kNoHost; ++g) {
    for (; next < entries.size() && entries[next].group == g; ++next)
      out.lines.push_back(entries[next].line);
    if (g == kExactHost && claim_exact)
      out.lines.push_back("use_backend " + fallback_backend + " if ingress_hosts");
    if (g == kWildcardHost && claim_wildcards)
      out.lines.push_back("use_backend " + fallback_backend + " if ingress_wildcards");
  }
  out.lines.push_back("default_backend " + fallback_backend);
  out.uses_no_match_backend = !fallback;
  return out;
}

}  // namespace csim::svcmon
