#include "kube/apiserver/tables.h"

#include <gtest/gtest.h>

namespace csim::kube::apiserver {
namespace {

using nlohmann::json;

core::Nanos at(const std::string& ts) { return *parse_rfc3339(ts); }

std::vector<std::string> names(const json& columns) {
  std::vector<std::string> out;
  for (const json& c : columns) out.push_back(c["name"]);
  return out;
}

TEST(Tables, HumanDurationMatchesKubernetes) {
  using namespace std::chrono;
  EXPECT_EQ(human_duration(seconds(5)), "5s");
  EXPECT_EQ(human_duration(seconds(119)), "119s");
  EXPECT_EQ(human_duration(seconds(200)), "3m20s");
  EXPECT_EQ(human_duration(minutes(5)), "5m");
  EXPECT_EQ(human_duration(minutes(42)), "42m");
  EXPECT_EQ(human_duration(hours(5) + minutes(3)), "5h3m");
  EXPECT_EQ(human_duration(hours(30)), "30h");
  EXPECT_EQ(human_duration(hours(24 * 3 + 4)), "3d4h");
  EXPECT_EQ(human_duration(hours(24 * 30)), "30d");
  EXPECT_EQ(human_duration(hours(24 * 365 * 3)), "3y");
  EXPECT_EQ(human_duration(-seconds(5)), "<invalid>");
}

TEST(Tables, ParsesRfc3339) {
  EXPECT_EQ(at("1970-01-01T00:01:00Z").count(), 60'000'000'000LL);
  EXPECT_EQ(at("2026-01-01T01:00:00+01:00"), at("2026-01-01T00:00:00Z"));
  EXPECT_EQ(at("2026-01-01T00:00:00.5Z") - at("2026-01-01T00:00:00Z"), std::chrono::milliseconds(500));
  EXPECT_FALSE(parse_rfc3339("yesterday"));
  EXPECT_EQ(age(json(), at("2026-01-01T00:00:00Z")), "<unknown>");
}

TEST(Tables, TableAcceptHeader) {
  EXPECT_EQ(table_accept("application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json"),
            "meta.k8s.io/v1");
  EXPECT_EQ(table_accept("application/json;as=Table;v=v1beta1;g=meta.k8s.io"), "meta.k8s.io/v1beta1");
  EXPECT_FALSE(table_accept("application/json"));
  EXPECT_FALSE(table_accept("application/vnd.kubernetes.protobuf,application/json"));
}

TEST(Tables, IngressColumnsAddressIsExternalIpThenVip) {
  const json ing = {
      {"metadata", {{"name", "web"}, {"namespace", "demo"}, {"creationTimestamp", "2026-01-01T00:00:00Z"},
                    {"annotations", {{"a", "b"}}}, {"managedFields", json::array()}}},
      {"spec",
       {{"ingressClassName", "nginx"},
        {"rules", {{{"host", "web.example.com"}}, {{"host", "other.example.com"}}, json::object()}},
        {"tls", {{{"hosts", {"web.example.com"}}}}}}},
      {"status", {{"loadBalancer", {{"ingress", {{{"ip", "10.0.0.100"}}, {{"ip", "10.47.255.252"}}}}}}}}};
  TableOptions opts;
  opts.now = at("2026-01-01T00:05:00Z");
  json table = make_table("Ingress", {ing}, "42", opts);
  EXPECT_EQ(table["kind"], "Table");
  EXPECT_EQ(table["apiVersion"], "meta.k8s.io/v1");
  EXPECT_EQ(table["metadata"]["resourceVersion"], "42");
  EXPECT_EQ(names(table["columnDefinitions"]),
            (std::vector<std::string>{"Name", "Class", "Hosts", "Address", "Ports", "Age"}));
  EXPECT_EQ(table["columnDefinitions"][0]["format"], "name");
  EXPECT_EQ(table["rows"][0]["cells"],
            json({"web", "nginx", "web.example.com,other.example.com", "10.0.0.100,10.47.255.252",
                  "80, 443", "5m"}));
  const json& object = table["rows"][0]["object"];
  EXPECT_EQ(object["kind"], "PartialObjectMetadata");
  EXPECT_EQ(object["metadata"]["namespace"], "demo");
  EXPECT_FALSE(object["metadata"].contains("managedFields"));
  EXPECT_FALSE(object.contains("spec"));
}

TEST(Tables, IngressWithoutClassHostsOrStatus) {
  json ing = {{"metadata", {{"name", "x"}}}, {"spec", {{"defaultBackend", json::object()}}}};
  json row = table_row("Ingress", ing, TableOptions{});
  EXPECT_EQ(row["cells"], json({"x", "<none>", "*", "", "80", "<unknown>"}));
  TableOptions full;
  full.include_object = "Object";
  EXPECT_EQ(table_row("Ingress", ing, full)["object"], ing);
  TableOptions none;
  none.include_object = "None";
  EXPECT_FALSE(table_row("Ingress", ing, none).contains("object"));
}

TEST(Tables, PodServiceEndpointsDeploymentNamespace) {
  TableOptions opts;
  opts.now = at("2026-01-01T00:00:30Z");
  const std::string created = "2026-01-01T00:00:00Z";
  json pod = {{"metadata", {{"name", "web-1"}, {"creationTimestamp", created}}},
              {"spec", {{"nodeName", "node-1"}, {"containers", {{{"name", "a"}}, {{"name", "b"}}}}}},
              {"status",
               {{"phase", "Running"},
                {"podIP", "10.32.0.5"},
                {"containerStatuses",
                 {{{"ready", true}, {"restartCount", 1}, {"state", {{"running", json::object()}}}},
                  {{"ready", false}, {"restartCount", 2}, {"state", {{"waiting", {{"reason", "CrashLoopBackOff"}}}}}}}}}}};
  EXPECT_EQ(table_row("Pod", pod, opts)["cells"],
            json({"web-1", "1/2", "CrashLoopBackOff", "3", "30s", "10.32.0.5", "node-1", "<none>", "<none>"}));
  EXPECT_EQ(names(table_columns("Pod"))[5], "IP");
  EXPECT_EQ(table_columns("Pod")[5]["priority"], 1);

  json svc = {{"metadata", {{"name", "web"}, {"creationTimestamp", created}}},
              {"spec", {{"type", "ClusterIP"}, {"clusterIP", "10.96.0.10"},
                        {"selector", {{"app", "web"}, {"tier", "a"}}},
                        {"ports", {{{"port", 80}, {"protocol", "TCP"}}, {{"port", 53}, {"protocol", "UDP"}}}}}}};
  EXPECT_EQ(table_row("Service", svc, opts)["cells"],
            json({"web", "ClusterIP", "10.96.0.10", "<none>", "80/TCP,53/UDP", "30s", "app=web,tier=a"}));

  json ep = {{"metadata", {{"name", "web"}, {"creationTimestamp", created}}},
             {"subsets", {{{"addresses", {{{"ip", "10.32.0.5"}}, {{"ip", "10.32.0.6"}}}},
                           {"ports", {{{"port", 8080}}}}}}}};
  EXPECT_EQ(table_row("Endpoints", ep, opts)["cells"],
            json({"web", "10.32.0.5:8080,10.32.0.6:8080", "30s"}));
  json many = ep;
  many["subsets"][0]["addresses"] = json::array();
  for (int i = 1; i <= 5; ++i) many["subsets"][0]["addresses"].push_back({{"ip", "10.0.0." + std::to_string(i)}});
  EXPECT_EQ(table_row("Endpoints", many, opts)["cells"][1],
            "10.0.0.1:8080,10.0.0.2:8080,10.0.0.3:8080 + 2 more...");

  json deploy = {{"metadata", {{"name", "web"}, {"creationTimestamp", created}}},
                 {"spec", {{"replicas", 3}, {"selector", {{"matchLabels", {{"app", "web"}}}}},
                           {"template", {{"spec", {{"containers", {{{"name", "web"}, {"image", "nginx:1.27"}}}}}}}}}},
                 {"status", {{"readyReplicas", 2}, {"updatedReplicas", 3}, {"availableReplicas", 2}}}};
  EXPECT_EQ(table_row("Deployment", deploy, opts)["cells"],
            json({"web", "2/3", "3", "2", "30s", "web", "nginx:1.27", "app=web"}));

  json ns = {{"metadata", {{"name", "demo"}, {"creationTimestamp", created}}}, {"status", {{"phase", "Active"}}}};
  EXPECT_EQ(table_row("Namespace", ns, opts)["cells"], json({"demo", "Active", "30s"}));
}

TEST(Tables, EventsAndNodes) {
  TableOptions opts;
  opts.now = at("2026-01-01T00:10:00Z");
  json ev = {{"metadata", {{"name", "web.1"}}},
             {"involvedObject", {{"kind", "Ingress"}, {"name", "web"}}},
             {"reason", "Sync"}, {"message", "Scheduled for sync"}, {"type", "Normal"},
             {"source", {{"component", "kube-manager"}}},
             {"firstTimestamp", "2026-01-01T00:00:00Z"}, {"lastTimestamp", "2026-01-01T00:09:00Z"}, {"count", 2}};
  EXPECT_EQ(names(table_columns("Event")),
            (std::vector<std::string>{"Last Seen", "Type", "Reason", "Object", "Subobject", "Source",
                                      "Message", "First Seen", "Count", "Name"}));
  EXPECT_EQ(table_row("Event", ev, opts)["cells"],
            json({"60s", "Normal", "Sync", "ingress/web", "", "kube-manager", "Scheduled for sync", "10m", "2", "web.1"}));
  json node = {{"metadata", {{"name", "node-1"}, {"labels", {{"node-role.kubernetes.io/worker", ""}}}}},
               {"status", {{"conditions", {{{"type", "Ready"}, {"status", "True"}}}},
                           {"addresses", {{{"type", "InternalIP"}, {"address", "10.0.0.1"}}}},
                           {"nodeInfo", {{"kubeletVersion", "v1.32.0-csim"}}}}}};
  json cells = table_row("Node", node, opts)["cells"];
  EXPECT_EQ(cells[0], "node-1");
  EXPECT_EQ(cells[1], "Ready");
  EXPECT_EQ(cells[2], "worker");
  EXPECT_EQ(cells[4], "v1.32.0-csim");
  EXPECT_EQ(cells[5], "10.0.0.1");
}

TEST(Tables, SecretsShowTypeAndHowManyEntriesNeverValues) {
  json secret = {{"apiVersion", "v1"},
                 {"kind", "Secret"},
                 {"type", "kubernetes.io/tls"},
                 {"metadata", {{"name", "web-tls"}, {"namespace", "shop"}, {"creationTimestamp", "2026-01-01T00:00:00Z"}}},
                 {"data", {{"tls.crt", "Y2VydA=="}, {"tls.key", "a2V5"}}}};
  TableOptions opts;
  opts.now = at("2026-01-01T00:00:05Z");
  json table = make_table("Secret", {secret, {{"metadata", {{"name", "empty"}}}}}, "7", opts);
  EXPECT_EQ(names(table["columnDefinitions"]), (std::vector<std::string>{"Name", "Type", "Data", "Age"}));
  EXPECT_EQ(table["rows"][0]["cells"], json({"web-tls", "kubernetes.io/tls", 2, "5s"}));
  EXPECT_EQ(table["rows"][1]["cells"], json({"empty", "Opaque", 0, "<unknown>"}));
  const std::string text = table.dump();
  EXPECT_EQ(text.find("Y2VydA=="), std::string::npos) << "the row object is metadata only";
  EXPECT_EQ(text.find("a2V5"), std::string::npos);
}

}  // namespace
}  // namespace csim::kube::apiserver
