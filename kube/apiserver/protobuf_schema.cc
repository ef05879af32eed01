#include "kube/apiserver/protobuf_schema.h"

#include <cstdint>
#include <map>

#include "core/clock.h"
#include "kube/apiserver/protobuf_wire.h"
#include "kube/base64.h"

namespace csim::kube::apiserver {

using nlohmann::json;

namespace {

core::Status fail(const std::string& path, const std::string& what) {
  return core::invalid("protobuf body: " + path + ": " + what);
}

const char* wire_name(int wire) { return wire == kWireVarint ? "varint" : "length-delimited"; }

// Walks the fields of a small fixed message (map entry, IntOrString, Time, Quantity):
// `on(field)` returns false for a field number it does not know; wire types are checked
// against `varint_fields` (bit n set: field n is a varint; others are length-delimited).
template <class On>
core::Status walk_fixed(std::string_view data, const std::string& path, const char* name,
                        unsigned varint_fields, On on) {
  WireReader r(data);
  while (!r.done()) {
    std::string error;
    auto f = r.next(&error);
    if (!f) return fail(path, error);
    if (f->number < 1 || f->number > 3 || !on(*f))
      return fail(path, "field " + std::to_string(f->number) + " (wire type " + std::to_string(f->wire) +
                            ") of " + name + " is not decoded by csim");
    int want = (varint_fields >> f->number) & 1 ? kWireVarint : kWireBytes;
    if (f->wire != want)
      return fail(path, "field " + std::to_string(f->number) + " of " + name + " has wire type " +
                            std::to_string(f->wire) + ", expected " + wire_name(want));
  }
  return core::Status::ok();
}

// A map entry {1: key, 2: value}: the key and the value's bytes.
core::Status map_entry(std::string_view data, const std::string& path, std::string* key,
                       std::string_view* value) {
  return walk_fixed(data, path, "a map entry", 0, [&](const WireField& f) {
    if (f.number == 1) *key = std::string(f.bytes);
    else if (f.number == 2) *value = f.bytes;
    else return false;
    return true;
  });
}

core::Result<std::string> quantity(std::string_view data, const std::string& path) {
  std::string s;
  auto st = walk_fixed(data, path, "Quantity", 0, [&](const WireField& f) {
    if (f.number != 1) return false;
    s = std::string(f.bytes);
    return true;
  });
  if (!st.is_ok()) return st;
  if (!valid_utf8(s)) return fail(path, "Quantity is not valid UTF-8");
  return s;
}

// IntOrString {1: type (0 int, 1 string), 2: intVal, 3: strVal}.
core::Result<json> int_or_string(std::string_view data, const std::string& path) {
  uint64_t type = 0;
  int64_t int_val = 0;
  std::string str_val;
  auto st = walk_fixed(data, path, "IntOrString", 1u << 1 | 1u << 2, [&](const WireField& f) {
    if (f.number == 1) type = f.varint;
    else if (f.number == 2) int_val = static_cast<int32_t>(f.varint);
    else str_val = std::string(f.bytes);
    return true;
  });
  if (!st.is_ok()) return st;
  if (type == 0) return json(int_val);
  if (type == 1) {
    if (!valid_utf8(str_val)) return fail(path, "IntOrString string is not valid UTF-8");
    return json(str_val);
  }
  return fail(path, "IntOrString type " + std::to_string(type) + " is neither 0 (int) nor 1 (string)");
}

// Time {1: seconds, 2: nanos}: RFC 3339, or null for the zero time.
core::Result<json> time_value(std::string_view data, const std::string& path) {
  int64_t seconds = 0, nanos = 0;
  auto st = walk_fixed(data, path, "Time", 1u << 1 | 1u << 2, [&](const WireField& f) {
    if (f.number == 1) seconds = static_cast<int64_t>(f.varint);
    else if (f.number == 2) nanos = static_cast<int32_t>(f.varint);
    else return false;
    return true;
  });
  if (!st.is_ok()) return st;
  if (seconds == 0 && nanos == 0) return json();
  if (seconds < 0 || seconds > 253402300799 || nanos < 0 || nanos > 999999999)  // years 1970..9999
    return fail(path, "time " + std::to_string(seconds) + "s " + std::to_string(nanos) + "ns is out of range");
  return json(core::rfc3339(core::Nanos(seconds * 1000000000LL + nanos)));
}

bool is_zero(const json& v) {
  return (v.is_string() && v.get_ref<const std::string&>().empty()) ||
         (v.is_number_integer() && v.get<int64_t>() == 0) || (v.is_boolean() && !v.get<bool>());
}

const FieldSpec* find_field(const MessageSpec& spec, int number) {
  for (const FieldSpec& f : spec.fields)
    if (f.number == number) return &f;
  return nullptr;
}

core::Status decode_into(std::string_view data, const MessageSpec& spec, const std::string& path, json& out);

// The value of one occurrence of `fs` (null: nothing to set).
core::Result<json> field_value(const WireField& f, const FieldSpec& fs, const std::string& path) {
  switch (fs.type) {
    case PbType::kString:
      if (!valid_utf8(f.bytes)) return fail(path, "string is not valid UTF-8");
      return json(std::string(f.bytes));
    case PbType::kBytes: return json(base64_encode(std::string(f.bytes)));
    case PbType::kInt: return json(static_cast<int64_t>(f.varint));
    case PbType::kBool: return json(f.varint != 0);  // as Go's decoder reads a bool
    case PbType::kMessage: {
      json sub = json::object();
      auto st = decode_into(f.bytes, fs.message(), path, sub);
      if (!st.is_ok()) return st;
      return sub;
    }
    case PbType::kQuantityMap: return json();  // handled by the caller
    case PbType::kIntOrString: return int_or_string(f.bytes, path);
    case PbType::kTime: return time_value(f.bytes, path);
    default: return json();
  }
}

core::Status decode_into(std::string_view data, const MessageSpec& spec, const std::string& path, json& out) {
  WireReader r(data);
  std::map<int, size_t> occurrences;
  while (!r.done()) {
    std::string error;
    auto f = r.next(&error);
    if (!f) return fail(path, error);
    const FieldSpec* fs = find_field(spec, f->number);
    if (!fs)
      return fail(path, "field " + std::to_string(f->number) + " (wire type " + std::to_string(f->wire) + ") of " +
                            spec.name +
                            " is not decoded by csim; send the object as JSON (kubectl create -f / apply -f)");
    const bool repeated = fs->flags & kRepeated;
    std::string fpath = fs->type == PbType::kInline ? path : path + "." + fs->json;
    if (repeated) fpath += "[" + std::to_string(occurrences[f->number]++) + "]";
    const int want = fs->type == PbType::kInt || fs->type == PbType::kBool ? kWireVarint : kWireBytes;
    if (f->wire != want)
      return fail(fpath, "wire type " + std::to_string(f->wire) + " (" + wire_name(f->wire) + "), expected " +
                             std::to_string(want) + " (" + wire_name(want) + ") in " + spec.name);
    switch (fs->type) {
      case PbType::kIgnore: continue;
      case PbType::kInline: {
        auto st = decode_into(f->bytes, fs->message(), fpath, out);
        if (!st.is_ok()) return st;
        continue;
      }
      case PbType::kStringMap:
      case PbType::kBytesMap:
      case PbType::kQuantityMap: {
        std::string key;
        std::string_view raw;
        auto st = map_entry(f->bytes, fpath, &key, &raw);
        if (!st.is_ok()) return st;
        if (!valid_utf8(key)) return fail(fpath, "map key is not valid UTF-8");
        if (fs->type == PbType::kStringMap && !valid_utf8(raw))
          return fail(fpath + "[" + json(key).dump() + "]", "string is not valid UTF-8");
        json value;
        if (fs->type == PbType::kStringMap) {
          value = std::string(raw);
        } else if (fs->type == PbType::kBytesMap) {
          value = base64_encode(std::string(raw));
        } else {
          auto q = quantity(raw, fpath + "[" + json(key).dump() + "]");
          if (!q.is_ok()) return q.status();
          value = *q;
        }
        if (!out.contains(fs->json)) out[fs->json] = json::object();
        out[fs->json][key] = std::move(value);
        continue;
      }
      default: break;
    }
    auto value = field_value(*f, *fs, fpath);
    if (!value.is_ok()) return value.status();
    if (repeated) {
      out[fs->json].push_back(std::move(*value));
      continue;
    }
    if (value->is_null()) {  // the zero Time: absent, as Go's `null` is for csim
      out.erase(fs->json);
      continue;
    }
    if (fs->type == PbType::kMessage && (fs->flags & kDropEmpty) && value->empty()) {
      out.erase(fs->json);
      continue;
    }
    if (!(fs->flags & kKeep) && fs->type != PbType::kMessage && is_zero(*value)) {
      out.erase(fs->json);  // the last occurrence wins, as in protobuf
      continue;
    }
    out[fs->json] = std::move(*value);
  }
  return core::Status::ok();
}

}  // namespace

core::Result<json> decode_message(std::string_view data, const MessageSpec& spec, const std::string& path) {
  json out = json::object();
  auto st = decode_into(data, spec, path, out);
  if (!st.is_ok()) return st;
  return out;
}

}  // namespace csim::kube::apiserver
