#include "kube/apiserver/protobuf_body.h"

#include <string_view>

#include "kube/apiserver/http_message.h"
#include "kube/apiserver/protobuf_messages.h"
#include "kube/apiserver/protobuf_wire.h"

namespace csim::kube::apiserver {

using nlohmann::json;

namespace {

struct DecodedKind {
  const char* api_version;
  const char* kind;
  const MessageSpec& (*message)();
};

// The kinds csim decodes from protobuf.
constexpr DecodedKind kKinds[] = {
    {"v1", "Namespace", pbmsg::namespace_},
    {"v1", "Secret", pbmsg::secret},
    {"v1", "ConfigMap", pbmsg::config_map},
    {"v1", "Service", pbmsg::service},
    {"apps/v1", "Deployment", pbmsg::deployment},
    {"networking.k8s.io/v1", "Ingress", pbmsg::ingress},
};

core::Status envelope_error(const std::string& what) {
  return core::invalid("protobuf body: envelope: " + what);
}

}  // namespace

bool is_unsupported_protobuf(const core::Status& decode_error) {
  return !decode_error.is_ok() &&
         decode_error.message().find("is not decoded by csim") != std::string::npos;
}

bool is_protobuf_content_type(const std::string& content_type) {
  return to_lower(trim(split(content_type, ';')[0])) == "application/vnd.kubernetes.protobuf";
}

core::Result<json> decode_protobuf_object(const std::string& body) {
  static const std::string kMagic("k8s\0", 4);
  if (body.compare(0, kMagic.size(), kMagic) != 0)
    return core::invalid("protobuf body: missing the \"k8s\\0\" prefix of a Kubernetes protobuf object");
  std::string api_version, kind;
  std::string_view raw;
  WireReader envelope(std::string_view(body).substr(kMagic.size()));
  std::string error;
  while (!envelope.done()) {
    auto f = envelope.next(&error);
    if (!f) return envelope_error(error);
    if (f->wire != kWireBytes || f->number < 1 || f->number > 4)
      return envelope_error("field " + std::to_string(f->number) + " (wire type " + std::to_string(f->wire) +
                            ") of runtime.Unknown is not decoded by csim");
    if (f->number == 1) {
      WireReader type_meta(f->bytes);
      while (!type_meta.done()) {
        auto g = type_meta.next(&error);
        if (!g) return envelope_error("typeMeta: " + error);
        if (g->wire != kWireBytes || g->number < 1 || g->number > 2)
          return envelope_error("typeMeta: field " + std::to_string(g->number) + " (wire type " +
                                std::to_string(g->wire) + ") of TypeMeta is not decoded by csim");
        (g->number == 1 ? api_version : kind) = std::string(g->bytes);
      }
    } else if (f->number == 2) {
      raw = f->bytes;
    } else if (!f->bytes.empty()) {
      // contentEncoding (3) / contentType (4): kubectl leaves both empty (raw is plain protobuf).
      const char* name = f->number == 3 ? "contentEncoding" : "contentType";
      if (!valid_utf8(f->bytes)) return envelope_error(std::string(name) + " is not valid UTF-8");
      return envelope_error(std::string(name) + " \"" + std::string(f->bytes) +
                            "\" is not decoded by csim (only plain protobuf is)");
    }
  }
  if (!valid_utf8(api_version) || !valid_utf8(kind))
    return envelope_error("typeMeta: apiVersion or kind is not valid UTF-8");
  for (const DecodedKind& k : kKinds) {
    if (kind != k.kind || api_version != k.api_version) continue;
    auto object = decode_message(raw, k.message(), kind);
    if (!object.is_ok()) return object;
    json out = {{"apiVersion", api_version}, {"kind", kind}};
    out.update(*object);
    return out;
  }
  return core::invalid("protobuf body: " + (kind.empty() ? std::string("the object") : kind) + " (" + api_version +
                       ") is not decoded by csim's API server (it decodes protobuf for v1 Namespace, "
                       "Secret, ConfigMap and Service, apps/v1 Deployment and networking.k8s.io/v1 Ingress); send the "
                       "object as JSON: write a manifest and use kubectl create -f or kubectl apply -f");
}

}  // namespace csim::kube::apiserver
