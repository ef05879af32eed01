// EndpointSlices (discovery.k8s.io/v1), derived from Endpoints.
//
// csim's store keeps Endpoints only (kube/kinds.h); `kubectl describe ingress|service`
// (kubectl >= 1.31) reads the backends' EndpointSlices. Each Endpoints object shows as one
// EndpointSlice named "<name>-<first 5 hex digits of its uid>", labelled
// kubernetes.io/service-name=<name> (plus the Endpoints' labels), with one endpoint per
// address (ready for subsets[].addresses, not ready for notReadyAddresses, nodeName and
// targetRef kept) and the ports of all subsets (deduplicated). uid, resourceVersion and
// creationTimestamp are the Endpoints'. Pure; thread-safe.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace csim::kube::apiserver {

nlohmann::json endpoint_slice_from_endpoints(const nlohmann::json& endpoints);
std::string endpoint_slice_name(const nlohmann::json& endpoints);

}  // namespace csim::kube::apiserver
