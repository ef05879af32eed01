// Benchmark: the config DB layer against raw SQLite, for the same rows (issue 4).
//
//   config DB  10,000 ConfigApi::create() calls on controller::ConfigDb over a real file
//              (WAL, synchronous=NORMAL, one transaction per API write), with the shapes
//              kube-manager writes (kube/kube_manager/config_ops.cc, *_reconciler.cc):
//              per Service a VIP VMI + instance-ip (allocated address), loadbalancer,
//              listener, pool and 3 members; per pod a VM, VMI and instance-ip.
//   raw        the very rows the config DB stored (objects, refs, ip_allocations, read
//              back from its file in insertion order), inserted into a fresh file with the
//              same schema (copied from sqlite_master) and the same pragmas, with prepared
//              statements:
//                per object  one transaction per object (its row, its refs, its address),
//                            the durability contract the config DB keeps (the baseline)
//                per row     every row in its own (autocommit) transaction
//
// Prints both times, per-object figures and the ratio config DB / raw per object
// (goal: ≤ 3). Run: bazel run -c opt //bench:config_db_vs_sqlite [-- --objects N]
#include <stdlib.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <map>
#include <string>
#include <tuple>
#include <vector>

#include "bench/raw_sqlite.h"
#include "controller/config_db.h"
#include "core/bus.h"
#include "core/clock.h"

namespace {

using namespace csim;
using controller::ConfigObject;
using controller::Ref;
using nlohmann::json;
using SteadyClock = std::chrono::steady_clock;

double ms_since(SteadyClock::time_point t0) {
  return std::chrono::duration<double, std::milli>(SteadyClock::now() - t0).count();
}

[[noreturn]] void die(const std::string& what) {
  std::fprintf(stderr, "config_db_vs_sqlite: %s\n", what.c_str());
  std::exit(1);
}

// A deterministic uuid4-shaped string (kube-manager passes its own uuid4s).
std::string uuid_of(uint64_t n) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "%08llx-0000-4000-8000-%012llx",
                static_cast<unsigned long long>((n >> 16) & 0xffffffffULL),
                static_cast<unsigned long long>(n & 0xffffffffffffULL));
  return buf;
}

json kvps(const std::vector<std::pair<std::string, std::string>>& kvs) {
  json list = json::array();
  for (const auto& [k, v] : kvs) list.push_back({{"key", k}, {"value", v}});
  return {{"key_value_pair", list}};
}

json k8s_annotations(const std::string& kind, const std::string& name,
                     std::vector<std::pair<std::string, std::string>> extra = {}) {
  std::vector<std::pair<std::string, std::string>> kvs = {
      {"kind", kind},           {"owner", "k8s"}, {"cluster", "k8s"}, {"project", "k8s-default"},
      {"namespace", "default"}, {"name", name}};
  for (auto& kv : extra) kvs.push_back(std::move(kv));
  return kvps(kvs);
}

// The objects that exist before kube-manager writes (not timed).
struct Base {
  ConfigObject project;
  std::string pod_vn, svc_vn, pod_subnet, svc_subnet, sg, sas;
};

ConfigObject must(core::Result<ConfigObject> r, const char* what) {
  if (!r.is_ok()) die(std::string("create ") + what + ": " + r.status().to_string());
  return std::move(*r);
}

