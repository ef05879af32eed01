#include "kube/kube_manager/ingress_backends.h"

#include <algorithm>
#include <map>

namespace csim::kube {

namespace {

using nlohmann::json;

std::optional<std::string> string_field(const json& obj, const char* key) {
  if (!obj.is_object()) return std::nullopt;
  auto it = obj.find(key);
  if (it == obj.end() || !it->is_string()) return std::nullopt;
  return it->get<std::string>();
}

// Reads a backend's Service (v1: service.name / service.port.number|name; v1beta1:
// serviceName / servicePort). False when the backend names no Service.
bool read_service(const json& backend, IngressBackend& out) {
  if (!backend.is_object()) return false;
  if (auto svc = backend.find("service"); svc != backend.end() && svc->is_object()) {
    auto name = string_field(*svc, "name");
    if (!name || name->empty()) return false;
    out.service_name = *name;
    const json port = svc->value("port", json::object());
    if (port.is_object()) {
      if (auto n = port.find("number"); n != port.end() && n->is_number_integer())
        out.service_port_number = n->get<int>();
      else if (auto pn = string_field(port, "name"))
        out.service_port_name = *pn;
    }
    return true;
  }
  if (auto name = string_field(backend, "serviceName")) {
    out.service_name = *name;
    if (auto p = backend.find("servicePort"); p != backend.end()) {
      if (p->is_number_integer()) out.service_port_number = p->get<int>();
      else if (p->is_string()) out.service_port_name = p->get<std::string>();
    }
    return true;
  }
  return false;
}

}  // namespace

std::string IngressBackend::service_port_text() const {
  return service_port_number ? std::to_string(*service_port_number) : service_port_name;
}

std::vector<IngressBackend> ingress_backends(const json& spec, const std::string& ns,
                                             std::vector<std::string>* skipped) {
  std::vector<IngressBackend> out;
  if (!spec.is_object()) return out;

  // _get_tls_dict: host (or the pseudo-host "ALL") -> "<ns>__<secretName>".
  std::map<std::string, std::string> tls;
  if (auto t = spec.find("tls"); t != spec.end() && t->is_array()) {
    for (const auto& entry : *t) {
      auto secret = string_field(entry, "secretName");
      if (!secret) continue;
      std::vector<std::string> hosts;
      if (entry.contains("hosts") && entry["hosts"].is_array()) {
        for (const auto& h : entry["hosts"])
          if (h.is_string()) hosts.push_back(h.get<std::string>());
      } else {
        hosts.push_back("ALL");
      }
      for (const auto& h : hosts) tls[h] = ns + "__" + *secret;
    }
  }

  int index = 0;
  // One rule's backends (a rule without http, or without paths, gives none).
  auto add_rule_backends = [&](const json& rule, size_t r) {
    if (!rule.is_object() || !rule.contains("http")) return;
    const json& http = rule["http"];
    if (!http.is_object() || !http.contains("paths") || !http["paths"].is_array()) return;
    const json& paths = http["paths"];
    for (size_t p = 0; p < paths.size(); ++p) {
      const json& path = paths[p];
      const std::string source =
          "spec.rules[" + std::to_string(r) + "].http.paths[" + std::to_string(p) + "]";
      IngressBackend b;
      b.source = source;
      if (!path.is_object() || !read_service(path.value("backend", json::object()), b)) {
        if (skipped) skipped->push_back(source + ": backend is not a Service; skipped");
        continue;
      }
      std::string secret;
      bool virtual_host = false;
      if (auto host = string_field(rule, "host"); host && !host->empty()) {
        b.host = *host;
        if (auto it = tls.find(*host); it != tls.end()) {
          secret = it->second;
          virtual_host = true;
        }
      }
      b.path_type = string_field(path, "pathType");
      if (auto p_text = string_field(path, "path"); p_text) {
        b.path = *p_text;
        if (!virtual_host && tls.count("ALL")) secret = "ALL";
      }
      b.type = "acl";
      b.index = index;
      out.push_back(b);
      if (!secret.empty()) {
        IngressBackend https = b;
        https.listener_protocol = "TERMINATED_HTTPS";
        if (virtual_host)
          https.sni_containers = {secret};
        else
          https.default_tls_container = tls["ALL"];
        out.push_back(https);
      }
      ++index;
    }
  };

  std::vector<std::string> claimed_hosts;
  if (auto rules = spec.find("rules"); rules != spec.end() && rules->is_array()) {
    for (size_t r = 0; r < rules->size(); ++r) {
      const json& rule = (*rules)[r];
      const size_t backends_before = out.size();
      add_rule_backends(rule, r);
      if (out.size() == backends_before) {  // a rule that gives no backend still owns its host
        auto host = string_field(rule, "host");
        if (host && !host->empty() &&
            std::find(claimed_hosts.begin(), claimed_hosts.end(), *host) == claimed_hosts.end())
          claimed_hosts.push_back(*host);
      }
    }
  }

  const json* def = nullptr;
  if (auto d = spec.find("defaultBackend"); d != spec.end() && d->is_object()) def = &*d;
  else if (auto d1 = spec.find("backend"); d1 != spec.end() && d1->is_object()) def = &*d1;
  if (def) {
    IngressBackend b;
    b.source = spec.contains("defaultBackend") ? "spec.defaultBackend" : "spec.backend";
    if (!read_service(*def, b)) {
      if (skipped) skipped->push_back(b.source + ": backend is not a Service; skipped");
    } else {
      b.type = "default";
      b.index = index;
      out.push_back(b);
      if (tls.count("ALL")) {
        IngressBackend https = b;
        https.listener_protocol = "TERMINATED_HTTPS";
        https.default_tls_container = tls["ALL"];
        out.push_back(https);
      }
    }
  }
  for (auto& b : out) b.claimed_hosts = claimed_hosts;
  return out;
}

std::vector<std::pair<std::string, std::string>> pool_annotations(const IngressBackend& b) {
  std::vector<std::pair<std::string, std::string>> out;
  if (b.host) out.emplace_back("host", *b.host);
  if (b.path) out.emplace_back("path", *b.path);
  out.emplace_back("type", b.type);
  out.emplace_back("index", std::to_string(b.index));
  if (b.path_type) out.emplace_back("pathType", *b.path_type);
  if (!b.claimed_hosts.empty()) {
    std::string joined;
    for (const auto& h : b.claimed_hosts) joined += (joined.empty() ? "" : ",") + h;
    out.emplace_back("claimed_hosts", joined);
  }
  return out;
}

}  // namespace csim::kube
