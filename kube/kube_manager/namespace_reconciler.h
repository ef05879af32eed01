// Namespace -> project "<cluster>-<ns>" and security group "<cluster>-<ns>-default-sg"
// (contrail-reference.md §2.2; KM vnc_namespace.py vnc_namespace_add / _delete).
//
// Project annotations, in Contrail's order: kind=Namespace, owner, cluster, project,
// namespace, name, k8s_uuid, isolated ("True"/"False" from opencontrail.org/isolation).
// Unlike Contrail (which keeps a pre-existing project untouched), the annotations of an
// existing project are brought up to date, so the projects provisioned at start get them
// when their Namespace is seen. The security group allows all IPv4/IPv6 traffic in and
// out (4 rules) and carries kind=Namespace … name=<sg name>.
//
// When the Namespace is gone: the security group is detached from every VMI and deleted,
// then the project is deleted (§2.2: "deletes the project if it was created for this
// namespace"; Contrail's own guard never fires with the default config, leaving the
// project behind — csim deletes it). The project of the cluster's default namespace holds
// the cluster's ipams and networks and is never deleted.
//
// Runs on kube-manager's strand.
#pragma once

#include <string>

#include "core/status.h"
#include "kube/kube_manager/context.h"

namespace csim::kube {

// Makes the config of Namespace `name` right: project + SG if it exists, none if not.
core::Status reconcile_namespace(Context& ctx, const std::string& name);

}  // namespace csim::kube
