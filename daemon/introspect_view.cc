#include "daemon/introspect_view.h"

#include <cctype>
#include <map>
#include <vector>

namespace csim::daemon {
namespace {

using nlohmann::json;

const std::vector<std::string>& paths() {
  static const std::vector<std::string> p = {"/agents", "/agents/<node>", "/agents/<node>/service-instances",
                                             "/Snh_ServiceInstanceReq?uuid=<si, vm or lb uuid>[&node=<node>]"};
  return p;
}

IntrospectAnswer error(int status, const std::string& message) { return {status, {{"error", message}}}; }

std::string node_names(const json& agents) {
  std::string s;
  for (const auto& [node, a] : agents.items()) s += (s.empty() ? "" : ", ") + node;
  return s.empty() ? "(none)" : s;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Percent-decoding ('+' is a space in a query). False for a malformed escape.
bool decode(const std::string& in, std::string* out) {
  out->clear();
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '%') {
      if (i + 2 >= in.size()) return false;
      int hi = hex_value(in[i + 1]), lo = hex_value(in[i + 2]);
      if (hi < 0 || lo < 0) return false;
      out->push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else if (in[i] == '+') {
      out->push_back(' ');
    } else {
      out->push_back(in[i]);
    }
  }
  return true;
}

bool parse_query(const std::string& query, std::map<std::string, std::string>* out, std::string* bad) {
  size_t start = 0;
  while (start <= query.size()) {
    size_t end = query.find('&', start);
    if (end == std::string::npos) end = query.size();
    const std::string part = query.substr(start, end - start);
    if (!part.empty()) {
      size_t eq = part.find('=');
      std::string key, value;
      if (!decode(part.substr(0, eq), &key) ||
          !decode(eq == std::string::npos ? "" : part.substr(eq + 1), &value)) {
        *bad = part;
        return false;
      }
      (*out)[key] = value;
    }
    start = end + 1;
  }
  return true;
}

bool is_uuid(const std::string& s) {
  if (s.size() != 36) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (s[i] != '-') return false;
    } else if (hex_value(s[i]) < 0) {
      return false;
    }
  }
  return true;
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

json agent_summary(const std::string& node, const json& a) {
  return {{"node", node},
          {"state", a.value("state", "")},
          {"underlay_ip", a.value("underlay_ip", "")},
          {"view_version", a.value("view_version", 0)},
          {"acked_version", a.value("acked_version", 0)},
          {"ack_ok", a.value("ack_ok", true)},
          {"ack_error", a.value("ack_error", "")},
          {"service_instances", a.value("service_instances", json::array()).size()},
          {"pods", a.value("pods", json::array()).size()},
          {"href", "/agents/" + node}};
}

IntrospectAnswer service_instance_req(const json& agents, const std::map<std::string, std::string>& query) {
  std::string uuid, node;
  if (auto it = query.find("uuid"); it != query.end()) uuid = lower(it->second);
  if (auto it = query.find("node"); it != query.end()) node = it->second;
  if (!uuid.empty() && !is_uuid(uuid)) return error(400, "uuid \"" + uuid + "\" is not a uuid");
  if (!node.empty() && !agents.contains(node))
    return error(404, "no agent \"" + node + "\" (agents: " + node_names(agents) + ")");
  json list = json::array();
  for (const auto& [name, a] : agents.items()) {
    if (!node.empty() && name != node) continue;
    for (const auto& si : a.value("service_instances", json::array())) {
      const bool match = uuid.empty() || lower(si.value("si", "")) == uuid || lower(si.value("vm", "")) == uuid ||
                         lower(si.value("lb", "")) == uuid;
      if (!match) continue;
      json entry = si;
      entry["node"] = name;
      list.push_back(entry);
    }
  }
  return {200, {{"ServiceInstanceResp", {{"instance_list", list}}}}};
}

}  // namespace

IntrospectAnswer route_introspect(const json& agents, const std::string& method, const std::string& target) {
  if (method != "GET" && method != "HEAD") return error(405, "method " + method + " is not allowed (GET, HEAD)");
  const json empty = json::object();
  const json& all = agents.is_object() ? agents : empty;
  const size_t q = target.find('?');
  std::string path = target.substr(0, q);
  const std::string query_text = q == std::string::npos ? "" : target.substr(q + 1);
  std::map<std::string, std::string> query;
  std::string bad;
  if (!parse_query(query_text, &query, &bad)) return error(400, "malformed query parameter \"" + bad + "\"");
  while (path.size() > 1 && path.back() == '/') path.pop_back();

  if (path == "/" || path.empty()) {
    json nodes = json::array();
    for (const auto& [node, a] : all.items()) nodes.push_back(node);
    return {200, {{"agents", nodes}, {"paths", paths()}}};
  }
  if (path == "/agents") {
    json list = json::array();
    for (const auto& [node, a] : all.items()) list.push_back(agent_summary(node, a));
    return {200, {{"agents", list}}};
  }
  if (path == "/Snh_ServiceInstanceReq") return service_instance_req(all, query);
  const std::string prefix = "/agents/";
  if (path.rfind(prefix, 0) == 0) {
    std::string rest = path.substr(prefix.size());
    std::string node = rest, sub;
    if (size_t slash = rest.find('/'); slash != std::string::npos) {
      node = rest.substr(0, slash);
      sub = rest.substr(slash + 1);
    }
    std::string decoded;
    if (!decode(node, &decoded)) return error(400, "malformed node name \"" + node + "\"");
    if (!all.contains(decoded))
      return error(404, "no agent \"" + decoded + "\" (agents: " + node_names(all) + ")");
    const json& a = all[decoded];
    if (sub.empty()) return {200, a};
    if (sub == "service-instances") {
      return {200,
              {{"node", decoded},
               {"service_instances", a.value("service_instances", json::array())},
               {"not_usable", a.value("not_usable", json::array())}}};
    }
  }
  std::string known;
  for (const auto& p : paths()) known += (known.empty() ? "" : ", ") + p;
  return error(404, "no such page \"" + path + "\" (there are: " + known + ")");
}

}  // namespace csim::daemon
