// networking.k8s.io/v1 messages (k8s.io/api/networking/v1/generated.proto): Ingress.
#include "kube/apiserver/protobuf_messages.h"

namespace csim::kube::apiserver::pbmsg {

using namespace pb;

const MessageSpec& ingress() {
  static const MessageSpec spec{
      "Ingress",
      {msg(1, "metadata", object_meta), msg(2, "spec", ingress_spec), msg(3, "status", ingress_status)}};
  return spec;
}

const MessageSpec& ingress_spec() {
  static const MessageSpec spec{
      "IngressSpec",
      {str(4, "ingressClassName", kKeep), msg(1, "defaultBackend", ingress_backend),
       msg(2, "tls", ingress_tls, kRepeated), msg(3, "rules", ingress_rule, kRepeated)}};
  return spec;
}

const MessageSpec& ingress_backend() {
  static const MessageSpec spec{"IngressBackend",
                                {msg(4, "service", ingress_service_backend),
                                 msg(3, "resource", typed_local_object_reference)}};
  return spec;
}

const MessageSpec& ingress_service_backend() {
  static const MessageSpec spec{"IngressServiceBackend",
                                {str(1, "name", kKeep), msg(2, "port", service_backend_port)}};
  return spec;
}

const MessageSpec& service_backend_port() {
  static const MessageSpec spec{"ServiceBackendPort", {str(1, "name"), integer(2, "number")}};
  return spec;
}

const MessageSpec& ingress_tls() {
  static const MessageSpec spec{"IngressTLS", {str(1, "hosts", kRepeated), str(2, "secretName")}};
  return spec;
}

const MessageSpec& ingress_rule() {
  // ingressRuleValue is inline in JSON: its `http` sits in the rule itself.
  static const MessageSpec spec{"IngressRule",
                                {str(1, "host"), inline_msg(2, "ingressRuleValue", ingress_rule_value)}};
  return spec;
}

const MessageSpec& ingress_rule_value() {
  static const MessageSpec spec{"IngressRuleValue", {msg(1, "http", http_ingress_rule_value)}};
  return spec;
}

const MessageSpec& http_ingress_rule_value() {
  static const MessageSpec spec{"HTTPIngressRuleValue", {msg(1, "paths", http_ingress_path, kRepeated)}};
  return spec;
}

const MessageSpec& http_ingress_path() {
  static const MessageSpec spec{"HTTPIngressPath",
                                {str(1, "path"), str(3, "pathType", kKeep), msg(2, "backend", ingress_backend)}};
  return spec;
}

const MessageSpec& ingress_status() {
  static const MessageSpec spec{"IngressStatus", {msg(1, "loadBalancer", ingress_load_balancer_status)}};
  return spec;
}

const MessageSpec& ingress_load_balancer_status() {
  static const MessageSpec spec{"IngressLoadBalancerStatus",
                                {msg(1, "ingress", ingress_load_balancer_ingress, kRepeated)}};
  return spec;
}

const MessageSpec& ingress_load_balancer_ingress() {
  static const MessageSpec spec{"IngressLoadBalancerIngress",
                                {str(1, "ip"), str(2, "hostname"), msg(4, "ports", ingress_port_status, kRepeated)}};
  return spec;
}

const MessageSpec& ingress_port_status() {
  static const MessageSpec spec{"IngressPortStatus",
                                {integer(1, "port", kKeep), str(2, "protocol", kKeep), str(3, "error", kKeep)}};
  return spec;
}

}  // namespace csim::kube::apiserver::pbmsg
