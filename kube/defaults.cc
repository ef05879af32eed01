#include "kube/defaults.h"

#include "kube/secret.h"

namespace csim::kube {
namespace {

using nlohmann::json;

bool missing(const json& parent, const char* key) {
  return !parent.contains(key) || parent[key].is_null();
}

void default_pod_spec(json& spec) {
  if (!spec.is_object()) return;
  if (missing(spec, "restartPolicy")) spec["restartPolicy"] = "Always";
  if (!spec.contains("containers") || !spec["containers"].is_array()) return;
  for (json& c : spec["containers"]) {
    if (!c.is_object() || !c.contains("ports") || !c["ports"].is_array()) continue;
    for (json& p : c["ports"])
      if (p.is_object() && missing(p, "protocol")) p["protocol"] = "TCP";
  }
}

}  // namespace

void apply_defaults(json& object) {
  if (!object.is_object()) return;
  const std::string kind = object.value("kind", "");
  if (kind == "Secret") {
    normalize_secret(object);
    return;
  }
  if (!object.contains("spec") || !object["spec"].is_object()) return;
  json& spec = object["spec"];
  if (kind == "Service") {
    if (missing(spec, "type")) spec["type"] = "ClusterIP";
    if (spec.contains("ports") && spec["ports"].is_array()) {
      for (json& p : spec["ports"]) {
        if (!p.is_object()) continue;
        if (missing(p, "protocol")) p["protocol"] = "TCP";
        if (missing(p, "targetPort") && p.contains("port")) p["targetPort"] = p["port"];
      }
    }
  } else if (kind == "Pod") {
    default_pod_spec(spec);
  } else if (kind == "Deployment") {
    if (missing(spec, "replicas")) spec["replicas"] = 1;
    if (spec.contains("template") && spec["template"].is_object() &&
        spec["template"].contains("spec"))
      default_pod_spec(spec["template"]["spec"]);
  }
}

}  // namespace csim::kube