Base make_base(controller::ConfigApi& db) {
  Base b;
  ConfigObject domain;
  domain.type = "domain";
  domain.fq_name = {"default-domain"};
  domain = must(db.create(domain), "domain");
  ConfigObject project;
  project.type = "project";
  project.fq_name = {"default-domain", "k8s-default"};
  project.parent_uuid = domain.uuid;
  b.project = must(db.create(project), "project");
  auto network = [&](const std::string& name, const std::string& prefix, int len,
                     std::string* subnet_uuid) {
    ConfigObject ipam;
    ipam.type = "network-ipam";
    ipam.fq_name = {"default-domain", "k8s-default", name + "-ipam"};
    ipam.parent_uuid = b.project.uuid;
    ipam.props["ipam_subnets"] = {
        {"subnets", json::array({{{"subnet", {{"ip_prefix", prefix}, {"ip_prefix_len", len}}}}})}};
    ipam = must(db.create(ipam), "network-ipam");
    *subnet_uuid = ipam.props["ipam_subnets"]["subnets"][0].value("subnet_uuid", "");
    ConfigObject vn;
    vn.type = "virtual-network";
    vn.fq_name = {"default-domain", "k8s-default", name};
    vn.parent_uuid = b.project.uuid;
    vn.refs = {Ref{"network-ipam", ipam.uuid, {}, nullptr}};
    return must(db.create(vn), "virtual-network").uuid;
  };
  b.pod_vn = network("k8s-default-pod-network", "10.32.0.0", 12, &b.pod_subnet);
  b.svc_vn = network("k8s-default-service-network", "10.96.0.0", 12, &b.svc_subnet);
  ConfigObject sg;
  sg.type = "security-group";
  sg.fq_name = {"default-domain", "k8s-default", "k8s-default-default-sg"};
  sg.parent_uuid = b.project.uuid;
  b.sg = must(db.create(sg), "security-group").uuid;
  ConfigObject gsc;
  gsc.type = "global-system-config";
  gsc.fq_name = {"default-global-system-config"};
  gsc = must(db.create(gsc), "global-system-config");
  ConfigObject sas;
  sas.type = "service-appliance-set";
  sas.fq_name = {"default-global-system-config", "native"};
  sas.parent_uuid = gsc.uuid;
  b.sas = must(db.create(sas), "service-appliance-set").uuid;
  return b;
}

