#include "agent/vrouter_nat.h"

#include <set>

namespace csim::agent {

std::string render_vrouter_nat(const std::vector<ViewService>& services,
                               const std::vector<ViewFloatingIp>& floating_ips,
                               std::optional<Ipv4> hairpin_source) {
  const std::string t = kVrouterNatTable;
  std::string s = "table ip " + t + "\ndelete table ip " + t + "\ntable ip " + t + " {\n";
  std::string unbacked;
  std::set<Ipv4> backend_ips;
  s += "  chain services {\n";
  for (const auto& svc : services) {
    const std::string match = "ip daddr " + svc.cluster_ip.str() + " " + svc.protocol + " dport " +
                              std::to_string(svc.port);
    if (svc.backends.empty()) {
      unbacked +=
          "    " + match + (svc.protocol == "tcp" ? " reject with tcp reset\n" : " reject\n");
      continue;
    }
    s += "    " + match + " dnat ip to numgen inc mod " + std::to_string(svc.backends.size()) +
         " map { ";
    for (size_t i = 0; i < svc.backends.size(); ++i) {
      s += (i ? ", " : "") + std::to_string(i) + " : " + svc.backends[i].first.str() + " . " +
           std::to_string(svc.backends[i].second);
      backend_ips.insert(svc.backends[i].first);
    }
    s += " }\n";
  }
  s += "  }\n";
  s += "  chain prerouting {\n    type nat hook prerouting priority dstnat; policy accept;\n";
  for (const auto& f : floating_ips)
    s += "    ip daddr " + f.fip.str() + " dnat ip to " + f.fixed_ip.str() + "\n";
  s += "    jump services\n  }\n";
  s += "  chain output {\n    type nat hook output priority -100; policy accept;\n    jump "
       "services\n  }\n";
  s += "  chain postrouting {\n    type nat hook postrouting priority srcnat; policy accept;\n";
  if (hairpin_source) {
    for (const auto& ip : backend_ips) {
      s += "    ct status dnat ip saddr " + ip.str() + " ip daddr " + ip.str() + " snat ip to " +
           hairpin_source->str() + "\n";
    }
  }
  s += "  }\n";
  if (!unbacked.empty()) {
    s += "  chain unbacked_forward {\n    type filter hook forward priority filter; policy "
         "accept;\n" +
         unbacked + "  }\n";
    s +=
        "  chain unbacked_output {\n    type filter hook output priority filter; policy accept;\n" +
        unbacked + "  }\n";
  }
  s += "}\n";
  return s;
}

}  // namespace csim::agent
