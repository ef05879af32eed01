#include "kube/apiserver/watch_hub.h"

#include <algorithm>
#include <map>

namespace csim::kube::apiserver {

using nlohmann::json;

// ---------------- WatchStream ----------------

WatchStream::WatchStream(Select select, Encode encode, size_t max_queued, std::optional<Shared> shared)
    : select_(std::move(select)), encode_(std::move(encode)), max_queued_(max_queued), shared_(std::move(shared)) {}

WatchStream::~WatchStream() = default;

WatchStream::EventCache::Entry& WatchStream::EventCache::entry(const std::string& key) {
  for (auto& [k, e] : entries_)
    if (k == key) return e;
  entries_.emplace_back(key, Entry{});
  return entries_.back().second;
}

void WatchStream::set_notify(std::function<void()> notify) {
  bool pending;
  {
    std::lock_guard lock(mu_);
    notify_ = std::move(notify);
    pending = !queue_.empty() || finished_;
    if (pending) notified_ = true;
  }
  if (pending) wake();
}

void WatchStream::wake() {
  std::function<void()> fn;
  {
    std::lock_guard lock(mu_);
    fn = notify_;
  }
  if (fn) fn();
}

std::string WatchStream::encode_safely(const std::string& type, const json& object) const {
  try {
    return encode_(type, object);
  } catch (const std::exception& e) {
    // Say so in the stream (kubectl prints it) rather than dropping the event silently.
    return json{{"type", "ERROR"},
                {"object",
                 {{"kind", "Status"}, {"apiVersion", "v1"}, {"metadata", json::object()},
                  {"status", "Failure"}, {"reason", "InternalError"}, {"code", 500},
                  {"message", std::string("cannot encode a ") + type + " event: " + e.what()}}}}
               .dump() +
           "\n";
  }
}

WatchStream::Batch WatchStream::take() {
  std::deque<Item> events;
  Batch batch;
  {
    std::lock_guard lock(mu_);
    events.swap(queue_);
    batch.finished = finished_;
    batch.overflowed = overflowed_;
    notified_ = false;
  }
  batch.events = events.size();
  for (const Item& item : events) {
    if (item.bytes) batch.data += *item.bytes;
    else batch.data += encode_safely(item.type, item.object);
  }
  return batch;
}

bool WatchStream::overflowed() const {
  std::lock_guard lock(mu_);
  return overflowed_;
}

bool WatchStream::finished() const {
  std::lock_guard lock(mu_);
  return finished_;
}

bool WatchStream::enqueue(std::string type, json object, std::shared_ptr<const std::string> bytes,
                          bool bounded) {
  bool wake_up = false;
  {
    std::lock_guard lock(mu_);
    if (finished_) return false;
    if (bounded && queue_.size() >= max_queued_) {
      // Too far behind: drop everything and end; the client re-lists.
      queue_.clear();
      finished_ = true;
      overflowed_ = true;
      wake_up = true;
    } else {
      queue_.push_back(Item{std::move(type), std::move(object), std::move(bytes)});
      if (!notified_) wake_up = notified_ = true;
    }
  }
  if (wake_up) wake();
  return true;
}

void WatchStream::push(const std::string& type, json object) {
  enqueue(type, std::move(object), nullptr, false);
}

void WatchStream::offer(const std::string& type, const json& stored, EventCache* cache) {
  {
    std::lock_guard lock(mu_);
    if (finished_) return;
  }
  if (shared_ && cache != nullptr) {
    EventCache::Entry& e = cache->entry(shared_->key);
    if (!e.converted) {
      e.converted = true;
      try {
        e.object = shared_->convert(stored);
      } catch (const std::exception&) {
        e.object.reset();  // an object no watcher of this view can show
      }
    }
    if (!e.object) return;
    bool matches = false;
    try {
      matches = shared_->match(stored, *e.object);
    } catch (const std::exception&) {
      matches = false;
    }
    if (!matches) return;
    if (!e.bytes) e.bytes = std::make_shared<const std::string>(encode_safely(type, *e.object));
    enqueue(type, json(), e.bytes, true);
    return;
  }
  std::optional<json> selected = select_(stored);
  if (!selected) return;
  enqueue(type, std::move(*selected), nullptr, true);
}

void WatchStream::finish() {
  {
    std::lock_guard lock(mu_);
    if (finished_) return;
    finished_ = true;
  }
  wake();
}

void WatchStream::close() {
  std::function<void()> detach;
  {
    std::lock_guard lock(mu_);
    finished_ = true;
    queue_.clear();
    notify_ = nullptr;
    detach.swap(detach_);
  }
  if (detach) detach();
}

// ---------------- WatchHub ----------------

struct WatchHub::State {
  struct Event {
    std::string type;
    uint64_t rv = 0;
    std::shared_ptr<const json> object;
  };
  struct Kind {
    std::deque<Event> ring;
    uint64_t floor = 0;  // every event with rv > floor is in the ring (or still to come)
    std::vector<std::shared_ptr<WatchStream>> watchers;
  };

