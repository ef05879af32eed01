// Standard base64 (RFC 4648 §4, with '=' padding), as Kubernetes stores Secret data.
// Pure functions; thread-safe.
#pragma once

#include <optional>
#include <string>

namespace csim::kube {

std::string base64_encode(const std::string& bytes);

// The decoded bytes, or nullopt when `text` is not canonical padded base64 (wrong length,
// a character outside the alphabet, misplaced '='). Whitespace is not accepted: the API
// server rejects it too.
std::optional<std::string> base64_decode(const std::string& text);

}  // namespace csim::kube
