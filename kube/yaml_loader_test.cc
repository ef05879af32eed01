#include "kube/yaml_loader.h"

#include <gtest/gtest.h>

namespace csim::kube {
namespace {

using nlohmann::json;

std::vector<std::string> lines_of(const std::string& message) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= message.size()) {
    size_t end = message.find('\n', start);
    if (end == std::string::npos) end = message.size();
    out.push_back(message.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

TEST(YamlLoaderTest, LoadsDocumentsWithTheirLines) {
  auto r = load_yaml_string(R"(# comment
apiVersion: v1
kind: Namespace
metadata:
  name: team-a
---

apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: web
spec:
  rules:
  - host: foo.bar.com
    http:
      paths:
      - path: /a
        pathType: Prefix
---
)",
                            "inline.yaml");
  ASSERT_TRUE(r.is_ok()) << r.status().to_string();
  ASSERT_EQ(r->size(), 2u);
  const LoadedObject& ns = (*r)[0];
  EXPECT_EQ(ns.file, "inline.yaml");
  EXPECT_EQ(ns.line, 2);
  EXPECT_EQ(ns.object["metadata"]["name"], "team-a");
  const LoadedObject& ing = (*r)[1];
  EXPECT_EQ(ing.line, 8);
  EXPECT_EQ(ing.line_of("spec.rules[0].host"), 14);
  EXPECT_EQ(ing.line_of("spec.rules[0].http.paths[0].path"), 17);
  EXPECT_EQ(ing.line_of("spec.rules[0].http.paths[0].pathType"), 18);
  EXPECT_EQ(ing.line_of("spec.rules[0].http.paths[0].backend.service.name"), 17)
      << "an absent field maps to its nearest ancestor (the list item)";
  EXPECT_EQ(ing.line_of("spec.tls"), 12) << "absent: falls back to spec";
  EXPECT_EQ(ing.line_of("nothing.here"), 8) << "falls back to the document";
  EXPECT_EQ(ing.where("spec.rules[0].host"), "inline.yaml:14");
}

TEST(YamlLoaderTest, ScalarsAreTypedAsKubectlTypesThem) {
  auto r = load_yaml_file("kube/testdata/scalars.yaml");
  ASSERT_TRUE(r.is_ok()) << r.status().to_string();
  ASSERT_EQ(r->size(), 1u);
  const json& o = (*r)[0].object;
  const json& labels = o["metadata"]["labels"];
  EXPECT_EQ(labels["quoted-true"], json("true"));
  EXPECT_EQ(labels["plain-true"], json(true));
  EXPECT_EQ(labels["yes-word"], json(true)) << "YAML 1.1, as go-yaml v2";
  EXPECT_EQ(labels["quoted-port"], json("80"));
  const json& ann = o["metadata"]["annotations"];
  EXPECT_TRUE(ann["empty"].is_null());
  EXPECT_TRUE(ann["tilde"].is_null());
  EXPECT_EQ(ann["block"], json("line one\nline two\n"));
  EXPECT_EQ(ann["octal"], json(15));
  EXPECT_EQ(ann["hex"], json(31));
  EXPECT_EQ(ann["float"], json(1.5));
  EXPECT_EQ(ann["underscored"], json(1000));
  EXPECT_EQ(ann["str-tag"], json("5"));
  EXPECT_TRUE(ann["version"].is_number_float()) << "1.10 is the float 1.1";
  const json& ports = o["spec"]["ports"];
  EXPECT_TRUE(ports[0]["port"].is_number_integer());
  EXPECT_EQ(ports[0]["port"], json(80));
  EXPECT_EQ(ports[0]["targetPort"], json("http"));
  EXPECT_EQ(ports[1]["targetPort"], json(8443));
  EXPECT_EQ((*r)[0].line_of("metadata.labels[quoted-port]"), 9);
  EXPECT_EQ((*r)[0].line_of("metadata.labels.quoted-port"), 9);
  EXPECT_EQ((*r)[0].line_of("spec.ports[1].targetPort"), 27);
}

TEST(YamlLoaderTest, ScalarResolutionTable) {
  struct Case {
    std::string value, tag;
    json want;
  };
  std::vector<Case> cases = {
      {"80", "?", 80},          {"-5", "?", -5},           {"+7", "?", 7},
      {"0", "?", 0},            {"010", "?", 8},           {"0b101", "?", 5},
      {"1e3", "?", 1000.0},     {".5", "?", 0.5},          {"Off", "?", false},
      {"n", "?", false},        {"NULL", "?", nullptr},    {"80", "!", "80"},
      {"true", "!", "true"},    {"1.2.3", "?", "1.2.3"},   {"10.96.0.10", "?", "10.96.0.10"},
      {"/qa.html", "?", "/qa.html"}, {"12", "tag:yaml.org,2002:str", "12"},
      {"12", "tag:yaml.org,2002:int", 12}, {"x", "!custom", "x"},
      {"99999999999999999999", "?", 99999999999999999999.0},
  };
  for (const auto& c : cases) {
    auto r = yaml_scalar_to_json(c.value, c.tag);
    ASSERT_TRUE(r.is_ok()) << c.value;
    EXPECT_EQ(*r, c.want) << c.value << " tag " << c.tag;
  }
  auto bad = yaml_scalar_to_json("abc", "tag:yaml.org,2002:int");
  EXPECT_EQ(bad.status().code(), core::Code::kInvalid);
}

TEST(YamlLoaderTest, MalformedYamlNamesTheLine) {
  auto r = load_yaml_file("kube/testdata/malformed.yaml");
  ASSERT_FALSE(r.is_ok());
  EXPECT_EQ(r.status().code(), core::Code::kInvalid);
  EXPECT_EQ(r.status().message().rfind("kube/testdata/malformed.yaml:7: invalid YAML: ", 0), 0u)
      << r.status().message();
}

TEST(YamlLoaderTest, ReportsEveryBadDocumentWithFileLineAndField) {
  auto r = load_yaml_file("kube/testdata/missing-fields.yaml");
  ASSERT_FALSE(r.is_ok());
  const std::string f = "kube/testdata/missing-fields.yaml";
  EXPECT_EQ(lines_of(r.status().message()),
            (std::vector<std::string>{
                f + ":7: apiVersion: is required",
                f + ":11: kind: is required",
                f + ":17: metadata.name: is required",
                f + ":21: document is not a mapping (each YAML document must be one Kubernetes "
                    "object)",
                f + ":28: metadata.name: duplicate key (already set above)",
            }));
}

TEST(YamlLoaderTest, MissingFileIsUnavailable) {
  auto r = load_yaml_file("kube/testdata/does-not-exist.yaml");
  EXPECT_EQ(r.status().code(), core::Code::kUnavailable);
  EXPECT_NE(r.status().message().find("does-not-exist.yaml"), std::string::npos);
}

TEST(YamlLoaderTest, ListKindExpandsItemsAndMergeKeysMerge) {
  auto r = load_yaml_string(R"(apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: Namespace
  metadata:
    name: a
- apiVersion: v1
  kind: Namespace
  metadata: &meta
    name: b
    labels: {team: x}
- apiVersion: v1
  kind: Namespace
  metadata:
    <<: *meta
    name: c
)",
                            "list.yaml");
  ASSERT_TRUE(r.is_ok()) << r.status().to_string();
  ASSERT_EQ(r->size(), 3u);
  EXPECT_EQ((*r)[1].line, 8);
  EXPECT_EQ((*r)[1].line_of("metadata.name"), 11);
  EXPECT_EQ((*r)[2].object["metadata"], json({{"name", "c"}, {"labels", {{"team", "x"}}}}));
}

TEST(YamlLoaderTest, EmptyInputHasNoObjects) {
  auto r = load_yaml_string("# nothing\n---\n---\n", "empty.yaml");
  ASSERT_TRUE(r.is_ok());
  EXPECT_TRUE(r->empty());
}

TEST(SourceMapTest, SplitsFieldPaths) {
  EXPECT_EQ(SourceMap::split_path("spec.rules[0].http.paths[12].path"),
            (std::vector<std::string>{"spec", "rules", "0", "http", "paths", "12", "path"}));
  EXPECT_EQ(SourceMap::split_path("metadata.labels[app.kubernetes.io/name]"),
            (std::vector<std::string>{"metadata", "labels", "app.kubernetes.io/name"}));
}

}  // namespace
}  // namespace csim::kube
