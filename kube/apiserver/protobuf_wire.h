// The protobuf wire format, read-only: fields of one message as they come off the wire.
//
// Kubernetes' protobuf (gogo-generated, proto2) uses only varint (0) and length-delimited (2)
// fields for the API objects csim decodes; any other wire type is reported as an error, as is
// a truncated key, varint or length. Pure; a WireReader is used by one thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace csim::kube::apiserver {

// One field as read from the wire: its number, wire type and value (varint or bytes).
struct WireField {
  int number = 0;
  int wire = 0;  // 0 varint, 2 length-delimited
  uint64_t varint = 0;
  std::string_view bytes;  // points into the reader's data
};

inline constexpr int kWireVarint = 0;
inline constexpr int kWireBytes = 2;

// Reads the fields of one message in order. `data` must outlive the reader.
class WireReader {
 public:
  explicit WireReader(std::string_view data) : data_(data) {}
  bool done() const { return pos_ >= data_.size(); }

  // The next field, or nullopt with `*error` set ("truncated varint", "unsupported wire type 5",
  // "field number 0").
  std::optional<WireField> next(std::string* error);

 private:
  bool read_varint(uint64_t* out);
  std::string_view data_;
  size_t pos_ = 0;
};

// True when `s` is well-formed UTF-8 (no overlongs, surrogates or code points past U+10FFFF).
// Go's protobuf strings may hold any bytes; csim's JSON objects may not.
bool valid_utf8(std::string_view s);

}  // namespace csim::kube::apiserver
