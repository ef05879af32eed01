#include "kube/field_error.h"

namespace csim::kube {

using nlohmann::json;

std::string FieldError::to_string() const {
  std::string prefix = field.empty() ? "" : field + ": ";
  switch (type) {
    case Type::kRequired:
      return prefix + "is required" + (detail.empty() ? "" : " (" + detail + ")");
    case Type::kDuplicate:
      return prefix + "duplicate value " + value.dump();
    default:
      return prefix + detail;
  }
}

std::string FieldError::kubernetes_message() const {
  std::string prefix = field.empty() ? "" : field + ": ";
  switch (type) {
    case Type::kRequired:
      return prefix + "Required value" + (detail.empty() ? "" : ": " + detail);
    case Type::kInvalid:
      return prefix + "Invalid value: " + value.dump() + ": " + detail;
    case Type::kNotSupported:
      return prefix + "Unsupported value: " + value.dump() + ": " + detail;
    case Type::kDuplicate:
      return prefix + "Duplicate value: " + value.dump();
    case Type::kForbidden:
      return prefix + "Forbidden: " + detail;
    case Type::kTooMany:
      return prefix + "Too many: " + detail;
  }
  return prefix + detail;
}

std::string FieldError::reason() const {
  switch (type) {
    case Type::kRequired: return "FieldValueRequired";
    case Type::kInvalid: return "FieldValueInvalid";
    case Type::kNotSupported: return "FieldValueNotSupported";
    case Type::kDuplicate: return "FieldValueDuplicate";
    case Type::kForbidden: return "FieldValueForbidden";
    case Type::kTooMany: return "FieldValueTooMany";
  }
  return "FieldValueInvalid";
}

void FieldErrors::required(const std::string& field, const std::string& detail) {
  errors_.push_back({field, FieldError::Type::kRequired, nullptr, detail});
}

void FieldErrors::invalid(const std::string& field, const json& value, const std::string& detail) {
  errors_.push_back({field, FieldError::Type::kInvalid, value, detail});
}

void FieldErrors::not_supported(const std::string& field, const json& value,
                                const std::vector<std::string>& supported) {
  std::string list;
  for (const auto& s : supported) list += (list.empty() ? "\"" : ", \"") + s + "\"";
  errors_.push_back({field, FieldError::Type::kNotSupported, value,
                     "must be one of " + list + " (got " + value.dump() + ")"});
}

void FieldErrors::duplicate(const std::string& field, const json& value) {
  errors_.push_back({field, FieldError::Type::kDuplicate, value, ""});
}

void FieldErrors::forbidden(const std::string& field, const std::string& detail) {
  errors_.push_back({field, FieldError::Type::kForbidden, nullptr, detail});
}

void FieldErrors::problems(const std::string& field, const json& value,
                           const std::vector<std::string>& problems) {
  for (const auto& p : problems) invalid(field, value, p);
}

namespace {
std::string type_name(const json& v) {
  if (v.is_boolean()) return "a boolean";
  if (v.is_number()) return "a number";
  if (v.is_string()) return "a string";
  if (v.is_array()) return "a list";
  if (v.is_object()) return "a mapping";
  return "null";
}
}  // namespace

bool FieldErrors::expect_string(const std::string& field, const json& value) {
  if (value.is_string()) return true;
  std::string hint = value.is_boolean() || value.is_number() ? " (quote it in YAML)" : "";
  invalid(field, value, "must be a string, not " + type_name(value) + hint);
  return false;
}

bool FieldErrors::expect_object(const std::string& field, const json& value) {
  if (value.is_object()) return true;
  invalid(field, value, "must be a mapping, not " + type_name(value));
  return false;
}

bool FieldErrors::expect_array(const std::string& field, const json& value) {
  if (value.is_array()) return true;
  invalid(field, value, "must be a list, not " + type_name(value));
  return false;
}

bool FieldErrors::expect_integer(const std::string& field, const json& value) {
  if (value.is_number_integer()) return true;
  invalid(field, value, "must be an integer, not " + type_name(value));
  return false;
}

void FieldErrors::port_number(const std::string& field, const json& value) {
  if (!expect_integer(field, value)) return;
  const bool in_range = value.is_number_unsigned()
                            ? value.get<uint64_t>() >= 1 && value.get<uint64_t>() <= 65535
                            : value.get<int64_t>() >= 1 && value.get<int64_t>() <= 65535;
  if (!in_range) invalid(field, value, "must be between 1 and 65535, inclusive");
}

std::string field_index(const std::string& base, size_t index) {
  return base + "[" + std::to_string(index) + "]";
}

std::string field_child(const std::string& base, const std::string& name) {
  return base.empty() ? name : base + "." + name;
}

std::string field_key(const std::string& base, const std::string& key) {
  return base + "[" + key + "]";
}

}  // namespace csim::kube
