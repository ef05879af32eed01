#include "sim/cluster.h"

#include <filesystem>
#include <set>
#include <thread>

#include "agent/dataplane.h"
#include "agent/gateway.h"
#include "agent/http_client.h"
#include "agent/vrouter_agent.h"
#include "controller/config_api.h"
#include "controller/control_node.h"
#include "kube/apply.h"
#include "kube/object_store.h"
#include "kube/object_util.h"
#include "kube/secret.h"
#include "sim/control_plane.h"

namespace csim::sim {
namespace {

using std::chrono::milliseconds;

// The service-instance binding that carries svc-monitor's haproxy text.
std::string binding(const controller::ConfigObject& si, const std::string& key) {
  auto b = si.props.find("service_instance_bindings");
  if (b == si.props.end()) return "";
  for (const auto& kv : b->value("key_value_pair", nlohmann::json::array()))
    if (kv.value("key", "") == key) return kv.value("value", "");
  return "";
}

// The agents' certificate source: Secrets of the Kubernetes store (what Contrail's agent
// fetches from the API server, contrail-reference.md §4.6). Secret changes reach the agents
// through kube.watch.secret, to which they subscribe themselves.
agent::TlsSecretSource tls_secrets_from(kube::ObjectStore& store) {
  return [&store](const std::string& ns, const std::string& name) -> core::Result<agent::TlsSecret> {
    auto secret = store.get("Secret", ns, name);
    if (!secret) return core::not_found("Secret " + ns + "/" + name + " does not exist");
    auto pair = kube::tls_key_pair(*secret);
    if (!pair.is_ok()) return pair.status();
    return agent::TlsSecret{pair->certificate_pem, pair->private_key_pem};
  };
}

}  // namespace

class Cluster::Impl {
 public:
  ClusterOptions options;
  std::unique_ptr<core::Bus> bus;
  std::unique_ptr<ControlPlane> control_plane;
  std::unique_ptr<agent::Dataplane> dataplane;
  std::unique_ptr<agent::Gateway> gateway;
  std::vector<std::unique_ptr<agent::VrouterAgent>> agents;
  bool stopped = false;

