#include "semantics/route.h"

#include <set>

#include "semantics/match.h"

namespace csim::semantics {
namespace {

RouteDecision from_path(const IngressPath& p, Semantics s, const std::string& reason) {
  RouteDecision d;
  d.backend = p.backend;
  d.status = kStatusRouted;
  d.rule = p.rule;
  d.path = p.index;
  d.field = p.field();
  d.why = d.field + ": " + describe_path(p, s) + " (" + reason + ")";
  return d;
}

// The default backend if there is one, else no backend with `status`.
RouteDecision fall_back(const IngressModel& ingress, const std::string& reason, int status) {
  RouteDecision d;
  if (ingress.default_backend) {
    d.backend = ingress.default_backend;
    d.status = kStatusRouted;
    d.field = kDefaultBackendField;
    d.why = reason + ": " + kDefaultBackendField;
  } else {
    d.status = status;
    d.why = reason + ", no default backend";
  }
  return d;
}

// Contrail: is the `use_backend` condition of `p` true for the request?
bool contrail_matches(const IngressRule& rule, const IngressPath& p, const std::string& host,
                      const std::string& path) {
  if (!rule.has_http || !p.backend || !p.backend->is_service()) return false;  // no pool
  if (rule.host.empty() && !p.path) return false;  // "use_backend X if  ": never true
  if (!rule.host.empty() && lower_ascii(rule.host) != lower_ascii(host)) return false;
  if (p.path && *p.path != path) return false;
  return true;
}

// Kubernetes: does `p` match the request path, and with which rank?
struct Rank {
  size_t length = 0;
  bool exact = false;
  bool operator>(const Rank& o) const {
    return length != o.length ? length > o.length : (exact && !o.exact);
  }
};

std::optional<Rank> kubernetes_match(const IngressPath& p, const std::string& path) {
  switch (p.type) {
    case PathType::kExact:
      if (p.path && *p.path == path) return Rank{p.path->size(), true};
      return std::nullopt;
    case PathType::kPrefix: {
      const std::string prefix = p.path.value_or("/");
      if (prefix_path_matches(prefix, path)) return Rank{prefix_rank_length(prefix), false};
      return std::nullopt;
    }
    case PathType::kImplementationSpecific:
      if (!p.path) return Rank{0, false};  // no path: every path, like Prefix "/"
      if (*p.path == path) return Rank{p.path->size(), true};
      return std::nullopt;
  }
  return std::nullopt;
}

std::string kubernetes_host(std::string_view host_header) {
  return lower_ascii(host_without_port(trim_header_value(host_header)));
}

}  // namespace

const char* semantics_name(Semantics s) {
  return s == Semantics::kContrail ? "contrail" : "kubernetes";
}

std::optional<Semantics> parse_semantics(std::string_view name) {
  if (name == "contrail") return Semantics::kContrail;
  if (name == "kubernetes") return Semantics::kKubernetes;
  return std::nullopt;
}

std::string RouteDecision::outcome() const {
  if (backend) return std::to_string(status) + " " + backend->to_string();
  return std::to_string(status);
}

std::string describe_path(const IngressPath& p, Semantics s) {
  std::string out = p.host.empty() ? "any host" : "host " + p.host;
  if (s == Semantics::kContrail) {
    out += p.path ? ", path " + *p.path : ", any path";
  } else if (!p.path && p.type != PathType::kExact) {
    out += std::string(", ") + path_type_name(p.type) + " (no path: any path)";
  } else {
    out += std::string(", ") + path_type_name(p.type) + " " + p.path.value_or("");
  }
  return out;
}

std::vector<const IngressPath*> contrail_matching_paths(const IngressModel& ingress,
                                                        std::string_view host_header,
                                                        std::string_view target) {
  const std::string host = trim_header_value(host_header);
  const std::string path = request_path(target);
  std::vector<const IngressPath*> out;
  for (const auto& rule : ingress.rules)
    for (const auto& p : rule.paths)
      if (contrail_matches(rule, p, host, path)) out.push_back(&p);
  return out;
}

RouteDecision route_contrail(const IngressModel& ingress, std::string_view host_header,
                             std::string_view target) {
  const auto matches = contrail_matching_paths(ingress, host_header, target);
  if (!matches.empty())
    return from_path(*matches.front(), Semantics::kContrail, "first match in spec order");
  return fall_back(ingress, "no rule matches", kStatusContrailNoBackend);
}

std::vector<int> kubernetes_host_rules(const IngressModel& ingress, std::string_view host_header) {
  const std::string host = kubernetes_host(host_header);
  std::vector<int> exact, wildcard, hostless;
  for (const auto& rule : ingress.rules) {
    if (rule.host.empty()) {
      hostless.push_back(rule.index);
    } else if (is_wildcard_host(rule.host)) {
      if (wildcard_host_matches(rule.host, host)) wildcard.push_back(rule.index);
    } else if (!host.empty() && lower_ascii(rule.host) == host) {
      exact.push_back(rule.index);
    }
  }
  if (!exact.empty()) return exact;
  if (!wildcard.empty()) return wildcard;
  return hostless;
}

RouteDecision route_kubernetes(const IngressModel& ingress, std::string_view host_header,
                               std::string_view target) {
  const std::string path = request_path(target);
  const std::vector<int> rules = kubernetes_host_rules(ingress, host_header);
  const IngressPath* best = nullptr;
  Rank best_rank;
  for (int r : rules) {
    for (const auto& p : ingress.rules[r].paths) {
      if (!p.backend) continue;  // a backend naming nothing (validation rejects it)
      auto rank = kubernetes_match(p, path);
      if (rank && (best == nullptr || *rank > best_rank)) {
        best = &p;
        best_rank = *rank;
      }
    }
  }
  if (best != nullptr) return from_path(*best, Semantics::kKubernetes, "longest matching path");
  std::string reason;
  if (rules.empty()) {
    const std::string host = kubernetes_host(host_header);
    reason = host.empty() ? "no Host header and no host-less rule"
                          : "no rule for host \"" + host + "\"";
  } else if (!ingress.rules[rules.front()].host.empty()) {
    reason = "no path of host " + ingress.rules[rules.front()].host + " matches " + path;
  } else {
    reason = "no rule matches";
  }
  return fall_back(ingress, reason, kStatusKubernetesNoMatch);
}

RouteDecision route_contrail(const nlohmann::json& ingress, std::string_view host_header,
                             std::string_view path) {
  return route_contrail(ingress_model(ingress), host_header, path);
}

RouteDecision route_kubernetes(const nlohmann::json& ingress, std::string_view host_header,
                               std::string_view path) {
  return route_kubernetes(ingress_model(ingress), host_header, path);
}

RouteDecision route(Semantics semantics, const nlohmann::json& ingress,
                    std::string_view host_header, std::string_view path) {
  return semantics == Semantics::kContrail ? route_contrail(ingress, host_header, path)
                                           : route_kubernetes(ingress, host_header, path);
}

HttpsView https_view(const IngressModel& ingress) {
  HttpsView view;
  view.model = ingress;
  view.model.rules.clear();
  std::set<std::string> tls_hosts;
  bool all = false;
  for (const auto& t : ingress.tls) {
    all |= t.all_hosts;
    tls_hosts.insert(t.hosts.begin(), t.hosts.end());
  }
  bool any = false;
  for (const auto& rule : ingress.rules) {
    IngressRule kept = rule;
    kept.paths.clear();
    bool had_backend = false;
    for (const auto& p : rule.paths) {
      if (!p.backend) continue;
      had_backend = true;
      const bool virtual_host = !rule.host.empty() && tls_hosts.count(rule.host);
      if (virtual_host || (p.path && all)) kept.paths.push_back(p);
    }
    any |= !kept.paths.empty();
    if (!kept.paths.empty() || !had_backend) view.model.rules.push_back(std::move(kept));
  }
  if (!all) view.model.default_backend.reset();
  view.has_https = any || view.model.default_backend.has_value();
  return view;
}

}  // namespace csim::semantics
