#include "kube/apiserver/protobuf_wire.h"

namespace csim::kube::apiserver {

std::optional<WireField> WireReader::next(std::string* error) {
  uint64_t key;
  if (!read_varint(&key)) {
    *error = "truncated field key";
    return std::nullopt;
  }
  WireField f;
  if ((key >> 3) == 0 || (key >> 3) > 536870911) {  // 2^29 - 1: the largest field number
    *error = "invalid field number " + std::to_string(key >> 3);
    return std::nullopt;
  }
  f.number = static_cast<int>(key >> 3);
  f.wire = static_cast<int>(key & 7);
  if (f.wire == kWireVarint) {
    if (!read_varint(&f.varint)) {
      *error = "field " + std::to_string(f.number) + ": truncated varint";
      return std::nullopt;
    }
  } else if (f.wire == kWireBytes) {
    uint64_t len;
    if (!read_varint(&len) || len > data_.size() - pos_) {
      *error = "field " + std::to_string(f.number) + ": truncated bytes";
      return std::nullopt;
    }
    f.bytes = data_.substr(pos_, len);
    pos_ += len;
  } else {
    *error = "field " + std::to_string(f.number) + ": unsupported wire type " + std::to_string(f.wire);
    return std::nullopt;
  }
  return f;
}

bool WireReader::read_varint(uint64_t* out) {
  uint64_t v = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    if (pos_ >= data_.size()) return false;
    uint8_t b = static_cast<uint8_t>(data_[pos_++]);
    v |= static_cast<uint64_t>(b & 0x7F) << shift;
    if (!(b & 0x80)) {
      *out = v;
      return true;
    }
  }
  return false;
}

bool valid_utf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    uint8_t c = static_cast<uint8_t>(s[i]);
    if (c < 0x80) {
      ++i;
      continue;
    }
    int len;
    uint32_t cp;
    if ((c & 0xE0) == 0xC0) len = 2, cp = c & 0x1F;
    else if ((c & 0xF0) == 0xE0) len = 3, cp = c & 0x0F;
    else if ((c & 0xF8) == 0xF0) len = 4, cp = c & 0x07;
    else return false;
    if (i + len > s.size()) return false;
    for (int k = 1; k < len; ++k) {
      uint8_t d = static_cast<uint8_t>(s[i + k]);
      if ((d & 0xC0) != 0x80) return false;
      cp = cp << 6 | (d & 0x3F);
    }
    static const uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < kMin[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += len;
  }
  return true;
}

}  // namespace csim::kube::apiserver
