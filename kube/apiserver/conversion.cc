#include "kube/apiserver/conversion.h"

#include "kube/apiserver/endpoint_slices.h"
#include "kube/ingress_conversion.h"

namespace csim::kube::apiserver {

using nlohmann::json;

core::Result<json> to_external(const ApiResource& res, json stored) {
  if (res.kind == "EndpointSlice") return endpoint_slice_from_endpoints(stored);
  if (res.kind == "Ingress") {
    if (!stored.contains("apiVersion")) stored["apiVersion"] = kIngressV1;
    return ingress_from_v1(stored, res.group_version());
  }
  stored["apiVersion"] = res.group_version();
  stored["kind"] = res.kind;
  return stored;
}

core::Result<json> to_storage(const ApiResource& res, const json& external) {
  if (res.kind == "Ingress") return ingress_to_v1(external);
  return external;
}

}  // namespace csim::kube::apiserver
