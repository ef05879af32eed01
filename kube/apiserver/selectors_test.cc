#include "kube/apiserver/selectors.h"

#include <gtest/gtest.h>

namespace csim::kube::apiserver {
namespace {

using nlohmann::json;

TEST(LabelSelector, EqualityAndSetTerms) {
  const json labels = {{"app", "web"}, {"tier", "edge"}, {"kubernetes.io/service-name", "web"}};
  auto match = [&](const std::string& s) {
    auto sel = LabelSelector::parse(s);
    EXPECT_TRUE(sel.is_ok()) << s << ": " << sel.status().message();
    return sel.is_ok() && sel->matches(labels);
  };
  EXPECT_TRUE(match(""));
  EXPECT_TRUE(match("app=web"));
  EXPECT_TRUE(match("app==web,tier=edge"));
  EXPECT_TRUE(match("tier=edge,app=web")) << "term order does not matter";
  EXPECT_FALSE(match("app=api"));
  EXPECT_TRUE(match("app!=api"));
  EXPECT_FALSE(match("app!=web"));
  EXPECT_TRUE(match("missing!=x")) << "!= matches objects without the label";
  EXPECT_TRUE(match("app in (api, web)"));
  EXPECT_FALSE(match("app notin (api,web)"));
  EXPECT_TRUE(match("app,tier"));
  EXPECT_TRUE(match("!missing"));
  EXPECT_FALSE(match("!app"));
  EXPECT_TRUE(match("kubernetes.io/service-name=web"));
  auto none = LabelSelector::parse("app=web");
  EXPECT_FALSE(none->matches(nullptr));
}

TEST(LabelSelector, RejectsBadSyntax) {
  for (const char* bad : {"app=web,", "app in (a", "app foo (a)", "a b=c", "app=we b"}) {
    auto sel = LabelSelector::parse(bad);
    EXPECT_FALSE(sel.is_ok()) << bad;
    if (!sel.is_ok()) {
      EXPECT_NE(sel.status().message().find("labelSelector"), std::string::npos);
    }
  }
}

TEST(FieldSelector, DescribeEventSelectorInAnyOrder) {
  const json event = {{"metadata", {{"name", "web.1"}, {"namespace", "default"}}},
                      {"involvedObject",
                       {{"kind", "Ingress"}, {"name", "web"}, {"namespace", "default"}, {"uid", "u-1"}}},
                      {"type", "Normal"},
                      {"source", {{"component", "kube-manager"}}}};
  auto sel = FieldSelector::parse(
      "involvedObject.uid=u-1,involvedObject.name=web,involvedObject.namespace=default,"
      "involvedObject.kind=Ingress",
      "Event");
  ASSERT_TRUE(sel.is_ok()) << sel.status().message();
  EXPECT_TRUE(sel->matches(event));
  auto other = FieldSelector::parse("involvedObject.name=api", "Event");
  EXPECT_FALSE(other->matches(event));
  auto source = FieldSelector::parse("source=kube-manager,type!=Warning", "Event");
  ASSERT_TRUE(source.is_ok());
  EXPECT_TRUE(source->matches(event));
}

TEST(FieldSelector, MetadataNameForEveryKindAndEscapes) {
  auto sel = FieldSelector::parse("metadata.name==web", "Ingress");
  ASSERT_TRUE(sel.is_ok());
  EXPECT_EQ(sel->required_value("metadata.name"), "web");
  EXPECT_TRUE(sel->matches(json{{"metadata", {{"name", "web"}}}}));
  EXPECT_FALSE(sel->matches(json{{"metadata", {{"name", "web2"}}}}));
  auto escaped = FieldSelector::parse("metadata.name=a\\,b", "Pod");
  ASSERT_TRUE(escaped.is_ok());
  EXPECT_TRUE(escaped->matches(json{{"metadata", {{"name", "a,b"}}}}));
}

TEST(FieldSelector, PodFieldsAndUnsupportedLabels) {
  const json pod = {{"metadata", {{"name", "p"}}}, {"spec", {{"nodeName", "node-1"}}},
                    {"status", {{"phase", "Running"}}}};
  auto sel = FieldSelector::parse("spec.nodeName=node-1,status.phase=Running", "Pod");
  ASSERT_TRUE(sel.is_ok());
  EXPECT_TRUE(sel->matches(pod));
  auto bad = FieldSelector::parse("spec.nodeName=node-1", "Ingress");
  ASSERT_FALSE(bad.is_ok());
  EXPECT_EQ(bad.status().message(), "field label not supported: spec.nodeName");
  EXPECT_FALSE(FieldSelector::parse("metadata.name", "Pod").is_ok());
}

}  // namespace
}  // namespace csim::kube::apiserver