  // The newest ack per node and the haproxy reports, from the bus (observer-free: a
  // subscriber of its own, "cluster").
  std::mutex mu;
  std::map<std::string, uint64_t> acked;          // node -> version
  std::map<std::string, nlohmann::json> haproxy;  // "<node>/<lb>" -> last agent.haproxy body
};

Cluster::Cluster(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Cluster::~Cluster() { stop(); }

core::Result<std::unique_ptr<Cluster>> Cluster::start(const ClusterOptions& options) {
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  impl->bus = std::make_unique<core::Bus>(core::SystemClock::instance(), options.bus_mode);
  Impl* raw = impl.get();
  impl->bus->subscribe("cluster", "agent.ack", [raw](const core::Envelope& e) {
    if (!e.body.value("ok", false)) return;
    std::lock_guard lock(raw->mu);
    uint64_t& v = raw->acked[e.body.value("node", "")];
    v = std::max<uint64_t>(v, e.body.value("version", 0));
  });
  impl->bus->subscribe("cluster", "agent.haproxy", [raw](const core::Envelope& e) {
    std::lock_guard lock(raw->mu);
    raw->haproxy[e.body.value("node", "") + "/" + e.body.value("lb", "")] = e.body;
  });

  impl->dataplane = std::make_unique<agent::Dataplane>();
  if (auto st = impl->dataplane->create_fabric(); !st.is_ok()) return st;

  // Nodes first: their underlay addresses go into the virtual-routers.
  ControlPlaneOptions cp;
  cp.config_db_path = options.state_dir + "/config.db";
  cp.state_dir = "/var/lib/contrail";
  cp.seed = options.seed;
  cp.semantics = options.semantics;
  if (options.persist) cp.kube_db_path = options.state_dir + "/kube.db";
  cp.nodes.clear();
  for (const auto& node : options.nodes) {
    auto ip = impl->dataplane->add_node(node);
    if (!ip.is_ok()) return ip.status();
    cp.nodes.emplace_back(node, ip->to_string());
  }
  auto control_plane = ControlPlane::start(*impl->bus, core::SystemClock::instance(), cp);
  if (!control_plane.is_ok()) return control_plane.status();
  impl->control_plane = std::move(*control_plane);

  impl->gateway = std::make_unique<agent::Gateway>(*impl->bus, *impl->dataplane);
  impl->gateway->start();
  for (const auto& [node, underlay] : cp.nodes) {
    agent::AgentOptions ao;
    ao.node = node;
    ao.underlay_ip = underlay;
    ao.state_dir = options.state_dir + "/" + node;
    ao.csim_binary_path = options.csim_binary;
    ao.tls_secrets = tls_secrets_from(impl->control_plane->store());
    std::filesystem::create_directories(ao.state_dir);
    auto a = std::make_unique<agent::VrouterAgent>(*impl->bus, *impl->dataplane,
                                                   impl->control_plane->store(), ao);
    if (auto st = a->start(); !st.is_ok()) return st;
    impl->agents.push_back(std::move(a));
  }
  impl->bus->run_until_idle(std::chrono::seconds(10));
  return std::unique_ptr<Cluster>(new Cluster(std::move(impl)));
}

core::Bus& Cluster::bus() { return *impl_->bus; }
kube::ObjectStore& Cluster::store() { return impl_->control_plane->store(); }
controller::ConfigApi& Cluster::config() { return impl_->control_plane->config(); }

core::Result<uint64_t> Cluster::apply_file(const std::string& path, const std::string& ns) {
  core::TraceScope scope(*impl_->bus, "cli", "apply " + path);
  auto report = kube::apply_file(store(), path, ns);
  if (!report.is_ok()) return report.status();
  return scope.trace_id();
}

core::Result<uint64_t> Cluster::delete_file(const std::string& path, const std::string& ns) {
  core::TraceScope scope(*impl_->bus, "cli", "delete " + path);
  auto report = kube::delete_file(store(), path, ns);
  if (!report.is_ok()) return report.status();
  return scope.trace_id();
}

std::vector<std::string> Cluster::ingress_addresses(const std::string& ns, const std::string& name) {
  std::vector<std::string> out;
  auto ing = store().get("Ingress", ns, name);
  if (!ing) return out;
  auto list = ing->value("status", nlohmann::json::object())
                  .value("loadBalancer", nlohmann::json::object())
                  .value("ingress", nlohmann::json::array());
  for (const auto& e : list)
    if (e.contains("ip")) out.push_back(e["ip"]);
  return out;
}

core::Status Cluster::wait_ingress_ready(const std::string& ns, const std::string& name,
                                         milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::string waiting_for;
  while (std::chrono::steady_clock::now() < deadline) {
    waiting_for.clear();
    auto ing = store().get("Ingress", ns, name);
    if (!ing) return core::not_found("ingress " + ns + "/" + name + " does not exist");
    const std::string uid = (*ing)["metadata"]["uid"];
    if (ingress_addresses(ns, name).empty()) waiting_for = "the Ingress's addresses (kube-manager)";
    // Every pod of the namespace ready.
    if (waiting_for.empty()) {
      for (const auto& pod : store().list("Pod", ns)) {
        if (!kube::pod_is_ready(pod)) {
          waiting_for = "pod " + pod["metadata"].value("name", "") + " to be ready";
          break;
        }
      }
    }
    // Every agent applied the newest view the control-node sent it, and in that very view
    // every Service of the namespace is spread over all its ready pods (one snapshot per
    // agent: a newer view published meanwhile is not yet applied).
    if (waiting_for.empty()) {
      for (const auto& a : impl_->agents) {
        auto view = impl_->control_plane->control_node().view_of(a->node());
        uint64_t want = view.is_object() ? view.value("version", 0) : 0;
        {
          std::lock_guard lock(impl_->mu);
          if (impl_->acked[a->node()] < want) {
            waiting_for = a->node() + " to apply view v" + std::to_string(want);
            break;
          }
        }
        waiting_for = services_not_ready(ns, a->node(), view);
        if (!waiting_for.empty()) break;
      }
    }
    // The gateway routes the external IP.
    if (waiting_for.empty()) {
      auto addresses = ingress_addresses(ns, name);
      if (addresses.size() > 1) {
        bool routed = false;
        for (const auto& r : impl_->gateway->introspect().value("routes", nlohmann::json::array()))
          routed |= r.is_string() && r.get<std::string>().rfind(addresses[0] + "/32 ", 0) == 0;
        if (!routed) waiting_for = "the gateway's route to " + addresses[0];
      }
    }
    // haproxy serving (with its frontends) on both instances.
    if (waiting_for.empty()) {
      int serving = 0;
      std::lock_guard lock(impl_->mu);
      for (const auto& [key, body] : impl_->haproxy) {
        if (body.value("lb", "") == uid) {
          std::string state = body.value("state", "");
          const bool has_frontend = !body.value("ports", nlohmann::json::array()).empty();
          if ((state == "started" || state == "reloaded") && has_frontend) ++serving;
          if (state == "failed") return core::unavailable("haproxy failed on " + body.value("node", "") + ": " + body.value("error", ""));
        }
      }
      if (serving < 2) waiting_for = "haproxy on both instances (" + std::to_string(serving) + " serving)";
    }
    if (waiting_for.empty()) return core::Status::ok();
    std::this_thread::sleep_for(milliseconds(5));
  }
  return core::unavailable("timed out after " + std::to_string(timeout.count()) + " ms waiting for " + waiting_for);
}

std::string Cluster::services_not_ready(const std::string& ns, const std::string& node,
                                       const nlohmann::json& view) {
  for (const auto& svc : store().list("Service", ns)) {
    const std::string name = svc["metadata"].value("name", "");
    const std::string cluster_ip = svc["spec"].value("clusterIP", "");
    if (cluster_ip.empty() || cluster_ip == "None") continue;
    auto endpoints = store().get("Endpoints", ns, name);
    size_t ready = 0;
    if (endpoints)
      for (const auto& subset : endpoints->value("subsets", nlohmann::json::array()))
        ready += subset.value("addresses", nlohmann::json::array()).size();
    if (ready == 0) continue;  // nothing to spread over yet (or a Service without pods)
    std::set<std::string> backends;
    for (const auto& s : view.value("services", nlohmann::json::array()))
      if (s.value("cluster_ip", "") == cluster_ip)
        for (const auto& b : s.value("backends", nlohmann::json::array())) backends.insert(b.value("ip", ""));
    if (backends.size() < ready)
      return "service " + name + " spread over " + std::to_string(ready) + " pods on " + node + " (" +
             std::to_string(backends.size()) + " so far)";
  }
  return "";
}

Reply Cluster::request(const std::string& ip, int port, const std::string& host, const std::string& path,
                       milliseconds timeout, bool tls) {
  Reply reply;
  agent::HttpRequestSpec spec;
  spec.netns = impl_->dataplane->external_ns()->name();
  spec.ip = ip;
  spec.port = port;
  spec.host_header = host;
  spec.path = path;
  spec.timeout = timeout;
  spec.tls = tls;
  auto r = agent::http_request(spec);
  if (r.is_ok() && r->tls) {
    const auto& c = r->tls->certificate;
    reply.certificate_sha256 = c.sha256;
    if (!c.subject_cn.empty()) reply.certificate_names.push_back(c.subject_cn);
    for (const auto& san : c.sans)
      if (san != c.subject_cn) reply.certificate_names.push_back(san);
  }
  if (!r.is_ok()) {
    reply.error = r.status().message();
    return reply;
  }
  reply.status = r->status;
  reply.body = r->body;
  reply.echo = nlohmann::json::parse(r->body, nullptr, false);
  if (reply.echo.is_discarded()) reply.echo = nullptr;
  return reply;
}

std::string Cluster::faithful_haproxy_config(const std::string& ingress_uid) {
  auto lb = config().read(ingress_uid);
  if (!lb) return "";
  for (const auto& si_uuid : lb->ref_uuids("service-instance")) {
    if (auto si = config().read(si_uuid)) return binding(*si, "haproxy_config");
  }
  return "";
}

nlohmann::json Cluster::agents_introspect() {
  nlohmann::json out = nlohmann::json::object();
  for (const auto& a : impl_->agents) out[a->node()] = a->introspect();
  return out;
}

void Cluster::stop() {
  if (!impl_ || impl_->stopped) return;
  impl_->stopped = true;
  for (auto& a : impl_->agents) a->stop();
  // No module runs after this; then modules can go in any order.
  impl_->bus->shutdown(std::chrono::seconds(10));
  if (impl_->dataplane) impl_->dataplane->destroy();
}

}  // namespace csim::sim
