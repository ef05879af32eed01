// The API server's request handling: one Request in, one Response out (or a watch stream).
//
// Serves (kubectl-wire.md has the details kubectl depends on):
//  - /version, /healthz|livez|readyz, discovery (legacy and aggregated), /openapi/v2|v3;
//  - for every resource of resource_table.h: list (?labelSelector, ?fieldSelector; a List, or
//    a meta.k8s.io Table when the Accept header asks for one), get, watch (?watch=true,
//    ?resourceVersion: 0/absent = synthetic ADDED of what exists, N = the changes after N,
//    410 Expired as an ERROR event when N is older than the hub's history; ?timeoutSeconds),
//    create (POST), update (PUT), patch (JSON, merge, strategic merge), delete,
//    deletecollection, the status subresource (get, PUT, PATCH) and, for Deployments, the
//    scale subresource (autoscaling/v1 Scale: get, PUT, PATCH; `kubectl scale`);
//  - ?dryRun=All on writes (everything is checked, nothing stored).
// Writes validate the object in the URL's (or body's) version with kube/validation.h:
// every problem comes back at once as a 422 Invalid naming each field, and nothing is
// stored. A PUT/PATCH carrying metadata.resourceVersion must match (409 Conflict); a
// PATCH without one is retried on a concurrent change. Ingresses are served in all three
// versions and stored once in networking.k8s.io/v1. Each write runs under a bus TraceScope
// named after the command ("kubectl apply: patch ingresses default/web"), so `csim trace`
// shows the pipeline a kubectl call caused.
//
// Deleting a Namespace deletes its objects at once (the store has no terminating phase);
// a DELETE of one of those objects in the next 5 minutes answers 200 with its last state,
// as kube-apiserver does while a namespace terminates, so `kubectl delete -f` of a file
// that lists the namespace first succeeds.
//
// Thread-safe: handle() may run on several threads at once.
#pragma once

#include <map>
#include <mutex>
#include <string>
#include <tuple>

#include <nlohmann/json.hpp>

#include "core/bus.h"
#include "core/clock.h"
#include "kube/apiserver/http_message.h"
#include "kube/apiserver/resource_table.h"
#include "kube/apiserver/watch_hub.h"
#include "kube/object_store.h"

namespace csim::kube::apiserver {

class Router {
 public:
  // Not owned; all must outlive the router.
  Router(ObjectStore& store, core::Bus& bus, WatchHub& hub, core::Clock& clock);

  Response handle(const Request& request);

 private:
  Response dispatch(const Request& req);
  Response handle_resource(const Request& req, const Route& route);
  Response list(const Request& req, const Route& route);
  Response get(const Request& req, const Route& route);
  Response watch(const Request& req, const Route& route);
  Response create(const Request& req, const Route& route);
  Response update(const Request& req, const Route& route);
  Response patch(const Request& req, const Route& route);
  Response remove(const Request& req, const Route& route);
  Response remove_collection(const Request& req, const Route& route);
  Response scale(const Request& req, const Route& route);

  // The stored object (store kind) a route names, or nullopt.
  std::optional<nlohmann::json> lookup(const ApiResource& res, const std::string& ns,
                                       const std::string& name) const;
  // Stored objects of a resource in `ns` ("" = all).
  std::vector<nlohmann::json> stored_list(const ApiResource& res, const std::string& ns) const;
  std::string trace_name(const Request& req, const std::string& verb, const Route& route,
                         const std::string& name) const;

  using Key = std::tuple<std::string, std::string, std::string>;  // store kind, ns, name
  void remember_deleted_namespace(const std::string& ns);
  std::optional<nlohmann::json> take_tombstone(const Key& key);

  ObjectStore& store_;
  core::Bus& bus_;
  WatchHub& hub_;
  core::Clock& clock_;
  std::mutex tombstones_mu_;
  std::map<Key, std::pair<nlohmann::json, core::Nanos>> tombstones_;
};

}  // namespace csim::kube::apiserver
