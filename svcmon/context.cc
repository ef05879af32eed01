#include "svcmon/context.h"

namespace csim::svcmon {

void Context::record(const std::string& name, const std::string& summary, core::Nanos start) const {
  bus.record(kModule, name, summary, start, now());
}

std::string fq_string(const controller::FqName& fq) {
  std::string out;
  for (size_t i = 0; i < fq.size(); ++i) out += (i ? ":" : "") + fq[i];
  return out;
}

std::string string_prop(const nlohmann::json& props, const std::string& key) {
  if (!props.is_object()) return "";
  auto it = props.find(key);
  if (it == props.end() || !it->is_string()) return "";
  return it->get<std::string>();
}

bool has_ref(const controller::ConfigObject& o, const std::string& uuid) {
  for (const auto& r : o.refs)
    if (r.uuid == uuid) return true;
  return false;
}

std::vector<std::pair<std::string, std::string>> key_values(const nlohmann::json& kvps) {
  std::vector<std::pair<std::string, std::string>> out;
  if (!kvps.is_object()) return out;
  auto list = kvps.find("key_value_pair");
  if (list == kvps.end() || !list->is_array()) return out;
  for (const auto& kv : *list) {
    if (!kv.is_object()) continue;
    std::string key = kv.value("key", "");
    auto v = kv.find("value");
    std::string value;
    if (v != kv.end()) value = v->is_string() ? v->get<std::string>() : v->dump();
    out.emplace_back(key, value);
  }
  return out;
}

core::Status remove_if_present(controller::ConfigApi& api, const std::string& type,
                               const std::string& uuid) {
  core::Status s = api.remove(type, uuid);
  if (s.code() == core::Code::kNotFound) return core::Status::ok();
  return s;
}

}  // namespace csim::svcmon
