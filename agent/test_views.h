// Hand-built agent views for tests, in the shape the control-node sends
// (controller/agent_views.h: ConfigObject JSON {type, uuid, fq_name, parent_type,
// parent_uuid, props, refs: [{type, uuid, to, attr}]}).
//
// The cluster: pod network 10.32.0.0/12 (gateway 10.47.255.254, flat pod-ipam), pod
// qa-1 on node-1 (10.47.255.252) and qa-2 on node-2 (10.47.255.251), and an ingress
// loadbalancer with VIP 10.47.255.250 and floating IP 10.84.59.252: haproxy instance 0
// (local-pref 200) on node-1, instance 1 (100) on node-2, sharing the VIP instance-ip
// and the MAC. Service 10.96.0.10:80 -> both pods on 8080.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace csim::agent::test_views {

using nlohmann::json;

inline constexpr const char* kPodVn = "b0000000-0000-4000-8000-000000000001";
inline constexpr const char* kPodIpam = "b0000000-0000-4000-8000-000000000002";
inline constexpr const char* kSt = "b0000000-0000-4000-8000-000000000003";
inline constexpr const char* kSi = "b0000000-0000-4000-8000-000000000004";
inline constexpr const char* kLb = "b0000000-0000-4000-8000-000000000005";
inline constexpr const char* kVm0 = "b0000000-0000-4000-8000-000000000010";
inline constexpr const char* kVm1 = "b0000000-0000-4000-8000-000000000011";
inline constexpr const char* kVmi0 = "b0000000-0000-4000-8000-000000000020";
inline constexpr const char* kVmi1 = "b0000000-0000-4000-8000-000000000021";
inline constexpr const char* kVipIip = "c0ffee00-1234-4000-8000-000000000030";
inline constexpr const char* kFip = "b0000000-0000-4000-8000-000000000040";
inline constexpr const char* kVmiA = "a0000000-0000-4000-8000-0000000000a1";
inline constexpr const char* kIipA = "a0000000-0000-4000-8000-0000000000a2";
inline constexpr const char* kVmiB = "a0000000-0000-4000-8000-0000000000b1";
inline constexpr const char* kIipB = "a0000000-0000-4000-8000-0000000000b2";
inline constexpr const char* kVip = "10.47.255.250";
inline constexpr const char* kFipAddress = "10.84.59.252";
inline constexpr const char* kClusterIp = "10.96.0.10";
inline constexpr const char* kMac = "02:c0:ff:ee:00:12";

inline json ref(const std::string& type, const std::string& uuid, json attr = nullptr) {
  return {{"type", type}, {"uuid", uuid}, {"to", json::array()}, {"attr", attr}};
}

inline json object(const std::string& type, const std::string& uuid, json fq, json props,
                   json refs) {
  return {{"type", type},      {"uuid", uuid},   {"fq_name", fq}, {"parent_type", ""},
          {"parent_uuid", ""}, {"props", props}, {"refs", refs}};
}

