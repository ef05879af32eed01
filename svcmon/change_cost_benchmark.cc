// Cost per config change in svc-monitor and the control-node as the config grows.
//
//   bazel run -c opt //svcmon:change_cost_benchmark -- [--sizes 500,1000,2000] [--ops 100]
//                                                      [--setup svc-monitor|control-node|...]
//
// The real config DB on ":memory:" and a deterministic bus (one thread, so a module's cost
// is the wall time it adds). Each Service is written as kube-manager writes one (VIP VMI,
// clusterIP instance-ip, native loadbalancer, listener, pool, two members over pod VMIs);
// 20 pods run on node-1 / node-2. For every size N, N Services are created first, then
// `ops` more creates, `ops` patches (the listener's port) and `ops` deletes are timed, in
// four set-ups on fresh DBs:
//   db            the config DB alone (the floor);
//   svc-monitor   + svc-monitor (native provider: the clusterIP floating-ips);
//   control-node  + the control-node with no agent (what the control-plane bench runs);
//   cn+2 agents   + the control-node with node-1 and node-2 up (views are pushed; no
//                 svc-monitor, so no clusterIP floating-ips: views hold the pods only);
//   all+2 agents  svc-monitor + control-node + node-1, node-2 up: every view carries every
//                 Service, so each push is O(N) by contract (docs/contracts.md).
// Printed: microseconds per operation (writes + everything they cause), the module's
// share (set-up minus db), and with agents the xmpp pushes per operation and their size
// (entries: objects + routes + services + NAT). Figures only; nothing is asserted.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "controller/bootstrap.h"
#include "controller/config_db.h"
#include "controller/control_node.h"
#include "core/bus.h"
#include "core/clock.h"
#include "svcmon/svc_monitor.h"

