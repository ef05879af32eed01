// The event bus: the only way csim's modules talk to each other.
//
// Modules (kube-manager, svc-monitor, control-node, each vrouter agent, ...) publish
// messages on dotted topics ("kube.watch.ingress", "config.changed.loadbalancer",
// "xmpp.node-1") and subscribe to topics or topic prefixes. Each module's handlers run
// one at a time on the module's own strand, so a module never needs locks for its own
// state, and two modules run in parallel.
//
// Tracing costs the modules nothing: while a handler runs, the message it is handling
// is the "current" message of that thread, and everything published from inside the
// handler becomes its child (same trace id, parent span = the handled message). The
// bus records every publish and every delivery with timestamps; core/trace.h turns
// those records into the causal tree that `csim demo` and `csim trace` print.
//
// Two modes:
//  - kThreaded: a small thread pool, one strand per module (normal runs).
//  - kDeterministic: one FIFO queue, drained by run_until_idle() on the caller's thread,
//    in publish order (unit tests and replays: same input, same order, every time).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/clock.h"

namespace csim::core {

// One message on the bus, as a handler sees it.
struct Envelope {
  std::string topic;
  nlohmann::json body;
  uint64_t trace_id = 0;     // the apply (or other root action) that caused it
  uint64_t span_id = 0;      // this message
  uint64_t parent_span = 0;  // the message (or root span) that was being handled when it was sent
  std::string publisher;     // module name
  Nanos published_at{0};
};

// A typed topic: T must convert to and from nlohmann::json (to_json / from_json).
// Topic<nlohmann::json> is a topic whose body is free-form JSON.
template <class T>
struct Topic {
  std::string name;
};

// What the bus remembers about one span: a publish, or a piece of work a module
// recorded with Bus::record() (e.g. "haproxy pid 812 serving 10.47.255.252:80").
struct SpanRecord {
  uint64_t trace_id = 0;
  uint64_t span_id = 0;
  uint64_t parent_span = 0;
  std::string kind;     // "root", "publish" or "work"
  std::string module;   // publisher, or the module that did the work
  std::string topic;    // topic, or the name of the work
  std::string summary;  // one human line (first 200 chars of the body, or the work's text)
  Nanos start{0};
  Nanos end{0};         // for "work" and "root": when it finished; for publish == start
};

// One handler run for one message.
struct DeliveryRecord {
  uint64_t span_id = 0;  // the message delivered
  std::string subscriber;
  Nanos queued{0};
  Nanos started{0};
  Nanos finished{0};
};

class Bus {
 public:
  enum class Mode { kThreaded, kDeterministic };
  using Handler = std::function<void(const Envelope&)>;

  // threads: pool size in kThreaded mode (handlers may block on commands, so > cores).
  Bus(Clock& clock, Mode mode, int threads = 6);
  ~Bus();  // stops the pool after the queued deliveries ran
  Bus(const Bus&) = delete;
  Bus& operator=(const Bus&) = delete;

  Mode mode() const;
  Clock& clock() const;

  // Subscribes `module` to `topic`. A topic ending in '.' or '*' is a prefix
  // ("config.changed." receives "config.changed.loadbalancer"). Handlers of one module
  // never run concurrently. Subscribing is thread-safe; it affects later publishes only.
  void subscribe(const std::string& module, const std::string& topic, Handler handler);

  template <class T>
  void subscribe(const std::string& module, const Topic<T>& topic,
                 std::function<void(const T&, const Envelope&)> handler) {
    subscribe(module, topic.name, [h = std::move(handler)](const Envelope& e) {
      h(e.body.get<T>(), e);
    });
  }

  // Publishes from `module`. Returns the new span id. Thread-safe; never blocks on
  // subscribers. The trace context is inherited from the message the calling thread is
  // handling, or from the active TraceScope; with neither, the message starts a new trace.
  uint64_t publish(const std::string& module, const std::string& topic, nlohmann::json body);

  template <class T>
  uint64_t publish(const std::string& module, const Topic<T>& topic, const T& body) {
    return publish(module, topic.name, nlohmann::json(body));
  }

  // Runs `fn` on `module`'s strand, with the current trace context carried over (a
  // module uses this to finish work later without blocking its caller).
  void post(const std::string& module, std::function<void()> fn);

  // post(), no sooner than `delay` from now (kThreaded: a timer thread moves `fn` to the
  // strand when the delay has passed, measured on the steady clock). kDeterministic: as
  // post(), at once (tests see the same order, and no time passes there). Queued work from
  // the call on: run_until_idle() waits for it; shutdown() drops it if it is still waiting.
  // A module uses it to pace expensive coalesced work (the control-node's recompute).
  void post_after(const std::string& module, Nanos delay, std::function<void()> fn);

  // Records a finished piece of work as a child of the current context and returns its id.
  uint64_t record(const std::string& module, const std::string& name, const std::string& summary,
                  Nanos start, Nanos end);

  // kDeterministic: runs queued deliveries (and what they publish) until none is left.
  // kThreaded: waits until no delivery is queued or running, or the timeout passes.
  // Returns false on timeout.
  bool run_until_idle(Nanos timeout = std::chrono::seconds(30));

  // Waits (bounded) for queued deliveries, then stops delivering: later publishes are
  // recorded but reach no handler, and the pool's threads are joined. Owners call it
  // before destroying the modules subscribed to the bus. Idempotent.
  void shutdown(Nanos drain_timeout = std::chrono::seconds(5));

  // Everything recorded so far (copies; thread-safe).
  std::vector<SpanRecord> spans() const;
  std::vector<DeliveryRecord> deliveries() const;
  // Spans of one trace, in start order.
  std::vector<SpanRecord> spans_of(uint64_t trace_id) const;
  // Forgets recorded spans and deliveries (long-running daemons call this periodically).
  void clear_records();

  // Observers see every span as it is recorded (publish, work, root start), on the
  // recording thread, outside the bus's locks; they must be quick and must not publish.
  // This is how `csim demo` prints each hop as it happens without being a subscriber.
  using Observer = std::function<void(const SpanRecord&)>;
  void add_observer(Observer observer);

  // Starts a root span; used by TraceScope.
  uint64_t begin_root(const std::string& module, const std::string& name);
  void end_root(uint64_t span_id);

  class Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

// While alive, publishes from this thread that are not inside a handler belong to a new
// trace rooted at a span named `name` ("apply testdata/simple-fanout.yaml").
class TraceScope {
 public:
  TraceScope(Bus& bus, const std::string& module, const std::string& name);
  ~TraceScope();
  uint64_t trace_id() const { return trace_id_; }
  uint64_t span_id() const { return span_id_; }

 private:
  Bus& bus_;
  uint64_t trace_id_;
  uint64_t span_id_;
  uint64_t saved_trace_;
  uint64_t saved_span_;
};

// The trace context of the calling thread (0, 0 outside any handler or scope).
struct TraceContext {
  uint64_t trace_id = 0;
  uint64_t span_id = 0;
};
TraceContext current_trace_context();

// Makes `context` the calling thread's trace context for the scope's life. A module that
// coalesces many inputs into one piece of work uses it to run that work under the context
// of the newest input (the one most likely to have caused what the work produces).
class ScopedTraceContext {
 public:
  explicit ScopedTraceContext(TraceContext context);
  ~ScopedTraceContext();
  ScopedTraceContext(const ScopedTraceContext&) = delete;
  ScopedTraceContext& operator=(const ScopedTraceContext&) = delete;

 private:
  TraceContext saved_;
};

}  // namespace csim::core
