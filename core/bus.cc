#include "core/bus.h"

#include <atomic>
#include <condition_variable>
#include <deque>
#include <iostream>
#include <map>
#include <mutex>
#include <thread>

namespace csim::core {
namespace {

thread_local TraceContext tl_context;

// Restores the thread's trace context when a handler or scope ends.
class ContextSwap {
 public:
  explicit ContextSwap(TraceContext next) : saved_(tl_context) { tl_context = next; }
  ~ContextSwap() { tl_context = saved_; }

 private:
  TraceContext saved_;
};

bool topic_matches(const std::string& pattern, const std::string& topic) {
  if (pattern.empty()) return false;
  if (pattern.back() == '*') return topic.compare(0, pattern.size() - 1, pattern, 0, pattern.size() - 1) == 0;
  if (pattern.back() == '.') return topic.compare(0, pattern.size(), pattern) == 0;
  return pattern == topic;
}

std::string summarize(const nlohmann::json& body) {
  if (body.is_object()) {
    auto it = body.find("summary");
    if (it != body.end() && it->is_string()) return it->get<std::string>();
  }
  std::string s = body.dump();
  if (s.size() > 200) s = s.substr(0, 197) + "...";
  return s;
}

constexpr size_t kMaxRecords = 400000;
// The most tasks of one strand a pool thread runs before it hands the strand back.
constexpr size_t kBatch = 64;

}  // namespace

TraceContext current_trace_context() { return tl_context; }

ScopedTraceContext::ScopedTraceContext(TraceContext context) : saved_(tl_context) {
  tl_context = context;
}
ScopedTraceContext::~ScopedTraceContext() { tl_context = saved_; }

class Bus::Impl {
 public:
  struct Subscription {
    std::string module;
    std::string topic;
    Handler handler;
  };
  struct Strand {
    std::deque<std::function<void()>> queue;
    bool scheduled = false;
  };

  Impl(Clock& clock, Mode mode, int threads) : clock_(clock), mode_(mode) {
    if (mode_ == Mode::kThreaded) {
      for (int i = 0; i < threads; ++i) pool_.emplace_back([this] { worker(); });
      timer_thread_ = std::thread([this] { timer_loop(); });
    }
  }

  ~Impl() { stop_pool(); }

  void stop_pool() {
    {
      std::unique_lock lock(mu_);
      stopping_ = true;
    }
    work_cv_.notify_all();
    timer_cv_.notify_all();
    for (auto& t : pool_)
      if (t.joinable()) t.join();
    if (timer_thread_.joinable()) timer_thread_.join();
  }

  void shutdown(Nanos drain_timeout) {
    run_until_idle(drain_timeout);
    {
      std::unique_lock lock(mu_);
      shut_down_ = true;
      // Drop what is still queued: nobody may run it after its module is gone.
      for (auto& [name, strand] : strands_) {
        pending_ -= static_cast<int>(strand.queue.size());
        strand.queue.clear();
      }
      ready_.clear();
      pending_ -= static_cast<int>(fifo_.size());
      fifo_.clear();
      pending_ -= static_cast<int>(timers_.size());
      timers_.clear();
    }
    stop_pool();
  }

  uint64_t next_id() { return next_id_.fetch_add(1); }

  // Queues fn on module's strand. Caller must not hold mu_.
  void enqueue(const std::string& module, std::function<void()> fn) {
    std::unique_lock lock(mu_);
    if (shut_down_) return;
    ++pending_;
    enqueue_locked(module, std::move(fn));
  }

  // Queues fn to run on module's strand once `at` has passed (kThreaded). Counts as
  // pending from now. Caller must not hold mu_.
  void enqueue_at(const std::string& module, std::chrono::steady_clock::time_point at,
                  std::function<void()> fn) {
    {
      std::unique_lock lock(mu_);
      if (shut_down_) return;
      ++pending_;
      timers_.emplace(at, std::make_pair(module, std::move(fn)));
    }
    timer_cv_.notify_all();
  }