namespace {

using csim::controller::ConfigObject;
using csim::controller::FqName;
using csim::controller::Ref;
using nlohmann::json;
using Steady = std::chrono::steady_clock;

constexpr int kPods = 20;
constexpr const char* kProject = "k8s-default";

enum class Setup { kDb, kSvcMonitor, kControlNode, kControlNodeAgents, kAll };

const char* setup_name(Setup s) {
  switch (s) {
    case Setup::kDb:
      return "db";
    case Setup::kSvcMonitor:
      return "svc-monitor";
    case Setup::kControlNode:
      return "control-node";
    case Setup::kControlNodeAgents:
      return "cn+2 agents";
    case Setup::kAll:
      return "all+2 agents";
  }
  return "?";
}

[[noreturn]] void die(const std::string& what) {
  std::fprintf(stderr, "change_cost_benchmark: %s\n", what.c_str());
  std::exit(1);
}

ConfigObject must(csim::core::Result<ConfigObject> r, const std::string& what) {
  if (!r.is_ok()) die(what + ": " + r.status().to_string());
  return *r;
}

void must(const csim::core::Status& s, const std::string& what) {
  if (!s.is_ok()) die(what + ": " + s.to_string());
}

ConfigObject make(const std::string& type, FqName fq, const std::string& parent_type = "",
                  const std::string& parent_uuid = "") {
  ConfigObject o;
  o.type = type;
  o.fq_name = std::move(fq);
  o.parent_type = parent_type;
  o.parent_uuid = parent_uuid;
  return o;
}

Ref ref(const std::string& type, const std::string& uuid, json attr = nullptr) {
  return Ref{type, uuid, {}, std::move(attr)};
}

json subnet(const std::string& ip, int len) {
  return {{"subnets", json::array({{{"subnet", {{"ip_prefix", ip}, {"ip_prefix_len", len}}}}})}};
}

struct Service {
  std::string vmi, iip, lb, listener, pool;
  std::vector<std::string> members;
};

class Cluster {
 public:
  explicit Cluster(Setup setup) : bus_(clock_, csim::core::Bus::Mode::kDeterministic) {
    db_ = std::make_unique<csim::controller::ConfigDb>(bus_, clock_, ":memory:", 11);
    must(csim::controller::provision_defaults(*db_), "provision_defaults");
    std::string vr[2];
    for (int i = 0; i < 2; ++i) {
      auto r = csim::controller::add_virtual_router(*db_, "node-" + std::to_string(i + 1),
                                                    "169.254.1." + std::to_string(i + 1));
      if (!r.is_ok()) die("add_virtual_router: " + r.status().to_string());
      vr[i] = *r;
    }
    auto domain = db_->read_fq("domain", {"default-domain"});
    project_ =
        must(db_->create(make("project", {"default-domain", kProject}, "domain", domain->uuid)),
             "project");
    auto pod_ipam =
        make("network-ipam", {"default-domain", kProject, "pod-ipam"}, "project", project_.uuid);
    pod_ipam.props["ipam_subnets"] = subnet("10.32.0.0", 12);
    pod_ipam = must(db_->create(pod_ipam), "pod ipam");
    auto pod_vn = make("virtual-network", {"default-domain", kProject, "pod-network"}, "project",
                       project_.uuid);
    pod_vn.refs = {ref("network-ipam", pod_ipam.uuid, {{"ipam_subnets", json::array()}})};
    pod_vn_ = must(db_->create(pod_vn), "pod vn").uuid;
    auto svc_ipam = make("network-ipam", {"default-domain", kProject, "service-ipam"}, "project",
                         project_.uuid);
    svc_ipam.props["ipam_subnets"] = subnet("10.96.0.0", 12);
    svc_ipam = must(db_->create(svc_ipam), "service ipam");
    auto svc_vn = make("virtual-network", {"default-domain", kProject, "service-network"},
                       "project", project_.uuid);
    svc_vn.refs = {ref("network-ipam", svc_ipam.uuid, {{"ipam_subnets", json::array()}})};
    svc_vn_ = must(db_->create(svc_vn), "service vn").uuid;
    for (int i = 0; i < kPods; ++i) {
      const std::string n = "pod-" + std::to_string(i);
      auto vm = must(db_->create(make("virtual-machine", {n + "-uid"})), "pod vm");
      auto vmi = make("virtual-machine-interface", {"default-domain", kProject, n}, "project",
                      project_.uuid);
      vmi.refs = {ref("virtual-machine", vm.uuid), ref("virtual-network", pod_vn_)};
      vmi = must(db_->create(vmi), "pod vmi");
      auto iip = make("instance-ip", {n + "-iip"});
      iip.refs = {ref("virtual-network", pod_vn_), ref("virtual-machine-interface", vmi.uuid)};
      must(db_->create(iip), "pod iip");
      must(db_->ref_update("virtual-router", vr[i % 2], "virtual-machine", vm.uuid,
                           csim::controller::RefOp::kAdd),
           "vr -> vm");
      pod_vmis_.push_back(vmi.uuid);
    }
    bus_.run_until_idle();
    if (setup == Setup::kSvcMonitor || setup == Setup::kAll) {
      monitor_ =
          std::make_unique<csim::svcmon::SvcMonitor>(bus_, *db_, csim::svcmon::SvcMonitorOptions{});
      must(monitor_->start(), "svc-monitor start");
    }
    if (setup == Setup::kControlNode || setup == Setup::kControlNodeAgents ||
        setup == Setup::kAll) {
      control_node_ = std::make_unique<csim::controller::ControlNode>(bus_, *db_);
      control_node_->start();
    }
    bus_.subscribe("bench", "xmpp.", [this](const csim::core::Envelope& e) {
      ++pushes_;
      push_objects_ += e.body["objects"].size() + e.body["routes"].size() +
                       e.body["services"].size() + e.body["floating_ips"].size();
    });
    if (setup == Setup::kControlNodeAgents || setup == Setup::kAll)
      for (int i = 1; i <= 2; ++i)
        bus_.publish("agent", "agent.status",
                     {{"node", "node-" + std::to_string(i)},
                      {"state", "up"},
                      {"underlay_ip", "169.254.1." + std::to_string(i)}});
    bus_.run_until_idle();
  }

  ~Cluster() { bus_.shutdown(); }

