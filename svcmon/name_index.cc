#include "svcmon/name_index.h"

#include <algorithm>

namespace csim::svcmon {

using controller::ConfigObject;

NameIndex::NameIndex(const controller::ConfigApi& api) : api_(api) {}

bool NameIndex::indexes(const std::string& type) {
  return type == "service-instance" || type == "floating-ip";
}

void NameIndex::load(const std::string& type, const std::vector<ConfigObject>& objects) {
  if (!indexes(type)) return;
  for (auto it = uuids_.begin(); it != uuids_.end();) {
    if (it->first.first == type) {
      it = uuids_.erase(it);
    } else {
      ++it;
    }
  }
  for (const auto& o : objects)
    if (o.type == type) uuids_[{type, o.name()}].insert(o.uuid);
  loaded_.insert(type);
}

void NameIndex::on_change(const nlohmann::json& body) {
  if (!body.is_object()) return;
  const std::string type = body.value("type", "");
  const std::string uuid = body.value("uuid", "");
  const std::string op = body.value("op", "");
  auto fq = body.find("fq_name");
  if (!indexes(type) || uuid.empty() || fq == body.end() || !fq->is_array() || fq->empty() ||
      !fq->back().is_string())
    return;
  const std::pair<std::string, std::string> key{type, fq->back().get<std::string>()};
  if (op == "delete") {
    auto it = uuids_.find(key);
    if (it == uuids_.end()) return;
    it->second.erase(uuid);
    if (it->second.empty()) uuids_.erase(it);
  } else {
    uuids_[key].insert(uuid);
  }
}

void NameIndex::note(const ConfigObject& object) {
  if (indexes(object.type) && !object.uuid.empty())
    uuids_[{object.type, object.name()}].insert(object.uuid);
}

std::vector<ConfigObject> NameIndex::find(const std::string& type, const std::string& name) {
  if (indexes(type) && !loaded_.count(type)) load(type, api_.list(type));
  std::vector<ConfigObject> out;
  auto it = uuids_.find({type, name});
  if (it == uuids_.end()) return out;
  for (auto u = it->second.begin(); u != it->second.end();) {
    auto o = api_.read(*u);
    if (!o) {
      u = it->second.erase(u);  // deleted (uuids are never reused); its notification may lag
      continue;
    }
    if (o->type == type && o->name() == name) out.push_back(std::move(*o));
    ++u;
  }
  if (it->second.empty()) uuids_.erase(it);
  std::sort(out.begin(), out.end(), [](const ConfigObject& a, const ConfigObject& b) {
    return std::tie(a.fq_name, a.uuid) < std::tie(b.fq_name, b.uuid);
  });
  return out;
}

}  // namespace csim::svcmon
