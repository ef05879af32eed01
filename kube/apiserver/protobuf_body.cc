#include "kube/apiserver/protobuf_body.h"

#include <cstdint>
#include <optional>
#include <string_view>

#include "core/clock.h"
#include "kube/apiserver/http_message.h"

namespace csim::kube::apiserver {

using nlohmann::json;

namespace {

// One protobuf field as read from the wire.
struct Field {
  int number = 0;
  int wire = 0;            // 0 varint, 2 length-delimited (others are rejected)
  uint64_t varint = 0;
  std::string_view bytes;
};

class Reader {
 public:
  explicit Reader(std::string_view data) : data_(data) {}
  bool done() const { return pos_ >= data_.size(); }

  // Next field, or an error message.
  std::optional<Field> next(std::string* error) {
    uint64_t key;
    if (!read_varint(&key)) return fail(error, "truncated field key");
    Field f;
    f.number = static_cast<int>(key >> 3);
    f.wire = static_cast<int>(key & 7);
    if (f.wire == 0) {
      if (!read_varint(&f.varint)) return fail(error, "truncated varint");
    } else if (f.wire == 2) {
      uint64_t len;
      if (!read_varint(&len) || len > data_.size() - pos_) return fail(error, "truncated bytes");
      f.bytes = data_.substr(pos_, len);
      pos_ += len;
    } else {
      return fail(error, "unsupported wire type " + std::to_string(f.wire));
    }
    return f;
  }

