#include "daemon/status_text.h"

#include <cstdio>
#include <sstream>

#include "daemon/text_fields.h"

namespace csim::daemon {
namespace {

using nlohmann::json;

using text::num;
using text::pad;
using text::str;

std::string ago(int64_t ms) {
  char buf[32];
  if (ms < 1000) std::snprintf(buf, sizeof buf, "%lld ms ago", static_cast<long long>(ms));
  else if (ms < 120000) std::snprintf(buf, sizeof buf, "%.1f s ago", ms / 1000.0);
  else return format_duration_s(ms / 1000) + " ago";
  return buf;
}

}  // namespace

std::string format_duration_s(int64_t s) {
  char buf[32];
  if (s < 0) s = 0;
  if (s >= 3600) std::snprintf(buf, sizeof buf, "%lldh%02lldm", static_cast<long long>(s / 3600), static_cast<long long>(s % 3600 / 60));
  else if (s >= 60) std::snprintf(buf, sizeof buf, "%lldm%02llds", static_cast<long long>(s / 60), static_cast<long long>(s % 60));
  else std::snprintf(buf, sizeof buf, "%llds", static_cast<long long>(s));
  return buf;
}

std::string format_status(const json& status,
                          const std::function<std::optional<pid_t>(pid_t)>& host_pid) {
  std::ostringstream out;
  out << "csim is up: pid " << num(status, "pid") << ", up " << format_duration_s(num(status, "uptime_s"))
      << ", state dir " << str(status, "state_dir") << "\n";
  out << "  Kubernetes API  " << str(status, "api_url") << "  (kubeconfig " << str(status, "kubeconfig") << ")\n";
  out << "  config API      " << str(status, "config_url") << "\n";
  if (!str(status, "introspect_url").empty())
    out << "  introspection   " << str(status, "introspect_url") << "  (csim agent list|show)\n";
  out << "  log             " << str(status, "log") << "\n";

  out << "\nmodules:\n";
  for (const auto& m : status.value("modules", json::array())) {
    out << "  " << pad(str(m, "name"), 24) << " " << pad(std::to_string(num(m, "spans")) + " spans", 14)
        << " last active " << ago(num(m, "last_ms_ago")) << "\n";
  }

  out << "\nagents:\n";
  for (const auto& a : status.value("agents", json::array())) {
    out << "  " << pad(str(a, "node"), 8) << " " << pad(str(a, "state"), 5) << " underlay "
        << pad(str(a, "underlay_ip"), 15) << " view v" << num(a, "view_version") << " (acked v"
        << num(a, "acked_version") << ")  pods " << num(a, "pods") << "\n";
    for (const auto& p : a.value("pod_list", json::array())) {
      out << "    pod     " << pad(str(p, "namespace") + "/" + str(p, "name"), 40) << " " << pad(str(p, "ip"), 15)
          << " " << str(p, "state");
      pid_t pid = static_cast<pid_t>(num(p, "pid"));
      if (pid > 0) {
        out << "  pid " << pid;
        if (auto hp = host_pid(pid)) out << " (host pid " << *hp << ")";
      }
      out << "\n";
    }
    for (const auto& h : a.value("haproxy", json::array())) {
      std::string ports;
      for (const auto& p : h.value("ports", json::array())) ports += (ports.empty() ? ":" : ",") + p.dump();
      out << "    haproxy " << str(h, "name") << "  vip " << str(h, "vip") << ports << "  " << str(h, "state");
      pid_t pid = static_cast<pid_t>(num(h, "pid"));
      if (pid > 0) {
        out << "  pid " << pid;
        if (auto hp = host_pid(pid)) out << " (host pid " << *hp << ")";
      }
      out << "\n      netns " << str(h, "namespace");
      if (!str(h, "error").empty()) out << "  error: " << str(h, "error");
      out << "\n";
    }
  }

  out << "\ningresses:\n";
  const auto ingresses = status.value("ingresses", json::array());
  if (ingresses.empty()) out << "  (none)\n";
  for (const auto& i : ingresses) {
    std::string addresses;
    for (const auto& a : i.value("addresses", json::array()))
      addresses += (addresses.empty() ? "" : ", ") + a.get<std::string>();
    out << "  " << pad(str(i, "namespace") + "/" + str(i, "name"), 32) << " "
        << (addresses.empty() ? "(no address yet)" : addresses) << "\n";
  }
  return out.str();
}

}  // namespace csim::daemon
