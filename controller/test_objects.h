// Test support (testonly): creating config objects in one line. The object is made with
// type, fq_name, parent, refs and props, created through the real config API, and the test
// fails (EXPECT) when the create is refused; the stored object (uuid and allocated
// addresses filled in) is returned, or an empty one after a failure.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "controller/config_api.h"

namespace csim::controller::testing {

inline ConfigObject must_create(ConfigApi& api, const std::string& type, FqName fq,
                                const std::string& parent_uuid, std::vector<Ref> refs = {},
                                nlohmann::json props = nlohmann::json::object()) {
  ConfigObject o;
  o.type = type;
  o.fq_name = std::move(fq);
  o.parent_uuid = parent_uuid;
  o.refs = std::move(refs);
  o.props = std::move(props);
  auto r = api.create(o);
  EXPECT_TRUE(r.is_ok()) << type << ": " << r.status().to_string();
  return r.is_ok() ? *r : ConfigObject{};
}

}  // namespace csim::controller::testing
