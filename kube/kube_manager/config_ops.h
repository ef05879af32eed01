// Config-graph operations several kube-manager reconcilers share: walking a loadbalancer's
// listeners, pools and members, creating the VIP interface (VMI + instance-ip) and the
// loadbalancer object of a Service or an Ingress (KM loadbalancer.py ServiceLbManager), and
// tearing them down in Contrail's order (contrail-reference.md §1.8, vnc_service.py).
//
// All functions are synchronous config API calls; run on kube-manager's strand.
// Deletes treat "already gone" (kNotFound) as done, so a half-finished teardown can be
// repeated.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "controller/config_api.h"
#include "core/status.h"
#include "kube/kube_manager/context.h"

namespace csim::kube {

// Reads the object afresh (past the resync's cache, resync_cache.h), lets `change` edit
// it and writes it back. (update() replaces props and refs, so writing back a copy read
// earlier could drop a ref another module — svc-monitor — added since.) kNotFound when
// the object is gone.
core::Result<controller::ConfigObject> modify(
    controller::ConfigApi& api, const std::string& uuid,
    const std::function<void(controller::ConfigObject&)>& change);

// remove(type, uuid), with kNotFound counted as success.
core::Status remove_if_present(controller::ConfigApi& api, const std::string& type,
                               const std::string& uuid);

// Listeners that refer to the loadbalancer, ordered by fq_name.
std::vector<controller::ConfigObject> listeners_of(const controller::ConfigApi& api,
                                                   const std::string& lb_uuid);
// The pool that refers to the listener (Contrail allows one), if any.
std::optional<controller::ConfigObject> pool_of(const controller::ConfigApi& api,
                                                const std::string& listener_uuid);
// Members of a pool (its children), ordered by fq_name.
std::vector<controller::ConfigObject> members_of(const controller::ConfigApi& api,
                                                 const std::string& pool_uuid);

// Deletes a listener's members, then its pool, then the listener (_delete_listener).
core::Status delete_listener_tree(controller::ConfigApi& api,
                                  const controller::ConfigObject& listener);

// The VIP interfaces (VMIs) a loadbalancer refers to.
std::vector<std::string> vip_interfaces_of(const controller::ConfigObject& lb);
// Floating-ips attached to a VMI, ordered by fq_name.
std::vector<controller::ConfigObject> floating_ips_of(const controller::ConfigApi& api,
                                                      const std::string& vmi_uuid);
// Instance-ips that refer to a VMI, ordered by fq_name.
std::vector<controller::ConfigObject> instance_ips_of(const controller::ConfigApi& api,
                                                      const std::string& vmi_uuid);

// Clears the floating-ip's VMI refs (update), then deletes it.
core::Status release_floating_ip(controller::ConfigApi& api, controller::ConfigObject fip);

// Ingress _deallocate_floating_ip: for every floating-ip on the VMI, clear its VMI refs
// (update), then delete it.
core::Status deallocate_floating_ips(controller::ConfigApi& api, const std::string& vmi_uuid);

// True for a floating-ip kube-manager allocated for an Ingress (§1.6: parent a
// floating-ip-pool, name "<ingress>__<its uuid>", one ref, to the project "<cluster>-<ns>")
// that is on no interface any more: what a kill between release_floating_ip()'s update and
// its delete leaves. kube-manager never keeps such a floating-ip.
bool is_detached_ingress_floating_ip(const KubeManagerOptions& o,
                                     const controller::ConfigObject& fip);

// ServiceLbManager._delete_virtual_interface: the VMI's floating-ips, then its
// instance-ips (each after the floating-ips hanging off it), then the VMI. A delete refused
// because another module added something meanwhile (kConflict) is looked at again, up to
// 3 times in all.
core::Status delete_virtual_interface(controller::ConfigApi& api, const std::string& vmi_uuid);

// Which teardown order delete_loadbalancer follows.
enum class LbKind { kService, kIngress };

// Deletes a loadbalancer and everything kube-manager made for it:
//  Ingress (§1.8): listeners (members, pool, listener) → floating-ips (refs cleared,
//    deleted) → loadbalancer → VIP interfaces.
//  Service (vnc_service_delete): floating-ips → listeners → loadbalancer → VIP interfaces.
// OK when the loadbalancer does not exist.
core::Status delete_loadbalancer(Context& ctx, const std::string& lb_uuid, LbKind kind);

// What create_vip_interface made.
struct VipInterface {
  controller::ConfigObject vmi;
  controller::ConfigObject iip;
  std::string vip;  // the instance-ip address (allocated or given)
};

// ServiceLbManager._create_virtual_interface: VMI "<cluster>__<kind>__<name>__<uid>" in
// the project (display "<ns>__<name>", device owner K8S:LOADBALANCER, refs VN and
// "<cluster>-<ns>-default-sg", port security on), then instance-ip "<name>__<uuid4>"
// (display_name <name>, refs VN + VMI, subnet_uuid, owner = project), with
// instance_ip_address = vip_address when given, else allocated by the API.
// A VMI of that fq_name left by an unfinished create (kube-manager killed between the
// VMI and its loadbalancer) is adopted, not deleted as Contrail does: its props and VN/SG
// refs are made right, an instance-ip on it in the VN (with vip_address, when given) is
// kept, any other instance-ip on it is deleted, and the instance-ip is created only when
// none was kept. Its floating-ips are left for the caller's reconcile.
core::Result<VipInterface> create_vip_interface(Context& ctx, const std::string& kind,
                                                const std::string& ns, const std::string& name,
                                                const std::string& uid,
                                                const controller::ConfigObject& project,
                                                const std::string& vn_uuid,
                                                const std::string& subnet_uuid,
                                                const std::optional<std::string>& vip_address);

// Deletes the VIP interface of kind/ns/name with `uid` (with its floating-ips and
// instance-ips) when it exists and no loadbalancer refers to it: what a kill between
// create_vip_interface() and create_loadbalancer(), or between a loadbalancer's delete and
// its interface's, leaves. Returns whether it deleted one.
core::Result<bool> delete_unused_vip_interface(Context& ctx, const std::string& kind,
                                               const std::string& ns, const std::string& name,
                                               const std::string& uid);

// ServiceLbManager.create's loadbalancer: uuid = uid, name "<name>__<uid>", display
// "<ns>__<name>", provider "native" (Service) or "opencontrail" (Ingress), properties
// ACTIVE/ONLINE/vip_address, refs service-appliance-set (when it exists) and the VMI,
// annotations kind/owner/cluster/project/namespace/name.
core::Result<controller::ConfigObject> create_loadbalancer(
    Context& ctx, const std::string& kind, const std::string& ns, const std::string& name,
    const std::string& uid, const controller::ConfigObject& project,
    const VipInterface& vip);

// Adds the loadbalancer's ref to service-appliance-set
// [default-global-system-config, <its provider>] when that set exists and the ref is
// missing (svc-monitor may create the set after the loadbalancer was made).
core::Status ensure_service_appliance_set_ref(Context& ctx, const controller::ConfigObject& lb);

}  // namespace csim::kube
