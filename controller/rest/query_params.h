// Request targets of the VNC REST API: path and query string, and the query options of a
// read (GET /<type>/<uuid>) and a list (GET /<type>s) as the api-server reads them.
//
// Pure functions; thread-safe. Errors are kInvalid with a message naming the parameter.
#pragma once

#include <cstddef>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "controller/config_api.h"
#include "core/status.h"

namespace csim::controller {

// "%2F" -> "/"; with plus_is_space (query strings), '+' -> ' '. kInvalid on a bad escape.
core::Result<std::string> percent_decode(std::string_view text, bool plus_is_space);

// A query string's parameters in the order given (a repeated name keeps its first value).
class QueryParams {
 public:
  QueryParams() = default;
  // Parses "a=1&b=x%2Cy&flag". kInvalid names the parameter with a bad escape.
  static core::Result<QueryParams> parse(std::string_view query);

  bool has(std::string_view name) const;
  std::optional<std::string> get(std::string_view name) const;

  // A flag as the api-server reads one: absent -> fallback; "", "true", "True", "1",
  // "yes" -> true; "false", "False", "0", "no" -> false; anything else is kInvalid.
  core::Result<bool> flag(std::string_view name, bool fallback = false) const;

  // "a,b,,c" -> {"a","b","c"}; absent -> {}.
  std::vector<std::string> list(std::string_view name) const;

  const std::vector<std::pair<std::string, std::string>>& items() const { return items_; }

 private:
  std::vector<std::pair<std::string, std::string>> items_;
};

// A request target split into its decoded path segments and its query.
struct RequestTarget {
  std::vector<std::string> segments;  // "/loadbalancer/u1/" -> {"loadbalancer", "u1"}
  QueryParams query;
};
// kInvalid for a target that does not start with '/' or has a bad escape.
core::Result<RequestTarget> parse_target(std::string_view target);

// What to put in one object (GET /<type>/<uuid>, and each object of a detailed list).
struct ReadOptions {
  // Only these fields (properties, "<type>_refs", "<type>_back_refs", "<child>s") besides
  // the identity fields (uuid, name, fq_name, parent_type, parent_uuid, parent_href, href).
  std::optional<std::set<std::string>> fields;
  bool exclude_back_refs = false;
  bool exclude_children = false;
  bool exclude_hrefs = false;
};
// fields=a,b  exclude_back_refs  exclude_children  exclude_hrefs
core::Result<ReadOptions> parse_read_options(const QueryParams& q);

// GET /<type>s. Every selector given narrows the list (they are ANDed; the uuids within
// one selector are ORed).
struct ListOptions {
  std::vector<std::string> parent_ids;    // parent_id=u1,u2
  std::optional<FqName> parent_fq_name;   // parent_fq_name_str=a:b
  std::string parent_type;                // parent_type=project (with the above)
  std::vector<std::string> back_ref_ids;  // back_ref_id=u1,u2: objects that refer to one
  std::vector<std::string> obj_uuids;     // obj_uuids=u1,u2
  std::vector<FqName> fq_names;           // fq_names=a:b:c,a:b:d
  std::vector<std::pair<std::string, std::string>> filters;  // filters=prop==value,...
  bool detail = false;                                       // detail=True: whole objects
  bool count = false;                           // count=True: {"<type>s": {"count": N}}
  std::optional<std::set<std::string>> fields;  // fields=a,b: these fields in each entry
  bool exclude_hrefs = false;
  std::optional<size_t> page_limit;  // page_limit=N (N >= 1), ordered by uuid
  std::string page_marker;           // page_marker=<uuid>: start after it
};
core::Result<ListOptions> parse_list_options(const QueryParams& q);

// "a:b:c" -> {"a","b","c"}.
FqName split_fq_name(std::string_view text);

}  // namespace csim::controller
