// `csim config get|list`: reads from Contrail's config API (the daemon's VNC REST API,
// controller/rest/rest_handler.h) for people without curl, over HTTP on this host.
//
//   get TYPE UUID       GET /<type>/<uuid>
//   get TYPE FQ:NAME    POST /fqname-to-id {"type", "fq_name": [..]}, then GET /<type>/<uuid>
//   list TYPE           GET /<type>s            (detail: ?detail=True)
//
// Every input is checked before it reaches the wire: the type must be one of the VNC
// types csim serves (controller/rest/vnc_types.h; plural and underscore spellings are
// accepted), a uuid is 8-4-4-4-12 hex digits, an fq name has non-empty parts without
// control characters. Thread-safe (no shared state).
#pragma once

#include <chrono>
#include <string>

#include <nlohmann/json.hpp>

#include "core/clock.h"
#include "core/status.h"

namespace csim::daemon {

struct ConfigEndpoint {
  std::string ip = "127.0.0.1";  // IPv4
  int port = 8082;
  std::string token;  // sent as X-Auth-Token when set
  core::Nanos timeout = std::chrono::seconds(15);
};

// "loadbalancer", "loadbalancers", "loadbalancer_pool" -> the type as the API spells it
// ("loadbalancer-pool"). kInvalid naming the word, with the closest type when one is at
// most two edits away ("did you mean loadbalancer?").
core::Result<std::string> config_type(const std::string& word);

// True for 8-4-4-4-12 hex digits.
bool looks_like_uuid(const std::string& s);

// The object, as the API returns it: {"<type>": {...}}. kInvalid for a bad type or id;
// kNotFound naming the type and the id when there is no such object; kUnavailable when the
// API cannot be reached or answers otherwise (with its status and message).
core::Result<nlohmann::json> config_get(const ConfigEndpoint& endpoint, const std::string& type,
                                        const std::string& id);

// The collection, as the API returns it: {"<type>s": [{href, fq_name, uuid}]}, or the
// whole objects with detail. Errors as config_get.
core::Result<nlohmann::json> config_list(const ConfigEndpoint& endpoint, const std::string& type, bool detail);

}  // namespace csim::daemon