  // kube-manager's writes for a new Service, then everything they cause.
  void create_service(int i) {
    const std::string n = "svc-" + std::to_string(i);
    Service s;
    auto vmi = make("virtual-machine-interface", {"default-domain", kProject, n + "__vip"},
                    "project", project_.uuid);
    vmi.props["virtual_machine_interface_device_owner"] = "K8S:LOADBALANCER";
    vmi.refs = {ref("virtual-network", svc_vn_)};
    s.vmi = must(db_->create(vmi), "vip vmi").uuid;
    auto iip = make("instance-ip", {n + "__iip"});
    iip.refs = {ref("virtual-network", svc_vn_), ref("virtual-machine-interface", s.vmi)};
    auto iip_obj = must(db_->create(iip), "vip iip");
    s.iip = iip_obj.uuid;
    auto lb = make("loadbalancer", {"default-domain", kProject, n}, "project", project_.uuid);
    lb.props["loadbalancer_provider"] = "native";
    lb.props["loadbalancer_properties"] = {{"vip_address", iip_obj.props["instance_ip_address"]}};
    lb.refs = {ref("virtual-machine-interface", s.vmi)};
    s.lb = must(db_->create(lb), "lb").uuid;
    auto l = make("loadbalancer-listener", {"default-domain", kProject, n + "-TCP-80"}, "project",
                  project_.uuid);
    l.props["loadbalancer_listener_properties"] = {{"protocol", "TCP"}, {"protocol_port", 80}};
    l.refs = {ref("loadbalancer", s.lb)};
    s.listener = must(db_->create(l), "listener").uuid;
    auto p = make("loadbalancer-pool", {"default-domain", kProject, n + "-TCP-80"}, "project",
                  project_.uuid);
    p.props["loadbalancer_pool_properties"] = {{"protocol", "TCP"}};
    p.refs = {ref("loadbalancer-listener", s.listener)};
    s.pool = must(db_->create(p), "pool").uuid;
    for (int k = 0; k < 2; ++k) {
      auto m = make("loadbalancer-member",
                    {"default-domain", kProject, n + "-TCP-80", "m" + std::to_string(k)},
                    "loadbalancer-pool", s.pool);
      m.props["loadbalancer_member_properties"] = {{"protocol_port", 8080}, {"admin_state", true}};
      m.props["annotations"] = {
          {"key_value_pair",
           json::array({{{"key", "vmi"}, {"value", pod_vmis_[(i + k) % kPods]}}})}};
      s.members.push_back(must(db_->create(m), "member").uuid);
    }
    bus_.run_until_idle();
    services_.push_back(std::move(s));
  }

  // `kubectl apply` of a new port: the listener's port changes.
  void patch_service(size_t index, int port) {
    auto l = db_->read(services_[index].listener);
    if (!l) die("listener gone");
    l->props["loadbalancer_listener_properties"]["protocol_port"] = port;
    must(db_->update(*l), "listener update");
    bus_.run_until_idle();
  }

  // kube-manager's delete order; the clusterIP goes once svc-monitor let go of it.
  void delete_service(size_t index) {
    const Service& s = services_[index];
    for (const auto& m : s.members) must(db_->remove("loadbalancer-member", m), "member delete");
    must(db_->remove("loadbalancer-pool", s.pool), "pool delete");
    must(db_->remove("loadbalancer-listener", s.listener), "listener delete");
    must(db_->remove("loadbalancer", s.lb), "lb delete");
    bus_.run_until_idle();
    // Without svc-monitor nobody made the clusterIP floating-ip; with it, it is gone now.
    for (const auto& fip : db_->children(s.iip, "floating-ip"))
      must(db_->remove("floating-ip", fip.uuid), "fip delete");
    must(db_->remove("instance-ip", s.iip), "iip delete");
    must(db_->remove("virtual-machine-interface", s.vmi), "vmi delete");
    bus_.run_until_idle();
  }

  size_t services() const { return services_.size(); }
  // xmpp pushes so far, and their total entries (objects + routes + services + NAT).
  std::pair<size_t, size_t> pushes() const { return {pushes_, push_objects_}; }
  void clear_records() { bus_.clear_records(); }

