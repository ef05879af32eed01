// decode_protobuf_object over bodies captured from kubectl 1.32 (testdata/*.pb; the JSON
// kubectl prints for the same command with --dry-run=client -o json is testdata/*.json),
// hand-made bodies for the errors, and a bounded fuzz loop over mutations of the goldens.
#include "kube/apiserver/protobuf_body.h"

#include <fstream>
#include <random>
#include <sstream>

#include <gtest/gtest.h>

namespace csim::kube::apiserver {
namespace {

using nlohmann::json;

std::string read_file(const std::string& name) {
  std::ifstream in("kube/apiserver/testdata/" + name, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

const char* kGoldens[] = {"secret_generic", "secret_tls",      "deployment", "deployment_replicas",
                          "service_clusterip", "ingress", "ingress_full"};

// A tiny protobuf writer for hand-made bodies.
std::string varint(uint64_t v) {
  std::string out;
  while (v >= 0x80) {
    out.push_back(static_cast<char>(v | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
  return out;
}
std::string bytes_field(int number, const std::string& bytes) {
  return varint(static_cast<uint64_t>(number) << 3 | 2) + varint(bytes.size()) + bytes;
}
std::string varint_field(int number, uint64_t v) { return varint(static_cast<uint64_t>(number) << 3) + varint(v); }
std::string envelope(const std::string& api_version, const std::string& kind, const std::string& raw) {
  return std::string("k8s\0", 4) + bytes_field(1, bytes_field(1, api_version) + bytes_field(2, kind)) +
         bytes_field(2, raw) + bytes_field(3, "") + bytes_field(4, "");
}
std::string meta(const std::string& name) { return bytes_field(1, bytes_field(1, name)); }

// An Ingress with one rule and one path whose backend is `backend` (raw bytes).
std::string ingress_with_backend(const std::string& backend) {
  std::string path = bytes_field(1, "/") + bytes_field(2, backend) + bytes_field(3, "Prefix");
  std::string rule = bytes_field(1, "foo.com") + bytes_field(2, bytes_field(1, bytes_field(1, path)));
  return envelope("networking.k8s.io/v1", "Ingress", meta("web") + bytes_field(2, bytes_field(3, rule)));
}

std::string error_of(const std::string& body) {
  auto r = decode_protobuf_object(body);
  EXPECT_FALSE(r.is_ok()) << r->dump();
  if (r.is_ok()) return "";
  EXPECT_EQ(r.status().code(), core::Code::kInvalid);
  return r.status().message();
}

TEST(ProtobufBody, GoldensFromKubectlDecodeToWhatKubectlPrintsAsJson) {
  for (const char* name : kGoldens) {
    SCOPED_TRACE(name);
    std::string body = read_file(std::string(name) + ".pb");
    ASSERT_FALSE(body.empty());
    json expected = json::parse(read_file(std::string(name) + ".json"));
    auto decoded = decode_protobuf_object(body);
    ASSERT_TRUE(decoded.is_ok()) << decoded.status().message();
    EXPECT_EQ(*decoded, expected) << "decoded:  " << decoded->dump() << "\nexpected: " << expected.dump();
  }
}

TEST(ProtobufBody, SpotChecksOfTheDecodedFields) {
  auto secret = decode_protobuf_object(read_file("secret_generic.pb"));
  ASSERT_TRUE(secret.is_ok());
  EXPECT_EQ((*secret)["data"]["a"], "Yg==");  // bytes become base64
  auto service = decode_protobuf_object(read_file("service_clusterip.pb"));
  ASSERT_TRUE(service.is_ok());
  EXPECT_EQ((*service)["spec"]["ports"][0]["targetPort"], 8080);  // IntOrString as a number
  EXPECT_EQ((*service)["status"], json::parse(R"({"loadBalancer": {}})"));  // an empty struct kept
  EXPECT_FALSE((*service)["spec"].contains("clusterIP")) << "empty strings are omitempty";
  auto ingress = decode_protobuf_object(read_file("ingress_full.pb"));
  ASSERT_TRUE(ingress.is_ok());
  const json& spec = (*ingress)["spec"];
  EXPECT_EQ(spec["ingressClassName"], "opencontrail");
  EXPECT_EQ(spec["rules"][0]["http"]["paths"][1]["pathType"], "Exact");  // ingressRuleValue inline
  EXPECT_EQ(spec["tls"][0]["secretName"], "secret");
  EXPECT_EQ(spec["defaultBackend"]["service"]["port"]["number"], 80);
}

TEST(ProtobufBody, NamespaceAsKubectlCreateNamespaceSendsIt) {
  auto ns = decode_protobuf_object(
      envelope("v1", "Namespace", meta("other") + bytes_field(2, "") + bytes_field(3, "")));
  ASSERT_TRUE(ns.is_ok()) << ns.status().message();
  EXPECT_EQ(*ns, json::parse(R"({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "other"}})"));
}

TEST(ProtobufBody, StringTargetPortAndBinarySecretData) {
  std::string port = bytes_field(1, "http") + varint_field(3, 80) +
                     bytes_field(4, varint_field(1, 1) + varint_field(2, 0) + bytes_field(3, "web"));
  auto svc = decode_protobuf_object(envelope("v1", "Service", meta("s") + bytes_field(2, bytes_field(1, port))));
  ASSERT_TRUE(svc.is_ok()) << svc.status().message();
  EXPECT_EQ((*svc)["spec"]["ports"][0], json::parse(R"({"name": "http", "port": 80, "targetPort": "web"})"));
  std::string entry = bytes_field(1, "k") + bytes_field(2, std::string("\0\xff\x01", 3));
  auto secret = decode_protobuf_object(envelope("v1", "Secret", meta("s") + bytes_field(2, entry)));
  ASSERT_TRUE(secret.is_ok()) << secret.status().message();
  EXPECT_EQ((*secret)["data"]["k"], "AP8B");
}

TEST(ProtobufBody, UnknownFieldFailsNamingItsPath) {
  // A container with envFrom (19), which csim does not decode.
  std::string container = bytes_field(1, "web") + bytes_field(2, "nginx") + bytes_field(19, "");
  std::string pod = bytes_field(2, container);
  std::string spec = varint_field(1, 1) + bytes_field(3, bytes_field(2, pod));
  std::string message = error_of(envelope("apps/v1", "Deployment", meta("web") + bytes_field(2, spec)));
  EXPECT_NE(message.find("Deployment.spec.template.spec.containers[0]: field 19 (wire type 2) of Container is "
                         "not decoded by csim"),
            std::string::npos)
      << message;
  // In the second container the index says which.
  message = error_of(envelope(
      "apps/v1", "Deployment",
      meta("web") + bytes_field(2, bytes_field(3, bytes_field(2, bytes_field(2, "") + bytes_field(2, container))))));
  EXPECT_NE(message.find("Deployment.spec.template.spec.containers[1]: field 19"), std::string::npos) << message;
  // Unknown in the envelope and in the object itself.
  message = error_of(envelope("v1", "Secret", meta("s") + varint_field(9, 1)));
  EXPECT_NE(message.find("Secret: field 9 (wire type 0) of Secret"), std::string::npos) << message;
  message = error_of(envelope("v1", "Secret", meta("s")) + varint_field(5, 1));
  EXPECT_NE(message.find("envelope: field 5 (wire type 0) of runtime.Unknown"), std::string::npos) << message;
}

TEST(ProtobufBody, WrongWireTypeFailsNamingThePath) {
  // ServicePort.port (3) sent length-delimited.
  std::string port = bytes_field(1, "http") + bytes_field(3, "80");
  std::string message = error_of(envelope("v1", "Service", meta("s") + bytes_field(2, bytes_field(1, port))));
  EXPECT_NE(message.find("Service.spec.ports[0].port: wire type 2 (length-delimited), expected 0 (varint) in "
                         "ServicePort"),
            std::string::npos)
      << message;
  // Ingress metadata.name (1) as a varint.
  message = error_of(envelope("networking.k8s.io/v1", "Ingress", bytes_field(1, varint_field(1, 7))));
  EXPECT_NE(message.find("Ingress.metadata.name: wire type 0"), std::string::npos) << message;
  // An unsupported wire type (5, fixed32) anywhere.
  message = error_of(envelope("v1", "Secret", meta("s") + std::string("\x1d\x01\x02\x03\x04", 5)));
  EXPECT_NE(message.find("protobuf body: Secret: field 3: unsupported wire type 5"), std::string::npos) << message;
}

TEST(ProtobufBody, TruncatedBodiesFailNamingWhere) {
  // The backend message claims 10 bytes but holds 3 (the outer lengths are consistent).
  std::string message = error_of(ingress_with_backend(std::string("\x22\x0a\x0a", 3)));
  EXPECT_NE(message.find("Ingress.spec.rules[0].http.paths[0].backend: field 4: truncated bytes"),
            std::string::npos)
      << message;
  // A varint cut short inside Deployment.spec (replicas).
  message = error_of(envelope("apps/v1", "Deployment", meta("web") + bytes_field(2, std::string("\x08\x80", 2))));
  EXPECT_NE(message.find("Deployment.spec: field 1: truncated varint"), std::string::npos) << message;
  // Every prefix of a golden fails cleanly (or, at a field boundary of the outer envelope, decodes).
  std::string body = read_file("deployment.pb");
  for (size_t n = 0; n < body.size(); ++n) {
    auto r = decode_protobuf_object(body.substr(0, n));
    if (!r.is_ok()) {
      EXPECT_EQ(r.status().code(), core::Code::kInvalid);
      EXPECT_EQ(r.status().message().rfind("protobuf body:", 0), 0u) << r.status().message();
    }
  }
  EXPECT_NE(error_of(body.substr(0, body.size() / 2)).find("envelope: field 2: truncated bytes"), std::string::npos);
}

TEST(ProtobufBody, KindsCsimDoesNotDecodeAreRefusedWithAWayOut) {
  std::string message = error_of(envelope("apps/v1", "StatefulSet", meta("x")));
  EXPECT_NE(message.find("StatefulSet (apps/v1) is not decoded"), std::string::npos) << message;
  EXPECT_NE(message.find("kubectl create -f"), std::string::npos) << message;
  message = error_of(envelope("extensions/v1beta1", "Ingress", meta("x")));
  EXPECT_NE(message.find("Ingress (extensions/v1beta1) is not decoded"), std::string::npos) << message;
  EXPECT_NE(error_of("{\"kind\": \"Secret\"}").find("missing the \"k8s\\0\" prefix"), std::string::npos);
  message = error_of(std::string("k8s\0", 4) + bytes_field(1, bytes_field(1, "v1") + bytes_field(2, "Secret")) +
                     bytes_field(2, meta("s")) + bytes_field(3, "gzip"));
  EXPECT_NE(message.find("contentEncoding \"gzip\" is not decoded by csim"), std::string::npos) << message;
}

// Random mutations of the goldens (fixed seed, bounded): the decoder returns ok or kInvalid,
// never crashes, throws or reads out of bounds.
TEST(ProtobufBody, RandomMutationsNeverCrash) {
  std::mt19937 rng(20261127);
  int ok = 0, invalid = 0;
  for (const char* name : kGoldens) {
    const std::string golden = read_file(std::string(name) + ".pb");
    ASSERT_FALSE(golden.empty());
    for (int i = 0; i < 600; ++i) {
      std::string body = golden;
      int edits = 1 + static_cast<int>(rng() % 4);
      for (int e = 0; e < edits && !body.empty(); ++e) {
        size_t at = 4 + rng() % (body.size() > 4 ? body.size() - 4 : 1);
        if (at >= body.size()) at = body.size() - 1;
        switch (rng() % 4) {
          case 0: body[at] = static_cast<char>(rng()); break;                       // replace a byte
          case 1: body[at] = static_cast<char>(body[at] ^ (1 << (rng() % 8))); break;  // flip a bit
          case 2: body.insert(at, 1, static_cast<char>(rng())); break;              // insert a byte
          default: body.erase(at, 1); break;                                        // drop a byte
        }
      }
      auto r = decode_protobuf_object(body);
      if (r.is_ok()) {
        ++ok;
        EXPECT_TRUE(r->is_object());
        EXPECT_NO_THROW((void)r->dump()) << "the router dumps what it stores";
      } else {
        ++invalid;
        ASSERT_EQ(r.status().code(), core::Code::kInvalid) << r.status().message();
        EXPECT_NO_THROW((void)json(r.status().message()).dump()) << "the message goes into a Status";
      }
    }
  }
  EXPECT_GT(invalid, 0);
  EXPECT_EQ(ok + invalid, 7 * 600);
}

}  // namespace
}  // namespace csim::kube::apiserver
