// apply / delete of YAML manifests, all or nothing (what `csim apply -f` and
// `kubectl apply -f` do, with csim's stronger guarantee: nothing half-applied).
//
// apply_file() / apply_objects():
//  1. load the YAML (kube/yaml_loader.h);
//  2. for every object: validate it in its own apiVersion (kube/validation.h), fill in the
//     namespace (`default_namespace` for namespaced kinds without one), drop status and
//     server-set metadata, convert Ingresses to networking.k8s.io/v1, apply defaults;
//  3. check the objects against each other and the store: no object twice, every
//     namespace exists (in the store or in this apply), every Service an Ingress backend
//     names exists in the Ingress's namespace (in the store or in this apply);
//  4. only if all of this found nothing: write every object, Namespaces first, then
//     Nodes, Services, Endpoints, Deployments, Pods, Ingresses, Events (kube/kinds.h
//     apply_rank; file order within a kind). An absent object is created with the
//     kubectl.kubernetes.io/last-applied-configuration annotation; an existing one is
//     updated with kubectl's three-way merge (kube/merge_patch.h), so fields set by the
//     server or controllers (clusterIP, nodeName, status) survive; an unchanged one is
//     left alone. A write that fails (a clusterIP already taken, a concurrent change that
//     persists after 3 tries) rolls back what this apply already wrote, in reverse.
// Every error names file:line and the field:
//   "testdata/bad.yaml:14: spec.rules[0].http.paths[0].path: must start with '/'"
// and all problems of steps 1-3 are reported together, one per line, code kInvalid
// (kUnavailable when the file cannot be read). A write failure keeps the store's code.
//
// delete_file(): deletes the file's objects in reverse order (Ingresses first, Namespaces
// last). Unless `ignore_not_found`, every object must exist, else nothing is deleted.
//
// Thread: any; the store is the only shared state. Not atomic against concurrent writers
// other than through the store's resourceVersion checks.
#pragma once

#include <string>
#include <vector>

#include "core/status.h"
#include "kube/object_store.h"
#include "kube/yaml_loader.h"

namespace csim::kube {

struct ApplyReport {
  struct Entry {
    std::string kind;
    std::string ns;      // "" for cluster-scoped kinds
    std::string name;
    std::string action;  // "created", "configured", "unchanged", "deleted", "not found"
    std::string where;   // "testdata/simple-fanout.yaml:3"
  };
  std::vector<Entry> entries;   // in the order the objects were written
  std::vector<std::string> warnings;  // "file:line: field: Service \"qa\" has no port 8080"

  // kubectl's lines: "ingress.networking.k8s.io/simple-fanout created", one per entry,
  // then "Warning: ..." lines.
  std::string to_string() const;
};

core::Result<ApplyReport> apply_file(ObjectStore& store, const std::string& path,
                                     const std::string& default_namespace = "default");

// Same for YAML text; `name` stands for the file name in errors.
core::Result<ApplyReport> apply_yaml(ObjectStore& store, const std::string& text,
                                     const std::string& name,
                                     const std::string& default_namespace = "default");

core::Result<ApplyReport> apply_objects(ObjectStore& store, std::vector<LoadedObject> objects,
                                        const std::string& default_namespace = "default");

core::Result<ApplyReport> delete_file(ObjectStore& store, const std::string& path,
                                      const std::string& default_namespace = "default",
                                      bool ignore_not_found = false);

core::Result<ApplyReport> delete_objects(ObjectStore& store, std::vector<LoadedObject> objects,
                                         const std::string& default_namespace = "default",
                                         bool ignore_not_found = false);

}  // namespace csim::kube