 private:
  csim::core::SimulatedClock clock_;
  csim::core::Bus bus_;
  std::unique_ptr<csim::controller::ConfigDb> db_;
  std::unique_ptr<csim::svcmon::SvcMonitor> monitor_;
  std::unique_ptr<csim::controller::ControlNode> control_node_;
  ConfigObject project_;
  std::string pod_vn_, svc_vn_;
  std::vector<std::string> pod_vmis_;
  std::vector<Service> services_;
  size_t pushes_ = 0, push_objects_ = 0;
};

struct Figures {
  double fill_us = 0;  // mean per create while growing to N
  double create_us = 0, patch_us = 0, delete_us = 0;
  double pushes_per_op = 0, entries_per_push = 0;  // over the timed operations
};

double us_per(Steady::time_point t0, int n) {
  return std::chrono::duration<double, std::micro>(Steady::now() - t0).count() / n;
}

Figures measure(Setup setup, int size, int ops) {
  Cluster c(setup);
  Figures f;
  auto t0 = Steady::now();
  for (int i = 0; i < size; ++i) {
    c.create_service(i);
    if (i % 256 == 255) c.clear_records();
  }
  f.fill_us = us_per(t0, size);
  c.clear_records();
  const auto pushed = c.pushes();
  t0 = Steady::now();
  for (int i = 0; i < ops; ++i) c.create_service(size + i);
  f.create_us = us_per(t0, ops);
  t0 = Steady::now();
  for (int i = 0; i < ops; ++i) c.patch_service(static_cast<size_t>(i) * size / ops, 81);
  f.patch_us = us_per(t0, ops);
  t0 = Steady::now();
  for (int i = 0; i < ops; ++i) c.delete_service(static_cast<size_t>(size + i));
  f.delete_us = us_per(t0, ops);
  const auto after = c.pushes();
  const size_t n = after.first - pushed.first;
  f.pushes_per_op = static_cast<double>(n) / (3 * ops);
  f.entries_per_push = n ? static_cast<double>(after.second - pushed.second) / n : 0;
  return f;
}

std::vector<int> parse_sizes(const std::string& s) {
  std::vector<int> out;
  std::stringstream in(s);
  std::string part;
  while (std::getline(in, part, ',')) {
    int v = std::atoi(part.c_str());
    if (v <= 0 || v > 100000) die("bad size \"" + part + "\"");
    out.push_back(v);
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<int> sizes = {500, 1000, 2000};
  int ops = 100;
  std::string only;  // one set-up by name (profiling), else all
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--sizes" && i + 1 < argc) {
      sizes = parse_sizes(argv[++i]);
    } else if (a == "--ops" && i + 1 < argc) {
      ops = std::atoi(argv[++i]);
      if (ops <= 0 || ops > 10000) die("bad --ops");
    } else if (a == "--setup" && i + 1 < argc) {
      only = argv[++i];
    } else {
      die("usage: change_cost_benchmark [--sizes 500,1000,2000] [--ops 100] [--setup NAME]");
    }
  }
  std::printf("csim change cost: microseconds per Service operation (writes + what they cause)\n");
  std::printf("%-6s %-13s %10s %10s %10s %10s   %s\n", "N", "set-up", "fill", "create", "patch",
              "delete", "module share (set-up - db): create / patch / delete");
  for (int n : sizes) {
    Figures db;
    for (Setup s : {Setup::kDb, Setup::kSvcMonitor, Setup::kControlNode, Setup::kControlNodeAgents,
                    Setup::kAll}) {
      if (!only.empty() && only != setup_name(s) && s != Setup::kDb) continue;
      Figures f = measure(s, n, ops);
      if (s == Setup::kDb) db = f;
      std::printf("%-6d %-13s %10.0f %10.0f %10.0f %10.0f", n, setup_name(s), f.fill_us,
                  f.create_us, f.patch_us, f.delete_us);
      if (s != Setup::kDb)
        std::printf("   %8.0f / %8.0f / %8.0f", f.create_us - db.create_us,
                    f.patch_us - db.patch_us, f.delete_us - db.delete_us);
      if (f.pushes_per_op > 0)
        std::printf("   (%.1f pushes/op, %.0f entries/push)", f.pushes_per_op, f.entries_per_push);
      std::printf("\n");
      std::fflush(stdout);
    }
  }
  return 0;
}
