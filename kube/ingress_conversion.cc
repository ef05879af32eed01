#include "kube/ingress_conversion.h"

namespace csim::kube {
namespace {

using nlohmann::json;

// Old backend {serviceName, servicePort, resource} -> v1 {service: {name, port}, resource}.
json backend_to_v1(const json& in) {
  if (!in.is_object()) return in;
  json out = in;
  out.erase("serviceName");
  out.erase("servicePort");
  if (in.contains("serviceName") || in.contains("servicePort")) {
    json service = json::object();
    if (in.contains("serviceName")) service["name"] = in["serviceName"];
    if (in.contains("servicePort")) {
      const json& port = in["servicePort"];
      if (port.is_number_integer())
        service["port"] = {{"number", port}};
      else if (port.is_string())
        service["port"] = {{"name", port}};
      else
        service["port"] = port;  // malformed: kept for validation to report
    }
    out["service"] = std::move(service);
  }
  return out;
}

// v1 backend -> old backend.
json backend_from_v1(const json& in) {
  if (!in.is_object()) return in;
  json out = in;
  out.erase("service");
  if (in.contains("service") && in["service"].is_object()) {
    const json& service = in["service"];
    if (service.contains("name")) out["serviceName"] = service["name"];
    if (service.contains("port") && service["port"].is_object()) {
      const json& port = service["port"];
      if (port.contains("number"))
        out["servicePort"] = port["number"];
      else if (port.contains("name"))
        out["servicePort"] = port["name"];
    }
  }
  return out;
}

// Applies `convert_backend` to every backend of the spec, and `path_fn` to every path.
template <class BackendFn, class PathFn>
void walk_spec(json& spec, BackendFn convert_backend, PathFn path_fn) {
  if (!spec.is_object() || !spec.contains("rules") || !spec["rules"].is_array()) return;
  for (json& rule : spec["rules"]) {
    if (!rule.is_object() || !rule.contains("http") || !rule["http"].is_object()) continue;
    json& http = rule["http"];
    if (!http.contains("paths") || !http["paths"].is_array()) continue;
    for (json& path : http["paths"]) {
      if (!path.is_object()) continue;
      if (path.contains("backend")) path["backend"] = convert_backend(path["backend"]);
      path_fn(path);
    }
  }
}

core::Status check_ingress(const json& ingress) {
  if (!ingress.is_object() || ingress.value("kind", json()) != "Ingress")
    return core::invalid("not an Ingress");
  return core::Status::ok();
}

}  // namespace

bool is_ingress_api_version(const std::string& v) {
  return v == kIngressV1 || v == kIngressNetworkingV1beta1 || v == kIngressExtensionsV1beta1;
}

core::Result<json> ingress_to_v1(const json& ingress) {
  if (auto s = check_ingress(ingress); !s.is_ok()) return s;
  const json version = ingress.value("apiVersion", json());
  if (!version.is_string() || !is_ingress_api_version(version.get<std::string>()))
    return core::invalid("apiVersion: Ingress apiVersion " + version.dump() +
                         " is not supported (supported: networking.k8s.io/v1, "
                         "networking.k8s.io/v1beta1, extensions/v1beta1)");
  if (version == kIngressV1) return ingress;
  json out = ingress;
  out["apiVersion"] = kIngressV1;
  if (out.contains("spec") && out["spec"].is_object()) {
    json& spec = out["spec"];
    if (spec.contains("backend")) {
      spec["defaultBackend"] = backend_to_v1(spec["backend"]);
      spec.erase("backend");
    }
    walk_spec(spec, backend_to_v1, [](json& path) {
      if (!path.contains("pathType") || path["pathType"].is_null())
        path["pathType"] = "ImplementationSpecific";
    });
  }
  return out;
}

core::Result<json> ingress_from_v1(const json& ingress, const std::string& api_version) {
  if (auto s = check_ingress(ingress); !s.is_ok()) return s;
  if (ingress.value("apiVersion", json()) != kIngressV1)
    return core::invalid("ingress_from_v1: the Ingress is not networking.k8s.io/v1");
  if (!is_ingress_api_version(api_version))
    return core::invalid("Ingress apiVersion \"" + api_version +
                         "\" is not supported (supported: networking.k8s.io/v1, "
                         "networking.k8s.io/v1beta1, extensions/v1beta1)");
  if (api_version == kIngressV1) return ingress;
  json out = ingress;
  out["apiVersion"] = api_version;
  if (out.contains("spec") && out["spec"].is_object()) {
    json& spec = out["spec"];
    if (spec.contains("defaultBackend")) {
      spec["backend"] = backend_from_v1(spec["defaultBackend"]);
      spec.erase("defaultBackend");
    }
    walk_spec(spec, backend_from_v1, [](json&) {});
  }
  return out;
}

}  // namespace csim::kube
