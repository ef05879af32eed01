#include "kube/validation.h"

#include <functional>

#include <gtest/gtest.h>

namespace csim::kube {
namespace {

using nlohmann::json;

json v1_ingress() {
  return json::parse(R"({
    "apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
    "metadata": {"name": "web", "labels": {"app": "web"}},
    "spec": {"rules": [{"host": "foo.bar.com", "http": {"paths": [
      {"path": "/qa", "pathType": "Prefix", "backend": {"service": {"name": "qa", "port": {"number": 80}}}},
      {"path": "/dev", "pathType": "Exact", "backend": {"service": {"name": "dev", "port": {"name": "http"}}}}
    ]}}]}
  })");
}

json old_ingress() {
  return json::parse(R"({
    "apiVersion": "extensions/v1beta1", "kind": "Ingress",
    "metadata": {"name": "simple-fanout"},
    "spec": {"rules": [{"http": {"paths": [
      {"path": "/qa.html", "backend": {"serviceName": "qa-webserver", "servicePort": 80}},
      {"backend": {"serviceName": "dev-webserver", "servicePort": "http"}}
    ]}}]}
  })");
}

json service() {
  return json::parse(R"({
    "apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"},
    "spec": {"selector": {"app": "web"}, "ports": [{"name": "http", "port": 80, "targetPort": 8080}]}
  })");
}

json deployment() {
  return json::parse(R"({
    "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
    "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "web"}},
      "template": {"metadata": {"labels": {"app": "web"}},
        "spec": {"containers": [{"name": "web", "image": "csim/echo",
                                 "ports": [{"containerPort": 8080, "name": "http"}]}]}}}
  })");
}

json pod() {
  return json::parse(R"({
    "apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web-1"},
    "spec": {"containers": [{"name": "web", "image": "csim/echo", "ports": [{"containerPort": 8080}]}]}
  })");
}

std::vector<std::string> messages(const json& object) {
  std::vector<std::string> out;
  for (const auto& e : validate(object)) out.push_back(e.to_string());
  return out;
}

TEST(ValidationTest, GoodObjectsPass) {
  EXPECT_EQ(messages(v1_ingress()), std::vector<std::string>{});
  EXPECT_EQ(messages(old_ingress()), std::vector<std::string>{});
  json nb = old_ingress();
  nb["apiVersion"] = "networking.k8s.io/v1beta1";
  EXPECT_EQ(messages(nb), std::vector<std::string>{});
  EXPECT_EQ(messages(service()), std::vector<std::string>{});
  EXPECT_EQ(messages(deployment()), std::vector<std::string>{});
  EXPECT_EQ(messages(pod()), std::vector<std::string>{});
  EXPECT_EQ(messages(json::parse(R"({"apiVersion":"v1","kind":"Namespace","metadata":{"name":"team-a"}})")),
            std::vector<std::string>{});
  json wildcard = v1_ingress();
  wildcard["spec"]["rules"][0]["host"] = "*.bar.com";
  wildcard["spec"]["tls"] = {{{"hosts", {"*.bar.com"}}, {"secretName", "tls-cert"}}};
  EXPECT_EQ(messages(wildcard), std::vector<std::string>{});
  json only_default = v1_ingress();
  only_default["spec"].erase("rules");
  only_default["spec"]["defaultBackend"] = {{"service", {{"name", "web"}, {"port", {{"number", 80}}}}}};
  EXPECT_EQ(messages(only_default), std::vector<std::string>{});
}

struct Case {
  std::string name;
  std::function<json()> make;
  std::vector<std::string> want;
};

