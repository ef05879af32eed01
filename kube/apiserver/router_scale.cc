// Router's scale subresource: GET, PUT and PATCH of a Deployment's autoscaling/v1 Scale.
#include "kube/apiserver/api_status.h"
#include "kube/apiserver/patch.h"
#include "kube/apiserver/router.h"
#include "kube/apiserver/scale.h"

namespace csim::kube::apiserver {

using nlohmann::json;

namespace {

constexpr int kScaleAttempts = 5;

std::string rv_of(const json& o) {
  if (!o.is_object() || !o.contains("metadata") || !o["metadata"].is_object()) return "";
  const json& v = o["metadata"].value("resourceVersion", json());
  return v.is_string() ? v.get<std::string>() : "";
}

Response scale_invalid(const std::string& name, const std::string& message) {
  // message: "spec.replicas: Invalid value: -1: must be ..."
  size_t colon = message.find(": ");
  json cause = {{"reason", "FieldValueInvalid"},
                {"field", colon == std::string::npos ? "" : message.substr(0, colon)},
                {"message", colon == std::string::npos ? message : message.substr(colon + 2)}};
  return status_response(422, "Invalid", "Scale.autoscaling \"" + name + "\" is invalid: " + message,
                         json{{"name", name}, {"group", "autoscaling"}, {"kind", "Scale"},
                              {"causes", json::array({cause})}});
}

}  // namespace

Response Router::scale(const Request& req, const Route& route) {
  const ApiResource& res = *route.resource;
  const std::string& name = route.name;
  if (req.method == "GET" || req.method == "HEAD") {
    auto current = lookup(res, route.ns, name);
    if (!current) return not_found(res, name);
    return json_response(200, scale_of(*current));
  }
  json body = json::parse(req.body, nullptr, false);
  if (body.is_discarded()) return bad_request("the request body is not valid JSON");
  std::optional<PatchType> type;
  if (req.method == "PATCH") {
    type = patch_type(req.header("content-type"));
    if (!type || *type == PatchType::kApply)
      return status_response(415, "UnsupportedMediaType",
                             "the scale subresource takes application/merge-patch+json, "
                             "application/strategic-merge-patch+json or application/json-patch+json");
  } else if (!body.is_object()) {
    return bad_request("the request body must be an autoscaling/v1 Scale");
  }
  for (int attempt = 0;; ++attempt) {
    auto current = lookup(res, route.ns, name);
    if (!current) return not_found(res, name);
    json scale = scale_of(*current);
    json wanted = body;
    if (type) {
      auto patched = apply_patch(*type, "Scale", scale, body);
      if (!patched.is_ok()) return status_response(422, "Invalid", patched.status().message());
      wanted = std::move(*patched);
    }
    // A version the client gave (PUT body, or a patch that sets one) must be the current
    // one; otherwise the Scale carries the version just read, so a concurrent write shows
    // as a store conflict and the loop re-reads.
    const std::string given_rv = rv_of(wanted);
    if (!given_rv.empty() && given_rv != rv_of(*current)) return conflict(res, name);
    auto replicas = replicas_of(wanted);
    if (!replicas.is_ok()) return scale_invalid(name, replicas.status().message());
    json deployment = *current;
    deployment["spec"]["replicas"] = *replicas;
    if (req.param("dryRun") == "All") return json_response(200, scale_of(deployment));
    core::Result<json> updated = [&] {
      core::TraceScope trace(bus_, "kube-apiserver", trace_name(req, "scale", route, name));
      return store_.update(deployment);
    }();
    if (!updated.is_ok()) {
      if (updated.status().code() == core::Code::kConflict && attempt + 1 < kScaleAttempts) continue;
      return from_store_error(res, name, updated.status());
    }
    return json_response(200, scale_of(*updated));
  }
}

}  // namespace csim::kube::apiserver