  // Moves due timers to their strands (their pending_ count was taken when they were set).
  void timer_loop() {
    std::unique_lock lock(mu_);
    while (!stopping_) {
      if (timers_.empty()) {
        timer_cv_.wait(lock);
        continue;
      }
      auto first = timers_.begin();
      const auto due = first->first;  // a copy: the entry may go while we wait
      if (due > std::chrono::steady_clock::now()) {
        timer_cv_.wait_until(lock, due);
        continue;
      }
      auto [module, fn] = std::move(first->second);
      timers_.erase(first);
      if (!shut_down_) enqueue_locked(module, std::move(fn));
    }
  }

  // With mu_ held and pending_ already counted.
  void enqueue_locked(const std::string& module, std::function<void()> fn) {
    if (mode_ == Mode::kDeterministic) {
      fifo_.push_back(std::move(fn));
      return;
    }
    Strand& strand = strands_[module];
    strand.queue.push_back(std::move(fn));
    if (!strand.scheduled) {
      strand.scheduled = true;
      ready_.push_back(module);
      work_cv_.notify_one();
    }
  }

  // Takes a ready strand and runs what its queue holds, up to kBatch tasks, in order, then
  // hands the strand back (to the end of the ready list if more came meanwhile). One lock
  // round trip and at most one wake-up per batch rather than per task: on a busy bus the
  // hand-offs between pool threads, not the handlers, were what the CPU spent its time on.
  void worker() {
    std::vector<std::function<void()>> batch;
    batch.reserve(kBatch);
    for (;;) {
      std::string module;
      {
        std::unique_lock lock(mu_);
        work_cv_.wait(lock, [this] { return stopping_ || !ready_.empty(); });
        if (ready_.empty()) return;  // stopping and nothing left
        module = std::move(ready_.front());
        ready_.pop_front();
        Strand& strand = strands_[module];
        while (!strand.queue.empty() && batch.size() < kBatch) {
          batch.push_back(std::move(strand.queue.front()));
          strand.queue.pop_front();
        }
      }
      for (auto& task : batch) {
        task();
        task = nullptr;  // what it captured goes now, not after the batch
      }
      {
        std::unique_lock lock(mu_);
        Strand& strand = strands_[module];
        if (!strand.queue.empty()) {
          ready_.push_back(std::move(module));
          work_cv_.notify_one();
        } else {
          strand.scheduled = false;
        }
        pending_ -= static_cast<int>(batch.size());
        if (pending_ == 0) idle_cv_.notify_all();
      }
      batch.clear();
    }
  }

  bool run_until_idle(Nanos timeout) {
    if (mode_ == Mode::kDeterministic) {
      for (;;) {
        std::function<void()> task;
        {
          std::unique_lock lock(mu_);
          if (fifo_.empty()) return true;
          task = std::move(fifo_.front());
          fifo_.pop_front();
        }
        task();
        std::unique_lock lock(mu_);
        --pending_;
      }
    }
    std::unique_lock lock(mu_);
    return idle_cv_.wait_for(lock, timeout, [this] { return pending_ == 0; });
  }

  void add_span(SpanRecord span) {
    std::shared_ptr<const std::vector<Observer>> observers;
    {
      std::unique_lock lock(records_mu_);
      if (spans_.size() >= kMaxRecords) spans_.erase(spans_.begin(), spans_.begin() + kMaxRecords / 2);
      observers = observers_;
      if (!observers) {
        spans_.push_back(std::move(span));
        return;
      }
      spans_.push_back(span);
    }
    for (const auto& o : *observers) o(span);
  }

  // With records_mu_ held.
  size_t add_delivery_locked(DeliveryRecord d) {
    if (deliveries_.size() >= kMaxRecords) {
      deliveries_.erase(deliveries_.begin(), deliveries_.begin() + kMaxRecords / 2);
      delivery_base_ += kMaxRecords / 2;
    }
    deliveries_.push_back(std::move(d));
    return delivery_base_ + deliveries_.size() - 1;
  }

  template <class F>
  void update_delivery(size_t index, F f) {
    std::unique_lock lock(records_mu_);
    if (index < delivery_base_) return;
    size_t i = index - delivery_base_;
    if (i < deliveries_.size()) f(deliveries_[i]);
  }

