#include "daemon/status_text.h"

#include <gtest/gtest.h>

namespace csim::daemon {
namespace {

using nlohmann::json;

TEST(StatusText, Layout) {
  json status = {
      {"pid", 4242},
      {"uptime_s", 125},
      {"state_dir", "/home/me/.csim"},
      {"api_url", "http://127.0.0.1:40000"},
      {"config_url", "http://127.0.0.1:8082"},
      {"introspect_url", "http://127.0.0.1:8085"},
      {"kubeconfig", "/home/me/.csim/kubeconfig"},
      {"log", "/home/me/.csim/csim.log"},
      {"modules", {{{"name", "control-node"}, {"spans", 12}, {"last_ms_ago", 1500}}}},
      {"agents",
       {{{"node", "node-1"},
         {"state", "up"},
         {"underlay_ip", "169.254.1.1"},
         {"view_version", 7},
         {"acked_version", 7},
         {"pods", 1},
         {"pod_list", {{{"namespace", "default"}, {"name", "qa-webserver-abc-x1"}, {"ip", "10.47.255.251"}, {"state", "running"}, {"pid", 30}}}},
         {"haproxy",
          {{{"name", "default__simple-fanout__si"},
            {"vip", "10.47.255.250"},
            {"ports", {80}},
            {"state", "started"},
            {"pid", 23},
            {"namespace", "vrouter-a:b"}}}}}}},
      {"ingresses", {{{"namespace", "default"}, {"name", "simple-fanout"}, {"addresses", {"10.84.59.252", "10.47.255.250"}}}}}};
  std::string text = format_status(status, [](pid_t p) -> std::optional<pid_t> {
    if (p == 23) return 91023;
    return std::nullopt;
  });
  EXPECT_NE(text.find("csim is up: pid 4242, up 2m05s, state dir /home/me/.csim"), std::string::npos) << text;
  EXPECT_NE(text.find("Kubernetes API  http://127.0.0.1:40000"), std::string::npos);
  EXPECT_NE(text.find("\n  introspection   http://127.0.0.1:8085  (csim agent list|show)\n"), std::string::npos) << text;
  EXPECT_NE(text.find("control-node"), std::string::npos);
  EXPECT_NE(text.find("1.5 s ago"), std::string::npos);
  EXPECT_NE(text.find("node-1   up    underlay 169.254.1.1     view v7 (acked v7)  pods 1"), std::string::npos) << text;
  EXPECT_NE(text.find("vip 10.47.255.250:80  started  pid 23 (host pid 91023)"), std::string::npos) << text;
  EXPECT_NE(text.find("pod     default/qa-webserver-abc-x1"), std::string::npos) << text;
  EXPECT_NE(text.find("10.47.255.251   running  pid 30\n"), std::string::npos) << text;
  EXPECT_NE(text.find("default/simple-fanout"), std::string::npos);
  EXPECT_NE(text.find("10.84.59.252, 10.47.255.250"), std::string::npos);
}

TEST(StatusText, EmptyAndDurations) {
  std::string text = format_status(json::object(), [](pid_t) { return std::nullopt; });
  EXPECT_NE(text.find("ingresses:\n  (none)"), std::string::npos);
  EXPECT_EQ(text.find("introspection"), std::string::npos) << text;
  EXPECT_EQ(format_duration_s(5), "5s");
  EXPECT_EQ(format_duration_s(65), "1m05s");
  EXPECT_EQ(format_duration_s(7300), "2h01m");
}

}  // namespace
}  // namespace csim::daemon
