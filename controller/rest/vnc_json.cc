#include "controller/rest/vnc_json.h"

#include <cstdio>

#include "controller/rest/vnc_types.h"

namespace csim::controller {
namespace {

using nlohmann::json;

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool wanted(const ShapeOptions& opt, const std::string& field) {
  return !opt.fields || opt.fields->count(field) > 0;
}

json default_permissions() {
  return {{"owner", "cloud-admin"},
          {"owner_access", 7},
          {"group", "cloud-admin-group"},
          {"group_access", 7},
          {"other_access", 7}};
}

json default_perms2() {
  return {{"owner", "cloud-admin"},
          {"owner_access", 7},
          {"global_access", 0},
          {"share", json::array()}};
}

// `over`'s fields replace `base`'s (one level deep).
json overlay(json base, const json& over) {
  if (!over.is_object()) return base;
  for (auto it = over.begin(); it != over.end(); ++it) base[it.key()] = it.value();
  return base;
}

json link(const std::string& type, const std::string& uuid, const FqName& to,
          const ShapeOptions& opt) {
  json l = {{"to", to}, {"uuid", uuid}};
  if (opt.hrefs) l["href"] = vnc_href(opt.base_url, type, uuid);
  return l;
}

json identity(const ConfigObject& o, const ShapeOptions& opt) {
  json j = {{"uuid", o.uuid}, {"name", o.name()}, {"fq_name", o.fq_name}};
  if (!o.parent_type.empty()) {
    j["parent_type"] = o.parent_type;
    j["parent_uuid"] = o.parent_uuid;
    if (opt.hrefs) j["parent_href"] = vnc_href(opt.base_url, o.parent_type, o.parent_uuid);
  }
  if (opt.hrefs) j["href"] = vnc_href(opt.base_url, o.type, o.uuid);
  return j;
}

// Props and refs (the fields a detailed list prints), into j.
void add_props_and_refs(json& j, const ConfigObject& o, const ShapeOptions& opt) {
  for (auto it = o.props.begin(); it != o.props.end(); ++it) {
    if (!wanted(opt, it.key())) continue;
    if (it.key() == "id_perms" || it.key() == "perms2") continue;
    j[it.key()] = it.value();
  }
  if (wanted(opt, "id_perms")) j["id_perms"] = vnc_id_perms(o);
  if (wanted(opt, "perms2"))
    j["perms2"] = overlay(default_perms2(), o.props.value("perms2", json()));
  if (wanted(opt, "display_name") && !o.props.contains("display_name"))
    j["display_name"] = o.name();
  for (const Ref& r : o.refs) {
    const std::string field = type_field(r.type) + "_refs";
    if (!wanted(opt, field)) continue;
    json l = link(r.type, r.uuid, r.to, opt);
    l["attr"] = r.attr;
    j[field].push_back(std::move(l));
  }
}

std::string string_field(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : "";
}

}  // namespace

bool is_canonical_uuid(std::string_view uuid) {
  if (uuid.size() != 36) return false;
  for (size_t i = 0; i < uuid.size(); ++i) {
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (uuid[i] != '-') return false;
    } else if (hex_digit(uuid[i]) < 0) {
      return false;
    }
  }
  return true;
}

std::optional<std::pair<uint64_t, uint64_t>> uuid_longs(std::string_view uuid) {
  if (!is_canonical_uuid(uuid)) return std::nullopt;
  uint64_t ms = 0, ls = 0;
  int n = 0;
  for (char c : uuid) {
    if (c == '-') continue;
    uint64_t& part = n < 16 ? ms : ls;
    part = (part << 4) | static_cast<uint64_t>(hex_digit(c));
    ++n;
  }
  return std::make_pair(ms, ls);
}

std::string uuid_from_longs(uint64_t ms, uint64_t ls) {
  char buf[37];
  std::snprintf(buf, sizeof buf, "%08x-%04x-%04x-%04x-%012llx", static_cast<unsigned>(ms >> 32),
                static_cast<unsigned>((ms >> 16) & 0xffff), static_cast<unsigned>(ms & 0xffff),
                static_cast<unsigned>(ls >> 48),
                static_cast<unsigned long long>(ls & 0xffffffffffffULL));
  return buf;
}

