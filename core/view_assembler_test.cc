#include "core/view_assembler.h"

#include <gtest/gtest.h>

namespace csim::core {
namespace {

using nlohmann::json;

json object(const std::string& type, const std::string& name, const std::string& uuid,
            json props = json::object()) {
  return {{"type", type}, {"fq_name", {"default-domain", name}}, {"uuid", uuid}, {"props", props}};
}

json names(const json& view) {
  json out = json::array();
  for (const auto& o : view["objects"]) out.push_back(o["fq_name"][1]);
  return out;
}

TEST(ViewAssemblerTest, ChangesAddUpToTheWholeViewInViewOrder) {
  ViewAssembler a;
  EXPECT_TRUE(a.view().is_null());
  ASSERT_TRUE(a.apply({{"version", 1},
                       {"node", "node-1"},
                       {"summary", "view v1"},
                       {"objects",
                        {object("virtual-machine", "vm-b", "u2"),
                         object("instance-ip", "ip-a", "u3"), object("virtual-machine", "vm-a", "u1")}},
                       {"routes", {{{"prefix", "10.0.0.1/32"}}}}})
                  .is_ok());
  EXPECT_EQ(names(a.view()), json({"ip-a", "vm-a", "vm-b"}));  // type, then fq_name
  // A change: one object changed, one new, one gone; routes replaced whole.
  ASSERT_TRUE(a.apply({{"version", 2},
                       {"base", 1},
                       {"node", "node-1"},
                       {"summary", "view v2"},
                       {"objects",
                        {object("virtual-machine", "vm-a", "u1", {{"x", 1}}),
                         object("virtual-machine", "vm-c", "u4")}},
                       {"removed", {"u2"}},
                       {"routes", json::array()}})
                  .is_ok());
  json v = a.view();
  EXPECT_EQ(v["version"], 2);
  EXPECT_EQ(v["summary"], "view v2");
  EXPECT_EQ(names(v), json({"ip-a", "vm-a", "vm-c"}));
  EXPECT_EQ(v["objects"][1]["props"], (json{{"x", 1}}));
  EXPECT_EQ(v["routes"], json::array());
  EXPECT_EQ(v["services"], json::array());
  // A whole view replaces everything.
  ASSERT_TRUE(a.apply({{"version", 3}, {"objects", {object("virtual-machine", "vm-z", "u9")}}})
                  .is_ok());
  EXPECT_EQ(names(a.view()), json({"vm-z"}));
}

TEST(ViewAssemblerTest, AChangeOnAnotherVersionIsRefusedAndChangesNothing) {
  ViewAssembler a;
  Status s = a.apply({{"version", 2}, {"base", 1}, {"objects", json::array()}});
  EXPECT_EQ(s.code(), Code::kConflict);
  EXPECT_EQ(s.message(), "view v2 is a change on v1, this agent has v0: needs the whole view");
  ASSERT_TRUE(a.apply({{"version", 5}, {"objects", {object("virtual-machine", "vm", "u1")}}}).is_ok());
  EXPECT_EQ(a.apply({{"version", 7}, {"base", 6}, {"removed", {"u1"}}}).code(), Code::kConflict);
  EXPECT_EQ(a.version(), 5u);
  EXPECT_EQ(names(a.view()), json({"vm"}));
}

TEST(ViewAssemblerTest, MalformedMessagesAreRefusedWhole) {
  ViewAssembler a;
  ASSERT_TRUE(a.apply({{"version", 1}, {"objects", {object("virtual-machine", "vm", "u1")}}}).is_ok());
  EXPECT_EQ(a.apply(json::array()).code(), Code::kInvalid);
  EXPECT_EQ(a.apply({{"version", "two"}}).code(), Code::kInvalid);
  // One bad object: the good one beside it is not applied either.
  EXPECT_EQ(a.apply({{"version", 2},
                     {"base", 1},
                     {"objects", {object("virtual-machine", "vm2", "u2"), {{"type", "x"}}}}})
                .code(),
            Code::kInvalid);
  EXPECT_EQ(a.version(), 1u);
  EXPECT_EQ(names(a.view()), json({"vm"}));
}

}  // namespace
}  // namespace csim::core
