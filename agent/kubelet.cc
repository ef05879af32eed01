#include "agent/kubelet.h"

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <set>

#include "agent/json_util.h"
#include "agent/names.h"
#include "core/clock.h"

namespace csim::agent {
namespace {

using nlohmann::json;
using SteadyClock = std::chrono::steady_clock;
constexpr int kMaxAttempts = 3;

std::string meta(const json& obj, const char* field) {
  return str_field(obj_field(obj, "metadata"), field);
}

std::vector<int> container_ports(const json& pod) {
  std::set<int> ports;
  for (const auto& c : arr_field(obj_field(pod, "spec"), "containers")) {
    for (const auto& p : arr_field(c, "ports")) {
      const std::string proto = str_field(p, "protocol", "TCP");
      auto port = p.find("containerPort");
      if (proto != "TCP" || port == p.end() || !port->is_number_integer()) continue;
      int n = port->get<int>();
      if (n >= 1 && n <= 65535) ports.insert(n);
    }
  }
  if (ports.empty()) ports.insert(80);
  return {ports.begin(), ports.end()};
}

std::string tail(const std::string& path, size_t max = 600) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return "";
  off_t size = lseek(fd, 0, SEEK_END);
  off_t from = size > static_cast<off_t>(max) ? size - static_cast<off_t>(max) : 0;
  std::string out(static_cast<size_t>(size - from), '\0');
  ssize_t n = pread(fd, out.data(), out.size(), from);
  close(fd);
  out.resize(n > 0 ? static_cast<size_t>(n) : 0);
  while (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

}  // namespace

Kubelet::Kubelet(core::Bus& bus, Dataplane& dataplane, kube::ObjectStore& store,
                 KubeletOptions options, PortCallback on_port)
    : bus_(bus),
      dataplane_(dataplane),
      store_(store),
      options_(std::move(options)),
      on_port_(std::move(on_port)) {}

Kubelet::~Kubelet() { stop(); }

void Kubelet::mark_not_started() {
  for (const json& pod : store_.list("Pod")) {
    if (str_field(obj_field(pod, "spec"), "nodeName") != options_.node) continue;
    if (obj_field(pod, "metadata").contains("deletionTimestamp")) continue;
    const json& status = obj_field(pod, "status");
    const std::string phase = str_field(status, "phase");
    if (phase == "Succeeded" || phase == "Failed") continue;
    bool ready = false;
    for (const auto& c : arr_field(status, "conditions"))
      ready |= str_field(c, "type") == "Ready" && str_field(c, "status") == "True";
    if (!ready) continue;
    PodRun run;
    run.kube_namespace = meta(pod, "namespace");
    run.name = meta(pod, "name");
    run.uid = meta(pod, "uid");
    set_pod_status(run, false, "ContainersNotReady",
                   "the kubelet of " + options_.node + " started and does not run the pod yet");
  }
}

void Kubelet::start() {
  // Before anything else: no pod runs here yet, whatever the store says.
  mark_not_started();
  auto life = life_;
  bus_.subscribe(module(), kube::watch_topic("Pod"), [this, life](const core::Envelope& e) {
    std::shared_lock l(life->mu);
    if (!life->alive) return;
    // Only pods bound here (or that we run) matter; coalesce bursts into one reconcile.
    const json& obj = obj_field(e.body, "object");
    const std::string node = str_field(obj_field(obj, "spec"), "nodeName");
    bool ours = node == options_.node || pods_.count(meta(obj, "uid"));
    if (!ours || pending_) return;
    pending_ = true;
    bus_.post(module(), [this, life] {
      std::shared_lock l2(life->mu);
      if (!life->alive) return;
      pending_ = false;
      guarded_reconcile();
    });
  });
  bus_.post(module(), [this, life] {
    std::shared_lock l(life->mu);
    if (life->alive) guarded_reconcile();
  });
}

void Kubelet::guarded_reconcile() {
  // Nothing in reconcile() should throw; if something does, it is reported, not fatal.
  try {
    reconcile();
  } catch (const std::exception& ex) {
    const auto t = bus_.clock().now();
    bus_.record(module(), "reconcile failed", std::string("internal error: ") + ex.what(), t, t);
  }
}

void Kubelet::on_view(std::shared_ptr<const AgentView> view) {
  {
    std::lock_guard lock(mu_);
    view_ = std::move(view);
  }
  auto life = life_;
  bus_.post(module(), [this, life] {
    std::shared_lock l(life->mu);
    if (life->alive) guarded_reconcile();
  });
}

void Kubelet::publish_pod(const PodRun& run, const std::string& summary) {
  bus_.publish(
      module(), "agent.pod",
      {{"node", options_.node},
       {"namespace", run.kube_namespace},
       {"name", run.name},
       {"uid", run.uid},
       {"ip", run.ip},
       {"namespace_path", run.netns.empty() ? "" : std::string(kNetnsDir) + "/" + run.netns},
       {"pid", run.server ? run.server->pid() : 0},
       {"state", run.state},
       {"error", run.error},
       {"summary", summary}});
}

void Kubelet::set_pod_status(const PodRun& run, bool ready, const std::string& reason,
                             const std::string& message) {
  auto pod = store_.get("Pod", run.kube_namespace, run.name);
  if (!pod || meta(*pod, "uid") != run.uid) return;
  const std::string now = core::rfc3339(bus_.clock().now());
  json status = obj_field(*pod, "status");
  if (ready) {
    status["phase"] = "Running";
    status["podIP"] = run.ip;
    status["podIPs"] = json::array({{{"ip", run.ip}}});
    status["hostIP"] = options_.underlay_ip;
    status["hostIPs"] = json::array({{{"ip", options_.underlay_ip}}});
    if (!status.contains("startTime")) status["startTime"] = now;
  } else if (!status.contains("phase")) {
    status["phase"] = "Pending";
  }
  json conditions = json::array();
  std::map<std::string, json> old;
  for (const auto& c : arr_field(status, "conditions")) {
    if (c.is_object()) old[str_field(c, "type")] = c;
  }
  for (const char* type : {"Initialized", "Ready", "ContainersReady", "PodScheduled"}) {
    const bool value =
        ready || std::string(type) == "PodScheduled" || std::string(type) == "Initialized";
    const std::string s = value ? "True" : "False";
    json c = {{"type", type}, {"status", s}, {"lastProbeTime", nullptr}};
    auto it = old.find(type);
    c["lastTransitionTime"] = (it != old.end() && str_field(it->second, "status") == s)
                                  ? str_field(it->second, "lastTransitionTime", now)
                                  : now;
    if (!value) {
      c["reason"] = reason;
      c["message"] = message;
    }
    conditions.push_back(c);
  }
  status["conditions"] = conditions;
  json containers = json::array();
  for (const auto& c : arr_field(obj_field(*pod, "spec"), "containers")) {
    if (!c.is_object()) continue;
    json cs = {{"name", str_field(c, "name")},
               {"image", str_field(c, "image")},
               {"imageID", ""},
               {"ready", ready},
               {"started", ready},
               {"restartCount", 0}};
    if (ready && run.server) {
      cs["containerID"] = "csim://" + std::to_string(run.server->pid());
      cs["state"] = {{"running", {{"startedAt", now}}}};
    } else {
      cs["state"] = {{"waiting", {{"reason", reason}, {"message", message}}}};
    }
    containers.push_back(cs);
  }
  status["containerStatuses"] = containers;
  auto r = store_.update_status("Pod", run.kube_namespace, run.name, status);
  if (!r.is_ok() && r.status().code() != core::Code::kNotFound) {
    const auto t = bus_.clock().now();
    bus_.record(
        module(), "pod status failed",
        "update status of pod " + run.kube_namespace + "/" + run.name + ": " + r.status().message(),
        t, t);
  }
}

void Kubelet::stop_pod(PodRun& run, const std::string& why) {
  std::vector<std::string> errors;
  const bool was_running = run.state == "running";
  if (run.ready_fd >= 0) {
    close(run.ready_fd);
    run.ready_fd = -1;
  }
  std::string exit;
  if (run.server) exit = run.server->stop(std::chrono::seconds(2)).describe();
  if (!run.netns.empty()) {
    if (auto st = dataplane_.remove_endpoint(options_.node, run.netns); !st.is_ok())
      errors.push_back(st.message());
  }
  if (was_running && on_port_) on_port_(run.vmi, run.tap, *parse_ipv4(run.ip), false);
  run.state = errors.empty() ? "stopped" : "failed";
  for (const auto& e : errors) run.error += (run.error.empty() ? "" : "; ") + e;
  publish_pod(run, "pod " + run.kube_namespace + "/" + run.name + " stopped on " + options_.node +
                       " (" + why + (exit.empty() ? "" : ", echo server " + exit) + ")");
}

void Kubelet::reconcile() {
  std::shared_ptr<const AgentView> view;
  {
    std::lock_guard lock(mu_);
    view = view_;
  }
  std::map<std::string, json> desired;
  for (json& pod : store_.list("Pod")) {
    if (str_field(obj_field(pod, "spec"), "nodeName") != options_.node) continue;
    if (obj_field(pod, "metadata").contains("deletionTimestamp")) continue;
    const std::string phase = str_field(obj_field(pod, "status"), "phase");
    if (phase == "Succeeded" || phase == "Failed") continue;
    const std::string uid = meta(pod, "uid");  // before the move below
    desired[uid] = std::move(pod);
  }

  for (auto it = pods_.begin(); it != pods_.end();) {
    if (desired.count(it->first)) {
      ++it;
      continue;
    }
    if (it->second.state != "stopped") stop_pod(it->second, "deleted");
    it = pods_.erase(it);
  }

  // Start what can start: create namespaces and spawn every echo server first, then
  // wait for all of them together.
  std::vector<std::string> starting;
  const std::string log_dir = options_.state_dir.empty() ? "" : options_.state_dir + "/pods";
  if (!log_dir.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(log_dir, ec);
  }
  for (const auto& [uid, pod] : desired) {
    int attempts = 0;
    if (auto it = pods_.find(uid); it != pods_.end()) {
      // A failed start is tried again (a few times): the cause may have been transient.
      if (it->second.state != "failed" || it->second.attempts >= kMaxAttempts) continue;
      attempts = it->second.attempts;
      pods_.erase(it);
    }
    if (!view) continue;
    const ViewInterface* iface = nullptr;
    for (const ViewInterface* i : view->interfaces_of(uid)) {
      if (i->ip && i->gateway) {
        iface = i;
        break;
      }
    }
    if (!iface) continue;  // kube-manager / control-node have not got there yet
    PodRun run;
    run.attempts = attempts + 1;
    run.started_at = bus_.clock().now();
    run.kube_namespace = meta(pod, "namespace");
    run.name = meta(pod, "name");
    run.uid = uid;
    run.vmi = iface->uuid;
    run.ip = iface->ip->str();
    run.ports = container_ports(pod);
    run.netns = pod_netns_name(run.kube_namespace, run.name);
    run.tap = pod_tap_name(iface->uuid);
    auto fail = [&](const std::string& error) {
      run.state = "failed";
      run.error = error;
      publish_pod(run, "pod " + run.kube_namespace + "/" + run.name + " failed on " +
                           options_.node + ": " + error);
      set_pod_status(run, false, "StartFailed", error);
      pods_[uid] = std::move(run);
    };
    if (run.netns.empty() || run.tap.empty()) {
      run.netns.clear();
      fail("pod name or interface uuid cannot name a namespace");
      continue;
    }
    auto ep = dataplane_.add_endpoint({options_.node, run.netns, "eth0", run.tap, iface->mac,
                                       Ipv4Prefix{*iface->ip, 32}, *iface->gateway});
    if (!ep.is_ok()) {
      run.netns.clear();  // add_endpoint cleaned up after itself
      fail(ep.status().message());
      continue;
    }
    int pipefd[2];
    if (pipe2(pipefd, O_CLOEXEC) != 0) {
      dataplane_.remove_endpoint(options_.node, run.netns);
      fail("pipe: " + std::string(strerror(errno)));
      continue;
    }
    const std::string log_path = log_dir.empty() ? "/dev/null" : log_dir + "/" + run.netns + ".log";
    int log_fd = open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    json labels = json::object();
    for (const auto& [k, val] : obj_field(obj_field(pod, "metadata"), "labels").items()) {
      if (val.is_string()) labels[k] = val;
    }
    std::vector<std::string> argv = {
        options_.csim_binary, "echo-server", "--pod",       run.name,   "--namespace",
        run.kube_namespace,   "--node",      options_.node, "--labels", safe_dump(labels)};
    for (int p : run.ports) {
      argv.push_back("--port");
      argv.push_back(std::to_string(p));
    }
    auto child = start_process({argv, run.netns}, {-1, pipefd[1], log_fd});
    close(pipefd[1]);
    if (log_fd >= 0) close(log_fd);
    if (!child.is_ok()) {
      close(pipefd[0]);
      dataplane_.remove_endpoint(options_.node, run.netns);
      fail(child.status().message());
      continue;
    }
    run.server = std::move(*child);
    run.ready_fd = pipefd[0];
    run.start_id = ++next_start_id_;
    run.state = "starting";
    pods_[uid] = std::move(run);
    starting.push_back(uid);
  }
  if (!starting.empty()) wait_for_starts(starting);
  update_snapshot();
}

void Kubelet::wait_for_starts(const std::vector<std::string>& starting) {
  struct Pipe {
    Started started;
    int fd;
  };
  std::vector<Pipe> pipes;
  for (const auto& uid : starting) {
    PodRun& run = pods_[uid];
    pipes.push_back({{uid, run.start_id, ""}, run.ready_fd});
    run.ready_fd = -1;  // the waiter's now: it closes it
  }
  const uint64_t id = next_start_id_;  // unique: the last start of this batch
  const auto timeout = options_.ready_timeout;
  auto life = life_;
  // The answer is posted in the trace of the reconcile that started the pods, so the
  // trace goes on from the pod's readiness to what it causes.
  const core::TraceContext context = core::current_trace_context();
  waiters_[id] = std::thread([this, life, id, timeout, context, pipes = std::move(pipes)]() mutable {
    // Until each pipe gave a line, hit EOF (the echo server exited, or stop() stopped it)
    // or the timeout passed.
    const auto deadline = SteadyClock::now() + timeout;
    std::vector<size_t> waiting(pipes.size());
    for (size_t i = 0; i < waiting.size(); ++i) waiting[i] = i;
    while (!waiting.empty()) {
      std::vector<struct pollfd> fds;
      for (size_t i : waiting) fds.push_back({pipes[i].fd, POLLIN, 0});
      auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - SteadyClock::now()).count();
      if (left <= 0) break;
      int r = poll(fds.data(), fds.size(), static_cast<int>(left));
      if (r < 0 && errno == EINTR) continue;
      if (r <= 0) break;
      std::vector<size_t> still;
      for (size_t k = 0; k < waiting.size(); ++k) {
        Pipe& p = pipes[waiting[k]];
        if (fds[k].revents == 0) {
          still.push_back(waiting[k]);
          continue;
        }
        char buf[256];
        ssize_t n = read(p.fd, buf, sizeof buf);
        if (n > 0) p.started.ready_line.append(buf, static_cast<size_t>(n));
        const bool done = p.started.ready_line.find('\n') != std::string::npos || n <= 0;
        if (!done) still.push_back(waiting[k]);
      }
      waiting = std::move(still);
    }
    std::vector<Started> started;
    for (auto& p : pipes) {
      close(p.fd);
      started.push_back(std::move(p.started));
    }
    core::ScopedTraceContext in_trace(context);
    bus_.post(module(), [this, life, id, started = std::move(started)] {
      std::shared_lock l(life->mu);
      if (life->alive) finish_starts(id, started);
    });
  });
}

void Kubelet::finish_starts(uint64_t waiter, const std::vector<Started>& started) {
  if (auto w = waiters_.find(waiter); w != waiters_.end()) {
    w->second.join();  // it posted this as its last act
    waiters_.erase(w);
  }
  for (const Started& s : started) {
    auto it = pods_.find(s.uid);
    // Gone, stopped or started again since: this answer is not for the pod there now.
    if (it == pods_.end() || it->second.start_id != s.start_id || it->second.state != "starting")
      continue;
    PodRun& run = it->second;
    const bool ready = s.ready_line.rfind("listening on", 0) == 0;
    if (ready) {
      run.state = "running";
      if (on_port_) on_port_(run.vmi, run.tap, *parse_ipv4(run.ip), true);
      set_pod_status(run, true, "", "");
      std::string ports;
      for (int p : run.ports) ports += (ports.empty() ? ":" : ",") + std::to_string(p);
      const std::string text = "pod " + run.kube_namespace + "/" + run.name + " running on " +
                               options_.node + ": echo server pid " +
                               std::to_string(run.server->pid()) + " on " + run.ip + ports +
                               " in " + run.netns;
      bus_.record(module(), "pod running", text, run.started_at, bus_.clock().now());
      publish_pod(run, text);
      continue;
    }
    std::string why;
    if (auto ended = run.server->poll()) {
      why = "echo server " + ended->describe();
    } else {
      why = "echo server did not report listening within the timeout";
      run.server->stop(std::chrono::seconds(1));
    }
    const std::string log =
        tail(options_.state_dir.empty() ? "" : options_.state_dir + "/pods/" + run.netns + ".log");
    if (!log.empty()) why += ": " + log;
    dataplane_.remove_endpoint(options_.node, run.netns);
    run.state = "failed";
    run.error = why;
    publish_pod(run, "pod " + run.kube_namespace + "/" + run.name + " failed on " + options_.node +
                         ": " + why);
    set_pod_status(run, false, "StartFailed", why);
  }
  update_snapshot();
}

void Kubelet::update_snapshot() {
  json pods = json::array();
  for (const auto& [uid, run] : pods_) {
    pods.push_back({{"namespace", run.kube_namespace},
                    {"name", run.name},
                    {"uid", run.uid},
                    {"ip", run.ip},
                    {"netns", run.netns},
                    {"vmi", run.vmi},
                    {"pid", run.server ? run.server->pid() : 0},
                    {"state", run.state},
                    {"error", run.error},
                    {"ports", run.ports}});
  }
  std::lock_guard lock(mu_);
  snapshot_ = {{"pods", pods}};
}

void Kubelet::stop() {
  {
    std::unique_lock l(life_->mu);
    if (!life_->alive) return;
    life_->alive = false;
  }
  for (auto& [uid, run] : pods_) {
    if (run.state == "running") {
      set_pod_status(run, false, "NodeDown", "the vrouter agent of " + options_.node + " stopped");
    }
    if (run.state != "stopped") stop_pod(run, "node stopping");
  }
  pods_.clear();
  // Their echo servers are gone: each waiter read EOF and ends (its post does nothing).
  for (auto& [id, waiter] : waiters_) waiter.join();
  waiters_.clear();
  update_snapshot();
}

json Kubelet::introspect() const {
  std::lock_guard lock(mu_);
  return snapshot_;
}

}  // namespace csim::agent
