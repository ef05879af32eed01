// Turning the bus's records into something people read: the causal tree of one trace
// ("apply simple-fanout.yaml" → kube watch → config changes → svc-monitor → control-node
// → agents → "haproxy pid N serving VIP:80 in namespace X"), as text, JSON, or Chrome
// trace-event JSON (opens in Perfetto / chrome://tracing).
#pragma once

#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/bus.h"

namespace csim::core {

struct TraceNode {
  SpanRecord span;
  std::vector<DeliveryRecord> deliveries;  // handler runs for this message, by subscriber
  std::vector<TraceNode> children;         // in start order
  size_t hidden = 0;                       // spans below this one left out by prune_trace
};

// Builds the tree of one trace from the bus's records. Spans whose parent is missing
// (records were cleared) hang under the root.
TraceNode build_trace_tree(const Bus& bus, uint64_t trace_id);

// Keeps only the branches that lead to a span for which `keep` is true (and those spans'
// own subtrees); every dropped sibling group is counted in the parent's `hidden` field.
// Used to show "the path of the Ingress" out of a trace that also holds pods and services.
TraceNode prune_trace(const TraceNode& root, const std::function<bool(const SpanRecord&)>& keep);

struct TraceTextOptions {
  bool show_deliveries = true;  // "→ svc-monitor 1.2 ms" after each message
  size_t max_summary = 110;     // summaries are cut to this many characters
};

// One line per span, indented as a tree, each with its offset from the root start:
//   +  3.1 ms  kube-apiserver  kube.watch.ingress  ADDED ingress default/simple-fanout  → kube-manager 4.0 ms
std::string render_trace_text(const TraceNode& root, const TraceTextOptions& options = {});

// {"span":…, "deliveries":[…], "children":[…]} recursively.
nlohmann::json trace_to_json(const TraceNode& root);

// Chrome trace-event format: one "X" event per handler run and per work span, one
// instant event per publish, one track (tid) per module.
nlohmann::json trace_to_chrome_events(const TraceNode& root);

}  // namespace csim::core