 private:
  static std::optional<Field> fail(std::string* error, const std::string& message) {
    *error = message;
    return std::nullopt;
  }
  bool read_varint(uint64_t* out) {
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
  std::string_view data_;
  size_t pos_ = 0;
};

// Walks every field of a message; `on` returns false for a field it does not know.
template <class On>
core::Status walk(std::string_view data, const std::string& where, On on) {
  Reader r(data);
  std::string error;
  while (!r.done()) {
    std::optional<Field> f = r.next(&error);
    if (!f) return core::invalid("protobuf body: " + where + ": " + error);
    if (!on(*f))
      return core::invalid("protobuf body: " + where + ": field " + std::to_string(f->number) +
                           " (wire type " + std::to_string(f->wire) +
                           ") is not decoded by csim; send the object as JSON (kubectl create -f / "
                           "apply -f)");
  }
  return core::Status::ok();
}

std::string str(const Field& f) { return std::string(f.bytes); }

core::Result<std::string> decode_time(std::string_view data, const std::string& where) {
  int64_t seconds = 0;
  int64_t nanos = 0;
  auto s = walk(data, where, [&](const Field& f) {
    if (f.number == 1 && f.wire == 0) seconds = static_cast<int64_t>(f.varint);
    else if (f.number == 2 && f.wire == 0) nanos = static_cast<int64_t>(f.varint);
    else return false;
    return true;
  });
  if (!s.is_ok()) return s;
  return core::rfc3339(core::Nanos(seconds * 1000000000LL + nanos));
}

core::Status decode_map_entry(std::string_view data, const std::string& where, json& target) {
  std::string key, value;
  auto s = walk(data, where, [&](const Field& f) {
    if (f.wire != 2) return false;
    if (f.number == 1) key = str(f);
    else if (f.number == 2) value = str(f);
    else return false;
    return true;
  });
  if (s.is_ok()) target[key] = value;
  return s;
}

core::Result<json> decode_owner_reference(std::string_view data, const std::string& where) {
  json ref = json::object();
  auto s = walk(data, where, [&](const Field& f) {
    switch (f.number) {
      case 1: if (f.wire != 2) return false; ref["kind"] = str(f); return true;
      case 3: if (f.wire != 2) return false; ref["name"] = str(f); return true;
      case 4: if (f.wire != 2) return false; ref["uid"] = str(f); return true;
      case 5: if (f.wire != 2) return false; ref["apiVersion"] = str(f); return true;
      case 6: if (f.wire != 0) return false; ref["controller"] = f.varint != 0; return true;
      case 7: if (f.wire != 0) return false; ref["blockOwnerDeletion"] = f.varint != 0; return true;
      default: return false;
    }
  });
  if (!s.is_ok()) return s;
  return ref;
}

core::Result<json> decode_object_meta(std::string_view data) {
  json meta = json::object();
  core::Status inner;
  auto s = walk(data, "metadata", [&](const Field& f) {
    if (!inner.is_ok()) return true;
    if (f.number == 7 || f.number == 10) {
      if (f.wire != 0) return false;
      meta[f.number == 7 ? "generation" : "deletionGracePeriodSeconds"] = static_cast<int64_t>(f.varint);
      return true;
    }
    if (f.wire != 2) return false;
    switch (f.number) {
      case 1: meta["name"] = str(f); return true;
      case 2: meta["generateName"] = str(f); return true;
      case 3: meta["namespace"] = str(f); return true;
      case 4: return true;  // selfLink: ignored, as the server does
      case 5: meta["uid"] = str(f); return true;
      case 6: meta["resourceVersion"] = str(f); return true;
      case 8:
      case 9: {
        auto t = decode_time(f.bytes, "metadata.creationTimestamp");
        if (!t.is_ok()) inner = t.status();
        // An empty Time is the zero time: Go encodes it as absent in JSON.
        else if (!f.bytes.empty()) meta[f.number == 8 ? "creationTimestamp" : "deletionTimestamp"] = *t;
        return true;
      }
      case 11:
      case 12: {
        const char* name = f.number == 11 ? "labels" : "annotations";
        if (!meta.contains(name)) meta[name] = json::object();
        inner = decode_map_entry(f.bytes, std::string("metadata.") + name, meta[name]);
        return true;
      }
      case 13: {
        auto ref = decode_owner_reference(f.bytes, "metadata.ownerReferences");
        if (!ref.is_ok()) inner = ref.status();
        else meta["ownerReferences"].push_back(*ref);
        return true;
      }
      case 14: meta["finalizers"].push_back(str(f)); return true;
      case 17: return true;  // managedFields: the server's own bookkeeping; csim keeps none
      default: return false;
    }
  });
  if (!s.is_ok()) return s;
  if (!inner.is_ok()) return inner;
  return meta;
}

core::Result<json> decode_namespace(std::string_view raw) {
  json ns = {{"apiVersion", "v1"}, {"kind", "Namespace"}};
  core::Status inner;
  auto s = walk(raw, "Namespace", [&](const Field& f) {
    if (f.wire != 2 || !inner.is_ok()) return inner.is_ok() ? false : true;
    if (f.number == 1) {
      auto meta = decode_object_meta(f.bytes);
      if (!meta.is_ok()) inner = meta.status();
      else ns["metadata"] = *meta;
      return true;
    }
    if (f.number == 2) {
      json spec = json::object();
      inner = walk(f.bytes, "Namespace spec", [&](const Field& g) {
        if (g.number != 1 || g.wire != 2) return false;
        spec["finalizers"].push_back(str(g));
        return true;
      });
      if (!spec.empty()) ns["spec"] = spec;
      return true;
    }
    if (f.number == 3) {
      json status = json::object();
      inner = walk(f.bytes, "Namespace status", [&](const Field& g) {
        if (g.number != 1 || g.wire != 2) return false;  // conditions are the server's
        status["phase"] = str(g);
        return true;
      });
      if (!status.empty()) ns["status"] = status;
      return true;
    }
    return false;
  });
  if (!s.is_ok()) return s;
  if (!inner.is_ok()) return inner;
  return ns;
}

}  // namespace

bool is_protobuf_content_type(const std::string& content_type) {
  return to_lower(trim(split(content_type, ';')[0])) == "application/vnd.kubernetes.protobuf";
}

core::Result<json> decode_protobuf_object(const std::string& body) {
  static const std::string kMagic("k8s\0", 4);
  if (body.compare(0, kMagic.size(), kMagic) != 0)
    return core::invalid("protobuf body: missing the \"k8s\\0\" prefix of a Kubernetes protobuf object");
  std::string api_version, kind;
  std::string_view raw;
  auto s = walk(std::string_view(body).substr(kMagic.size()), "envelope", [&](const Field& f) {
    if (f.wire != 2) return false;
    if (f.number == 1) {
      return walk(f.bytes, "typeMeta", [&](const Field& g) {
               if (g.wire != 2) return false;
               if (g.number == 1) api_version = str(g);
               else if (g.number == 2) kind = str(g);
               else return false;
               return true;
             })
          .is_ok();
    }
    if (f.number == 2) raw = f.bytes;
    return f.number == 2 || f.number == 3 || f.number == 4;
  });
  if (!s.is_ok()) return s;
  if (kind == "Namespace" && api_version == "v1") return decode_namespace(raw);
  return core::invalid("protobuf body: " + (kind.empty() ? std::string("the object") : kind) + " (" +
                       api_version +
                       ") is not decoded by csim's API server (it decodes protobuf only for "
                       "Namespace); send the object as JSON: write a manifest and use kubectl "
                       "create -f or kubectl apply -f");
}

}  // namespace csim::kube::apiserver
