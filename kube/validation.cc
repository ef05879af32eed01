#include "kube/validation.h"

#include <map>
#include <optional>
#include <set>
#include <string>

#include "kube/config_map.h"
#include "kube/ingress_validation.h"
#include "kube/kinds.h"
#include "kube/secret.h"
#include "kube/validation_rules.h"

namespace csim::kube {
namespace {

using nlohmann::json;

const std::vector<std::string> kProtocols = {"SCTP", "TCP", "UDP"};

bool present(const json& parent, const char* key) {
  return parent.is_object() && parent.contains(key) && !parent[key].is_null();
}

bool one_of(const std::string& v, const std::vector<std::string>& set) {
  for (const auto& s : set)
    if (s == v) return true;
  return false;
}

void validate_protocol(const json& parent, const std::string& f, FieldErrors& e) {
  if (!present(parent, "protocol")) return;
  const std::string fp = field_child(f, "protocol");
  if (e.expect_string(fp, parent["protocol"]) && !one_of(parent["protocol"], kProtocols))
    e.not_supported(fp, parent["protocol"], kProtocols);
}

// The rule Kubernetes checks each kind's metadata.name with.
Problems check_name(const std::string& kind, const std::string& name) {
  if (kind == "Namespace") return check_dns1123_label(name);
  if (kind == "Service") return check_dns1035_label(name);
  return check_dns1123_subdomain(name);
}

void validate_service(const json& obj, FieldErrors& e) {
  if (!present(obj, "spec")) {
    e.required("spec");
    return;
  }
  const json& spec = obj["spec"];
  if (!e.expect_object("spec", spec)) return;
  std::string type = "ClusterIP";
  if (present(spec, "type") && e.expect_string("spec.type", spec["type"])) {
    type = spec["type"];
    const std::vector<std::string> types = {"ClusterIP", "ExternalName", "LoadBalancer", "NodePort"};
    if (!one_of(type, types)) e.not_supported("spec.type", spec["type"], types);
  }
  std::string cluster_ip;
  if (present(spec, "clusterIP") && e.expect_string("spec.clusterIP", spec["clusterIP"])) {
    cluster_ip = spec["clusterIP"];
    if (!cluster_ip.empty() && cluster_ip != "None" && !is_ipv4_address(cluster_ip))
      e.invalid("spec.clusterIP", spec["clusterIP"], "must be a valid IPv4 address or \"None\"");
  }
  if (type == "ExternalName") {
    if (!present(spec, "externalName"))
      e.required("spec.externalName", "for type ExternalName");
    else if (e.expect_string("spec.externalName", spec["externalName"]))
      e.problems("spec.externalName", spec["externalName"],
                 check_dns1123_subdomain(spec["externalName"]));
  }
  const bool ports_optional = type == "ExternalName" || cluster_ip == "None";
  if (!present(spec, "ports") || (spec["ports"].is_array() && spec["ports"].empty())) {
    if (!ports_optional) e.required("spec.ports", "a Service needs at least one port");
  } else if (e.expect_array("spec.ports", spec["ports"])) {
    const json& ports = spec["ports"];
    std::set<std::string> names;
    std::set<std::string> port_protocols;
    for (size_t i = 0; i < ports.size(); ++i) {
      const std::string f = field_index("spec.ports", i);
      const json& p = ports[i];
      if (!e.expect_object(f, p)) continue;
      const std::string fn = field_child(f, "name");
      if (!present(p, "name") || (p["name"].is_string() && p["name"].get<std::string>().empty())) {
        if (ports.size() > 1) e.required(fn, "every port needs a name when there are several");
      } else if (e.expect_string(fn, p["name"])) {
        e.problems(fn, p["name"], check_dns1123_label(p["name"]));
        if (!names.insert(p["name"]).second) e.duplicate(fn, p["name"]);
      }
      if (!present(p, "port"))
        e.required(field_child(f, "port"));
      else
        e.port_number(field_child(f, "port"), p["port"]);
      validate_protocol(p, f, e);
      if (present(p, "targetPort")) {
        const std::string ft = field_child(f, "targetPort");
        const json& tp = p["targetPort"];
        if (tp.is_number_integer())
          e.port_number(ft, tp);
        else if (tp.is_string())
          e.problems(ft, tp, check_iana_svc_name(tp));
        else
          e.invalid(ft, tp, "must be a port number or a port name");
      }
      if (present(p, "nodePort")) e.port_number(field_child(f, "nodePort"), p["nodePort"]);
      if (p.contains("port") && p["port"].is_number_integer()) {
        std::string key = std::to_string(p["port"].get<int64_t>()) + "/" +
                          (p.value("protocol", json("TCP")).is_string()
                               ? p.value("protocol", std::string("TCP"))
                               : std::string("?"));
        if (!port_protocols.insert(key).second) e.duplicate(f, key);
      }
    }
  }
  if (present(spec, "selector")) validate_labels(spec["selector"], "spec.selector", e);
}

void validate_container(const json& c, const std::string& f, std::set<std::string>& port_names,
                        FieldErrors& e) {
  if (!e.expect_object(f, c)) return;
  const std::string fi = field_child(f, "image");
  if (!present(c, "image") || (c["image"].is_string() && c["image"].get<std::string>().empty()))
    e.required(fi);
  else
    e.expect_string(fi, c["image"]);
  if (present(c, "ports") && e.expect_array(field_child(f, "ports"), c["ports"])) {
    for (size_t i = 0; i < c["ports"].size(); ++i) {
      const std::string fp = field_index(field_child(f, "ports"), i);
      const json& p = c["ports"][i];
      if (!e.expect_object(fp, p)) continue;
      if (!present(p, "containerPort"))
        e.required(field_child(fp, "containerPort"));
      else
        e.port_number(field_child(fp, "containerPort"), p["containerPort"]);
      if (present(p, "hostPort") && !(p["hostPort"].is_number_integer() && p["hostPort"] == 0))
        e.port_number(field_child(fp, "hostPort"), p["hostPort"]);
      validate_protocol(p, fp, e);
      if (present(p, "name") && e.expect_string(field_child(fp, "name"), p["name"])) {
        e.problems(field_child(fp, "name"), p["name"], check_iana_svc_name(p["name"]));
        if (!port_names.insert(p["name"]).second) e.duplicate(field_child(fp, "name"), p["name"]);
      }
    }
  }
  if (present(c, "env") && e.expect_array(field_child(f, "env"), c["env"])) {
    for (size_t i = 0; i < c["env"].size(); ++i) {
      const std::string fe = field_index(field_child(f, "env"), i);
      const json& v = c["env"][i];
      if (!e.expect_object(fe, v)) continue;
      if (!present(v, "name"))
        e.required(field_child(fe, "name"));
      else
        e.expect_string(field_child(fe, "name"), v["name"]);
      if (present(v, "value")) e.expect_string(field_child(fe, "value"), v["value"]);
    }
  }
  for (const char* list : {"command", "args"}) {
    if (!present(c, list)) continue;
    const std::string fl = field_child(f, list);
    if (!e.expect_array(fl, c[list])) continue;
    for (size_t i = 0; i < c[list].size(); ++i) e.expect_string(field_index(fl, i), c[list][i]);
  }
}

// Does `selector` (matchLabels + matchExpressions) select `labels`?
bool selector_matches(const json& selector, const json& labels) {
  auto label = [&](const std::string& key) -> std::optional<std::string> {
    if (!labels.is_object() || !labels.contains(key) || !labels[key].is_string()) return std::nullopt;
    return labels[key].get<std::string>();
  };
  if (present(selector, "matchLabels") && selector["matchLabels"].is_object()) {
    for (auto it = selector["matchLabels"].begin(); it != selector["matchLabels"].end(); ++it) {
      auto v = label(it.key());
      if (!v || !it.value().is_string() || *v != it.value().get<std::string>()) return false;
    }
  }
  if (present(selector, "matchExpressions") && selector["matchExpressions"].is_array()) {
    for (const json& ex : selector["matchExpressions"]) {
      if (!ex.is_object()) return false;
      auto v = label(ex.value("key", ""));
      const std::string op = ex.value("operator", "");
      bool in = false;
      if (v && ex.contains("values") && ex["values"].is_array())
        for (const json& x : ex["values"]) in = in || (x.is_string() && x.get<std::string>() == *v);
      if (op == "In" && !in) return false;
      if (op == "NotIn" && in) return false;
      if (op == "Exists" && !v) return false;
      if (op == "DoesNotExist" && v) return false;
    }
  }
  return true;
}

void validate_selector(const json& sel, const std::string& f, FieldErrors& e) {
  if (!e.expect_object(f, sel)) return;
  bool empty = true;
  if (present(sel, "matchLabels")) {
    validate_labels(sel["matchLabels"], field_child(f, "matchLabels"), e);
    empty = empty && sel["matchLabels"].is_object() && sel["matchLabels"].empty();
  }
  if (present(sel, "matchExpressions") &&
      e.expect_array(field_child(f, "matchExpressions"), sel["matchExpressions"])) {
    const json& exprs = sel["matchExpressions"];
    empty = empty && exprs.empty();
    const std::vector<std::string> ops = {"DoesNotExist", "Exists", "In", "NotIn"};
    for (size_t i = 0; i < exprs.size(); ++i) {
      const std::string fx = field_index(field_child(f, "matchExpressions"), i);
      const json& ex = exprs[i];
      if (!e.expect_object(fx, ex)) continue;
      if (!present(ex, "key"))
        e.required(field_child(fx, "key"));
      else if (e.expect_string(field_child(fx, "key"), ex["key"]))
        e.problems(field_child(fx, "key"), ex["key"], check_qualified_name(ex["key"]));
      std::string op;
      if (!present(ex, "operator")) {
        e.required(field_child(fx, "operator"));
      } else if (e.expect_string(field_child(fx, "operator"), ex["operator"])) {
        op = ex["operator"];
        if (!one_of(op, ops)) e.not_supported(field_child(fx, "operator"), ex["operator"], ops);
      }
      const size_t n = present(ex, "values") && ex["values"].is_array() ? ex["values"].size() : 0;
      if ((op == "In" || op == "NotIn") && n == 0)
        e.required(field_child(fx, "values"), "must be specified when `operator` is 'In' or 'NotIn'");
      if ((op == "Exists" || op == "DoesNotExist") && n != 0)
        e.forbidden(field_child(fx, "values"),
                    "may not be specified when `operator` is 'Exists' or 'DoesNotExist'");
    }
  }
  if (empty) e.invalid(f, sel, "empty selector is invalid for deployment");
}

void validate_deployment(const json& obj, FieldErrors& e) {
  if (!present(obj, "spec")) {
    e.required("spec");
    return;
  }
  const json& spec = obj["spec"];
  if (!e.expect_object("spec", spec)) return;
  if (present(spec, "replicas") && e.expect_integer("spec.replicas", spec["replicas"]) &&
      spec["replicas"].get<int64_t>() < 0)
    e.invalid("spec.replicas", spec["replicas"], "must be greater than or equal to 0");
  if (!present(spec, "selector"))
    e.required("spec.selector");
  else
    validate_selector(spec["selector"], "spec.selector", e);
  if (!present(spec, "template")) {
    e.required("spec.template");
    return;
  }
  const json& tmpl = spec["template"];
  if (!e.expect_object("spec.template", tmpl)) return;
  json labels = json::object();
  if (!present(tmpl, "metadata") || !present(tmpl["metadata"], "labels")) {
    e.required("spec.template.metadata.labels", "the pods need labels the selector matches");
  } else if (e.expect_object("spec.template.metadata", tmpl["metadata"])) {
    labels = tmpl["metadata"]["labels"];
    validate_labels(labels, "spec.template.metadata.labels", e);
    if (present(spec, "selector") && spec["selector"].is_object() &&
        !selector_matches(spec["selector"], labels))
      e.invalid("spec.template.metadata.labels", labels, "`selector` does not match template `labels`");
  }
  if (!present(tmpl, "spec"))
    e.required("spec.template.spec");
  else
    validate_pod_spec(tmpl["spec"], "spec.template.spec", true, e);
  if (present(spec, "strategy") && e.expect_object("spec.strategy", spec["strategy"]) &&
      present(spec["strategy"], "type") &&
      e.expect_string("spec.strategy.type", spec["strategy"]["type"])) {
    const std::vector<std::string> types = {"Recreate", "RollingUpdate"};
    if (!one_of(spec["strategy"]["type"], types))
      e.not_supported("spec.strategy.type", spec["strategy"]["type"], types);
  }
}

void validate_endpoints(const json& obj, FieldErrors& e) {
  if (!present(obj, "subsets")) return;
  if (!e.expect_array("subsets", obj["subsets"])) return;
  for (size_t i = 0; i < obj["subsets"].size(); ++i) {
    const std::string f = field_index("subsets", i);
    const json& s = obj["subsets"][i];
    if (!e.expect_object(f, s)) continue;
    for (const char* list : {"addresses", "notReadyAddresses"}) {
      if (!present(s, list) || !e.expect_array(field_child(f, list), s[list])) continue;
      for (size_t j = 0; j < s[list].size(); ++j) {
        const std::string fa = field_index(field_child(f, list), j);
        const json& a = s[list][j];
        if (!e.expect_object(fa, a)) continue;
        if (!present(a, "ip"))
          e.required(field_child(fa, "ip"));
        else if (e.expect_string(field_child(fa, "ip"), a["ip"]) && !is_ipv4_address(a["ip"]))
          e.invalid(field_child(fa, "ip"), a["ip"], "must be a valid IPv4 address");
      }
    }
    if (present(s, "ports") && e.expect_array(field_child(f, "ports"), s["ports"])) {
      for (size_t j = 0; j < s["ports"].size(); ++j) {
        const std::string fp = field_index(field_child(f, "ports"), j);
        const json& p = s["ports"][j];
        if (!e.expect_object(fp, p)) continue;
        if (!present(p, "port"))
          e.required(field_child(fp, "port"));
        else
          e.port_number(field_child(fp, "port"), p["port"]);
        validate_protocol(p, fp, e);
      }
    }
  }
}

}  // namespace

void validate_labels(const json& labels, const std::string& field, FieldErrors& e) {
  if (labels.is_null() || !e.expect_object(field, labels)) return;
  for (auto it = labels.begin(); it != labels.end(); ++it) {
    const std::string f = field_key(field, it.key());
    e.problems(f, it.key(), check_qualified_name(it.key()));
    if (e.expect_string(f, it.value())) e.problems(f, it.value(), check_label_value(it.value()));
  }
}

void validate_object_meta(const json& obj, FieldErrors& e) {
  const std::string kind = obj.value("kind", "");
  const KindInfo* info = find_kind(kind);
  if (!present(obj, "metadata")) {
    e.required("metadata.name");
    return;
  }
  const json& meta = obj["metadata"];
  if (!e.expect_object("metadata", meta)) return;
  if (present(meta, "name")) {
    if (e.expect_string("metadata.name", meta["name"]))
      e.problems("metadata.name", meta["name"], check_name(kind, meta["name"]));
  } else if (!present(meta, "generateName")) {
    e.required("metadata.name", "name or generateName is required");
  } else {
    e.expect_string("metadata.generateName", meta["generateName"]);
  }
  if (info != nullptr && info->namespaced && present(meta, "namespace") &&
      e.expect_string("metadata.namespace", meta["namespace"]) &&
      !meta["namespace"].get<std::string>().empty())
    e.problems("metadata.namespace", meta["namespace"], check_dns1123_label(meta["namespace"]));
  if (present(meta, "labels")) validate_labels(meta["labels"], "metadata.labels", e);
  if (present(meta, "annotations") && e.expect_object("metadata.annotations", meta["annotations"])) {
    size_t total = 0;
    for (auto it = meta["annotations"].begin(); it != meta["annotations"].end(); ++it) {
      const std::string f = field_key("metadata.annotations", it.key());
      e.problems(f, it.key(), check_qualified_name(it.key()));
      if (e.expect_string(f, it.value())) total += it.key().size() + it.value().get<std::string>().size();
    }
    if (total > 256 * 1024)
      e.invalid("metadata.annotations", nullptr, "may not be more than 262144 bytes in total");
  }
}

void validate_pod_spec(const json& spec, const std::string& field, bool in_template,
                       FieldErrors& e) {
  if (!e.expect_object(field, spec)) return;
  const std::string fc = field_child(field, "containers");
  if (!present(spec, "containers") ||
      (spec["containers"].is_array() && spec["containers"].empty())) {
    e.required(fc, "a pod needs at least one container");
  } else if (e.expect_array(fc, spec["containers"])) {
    std::set<std::string> names;
    std::set<std::string> port_names;
    for (size_t i = 0; i < spec["containers"].size(); ++i) {
      const std::string f = field_index(fc, i);
      const json& c = spec["containers"][i];
      if (c.is_object()) {
        const std::string fn = field_child(f, "name");
        if (!present(c, "name")) {
          e.required(fn);
        } else if (e.expect_string(fn, c["name"])) {
          e.problems(fn, c["name"], check_dns1123_label(c["name"]));
          if (!names.insert(c["name"]).second) e.duplicate(fn, c["name"]);
        }
      }
      validate_container(c, f, port_names, e);
    }
  }
  if (present(spec, "restartPolicy")) {
    const std::string fr = field_child(field, "restartPolicy");
    if (e.expect_string(fr, spec["restartPolicy"])) {
      const std::vector<std::string> allowed =
          in_template ? std::vector<std::string>{"Always"}
                      : std::vector<std::string>{"Always", "Never", "OnFailure"};
      if (!one_of(spec["restartPolicy"], allowed)) e.not_supported(fr, spec["restartPolicy"], allowed);
    }
  }
  if (present(spec, "nodeName") && e.expect_string(field_child(field, "nodeName"), spec["nodeName"]))
    e.problems(field_child(field, "nodeName"), spec["nodeName"],
               check_dns1123_subdomain(spec["nodeName"]));
}

std::vector<FieldError> validate(const json& object) {
  FieldErrors e;
  if (!object.is_object()) {
    e.invalid("", object, "must be a mapping (a Kubernetes object)");
    return e.take();
  }
  std::vector<std::string> kinds;
  for (const auto& k : served_kinds()) kinds.push_back(k.kind);
  if (!present(object, "kind")) {
    e.required("kind");
    return e.take();
  }
  if (!e.expect_string("kind", object["kind"])) return e.take();
  const KindInfo* info = find_kind(object["kind"]);
  if (info == nullptr) {
    e.not_supported("kind", object["kind"], kinds);
    return e.take();
  }
  if (!present(object, "apiVersion")) {
    e.required("apiVersion");
    return e.take();
  }
  if (!e.expect_string("apiVersion", object["apiVersion"])) return e.take();
  if (!one_of(object["apiVersion"], info->api_versions)) {
    e.not_supported("apiVersion", object["apiVersion"], info->api_versions);
    return e.take();
  }
  validate_object_meta(object, e);
  const std::string& kind = info->kind;
  if (kind == "Service") {
    validate_service(object, e);
  } else if (kind == "Pod") {
    if (!present(object, "spec"))
      e.required("spec");
    else
      validate_pod_spec(object["spec"], "spec", false, e);
  } else if (kind == "Deployment") {
    validate_deployment(object, e);
  } else if (kind == "Ingress") {
    validate_ingress_spec(object, e);
  } else if (kind == "Endpoints") {
    validate_endpoints(object, e);
  } else if (kind == "Secret") {
    validate_secret(object, e);
  } else if (kind == "ConfigMap") {
    validate_config_map(object, e);
  }
  return e.take();
}

}  // namespace csim::kube
