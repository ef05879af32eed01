#include "agent/vrouter_agent.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>

#include "agent/haproxy_tls.h"
#include "agent/names.h"
#include "agent/vrouter_nat.h"
#include "core/clock.h"

namespace csim::agent {
namespace {

using nlohmann::json;

constexpr const char* kVhost = "vhost0";

std::string join_errors(const std::vector<std::string>& errors) {
  std::string out;
  for (const auto& e : errors) out += (out.empty() ? "" : "\n") + e;
  return out;
}

std::string ports_text(const std::vector<HaproxyBind>& binds) {
  std::string out;
  for (const auto& b : binds) out += (out.empty() ? "" : ",") + std::to_string(b.port);
  return out;
}

}  // namespace

VrouterAgent::VrouterAgent(core::Bus& bus, Dataplane& dataplane, kube::ObjectStore& store,
                           AgentOptions options)
    : bus_(bus), dataplane_(dataplane), store_(store), options_(std::move(options)) {
  snapshot_ = {{"state", "down"}};
}

VrouterAgent::~VrouterAgent() { stop(); }

bool VrouterAgent::running() const {
  std::lock_guard lock(snapshot_mu_);
  return snapshot_.value("state", "") == "up";
}

void VrouterAgent::set_node_ready(bool ready) {
  const std::string now = core::rfc3339(bus_.clock().now());
  json condition = {{"type", "Ready"},
                    {"status", ready ? "True" : "Unknown"},
                    {"reason", ready ? "KubeletReady" : "NodeStatusUnknown"},
                    {"message", ready ? "csim vrouter agent is up" : "csim vrouter agent stopped"},
                    {"lastHeartbeatTime", now},
                    {"lastTransitionTime", now}};
  json status = {{"conditions", json::array({condition})},
                 {"addresses", json::array({{{"type", "InternalIP"}, {"address", underlay_}},
                                            {{"type", "Hostname"}, {"address", options_.node}}})},
                 {"nodeInfo",
                  {{"kubeletVersion", "csim"},
                   {"containerRuntimeVersion", "csim://echo-server"},
                   {"operatingSystem", "linux"},
                   {"architecture", "amd64"}}}};
  if (!store_.get("Node", "", options_.node)) {
    json node = {
        {"apiVersion", "v1"},
        {"kind", "Node"},
        {"metadata",
         {{"name", options_.node},
          {"labels", {{"kubernetes.io/hostname", options_.node}, {"kubernetes.io/os", "linux"}}}}},
        {"spec", json::object()},
        {"status", status}};
    auto r = store_.create(node);
    if (r.is_ok() || r.status().code() != core::Code::kAlreadyExists) return;
  }
  store_.update_status("Node", "", options_.node, status);
}

core::Status VrouterAgent::start() {
  if (running()) return core::Status::ok();
  {
    // A (re)started agent holds no view: the control-node sends it the whole one.
    std::lock_guard lock(inbox_mu_);
    received_ = core::ViewAssembler();
    inbox_pending_ = false;
    inbox_version_ = 0;
  }
  if (vrouter_netns_name(options_.node).empty()) {
    return core::invalid("vrouter agent: node name '" + options_.node + "' is not a DNS name");
  }
  std::optional<Ipv4> underlay;
  if (!options_.underlay_ip.empty()) {
    underlay = parse_ipv4(options_.underlay_ip);
    if (!underlay)
      return core::invalid("vrouter agent " + options_.node + ": bad underlay_ip " +
                           options_.underlay_ip);
  }
  if (options_.state_dir.empty() || options_.state_dir[0] != '/') {
    return core::invalid("vrouter agent " + options_.node + ": state_dir must be an absolute path");
  }
  std::error_code ec;
  std::filesystem::create_directories(options_.state_dir, ec);
  if (ec)
    return core::unavailable("vrouter agent " + options_.node + ": mkdir " + options_.state_dir +
                             ": " + ec.message());
  const std::string lock_path = options_.state_dir + "/agent.lock";
  lock_fd_ = open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (lock_fd_ < 0 || flock(lock_fd_, LOCK_EX | LOCK_NB) != 0) {
    if (lock_fd_ >= 0) close(lock_fd_);
    lock_fd_ = -1;
    return core::unavailable("vrouter agent " + options_.node + ": state_dir " +
                             options_.state_dir +
                             " is in use by another agent (each node needs its own)");
  }
  auto release = [&] {
    close(lock_fd_);
    lock_fd_ = -1;
  };
  if (auto st = dataplane_.create_fabric(); !st.is_ok()) {
    release();
    return st;
  }
  auto ip = dataplane_.add_node(options_.node, underlay);
  if (!ip.is_ok()) {
    release();
    return ip.status();
  }
  underlay_ = ip->str();
  // The vrouter's (empty) NAT table now: the first nftables use in a process and in a
  // namespace costs ~5-20 ms (library and per-namespace NAT setup), better here than
  // in the first view.
  nat_text_ = render_vrouter_nat({}, {}, std::nullopt);
  if (auto st = dataplane_.set_vrouter_nat(options_.node, nat_text_); !st.is_ok()) {
    dataplane_.remove_node(options_.node);
    release();
    return st;
  }
  HaproxySupervisorOptions ho;
  ho.state_dir = options_.state_dir;
  ho.haproxy_binary = options_.haproxy_binary;
  ho.tls_secrets = options_.tls_secrets;
  haproxy_ = std::make_unique<HaproxySupervisor>(ho);
  const std::string csim_binary =
      options_.csim_binary_path.empty() ? "/proc/self/exe" : options_.csim_binary_path;
  life_ = std::make_shared<Life>();
  auto life = life_;
  kubelet_ = std::make_unique<Kubelet>(
      bus_, dataplane_, store_,
      KubeletOptions{options_.node, underlay_, options_.state_dir, csim_binary},
      [this, life](const std::string& vmi, const std::string& dev, Ipv4 ip, bool plugged) {
        // On the kubelet's strand: route the pod's address right away, and let the
        // apply strand know the port for its next route sync.
        if (plugged) {
          if (auto st = dataplane_.add_vrouter_route(options_.node,
                                                     {Ipv4Prefix{ip, 32}, std::nullopt, dev});
              !st.is_ok()) {
            const auto t = bus_.clock().now();
            bus_.record(module(), "route failed", st.message(), t, t);
          }
        }
        bus_.post(module() + ".apply", [this, life, vmi, dev, plugged] {
          std::shared_lock l(life->mu);
          if (!life->alive) return;
          try {
            on_port(vmi, dev, plugged);
          } catch (const std::exception& ex) {
            const auto t = bus_.clock().now();
            bus_.record(module(), "route sync failed", std::string("internal error: ") + ex.what(),
                        t, t);
          }
        });
      });
  {
    std::lock_guard lock(snapshot_mu_);
    snapshot_ = {{"state", "up"},
                 {"view_version", 0},
                 {"acked_version", 0},
                 {"ack_ok", true},
                 {"ack_error", ""}};
  }
  set_node_ready(true);
  bus_.subscribe(module(), "xmpp." + options_.node, [this, life](const core::Envelope& e) {
    std::shared_lock l(life->mu);
    if (life->alive) on_view(e);
  });
  if (options_.tls_secrets) {
    // Certificates follow their Secrets (the kube store publishes every write).
    bus_.subscribe(module(), kube::watch_topic("Secret"), [this, life](const core::Envelope& e) {
      std::shared_lock l(life->mu);
      if (!life->alive || !e.body.is_object()) return;
      const json object = e.body.value("object", json::object());
      const json meta = object.is_object() ? object.value("metadata", json::object()) : json();
      if (!meta.is_object()) return;
      const json ns = meta.value("namespace", json()), name = meta.value("name", json());
      if (ns.is_string() && name.is_string()) on_secret_changed(ns.get<std::string>(), name);
    });
  }
  kubelet_->start();
  bus_.publish(
      module(), "agent.status",
      {{"node", options_.node},
       {"state", "up"},
       {"underlay_ip", underlay_},
       {"summary", "vrouter agent " + options_.node + " up (underlay " + underlay_ + ")"}});
  return core::Status::ok();
}

void VrouterAgent::on_view(const core::Envelope& e) {
  uint64_t version = 0;
  if (e.body.is_object() && e.body.contains("version") && e.body["version"].is_number_integer() &&
      e.body["version"].get<int64_t>() >= 0) {
    version = e.body["version"].get<uint64_t>();
  }
  core::Status added;
  {
    std::lock_guard lock(inbox_mu_);
    added = received_.apply(e.body);
    if (added.is_ok()) {
      inbox_pending_ = true;
      inbox_version_ = version;
    }
  }
  if (!added.is_ok()) {
    // Not applied. A change on a version this agent does not hold (it restarted, or
    // missed one): ask the control-node for the whole view.
    const bool resync = added.code() == core::Code::kConflict;
    {
      std::lock_guard lock(snapshot_mu_);
      snapshot_["acked_version"] = version;
      snapshot_["ack_ok"] = false;
      snapshot_["ack_error"] = added.message();
    }
    bus_.publish(module(), "agent.ack",
                 {{"node", options_.node},
                  {"version", version},
                  {"ok", false},
                  {"error", added.message()},
                  {"resync", resync},
                  {"summary", "view v" + std::to_string(version) + " on " + options_.node +
                                  " not applied: " + added.message()}});
    return;
  }
  auto life = life_;
  bus_.post(module() + ".apply", [this, life, version] {
    std::shared_lock l(life->mu);
    if (life->alive) apply_if_latest(version);
  });
}

void VrouterAgent::apply_if_latest(uint64_t version) {
  json body;
  uint64_t newest = 0;
  {
    std::lock_guard lock(inbox_mu_);
    newest = inbox_version_;
    if (newest == version && inbox_pending_) {
      body = received_.view();
      inbox_pending_ = false;
    }
  }
  auto ack = [&](bool ok, const std::string& error, const std::string& summary) {
    {
      std::lock_guard lock(snapshot_mu_);
      snapshot_["acked_version"] = version;
      snapshot_["ack_ok"] = ok;
      snapshot_["ack_error"] = error;
    }
    bus_.publish(module(), "agent.ack",
                 {{"node", options_.node},
                  {"version", version},
                  {"ok", ok},
                  {"error", error},
                  {"summary", summary}});
  };
  if (body.is_null()) {
    if (newest != version) {
      ack(true, "",
          "view v" + std::to_string(version) + " superseded by v" + std::to_string(newest) +
              " on " + options_.node + " (not applied)");
    }
    return;
  }
  // Nothing below should throw; if something does, it is reported, not fatal.
  try {
    apply_body(version, body, ack);
  } catch (const std::exception& ex) {
    ack(false, std::string("internal error: ") + ex.what(),
        "view v" + std::to_string(version) + " on " + options_.node +
            " failed: internal error: " + ex.what());
  }
}

void VrouterAgent::apply_body(
    uint64_t version, const json& body,
    const std::function<void(bool, const std::string&, const std::string&)>& ack) {
  auto view = parse_agent_view(body);
  if (!view.is_ok()) {
    ack(false, view.status().message(),
        "view on " + options_.node + " rejected: " + view.status().message());
    return;
  }
  if (!view->node.empty() && view->node != options_.node) {
    const std::string error = "view for node " + view->node + " sent to " + options_.node;
    ack(false, error, error);
    return;
  }
  auto st = apply(*view);
  size_t running = 0;
  for (const auto& [vm, run] : sis_) running += run.pid != 0;
  const std::string counts = std::to_string(view->routes.size()) + " routes, " +
                             std::to_string(view->services.size()) + " services, " +
                             std::to_string(view->floating_ips.size()) + " floating IPs, " +
                             std::to_string(running) + " haproxy";
  if (st.is_ok()) {
    ack(true, "",
        "view v" + std::to_string(version) + " applied on " + options_.node + ": " + counts);
  } else {
    std::string first = st.message().substr(0, st.message().find('\n'));
    ack(false, st.message(),
        "view v" + std::to_string(version) + " on " + options_.node + " failed: " + first);
  }
}

core::Status VrouterAgent::apply(const AgentView& view) {
  std::vector<std::string> errors;
  for (const auto& p : view.problems) errors.push_back("view: " + p);
  if (auto st = dataplane_.sync_vrouter_local_addresses(options_.node, view.gateways);
      !st.is_ok()) {
    errors.push_back(st.message());
  }
  reconcile_endpoints(view, errors);
  view_ = std::make_shared<const AgentView>(view);
  kubelet_->on_view(view_);  // pods start on their own strand while haproxy starts here
  sync_routes(errors);
  std::optional<Ipv4> hairpin;
  if (!view.gateways.empty()) hairpin = *view.gateways.begin();
  nat_text_ = render_vrouter_nat(view.services, view.floating_ips, hairpin);
  if (auto st = dataplane_.set_vrouter_nat(options_.node, nat_text_); !st.is_ok())
    errors.push_back(st.message());
  reconcile_haproxy(view, errors);
  update_snapshot();
  if (errors.empty()) return core::Status::ok();
  return core::unavailable(join_errors(errors));
}

void VrouterAgent::reconcile_endpoints(const AgentView& view, std::vector<std::string>& errors) {
  std::map<std::string, const ViewServiceInstance*> desired;
  std::map<std::string, std::string> unusable;  // vm -> why
  for (const auto& s : view.service_instances) {
    if (s.usable) {
      desired[s.vm_uuid] = &s;
    } else {
      unusable[s.vm_uuid] = s.not_usable;
    }
  }
  for (auto it = sis_.begin(); it != sis_.end();) {
    if (desired.count(it->first)) {
      ++it;
      continue;
    }
    auto why = unusable.find(it->first);
    stop_si(it->second, why != unusable.end() ? "not usable: " + why->second : "deleted", errors);
    it = sis_.erase(it);
  }
  for (const auto& [vm, s] : desired) {
    const std::string netns = instance_netns_name(vm, s->lb_uuid);
    auto it = sis_.find(vm);
    if (it != sis_.end() && (it->second.netns != netns || it->second.spec.right != s->right)) {
      // Contrail: a create without --update (new interface): destroy and start over.
      stop_si(it->second, "its interface changed", errors);
      sis_.erase(it);
      it = sis_.end();
    }
    SiRun& run = sis_[vm];
    run.spec = *s;
    run.netns = netns;
    if (run.endpoint) continue;
    const ViewInterface& right = *s->right;
    const std::string mac = right.mac.empty() ? mac_from_iip_uuid(right.iip_uuid) : right.mac;
    run.vrouter_dev = instance_vrouter_name(right.uuid);
    auto ep =
        dataplane_.add_endpoint({options_.node, netns, instance_inside_name(right.uuid),
                                 run.vrouter_dev, mac, Ipv4Prefix{*right.ip, 32}, *right.gateway});
    if (!ep.is_ok()) {
      run.state = "failed";
      run.error = ep.status().message();
      run.last_command = "start";
      errors.push_back("service-instance " + s->si_name + ": " + run.error);
      publish_haproxy(
          run, "haproxy for " + s->si_name + " on " + options_.node + " failed: " + run.error);
      continue;
    }
    run.endpoint = true;
    ports_[right.uuid] = run.vrouter_dev;
  }
}

void VrouterAgent::sync_routes(std::vector<std::string>& errors) {
  if (!view_) return;
  std::vector<RouteSpec> specs;
  for (const auto& r : view_->routes) {
    if (r.local) {
      auto port = ports_.find(r.vmi);
      if (port == ports_.end()) continue;  // not plugged yet: routed once it is
      specs.push_back({r.prefix, std::nullopt, port->second});
      continue;
    }
    if (r.node == options_.node) continue;
    std::optional<Ipv4> via = dataplane_.node_underlay_ip(r.node);
    if (!via) via = r.underlay;
    if (!via) {
      errors.push_back("route " + r.prefix.str() + ": no underlay address for node " + r.node);
      continue;
    }
    specs.push_back({r.prefix, via, kVhost});
  }
  if (auto st = dataplane_.sync_vrouter_routes(options_.node, specs); !st.is_ok())
    errors.push_back(st.message());
}

void VrouterAgent::reconcile_haproxy(const AgentView& view, std::vector<std::string>& errors) {
  (void)view;
  for (auto& [vm, run] : sis_) {
    if (run.endpoint) apply_haproxy(run, "", false, errors);
  }
}

void VrouterAgent::apply_haproxy(SiRun& run, const std::string& cause, bool retry_failed,
                                 std::vector<std::string>& errors) {
  const ViewServiceInstance& s = run.spec;
  if (!retry_failed && run.state == "failed" && !run.failed_config.empty() &&
      run.failed_config == s.haproxy_config) {
    errors.push_back("service-instance " + s.si_name + " (lb " + s.lb_uuid + "): " + run.error);
    return;  // Contrail re-runs a failed start only when the properties change
  }
  const bool serving = run.state == "started" || run.state == "reloaded";
  const auto start = bus_.clock().now();
  auto r = haproxy_->apply({s.lb_uuid, run.netns, s.haproxy_config});
  const auto end = bus_.clock().now();
  if (!r.is_ok()) {
    run.state = "failed";
    run.error = r.status().message();
    run.failed_config = s.haproxy_config;
    run.last_command = serving ? "update" : "start";
    auto st = haproxy_->status(s.lb_uuid);
    run.pid = st ? st->pid : 0;
    errors.push_back("service-instance " + s.si_name + " (lb " + s.lb_uuid + "): " + run.error);
    publish_haproxy(run, "haproxy for " + s.si_name + " on " + options_.node +
                             " failed: " + run.error.substr(0, run.error.find('\n')));
    return;
  }
  // Unchanged, and nothing new to say (a TLS problem that appeared or went away is new).
  if (!r->changed && r->error == run.error && r->state == run.state) return;
  if (r->changed && r->state != "waiting") run.last_command = serving ? "update" : "start";
  run.state = r->state;
  run.error = r->error;
  run.failed_config.clear();
  run.pid = r->pid;
  run.binds = r->binds;
  run.adaptations = r->adaptations;
  run.certificates = r->certificates;
  const std::string vip = s.right->ip->str();
  const std::string why = cause.empty() ? "" : ": " + cause;
  const std::string not_served =
      r->error.empty() ? "" : "; not served: " + r->error.substr(0, r->error.find('\n'));
  if (r->state == "waiting") {
    // svc-monitor rendered no frontend yet (kube-manager's listeners come next): haproxy
    // starts with the first one.
    publish_haproxy(run, "haproxy for " + s.si_name + " on " + options_.node +
                             " waiting: its config has no frontend yet, nothing to serve on " +
                             vip + not_served);
    return;
  }
  const std::string serving_text = "haproxy pid " + std::to_string(r->pid) + " serving " + vip +
                                   ":" + ports_text(r->binds) + " in namespace " + run.netns;
  publish_haproxy(run,
                  serving_text + " (" + r->state + " on " + options_.node + why + ")" + not_served);
  if (r->changed) bus_.record(module(), "haproxy " + r->state, serving_text, start, end);
}

void VrouterAgent::on_secret_changed(const std::string& ns, const std::string& name) {
  auto life = life_;
  if (!life) return;
  bus_.post(module() + ".apply", [this, life, ns, name] {
    std::shared_lock l(life->mu);
    if (!life->alive) return;
    try {
      reload_for_secret(ns, name);
    } catch (const std::exception& ex) {
      const auto t = bus_.clock().now();
      bus_.record(module(), "secret reload failed", std::string("internal error: ") + ex.what(), t,
                  t);
    }
  });
}

void VrouterAgent::reload_for_secret(const std::string& ns, const std::string& name) {
  const std::string container = ns + "__" + name;
  std::vector<std::string> errors;
  bool any = false;
  for (auto& [vm, run] : sis_) {
    if (!run.endpoint) continue;
    auto used = tls_containers_in(run.spec.haproxy_config);
    if (!std::binary_search(used.begin(), used.end(), container)) continue;
    any = true;
    apply_haproxy(run, "Secret " + ns + "/" + name + " changed", true, errors);
  }
  if (!any) return;
  if (!errors.empty()) {
    const auto t = bus_.clock().now();
    bus_.record(module(), "secret reload failed", join_errors(errors), t, t);
  }
  update_snapshot();
}

void VrouterAgent::stop_si(SiRun& run, const std::string& why, std::vector<std::string>& errors) {
  const std::string lb = run.spec.lb_uuid;
  if (!lb.empty()) {
    if (auto st = haproxy_->stop(lb); !st.is_ok()) errors.push_back(st.message());
  }
  if (run.endpoint) {
    if (auto st = dataplane_.remove_endpoint(options_.node, run.netns); !st.is_ok())
      errors.push_back(st.message());
  }
  if (run.spec.right) ports_.erase(run.spec.right->uuid);
  const bool had_process = run.pid != 0;
  run.endpoint = false;
  run.pid = 0;
  run.state = "stopped";
  run.last_command = "stop";
  publish_haproxy(run, "haproxy for " + run.spec.si_name + " stopped on " + options_.node + " (" +
                           why + ")" + (had_process ? "" : ", it was not running"));
}

void VrouterAgent::publish_haproxy(const SiRun& run, const std::string& summary) {
  json ports = json::array();
  for (const auto& b : run.binds) ports.push_back(b.port);
  bus_.publish(module(), "agent.haproxy",
               {{"node", options_.node},
                {"si", run.spec.si_uuid},
                {"lb", run.spec.lb_uuid},
                {"vm", run.spec.vm_uuid},
                {"namespace", run.netns},
                {"pid", run.pid},
                {"vip", run.spec.right && run.spec.right->ip ? run.spec.right->ip->str() : ""},
                {"ports", ports},
                {"state", run.state},
                {"error", run.error},
                {"summary", summary}});
}

void VrouterAgent::on_port(const std::string& vmi, const std::string& dev, bool plugged) {
  if (plugged) {
    ports_[vmi] = dev;
  } else {
    auto it = ports_.find(vmi);
    if (it != ports_.end() && it->second == dev) ports_.erase(it);
  }
  std::vector<std::string> errors;
  sync_routes(errors);
  if (!errors.empty()) {
    const auto t = bus_.clock().now();
    bus_.record(module(), "route sync failed", join_errors(errors), t, t);
  }
  update_snapshot();
}

void VrouterAgent::update_snapshot() {
  json sis = json::array();
  for (const auto& [vm, run] : sis_) {
    json ports = json::array();
    for (const auto& b : run.binds) ports.push_back(b.port);
    json certificates = json::array();
    for (const auto& c : run.certificates)
      certificates.push_back({{"secret", c.secret},
                              {"file", c.file},
                              {"subject_cn", c.leaf.subject_cn},
                              {"sans", c.leaf.sans},
                              {"not_after", c.leaf.not_after}});
    sis.push_back({{"si", run.spec.si_uuid},
                   {"name", run.spec.si_name},
                   {"vm", vm},
                   {"lb", run.spec.lb_uuid},
                   {"namespace", run.netns},
                   {"vip", run.spec.right && run.spec.right->ip ? run.spec.right->ip->str() : ""},
                   {"ports", ports},
                   {"state", run.state},
                   {"pid", run.pid},
                   {"last_command", run.last_command},
                   {"error", run.error},
                   {"adaptations", run.adaptations},
                   {"certificates", certificates}});
  }
  json not_usable = json::array();
  if (view_) {
    for (const auto& s : view_->service_instances) {
      if (!s.usable)
        not_usable.push_back(
            {{"si", s.si_uuid}, {"name", s.si_name}, {"vm", s.vm_uuid}, {"why", s.not_usable}});
    }
  }
  json ports = json::object();
  for (const auto& [vmi, dev] : ports_) ports[vmi] = dev;
  std::lock_guard lock(snapshot_mu_);
  snapshot_["view_version"] = view_ ? view_->version : 0;
  snapshot_["service_instances"] = sis;
  snapshot_["not_usable"] = not_usable;
  snapshot_["ports"] = ports;
  snapshot_["nat"] = nat_text_;
}

void VrouterAgent::stop() {
  auto life = life_;
  if (!life) return;
  {
    std::unique_lock l(life->mu);
    if (!life->alive) return;
    life->alive = false;
  }
  bus_.publish(module(), "agent.status",
               {{"node", options_.node},
                {"state", "down"},
                {"underlay_ip", underlay_},
                {"summary", "vrouter agent " + options_.node + " down"}});
  if (kubelet_) kubelet_->stop();
  std::vector<std::string> errors;
  for (auto& [vm, run] : sis_) {
    if (run.state != "stopped") stop_si(run, "agent stopping", errors);
  }
  sis_.clear();
  ports_.clear();
  view_.reset();
  nat_text_.clear();
  if (haproxy_) haproxy_->stop_all();
  if (auto st = dataplane_.remove_node(options_.node); !st.is_ok()) errors.push_back(st.message());
  set_node_ready(false);
  if (!errors.empty()) {
    const auto t = bus_.clock().now();
    bus_.record(module(), "stop failed", join_errors(errors), t, t);
  }
  if (lock_fd_ >= 0) {
    close(lock_fd_);
    lock_fd_ = -1;
  }
  update_snapshot();
  std::lock_guard lock(snapshot_mu_);
  snapshot_["state"] = "down";
}

json VrouterAgent::introspect() const {
  json out;
  {
    std::lock_guard lock(snapshot_mu_);
    out = snapshot_;
  }
  out["node"] = options_.node;
  out["underlay_ip"] = underlay_;
  out["state_dir"] = options_.state_dir;
  if (kubelet_) out["pods"] = kubelet_->introspect()["pods"];
  if (haproxy_) {
    json h = json::array();
    for (const auto& s : haproxy_->list()) h.push_back(s);
    out["haproxy"] = h;
  }
  auto dp = dataplane_.introspect();
  if (dp["nodes"].contains(options_.node)) out["dataplane"] = dp["nodes"][options_.node];
  return out;
}

}  // namespace csim::agent
