#include "kube/apiserver/conversion.h"

#include "kube/apiserver/endpoint_slices.h"
#include "kube/ingress_conversion.h"

namespace csim::kube::apiserver {

using nlohmann::json;

core::Result<json> to_external(const ApiResource& res, const json& stored) {
  if (res.kind == "EndpointSlice") return endpoint_slice_from_endpoints(stored);
  if (res.kind == "Ingress") {
    json v1 = stored;
    if (!v1.contains("apiVersion")) v1["apiVersion"] = kIngressV1;
    return ingress_from_v1(v1, res.group_version());
  }
  json out = stored;
  out["apiVersion"] = res.group_version();
  out["kind"] = res.kind;
  return out;
}

core::Result<json> to_storage(const ApiResource& res, const json& external) {
  if (res.kind == "Ingress") return ingress_to_v1(external);
  return external;
}

}  // namespace csim::kube::apiserver
