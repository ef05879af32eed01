#include "semantics/lint.h"

#include <algorithm>
#include <map>
#include <set>
#include <tuple>

#include "semantics/ingress_model.h"
#include "semantics/match.h"
#include "semantics/probes.h"
#include "semantics/route.h"

namespace csim::semantics {
namespace {

using nlohmann::json;

// The number after `marker` in a field path ("spec.rules[3].host", "spec.rules[" -> 3), or -1.
int index_after(const std::string& field, const std::string& marker) {
  size_t pos = field.find(marker);
  if (pos == std::string::npos) return -1;
  pos += marker.size();
  int n = 0;
  while (pos < field.size() && field[pos] >= '0' && field[pos] <= '9')
    n = n * 10 + (field[pos++] - '0');
  return n;
}

// Findings in insertion order; a finding with a key seen before only counts one more request.
class Collector {
 public:
  explicit Collector(std::string ingress) : ingress_(std::move(ingress)) {}

  void add(Severity severity, std::string field, std::string message) {
    Finding f;
    f.severity = severity;
    f.ingress = ingress_;
    f.field = std::move(field);
    f.message = std::move(message);
    findings_.push_back(std::move(f));
  }

  // A cause found by probing: grouped by `key`.
  void add_probe(const std::string& key, Severity severity, std::string field, std::string message,
                 const ProbeRequest& probe, const RouteDecision& contrail,
                 const RouteDecision& kubernetes) {
    auto it = by_key_.find(key);
    if (it != by_key_.end()) {
      ++findings_[it->second].requests;
      return;
    }
    Finding f;
    f.severity = severity;
    f.ingress = ingress_;
    f.field = std::move(field);
    f.message = std::move(message);
    f.example = Finding::Request{probe.host, probe.path};
    f.contrail = contrail.outcome() + " (" + contrail.why + ")";
    f.kubernetes = kubernetes.outcome() + " (" + kubernetes.why + ")";
    f.requests = 1;
    by_key_[key] = findings_.size();
    findings_.push_back(std::move(f));
  }

  // By severity, then spec order (fields outside spec.rules first), then as found.
  std::vector<Finding> take() {
    auto key = [](const Finding& f) {
      return std::make_tuple(static_cast<int>(f.severity), index_after(f.field, "spec.rules["),
                             index_after(f.field, "paths["));
    };
    std::stable_sort(findings_.begin(), findings_.end(),
                     [&](const Finding& a, const Finding& b) { return key(a) < key(b); });
    return std::move(findings_);
  }

