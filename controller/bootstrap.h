// Default config objects that exist in every Contrail cluster before kube-manager starts
// (the api-server and provisioning scripts make them), and virtual-router provisioning
// (what contrail-provision-vrouter does when a compute node joins).
//
// Both work through any ConfigApi and are idempotent: objects that already exist are
// left alone, so they can run on every start of csim against a persisted DB.
// Thread: the caller's; ConfigApi is thread-safe.
#pragma once

#include <string>

#include "controller/config_api.h"
#include "core/status.h"

namespace csim::controller {

inline constexpr char kGlobalSystemConfig[] = "default-global-system-config";
inline constexpr char kDefaultDomain[] = "default-domain";
inline constexpr char kDefaultProject[] = "default-project";
inline constexpr char kPublicNetwork[] = "__public__";
inline constexpr char kPublicIpam[] = "__public__-ipam";
inline constexpr char kPublicFipPool[] = "__fip_pool_public__";
inline constexpr char kPublicSubnet[] = "10.84.59.0/24";
inline constexpr char kPublicGateway[] = "10.84.59.254";

// Creates what is missing of:
//   global-system-config [default-global-system-config]
//   domain               [default-domain]
//   project              [default-domain, default-project]
//   network-ipam         [default-domain, default-project, __public__-ipam]
//   virtual-network      [default-domain, default-project, __public__]  (router_external),
//                        ref -> the ipam with attr ipam_subnets = 10.84.59.0/24, gw .254
//   floating-ip-pool     [default-domain, default-project, __public__, __fip_pool_public__]
// Returns the first error of the config API (naming the object), else OK.
core::Status provision_defaults(ConfigApi& api);

// Creates virtual-router [default-global-system-config, <name>] with
// props.virtual_router_ip_address = underlay_ip (and the global-system-config if missing).
// If it exists, updates the address when it differs and keeps its refs. Returns its uuid.
// kInvalid for a name that is not a DNS label-like string (letters, digits, '-', '.', '_',
// at most 253 chars) or an underlay_ip that is not an IPv4 address.
core::Result<std::string> add_virtual_router(ConfigApi& api, const std::string& name,
                                             const std::string& underlay_ip);

}  // namespace csim::controller
