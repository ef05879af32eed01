// Kubernetes `Status` error responses, as kube-apiserver words them (kubectl prints them).
//
//   404 NotFound       ingresses.networking.k8s.io "web" not found
//   409 AlreadyExists  ingresses.networking.k8s.io "web" already exists
//   409 Conflict       Operation cannot be fulfilled on ...: the object has been modified; ...
//   422 Invalid        Ingress.networking.k8s.io "bad" is invalid: <field>: <message>, with one
//                      details.causes entry {reason, message, field} per FieldError
// The HTTP status always equals the body's `code`. Pure functions; thread-safe.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/status.h"
#include "kube/apiserver/http_message.h"
#include "kube/apiserver/resource_table.h"
#include "kube/field_error.h"

namespace csim::kube::apiserver {

// A 2xx/4xx response with a JSON body.
Response json_response(int code, const nlohmann::json& body);

// {"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure",...}
nlohmann::json status_body(int code, const std::string& reason, const std::string& message,
                           const nlohmann::json& details = nullptr);
Response status_response(int code, const std::string& reason, const std::string& message,
                         const nlohmann::json& details = nullptr);

// The reason Kubernetes gives for an HTTP code ("NotFound" for 404, ...).
std::string reason_for(int code);

// 404 `<qualified resource> "<name>" not found`, details {name, group, kind: resource}.
Response not_found(const ApiResource& res, const std::string& name);
// 404 `namespaces "<ns>" not found`.
Response namespace_not_found(const std::string& ns);
// 409 AlreadyExists.
Response already_exists(const ApiResource& res, const std::string& name);
// 409 Conflict: the object has been modified.
Response conflict(const ApiResource& res, const std::string& name);
// 422 Invalid with one cause per error.
Response invalid(const ApiResource& res, const std::string& name,
                 const std::vector<FieldError>& errors);
// 400 BadRequest.
Response bad_request(const std::string& message);
// 405 MethodNotAllowed.
Response method_not_allowed();

// Maps an ObjectStore failure to a Status response in terms of `res` (the URL's resource):
// kNotFound -> 404, kAlreadyExists -> 409 AlreadyExists, kConflict -> 409 Conflict (an
// "is invalid:" message -> 422), kInvalid -> 422 (the field parsed from the message when it
// names one), kUnavailable -> 503, kInternal -> 500.
Response from_store_error(const ApiResource& res, const std::string& name, const core::Status& status);

}  // namespace csim::kube::apiserver