// The objects to write, in an order kube-manager could write them: for each unit a
// Service (VIP VMI, instance-ip, loadbalancer, listener, pool) and 3 pods (VM, VMI,
// instance-ip), then the 3 pool members that point at the pods. 17 objects per unit.
std::vector<ConfigObject> workload(const Base& b, int count) {
  std::vector<ConfigObject> out;
  uint64_t next = 1;
  auto in_project = [&](ConfigObject& o, const std::string& type, const std::string& name) {
    o.type = type;
    o.uuid = uuid_of(next++);
    o.fq_name = b.project.fq_name;
    o.fq_name.push_back(name);
    o.parent_type = "project";
    o.parent_uuid = b.project.uuid;
  };
  const json perms2 = {{"owner", b.project.uuid}, {"owner_access", 7}};
  for (int unit = 0; static_cast<int>(out.size()) < count; ++unit) {
    const std::string svc = "svc-" + std::to_string(unit);
    const std::string lb_uuid = uuid_of(next++);
    // Service: VIP interface + instance-ip (kube-manager create_vip_interface).
    ConfigObject vmi;
    in_project(vmi, "virtual-machine-interface", "k8s__Service__" + svc + "__" + lb_uuid);
    vmi.props["display_name"] = "default__" + svc;
    vmi.props["virtual_machine_interface_device_owner"] = "K8S:LOADBALANCER";
    vmi.props["port_security_enabled"] = true;
    vmi.refs = {Ref{"virtual-network", b.svc_vn, {}, nullptr},
                Ref{"security-group", b.sg, {}, nullptr}};
    ConfigObject iip;
    iip.type = "instance-ip";
    iip.uuid = uuid_of(next++);
    iip.fq_name = {svc + "__" + iip.uuid};
    iip.props["display_name"] = svc;
    iip.props["subnet_uuid"] = b.svc_subnet;
    iip.props["perms2"] = perms2;
    iip.refs = {Ref{"virtual-network", b.svc_vn, {}, nullptr},
                Ref{"virtual-machine-interface", vmi.uuid, {}, nullptr}};
    ConfigObject lb;
    in_project(lb, "loadbalancer", svc + "__" + lb_uuid);
    lb.uuid = lb_uuid;
    lb.props["display_name"] = "default__" + svc;
    lb.props["loadbalancer_provider"] = "native";
    lb.props["loadbalancer_properties"] = {{"provisioning_status", "ACTIVE"},
                                           {"operating_status", "ONLINE"},
                                           {"vip_address", "10.96.0." + std::to_string(unit % 250)},
                                           {"admin_state", true}};
    lb.props["annotations"] = k8s_annotations("Service", svc);
    lb.refs = {Ref{"service-appliance-set", b.sas, {}, nullptr},
               Ref{"virtual-machine-interface", vmi.uuid, {}, nullptr}};
    ConfigObject ll;
    in_project(ll, "loadbalancer-listener", "");
    ll.fq_name.back() = lb.fq_name.back() + "-TCP-80-" + ll.uuid;
    ll.props["display_name"] = ll.fq_name.back();
    ll.props["loadbalancer_listener_properties"] = {
        {"protocol", "TCP"}, {"protocol_port", 80}, {"admin_state", true}};
    ll.props["annotations"] = kvps({{"portName", "http"}});
    ll.refs = {Ref{"loadbalancer", lb.uuid, {}, nullptr}};
    ConfigObject pool;
    in_project(pool, "loadbalancer-pool", ll.fq_name.back());
    pool.props["loadbalancer_pool_properties"] = {{"protocol", "TCP"}, {"admin_state", true}};
    pool.refs = {Ref{"loadbalancer-listener", ll.uuid, {}, nullptr}};
    for (auto* o : {&vmi, &iip, &lb, &ll, &pool}) out.push_back(*o);

    // Pods (pod_reconciler): VM (uuid = pod uid), VMI, instance-ip.
    std::vector<std::pair<std::string, std::string>> pods;  // vmi, vm
    for (int p = 0; p < 3; ++p) {
      const std::string pod = svc + "-pod-" + std::to_string(p);
      ConfigObject vm;
      vm.type = "virtual-machine";
      vm.uuid = uuid_of(next++);
      vm.fq_name = {pod + "__" + vm.uuid};
      vm.props["display_name"] = "default__" + pod;
      vm.props["server_type"] = "container";
      vm.props["perms2"] = perms2;
      vm.props["annotations"] = k8s_annotations(
          "Pod", pod, {{"k8s_uuid", vm.uuid}, {"labels", "{\"app\": \"" + svc + "\"}"}});
      ConfigObject pvmi;
      in_project(pvmi, "virtual-machine-interface", "");
      pvmi.fq_name.back() = pod + "__" + pvmi.uuid;
      pvmi.props["display_name"] = pvmi.fq_name.back();
      pvmi.props["port_security_enabled"] = true;
      pvmi.props["annotations"] =
          k8s_annotations("Pod", pod, {{"index", "0/1"}, {"network", "default"}});
      pvmi.refs = {Ref{"virtual-network", b.pod_vn, {}, nullptr},
                   Ref{"virtual-machine", vm.uuid, {}, nullptr},
                   Ref{"security-group", b.sg, {}, nullptr}};
      ConfigObject piip;
      piip.type = "instance-ip";
      piip.uuid = uuid_of(next++);
      piip.fq_name = {pod + "__" + piip.uuid};
      piip.props["display_name"] = piip.fq_name.front();
      piip.props["subnet_uuid"] = b.pod_subnet;
      piip.props["perms2"] = perms2;
      piip.props["annotations"] = k8s_annotations("Pod", pod);
      piip.refs = {Ref{"virtual-network", b.pod_vn, {}, nullptr},
                   Ref{"virtual-machine-interface", pvmi.uuid, {}, nullptr}};
      pods.emplace_back(pvmi.uuid, vm.uuid);
      for (auto* o : {&vm, &pvmi, &piip}) out.push_back(*o);
    }
    // Endpoints: one member per pod (endpoints_reconciler).
    for (const auto& [pvmi, vm] : pods) {
      ConfigObject m;
      m.type = "loadbalancer-member";
      m.uuid = uuid_of(next++);
      m.fq_name = pool.fq_name;
      m.fq_name.push_back(m.uuid);
      m.parent_type = "loadbalancer-pool";
      m.parent_uuid = pool.uuid;
      m.props["loadbalancer_member_properties"] = {
          {"protocol_port", 8080}, {"weight", 1}, {"admin_state", true}};
      m.props["annotations"] = kvps({{"vmi", pvmi}, {"vm", vm}});
      out.push_back(std::move(m));
    }
  }
  out.resize(count);
  return out;
}