std::string vnc_href(const std::string& base_url, const std::string& type,
                     const std::string& uuid) {
  return base_url + "/" + type + "/" + uuid;
}

json vnc_id_perms(const ConfigObject& o) {
  json p = {{"enable", true},
            {"description", nullptr},
            {"user_visible", true},
            {"creator", nullptr},
            {"permissions", default_permissions()}};
  const json stored = o.props.value("id_perms", json());
  if (stored.is_object()) {
    for (auto it = stored.begin(); it != stored.end(); ++it) {
      if (it.key() == "uuid") continue;
      if (it.key() == "permissions")
        p["permissions"] = overlay(default_permissions(), it.value());
      else
        p[it.key()] = it.value();
    }
  }
  if (auto longs = uuid_longs(o.uuid))
    p["uuid"] = {{"uuid_mslong", longs->first}, {"uuid_lslong", longs->second}};
  return p;
}

json vnc_object(const ConfigObject& o, const Related& related, const ShapeOptions& opt) {
  json j = identity(o, opt);
  add_props_and_refs(j, o, opt);
  if (related.back_refs) {
    for (const ConfigObject& holder : *related.back_refs) {
      const std::string field = type_field(holder.type) + "_back_refs";
      if (!wanted(opt, field)) continue;
      for (const Ref& r : holder.refs) {
        if (r.uuid != o.uuid) continue;
        json l = link(holder.type, holder.uuid, holder.fq_name, opt);
        l["attr"] = r.attr;
        j[field].push_back(std::move(l));
      }
    }
  }
  if (related.children) {
    for (const ConfigObject& child : *related.children) {
      const std::string field = type_field(child.type) + "s";
      if (!wanted(opt, field)) continue;
      j[field].push_back(link(child.type, child.uuid, child.fq_name, opt));
    }
  }
  return j;
}

json vnc_list_entry(const ConfigObject& o, const Related& related, const ShapeOptions& opt) {
  json j = {{"uuid", o.uuid}, {"fq_name", o.fq_name}};
  if (opt.hrefs) j["href"] = vnc_href(opt.base_url, o.type, o.uuid);
  if (opt.fields) {
    json full = vnc_object(o, related, opt);
    for (const auto& f : *opt.fields)
      if (full.contains(f)) j[f] = full[f];
  }
  return j;
}

