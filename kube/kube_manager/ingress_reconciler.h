// Ingress -> Contrail loadbalancer (contrail-reference.md §1.1-§1.9; KM vnc_ingress.py).
//
// Per Ingress handled by this controller (annotation kubernetes.io/ingress.class, else
// spec.ingressClassName: absent or "opencontrail"; any other class deletes our
// loadbalancer, if any, and stops):
//  1. loadbalancer uuid = Ingress uid, "<ing>__<uid>", provider opencontrail, with its VIP
//     interface "<cluster>__Ingress__<ing>__<uid>" and VIP instance-ip from the pod network
//     (pod ipam subnet), created in ServiceLbManager.create's order (§1.2 #1-#3);
//  2. floating-ip "<ing>__<uuid>" from the pool of annotation opencontrail.org/fip-pool,
//     else the namespace's, else the public pool; address = annotation externalIP when
//     given; the loadbalancer annotation externalIP (value or null) is set — replaced,
//     not appended (§6.2) — and a changed externalIP re-allocates it (§1.7 step 1);
//  3. status.loadBalancer.ingress = [{ip: FIP}, {ip: VIP}] (FIP first, omitted when
//     absent), written only when it differs (no self-triggered churn);
//  4. backends (§1.4, ingress_backends.h) diffed against the listeners (§1.7): unchanged
//     ones kept, same listener/pool/annotations with another member updated, the rest
//     deleted (members, pool, listener), then new ones created (listener
//     "<lb>-HTTP-80-<uuid>", pool of the same name with annotations host/path/type/index
//     and, for `--semantics kubernetes`, pathType/claimed_hosts (ingress_backends.h),
//     member address = the Service's clusterIP, protocol_port = the servicePort).
// Without Contrail's bugs (§6.2): TLS listeners compare correctly (no churn), pools
// without members take part in the diff (a member is created instead of orphaning them),
// kept members follow a Service's clusterIP/port change, and a named servicePort is
// resolved to the Service port's number. The csim-only pool annotations "index",
// "pathType", "claimed_hosts" and "backend_unavailable" are ignored by the diff and
// updated in place (a moved spec order, a changed pathType, a host-only rule or a Service
// that comes or goes keep the pool).
// A kept backend's listener port is put back to 80/443 when it was changed (Contrail's
// diff compares only the protocol).
// A backend whose Service (or its clusterIP, or its named port) is missing keeps (or gets)
// its listener and pool, without member, with the pool annotation backend_unavailable =
// why ("Service default/web not found", "port http not found in Service default/web";
// ingress_backends.h kBackendUnavailableAnnotation); §1.5: Contrail deletes them instead,
// which svc-monitor reproduces under `--semantics contrail` by hiding such pools, while
// `--semantics kubernetes` answers 503 for them as ingress-nginx does. When the Service
// appears (its events reach the Ingress through the service index) the member is added
// and then the annotation dropped; when it goes, the annotation is set and then the
// member deleted. A numeric servicePort is used as given (Contrail), never checked
// against the Service's ports. The reason is recorded in the trace once while it lasts.
// Deletion follows §1.8 and frees the floating-ip and instance-ip.
// A VIP interface left without loadbalancer (a kill inside create or delete) is adopted
// when the Ingress is wanted (config_ops.h create_vip_interface) and deleted for a gone
// uid or an Ingress of another class.
//
// Runs on kube-manager's strand (ingresses_using() and introspect() from any thread).
#pragma once

#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/status.h"
#include "kube/kube_manager/context.h"
#include "kube/kube_manager/service_ingress_index.h"

namespace csim::kube {

class IngressReconciler {
 public:
  explicit IngressReconciler(Context& ctx);

  // Makes the loadbalancer of Ingress ns/name right. `gone_uids`: uids from DELETED events
  // for this key (their loadbalancers are deleted too, if they still exist).
  core::Status reconcile(const std::string& ns, const std::string& name,
                         const std::vector<std::string>& gone_uids = {});

  // Ingresses in ns whose backends name Service ns/service (§1.9).
  std::vector<std::string> ingresses_using(const std::string& ns, const std::string& service) const;

  // {"service_index": {...}}
  nlohmann::json introspect() const;

 private:
  // Records `text` unless the previous reconcile of `key` recorded it already (so a
  // standing condition, like a missing Service, is told once, not on every event).
  void note(const std::string& key, const std::string& text);

  Context& ctx_;
  ServiceIngressIndex index_;
  std::map<std::string, std::set<std::string>> notes_;       // key -> notes of the last run
  std::map<std::string, std::set<std::string>> new_notes_;   // key -> notes of this run
};

}  // namespace csim::kube
