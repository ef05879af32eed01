// FieldError: one validation problem, with the field path it is about.
//
//   to_string():          "spec.rules[0].http.paths[1].path: must start with '/'"
//   kubernetes_message(): "spec.rules[0].http.paths[1].path: Invalid value: \"foo\": must start with '/'"
//   reason():             "FieldValueInvalid"  (a Kubernetes Status cause's reason)
// FieldErrors collects them while a validator walks an object. Not thread-safe (one per
// validation run).
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace csim::kube {

struct FieldError {
  enum class Type { kRequired, kInvalid, kNotSupported, kDuplicate, kForbidden, kTooMany };

  std::string field;      // "spec.rules[0].host" ("" = the object itself)
  Type type = Type::kInvalid;
  nlohmann::json value;   // the offending value (null for kRequired / kForbidden)
  std::string detail;     // "must start with '/'"; for kRequired, may be empty

  std::string to_string() const;
  std::string kubernetes_message() const;
  std::string reason() const;
};

class FieldErrors {
 public:
  void required(const std::string& field, const std::string& detail = "");
  void invalid(const std::string& field, const nlohmann::json& value, const std::string& detail);
  // detail: 'must be one of "A", "B" (got "C")'.
  void not_supported(const std::string& field, const nlohmann::json& value,
                     const std::vector<std::string>& supported);
  void duplicate(const std::string& field, const nlohmann::json& value);
  void forbidden(const std::string& field, const std::string& detail);
  // One kInvalid per problem.
  void problems(const std::string& field, const nlohmann::json& value,
                const std::vector<std::string>& problems);

  // Type checks: record "must be a ..." and return false when `value` has the wrong type.
  bool expect_string(const std::string& field, const nlohmann::json& value);
  bool expect_object(const std::string& field, const nlohmann::json& value);
  bool expect_array(const std::string& field, const nlohmann::json& value);
  bool expect_integer(const std::string& field, const nlohmann::json& value);

  // `value` must be an integer in [1, 65535].
  void port_number(const std::string& field, const nlohmann::json& value);

  bool empty() const { return errors_.empty(); }
  const std::vector<FieldError>& errors() const { return errors_; }
  std::vector<FieldError> take() { return std::move(errors_); }

 private:
  std::vector<FieldError> errors_;
};

// Field paths as Kubernetes writes them:
//   field_index("spec.rules", 0)            -> "spec.rules[0]"
//   field_child("metadata", "name")         -> "metadata.name"
//   field_key("metadata.labels", "app.io/x") -> "metadata.labels[app.io/x]"
std::string field_index(const std::string& base, size_t index);
std::string field_child(const std::string& base, const std::string& name);
std::string field_key(const std::string& base, const std::string& key);

}  // namespace csim::kube
