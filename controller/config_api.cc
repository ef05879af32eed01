#include "controller/config_api.h"

namespace csim::controller {

const std::string& ConfigObject::name() const {
  static const std::string kEmpty;
  return fq_name.empty() ? kEmpty : fq_name.back();
}

std::vector<std::string> ConfigObject::ref_uuids(const std::string& ref_type) const {
  std::vector<std::string> out;
  for (const auto& r : refs)
    if (r.type == ref_type) out.push_back(r.uuid);
  return out;
}

std::optional<std::string> ConfigObject::annotation(const std::string& key) const {
  auto a = props.find("annotations");
  if (a == props.end() || !a->is_object()) return std::nullopt;
  auto kvps = a->find("key_value_pair");
  if (kvps == a->end() || !kvps->is_array()) return std::nullopt;
  for (const auto& kv : *kvps) {
    if (kv.value("key", "") == key) {
      const auto& v = kv["value"];
      return v.is_string() ? v.get<std::string>() : v.dump();
    }
  }
  return std::nullopt;
}

std::optional<std::string> ConfigApi::uuid_of(const std::string& type, const FqName& fq) const {
  auto o = read_fq(type, fq);
  if (!o) return std::nullopt;
  return o->uuid;
}

std::vector<std::string> ConfigApi::back_ref_uuids(const std::string& uuid,
                                                   const std::string& from_type) const {
  std::vector<std::string> out;
  for (const auto& o : back_refs(uuid, from_type)) out.push_back(o.uuid);
  return out;
}

void to_json(nlohmann::json& j, const Ref& r) {
  j = {{"type", r.type}, {"uuid", r.uuid}, {"to", r.to}, {"attr", r.attr}};
}

void from_json(const nlohmann::json& j, Ref& r) {
  r.type = j.value("type", "");
  r.uuid = j.value("uuid", "");
  r.to = j.value("to", FqName{});
  r.attr = j.contains("attr") ? j["attr"] : nlohmann::json();
}

void to_json(nlohmann::json& j, const ConfigObject& o) {
  j = {{"type", o.type},   {"uuid", o.uuid},   {"fq_name", o.fq_name}, {"parent_type", o.parent_type},
       {"parent_uuid", o.parent_uuid}, {"props", o.props}, {"refs", o.refs}};
}

void from_json(const nlohmann::json& j, ConfigObject& o) {
  o.type = j.value("type", "");
  o.uuid = j.value("uuid", "");
  o.fq_name = j.value("fq_name", FqName{});
  o.parent_type = j.value("parent_type", "");
  o.parent_uuid = j.value("parent_uuid", "");
  o.props = j.contains("props") ? j["props"] : nlohmann::json::object();
  o.refs = j.value("refs", std::vector<Ref>{});
}

}  // namespace csim::controller
