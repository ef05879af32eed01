#include "semantics/ingress_model.h"

#include "kube/ingress_conversion.h"

namespace csim::semantics {
namespace {

using nlohmann::json;

// The string at `key` of object `j`, or "" when `j` is not an object or the value is not a string.
std::string string_at(const json& j, const char* key) {
  if (!j.is_object()) return "";
  auto it = j.find(key);
  if (it == j.end() || !it->is_string()) return "";
  return it->get<std::string>();
}

const json* child(const json& j, const char* key) {
  if (!j.is_object()) return nullptr;
  auto it = j.find(key);
  return it == j.end() ? nullptr : &*it;
}

void read_port(const json* port, BackendRef& ref) {
  if (port == nullptr) return;
  if (port->is_number_integer()) {  // old shape: servicePort: 80
    ref.port_number = port->get<int64_t>();
  } else if (port->is_string()) {  // old shape: servicePort: http
    ref.port_name = port->get<std::string>();
  } else if (port->is_object()) {  // v1: port: {number: 80} / {name: http}
    const json* number = child(*port, "number");
    if (number != nullptr && number->is_number_integer()) ref.port_number = number->get<int64_t>();
    ref.port_name = string_at(*port, "name");
  }
}

PathType path_type(const json& path) {
  const std::string t = string_at(path, "pathType");
  if (t == "Exact") return PathType::kExact;
  if (t == "Prefix") return PathType::kPrefix;
  return PathType::kImplementationSpecific;
}

}  // namespace

std::string BackendRef::to_string() const {
  if (!is_service()) return "resource " + resource;
  if (port_number) return service + ":" + std::to_string(*port_number);
  if (!port_name.empty()) return service + ":" + port_name;
  return service;
}

const char* path_type_name(PathType type) {
  switch (type) {
    case PathType::kExact:
      return "Exact";
    case PathType::kPrefix:
      return "Prefix";
    case PathType::kImplementationSpecific:
      break;
  }
  return "ImplementationSpecific";
}

std::string IngressPath::field() const {
  return "spec.rules[" + std::to_string(rule) + "].http.paths[" + std::to_string(index) + "]";
}

std::string IngressRule::field() const { return "spec.rules[" + std::to_string(index) + "]"; }

std::vector<const IngressPath*> IngressModel::paths() const {
  std::vector<const IngressPath*> out;
  for (const auto& rule : rules)
    for (const auto& p : rule.paths) out.push_back(&p);
  return out;
}

std::optional<BackendRef> backend_ref(const json& backend) {
  if (!backend.is_object()) return std::nullopt;
  BackendRef ref;
  if (const json* service = child(backend, "service"); service != nullptr) {
    ref.service = string_at(*service, "name");
    read_port(child(*service, "port"), ref);
  } else if (backend.contains("serviceName")) {
    ref.service = string_at(backend, "serviceName");
    read_port(child(backend, "servicePort"), ref);
  }
  if (ref.is_service()) return ref;
  if (const json* resource = child(backend, "resource"); resource != nullptr) {
    const std::string group = string_at(*resource, "apiGroup");
    const std::string kind = string_at(*resource, "kind");
    const std::string name = string_at(*resource, "name");
    if (kind.empty() && name.empty()) return std::nullopt;
    ref = BackendRef{};
    ref.resource = (group.empty() ? "" : group + "/") + kind + "/" + name;
    return ref;
  }
  return std::nullopt;
}

IngressModel ingress_model(const json& input) {
  json converted;
  const json* ingress = &input;
  const std::string version = string_at(input, "apiVersion");
  if (version != kube::kIngressV1 && kube::is_ingress_api_version(version)) {
    auto v1 = kube::ingress_to_v1(input);
    if (v1.is_ok()) {
      converted = std::move(*v1);
      ingress = &converted;
    }
  }

  IngressModel model;
  const json* metadata = child(*ingress, "metadata");
  if (metadata != nullptr) {
    model.name = string_at(*metadata, "name");
    if (std::string ns = string_at(*metadata, "namespace"); !ns.empty()) model.ns = ns;
    if (const json* annotations = child(*metadata, "annotations"); annotations != nullptr)
      model.ingress_class_annotation = string_at(*annotations, "kubernetes.io/ingress.class");
  }
  const json* spec = child(*ingress, "spec");
  if (spec == nullptr || !spec->is_object()) return model;
  model.ingress_class_name = string_at(*spec, "ingressClassName");
  if (const json* d = child(*spec, "defaultBackend"); d != nullptr)
    model.default_backend = backend_ref(*d);
  else if (const json* b = child(*spec, "backend"); b != nullptr)
    model.default_backend = backend_ref(*b);

  if (const json* tls = child(*spec, "tls"); tls != nullptr && tls->is_array()) {
    for (const json& entry : *tls) {
      IngressTls t;
      t.secret = string_at(entry, "secretName");
      if (t.secret.empty()) continue;  // kube-manager skips it too
      const json* hosts = child(entry, "hosts");
      t.all_hosts = hosts == nullptr || !hosts->is_array();
      if (!t.all_hosts)
        for (const json& h : *hosts)
          if (h.is_string()) t.hosts.push_back(h.get<std::string>());
      model.tls.push_back(std::move(t));
    }
  }

  const json* rules = child(*spec, "rules");
  if (rules == nullptr || !rules->is_array()) return model;
  for (size_t r = 0; r < rules->size(); ++r) {
    const json& rule_json = (*rules)[r];
    IngressRule rule;
    rule.index = static_cast<int>(r);
    rule.host = string_at(rule_json, "host");
    const json* http = child(rule_json, "http");
    rule.has_http = http != nullptr && http->is_object();
    const json* paths = rule.has_http ? child(*http, "paths") : nullptr;
    if (paths != nullptr && paths->is_array()) {
      for (size_t i = 0; i < paths->size(); ++i) {
        const json& p = (*paths)[i];
        IngressPath entry;
        entry.rule = rule.index;
        entry.index = static_cast<int>(i);
        entry.host = rule.host;
        if (std::string path = string_at(p, "path"); !path.empty()) entry.path = path;
        entry.type = path_type(p);
        if (const json* backend = child(p, "backend"); backend != nullptr)
          entry.backend = backend_ref(*backend);
        rule.paths.push_back(std::move(entry));
      }
    }
    model.rules.push_back(std::move(rule));
  }
  return model;
}

}  // namespace csim::semantics
