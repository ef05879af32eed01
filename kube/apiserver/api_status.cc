#include "kube/apiserver/api_status.h"

namespace csim::kube::apiserver {

using nlohmann::json;

Response json_response(int code, const json& body) {
  Response r;
  r.status = code;
  r.body = body.dump();
  return r;
}

std::string reason_for(int code) {
  switch (code) {
    case 400: return "BadRequest";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "NotFound";
    case 405: return "MethodNotAllowed";
    case 406: return "NotAcceptable";
    case 409: return "Conflict";
    case 410: return "Expired";
    case 413: return "RequestEntityTooLarge";
    case 415: return "UnsupportedMediaType";
    case 422: return "Invalid";
    case 429: return "TooManyRequests";
    case 500: return "InternalError";
    case 503: return "ServiceUnavailable";
    case 504: return "Timeout";
    default: return "Unknown";
  }
}

json status_body(int code, const std::string& reason, const std::string& message,
                 const json& details) {
  json body = {{"kind", "Status"},
               {"apiVersion", "v1"},
               {"metadata", json::object()},
               {"status", "Failure"},
               {"message", message},
               {"reason", reason},
               {"code", code}};
  if (!details.is_null()) body["details"] = details;
  return body;
}

Response status_response(int code, const std::string& reason, const std::string& message,
                         const json& details) {
  return json_response(code, status_body(code, reason, message, details));
}

namespace {
json resource_details(const ApiResource& res, const std::string& name) {
  json d = {{"name", name}, {"kind", res.resource}};
  if (!res.group.empty()) d["group"] = res.group;
  return d;
}
}  // namespace

Response not_found(const ApiResource& res, const std::string& name) {
  return status_response(404, "NotFound", res.qualified() + " \"" + name + "\" not found",
                         resource_details(res, name));
}

Response namespace_not_found(const std::string& ns) {
  return status_response(404, "NotFound", "namespaces \"" + ns + "\" not found",
                         json{{"name", ns}, {"kind", "namespaces"}});
}

Response already_exists(const ApiResource& res, const std::string& name) {
  return status_response(409, "AlreadyExists",
                         res.qualified() + " \"" + name + "\" already exists",
                         resource_details(res, name));
}

Response conflict(const ApiResource& res, const std::string& name) {
  return status_response(409, "Conflict",
                         "Operation cannot be fulfilled on " + res.qualified() + " \"" + name +
                             "\": the object has been modified; please apply your changes to "
                             "the latest version and try again",
                         resource_details(res, name));
}

Response invalid(const ApiResource& res, const std::string& name,
                 const std::vector<FieldError>& errors) {
  json causes = json::array();
  std::string joined;
  for (const FieldError& e : errors) {
    std::string full = e.kubernetes_message();
    std::string prefix = e.field.empty() ? "" : e.field + ": ";
    std::string body = full.compare(0, prefix.size(), prefix) == 0 ? full.substr(prefix.size()) : full;
    causes.push_back({{"reason", e.reason()}, {"message", body}, {"field", e.field}});
    joined += (joined.empty() ? "" : ", ") + full;
  }
  std::string message = res.qualified_kind() + " \"" + name + "\" is invalid: " +
                        (errors.size() == 1 ? joined : "[" + joined + "]");
  json details = {{"name", name}, {"kind", res.kind}, {"causes", causes}};
  if (!res.group.empty()) details["group"] = res.group;
  return status_response(422, "Invalid", message, details);
}

Response bad_request(const std::string& message) {
  return status_response(400, "BadRequest", message);
}

Response method_not_allowed() {
  return status_response(405, "MethodNotAllowed",
                         "the server does not allow this method on the requested resource");
}

Response from_store_error(const ApiResource& res, const std::string& name, const core::Status& s) {
  const std::string& msg = s.message();
  switch (s.code()) {
    case core::Code::kNotFound:
      if (msg.rfind("namespaces \"", 0) == 0) {
        size_t end = msg.find('"', 12);
        return namespace_not_found(msg.substr(12, end == std::string::npos ? 0 : end - 12));
      }
      return not_found(res, name);
    case core::Code::kAlreadyExists:
      return already_exists(res, name);
    case core::Code::kConflict:
      if (msg.find(" is invalid: ") == std::string::npos) {
        if (msg.find("the object has been modified") != std::string::npos) return conflict(res, name);
        return status_response(409, "Conflict", msg, json{{"name", name}, {"kind", res.resource}});
      }
      [[fallthrough]];
    case core::Code::kInvalid: {
      // "Service \"x\" is invalid: spec.clusterIP: Invalid value: ...": keep the store's words,
      // and name the field when the message does.
      std::string field;
      std::string detail = msg;
      size_t at = msg.find(" is invalid: ");
      if (at != std::string::npos) {
        std::string rest = msg.substr(at + 13);
        size_t colon = rest.find(": ");
        if (colon != std::string::npos && rest.find(' ') > colon) {
          field = rest.substr(0, colon);
          detail = rest.substr(colon + 2);
        } else {
          detail = rest;
        }
      }
      std::string message = msg.find(" is invalid: ") != std::string::npos
                                ? msg
                                : res.qualified_kind() + " \"" + name + "\" is invalid: " + msg;
      json causes = json::array({{{"reason", "FieldValueInvalid"}, {"message", detail}, {"field", field}}});
      json details = {{"name", name}, {"kind", res.kind}, {"causes", causes}};
      if (!res.group.empty()) details["group"] = res.group;
      return status_response(422, "Invalid", message, details);
    }
    case core::Code::kUnavailable:
      return status_response(503, "ServiceUnavailable", msg);
    default:
      return status_response(500, "InternalError", msg.empty() ? "internal error" : msg);
  }
}

}  // namespace csim::kube::apiserver