  std::shared_ptr<const Envelope> publish(const std::string& module, const std::string& topic,
                                          nlohmann::json body) {
    TraceContext parent = tl_context;
    const uint64_t span = next_id();
    const uint64_t trace = parent.trace_id ? parent.trace_id : span;
    const Nanos now = clock_.now();
    auto envelope = std::make_shared<Envelope>();
    envelope->topic = topic;
    envelope->trace_id = trace;
    envelope->span_id = span;
    envelope->parent_span = parent.span_id;
    envelope->publisher = module;
    envelope->published_at = now;
    add_span({trace, span, parent.span_id, "publish", module, topic, summarize(body), now, now});
    envelope->body = std::move(body);

    std::vector<std::shared_ptr<const Subscription>> targets;
    {
      std::unique_lock lock(mu_);
      for (const auto& s : subs_)
        if (topic_matches(s->topic, topic)) targets.push_back(s);
    }
    if (targets.empty()) return envelope;
    std::vector<size_t> indexes;
    indexes.reserve(targets.size());
    {
      std::unique_lock lock(records_mu_);
      for (const auto& s : targets)
        indexes.push_back(add_delivery_locked({span, s->module, now, Nanos(0), Nanos(0)}));
    }
    std::unique_lock lock(mu_);
    if (shut_down_) return envelope;
    for (size_t i = 0; i < targets.size(); ++i) {
      const std::string& module = targets[i]->module;
      ++pending_;
      enqueue_locked(module, [this, envelope, s = std::move(targets[i]), index = indexes[i]] {
        ContextSwap swap({envelope->trace_id, envelope->span_id});
        update_delivery(index, [&](DeliveryRecord& d) { d.started = clock_.now(); });
        try {
          s->handler(*envelope);
        } catch (const std::exception& e) {
          // A handler must not throw; if one does, say so loudly and keep the bus alive.
          std::cerr << "csim: handler of " << s->module << " for " << envelope->topic
                    << " failed: " << e.what() << "\n";
          Nanos t = clock_.now();
          add_span({envelope->trace_id, next_id(), envelope->span_id, "work", s->module,
                    "handler failed", e.what(), t, t});
        }
        update_delivery(index, [&](DeliveryRecord& d) { d.finished = clock_.now(); });
      });
    }
    return envelope;
  }

  Clock& clock_;
  Mode mode_;
  std::mutex mu_;
  std::condition_variable work_cv_;
  std::condition_variable idle_cv_;
  std::vector<std::shared_ptr<const Subscription>> subs_;
  std::map<std::string, Strand> strands_;
  std::deque<std::string> ready_;
  std::deque<std::function<void()>> fifo_;
  int pending_ = 0;
  bool stopping_ = false;
  bool shut_down_ = false;
  std::vector<std::thread> pool_;
  std::condition_variable timer_cv_;
  std::multimap<std::chrono::steady_clock::time_point,
                std::pair<std::string, std::function<void()>>>
      timers_;  // kThreaded: post_after() work waiting for its time
  std::thread timer_thread_;
  std::atomic<uint64_t> next_id_{1};

