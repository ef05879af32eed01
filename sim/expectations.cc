#include "sim/expectations.h"

#include <map>

#include "semantics/route.h"

#include <algorithm>
#include <cctype>

namespace csim::sim {
namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

std::optional<std::string> backend_service(const nlohmann::json& backend) {
  if (!backend.is_object()) return std::nullopt;
  if (backend.contains("service")) return backend["service"].value("name", "");
  if (backend.contains("serviceName")) return backend["serviceName"].get<std::string>();
  return std::nullopt;
}

const nlohmann::json& default_backend(const nlohmann::json& spec) {
  static const nlohmann::json kNull;
  if (spec.contains("defaultBackend")) return spec["defaultBackend"];
  if (spec.contains("backend")) return spec["backend"];
  return kNull;
}

}  // namespace

std::optional<std::string> contrail_route(const nlohmann::json& ingress, const std::string& host,
                                          const std::string& path) {
  semantics::RouteDecision d = semantics::route_contrail(ingress, host, path);
  if (!d.backend) return std::nullopt;
  return d.backend->service;
}

std::vector<ExpectedCase> expected_cases(const nlohmann::json& ingress, const std::string& semantics_name) {
  const auto mode = semantics::parse_semantics(semantics_name).value_or(semantics::Semantics::kContrail);
  std::vector<ExpectedCase> cases;
  const nlohmann::json spec = ingress.value("spec", nlohmann::json::object());
  bool any_host = false;
  auto add = [&](const std::string& host, const std::string& path, const std::string& why) {
    for (const auto& c : cases)
      if (c.host == host && c.path == path) return;
    semantics::RouteDecision d = semantics::route(mode, ingress, host, path);
    std::optional<std::string> service;
    if (d.backend) service = d.backend->service;
    cases.push_back({host, path, service, d.backend ? 200 : d.status, why});
  };
  const auto rules = spec.value("rules", nlohmann::json::array());
  for (size_t r = 0; r < rules.size(); ++r) {
    const auto& rule = rules[r];
    if (!rule.contains("http")) continue;
    const std::string host = rule.value("host", "");
    any_host |= !host.empty();
    const auto paths = rule["http"].value("paths", nlohmann::json::array());
    for (size_t i = 0; i < paths.size(); ++i) {
      std::string path = paths[i].value("path", "");
      add(host, path.empty() ? "/" : path,
          "rule " + std::to_string(r) + (host.empty() ? "" : " host " + host) +
              (path.empty() ? " (any path)" : " path " + path));
    }
  }
  const std::string first_host = [&] {
    for (const auto& rule : rules)
      if (!rule.value("host", "").empty()) return rule["host"].get<std::string>();
    return std::string();
  }();
  add(first_host, "/", "the root path");
  add(first_host, "/csim-unmatched.html", "a path no rule names");
  if (any_host) add("unmatched.example", "/", "a host no rule names");
  for (auto& c : cases) {
    if (c.why.rfind("rule", 0) != 0) c.why += c.service ? "" : ", no default backend";
  }

  // The same requests over HTTPS, when the Ingress terminates TLS.
  const semantics::IngressModel model = semantics::ingress_model(ingress);
  const semantics::HttpsView https = semantics::https_view(model);
  if (https.has_https) {
    std::string all_secret;
    std::map<std::string, std::string> host_secret;  // the first entry naming a host wins
    for (const auto& t : model.tls) {
      if (t.all_hosts && all_secret.empty()) all_secret = model.ns + "/" + t.secret;
      for (const auto& h : t.hosts) host_secret.emplace(h, model.ns + "/" + t.secret);
    }
    const size_t http_cases = cases.size();
    for (size_t i = 0; i < http_cases; ++i) {
      ExpectedCase c = cases[i];
      c.https = true;
      semantics::RouteDecision d = mode == semantics::Semantics::kContrail
                                       ? semantics::route_contrail(https.model, c.host, c.path)
                                       : semantics::route_kubernetes(https.model, c.host, c.path);
      c.service = d.backend ? std::optional<std::string>(d.backend->service) : std::nullopt;
      c.status = d.backend ? 200 : d.status;
      auto it = host_secret.find(c.host);
      c.tls_secret = it != host_secret.end() ? it->second : all_secret;
      cases.push_back(std::move(c));
    }
  }
  return cases;
}

std::optional<std::string> service_for_labels(const std::vector<nlohmann::json>& services,
                                              const nlohmann::json& labels) {
  std::optional<std::string> found;
  for (const auto& svc : services) {
    const auto selector = svc.value("spec", nlohmann::json::object()).value("selector", nlohmann::json());
    if (!selector.is_object() || selector.empty()) continue;
    bool match = true;
    for (const auto& [k, v] : selector.items()) {
      if (!labels.is_object() || !labels.contains(k) || labels[k] != v) {
        match = false;
        break;
      }
    }
    if (!match) continue;
    if (found) return std::nullopt;  // ambiguous
    found = svc["metadata"].value("name", "");
  }
  return found;
}

}  // namespace csim::sim
