#include "daemon/agent_text.h"

#include <algorithm>
#include <sstream>
#include <vector>

#include "daemon/text_fields.h"

namespace csim::daemon {
namespace {

using nlohmann::json;

using text::num;
using text::pad;
using text::str;

std::string or_dash(const std::string& s) { return s.empty() ? "-" : s; }

std::string with_pid(pid_t pid, const std::function<std::optional<pid_t>(pid_t)>& host_pid) {
  if (pid <= 0) return "";
  std::string s = "pid " + std::to_string(pid);
  if (host_pid) {
    if (auto hp = host_pid(pid)) s += " (host pid " + std::to_string(*hp) + ")";
  }
  return s;
}

}  // namespace

std::string format_agent_list(const json& page) {
  const json agents = page.value("agents", json::array());
  std::vector<std::vector<std::string>> rows = {
      {"NODE", "STATE", "UNDERLAY", "VIEW", "ACKED", "SERVICE-INSTANCES", "PODS"}};
  for (const auto& a : agents) {
    rows.push_back({str(a, "node"), str(a, "state"), str(a, "underlay_ip"), std::to_string(num(a, "view_version")),
                    std::to_string(num(a, "acked_version")), std::to_string(num(a, "service_instances")),
                    std::to_string(num(a, "pods"))});
  }
  std::vector<size_t> width(rows[0].size(), 0);
  for (const auto& r : rows)
    for (size_t i = 0; i < r.size(); ++i) width[i] = std::max(width[i], r[i].size());
  std::ostringstream out;
  for (const auto& r : rows) {
    std::string line;
    for (size_t i = 0; i < r.size(); ++i) line += (i + 1 < r.size() ? pad(r[i], width[i] + 2) : r[i]);
    out << line << "\n";
  }
  for (const auto& a : agents) {
    if (!a.value("ack_ok", true))
      out << str(a, "node") << ": view v" << num(a, "acked_version") << " failed: " << str(a, "ack_error") << "\n";
  }
  return out.str();
}

std::string format_agent(const json& a, const std::function<std::optional<pid_t>(pid_t)>& host_pid) {
  std::ostringstream out;
  out << "agent " << str(a, "node") << ": " << str(a, "state") << ", underlay " << or_dash(str(a, "underlay_ip"))
      << ", view v" << num(a, "view_version") << " (acked v" << num(a, "acked_version")
      << (a.value("ack_ok", true) ? ", ok)" : ", failed)") << "\n";
  if (!a.value("ack_ok", true)) out << "  view error: " << str(a, "ack_error") << "\n";

  const json sis = a.value("service_instances", json::array());
  out << "\nservice instances (" << sis.size() << "):\n";
  for (const auto& si : sis) {
    std::string ports;
    for (const auto& p : si.value("ports", json::array())) ports += (ports.empty() ? "" : ",") + p.dump();
    out << "  " << or_dash(str(si, "name")) << "\n";
    out << "    si            " << or_dash(str(si, "si")) << "\n";
    out << "    vm            " << or_dash(str(si, "vm")) << "\n";
    out << "    loadbalancer  " << or_dash(str(si, "lb")) << "\n";
    out << "    namespace     " << or_dash(str(si, "namespace")) << "\n";
    out << "    vip           " << or_dash(str(si, "vip")) << (ports.empty() ? "" : "  ports " + ports) << "\n";
    std::string pid = with_pid(static_cast<pid_t>(num(si, "pid")), host_pid);
    out << "    haproxy       " << or_dash(str(si, "state")) << (pid.empty() ? "" : "  " + pid) << "\n";
    out << "    last command  " << or_dash(str(si, "last_command")) << "\n";
    out << "    error         " << or_dash(str(si, "error")) << "\n";
    for (const auto& ad : si.value("adaptations", json::array()))
      out << "    adaptation    " << (ad.is_string() ? ad.get<std::string>() : ad.dump()) << "\n";
  }
  const json not_usable = a.value("not_usable", json::array());
  if (!not_usable.empty()) {
    out << "\nnot usable (" << not_usable.size() << "):\n";
    for (const auto& n : not_usable)
      out << "  " << or_dash(str(n, "name")) << "  vm " << or_dash(str(n, "vm")) << ": " << str(n, "why") << "\n";
  }
  const json pods = a.value("pods", json::array());
  out << "\npods (" << pods.size() << "):\n";
  for (const auto& p : pods) {
    std::string pid = with_pid(static_cast<pid_t>(num(p, "pid")), host_pid);
    out << "  " << pad(str(p, "namespace") + "/" + str(p, "name"), 40) << " " << pad(or_dash(str(p, "ip")), 15) << " "
        << str(p, "state") << (pid.empty() ? "" : "  " + pid) << "\n";
  }
  return out.str();
}

}  // namespace csim::daemon
