// Kubernetes protobuf request bodies (Content-Type: application/vnd.kubernetes.protobuf).
//
// kubectl's typed clients (`kubectl create namespace NAME`, `create deployment`,
// `create ingress`, ...) send protobuf. csim decodes the envelope ("k8s\0" + runtime.Unknown
// {typeMeta{apiVersion, kind}, raw}) and, completely and strictly, the kinds whose shape is
// small: Namespace (ObjectMeta, spec.finalizers, status.phase). Any field number it does
// not know fails the decode, so nothing is half-stored. Other kinds fail with a message
// that says to send JSON (kubectl create -f / apply -f do). Pure; thread-safe.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "core/status.h"

namespace csim::kube::apiserver {

bool is_protobuf_content_type(const std::string& content_type);

// The object as JSON (apiVersion, kind, metadata, spec, status), or kInvalid naming the
// problem ("protobuf body: Deployment (apps/v1) is not decoded by csim; send JSON").
core::Result<nlohmann::json> decode_protobuf_object(const std::string& body);

}  // namespace csim::kube::apiserver
