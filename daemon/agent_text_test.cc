#include "daemon/agent_text.h"

#include <gtest/gtest.h>

namespace csim::daemon {
namespace {

using nlohmann::json;

TEST(AgentText, List) {
  json page = json::parse(R"({"agents": [
    {"node":"node-1","state":"up","underlay_ip":"169.254.1.1","view_version":9,"acked_version":9,
     "ack_ok":true,"ack_error":"","service_instances":1,"pods":2},
    {"node":"node-2","state":"up","underlay_ip":"169.254.1.2","view_version":10,"acked_version":8,
     "ack_ok":false,"ack_error":"route 10.47.255.3/32 failed","service_instances":0,"pods":0}]})");
  EXPECT_EQ(format_agent_list(page),
            "NODE    STATE  UNDERLAY     VIEW  ACKED  SERVICE-INSTANCES  PODS\n"
            "node-1  up     169.254.1.1  9     9      1                  2\n"
            "node-2  up     169.254.1.2  10    8      0                  0\n"
            "node-2: view v8 failed: route 10.47.255.3/32 failed\n");
  EXPECT_EQ(format_agent_list(json::object()), "NODE  STATE  UNDERLAY  VIEW  ACKED  SERVICE-INSTANCES  PODS\n");
}

TEST(AgentText, Show) {
  json agent = json::parse(R"({
    "node": "node-1", "state": "up", "underlay_ip": "169.254.1.1", "view_version": 9, "acked_version": 9,
    "ack_ok": true, "ack_error": "",
    "service_instances": [
      {"si": "11111111-1111-1111-1111-111111111111", "name": "default-domain:k8s-default:lb-a__si",
       "vm": "aaaaaaaa-0000-0000-0000-000000000001", "lb": "78833635-915b-41b4-930d-84f91bf14b09",
       "namespace": "vrouter-aaaaaaaa-0000-0000-0000-000000000001:78833635-915b-41b4-930d-84f91bf14b09",
       "vip": "10.47.255.252", "ports": [80, 443], "state": "reloaded", "pid": 42, "last_command": "start",
       "error": "", "adaptations": ["user/group haproxy dropped"]},
      {"si": "22222222-1111-1111-1111-111111111111", "name": "b", "vm": "v", "lb": "l", "namespace": "n",
       "vip": "10.47.255.3", "ports": [], "state": "failed", "pid": 0, "last_command": "start",
       "error": "haproxy -c refused the config"}],
    "not_usable": [{"si": "s", "name": "c", "vm": "w", "why": "no VIP"}],
    "pods": [{"namespace": "default", "name": "qa-webserver-e1cc373abc-l9qfv", "ip": "10.47.255.250",
              "state": "running", "pid": 39}]})");
  const std::string text = format_agent(agent, [](pid_t p) -> std::optional<pid_t> {
    if (p == 42) return 7939;
    return std::nullopt;
  });
  EXPECT_EQ(text,
            "agent node-1: up, underlay 169.254.1.1, view v9 (acked v9, ok)\n"
            "\n"
            "service instances (2):\n"
            "  default-domain:k8s-default:lb-a__si\n"
            "    si            11111111-1111-1111-1111-111111111111\n"
            "    vm            aaaaaaaa-0000-0000-0000-000000000001\n"
            "    loadbalancer  78833635-915b-41b4-930d-84f91bf14b09\n"
            "    namespace     vrouter-aaaaaaaa-0000-0000-0000-000000000001:78833635-915b-41b4-930d-84f91bf14b09\n"
            "    vip           10.47.255.252  ports 80,443\n"
            "    haproxy       reloaded  pid 42 (host pid 7939)\n"
            "    last command  start\n"
            "    error         -\n"
            "    adaptation    user/group haproxy dropped\n"
            "  b\n"
            "    si            22222222-1111-1111-1111-111111111111\n"
            "    vm            v\n"
            "    loadbalancer  l\n"
            "    namespace     n\n"
            "    vip           10.47.255.3\n"
            "    haproxy       failed\n"
            "    last command  start\n"
            "    error         haproxy -c refused the config\n"
            "\n"
            "not usable (1):\n"
            "  c  vm w: no VIP\n"
            "\n"
            "pods (1):\n"
            "  default/qa-webserver-e1cc373abc-l9qfv    10.47.255.250   running  pid 39\n");
}

TEST(AgentText, FailedViewAndNothingYet) {
  json agent = {{"node", "node-2"}, {"state", "up"}, {"ack_ok", false}, {"ack_error", "nft failed"}};
  const std::string text = format_agent(agent, nullptr);
  EXPECT_NE(text.find("agent node-2: up, underlay -, view v0 (acked v0, failed)\n  view error: nft failed\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("service instances (0):\n\npods (0):\n"), std::string::npos) << text;
}

}  // namespace
}  // namespace csim::daemon
