// A table-driven, strict decoder from Kubernetes protobuf messages to their JSON form.
//
// Each MessageSpec lists the field numbers of one generated.proto message (k8s.io/api,
// k8s.io/apimachinery) with their JSON names and types. decode_message() turns the wire bytes
// into the JSON the Go types marshal to: omitempty zero values (an empty string, 0, false) are
// dropped unless the field is marked kKeep (a Go pointer, or a field without omitempty);
// sub-messages that are present become objects, even empty ones (Go never omits a struct);
// bytes become base64; IntOrString a number or a string; Time an RFC 3339 string (the zero
// Time is dropped, Go's `null`); Quantity its string. A field number the spec does not list,
// or a wire type that does not match, fails the decode with the field's path
// ("Deployment.spec.template.spec.containers[0]: field 19 (wire type 2) of Container ..."), so
// nothing is half-decoded. Pure; specs are immutable statics, safe from any thread.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/status.h"

namespace csim::kube::apiserver {

enum class PbType {
  kString,
  kBytes,        // base64 in JSON
  kInt,          // int32 / int64 (varint, two's complement)
  kBool,
  kMessage,      // a sub-object described by FieldSpec::message
  kInline,       // a sub-message whose fields are merged into this object (Go `json:",inline"`)
  kStringMap,    // map<string, string>
  kBytesMap,     // map<string, bytes>: values base64
  kQuantityMap,  // map<string, resource.Quantity>: values strings
  kIntOrString,  // intstr.IntOrString {type, intVal, strVal}
  kTime,         // meta/v1 Time {seconds, nanos}
  kIgnore,       // accepted and dropped (selfLink, managedFields: the server's own)
};

// Flag bits of a FieldSpec.
inline constexpr unsigned kRepeated = 1;   // a list in JSON
inline constexpr unsigned kKeep = 2;       // emit zero values too (Go pointer / no omitempty)
inline constexpr unsigned kDropEmpty = 4;  // a sub-object with no fields is left out

struct MessageSpec;

struct FieldSpec {
  int number = 0;
  const char* json = "";
  PbType type = PbType::kString;
  unsigned flags = 0;
  const MessageSpec& (*message)() = nullptr;  // for kMessage / kInline
};

struct MessageSpec {
  const char* name = "";  // the generated.proto message name, for errors
  std::vector<FieldSpec> fields;
};

// Shorthands for writing spec tables: {number, json name, flags}.
namespace pb {
inline FieldSpec str(int n, const char* j, unsigned f = 0) { return {n, j, PbType::kString, f, nullptr}; }
inline FieldSpec bytes(int n, const char* j, unsigned f = 0) { return {n, j, PbType::kBytes, f, nullptr}; }
inline FieldSpec integer(int n, const char* j, unsigned f = 0) { return {n, j, PbType::kInt, f, nullptr}; }
inline FieldSpec boolean(int n, const char* j, unsigned f = 0) { return {n, j, PbType::kBool, f, nullptr}; }
inline FieldSpec msg(int n, const char* j, const MessageSpec& (*m)(), unsigned f = 0) {
  return {n, j, PbType::kMessage, f, m};
}
inline FieldSpec inline_msg(int n, const char* j, const MessageSpec& (*m)()) {
  return {n, j, PbType::kInline, 0, m};
}
inline FieldSpec string_map(int n, const char* j) { return {n, j, PbType::kStringMap, 0, nullptr}; }
inline FieldSpec bytes_map(int n, const char* j) { return {n, j, PbType::kBytesMap, 0, nullptr}; }
inline FieldSpec quantity_map(int n, const char* j) { return {n, j, PbType::kQuantityMap, 0, nullptr}; }
inline FieldSpec int_or_string(int n, const char* j, unsigned f = 0) { return {n, j, PbType::kIntOrString, f, nullptr}; }
inline FieldSpec time(int n, const char* j) { return {n, j, PbType::kTime, 0, nullptr}; }
inline FieldSpec ignore(int n, const char* j) { return {n, j, PbType::kIgnore, 0, nullptr}; }
}  // namespace pb

// `data` (one message's bytes) as a JSON object, or kInvalid "protobuf body: PATH: ..." where
// PATH starts with `path` ("Deployment") and names the field that failed.
core::Result<nlohmann::json> decode_message(std::string_view data, const MessageSpec& spec,
                                            const std::string& path);

}  // namespace csim::kube::apiserver
