// The resource types of Contrail's VNC schema and how their names appear in the REST API.
//
// A type is hyphenated ("loadbalancer-pool"): that is how it appears in URLs
// (/loadbalancer-pool/<uuid>), in a collection's name (/loadbalancer-pools, the type plus
// "s", as the api-server spells it, "network-policys" included) and as the top-level key of
// a body. Inside an object, field names use underscores: "loadbalancer_pool_refs",
// "loadbalancer_pool_back_refs", and "loadbalancer_pools" for children.
//
// Pure functions over a fixed list; thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace csim::controller {

// Every resource type of the VNC schema that csim's REST API serves, sorted.
const std::vector<std::string>& vnc_types();

// True for a type of vnc_types().
bool is_vnc_type(std::string_view type);

// "loadbalancer-pools" -> "loadbalancer-pool"; nullopt when it names no known type.
std::optional<std::string> type_of_collection(std::string_view collection);

// "loadbalancer-pool" -> "loadbalancer-pools".
std::string collection_of(std::string_view type);

// "loadbalancer-pool" -> "loadbalancer_pool" (the type as a field name).
std::string type_field(std::string_view type);

// "loadbalancer_pool" or "loadbalancer-pool" -> "loadbalancer-pool" (hyphens, as stored).
std::string type_from_field(std::string_view field);

// "virtual_machine_interface_refs" -> "virtual-machine-interface"; nullopt for a field that
// is not "<type>_refs" of a known type ("*_back_refs" are not refs).
std::optional<std::string> ref_field_type(std::string_view field);

// True for "<type>_back_refs" of a known type.
bool is_back_ref_field(std::string_view field);

// True for "<type>s" with a known type in field form ("loadbalancer_members"): a child list.
bool is_children_field(std::string_view field);

// The parent types the schema allows for `type`, for the types csim simulates: an empty
// list for a root object (instance-ip, virtual-machine, domain, ...); nullopt when this
// table does not know the type (then any parent is accepted).
std::optional<std::vector<std::string>> schema_parents(std::string_view type);

}  // namespace csim::controller