core::Result<VncWrite> parse_vnc_write(const std::string& type, const json& body) {
  if (!body.is_object() || !body.contains(type) || body.size() != 1)
    return core::invalid("the body must be {\"" + type + "\": {...}}");
  const json& in = body[type];
  if (!in.is_object()) return core::invalid(type + ": must be a JSON object");
  VncWrite w;
  w.type = type;
  auto string_of = [&](const std::string& key, const json& v) -> core::Result<std::string> {
    if (!v.is_string()) return core::invalid(type + "." + key + ": must be a string");
    return v.get<std::string>();
  };
  auto fq_of = [&](const std::string& at, const json& v) -> core::Result<FqName> {
    if (!v.is_array() || v.empty())
      return core::invalid(at + ": must be a non-empty list of strings");
    FqName fq;
    for (const auto& e : v) {
      if (!e.is_string() || e.get<std::string>().empty())
        return core::invalid(at + ": must be a non-empty list of non-empty strings");
      fq.push_back(e.get<std::string>());
    }
    return fq;
  };
  for (auto it = in.begin(); it != in.end(); ++it) {
    const std::string& key = it.key();
    const json& v = it.value();
    if (key == "href" || key == "parent_href" || key == "tstamp") continue;
    if (key == "uuid") {
      auto s = string_of(key, v);
      if (!s) return s.status();
      w.uuid = *s;
    } else if (key == "fq_name") {
      auto fq = fq_of(type + ".fq_name", v);
      if (!fq) return fq.status();
      w.fq_name = std::move(*fq);
    } else if (key == "name") {
      auto s = string_of(key, v);
      if (!s) return s.status();
      w.name = *s;
    } else if (key == "parent_type") {
      auto s = string_of(key, v);
      if (!s) return s.status();
      w.parent_type = type_from_field(*s);
    } else if (key == "parent_uuid") {
      auto s = string_of(key, v);
      if (!s) return s.status();
      w.parent_uuid = *s;
    } else if (key == "id_perms") {
      if (v.is_null()) continue;
      if (!v.is_object()) return core::invalid(type + ".id_perms: must be an object");
      json perms = v;
      if (auto u = perms.find("uuid"); u != perms.end() && u->is_object()) {
        auto ms = u->find("uuid_mslong"), ls = u->find("uuid_lslong");
        if (ms != u->end() && ls != u->end() && ms->is_number_integer() &&
            ls->is_number_integer() && w.uuid.empty() && !in.contains("uuid"))
          w.uuid = uuid_from_longs(ms->get<uint64_t>(), ls->get<uint64_t>());
      }
      perms.erase("uuid");
      perms.erase("created");
      perms.erase("last_modified");
      w.props["id_perms"] = std::move(perms);
    } else if (auto ref_type = ref_field_type(key)) {
      std::vector<Ref> refs;
      if (!v.is_null()) {
        if (!v.is_array()) return core::invalid(type + "." + key + ": must be a list");
        for (size_t i = 0; i < v.size(); ++i) {
          const std::string at = type + "." + key + "[" + std::to_string(i) + "]";
          const json& e = v[i];
          if (!e.is_object()) return core::invalid(at + ": must be an object {to, uuid, attr}");
          Ref r;
          r.type = *ref_type;
          r.uuid = string_field(e, "uuid");
          if (e.contains("uuid") && !e["uuid"].is_string())
            return core::invalid(at + ".uuid: must be a string");
          if (e.contains("to") && !e["to"].is_null()) {
            auto fq = fq_of(at + ".to", e["to"]);
            if (!fq) return fq.status();
            r.to = std::move(*fq);
          }
          if (r.uuid.empty() && r.to.empty())
            return core::invalid(at + ": needs the uuid or the fq_name (to) of the " + *ref_type);
          r.attr = e.contains("attr") ? e["attr"] : json();
          refs.push_back(std::move(r));
        }
      }
      w.refs.emplace_back(*ref_type, std::move(refs));
    } else if (key.size() > 5 && key.compare(key.size() - 5, 5, "_refs") == 0 &&
               !is_back_ref_field(key)) {
      return core::invalid(type + "." + key + ": no such type \"" +
                           type_from_field(key.substr(0, key.size() - 5)) + "\" to refer to");
    } else if (is_back_ref_field(key) || (is_children_field(key) && v.is_array())) {
      continue;  // the api-server derives these; a client that sends back what it read is fine
    } else {
      w.props[key] = v;
    }
  }
  return w;
}

ConfigObject object_for_create(const VncWrite& w, FqName fq_name) {
  ConfigObject o;
  o.type = w.type;
  o.uuid = w.uuid;
  o.fq_name = std::move(fq_name);
  o.parent_type = w.parent_type;
  o.parent_uuid = w.parent_uuid;
  for (auto it = w.props.begin(); it != w.props.end(); ++it)
    if (!it.value().is_null()) o.props[it.key()] = it.value();
  for (const auto& [type, refs] : w.refs)
    for (const Ref& r : refs) o.refs.push_back(r);
  return o;
}

ConfigObject merge_update(const ConfigObject& stored, const VncWrite& w) {
  ConfigObject o = stored;
  for (auto it = w.props.begin(); it != w.props.end(); ++it) {
    const std::string& key = it.key();
    if (it.value().is_null()) {
      o.props.erase(key);
    } else if ((key == "id_perms" || key == "perms2") && it.value().is_object()) {
      o.props[key] = overlay(o.props.value(key, json::object()), it.value());
    } else {
      o.props[key] = it.value();
    }
  }
  if (w.refs.empty()) return o;
  std::vector<Ref> refs;
  std::set<std::string> emitted;
  auto given = [&](const std::string& type) -> const std::vector<Ref>* {
    for (const auto& [t, list] : w.refs)
      if (t == type) return &list;
    return nullptr;
  };
  for (const Ref& r : stored.refs) {
    const std::vector<Ref>* replacement = given(r.type);
    if (!replacement) {
      refs.push_back(r);
    } else if (emitted.insert(r.type).second) {
      refs.insert(refs.end(), replacement->begin(), replacement->end());
    }
  }
  for (const auto& [type, list] : w.refs)
    if (emitted.insert(type).second) refs.insert(refs.end(), list.begin(), list.end());
  o.refs = std::move(refs);
  return o;
}

}  // namespace csim::controller
