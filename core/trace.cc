#include "core/trace.h"

#include <algorithm>
#include <cstdio>
#include <map>
#include <set>

namespace csim::core {
namespace {

double ms(Nanos d) { return static_cast<double>(d.count()) / 1e6; }

std::string cut(const std::string& s, size_t max) {
  std::string one_line;
  for (char c : s) one_line += (c == '\n' || c == '\t') ? ' ' : c;
  if (one_line.size() <= max) return one_line;
  return one_line.substr(0, max - 3) + "...";
}

void sort_children(TraceNode& node) {
  std::stable_sort(node.children.begin(), node.children.end(),
                   [](const TraceNode& a, const TraceNode& b) {
                     if (a.span.start != b.span.start) return a.span.start < b.span.start;
                     return a.span.span_id < b.span.span_id;
                   });
  for (auto& c : node.children) sort_children(c);
}

void render(const TraceNode& node, Nanos origin, const std::string& prefix, bool last, bool is_root,
            const TraceTextOptions& opt, std::string& out) {
  char offset[32];
  std::snprintf(offset, sizeof offset, "+%7.1f ms  ", ms(node.span.start - origin));
  std::string line = offset;
  if (!is_root) line += prefix + (last ? "└─ " : "├─ ");
  const SpanRecord& s = node.span;
  if (s.kind == "root") {
    line += s.topic;
    if (s.end > s.start) {
      char took[48];
      std::snprintf(took, sizeof took, "  (%.1f ms)", ms(s.end - s.start));
      line += took;
    }
  } else if (s.kind == "work") {
    line += "[" + s.module + "] " + cut(s.summary.empty() ? s.topic : s.summary, opt.max_summary);
    if (s.end > s.start) {
      char took[48];
      std::snprintf(took, sizeof took, "  (%.1f ms)", ms(s.end - s.start));
      line += took;
    }
  } else {
    line += s.topic + "  " + cut(s.summary, opt.max_summary) + "  [" + s.module + "]";
    if (opt.show_deliveries && !node.deliveries.empty()) {
      line += "  →";
      for (const auto& d : node.deliveries) {
        char took[64];
        if (d.finished.count() != 0) {
          std::snprintf(took, sizeof took, " %s %.1f ms", d.subscriber.c_str(), ms(d.finished - d.queued));
        } else {
          std::snprintf(took, sizeof took, " %s (running)", d.subscriber.c_str());
        }
        line += took;
        if (&d != &node.deliveries.back()) line += ",";
      }
    }
  }
  if (node.hidden) line += "  (+" + std::to_string(node.hidden) + " hops not shown)";
  out += line + "\n";
  std::string child_prefix = is_root ? "" : prefix + (last ? "   " : "│  ");
  for (size_t i = 0; i < node.children.size(); ++i) {
    render(node.children[i], origin, child_prefix, i + 1 == node.children.size(), false, opt, out);
  }
}

}  // namespace

TraceNode build_trace_tree(const Bus& bus, uint64_t trace_id) {
  std::vector<SpanRecord> spans = bus.spans_of(trace_id);
  std::map<uint64_t, std::vector<DeliveryRecord>> deliveries;
  std::set<uint64_t> ids;
  for (const auto& s : spans) ids.insert(s.span_id);
  for (const auto& d : bus.deliveries())
    if (ids.count(d.span_id)) deliveries[d.span_id].push_back(d);

  TraceNode root;
  std::map<uint64_t, std::vector<const SpanRecord*>> by_parent;
  const SpanRecord* root_span = nullptr;
  for (const auto& s : spans) {
    if (s.span_id == trace_id) {
      root_span = &s;
    } else {
      by_parent[ids.count(s.parent_span) ? s.parent_span : trace_id].push_back(&s);
    }
  }
  if (root_span) {
    root.span = *root_span;
  } else {
    root.span.trace_id = root.span.span_id = trace_id;
    root.span.kind = "root";
    root.span.topic = "trace " + std::to_string(trace_id);
    if (!spans.empty()) root.span.start = spans.front().start;
  }
  // Iterative build to keep deep traces off the stack.
  std::vector<TraceNode*> stack{&root};
  while (!stack.empty()) {
    TraceNode* n = stack.back();
    stack.pop_back();
    auto it = by_parent.find(n->span.span_id);
    if (it == by_parent.end()) continue;
    for (const SpanRecord* s : it->second) {
      TraceNode child;
      child.span = *s;
      if (auto d = deliveries.find(s->span_id); d != deliveries.end()) child.deliveries = d->second;
      n->children.push_back(std::move(child));
    }
    for (auto& c : n->children) stack.push_back(&c);
  }
  sort_children(root);
  return root;
}

namespace {

size_t count_spans(const TraceNode& node) {
  size_t n = 1 + node.hidden;
  for (const auto& c : node.children) n += count_spans(c);
  return n;
}

// Returns whether `node` (or something below it) is kept; fills `out` with the pruned copy.
bool prune_into(const TraceNode& node, const std::function<bool(const SpanRecord&)>& keep,
                TraceNode& out) {
  out.span = node.span;
  out.deliveries = node.deliveries;
  out.hidden = node.hidden;
  if (keep(node.span)) {
    out.children = node.children;
    return true;
  }
  bool any = false;
  for (const auto& c : node.children) {
    TraceNode pruned;
    if (prune_into(c, keep, pruned)) {
      out.children.push_back(std::move(pruned));
      any = true;
    } else {
      out.hidden += count_spans(c);
    }
  }
  return any;
}

}  // namespace

TraceNode prune_trace(const TraceNode& root, const std::function<bool(const SpanRecord&)>& keep) {
  TraceNode out;
  prune_into(root, keep, out);
  return out;
}

std::string render_trace_text(const TraceNode& root, const TraceTextOptions& options) {
  std::string out;
  render(root, root.span.start, "", true, true, options, out);
  return out;
}

nlohmann::json trace_to_json(const TraceNode& node) {
  nlohmann::json j;
  const SpanRecord& s = node.span;
  j["span"] = {{"trace_id", s.trace_id}, {"span_id", s.span_id},    {"parent_span", s.parent_span},
               {"kind", s.kind},         {"module", s.module},      {"topic", s.topic},
               {"summary", s.summary},   {"start_ns", s.start.count()}, {"end_ns", s.end.count()}};
  j["deliveries"] = nlohmann::json::array();
  for (const auto& d : node.deliveries) {
    j["deliveries"].push_back({{"subscriber", d.subscriber},
                               {"queued_ns", d.queued.count()},
                               {"started_ns", d.started.count()},
                               {"finished_ns", d.finished.count()}});
  }
  j["children"] = nlohmann::json::array();
  for (const auto& c : node.children) j["children"].push_back(trace_to_json(c));
  return j;
}

nlohmann::json trace_to_chrome_events(const TraceNode& root) {
  nlohmann::json events = nlohmann::json::array();
  std::map<std::string, int> tids;
  auto tid = [&](const std::string& module) {
    auto [it, inserted] = tids.emplace(module, static_cast<int>(tids.size()) + 1);
    return it->second;
  };
  const Nanos origin = root.span.start;
  auto us = [&](Nanos t) { return static_cast<double>((t - origin).count()) / 1e3; };
  std::vector<const TraceNode*> stack{&root};
  while (!stack.empty()) {
    const TraceNode* n = stack.back();
    stack.pop_back();
    const SpanRecord& s = n->span;
    if (s.kind == "publish") {
      events.push_back({{"name", s.topic}, {"ph", "i"}, {"s", "t"}, {"ts", us(s.start)}, {"pid", 1},
                        {"tid", tid(s.module)}, {"args", {{"summary", s.summary}}}});
      for (const auto& d : n->deliveries) {
        if (d.finished.count() == 0) continue;
        events.push_back({{"name", s.topic}, {"ph", "X"}, {"ts", us(d.started)},
                          {"dur", us(d.finished) - us(d.started)}, {"pid", 1},
                          {"tid", tid(d.subscriber)}, {"args", {{"summary", s.summary}}}});
      }
    } else {
      events.push_back({{"name", s.kind == "root" ? s.topic : s.summary}, {"ph", "X"},
                        {"ts", us(s.start)}, {"dur", us(s.end) - us(s.start)}, {"pid", 1},
                        {"tid", tid(s.module)}});
    }
    for (const auto& c : n->children) stack.push_back(&c);
  }
  for (const auto& [module, id] : tids) {
    events.push_back({{"name", "thread_name"}, {"ph", "M"}, {"pid", 1}, {"tid", id},
                      {"args", {{"name", module}}}});
  }
  return {{"traceEvents", events}, {"displayTimeUnit", "ms"}};
}

}  // namespace csim::core
