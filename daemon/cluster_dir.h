// The simulated cluster's directory, <state>/cluster, across runs of `csim up`: what a
// restart keeps and what it removes.
//
//   config.db, config.db-wal, config.db-shm   the config DB (SQLite)               kept
//   kube.db, kube.db-wal, kube.db-shm         the kube-apiserver's objects         kept
//   cluster.json                              {"nodes": [...]}: the nodes it has   kept
//   <node>/agent.lock, <node>/pods/*.log      the node's agent, its pods' logs     kept
//   <node>/loadbalancer/                      haproxy's runtime directories: the
//                                             pid files and sockets of a run that
//                                             has ended (the agent makes new ones)  removed
//   any other socket or *.pid file under <node>/                                  removed
//
// Everything else is left alone. The directory holds one cluster: its nodes are fixed when
// it is made (their names go into virtual-routers, Node objects and pod placement), so a
// later start with other nodes is refused rather than half-migrated.
//
// Plain file operations; thread-safe (no shared state). Used by the daemon inside the
// sandbox and by `csim up` outside it (the same files: the state dir is not under /run).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/status.h"

namespace csim::daemon {

inline constexpr const char* kClusterFile = "cluster.json";

// The nodes recorded in <dir>/cluster.json; nullopt when the file is absent (a new or
// pre-restart directory). kInvalid naming the file when it is not {"nodes": [names]}.
core::Result<std::optional<std::vector<std::string>>> recorded_nodes(const std::string& cluster_dir);

struct PreparedClusterDir {
  bool restored = false;             // it held a cluster before (config.db or kube.db)
  // Leftovers removed, relative to the directory, sorted (loadbalancer/ only when it held
  // files: a clean stop leaves empty directories there).
  std::vector<std::string> removed;
};

// Makes the directory ready for a cluster of `nodes`: creates it when missing; refuses
// (kInvalid: "... holds a cluster of nodes node-1, node-2; ...") when cluster.json
// records other nodes; records the nodes; removes the leftovers listed above.
// kUnavailable naming the path for file-system errors.
core::Result<PreparedClusterDir> prepare_cluster_dir(const std::string& cluster_dir,
                                                     const std::vector<std::string>& nodes);

}  // namespace csim::daemon
