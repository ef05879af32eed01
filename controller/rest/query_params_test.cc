#include "controller/rest/query_params.h"

#include <gtest/gtest.h>

namespace csim::controller {
namespace {

TEST(QueryParamsTest, PercentDecoding) {
  EXPECT_EQ(*percent_decode("a%2Cb%3ac", false), "a,b:c");
  EXPECT_EQ(*percent_decode("a+b", false), "a+b");
  EXPECT_EQ(*percent_decode("a+b", true), "a b");
  for (const char* bad : {"%", "%2", "%zz", "ab%g1"}) {
    auto r = percent_decode(bad, true);
    ASSERT_FALSE(r.is_ok()) << bad;
    EXPECT_EQ(r.status().code(), core::Code::kInvalid);
  }
}

TEST(QueryParamsTest, ParseKeepsTheFirstOfARepeatedName) {
  auto q = QueryParams::parse("detail=True&fields=a%2Cb,c&&flag&detail=false");
  ASSERT_TRUE(q.is_ok()) << q.status().to_string();
  EXPECT_EQ(q->get("detail"), "True");
  EXPECT_TRUE(q->has("flag"));
  EXPECT_EQ(q->get("flag"), "");
  EXPECT_FALSE(q->has("nope"));
  EXPECT_EQ(q->list("fields"), (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(q->items().size(), 3u);
}

TEST(QueryParamsTest, Flags) {
  auto q = *QueryParams::parse("a&b=True&c=true&d=1&e=False&f=0&g=maybe");
  EXPECT_TRUE(*q.flag("a"));
  EXPECT_TRUE(*q.flag("b"));
  EXPECT_TRUE(*q.flag("c"));
  EXPECT_TRUE(*q.flag("d"));
  EXPECT_FALSE(*q.flag("e"));
  EXPECT_FALSE(*q.flag("f"));
  EXPECT_FALSE(*q.flag("absent"));
  EXPECT_TRUE(*q.flag("absent", true));
  auto g = q.flag("g");
  ASSERT_FALSE(g.is_ok());
  EXPECT_NE(g.status().message().find("g=maybe"), std::string::npos);
}

TEST(QueryParamsTest, Targets) {
  auto t = parse_target("/loadbalancer/abc/?exclude_back_refs");
  ASSERT_TRUE(t.is_ok());
  EXPECT_EQ(t->segments, (std::vector<std::string>{"loadbalancer", "abc"}));
  EXPECT_TRUE(t->query.has("exclude_back_refs"));
  EXPECT_TRUE(parse_target("/")->segments.empty());
  EXPECT_EQ(parse_target("/a%2Fb")->segments, std::vector<std::string>{"a/b"});
  EXPECT_FALSE(parse_target("loadbalancers").is_ok());
  EXPECT_FALSE(parse_target("/x?y=%zz").is_ok());
  EXPECT_FALSE(parse_target("/x%").is_ok());
}

TEST(QueryParamsTest, ReadOptions) {
  auto o =
      parse_read_options(*QueryParams::parse("fields=a,b&exclude_children&exclude_hrefs=true"));
  ASSERT_TRUE(o.is_ok());
  ASSERT_TRUE(o->fields.has_value());
  EXPECT_EQ(*o->fields, (std::set<std::string>{"a", "b"}));
  EXPECT_FALSE(o->exclude_back_refs);
  EXPECT_TRUE(o->exclude_children);
  EXPECT_TRUE(o->exclude_hrefs);
  auto none = parse_read_options(QueryParams());
  ASSERT_TRUE(none.is_ok());
  EXPECT_FALSE(none->fields.has_value());
  EXPECT_FALSE(parse_read_options(*QueryParams::parse("exclude_back_refs=perhaps")).is_ok());
}

TEST(QueryParamsTest, ListOptions) {
  auto o = parse_list_options(*QueryParams::parse(
      "parent_id=p1,p2&parent_fq_name_str=default-domain:k8s-default&parent_type=project"
      "&back_ref_id=b1&obj_uuids=u1,u2&fq_names=a:b:c,a:b:d&filters=name==x,loadbalancer_provider"
      "==opencontrail&detail=True&count=false&fields=display_name&page_limit=2&page_marker=u1"));
  ASSERT_TRUE(o.is_ok()) << o.status().to_string();
  EXPECT_EQ(o->parent_ids, (std::vector<std::string>{"p1", "p2"}));
  EXPECT_EQ(o->parent_fq_name, (FqName{"default-domain", "k8s-default"}));
  EXPECT_EQ(o->parent_type, "project");
  EXPECT_EQ(o->back_ref_ids, std::vector<std::string>{"b1"});
  EXPECT_EQ(o->obj_uuids, (std::vector<std::string>{"u1", "u2"}));
  EXPECT_EQ(o->fq_names, (std::vector<FqName>{{"a", "b", "c"}, {"a", "b", "d"}}));
  ASSERT_EQ(o->filters.size(), 2u);
  EXPECT_EQ(o->filters[1],
            (std::pair<std::string, std::string>{"loadbalancer_provider", "opencontrail"}));
  EXPECT_TRUE(o->detail);
  EXPECT_FALSE(o->count);
  EXPECT_EQ(*o->fields, std::set<std::string>{"display_name"});
  EXPECT_EQ(o->page_limit, 2u);
  EXPECT_EQ(o->page_marker, "u1");

  EXPECT_EQ(parse_list_options(*QueryParams::parse("page_marker=None"))->page_marker, "");
  for (const char* bad :
       {"page_limit=0", "page_limit=x", "page_limit=-1", "page_limit=3x", "filters=novalue",
        "filters===x", "count=sometimes", "parent_fq_name_str="}) {
    auto r = parse_list_options(*QueryParams::parse(bad));
    EXPECT_FALSE(r.is_ok()) << bad;
  }
}

}  // namespace
}  // namespace csim::controller
