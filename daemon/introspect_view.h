// The vrouter agents' introspection as HTTP resources: what the real agent serves on its
// port 8085 (Sandesh pages), as JSON, for every agent of the cluster on one port.
//
//   GET /                                   {"agents": [node names], "paths": [the paths below]}
//   GET /agents                             {"agents": [{node, state, underlay_ip, view_version,
//                                             acked_version, ack_ok, ack_error,
//                                             service_instances: N, pods: N, href}]}
//   GET /agents/<node>                      that agent's VrouterAgent::introspect(), as it is:
//                                             service instances (namespace, haproxy pid and state,
//                                             last command and its error, adaptations), pods,
//                                             ports, NAT, haproxy supervisor, data plane
//   GET /agents/<node>/service-instances    {"node", "service_instances": [...], "not_usable": [...]}
//   GET /Snh_ServiceInstanceReq?uuid=U      Contrail's name: {"ServiceInstanceResp": {"instance_list":
//        [&node=N]                            [each service instance whose si, vm or lb uuid is U
//                                             (every one without uuid), with its "node"]}}
//
// Errors are {"error": "<what>"}: 404 for an unknown path or node (naming the ones there
// are), 400 for a malformed query or uuid, 405 for methods other than GET and HEAD.
// Pure; any thread.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace csim::daemon {

struct IntrospectAnswer {
  int status = 200;
  nlohmann::json body;
};

// `agents` maps node name -> VrouterAgent::introspect() (sim::Cluster::agents_introspect()).
// `target` is the request target as received ("/agents/node-1?x").
IntrospectAnswer route_introspect(const nlohmann::json& agents, const std::string& method,
                                  const std::string& target);

}  // namespace csim::daemon
