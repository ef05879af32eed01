// EventRecorder: writes the Kubernetes Events that make `kubectl describe ing/NAME` (and
// `describe svc/NAME`, `get events`) tell the story of an Ingress or a Service through csim's
// pipeline. Contrail writes no Events; this is csim's addition, a module of its own so that
// no other module has to know about Events. It listens on the bus:
//
//   kube.event            any module's event about the Kubernetes object with uid `uid`:
//                         {uid, reason, message, type: "Normal"|"Warning", component, host?, summary}
//                         (svc-monitor: the service instance scheduled on node-1 (active) and
//                         node-2 (standby))
//   agent.haproxy         haproxy started / reloaded / stopped / failed on a node (docs/contracts.md),
//                         an Event on the object whose uid is the loadbalancer's (`lb`): its
//                         Ingress or Service, whose uid Contrail reuses as the loadbalancer uuid
//   kube.watch.ingress,   status.loadBalancer.ingress changed: kube-manager created the
//   kube.watch.service    loadbalancer and gave it its VIP (and external IP)
//
// The Event is written as client-go's recorder writes it: name "<object>.<hex nanoseconds>",
// in the object's namespace, involvedObject {kind, namespace, name, uid, apiVersion},
// reason, message, type, source {component, host}, firstTimestamp = lastTimestamp, count 1,
// reportingComponent. The same event again (object, reason, message, component) bumps
// `count` and `lastTimestamp` of the Event already written, as client-go's EventCorrelator
// does. Events are kept for their object's life (Kubernetes keeps them an hour): they are
// deleted with it, and an object keeps at most kMaxEventsPerObject (the oldest go first), so
// a long-running `csim up` does not grow. Events about unknown uids are dropped.
//
// Threads: handlers run on the bus strand "event-recorder"; they never block publishers.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/bus.h"
#include "kube/object_store.h"

namespace csim::kube {

class EventRecorder {
 public:
  static constexpr const char* kModule = "event-recorder";
  static constexpr const char* kEventTopic = "kube.event";
  static constexpr size_t kMaxEventsPerObject = 50;

  EventRecorder(core::Bus& bus, ObjectStore& store);
  ~EventRecorder();
  EventRecorder(const EventRecorder&) = delete;
  EventRecorder& operator=(const EventRecorder&) = delete;

  // Indexes the Ingresses and Services already stored, then subscribes. Call once.
  void start();

  // The body of a kube.event message (core/kube_event.h, for publishers).
  static nlohmann::json event_body(const std::string& uid, const std::string& reason,
                                   const std::string& message, const std::string& component,
                                   const std::string& host = "", bool warning = false);

 private:
  struct Involved {
    std::string kind, api_version, ns, name, uid;
  };
  struct Written {
    std::string name;  // the Event's metadata.name
    int count = 1;
  };
  struct Guard {
    std::mutex mu;
    bool alive = true;
  };

  void on_object(const core::Envelope& e);
  void on_event(const core::Envelope& e);
  void on_haproxy(const core::Envelope& e);
  void record(const std::string& uid, const std::string& reason, const std::string& message,
              const std::string& component, const std::string& host, bool warning);
  void forget(const std::string& uid);

  core::Bus& bus_;
  ObjectStore& store_;
  std::shared_ptr<Guard> guard_;
  // Strand-only state.
  std::map<std::string, Involved> objects_;           // uid -> object
  std::map<std::string, std::string> addresses_;      // uid -> last status addresses
  std::map<std::string, std::map<std::string, Written>> written_;  // uid -> key -> Event
  std::map<std::string, std::vector<std::string>> order_;          // uid -> keys, oldest first
};

}  // namespace csim::kube
