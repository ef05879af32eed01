// Reading introspection JSON into the CLI's text views (status_text.h, agent_text.h):
// lenient field access (a missing or null field reads as "" or 0, so a view of an older or
// partial introspection still prints) and column padding. Header-only; pure.
#pragma once

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

namespace csim::daemon::text {

// j[key] as text: a string as is, "" when missing or null, other values as JSON.
inline std::string str(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return "";
  if (it->is_string()) return it->get<std::string>();
  return it->dump();
}

// j[key] as an integer; 0 when missing or not a number.
inline int64_t num(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_number() ? it->get<int64_t>() : 0;
}

// s padded with spaces to width (never cut).
inline std::string pad(std::string s, size_t width) {
  if (s.size() < width) s.append(width - s.size(), ' ');
  return s;
}

}  // namespace csim::daemon::text
