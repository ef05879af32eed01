// The VNC REST API (contrail-reference.md §7) as a function from a request to a response,
// over any ConfigApi. No sockets here: config_rest_server.h puts this on HTTP.
//
//   GET    /                          homepage: {"href", "links": [{"link": {href, name, rel}}]}
//   GET    /<type>/<uuid>             {"<type>": {...}}, ETag "<id_perms.last_modified>";
//                                     fields=, exclude_back_refs, exclude_children, exclude_hrefs
//   PUT    /<type>/<uuid>             merge {"<type>": {...}} into it -> {"<type>": {uuid, href}}
//   DELETE /<type>/<uuid>             200, empty body
//   GET    /<type>s                   {"<type>s": [{href, fq_name, uuid}]}; detail=True,
//                                     count=True, parent_id, parent_fq_name_str(+parent_type),
//                                     back_ref_id, obj_uuids, fq_names, filters, fields,
//                                     exclude_hrefs, page_limit + page_marker (adds "marker")
//   POST   /<type>s                   create {"<type>": {...}} -> {"<type>": {uuid, name,
//                                     fq_name, href, parent_type, parent_uuid, parent_href}}
//   POST   /fqname-to-id              {"type", "fq_name"} -> {"uuid"}
//   POST   /id-to-fqname              {"uuid"} -> {"type", "fq_name"}
//   POST   /ref-update                {"type", "uuid", "ref-type", "ref-uuid" | "ref-fq-name",
//                                     "operation": "ADD"|"DELETE", "attr"} -> {"uuid"}
//
// Errors are {"error": {"code": <http status>, "status": "<core::Code name>", "message"}}:
// 400 malformed JSON or query, a field of the wrong shape, a wrong or missing parent, a
// dangling ref; 404 unknown path, type or uuid; 405 wrong method; 409 duplicate fq_name or
// uuid, delete of an object that still has children or back-refs; 503 the DB failed.
// Nothing is half-written: each write is one ConfigApi call (one DB transaction).
//
// Thread-safe (ConfigApi is); handle() may run on any thread.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "controller/config_api.h"
#include "core/bus.h"
#include "core/status.h"

namespace csim::controller {

struct RestRequest {
  std::string method;  // "GET", "POST", "PUT", "DELETE", ...
  std::string target;  // "/loadbalancer/<uuid>?exclude_back_refs"
  std::string host;    // the Host header; hrefs point there
  std::string body;
  std::string if_none_match;  // the If-None-Match header (GET of one object: 304 on a match)
};

struct RestResponse {
  int status = 200;
  nlohmann::json body;  // null: empty body
  std::string etag;     // "" or the ETag header's value
  std::string allow;    // for 405: the Allow header's value
};

// The HTTP status for an error of the config API when it concerns the object a request
// writes (kNotFound of a parent or ref target there is the request's fault: 400).
int http_status_of(core::Code code);

// {"error": {"code", "status", "message"}} with that HTTP status.
RestResponse error_response(int http_status, const std::string& message);

class RestHandler {
 public:
  // trace_bus: when given, each write runs inside a core::TraceScope of module "config-api"
  // named after the request ("PUT /loadbalancer-member/<uuid>"), so the DB's notification and
  // everything it causes trace back to the REST call.
  explicit RestHandler(ConfigApi& api, core::Bus* trace_bus = nullptr);

  // default_host ("127.0.0.1:8082") is used for hrefs when the request's Host is missing or
  // is not a plain host[:port].
  RestResponse handle(const RestRequest& request, const std::string& default_host) const;

 private:
  ConfigApi& api_;
  core::Bus* trace_bus_;
};

}  // namespace csim::controller
