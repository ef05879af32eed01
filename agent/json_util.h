// Field access on JSON that came from elsewhere (views, apiserver objects): never throws.
// A field that is absent, null or of another type reads as the default.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

namespace csim::agent {

inline const nlohmann::json& obj_field(const nlohmann::json& j, const char* key) {
  static const nlohmann::json kEmpty = nlohmann::json::object();
  if (!j.is_object()) return kEmpty;
  auto it = j.find(key);
  return it != j.end() && it->is_object() ? *it : kEmpty;
}

inline const nlohmann::json& arr_field(const nlohmann::json& j, const char* key) {
  static const nlohmann::json kEmpty = nlohmann::json::array();
  if (!j.is_object()) return kEmpty;
  auto it = j.find(key);
  return it != j.end() && it->is_array() ? *it : kEmpty;
}

inline std::string str_field(const nlohmann::json& j, const char* key,
                             const std::string& dflt = "") {
  if (!j.is_object()) return dflt;
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : dflt;
}

inline int64_t int_field(const nlohmann::json& j, const char* key, int64_t dflt) {
  if (!j.is_object()) return dflt;
  auto it = j.find(key);
  return it != j.end() && it->is_number_integer() ? it->get<int64_t>() : dflt;
}

// dump() that never throws: invalid UTF-8 in strings is replaced (U+FFFD), and long
// texts are cut (for messages) when max > 0.
inline std::string safe_dump(const nlohmann::json& j, size_t max = 0) {
  std::string s = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  if (max > 0 && s.size() > max) s = s.substr(0, max) + "...";
  return s;
}

}  // namespace csim::agent
