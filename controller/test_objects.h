// Test support (testonly) for the tests of the config API's users: objects and refs in one
// line, creating through the real config API, and CountingApi, the real API behind a
// pass-through that counts what a module reads (a test asserts what one change costs).
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "controller/config_api.h"

namespace csim::controller::testing {

// An object to create: type, fq_name and parent (no uuid: the config API draws one).
inline ConfigObject make(const std::string& type, FqName fq, const std::string& parent_type = "",
                         const std::string& parent_uuid = "") {
  ConfigObject o;
  o.type = type;
  o.fq_name = std::move(fq);
  o.parent_type = parent_type;
  o.parent_uuid = parent_uuid;
  return o;
}

// A ref to (type, uuid) with attr; the config API fills in `to` (the target's fq_name).
inline Ref ref(const std::string& type, const std::string& uuid, nlohmann::json attr = nullptr) {
  return Ref{type, uuid, {}, std::move(attr)};
}

// The object made with type, fq_name, parent, refs and props, created through the real
// config API; the test fails (EXPECT) when the create is refused. Returns the stored object
// (uuid and allocated addresses filled in), or an empty one after a failure.

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

// The real config API behind a pass-through that counts reads (read, read_fq), whole-type
// lists, and back_refs / children queries with the rows the DB goes through for them.
// Nothing is faked: every call reaches the API behind it.
class CountingApi : public ConfigApi {
 public:
  explicit CountingApi(ConfigApi& db) : db_(db) {}
  core::Result<ConfigObject> create(ConfigObject o) override { return db_.create(std::move(o)); }
  core::Result<ConfigObject> update(ConfigObject o) override { return db_.update(std::move(o)); }
  core::Status remove(const std::string& type, const std::string& uuid) override {
    return db_.remove(type, uuid);
  }
  core::Status ref_update(const std::string& type, const std::string& uuid,
                          const std::string& ref_type, const std::string& ref_uuid, RefOp op,
                          nlohmann::json attr) override {
    return db_.ref_update(type, uuid, ref_type, ref_uuid, op, std::move(attr));
  }
  std::optional<ConfigObject> read(const std::string& uuid) const override {
    ++reads;
    return db_.read(uuid);
  }
  std::optional<ConfigObject> read_fq(const std::string& type, const FqName& fq) const override {
    ++reads;
    return db_.read_fq(type, fq);
  }
  std::vector<ConfigObject> list(const std::string& type,
                                 const std::string& parent_uuid) const override {
    ++lists;
    return db_.list(type, parent_uuid);
  }
  std::vector<ConfigObject> back_refs(const std::string& uuid,
                                      const std::string& from_type) const override {
    ++queries;
    auto out = db_.back_refs(uuid, from_type);
    // The DB walks every ref to `uuid` to find those of from_type (refs are indexed by
    // target only): count what it walks, not what it returns.
    rows += from_type.empty() ? out.size() : db_.back_refs(uuid, "").size();
    return out;
  }
  std::vector<ConfigObject> children(const std::string& uuid,
                                     const std::string& child_type) const override {
    ++queries;
    auto out = db_.children(uuid, child_type);
    rows += out.size();
    return out;
  }
  void reset() { reads = lists = queries = rows = 0; }

  mutable size_t reads = 0, lists = 0, queries = 0;
  mutable size_t rows = 0;  // rows the DB goes through for back_refs / children

 private:
  ConfigApi& db_;
};

}  // namespace csim::controller::testing
