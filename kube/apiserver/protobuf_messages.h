// The generated.proto messages csim decodes, as MessageSpec tables (protobuf_schema.h).
//
// Field numbers are those of k8s.io/api and k8s.io/apimachinery generated.proto; JSON names
// and omitempty/pointer flags follow the Go types, so a decoded object equals what
// `kubectl create ... --dry-run=client -o json` prints (less `creationTimestamp: null`).
// Covered: what kubectl's typed `create` subcommands send (namespace, secret generic|tls,
// deployment, service clusterip|nodeport|loadbalancer|externalname, ingress). Sub-messages
// they never fill (volumes, probes, affinity, security contexts, ...) are not listed: a body
// holding one fails the decode with its path. Immutable statics; any thread.
// One .cc per API group: protobuf_meta_v1.cc, protobuf_core_v1.cc, protobuf_apps_v1.cc,
// protobuf_networking_v1.cc.
#pragma once

#include "kube/apiserver/protobuf_schema.h"

namespace csim::kube::apiserver::pbmsg {

// meta/v1 (k8s.io/apimachinery/pkg/apis/meta/v1/generated.proto).
const MessageSpec& object_meta();
const MessageSpec& owner_reference();
const MessageSpec& label_selector();
const MessageSpec& label_selector_requirement();
const MessageSpec& condition();

// core/v1.
const MessageSpec& namespace_();
const MessageSpec& namespace_spec();
const MessageSpec& namespace_status();
const MessageSpec& secret();
const MessageSpec& config_map();
const MessageSpec& service();
const MessageSpec& service_spec();
const MessageSpec& service_port();
const MessageSpec& session_affinity_config();
const MessageSpec& client_ip_config();
const MessageSpec& service_status();
const MessageSpec& load_balancer_status();
const MessageSpec& load_balancer_ingress();
const MessageSpec& port_status();
const MessageSpec& pod_template_spec();
const MessageSpec& pod_spec();
const MessageSpec& container();
const MessageSpec& container_port();
const MessageSpec& env_var();
const MessageSpec& resource_requirements();
const MessageSpec& resource_claim();
const MessageSpec& local_object_reference();
const MessageSpec& toleration();
const MessageSpec& typed_local_object_reference();

// apps/v1.
const MessageSpec& deployment();
const MessageSpec& deployment_spec();
const MessageSpec& deployment_strategy();
const MessageSpec& rolling_update_deployment();
const MessageSpec& deployment_status();
const MessageSpec& deployment_condition();

// networking.k8s.io/v1.
const MessageSpec& ingress();
const MessageSpec& ingress_spec();
const MessageSpec& ingress_backend();
const MessageSpec& ingress_service_backend();
const MessageSpec& service_backend_port();
const MessageSpec& ingress_tls();
const MessageSpec& ingress_rule();
const MessageSpec& ingress_rule_value();
const MessageSpec& http_ingress_rule_value();
const MessageSpec& http_ingress_path();
const MessageSpec& ingress_status();
const MessageSpec& ingress_load_balancer_status();
const MessageSpec& ingress_load_balancer_ingress();
const MessageSpec& ingress_port_status();

}  // namespace csim::kube::apiserver::pbmsg
