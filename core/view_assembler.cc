#include "core/view_assembler.h"

#include <optional>

namespace csim::core {

using nlohmann::json;

namespace {

// The ordering key of a view object; false when it lacks one.
bool key_of(const json& o, std::string* type, std::vector<std::string>* fq, std::string* uuid) {
  if (!o.is_object()) return false;
  auto t = o.find("type"), f = o.find("fq_name"), u = o.find("uuid");
  if (t == o.end() || !t->is_string() || u == o.end() || !u->is_string() || f == o.end() ||
      !f->is_array())
    return false;
  for (const auto& part : *f) {
    if (!part.is_string()) return false;
    fq->push_back(part.get<std::string>());
  }
  *type = t->get<std::string>();
  *uuid = u->get<std::string>();
  return true;
}

// message[field] when it is an array, else an empty array (no copy either way).
const json& list_field(const json& message, const char* field) {
  static const json kEmpty = json::array();
  auto it = message.find(field);
  return it != message.end() && it->is_array() ? *it : kEmpty;
}

}  // namespace

Status ViewAssembler::apply(const json& message) {
  auto number = [&](const char* field) -> std::optional<uint64_t> {
    auto it = message.find(field);
    if (it == message.end() || !it->is_number_integer() || it->get<int64_t>() < 0)
      return std::nullopt;
    return it->get<uint64_t>();
  };
  if (!message.is_object() || !number("version"))
    return invalid("view message: version is missing or not a number");
  const uint64_t version = *number("version");
  const uint64_t base = message.contains("base") ? number("base").value_or(0) : 0;
  const bool whole = base == 0;
  if (!whole && base != version_)
    return Status(Code::kConflict, "view v" + std::to_string(version) + " is a change on v" +
                                       std::to_string(base) + ", this agent has v" +
                                       std::to_string(version_) + ": needs the whole view");
  // Check everything before changing anything.
  const json& objects = list_field(message, "objects");
  std::vector<std::pair<Key, const json*>> upserts;
  for (const auto& o : objects) {
    std::string type, uuid;
    std::vector<std::string> fq;
    if (!key_of(o, &type, &fq, &uuid))
      return invalid("view v" + std::to_string(version) +
                     ": an object without type, fq_name or uuid");
    upserts.emplace_back(Key{std::move(type), std::move(fq), std::move(uuid)}, &o);
  }
  if (whole) {
    objects_.clear();
    key_of_.clear();
  } else {
    for (const auto& removed : list_field(message, "removed")) {
      if (!removed.is_string()) continue;
      auto it = key_of_.find(removed.get<std::string>());
      if (it == key_of_.end()) continue;
      objects_.erase(it->second);
      key_of_.erase(it);
    }
  }
  for (auto& [key, object] : upserts) {
    const std::string& uuid = std::get<2>(key);
    if (auto old = key_of_.find(uuid); old != key_of_.end()) objects_.erase(old->second);
    key_of_[uuid] = key;
    objects_[key] = *object;
  }
  version_ = version;
  node_ = message.value("node", node_);
  summary_ = message.value("summary", std::string());
  routes_ = list_field(message, "routes");
  services_ = list_field(message, "services");
  floating_ips_ = list_field(message, "floating_ips");
  return Status::ok();
}

json ViewAssembler::view() const {
  if (version_ == 0) return json();
  json objects = json::array();
  objects.get_ref<json::array_t&>().reserve(objects_.size());
  for (const auto& [key, o] : objects_) objects.push_back(o);
  return {{"version", version_},     {"node", node_},         {"summary", summary_},
          {"objects", std::move(objects)}, {"routes", routes_}, {"services", services_},
          {"floating_ips", floating_ips_}};
}

}  // namespace csim::core
