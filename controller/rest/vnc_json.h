// VNC JSON: how the api-server (:8082) prints a config object, and how it reads the body
// of a create or an update (contrail-reference.md §7.2). Pure functions; thread-safe.
//
// An object prints as
//   {uuid, name, fq_name, parent_type, parent_uuid, parent_href, href, display_name,
//    id_perms {uuid {uuid_mslong, uuid_lslong}, enable, created, last_modified, description,
//              user_visible, creator, permissions {owner, owner_access, group, group_access,
//              other_access}},
//    perms2 {owner, owner_access, global_access, share},
//    <every stored property>,
//    <type>_refs:      [{to, uuid, href, attr}],
//    <type>_back_refs: [{to, uuid, href, attr}],
//    <childtype>s:     [{to, uuid, href}]}
// Stored id_perms / perms2 fields win over the api-server's defaults (owner "cloud-admin",
// accesses 7, global_access 0, enable and user_visible true); display_name defaults to the
// name. Root objects (no parent) have no parent_* fields. Keys print sorted.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "controller/config_api.h"
#include "core/status.h"

namespace csim::controller {

// ---- ids and links -------------------------------------------------------------------

// True for "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx" (hex digits, either case).
bool is_canonical_uuid(std::string_view uuid);

// The uuid as id_perms carries it: the first and the last 64 bits. nullopt if not canonical.
std::optional<std::pair<uint64_t, uint64_t>> uuid_longs(std::string_view uuid);

// The inverse of uuid_longs, lower case.
std::string uuid_from_longs(uint64_t mslong, uint64_t lslong);

// base_url + "/<type>/<uuid>", e.g. "http://127.0.0.1:8082/loadbalancer/<uuid>".
std::string vnc_href(const std::string& base_url, const std::string& type, const std::string& uuid);

// ---- printing --------------------------------------------------------------------------

struct ShapeOptions {
  std::string base_url;  // "http://<host the request came to>"; no trailing '/'
  bool hrefs = true;     // false: no href, parent_href, nor href in links (exclude_hrefs)
  // Only these fields besides the identity ones (uuid, name, fq_name, parent_*, href).
  std::optional<std::set<std::string>> fields;
};

// What is not in a ConfigObject itself. A null pointer leaves that part out.
struct Related {
  const std::vector<ConfigObject>* back_refs = nullptr;  // every object holding a ref to it
  const std::vector<ConfigObject>* children = nullptr;   // every child
};

// The object's body (the value under "<type>").
nlohmann::json vnc_object(const ConfigObject& o, const Related& related, const ShapeOptions& opt);

// id_perms as printed: the stored fields over the defaults, with the uuid's longs.
nlohmann::json vnc_id_perms(const ConfigObject& o);

// One entry of a list that is not detailed: {href, fq_name, uuid} plus opt.fields (which may
// name back-refs and children when `related` has them).
nlohmann::json vnc_list_entry(const ConfigObject& o, const Related& related,
                              const ShapeOptions& opt);

// ---- reading a write -----------------------------------------------------------------

// The fields a create or update body gives (the value under "<type>").
struct VncWrite {
  std::string type;
  std::string uuid;  // "" when not given (also derived from id_perms.uuid)
  std::optional<FqName> fq_name;
  std::optional<std::string> name;
  std::string parent_type;  // hyphenated
  std::string parent_uuid;
  nlohmann::json props = nlohmann::json::object();  // given properties; null = remove (update)
  // Ref lists given, by ref type: each replaces all refs of that type on update.
  std::vector<std::pair<std::string, std::vector<Ref>>> refs;
};

// Reads {"<type>": {...}}. Ignored as the api-server ignores them: href, parent_href,
// *_back_refs, child lists, id_perms.{uuid, created, last_modified}. kInvalid, naming the
// field ("loadbalancer.virtual_machine_interface_refs[0].to: ..."), for a body of another
// shape, a field of the wrong JSON type, a ref without uuid or to, or "<x>_refs" of an
// unknown type.
core::Result<VncWrite> parse_vnc_write(const std::string& type, const nlohmann::json& body);

// The object a create stores: fq_name as given (the caller fills it in when only a name was
// given), props without nulls, refs flattened in the order given.
ConfigObject object_for_create(const VncWrite& w, FqName fq_name);

// The object an update stores, as the api-server merges a PUT: each given property replaces
// the stored one (null removes it; id_perms and perms2 merge field by field), each given ref
// list replaces the stored refs of its type (in place); the rest is kept.
ConfigObject merge_update(const ConfigObject& stored, const VncWrite& w);

}  // namespace csim::controller
