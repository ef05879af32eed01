#include "kube/secret.h"

#include <map>
#include <set>

#include "kube/base64.h"

namespace csim::kube {

using nlohmann::json;

std::string config_key_problem(const std::string& key) {
  if (key.empty()) return "must not be empty";
  if (key.size() > 253) return "must be no more than 253 characters";
  if (key == "." || key == "..") return "must not be '.' or '..'";
  for (char c : key) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '_' || c == '.';
    if (!ok)
      return "a valid config key must consist of alphanumeric characters, '-', '_' or '.' "
             "(e.g. 'key.name', or 'KEY_NAME', or 'key-name', regex used for validation is "
             "'[-._a-zA-Z0-9]+')";
  }
  return "";
}

void validate_secret(const json& secret, FieldErrors& e) {
  std::string type = "Opaque";
  if (secret.contains("type") && !secret["type"].is_null()) {
    if (e.expect_string("type", secret["type"])) type = secret["type"].get<std::string>();
    if (type.empty()) e.required("type");
  }
  // key -> decoded size, stringData overriding data.
  std::map<std::string, size_t> sizes;
  std::set<std::string> keys;  // present, even when the value is bad (reported once)
  if (secret.contains("data") && !secret["data"].is_null() && e.expect_object("data", secret["data"])) {
    for (const auto& [key, value] : secret["data"].items()) {
      const std::string f = "data[" + key + "]";
      keys.insert(key);
      if (auto p = config_key_problem(key); !p.empty()) e.invalid(f, key, p);
      if (!e.expect_string(f, value)) continue;
      auto bytes = base64_decode(value.get<std::string>());
      if (!bytes) {
        e.invalid(f, "<value omitted>", "must be base64-encoded (use stringData for plain text)");
        continue;
      }
      sizes[key] = bytes->size();
    }
  }
  if (secret.contains("stringData") && !secret["stringData"].is_null() &&
      e.expect_object("stringData", secret["stringData"])) {
    for (const auto& [key, value] : secret["stringData"].items()) {
      const std::string f = "stringData[" + key + "]";
      keys.insert(key);
      if (auto p = config_key_problem(key); !p.empty()) e.invalid(f, key, p);
      if (e.expect_string(f, value)) sizes[key] = value.get<std::string>().size();
    }
  }
  size_t total = 0;
  for (const auto& [_, n] : sizes) total += n;
  if (total > kMaxSecretBytes)
    e.invalid("data", "<value omitted>",
              "Too long: must have at most " + std::to_string(kMaxSecretBytes) + " bytes");
  if (type == kTlsSecretType) {
    for (const char* key : {"tls.crt", "tls.key"})
      if (!keys.count(key)) e.required(std::string("data[") + key + "]");
  }
}

void normalize_secret(json& secret) {
  if (!secret.is_object()) return;
  if (!secret.contains("type") || secret["type"].is_null()) secret["type"] = "Opaque";
  if (!secret.contains("stringData")) return;
  if (secret["stringData"].is_object()) {
    if (!secret.contains("data") || !secret["data"].is_object()) secret["data"] = json::object();
    for (const auto& [key, value] : secret["stringData"].items())
      if (value.is_string()) secret["data"][key] = base64_encode(value.get<std::string>());
  }
  secret.erase("stringData");
}

core::Result<TlsKeyPair> tls_key_pair(const json& secret) {
  const json& meta = secret.value("metadata", json::object());
  const std::string name = "Secret " + meta.value("namespace", "") + "/" + meta.value("name", "");
  const std::string type = secret.value("type", "Opaque");
  if (type != kTlsSecretType)
    return core::invalid(name + ": type is \"" + type + "\", a TLS certificate needs type \"" +
                         kTlsSecretType + "\"");
  const json& data = secret.value("data", json::object());
  TlsKeyPair pair;
  for (auto [key, out] : {std::pair{"tls.crt", &pair.certificate_pem},
                          std::pair{"tls.key", &pair.private_key_pem}}) {
    auto it = data.find(key);
    if (it == data.end() || !it->is_string())
      return core::invalid(name + ": data[" + key + "] is missing");
    auto bytes = base64_decode(it->get<std::string>());
    if (!bytes) return core::invalid(name + ": data[" + key + "] is not base64");
    if (bytes->empty()) return core::invalid(name + ": data[" + key + "] is empty");
    *out = std::move(*bytes);
  }
  return pair;
}

}  // namespace csim::kube
