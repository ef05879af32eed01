// The `csim up` daemon proper: runs inside csim's sandbox (as its PID 1) and holds the
// whole simulated cluster (sim::Cluster), the Kubernetes API server for kubectl, the
// Contrail config API and the control channel, until `csim down`, SIGTERM, SIGINT or
// SIGHUP stops it gracefully.
//
//   host                                  │ sandbox (user + mount + net + PID namespaces)
//   kubectl ──▶ 127.0.0.1:<api port> ─────┼─▶ ApiServer (serves the host socket; HTTPS
//                                         │   with a token, its CA in the kubeconfig)
//   curl    ──▶ 127.0.0.1:<config port> ──┼─▶ ConfigRestServer (serves the host socket)
//   curl    ──▶ 127.0.0.1:<introspect> ───┼─▶ JsonHttpServer: the agents' introspection
//   csim config|agent read <state>/csim.json for these ports
//   csim status|curl|exec|down ─▶ <state>/control.sock ─▶ ControlServer (this file's handler)
//
// The listening sockets were bound by the outer `csim up` in the host's namespace and
// inherited (daemon/launcher.h passes their numbers); the servers adopt them, so nothing
// is relayed. With a token the Kubernetes API is HTTPS (kubectl sends a token only to
// https:// servers): a CA and server certificate (EC P-256; SANs: the listen address,
// 127.0.0.1 (and ::1 for IPv6), localhost) are made in <state>/tls, or reused from there
// while valid, and the kubeconfig carries the CA. Without a token it is plain HTTP. Start-up: prepare <state>/cluster
// (daemon/cluster_dir.h: kept between runs, the dead run's leftovers removed), start the
// Cluster with persistence on (the config DB and the apiserver's objects live in files
// there, so the same cluster comes back: same uids, VIPs, external IPs; kube-manager
// resyncs and the agents start haproxy and the pods again), the API server (watch history
// starts there, after the cluster's own start-up writes; clients cannot have listed
// anything older), the config API, the introspection server, the control
// socket; write <state>/kubeconfig (0600), <state>/csim.json (0600) and <state>/csim.pid;
// then report {"ok":true,...} (or {"ok":false,"error"}) on the ready descriptor.
// Stop: control channel (running `csim exec` commands get SIGTERM, then SIGKILL after
// 2 s), API servers, cluster (agents stop, haproxy and echo servers end, namespaces go),
// then kubeconfig, csim.json, pid file and control socket are removed; <state>/cluster
// stays for the next `csim up`. A stop that takes longer than 30 s ends the process (the
// kernel then kills the whole sandbox).
//
// Control requests are described in daemon/control_channel.h.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "daemon/state_dir.h"

namespace csim::daemon {

struct DaemonConfig {
  StateDir state;
  std::string listen_address = "127.0.0.1";  // what the host sockets are bound to
  std::string token;                          // "" = none (loopback only)
  std::vector<std::string> nodes{"node-1", "node-2"};
  pid_t outer_pid = 0;   // the sandbox's outer process on the host: what csim.pid holds
  int lock_fd = -1;      // <state>/csim.lock, locked (held while any copy of this fd is open)
  int ready_fd = -1;     // write end of the pipe `csim up` waits on (-1: nobody waits)
  int api_fd = -1;       // listening socket for the Kubernetes API (host namespace)
  int config_fd = -1;    // listening socket for the config API (host namespace)
  int introspect_fd = -1;  // listening socket for the agents' introspection (host namespace)
  uint16_t api_port = 0;
  uint16_t config_port = 0;
  uint16_t introspect_port = 0;
  std::string csim_binary;  // run as `<it> echo-server ...` in pod namespaces
};

// DaemonConfig <-> JSON (how the outer process hands it over, in the environment).
nlohmann::json daemon_config_to_json(const DaemonConfig& config);
core::Result<DaemonConfig> daemon_config_from_json(const nlohmann::json& j);

// Runs the daemon until it is stopped; returns the process's exit code (0 after a
// graceful stop, 1 when start-up failed). Must run inside the sandbox, on the main
// thread, with no other csim daemon using the state directory (the lock is held).
// Installs handlers for SIGTERM, SIGINT, SIGHUP and SIGQUIT (graceful stop).
int run_daemon(const DaemonConfig& config);

}  // namespace csim::daemon
