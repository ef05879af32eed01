// Label and field selectors of list and watch requests (?labelSelector=, ?fieldSelector=).
//
// Label selectors take the full Kubernetes syntax, terms joined by ',':
//   k=v  k==v  k!=v  k in (a,b)  k notin (a,b)  k  !k
// Field selectors take k=v, k==v, k!=v with '\' escapes (\, \= \\). Which fields a kind
// supports is Kubernetes's list (metadata.name and metadata.namespace for every kind, plus
// e.g. spec.nodeName / status.phase for pods and involvedObject.* / reason / type / source
// for events); any other field is a 400 "field label not supported". Pure; thread-safe.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/status.h"

namespace csim::kube::apiserver {

class LabelSelector {
 public:
  // kInvalid with a message naming the bad term.
  static core::Result<LabelSelector> parse(const std::string& text);
  // `labels`: an object's metadata.labels (null or absent = no labels).
  bool matches(const nlohmann::json& labels) const;
  bool empty() const { return terms_.empty(); }

 private:
  struct Term {
    enum class Op { kEquals, kNotEquals, kIn, kNotIn, kExists, kNotExists };
    std::string key;
    Op op;
    std::vector<std::string> values;
  };
  std::vector<Term> terms_;
};

class FieldSelector {
 public:
  // kInvalid when the syntax is wrong or a field is not supported for `kind` (API kind,
  // e.g. "Pod", "Event", "EndpointSlice").
  static core::Result<FieldSelector> parse(const std::string& text, const std::string& kind);
  bool matches(const nlohmann::json& object) const;
  bool empty() const { return terms_.empty(); }
  // The value required for `field` by an '=' term, if any (metadata.name of a
  // single-object watch).
  std::optional<std::string> required_value(const std::string& field) const;

 private:
  struct Term {
    std::string field;
    bool equals;
    std::string value;
  };
  std::string kind_;
  std::vector<Term> terms_;
};

// The value of a selectable field of an object of `kind` (missing fields read as "",
// booleans as "true"/"false"), or nullopt when `kind` does not support `field`.
std::optional<std::string> field_value(const std::string& kind, const nlohmann::json& object,
                                       const std::string& field);

}  // namespace csim::kube::apiserver