// Contrail's haproxy text for the ingress: /qa.html (and /dev.html when `dev`) -> the
// service's clusterIP; no default backend.
inline std::string haproxy_config(bool dev = false) {
  std::string s =
      "global\n\tdaemon\n\tuser haproxy\n\tgroup haproxy\n"
      "\tlog /var/run/contrail/loadbalancer/haproxy.log.sock local0\n"
      "\tlog /var/run/contrail/loadbalancer/haproxy.log.sock local1 notice\n"
      "\ttune.ssl.default-dh-param 2048\n"
      "\tssl-default-bind-ciphers "
      "ECDH+AESGCM:DH+AESGCM:ECDH+AES256:DH+AES256:ECDH+AES128:DH+AES:ECDH+3DES:DH+3DES:RSA+AESGCM:"
      "RSA+AES:RSA+3DES:!aNULL:!MD5:!DSS\n"
      "\tulimit-n 200000\n\tmaxconn 65000\n"
      "\tstats socket /var/lib/contrail/loadbalancer/haproxy/" +
      std::string(kLb) +
      "/haproxy.sock mode 0666 level user\n"
      "\ndefaults\n\tlog global\n\tretries 3\n\toption redispatch\n\ttimeout connect 5000\n"
      "\ttimeout client 300000\n\ttimeout server 300000\n\n"
      "frontend f0000000-0000-4000-8000-000000000001\n\toption tcplog\n\tbind " +
      std::string(kVip) +
      ":80 \n"
      "\tmode http\n\toption forwardfor\n"
      "\tacl p1_path path /qa.html\n\tuse_backend p1 if  p1_path\n\t\n\n";
  if (dev) s += "\tacl p2_path path /dev.html\n\tuse_backend p2 if  p2_path\n\t\n\n";
  s += "backend p1\n\tmode http\n\tbalance roundrobin\n\toption forwardfor\n\tserver m1 " +
       std::string(kClusterIp) + ":80 weight 1\n\n";
  if (dev) {
    s += "backend p2\n\tmode http\n\tbalance roundrobin\n\toption forwardfor\n\tserver m2 " +
         std::string(kClusterIp) + ":80 weight 1\n\n";
  }
  return s;
}

inline json network_objects() {
  json ipam_props = {
      {"ipam_subnet_method", "flat-subnet"},
      {"ipam_subnets",
       {{"subnets", json::array({{{"subnet", {{"ip_prefix", "10.32.0.0"}, {"ip_prefix_len", 12}}},
                                  {"default_gateway", "10.47.255.254"}}})}}}};
  return json::array(
      {object("network-ipam", kPodIpam, {"default-domain", "k8s-default", "k8s-pod-ipam"},
              ipam_props, json::array()),
       object("virtual-network", kPodVn,
              {"default-domain", "k8s-default", "k8s-default-pod-network"}, json::object(),
              json::array({ref("network-ipam", kPodIpam, {{"ipam_subnets", json::array()}})}))});
}

// A pod's VM (uuid = pod uid), VMI and instance-ip.
inline json pod_objects(const std::string& uid, const std::string& vmi, const std::string& iip,
                        const std::string& ip) {
  return json::array(
      {object("virtual-machine", uid, {"k8s__default__" + uid}, json::object(), json::array()),
       object("virtual-machine-interface", vmi, {"default-domain", "k8s-default", vmi},
              json::object(),
              json::array({ref("virtual-machine", uid), ref("virtual-network", kPodVn)})),
       object(
           "instance-ip", iip, {iip}, {{"instance_ip_address", ip}},
           json::array({ref("virtual-network", kPodVn), ref("virtual-machine-interface", vmi)}))});
}

// Haproxy instance `index` (0 on node-1, 1 on node-2): VM, right VMI, SI, ST, VIP iip.
inline json instance_objects(int index, const std::string& config) {
  const std::string vm = index == 0 ? kVm0 : kVm1;
  const std::string vmi = index == 0 ? kVmi0 : kVmi1;
  json bindings = {
      {"key_value_pair", json::array({{{"key", "lb_version"}, {"value", "v2"}},
                                      {{"key", "lb_uuid"}, {"value", kLb}},
                                      {{"key", "haproxy_config"}, {"value", config}},
                                      {{"key", "orchestrator"}, {"value", "kubernetes"}}})}};
  return json::array(
      {object("service-template", kSt, {"default-domain", "haproxy-loadbalancer-template"},
              {{"service_template_properties",
                {{"service_virtualization_type", "network-namespace"}}}},
              json::array()),
       object("service-instance", kSi, {"default-domain", "k8s-default", kLb},
              {{"service_instance_bindings", bindings},
               {"service_instance_properties", {{"ha_mode", "active-standby"}}}},
              json::array({ref("service-template", kSt)})),
       object(
           "virtual-machine", vm,
           {"default-domain__k8s-default__" + std::string(kLb) + "__" + std::to_string(index + 1)},
           json::object(), json::array({ref("service-instance", kSi)})),
       object(
           "virtual-machine-interface", vmi, {"default-domain", "k8s-default", vmi},
           {{"virtual_machine_interface_properties",
             {{"service_interface_type", "right"}, {"local_preference", index == 0 ? 200 : 100}}},
            {"virtual_machine_interface_mac_addresses", {{"mac_address", json::array({kMac})}}}},
           json::array({ref("virtual-machine", vm), ref("virtual-network", kPodVn)})),
       object("instance-ip", kVipIip, {"vip-iip"},
              {{"instance_ip_address", kVip}, {"instance_ip_mode", "active-standby"}},
              json::array({ref("virtual-network", kPodVn), ref("virtual-machine-interface", kVmi0),
                           ref("virtual-machine-interface", kVmi1)}))});
}

