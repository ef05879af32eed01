#include "daemon/config_client.h"

#include <algorithm>
#include <cctype>
#include <vector>

#include "agent/http_client.h"
#include "controller/rest/vnc_types.h"

namespace csim::daemon {
namespace {

using nlohmann::json;

size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = up;
    }
  }
  return row[b.size()];
}

// The known type closest to `word` (at most 2 edits away), or "".
std::string closest_type(const std::string& word) {
  std::string best;
  size_t best_distance = 3;
  for (const auto& t : controller::vnc_types()) {
    size_t d = edit_distance(word, t);
    if (d < best_distance) {
      best = t;
      best_distance = d;
    }
  }
  return best;
}

// The server's error message ({"error": {"message"}}), else the body's start.
std::string server_message(const agent::HttpResponse& r) {
  const json body = json::parse(r.body, nullptr, false);
  if (body.is_object() && body.contains("error") && body["error"].is_object())
    return body["error"].value("message", "");
  std::string text = r.body.substr(0, 200);
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  return text;
}

// One request. `not_found` is the whole message for a 404; other failures name the request.
core::Result<json> call(const ConfigEndpoint& ep, const std::string& method, const std::string& path,
                        const std::string& body, const std::string& not_found) {
  const std::string what = method + " " + path;
  agent::HttpRequestSpec spec;
  spec.ip = ep.ip;
  spec.port = ep.port;
  spec.method = method;
  spec.path = path;
  spec.body = body;
  spec.timeout = ep.timeout;
  if (!body.empty()) spec.extra_headers.emplace_back("Content-Type", "application/json");
  if (!ep.token.empty()) spec.extra_headers.emplace_back("X-Auth-Token", ep.token);
  auto r = agent::http_request(spec);
  if (!r.is_ok()) {
    return core::unavailable("cannot reach the config API at " + ep.ip + ":" + std::to_string(ep.port) + ": " +
                             r.status().message());
  }
  // The type was checked here, so 404 means there is no such object.
  if (r->status == 404) return core::not_found(not_found);
  if (r->status == 401)
    return core::unavailable("the config API at " + ep.ip + ":" + std::to_string(ep.port) + " refused the token (401)");
  if (r->status != 200) {
    return core::unavailable(what + ": the config API answered " + std::to_string(r->status) + " " + r->reason +
                             ": " + server_message(*r));
  }
  json out = json::parse(r->body, nullptr, false);
  if (out.is_discarded()) return core::unavailable(what + ": the config API answered with malformed JSON");
  return out;
}

// "a:b:c" -> ["a","b","c"]; kInvalid for an empty part or a control character.
core::Result<std::vector<std::string>> fq_name_parts(const std::string& id) {
  std::vector<std::string> parts;
  std::string cur;
  for (char c : id) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
      return core::invalid("\"" + id + "\" holds a control character; want a uuid or an fq name (a:b:c)");
    if (c == ':') {
      parts.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  parts.push_back(cur);
  for (const auto& p : parts) {
    if (p.empty())
      return core::invalid("\"" + id + "\" is neither a uuid nor an fq name (parts separated by ':', none empty)");
  }
  return parts;
}

}  // namespace

core::Result<std::string> config_type(const std::string& word) {
  if (word.empty()) return core::invalid("which config type? (`csim config types` lists them)");
  std::string hyphens = controller::type_from_field(word);
  if (controller::is_vnc_type(hyphens)) return hyphens;
  if (auto t = controller::type_of_collection(hyphens)) return *t;
  const std::string guess = closest_type(hyphens);
  return core::invalid("unknown config type \"" + word + "\"" + (guess.empty() ? "" : " (did you mean " + guess + "?)") +
                       "; `csim config types` lists them");
}

bool looks_like_uuid(const std::string& s) {
  if (s.size() != 36) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (s[i] != '-') return false;
    } else if (!std::isxdigit(static_cast<unsigned char>(s[i]))) {
      return false;
    }
  }
  return true;
}

core::Result<json> config_get(const ConfigEndpoint& ep, const std::string& type_word, const std::string& id) {
  auto type = config_type(type_word);
  if (!type.is_ok()) return type.status();
  std::string uuid;
  if (looks_like_uuid(id)) {
    uuid = id;
  } else {
    auto parts = fq_name_parts(id);
    if (!parts.is_ok()) return parts.status();
    if (parts->size() < 2)
      return core::invalid("\"" + id + "\" is neither a uuid nor an fq name (parts separated by ':', e.g. "
                           "default-domain:k8s-default:NAME)");
    auto found = call(ep, "POST", "/fqname-to-id", json{{"type", *type}, {"fq_name", *parts}}.dump(),
                      "no " + *type + " named " + id + " in the config API");
    if (!found.is_ok()) return found.status();
    if (!found->is_object() || !(*found)["uuid"].is_string() || !looks_like_uuid((*found)["uuid"]))
      return core::unavailable("fqname-to-id for " + id + " answered without a uuid: " + found->dump());
    uuid = (*found)["uuid"].get<std::string>();
  }
  return call(ep, "GET", "/" + *type + "/" + uuid, "", "no " + *type + " " + id + " in the config API");
}

core::Result<json> config_list(const ConfigEndpoint& ep, const std::string& type_word, bool detail) {
  auto type = config_type(type_word);
  if (!type.is_ok()) return type.status();
  return call(ep, "GET", "/" + controller::collection_of(*type) + (detail ? "?detail=True" : ""), "",
              "the config API does not serve /" + controller::collection_of(*type));
}

}  // namespace csim::daemon