  mutable std::mutex records_mu_;
  std::vector<SpanRecord> spans_;
  std::vector<DeliveryRecord> deliveries_;
  size_t delivery_base_ = 0;
  // Replaced, never changed in place, so add_span() copies a pointer, not the observers.
  std::shared_ptr<const std::vector<Observer>> observers_;
};

Bus::Bus(Clock& clock, Mode mode, int threads)
    : impl_(std::make_unique<Impl>(clock, mode, threads)) {}

Bus::~Bus() {
  if (impl_->mode_ == Mode::kDeterministic) impl_->run_until_idle(Nanos(0));
}

Bus::Mode Bus::mode() const { return impl_->mode_; }
Clock& Bus::clock() const { return impl_->clock_; }

void Bus::subscribe(const std::string& module, const std::string& topic, Handler handler) {
  std::unique_lock lock(impl_->mu_);
  impl_->subs_.push_back(std::make_shared<const Impl::Subscription>(
      Impl::Subscription{module, topic, std::move(handler)}));
}

uint64_t Bus::publish(const std::string& module, const std::string& topic, nlohmann::json body) {
  return impl_->publish(module, topic, std::move(body))->span_id;
}

void Bus::post(const std::string& module, std::function<void()> fn) {
  TraceContext ctx = tl_context;
  impl_->enqueue(module, [ctx, fn = std::move(fn)] {
    ContextSwap swap(ctx);
    fn();
  });
}

void Bus::post_after(const std::string& module, Nanos delay, std::function<void()> fn) {
  TraceContext ctx = tl_context;
  auto task = [ctx, fn = std::move(fn)] {
    ContextSwap swap(ctx);
    fn();
  };
  if (impl_->mode_ == Mode::kDeterministic || delay <= Nanos(0)) {
    impl_->enqueue(module, std::move(task));
    return;
  }
  impl_->enqueue_at(module,
                    std::chrono::steady_clock::now() +
                        std::chrono::duration_cast<std::chrono::steady_clock::duration>(delay),
                    std::move(task));
}

uint64_t Bus::record(const std::string& module, const std::string& name, const std::string& summary,
                     Nanos start, Nanos end) {
  TraceContext ctx = tl_context;
  uint64_t span = impl_->next_id();
  impl_->add_span({ctx.trace_id ? ctx.trace_id : span, span, ctx.span_id, "work", module, name,
                   summary, start, end});
  return span;
}

void Bus::shutdown(Nanos drain_timeout) { impl_->shutdown(drain_timeout); }

void Bus::add_observer(Observer observer) {
  std::unique_lock lock(impl_->records_mu_);
  auto observers = impl_->observers_ ? std::make_shared<std::vector<Observer>>(*impl_->observers_)
                                     : std::make_shared<std::vector<Observer>>();
  observers->push_back(std::move(observer));
  impl_->observers_ = std::move(observers);
}

bool Bus::run_until_idle(Nanos timeout) { return impl_->run_until_idle(timeout); }

std::vector<SpanRecord> Bus::spans() const {
  std::unique_lock lock(impl_->records_mu_);
  return impl_->spans_;
}

std::vector<DeliveryRecord> Bus::deliveries() const {
  std::unique_lock lock(impl_->records_mu_);
  return impl_->deliveries_;
}

std::vector<SpanRecord> Bus::spans_of(uint64_t trace_id) const {
  std::vector<SpanRecord> out;
  std::unique_lock lock(impl_->records_mu_);
  for (const auto& s : impl_->spans_)
    if (s.trace_id == trace_id) out.push_back(s);
  return out;
}

void Bus::clear_records() {
  std::unique_lock lock(impl_->records_mu_);
  impl_->delivery_base_ += impl_->deliveries_.size();
  impl_->spans_.clear();
  impl_->deliveries_.clear();
}

uint64_t Bus::begin_root(const std::string& module, const std::string& name) {
  uint64_t span = impl_->next_id();
  Nanos now = impl_->clock_.now();
  impl_->add_span({span, span, 0, "root", module, name, name, now, now});
  return span;
}

void Bus::end_root(uint64_t span_id) {
  Nanos now = impl_->clock_.now();
  std::unique_lock lock(impl_->records_mu_);
  for (auto it = impl_->spans_.rbegin(); it != impl_->spans_.rend(); ++it) {
    if (it->span_id == span_id) {
      it->end = now;
      break;
    }
  }
}

TraceScope::TraceScope(Bus& bus, const std::string& module, const std::string& name)
    : bus_(bus) {
  span_id_ = bus.begin_root(module, name);
  trace_id_ = span_id_;
  TraceContext saved = tl_context;
  saved_trace_ = saved.trace_id;
  saved_span_ = saved.span_id;
  tl_context = {trace_id_, span_id_};
}

TraceScope::~TraceScope() {
  bus_.end_root(span_id_);
  tl_context = {saved_trace_, saved_span_};
}

}  // namespace csim::core