  mutable std::mutex mu;
  std::map<std::string, Kind> kinds;
  uint64_t start_rv = 0;
  size_t history = 1024;

  Kind& kind(const std::string& k) {
    auto it = kinds.find(k);
    if (it == kinds.end()) {
      it = kinds.emplace(k, Kind{}).first;
      it->second.floor = start_rv;
    }
    return it->second;
  }

  void on_event(const json& body) {
    if (!body.is_object() || !body.contains("object") || !body["object"].is_object()) return;
    const json& object = body["object"];
    const std::string kind_name = object.value("kind", "");
    const std::string type = body.value("type", "");
    uint64_t rv = 0;
    if (object.contains("metadata") && object["metadata"].is_object()) {
      const json& v = object["metadata"].value("resourceVersion", json());
      if (v.is_string()) {
        try {
          rv = std::stoull(v.get<std::string>());
        } catch (const std::exception&) {
          rv = 0;
        }
      }
    }
    if (kind_name.empty() || type.empty()) return;
    std::lock_guard lock(mu);
    Kind& k = kind(kind_name);
    if (rv <= start_rv) return;  // already part of what the store held when the hub began
    Event ev{type, rv, std::make_shared<const json>(object)};
    k.ring.push_back(ev);
    while (k.ring.size() > history) {
      k.floor = k.ring.front().rv;
      k.ring.pop_front();
    }
    WatchStream::EventCache cache;  // one conversion and encoding per view key
    for (auto& w : k.watchers) w->offer(ev.type, *ev.object, &cache);
    k.watchers.erase(std::remove_if(k.watchers.begin(), k.watchers.end(),
                                    [](const std::shared_ptr<WatchStream>& w) { return w->finished(); }),
                     k.watchers.end());
  }

  void remove(const std::string& kind_name, const WatchStream* stream) {
    std::lock_guard lock(mu);
    auto it = kinds.find(kind_name);
    if (it == kinds.end()) return;
    auto& ws = it->second.watchers;
    ws.erase(std::remove_if(ws.begin(), ws.end(),
                            [&](const std::shared_ptr<WatchStream>& w) { return w.get() == stream; }),
             ws.end());
  }
};

WatchHub::WatchHub(core::Bus& bus, const ObjectStore& store) : WatchHub(bus, store, Options{}) {}

WatchHub::WatchHub(core::Bus& bus, const ObjectStore& store, Options options)
    : state_(std::make_shared<State>()), options_(options) {
  state_->history = std::max<size_t>(1, options_.history_per_kind);
  std::weak_ptr<State> weak = state_;
  bus.subscribe(kModule, "kube.watch.", [weak](const core::Envelope& e) {
    if (auto s = weak.lock()) s->on_event(e.body);
  });
  // Read after subscribing: every change with a higher version reaches on_event().
  std::lock_guard lock(state_->mu);
  state_->start_rv = store.resource_version();
}

WatchHub::~WatchHub() { close_all(); }

WatchHub::Start WatchHub::watch(const std::string& kind, uint64_t from, WatchStream::Select select,
                                WatchStream::Encode encode,
                                std::vector<std::pair<std::string, json>> initial,
                                std::optional<WatchStream::Shared> shared) {
  Start start;
  std::lock_guard lock(state_->mu);
  State::Kind& k = state_->kind(kind);
  start.oldest = k.floor;
  if (from < k.floor) {
    start.expired = true;
    return start;
  }
  auto stream = std::make_shared<WatchStream>(std::move(select), std::move(encode),
                                              options_.max_queued_per_watcher, std::move(shared));
  for (auto& [type, object] : initial) stream->push(type, std::move(object));
  for (const State::Event& ev : k.ring) {
    if (ev.rv <= from) continue;
    std::optional<json> selected = stream->select_(*ev.object);
    if (selected) stream->push(ev.type, std::move(*selected));
  }
  std::weak_ptr<State> weak = state_;
  WatchStream* raw = stream.get();
  {
    std::lock_guard slock(stream->mu_);
    stream->detach_ = [weak, kind, raw] {
      if (auto s = weak.lock()) s->remove(kind, raw);
    };
  }
  k.watchers.push_back(stream);
  start.stream = std::move(stream);
  return start;
}

uint64_t WatchHub::oldest_resource_version(const std::string& kind) const {
  std::lock_guard lock(state_->mu);
  auto it = state_->kinds.find(kind);
  return it == state_->kinds.end() ? state_->start_rv : it->second.floor;
}

size_t WatchHub::watcher_count() const {
  std::lock_guard lock(state_->mu);
  size_t n = 0;
  for (const auto& [name, k] : state_->kinds)
    for (const auto& w : k.watchers)
      if (!w->finished()) ++n;
  return n;
}

void WatchHub::close_all() {
  std::vector<std::shared_ptr<WatchStream>> all;
  {
    std::lock_guard lock(state_->mu);
    for (auto& [name, k] : state_->kinds) {
      all.insert(all.end(), k.watchers.begin(), k.watchers.end());
      k.watchers.clear();
    }
  }
  for (auto& w : all) w->finish();
}

}  // namespace csim::kube::apiserver