 private:
  std::string ingress_;
  std::vector<Finding> findings_;
  std::map<std::string, size_t> by_key_;
};

std::string quoted(const std::string& s) { return "\"" + s + "\""; }

const IngressPath* path_of(const IngressModel& m, const RouteDecision& d) {
  if (d.rule < 0 || d.path < 0) return nullptr;
  return &m.rules[d.rule].paths[d.path];
}

std::string prefix_message(const IngressPath& p) {
  const std::string path = p.path.value_or("/");
  const size_t keep = prefix_rank_length(path);
  std::string not_matching;
  if (keep == 0) {
    not_matching = "not every path (e.g. /x)";
  } else if (path.back() == '/') {
    not_matching = "not " + path.substr(0, keep) + " nor " + path + "x";
  } else {
    not_matching = "not " + path + "/ nor " + path + "/x";
  }
  return "Prefix " + path + ": on Contrail only " + path + " matches, " + not_matching +
         " (Contrail ignores pathType: every path is an exact match)";
}

// ---- causes of a difference found by probing (see lint.h for the order) ----

struct Cause {
  std::string key;
  std::string field;
  std::string message;
};

std::optional<Cause> port_cause(const IngressModel& m, const ProbeRequest& probe,
                                const RouteDecision& k) {
  if (!host_has_port(probe.host)) return std::nullopt;
  const std::string bare = host_without_port(probe.host);
  const RouteDecision without_port = route_contrail(m, bare, probe.path);
  if (without_port.backend != k.backend) return std::nullopt;
  const IngressRule* rule = nullptr;
  if (k.rule >= 0 && !m.rules[k.rule].host.empty()) rule = &m.rules[k.rule];
  if (rule == nullptr && without_port.rule >= 0 && !m.rules[without_port.rule].host.empty())
    rule = &m.rules[without_port.rule];
  if (rule == nullptr) {
    return Cause{"port", "spec.rules",
                 "a Host header with a port routes differently on Contrail: haproxy compares "
                 "the whole Host header, the Kubernetes rules ignore the port"};
  }
  const std::string field = rule->field() + ".host";
  return Cause{"port:" + field, field,
               "a Host header with a port (" + quoted(probe.host) + ") will not match host " +
                   rule->host + " on Contrail: haproxy compares the whole header (hdr(host) -i " +
                   rule->host + "); the Kubernetes rules ignore the port"};
}

std::optional<Cause> wildcard_cause(const IngressModel& m, const RouteDecision& k) {
  if (k.rule < 0 || !is_wildcard_host(m.rules[k.rule].host)) return std::nullopt;
  const IngressRule& rule = m.rules[k.rule];
  const std::string field = rule.field() + ".host";
  return Cause{"wildcard:" + field, field,
               "wildcard host " + rule.host +
                   ": not supported on Contrail: haproxy compares the Host header with the "
                   "literal string " +
                   quoted(rule.host) + ", so no request for a host under " + rule.host.substr(2) +
                   " reaches this rule"};
}

std::optional<Cause> prefix_cause(const IngressModel& m, const ProbeRequest& probe,
                                  const RouteDecision& k) {
  const IngressPath* p = path_of(m, k);
  if (p == nullptr || p->type != PathType::kPrefix) return std::nullopt;
  if (p->path && *p->path == request_path(probe.path)) return std::nullopt;
  return Cause{"prefix:" + p->field(), p->field(), prefix_message(*p)};
}

std::optional<Cause> resource_cause(const IngressModel& m, const RouteDecision& k) {
  const IngressPath* p = path_of(m, k);
  if (p == nullptr || !p->backend || p->backend->is_service()) return std::nullopt;
  const std::string field = p->field() + ".backend";
  return Cause{"resource:" + field, field,
               "resource backend (" + p->backend->resource +
                   "): Contrail routes only to Services; kube-manager makes no pool for it"};
}

std::optional<Cause> empty_condition_cause(const IngressModel& m, const RouteDecision& k) {
  const IngressPath* p = path_of(m, k);
  if (p == nullptr || !p->host.empty() || p->path) return std::nullopt;
  return Cause{"empty:" + p->field(), p->field(),
               "a rule with neither host nor path: Contrail renders its haproxy condition empty "
               "(\"use_backend <pool> if\"), which haproxy never matches; the Kubernetes rules "
               "send it every request no longer path matches"};
}

std::optional<Cause> fallback_cause(const IngressModel& m, const ProbeRequest& probe,
                                    const RouteDecision& c) {
  if (c.rule < 0 || !m.rules[c.rule].host.empty()) return std::nullopt;
  const std::vector<int> host_rules = kubernetes_host_rules(m, probe.host);
  if (host_rules.empty() || m.rules[host_rules.front()].host.empty()) return std::nullopt;
  const std::string& host = m.rules[host_rules.front()].host;
  return Cause{"fallback:" + host + "|" + c.field, c.field,
               "requests for host " + host +
                   " that none of its paths match: Contrail falls back to this host-less rule; "
                   "the Kubernetes rules pick the host's rules first and never fall back to "
                   "host-less ones (default backend, else 404)"};
}

// Several Contrail entries with different backends match the probe: on real Contrail the
// order of use_backend lines is random.
std::optional<Cause> overlap_cause(std::vector<const IngressPath*> matches,
                                   const std::set<const IngressPath*>& duplicates,
                                   const RouteDecision& c, const RouteDecision& k) {
  // Duplicates are reported as errors already.
  matches.erase(std::remove_if(matches.begin(), matches.end(),
                               [&](const IngressPath* p) { return duplicates.count(p) > 0; }),
                matches.end());
  std::vector<BackendRef> backends;
  for (const IngressPath* p : matches)
    if (std::find(backends.begin(), backends.end(), *p->backend) == backends.end())
      backends.push_back(*p->backend);
  if (backends.size() < 2) return std::nullopt;
  std::string key = "overlap";
  std::string list;
  for (size_t i = 0; i < matches.size(); ++i) {
    key += "|" + matches[i]->field();
    list += (i == 0 ? "" : i + 1 == matches.size() ? " and " : ", ") + matches[i]->field() +
            " (" + describe_path(*matches[i], Semantics::kContrail) + ")";
  }
  std::string message =
      list + (matches.size() == 2 ? " both" : " all") + " match on Contrail: real Contrail orders its use_backend lines at random "
             "(a Python set), so any of them may answer; csim's contrail semantics takes the "
             "first in spec order";
  if (k.backend != c.backend) message += "; the Kubernetes rules take " + k.field;
  return Cause{key, matches[1]->field(), message};
}

// Both routers find no backend, but answer differently (503 and 404).
bool status_differs(const ProbeRequest& probe, const RouteDecision& c, const RouteDecision& k,
                    Collector& out) {
  if (c.backend || k.backend || c.status == k.status) return false;
  out.add_probe("status", Severity::kWarning, "spec",
                "a request that no rule matches gets " + std::to_string(c.status) +
                    " from Contrail's haproxy (no backend) and " + std::to_string(k.status) +
                    " under the Kubernetes rules; spec.defaultBackend would decide it",
                probe, c, k);
  return true;
}

void probe_differences(const IngressModel& m, const std::set<const IngressPath*>& duplicates,
                       Collector& out) {
  // The clearest example of "no rule matches" first, if it is one.
  const ProbeRequest unmatched{kUnmatchedHost, kUnmatchedPath};
  const bool unmatched_shown =
      status_differs(unmatched, route_contrail(m, unmatched.host, unmatched.path),
                     route_kubernetes(m, unmatched.host, unmatched.path), out);
  for (const ProbeRequest& probe : probe_requests(m)) {
    const RouteDecision c = route_contrail(m, probe.host, probe.path);
    const RouteDecision k = route_kubernetes(m, probe.host, probe.path);
    const auto matches = contrail_matching_paths(m, probe.host, probe.path);
    const auto overlap = overlap_cause(matches, duplicates, c, k);
    if (overlap)
      out.add_probe(overlap->key, Severity::kDifference, overlap->field, overlap->message, probe, c,
                    k);
    if (c.backend == k.backend) {
      if (!(unmatched_shown && probe == unmatched)) status_differs(probe, c, k, out);
      continue;
    }
    std::optional<Cause> cause = port_cause(m, probe, k);
    if (!cause) cause = wildcard_cause(m, k);
    if (!cause) cause = prefix_cause(m, probe, k);
    if (!cause) cause = resource_cause(m, k);
    if (!cause) cause = empty_condition_cause(m, k);
    if (!cause) cause = fallback_cause(m, probe, c);
    if (cause) {
      out.add_probe(cause->key, Severity::kDifference, cause->field, cause->message, probe, c, k);
    } else if (!overlap) {
      out.add_probe("other:" + c.field + "|" + k.field, Severity::kDifference,
                    k.field.empty() ? c.field : k.field,
                    "this request is routed differently on Contrail and under the Kubernetes "
                    "rules",
                    probe, c, k);
    }
  }
}

// ---- plain findings ----

std::string namespace_of(const json& obj) {
  if (obj.is_object() && obj.contains("metadata") && obj["metadata"].is_object()) {
    const json& md = obj["metadata"];
    if (md.contains("namespace") && md["namespace"].is_string() &&
        !md["namespace"].get<std::string>().empty())
      return md["namespace"];
  }
  return "default";
}

std::string name_of(const json& obj) {
  if (obj.is_object() && obj.contains("metadata") && obj["metadata"].is_object()) {
    const json& md = obj["metadata"];
    if (md.contains("name") && md["name"].is_string()) return md["name"];
  }
  return "";
}

const json* find_service(const std::vector<json>& services, const std::string& ns,
                         const std::string& name) {
  for (const json& s : services) {
    if (!s.is_object() || s.value("kind", json()) != "Service") continue;
    if (namespace_of(s) == ns && name_of(s) == name) return &s;
  }
  return nullptr;
}

// "80, 443 (https)".
std::string port_list(const json& ports) {
  std::string out;
  for (const json& p : ports) {
    if (!p.is_object()) continue;
    if (!out.empty()) out += ", ";
    out += p.contains("port") ? p["port"].dump() : "?";
    if (p.contains("name") && p["name"].is_string()) out += " (" + p["name"].get<std::string>() + ")";
  }
  return out.empty() ? "none" : out;
}

void check_backend(const IngressModel& m, const std::vector<json>& services,
                   const BackendRef& b, const std::string& field, Collector& out) {
  if (!b.is_service()) return;
  const std::string service_field = field + ".service";
  if (!b.port_name.empty()) {
    out.add(Severity::kDifference, service_field + ".port.name",
            "named Service port " + quoted(b.port_name) +
                ": Contrail does not resolve port names (TF's kube-manager fails on port.name, "
                "CC writes the name into haproxy's server line); use port.number");
  }
  const json* svc = find_service(services, m.ns, b.service);
  if (svc == nullptr) {
    out.add(Severity::kError, service_field + ".name",
            "Service " + quoted(b.service) + " (namespace " + m.ns +
                ") is not among the Services given; on Contrail this backend gets no pool until "
                "the Service exists");
    return;
  }
  json ports = json::array();
  if (svc->contains("spec") && (*svc)["spec"].is_object() && (*svc)["spec"].contains("ports") &&
      (*svc)["spec"]["ports"].is_array())
    ports = (*svc)["spec"]["ports"];
  if (b.port_number) {
    bool found = std::any_of(ports.begin(), ports.end(), [&](const json& p) {
      return p.is_object() && p.contains("port") && p["port"].is_number_integer() &&
             p["port"].get<int64_t>() == *b.port_number;
    });
    if (!found)
      out.add(Severity::kError, service_field + ".port.number",
              "Service " + quoted(b.service) + " has no port " + std::to_string(*b.port_number) +
                  " (its ports: " + port_list(ports) + ")");
  } else if (!b.port_name.empty()) {
    bool found = std::any_of(ports.begin(), ports.end(), [&](const json& p) {
      return p.is_object() && p.value("name", json()) == b.port_name;
    });
    if (!found)
      out.add(Severity::kError, service_field + ".port.name",
              "Service " + quoted(b.service) + " has no port named " + quoted(b.port_name) +
                  " (its ports: " + port_list(ports) + ")");
  } else {
    out.add(Severity::kError, service_field + ".port",
            "the backend names no port of Service " + quoted(b.service));
  }
}

void check_services(const IngressModel& m, const std::vector<json>& services, Collector& out) {
  for (const IngressPath* p : m.paths())
    if (p->backend) check_backend(m, services, *p->backend, p->field() + ".backend", out);
  if (m.default_backend) check_backend(m, services, *m.default_backend, kDefaultBackendField, out);
}

// Reports every entry that repeats an earlier (host, path, pathType); returns them.
std::set<const IngressPath*> check_duplicates(const IngressModel& m, Collector& out) {
  std::set<const IngressPath*> duplicates;
  std::map<std::string, const IngressPath*> seen;
  for (const IngressPath* p : m.paths()) {
    const std::string key = lower_ascii(p->host) + '\x1f' + p->path.value_or("") + '\x1f' +
                            path_type_name(p->type);
    auto [it, inserted] = seen.emplace(key, p);
    if (inserted) continue;
    duplicates.insert(p);
    out.add(Severity::kError, p->field(),
            "duplicate of " + it->second->field() + " (" +
                describe_path(*p, Semantics::kKubernetes) + "): this entry never receives a request");
  }
  return duplicates;
}

void check_classes(const IngressModel& m, Collector& out) {
  if (!m.ingress_class_annotation.empty() && m.ingress_class_annotation != "opencontrail") {
    out.add(Severity::kWarning, "metadata.annotations[kubernetes.io/ingress.class]",
            "kubernetes.io/ingress.class is " + quoted(m.ingress_class_annotation) +
                ": Contrail's kube-manager ignores Ingresses of any class but opencontrail "
                "(and deletes their load balancer); csim's routers do not look at the class");
  }
  if (!m.ingress_class_name.empty() && m.ingress_class_name != "opencontrail") {
    out.add(Severity::kWarning, "spec.ingressClassName",
            "spec.ingressClassName is " + quoted(m.ingress_class_name) +
                ": Contrail does not read it and serves this Ingress anyway");
  }
}

void check_implementation_specific(const IngressModel& m, Collector& out) {
  std::vector<const IngressPath*> found;
  for (const IngressPath* p : m.paths())
    if (p->type == PathType::kImplementationSpecific && p->path) found.push_back(p);
  if (found.empty()) return;
  std::string examples;
  for (size_t i = 0; i < found.size() && i < 3; ++i)
    examples += (i == 0 ? "" : ", ") + *found[i]->path;
  if (found.size() > 3) examples += ", ...";
  out.add(Severity::kWarning, found.front()->field() + ".pathType",
          "pathType ImplementationSpecific on " + std::to_string(found.size()) + " path" +
              (found.size() == 1 ? "" : "s") + " (" + examples +
              "): csim matches it as Contrail does, exactly; other "
              "controllers (e.g. ingress-nginx) treat it as a prefix; say Exact or Prefix to be "
              "portable");
}

}  // namespace

const char* severity_name(Severity s) {
  switch (s) {
    case Severity::kError:
      return "error";
    case Severity::kDifference:
      return "difference";
    case Severity::kWarning:
      break;
  }
  return "warning";
}

std::vector<Finding> lint_ingress(const json& ingress, const std::vector<json>& services) {
  const IngressModel m = ingress_model(ingress);
  Collector out(m.id());
  check_services(m, services, out);
  const auto duplicates = check_duplicates(m, out);
  probe_differences(m, duplicates, out);
  check_classes(m, out);
  check_implementation_specific(m, out);
  return out.take();
}

bool lint_fails(const std::vector<Finding>& findings) {
  return std::any_of(findings.begin(), findings.end(),
                     [](const Finding& f) { return f.severity != Severity::kWarning; });
}

json finding_to_json(const Finding& f) {
  json j = {{"severity", severity_name(f.severity)},
            {"ingress", f.ingress},
            {"field", f.field},
            {"message", f.message},
            {"example", nullptr},
            {"contrail", f.contrail},
            {"kubernetes", f.kubernetes},
            {"requests", f.requests}};
  if (f.example) j["example"] = {{"host", f.example->host}, {"path", f.example->path}};
  return j;
}

std::string finding_to_text(const Finding& f) {
  std::string line = std::string(severity_name(f.severity)) + ": " + f.ingress + ": " + f.field +
                     ": " + f.message;
  if (f.example) {
    line += " (e.g. " +
            (f.example->host.empty() ? std::string("no Host header") : "Host " + f.example->host) +
            ", path " + f.example->path + ": contrail " + f.contrail + "; kubernetes " +
            f.kubernetes + ")";
  }
  return line;
}

}  // namespace csim::semantics
