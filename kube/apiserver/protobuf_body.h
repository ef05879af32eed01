// Kubernetes protobuf request bodies (Content-Type: application/vnd.kubernetes.protobuf).
//
// kubectl's typed clients (`kubectl create namespace|secret|deployment|service|ingress ...`)
// POST protobuf. csim decodes the envelope ("k8s\0" + runtime.Unknown{typeMeta{apiVersion,
// kind}, raw, contentEncoding, contentType}) and then, completely and strictly, these kinds
// (field tables in protobuf_messages.h, decoder in protobuf_schema.h):
//   v1 Namespace, v1 Secret, v1 Service, apps/v1 Deployment, networking.k8s.io/v1 Ingress.
// The result is the JSON the Go types marshal to (what `kubectl create ... --dry-run=client
// -o json` prints), which the router then validates, defaults and stores exactly like a JSON
// body. Any field number the tables do not list, a wrong wire type or a truncated field fails
// the whole decode with the field's path, so nothing is half-stored. Other kinds fail with a
// message that says to send JSON (kubectl create -f / apply -f do). Pure; thread-safe.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "core/status.h"

namespace csim::kube::apiserver {

bool is_protobuf_content_type(const std::string& content_type);

// The object as JSON (apiVersion, kind, metadata, spec/data, status), or kInvalid naming the
// problem and its place ("protobuf body: Ingress.spec.rules[0].http.paths[0]: field 9 (wire
// type 2) of HTTPIngressPath is not decoded by csim; ..." or "protobuf body: StatefulSet
// (apps/v1) is not decoded by csim's API server ...").
core::Result<nlohmann::json> decode_protobuf_object(const std::string& body);

// Whether decode_protobuf_object() failed because csim does not decode what the body holds
// (a kind, a field, a content encoding: every such message says "is not decoded by csim";
// the API answers 415) rather than because the bytes are malformed (truncated, a wrong wire
// type, bad UTF-8, no "k8s\0" prefix: 400, as the real API server answers).
bool is_unsupported_protobuf(const core::Status& decode_error);

}  // namespace csim::kube::apiserver