TEST(ValidationTest, BadInputsTable) {
  const std::string path0 = "spec.rules[0].http.paths[0]";
  std::vector<Case> cases = {
      {"name with capitals",
       [] { json o = v1_ingress(); o["metadata"]["name"] = "Web"; return o; },
       {"metadata.name: a lowercase RFC 1123 subdomain must consist of lower case alphanumeric "
        "characters, '-' or '.', and must start and end with an alphanumeric character (e.g. "
        "'example.com', regex used for validation is "
        "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"}},
      {"service name starting with a digit",
       [] { json o = service(); o["metadata"]["name"] = "1web"; return o; },
       {"metadata.name: a DNS-1035 label must consist of lower case alphanumeric characters or "
        "'-', start with an alphabetic character, and end with an alphanumeric character (e.g. "
        "'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')"}},
      {"path with a space",
       [&] { json o = v1_ingress(); o["spec"]["rules"][0]["http"]["paths"][0]["path"] = "/q a"; return o; },
       {path0 + ".path: must not contain whitespace, control characters, '#', quotes, '\\', '{' "
                "or '}' (found a space at offset 2)"}},
      {"path with a newline",
       [&] { json o = v1_ingress(); o["spec"]["rules"][0]["http"]["paths"][0]["path"] = "/q\nbackend x"; return o; },
       {path0 + ".path: must not contain whitespace, control characters, '#', quotes, '\\', '{' "
                "or '}' (found a newline at offset 2)"}},
      {"path with '#'",
       [&] { json o = v1_ingress(); o["spec"]["rules"][0]["http"]["paths"][0]["path"] = "/q#x"; return o; },
       {path0 + ".path: must not contain whitespace, control characters, '#', quotes, '\\', '{' "
                "or '}' (found '#' at offset 2)"}},
      {"relative path",
       [&] { json o = v1_ingress(); o["spec"]["rules"][0]["http"]["paths"][0]["path"] = "qa"; return o; },
       {path0 + ".path: must start with '/'"}},
      {"relative path in v1beta1",
       [] { json o = old_ingress(); o["spec"]["rules"][0]["http"]["paths"][0]["path"] = "qa.html"; return o; },
       {"spec.rules[0].http.paths[0].path: must start with '/'"}},
      {"prefix path with //",
       [&] { json o = v1_ingress(); o["spec"]["rules"][0]["http"]["paths"][0]["path"] = "/a//b"; return o; },
       {path0 + ".path: must not contain '//'"}},
      {"host with '_'",
       [] { json o = v1_ingress(); o["spec"]["rules"][0]["host"] = "foo_bar.com"; return o; },
       {"spec.rules[0].host: a lowercase RFC 1123 subdomain must consist of lower case "
        "alphanumeric characters, '-' or '.', and must start and end with an alphanumeric "
        "character (e.g. 'example.com', regex used for validation is "
        "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"}},
      {"host with a port",
       [] { json o = v1_ingress(); o["spec"]["rules"][0]["host"] = "foo.bar.com:8080"; return o; },
       {"spec.rules[0].host: must be a host name without a port (an Ingress host never carries one)"}},
      {"host is an IP",
       [] { json o = v1_ingress(); o["spec"]["rules"][0]["host"] = "10.0.0.1"; return o; },
       {"spec.rules[0].host: must be a DNS name, not an IP address"}},
      {"backend port 0",
       [&] { json o = v1_ingress(); o["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]["port"]["number"] = 0; return o; },
       {path0 + ".backend.service.port.number: must be between 1 and 65535, inclusive"}},
      {"servicePort 70000 (v1beta1)",
       [] { json o = old_ingress(); o["spec"]["rules"][0]["http"]["paths"][0]["backend"]["servicePort"] = 70000; return o; },
       {"spec.rules[0].http.paths[0].backend.servicePort: must be between 1 and 65535, inclusive"}},
      {"service port 0 and 70000",
       [] { json o = service(); o["spec"]["ports"][0]["port"] = 0; o["spec"]["ports"][0]["targetPort"] = 70000; return o; },
       {"spec.ports[0].port: must be between 1 and 65535, inclusive",
        "spec.ports[0].targetPort: must be between 1 and 65535, inclusive"}},
      {"missing backend",
       [&] { json o = v1_ingress(); o["spec"]["rules"][0]["http"]["paths"][0].erase("backend"); return o; },
       {path0 + ".backend: is required (every path needs a backend)"}},
      {"backend without service name and port (v1beta1)",
       [] { json o = old_ingress(); o["spec"]["rules"][0]["http"]["paths"][0]["backend"] = json::object(); return o; },
       {"spec.rules[0].http.paths[0].backend.serviceName: is required",
        "spec.rules[0].http.paths[0].backend.servicePort: is required (a port number or name)"}},
      {"v1 port with both name and number",
       [&] { json o = v1_ingress(); o["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]["port"]["name"] = "http"; return o; },
       {path0 + ".backend.service.port: cannot set both port name & port number"}},
      {"v1 backend written the v1beta1 way",
       [&] { json o = v1_ingress(); o["spec"]["rules"][0]["http"]["paths"][0]["backend"] = {{"serviceName", "qa"}, {"servicePort", 80}}; return o; },
       {path0 + ".backend.serviceName: unknown field (networking.k8s.io/v1 writes service.name and "
                "service.port); expected one of: resource, service",
        path0 + ".backend.servicePort: unknown field; expected one of: resource, service",
        path0 + ".backend.service: is required (a backend needs a Service name and port)"}},
      {"pathType missing in v1",
       [&] { json o = v1_ingress(); o["spec"]["rules"][0]["http"]["paths"][0].erase("pathType"); return o; },
       {path0 + ".pathType: is required (pathType must be specified: Exact, Prefix or "
                "ImplementationSpecific)"}},
      {"unknown pathType",
       [&] { json o = v1_ingress(); o["spec"]["rules"][0]["http"]["paths"][0]["pathType"] = "Regex"; return o; },
       {path0 + ".pathType: must be one of \"Exact\", \"ImplementationSpecific\", \"Prefix\" (got \"Regex\")"}},
      {"Prefix without a path",
       [&] { json o = v1_ingress(); o["spec"]["rules"][0]["http"]["paths"][0].erase("path"); return o; },
       {path0 + ".path: is required (pathType Prefix needs a path starting with '/')"}},
      {"neither rules nor default backend",
       [] { json o = v1_ingress(); o["spec"].erase("rules"); return o; },
       {"spec: either `defaultBackend` or `rules` must be specified"}},
      {"neither rules nor backend (v1beta1)",
       [] { json o = old_ingress(); o["spec"]["rules"] = json::array(); return o; },
       {"spec: either `backend` or `rules` must be specified"}},
      {"v1 spec.backend",
       [] { json o = v1_ingress(); o["spec"]["backend"] = {{"service", {{"name", "x"}}}}; return o; },
       {"spec.backend: unknown field (networking.k8s.io/v1 calls it defaultBackend); expected one "
        "of: defaultBackend, ingressClassName, rules, tls"}},
      {"rules without paths",
       [] { json o = v1_ingress(); o["spec"]["rules"][0]["http"] = json::object(); return o; },
       {"spec.rules[0].http.paths: is required"}},
      {"tls host and secret",
       [] { json o = v1_ingress(); o["spec"]["tls"] = {{{"hosts", {"foo.bar.com:443"}}, {"secretName", "Bad_Secret"}}}; return o; },
       {"spec.tls[0].hosts[0]: must be a host name without a port (an Ingress host never carries one)",
        "spec.tls[0].secretName: a lowercase RFC 1123 subdomain must consist of lower case "
        "alphanumeric characters, '-' or '.', and must start and end with an alphanumeric "
        "character (e.g. 'example.com', regex used for validation is "
        "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"}},
      {"resource backend",
       [&] { json o = v1_ingress(); o["spec"]["rules"][0]["http"]["paths"][0]["backend"] = {{"resource", {{"kind", "Bucket"}, {"name", "b"}}}}; return o; },
       {path0 + ".backend.resource: csim supports only Service backends (service.name and service.port)"}},
      {"unknown kind",
       [] { return json::parse(R"({"apiVersion":"v1","kind":"PersistentVolume","metadata":{"name":"x"}})"); },
       {"kind: must be one of \"Namespace\", \"Node\", \"Secret\", \"ConfigMap\", \"Service\", \"Endpoints\", "
        "\"Deployment\", \"Pod\", \"Ingress\", \"Event\" (got \"PersistentVolume\")"}},
      {"unknown apiVersion",
       [] { json o = v1_ingress(); o["apiVersion"] = "networking.k8s.io/v2"; return o; },
       {"apiVersion: must be one of \"networking.k8s.io/v1\", \"networking.k8s.io/v1beta1\", "
        "\"extensions/v1beta1\" (got \"networking.k8s.io/v2\")"}},
      {"deployment in v1",
       [] { json o = deployment(); o["apiVersion"] = "v1"; return o; },
       {"apiVersion: must be one of \"apps/v1\" (got \"v1\")"}},
      {"label value true unquoted, bad label key",
       [] { json o = service(); o["metadata"]["labels"] = {{"enabled", true}, {"bad key", "x"}}; return o; },
       {"metadata.labels[bad key]: name part must consist of alphanumeric characters, '-', '_' or "
        "'.', and must start and end with an alphanumeric character (e.g. 'MyName',  or "
        "'my.name',  or '123-abc', regex used for validation is "
        "'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')",
        "metadata.labels[enabled]: must be a string, not a boolean (quote it in YAML)"}},
      {"service protocol and duplicate names",
       [] { json o = service(); o["spec"]["ports"].push_back({{"name", "http"}, {"port", 81}, {"protocol", "HTTP"}}); return o; },
       {"spec.ports[1].name: duplicate value \"http\"",
        "spec.ports[1].protocol: must be one of \"SCTP\", \"TCP\", \"UDP\" (got \"HTTP\")"}},
      {"service with two unnamed ports, named targetPort bad",
       [] { json o = service(); o["spec"]["ports"] = {{{"port", 80}, {"targetPort", "Http"}}, {{"port", 81}}}; return o; },
       {"spec.ports[0].name: is required (every port needs a name when there are several)",
        "spec.ports[0].targetPort: must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)",
        "spec.ports[1].name: is required (every port needs a name when there are several)"}},
      {"service without ports",
       [] { json o = service(); o["spec"].erase("ports"); return o; },
       {"spec.ports: is required (a Service needs at least one port)"}},
      {"service selector value",
       [] { json o = service(); o["spec"]["selector"]["app"] = "-web"; return o; },
       {"spec.selector[app]: a valid label must be an empty string or consist of alphanumeric "
        "characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. "
        "'MyValue',  or 'my_value',  or '12345', regex used for validation is "
        "'(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"}},
      {"pod container problems",
       [] { json o = pod(); o["spec"]["containers"].push_back({{"name", "web"}, {"ports", {{{"containerPort", 70000}, {"name", "8080"}}}}, {"env", {{{"name", "DEBUG"}, {"value", true}}}}}); return o; },
       {"spec.containers[1].name: duplicate value \"web\"",
        "spec.containers[1].image: is required",
        "spec.containers[1].ports[0].containerPort: must be between 1 and 65535, inclusive",
        "spec.containers[1].ports[0].name: must contain at least one letter (a-z)",
        "spec.containers[1].env[0].value: must be a string, not a boolean (quote it in YAML)"}},
      {"pod without containers",
       [] { json o = pod(); o["spec"]["containers"] = json::array(); return o; },
       {"spec.containers: is required (a pod needs at least one container)"}},
      {"deployment selector mismatch and negative replicas",
       [] { json o = deployment(); o["spec"]["replicas"] = -1; o["spec"]["template"]["metadata"]["labels"]["app"] = "other"; return o; },
       {"spec.replicas: must be greater than or equal to 0",
        "spec.template.metadata.labels: `selector` does not match template `labels`"}},
      {"deployment container name with capitals, restartPolicy",
       [] { json o = deployment(); o["spec"]["template"]["spec"]["containers"][0]["name"] = "Web"; o["spec"]["template"]["spec"]["restartPolicy"] = "Never"; return o; },
       {"spec.template.spec.containers[0].name: a lowercase RFC 1123 label must consist of lower "
        "case alphanumeric characters or '-', and must start and end with an alphanumeric "
        "character (e.g. 'my-name',  or '123-abc', regex used for validation is "
        "'[a-z0-9]([-a-z0-9]*[a-z0-9])?')",
        "spec.template.spec.restartPolicy: must be one of \"Always\" (got \"Never\")"}},
      {"namespace name with a dot",
       [] { return json::parse(R"({"apiVersion":"v1","kind":"Namespace","metadata":{"name":"team.a"}})"); },
       {"metadata.name: a lowercase RFC 1123 label must consist of lower case alphanumeric "
        "characters or '-', and must start and end with an alphanumeric character (e.g. "
        "'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"}},
      {"missing name",
       [] { json o = pod(); o["metadata"].erase("name"); return o; },
       {"metadata.name: is required (name or generateName is required)"}},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(messages(c.make()), c.want) << c.name;
  }
}

TEST(ValidationTest, KubernetesMessagesAndReasons) {
  json o = v1_ingress();
  o["spec"]["rules"][0]["http"]["paths"][0].erase("pathType");
  o["spec"]["rules"][0]["http"]["paths"][1]["path"] = "dev";
  auto errors = validate(o);
  ASSERT_EQ(errors.size(), 2u);
  EXPECT_EQ(errors[0].reason(), "FieldValueRequired");
  EXPECT_EQ(errors[0].kubernetes_message(),
            "spec.rules[0].http.paths[0].pathType: Required value: pathType must be specified: "
            "Exact, Prefix or ImplementationSpecific");
  EXPECT_EQ(errors[1].reason(), "FieldValueInvalid");
  EXPECT_EQ(errors[1].kubernetes_message(),
            "spec.rules[0].http.paths[1].path: Invalid value: \"dev\": must start with '/'");
}

TEST(ValidationTest, EveryProblemIsReported) {
  json o = v1_ingress();
  o["metadata"]["name"] = "Bad_Name";
  o["spec"]["rules"][0]["host"] = "a_b";
  o["spec"]["rules"][0]["http"]["paths"][0]["path"] = "x y";
  o["spec"]["rules"][0]["http"]["paths"][1]["backend"]["service"]["port"] = {{"number", 0}};
  EXPECT_EQ(validate(o).size(), 5u) << "name, host, path start, path chars, port";
}

}  // namespace
}  // namespace csim::kube
