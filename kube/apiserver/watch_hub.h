// Watch fan-out: from the store's bus topics to every open `?watch=true` request.
//
// The hub subscribes (as bus module "kube-apiserver-watch") to "kube.watch.", where the
// object store publishes every change, in resourceVersion order, as
// {type: ADDED|MODIFIED|DELETED, object}. Per kind it keeps a ring of the last
// `history_per_kind` events, so a watch can resume from a resourceVersion: every event of
// the kind with a higher resourceVersion is replayed, then live ones follow. A watch from a
// version older than the ring (or older than the hub, for a kind it has seen nothing of
// since) is expired: the caller answers 410 Gone / an ERROR event, and the client re-lists.
//
// Each watch is a WatchStream with its own bounded queue. Watches that see objects the same
// way (same resource version and encoding; only their filters differ) may share a view
// key (WatchStream::Shared): the hub then converts and encodes each live event once per key
// and hands every matching watcher the same bytes, so 100 informers of one resource cost one
// encoding per event, not 100. The hub only ever appends to a queue (never blocks on a slow
// client); a watcher whose queue exceeds
// `max_queued_per_watcher` is finished at once (its queue dropped), so the server closes
// the connection and the client re-lists: a stuck watcher can never hold up the bus.
//
// Threads: the hub's handler runs on its bus strand; watch()/close_all() on any thread;
// WatchStream::take() on the server's connection strand. Lock order: hub, then stream.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/bus.h"
#include "kube/object_store.h"

namespace csim::kube::apiserver {

class WatchStream {
 public:
  // The stored object as this watcher sees it (converted to the request's version,
  // derived, filtered by namespace and selectors), or nullopt when it is not for it.
  using Select = std::function<std::optional<nlohmann::json>(const nlohmann::json& stored)>;
  // One event as it goes on the wire: "{\"type\":...,\"object\":...}\n".
  using Encode = std::function<std::string(const std::string& type, const nlohmann::json& object)>;

  // Optional sharing (see the file comment). Every stream with the same non-empty `key` must
  // have the same `convert` and the same Encode, and its Select must equal
  // convert(stored) filtered by match(stored, converted).
  struct Shared {
    std::string key;
    std::function<std::optional<nlohmann::json>(const nlohmann::json& stored)> convert;
    std::function<bool(const nlohmann::json& stored, const nlohmann::json& converted)> match;
  };

  // What the hub computed for one live event, per view key (used on the hub's thread only).
  class EventCache {
   public:
    struct Entry {
      bool converted = false;
      std::optional<nlohmann::json> object;        // convert's result
      std::shared_ptr<const std::string> bytes;    // the encoded event, once a watcher matched
    };
    Entry& entry(const std::string& key);

   private:
    std::vector<std::pair<std::string, Entry>> entries_;
  };

  struct Batch {
    std::string data;       // zero or more encoded events
    bool finished = false;  // nothing more will come: end the response
    bool overflowed = false;
    size_t events = 0;
  };

  WatchStream(Select select, Encode encode, size_t max_queued,
              std::optional<Shared> shared = std::nullopt);
  ~WatchStream();

  // Server side. `notify` is called (on the hub's or the closer's thread, without locks
  // held by the caller's side) when take() has something new; it must not block.
  void set_notify(std::function<void()> notify);
  // Everything queued so far, encoded on the calling thread.
  Batch take();
  // The client went away or the server stops: finishes and detaches from the hub.
  void close();
  bool finished() const;
  // True once the stream was finished for falling too far behind (the server then closes
  // the connection at once instead of waiting for a write the client may never read).
  bool overflowed() const;

  // Hub side. Queues an already-selected event, unbounded (initial and replayed events).
  void push(const std::string& type, nlohmann::json object);
  // Selects and queues a live event; finishes the stream when it is too far behind. A
  // shared stream takes its converted object and encoded bytes from `cache` (filling it
  // when it is the first of its key); others select and encode for themselves.
  void offer(const std::string& type, const nlohmann::json& stored, EventCache* cache = nullptr);
  // No more events (an expired watch after its ERROR event, a server stop).
  void finish();

 private:
  friend class WatchHub;
  void wake();
  // encode_, or an ERROR event saying why it failed.
  std::string encode_safely(const std::string& type, const nlohmann::json& object) const;
  // Queues an item; false when the stream is finished. Sets *overflow when it just ended
  // for being too far behind (bounded only when `bounded`).
  bool enqueue(std::string type, nlohmann::json object, std::shared_ptr<const std::string> bytes,
               bool bounded);

  // One queued event: encoded on take() from (type, object), or already encoded (bytes).
  struct Item {
    std::string type;
    nlohmann::json object;
    std::shared_ptr<const std::string> bytes;
  };

  Select select_;
  Encode encode_;
  const size_t max_queued_;
  const std::optional<Shared> shared_;
  mutable std::mutex mu_;
  std::deque<Item> queue_;
  bool finished_ = false;
  bool overflowed_ = false;
  bool notified_ = false;
  std::function<void()> notify_;
  std::function<void()> detach_;  // set by the hub
};

class WatchHub {
 public:
  struct Options {
    size_t history_per_kind = 1024;
    size_t max_queued_per_watcher = 4096;
  };

  static constexpr const char* kModule = "kube-apiserver-watch";

  // Subscribes to the store's watch topics; history starts at the store's current version.
  WatchHub(core::Bus& bus, const ObjectStore& store);
  WatchHub(core::Bus& bus, const ObjectStore& store, Options options);
  ~WatchHub();  // close_all()
  WatchHub(const WatchHub&) = delete;
  WatchHub& operator=(const WatchHub&) = delete;

  struct Start {
    std::shared_ptr<WatchStream> stream;  // null when expired
    bool expired = false;
    uint64_t oldest = 0;  // the oldest version the hub can resume from, for the message
  };

  // Opens a watch of store kind `kind` from resourceVersion `from`: queues `initial`
  // (already selected, e.g. the synthetic ADDED events of a resourceVersion=0 watch), then
  // every held event with a version > `from`, then live events.
  // `shared`: see WatchStream::Shared (nullopt = this watch encodes for itself).
  Start watch(const std::string& kind, uint64_t from, WatchStream::Select select,
              WatchStream::Encode encode,
              std::vector<std::pair<std::string, nlohmann::json>> initial = {},
              std::optional<WatchStream::Shared> shared = std::nullopt);

  // The oldest resourceVersion a watch of `kind` can start from.
  uint64_t oldest_resource_version(const std::string& kind) const;
  size_t watcher_count() const;
  // Finishes every stream (server stop); later watch() calls still work.
  void close_all();

  struct State;

 private:
  std::shared_ptr<State> state_;
  Options options_;
};

}  // namespace csim::kube::apiserver