inline json local_route(const std::string& prefix, const std::string& vmi, int pref = 100) {
  return {{"prefix", prefix}, {"nexthop", {{"type", "local"}, {"vmi", vmi}}}, {"local_pref", pref}};
}
inline json remote_route(const std::string& prefix, const std::string& node,
                         const std::string& underlay, int pref = 100) {
  return {{"prefix", prefix},
          {"nexthop", {{"type", "remote"}, {"node", node}, {"underlay_ip", underlay}}},
          {"local_pref", pref}};
}

inline json service() {
  return {{"cluster_ip", kClusterIp},
          {"protocol", "TCP"},
          {"port", 80},
          {"backends", json::array({{{"ip", "10.47.255.251"}, {"port", 8080}},
                                    {{"ip", "10.47.255.252"}, {"port", 8080}}})}};
}

inline void append(json& into, const json& more) {
  for (const auto& o : more) into.push_back(o);
}

// The view of node-1: pod qa-1 (uid_a), instance 0; or of node-2: pod qa-2 (uid_b), instance 1.
inline json view(int node_index, uint64_t version, const std::string& pod_uid,
                 const std::string& config, bool with_pod = true) {
  const bool n1 = node_index == 1;
  json objects = network_objects();
  if (with_pod)
    append(objects, pod_objects(pod_uid, n1 ? kVmiA : kVmiB, n1 ? kIipA : kIipB,
                                n1 ? "10.47.255.252" : "10.47.255.251"));
  append(objects, instance_objects(n1 ? 0 : 1, config));
  json routes = json::array();
  if (n1) {
    routes.push_back(remote_route("10.47.255.251/32", "node-2", "169.254.1.2"));
    if (with_pod) routes.push_back(local_route("10.47.255.252/32", kVmiA));
    routes.push_back(local_route("10.47.255.250/32", kVmi0, 200));
  } else {
    if (with_pod) routes.push_back(local_route("10.47.255.251/32", kVmiB));
    routes.push_back(remote_route("10.47.255.252/32", "node-1", "169.254.1.1"));
    routes.push_back(remote_route("10.47.255.250/32", "node-1", "169.254.1.1", 200));
  }
  return {{"version", version},
          {"node", n1 ? "node-1" : "node-2"},
          {"summary", "test view"},
          {"objects", objects},
          {"routes", routes},
          {"services", json::array({service()})},
          {"floating_ips",
           json::array({{{"fip", kFipAddress}, {"fixed_ip", kVip}, {"vmi", n1 ? kVmi0 : kVmi1}}})}};
}

inline json gateway_routes(uint64_t version, const std::string& node = "node-1") {
  return {{"version", version},
          {"routes",
           json::array({{{"prefix", std::string(kFipAddress) + "/32"},
                         {"node", node},
                         {"local_pref", node == "node-1" ? 200 : 100},
                         {"underlay_ip", node == "node-1" ? "169.254.1.1" : "169.254.1.2"}}})},
          {"summary", "gateway test routes"}};
}

}  // namespace csim::agent::test_views
