#include "kube/ingress_validation.h"

#include <set>
#include <string>
#include <vector>

#include "kube/ingress_conversion.h"
#include "kube/validation_rules.h"

namespace csim::kube {
namespace {

using nlohmann::json;

const std::vector<std::string> kPathTypes = {"Exact", "ImplementationSpecific", "Prefix"};

bool present(const json& parent, const char* key) {
  return parent.is_object() && parent.contains(key) && !parent[key].is_null();
}

// Reports keys of `obj` outside `known`.
void unknown_fields(const json& obj, const std::string& field, const std::set<std::string>& known,
                    FieldErrors& e, const std::string& hint_for = "", const std::string& hint = "") {
  if (!obj.is_object()) return;
  for (auto it = obj.begin(); it != obj.end(); ++it) {
    if (known.count(it.key())) continue;
    std::string detail = "unknown field";
    if (!hint_for.empty() && it.key() == hint_for) detail += " (" + hint + ")";
    std::string expected;
    for (const auto& k : known) expected += (expected.empty() ? "" : ", ") + k;
    detail += "; expected one of: " + expected;
    e.invalid(field_child(field, it.key()), it.value(), detail);
  }
}

void validate_v1_backend(const json& b, const std::string& f, FieldErrors& e) {
  if (!e.expect_object(f, b)) return;
  unknown_fields(b, f, {"resource", "service"}, e, "serviceName",
                 "networking.k8s.io/v1 writes service.name and service.port");
  const bool has_service = present(b, "service");
  const bool has_resource = present(b, "resource");
  if (has_resource)
    e.invalid(field_child(f, "resource"), b["resource"],
              "csim supports only Service backends (service.name and service.port)");
  if (!has_service) {
    if (!has_resource) e.required(field_child(f, "service"), "a backend needs a Service name and port");
    return;
  }
  const std::string fs = field_child(f, "service");
  const json& svc = b["service"];
  if (!e.expect_object(fs, svc)) return;
  unknown_fields(svc, fs, {"name", "port"}, e);
  if (!present(svc, "name")) {
    e.required(field_child(fs, "name"));
  } else if (e.expect_string(field_child(fs, "name"), svc["name"])) {
    e.problems(field_child(fs, "name"), svc["name"], check_dns1035_label(svc["name"]));
  }
  const std::string fp = field_child(fs, "port");
  if (!present(svc, "port")) {
    e.required(fp, "port name or number is required");
    return;
  }
  const json& port = svc["port"];
  if (!e.expect_object(fp, port)) return;
  unknown_fields(port, fp, {"name", "number"}, e);
  const bool has_number = present(port, "number");
  const bool has_name = present(port, "name");
  if (has_number && has_name) {
    e.invalid(fp, port, "cannot set both port name & port number");
  } else if (!has_number && !has_name) {
    e.required(fp, "port name or number is required");
  } else if (has_number) {
    e.port_number(field_child(fp, "number"), port["number"]);
  } else if (e.expect_string(field_child(fp, "name"), port["name"])) {
    e.problems(field_child(fp, "name"), port["name"], check_iana_svc_name(port["name"]));
  }
}

void validate_old_backend(const json& b, const std::string& f, const std::string& version,
                          FieldErrors& e) {
  if (!e.expect_object(f, b)) return;
  unknown_fields(b, f, {"resource", "serviceName", "servicePort"}, e, "service",
                 version + " writes serviceName and servicePort");
  const bool has_resource = present(b, "resource");
  if (has_resource)
    e.invalid(field_child(f, "resource"), b["resource"],
              "csim supports only Service backends (serviceName and servicePort)");
  const std::string fn = field_child(f, "serviceName");
  if (!present(b, "serviceName")) {
    if (!has_resource) e.required(fn);
  } else if (e.expect_string(fn, b["serviceName"])) {
    e.problems(fn, b["serviceName"], check_dns1035_label(b["serviceName"]));
  }
  const std::string fp = field_child(f, "servicePort");
  if (!present(b, "servicePort")) {
    if (!has_resource) e.required(fp, "a port number or name");
    return;
  }
  const json& port = b["servicePort"];
  if (port.is_number_integer()) {
    e.port_number(fp, port);
  } else if (port.is_string()) {
    e.problems(fp, port, check_iana_svc_name(port));
  } else {
    e.invalid(fp, port, "must be a port number or a port name");
  }
}

void validate_backend(const json& b, const std::string& f, const std::string& version,
                      FieldErrors& e) {
  if (version == kIngressV1)
    validate_v1_backend(b, f, e);
  else
    validate_old_backend(b, f, version, e);
}

void validate_host(const json& host, const std::string& f, FieldErrors& e) {
  if (!e.expect_string(f, host)) return;
  const std::string h = host;
  if (h.empty()) return;
  e.problems(f, host, check_ingress_host(h));
}

void validate_path(const json& p, const std::string& f, const std::string& version,
                   FieldErrors& e) {
  if (!e.expect_object(f, p)) return;
  unknown_fields(p, f, {"backend", "path", "pathType"}, e);
  const bool v1 = version == kIngressV1;
  std::string type = "ImplementationSpecific";
  const std::string ft = field_child(f, "pathType");
  if (!present(p, "pathType")) {
    if (v1) e.required(ft, "pathType must be specified: Exact, Prefix or ImplementationSpecific");
  } else if (e.expect_string(ft, p["pathType"])) {
    type = p["pathType"];
    bool known = false;
    for (const auto& t : kPathTypes) known = known || t == type;
    if (!known) e.not_supported(ft, p["pathType"], kPathTypes);
  }
  const bool strict = type == "Exact" || type == "Prefix";
  const std::string fp = field_child(f, "path");
  if (!present(p, "path")) {
    if (strict) e.required(fp, "pathType " + type + " needs a path starting with '/'");
  } else if (e.expect_string(fp, p["path"])) {
    const std::string path = p["path"];
    if (path.empty()) {
      if (strict) e.invalid(fp, p["path"], "must start with '/'");
    } else {
      if (path[0] != '/') e.invalid(fp, p["path"], "must start with '/'");
      e.problems(fp, p["path"], check_path_characters(path));
      if (strict) {
        for (const char* seq : {"//", "/./", "/../", "%2f", "%2F"})
          if (path.find(seq) != std::string::npos)
            e.invalid(fp, p["path"], std::string("must not contain '") + seq + "'");
        for (const std::string suffix : {"/..", "/."})
          if (path.size() >= suffix.size() &&
              path.compare(path.size() - suffix.size(), suffix.size(), suffix) == 0)
            e.invalid(fp, p["path"], "cannot end with '" + suffix + "'");
      }
    }
  }
  const std::string fb = field_child(f, "backend");
  if (!present(p, "backend"))
    e.required(fb, "every path needs a backend");
  else
    validate_backend(p["backend"], fb, version, e);
}

}  // namespace

void validate_ingress_spec(const json& ingress, FieldErrors& e) {
  const std::string version = ingress.value("apiVersion", "");
  const bool v1 = version == kIngressV1;
  if (!present(ingress, "spec")) {
    e.required("spec", v1 ? "an Ingress needs rules or a defaultBackend"
                          : "an Ingress needs rules or a backend");
    return;
  }
  const json& spec = ingress["spec"];
  if (!e.expect_object("spec", spec)) return;
  const std::string default_field = v1 ? "defaultBackend" : "backend";
  if (v1) {
    unknown_fields(spec, "spec", {"defaultBackend", "ingressClassName", "rules", "tls"}, e,
                   "backend", "networking.k8s.io/v1 calls it defaultBackend");
  } else {
    unknown_fields(spec, "spec", {"backend", "ingressClassName", "rules", "tls"}, e,
                   "defaultBackend", version + " calls it backend");
  }
  const bool has_default = present(spec, default_field.c_str());
  if (has_default) validate_backend(spec[default_field], "spec." + default_field, version, e);

  bool has_rules = false;
  if (present(spec, "rules") && e.expect_array("spec.rules", spec["rules"])) {
    const json& rules = spec["rules"];
    has_rules = !rules.empty();
    for (size_t i = 0; i < rules.size(); ++i) {
      const std::string f = field_index("spec.rules", i);
      const json& rule = rules[i];
      if (!e.expect_object(f, rule)) continue;
      unknown_fields(rule, f, {"host", "http"}, e);
      if (present(rule, "host")) validate_host(rule["host"], field_child(f, "host"), e);
      if (!present(rule, "http")) continue;
      const std::string fh = field_child(f, "http");
      const json& http = rule["http"];
      if (!e.expect_object(fh, http)) continue;
      unknown_fields(http, fh, {"paths"}, e);
      const std::string fps = field_child(fh, "paths");
      if (!present(http, "paths")) {
        e.required(fps);
        continue;
      }
      if (!e.expect_array(fps, http["paths"])) continue;
      if (http["paths"].empty()) e.required(fps, "at least one path");
      for (size_t j = 0; j < http["paths"].size(); ++j)
        validate_path(http["paths"][j], field_index(fps, j), version, e);
    }
  }
  if (!has_default && !has_rules)
    e.invalid("spec", nullptr, "either `" + default_field + "` or `rules` must be specified");

  if (present(spec, "tls") && e.expect_array("spec.tls", spec["tls"])) {
    for (size_t i = 0; i < spec["tls"].size(); ++i) {
      const std::string f = field_index("spec.tls", i);
      const json& tls = spec["tls"][i];
      if (!e.expect_object(f, tls)) continue;
      unknown_fields(tls, f, {"hosts", "secretName"}, e);
      if (present(tls, "hosts") && e.expect_array(field_child(f, "hosts"), tls["hosts"])) {
        for (size_t j = 0; j < tls["hosts"].size(); ++j)
          validate_host(tls["hosts"][j], field_index(field_child(f, "hosts"), j), e);
      }
      if (present(tls, "secretName") &&
          e.expect_string(field_child(f, "secretName"), tls["secretName"]))
        e.problems(field_child(f, "secretName"), tls["secretName"],
                   check_dns1123_subdomain(tls["secretName"]));
    }
  }
  if (present(spec, "ingressClassName") &&
      e.expect_string("spec.ingressClassName", spec["ingressClassName"]))
    e.problems("spec.ingressClassName", spec["ingressClassName"],
               check_dns1123_subdomain(spec["ingressClassName"]));
}

}  // namespace csim::kube
