// core/v1 messages (k8s.io/api/core/v1/generated.proto): Namespace, Secret, ConfigMap,
// Service, and the pod template parts a Deployment made by `kubectl create deployment`
// holds.
#include "kube/apiserver/protobuf_messages.h"

namespace csim::kube::apiserver::pbmsg {

using namespace pb;

const MessageSpec& namespace_() {
  // csim stores a Namespace without an empty spec or status (as before protobuf).
  static const MessageSpec spec{"Namespace",
                                {msg(1, "metadata", object_meta), msg(2, "spec", namespace_spec, kDropEmpty),
                                 msg(3, "status", namespace_status, kDropEmpty)}};
  return spec;
}

const MessageSpec& namespace_spec() {
  static const MessageSpec spec{"NamespaceSpec", {str(1, "finalizers", kRepeated)}};
  return spec;
}

const MessageSpec& namespace_status() {
  // conditions (2) are the server's: not decoded.
  static const MessageSpec spec{"NamespaceStatus", {str(1, "phase")}};
  return spec;
}

const MessageSpec& secret() {
  static const MessageSpec spec{"Secret",
                                {msg(1, "metadata", object_meta), boolean(5, "immutable", kKeep),
                                 bytes_map(2, "data"), string_map(4, "stringData"), str(3, "type")}};
  return spec;
}

const MessageSpec& config_map() {
  static const MessageSpec spec{"ConfigMap",
                                {msg(1, "metadata", object_meta), boolean(4, "immutable", kKeep),
                                 string_map(2, "data"), bytes_map(3, "binaryData")}};
  return spec;
}

const MessageSpec& service() {
  static const MessageSpec spec{
      "Service",
      {msg(1, "metadata", object_meta), msg(2, "spec", service_spec), msg(3, "status", service_status)}};
  return spec;
}

const MessageSpec& service_spec() {
  static const MessageSpec spec{
      "ServiceSpec",
      {msg(1, "ports", service_port, kRepeated), string_map(2, "selector"), str(3, "clusterIP"),
       str(18, "clusterIPs", kRepeated), str(4, "type"), str(5, "externalIPs", kRepeated),
       str(7, "sessionAffinity"), str(8, "loadBalancerIP"), str(9, "loadBalancerSourceRanges", kRepeated),
       str(10, "externalName"), str(11, "externalTrafficPolicy"), integer(12, "healthCheckNodePort"),
       boolean(13, "publishNotReadyAddresses"), msg(14, "sessionAffinityConfig", session_affinity_config),
       str(19, "ipFamilies", kRepeated), str(17, "ipFamilyPolicy", kKeep),
       boolean(20, "allocateLoadBalancerNodePorts", kKeep), str(21, "loadBalancerClass", kKeep),
       str(22, "internalTrafficPolicy", kKeep), str(23, "trafficDistribution", kKeep)}};
  return spec;
}

const MessageSpec& service_port() {
  static const MessageSpec spec{
      "ServicePort",
      {str(1, "name"), str(2, "protocol"), str(6, "appProtocol", kKeep), integer(3, "port", kKeep),
       int_or_string(4, "targetPort"), integer(5, "nodePort")}};
  return spec;
}

const MessageSpec& session_affinity_config() {
  static const MessageSpec spec{"SessionAffinityConfig", {msg(1, "clientIP", client_ip_config)}};
  return spec;
}

const MessageSpec& client_ip_config() {
  static const MessageSpec spec{"ClientIPConfig", {integer(1, "timeoutSeconds", kKeep)}};
  return spec;
}

const MessageSpec& service_status() {
  static const MessageSpec spec{
      "ServiceStatus",
      {msg(1, "loadBalancer", load_balancer_status), msg(2, "conditions", condition, kRepeated)}};
  return spec;
}

const MessageSpec& load_balancer_status() {
  static const MessageSpec spec{"LoadBalancerStatus", {msg(1, "ingress", load_balancer_ingress, kRepeated)}};
  return spec;
}

const MessageSpec& load_balancer_ingress() {
  static const MessageSpec spec{"LoadBalancerIngress",
                                {str(1, "ip"), str(2, "hostname"), str(3, "ipMode", kKeep),
                                 msg(4, "ports", port_status, kRepeated)}};
  return spec;
}

const MessageSpec& port_status() {
  static const MessageSpec spec{"PortStatus",
                                {integer(1, "port", kKeep), str(2, "protocol", kKeep), str(3, "error", kKeep)}};
  return spec;
}

const MessageSpec& pod_template_spec() {
  static const MessageSpec spec{"PodTemplateSpec",
                                {msg(1, "metadata", object_meta), msg(2, "spec", pod_spec)}};
  return spec;
}

// PodSpec as `kubectl create deployment` fills it (containers) plus its scalar fields, which
// Go's protobuf encoding always writes. Not listed, so refused when present: volumes (1),
// securityContext (14), affinity (18), hostAliases (23), dnsConfig (26), readinessGates (28),
// topologySpreadConstraints (33), ephemeralContainers (34), os (36), schedulingGates (38),
// resourceClaims (39), resources (40).
const MessageSpec& pod_spec() {
  static const MessageSpec spec{
      "PodSpec",
      {msg(20, "initContainers", container, kRepeated), msg(2, "containers", container, kRepeated),
       str(3, "restartPolicy"), integer(4, "terminationGracePeriodSeconds", kKeep),
       integer(5, "activeDeadlineSeconds", kKeep), str(6, "dnsPolicy"), string_map(7, "nodeSelector"),
       str(8, "serviceAccountName"), str(9, "serviceAccount"),
       boolean(21, "automountServiceAccountToken", kKeep), str(10, "nodeName"), boolean(11, "hostNetwork"),
       boolean(12, "hostPID"), boolean(13, "hostIPC"), boolean(27, "shareProcessNamespace", kKeep),
       msg(15, "imagePullSecrets", local_object_reference, kRepeated), str(16, "hostname"),
       str(17, "subdomain"), str(19, "schedulerName"), msg(22, "tolerations", toleration, kRepeated),
       str(24, "priorityClassName"), integer(25, "priority", kKeep), str(29, "runtimeClassName", kKeep),
       boolean(30, "enableServiceLinks", kKeep), str(31, "preemptionPolicy", kKeep),
       quantity_map(32, "overhead"), boolean(35, "setHostnameAsFQDN", kKeep), boolean(37, "hostUsers", kKeep)}};
  return spec;
}

// Container as `kubectl create deployment` fills it (name, image, ports, resources, and
// command/args after `--`) plus env and its scalar fields. Not listed, so refused when
// present: envFrom (19), volumeMounts (9), probes (10, 11, 22), lifecycle (12),
// securityContext (15), volumeDevices (21), resizePolicy (23).
const MessageSpec& container() {
  static const MessageSpec spec{
      "Container",
      {str(1, "name", kKeep), str(2, "image"), str(3, "command", kRepeated), str(4, "args", kRepeated),
       str(5, "workingDir"), msg(6, "ports", container_port, kRepeated), msg(7, "env", env_var, kRepeated),
       msg(8, "resources", resource_requirements), str(24, "restartPolicy", kKeep),
       str(13, "terminationMessagePath"), str(20, "terminationMessagePolicy"), str(14, "imagePullPolicy"),
       boolean(16, "stdin"), boolean(17, "stdinOnce"), boolean(18, "tty")}};
  return spec;
}

const MessageSpec& container_port() {
  static const MessageSpec spec{"ContainerPort",
                                {str(1, "name"), integer(2, "hostPort"), integer(3, "containerPort", kKeep),
                                 str(4, "protocol"), str(5, "hostIP")}};
  return spec;
}

// EnvVar with a literal value; valueFrom (3) is not decoded.
const MessageSpec& env_var() {
  static const MessageSpec spec{"EnvVar", {str(1, "name", kKeep), str(2, "value")}};
  return spec;
}

const MessageSpec& resource_requirements() {
  static const MessageSpec spec{
      "ResourceRequirements",
      {quantity_map(1, "limits"), quantity_map(2, "requests"), msg(3, "claims", resource_claim, kRepeated)}};
  return spec;
}

const MessageSpec& resource_claim() {
  static const MessageSpec spec{"ResourceClaim", {str(1, "name", kKeep), str(2, "request")}};
  return spec;
}

const MessageSpec& local_object_reference() {
  static const MessageSpec spec{"LocalObjectReference", {str(1, "name")}};
  return spec;
}

const MessageSpec& toleration() {
  static const MessageSpec spec{"Toleration",
                                {str(1, "key"), str(2, "operator"), str(3, "value"), str(4, "effect"),
                                 integer(5, "tolerationSeconds", kKeep)}};
  return spec;
}

const MessageSpec& typed_local_object_reference() {
  static const MessageSpec spec{"TypedLocalObjectReference",
                                {str(1, "apiGroup", kKeep), str(2, "kind", kKeep), str(3, "name", kKeep)}};
  return spec;
}

}  // namespace csim::kube::apiserver::pbmsg
