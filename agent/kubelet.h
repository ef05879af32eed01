// The kubelet of one simulated node: runs the pods the scheduler bound to it.
//
// A pod starts once (1) the store has it with spec.nodeName == node, and (2) the node's
// view has its virtual-machine (uuid = pod uid) with an interface and an instance-ip
// (kube-manager and the control-node got there). Then, in about a millisecond plus the
// echo server's exec: the pod namespace "csim-pod-<ns>.<name>" with eth0 (the VMI's MAC,
// the instance-ip /32, default via the VN gateway onlink) and its veth "tap<vmi>" in the
// vrouter; `<csim> echo-server ...` inside on each containerPort (80 when none); and,
// when it printed "listening", the pod's status: phase Running, podIP, hostIP (the
// node's underlay address), conditions Ready=True, containerStatuses. Pods start in
// parallel: a thread waits for the echo servers' "listening" lines while the kubelet's
// strand goes on (a pod whose interface arrives meanwhile starts at once, not after the
// pods started before it are ready).
// A failed start is tried again on later events, three times at most.
// A deleted (or re-bound) pod's echo server is stopped and its namespace removed.
// Publishes `agent.pod` for every start, stop and failure (docs/contracts.md).
//
// Threads: the watch handler and reconciles run on the bus strand "kubelet.<node>";
// on_view() and introspect() may be called from any thread; stop() from any thread but
// not from a bus handler of this kubelet.
#pragma once

#include <sys/types.h>

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <shared_mutex>
#include <string>
#include <thread>
#include <vector>

#include "agent/agent_view.h"
#include "agent/dataplane.h"
#include "agent/process.h"
#include "core/bus.h"
#include "kube/object_store.h"

namespace csim::agent {

struct KubeletOptions {
  std::string node;
  std::string underlay_ip;  // the node's hostIP
  std::string state_dir;    // pod logs go to <state_dir>/pods/
  std::string csim_binary;  // runs `<csim_binary> echo-server ...`
  core::Nanos ready_timeout = std::chrono::seconds(10);
};

class Kubelet {
 public:
  // Told when a pod interface appears (plugged=true, before the pod is reported
  // Running) or goes away, so the agent routes the pod's address to it. Called on the
  // kubelet's strand.
  using PortCallback =
      std::function<void(const std::string& vmi, const std::string& dev, Ipv4 ip, bool plugged)>;

  Kubelet(core::Bus& bus, Dataplane& dataplane, kube::ObjectStore& store, KubeletOptions options,
          PortCallback on_port);
  ~Kubelet();
  Kubelet(const Kubelet&) = delete;
  Kubelet& operator=(const Kubelet&) = delete;

  std::string module() const { return "kubelet." + options_.node; }

  // Marks the pods bound to this node that the store says are ready not ready (a
  // restarted csim restores them Running and Ready, but nothing runs them: endpoints
  // must drop them until they start again), then subscribes to pod events and
  // reconciles once, which starts them. Call once (after stop(), make a new one).
  void start();
  // Hands over the view the agent just applied; reconciles on the kubelet's strand.
  void on_view(std::shared_ptr<const AgentView> view);
  // Stops every pod it runs (echo servers, namespaces), marks them not ready in the
  // store, and ignores later events. Idempotent.
  void stop();

  // {"pods": [{namespace, name, uid, ip, netns, vmi, pid, state, error, ports}]}
  nlohmann::json introspect() const;

 private:
  struct Life {
    std::shared_mutex mu;
    bool alive = true;
  };
  struct PodRun {
    std::string kube_namespace, name, uid, netns, vmi, tap, ip, state, error;
    std::vector<int> ports;
    std::unique_ptr<ChildProcess> server;
    int ready_fd = -1;  // until handed to a waiter
    uint64_t start_id = 0;  // which start a waiter's answer is for
    core::Nanos started_at{0};
    int attempts = 0;
  };
  // What a waiter read from a starting pod's echo server.
  struct Started {
    std::string uid;
    uint64_t start_id = 0;
    std::string ready_line;  // "listening on ..." when it started
  };

  void mark_not_started();
  void reconcile();
  void guarded_reconcile();
  void stop_pod(PodRun& run, const std::string& why);
  void publish_pod(const PodRun& run, const std::string& summary);
  void set_pod_status(const PodRun& run, bool ready, const std::string& reason,
                      const std::string& message);
  void update_snapshot();
  // Hands the ready pipes of `starting` pods to a thread that waits for their first lines
  // (up to ready_timeout) and posts them to finish_starts() on the strand.
  void wait_for_starts(const std::vector<std::string>& starting);
  void finish_starts(uint64_t waiter, const std::vector<Started>& started);

  core::Bus& bus_;
  Dataplane& dataplane_;
  kube::ObjectStore& store_;
  KubeletOptions options_;
  PortCallback on_port_;
  std::shared_ptr<Life> life_ = std::make_shared<Life>();
  bool pending_ = false;  // strand only: a reconcile is queued

  // Strand only (and stop() once the strand is dead).
  std::map<std::string, PodRun> pods_;  // by uid
  uint64_t next_start_id_ = 0;
  std::map<uint64_t, std::thread> waiters_;  // by id; joined when done, or by stop()

  mutable std::mutex mu_;  // view_ and snapshot_
  std::shared_ptr<const AgentView> view_;
  nlohmann::json snapshot_ = {{"pods", nlohmann::json::array()}};
};

}  // namespace csim::agent