// Creates `count` objects through the config DB at `path`; returns the time of the creates.
double run_config_db(const std::string& path, int count, std::map<std::string, int>* mix) {
  core::SystemClock& clock = core::SystemClock::instance();
  core::Bus bus(clock, core::Bus::Mode::kThreaded, 2);
  auto db = controller::ConfigDb::open(bus, clock, path, 1);
  if (!db.is_ok()) die(db.status().to_string());
  Base base = make_base(**db);
  std::vector<ConfigObject> objects = workload(base, count);
  if (mix) {
    mix->clear();
    for (const auto& o : objects) ++(*mix)[o.type];
  }
  const auto t0 = SteadyClock::now();
  for (auto& o : objects) must((*db)->create(std::move(o)), "object");
  const double ms = ms_since(t0);
  bus.run_until_idle();
  bus.shutdown();
  return ms;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  int count = 10000;
  int rounds = 3;
  std::string parent = "/tmp";
  bool config_db_only = false;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--objects") == 0 && i + 1 < argc) {
      count = std::atoi(argv[++i]);
    } else if (std::strcmp(argv[i], "--rounds") == 0 && i + 1 < argc) {
      rounds = std::atoi(argv[++i]);
    } else if (std::strcmp(argv[i], "--config-db-only") == 0) {
      config_db_only = true;  // for profiling the config DB alone
    } else if (std::strcmp(argv[i], "--dir") == 0 && i + 1 < argc) {
      parent = argv[++i];
    } else {
      die(std::string("unknown argument ") + argv[i] +
          " (usage: [--objects N] [--rounds R] [--dir PARENT] [--config-db-only])");
    }
  }
  if (count < 1 || count > 200000) die("--objects must be 1..200000");
  if (rounds < 1 || rounds > 20) die("--rounds must be 1..20");

  std::string tmpl = parent + "/csim-bench-cdb-XXXXXX";
  if (!mkdtemp(tmpl.data())) die("mkdtemp in " + parent + " failed: " + std::strerror(errno));
  const std::filesystem::path dir = tmpl;
  auto cleanup = [&] {
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  };

  std::map<std::string, int> mix;
  if (config_db_only) {
    const double ms = run_config_db((dir / "config.db").string(), count, &mix);
    std::printf("config DB: %d objects in %.1f ms (%.1f us/object)\n", count, ms,
                ms * 1000.0 / count);
    cleanup();
    return 0;
  }

  // Round 0's config DB file gives the rows raw SQLite writes in every round. Rounds
  // alternate which side runs first (the machine is shared; medians are reported).
  std::vector<double> cdb, raw_obj, raw_row;
  bench::ConfigDbRows d;
  size_t rows = 0;
  std::printf("config DB vs raw SQLite: %d objects, WAL, synchronous=NORMAL, files in %s\n", count,
              dir.c_str());
  for (int r = 0; r < rounds; ++r) {
    const std::filesystem::path rd = dir / ("round-" + std::to_string(r));
    std::filesystem::create_directory(rd);
    auto config_side = [&] {
      cdb.push_back(run_config_db((rd / "config.db").string(), count, &mix));
    };
    auto raw_side = [&] {
      for (auto [per, file, out] : {std::tuple{bench::TxnPer::kObject, "raw-object.db", &raw_obj},
                                    std::tuple{bench::TxnPer::kRow, "raw-row.db", &raw_row}}) {
        auto ms = bench::write_rows_raw(d, (rd / file).string(), count, per);
        if (!ms.is_ok()) die(ms.status().to_string());
        out->push_back(*ms);
      }
    };
    if (r == 0) {
      config_side();
      auto read = bench::read_config_db_rows((rd / "config.db").string());
      if (!read.is_ok()) die(read.status().to_string());
      d = std::move(*read);
      rows = d.row_count(count);
      raw_side();
    } else if (r % 2 == 1) {
      raw_side();
      config_side();
    } else {
      config_side();
      raw_side();
    }
    std::printf("  round %d: config DB %.1f ms, raw (txn/object) %.1f ms, raw (txn/row) %.1f ms\n",
                r, cdb.back(), raw_obj.back(), raw_row.back());
    std::error_code ec;
    std::filesystem::remove_all(rd, ec);
  }

  std::printf("rows: %zu (objects, refs, ip_allocations); mix:", rows);
  for (const auto& [type, n] : mix) std::printf(" %s=%d", type.c_str(), n);
  std::printf("\nmedian of %d round(s):\n", rounds);
  auto line = [&](const char* name, double ms) {
    std::printf("  %-34s %9.1f ms  %7.1f us/object  %8.0f objects/s\n", name, ms,
                ms * 1000.0 / count, count / (ms / 1000.0));
  };
  const double c = median(cdb), ro = median(raw_obj), rr = median(raw_row);
  line("config DB (1 txn per API write)", c);
  line("raw SQLite (1 txn per object)", ro);
  line("raw SQLite (1 txn per row)", rr);
  const double ratio = c / ro;
  std::printf("ratio config DB / raw (txn per object): %.2f  (goal <= 3: %s)\n", ratio,
              ratio <= 3.0 ? "met" : "NOT met");
  std::printf("ratio config DB / raw (txn per row):    %.2f\n", c / rr);
  cleanup();
  return 0;
}
