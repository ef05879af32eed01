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
#include <sqlite3.h>
#include <stdlib.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

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
  char buf[40];
  std::snprintf(buf, sizeof buf, "%08llx-0000-4000-8000-%012llx",
                static_cast<unsigned long long>(n >> 16), static_cast<unsigned long long>(n));
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
      {"kind", kind},          {"owner", "k8s"},        {"cluster", "k8s"},
      {"project", "k8s-default"}, {"namespace", "default"}, {"name", name}};
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
        {"subnets",
         json::array({{{"subnet", {{"ip_prefix", prefix}, {"ip_prefix_len", len}}}}})}};
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

// ---- raw SQLite ----

void check(int rc, sqlite3* db, const char* what) {
  if (rc != SQLITE_OK && rc != SQLITE_DONE && rc != SQLITE_ROW)
    die(std::string(what) + ": " + sqlite3_errmsg(db));
}

sqlite3* open_db(const std::string& path) {
  sqlite3* db = nullptr;
  check(sqlite3_open_v2(path.c_str(), &db,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr),
        db, path.c_str());
  sqlite3_busy_timeout(db, 5000);
  // The config DB's pragmas (controller/sqlite_db.cc).
  check(sqlite3_exec(db, "PRAGMA foreign_keys=ON; PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
                     nullptr, nullptr, nullptr),
        db, "pragmas");
  return db;
}

struct Stmt {
  sqlite3* db;
  sqlite3_stmt* s = nullptr;
  Stmt(sqlite3* d, const char* sql) : db(d) {
    check(sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, &s, nullptr), db, sql);
  }
  ~Stmt() { sqlite3_finalize(s); }
  void run(const char* what) {
    check(sqlite3_step(s), db, what);
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
  }
};

// Rows as stored: each column as text or integer (the config DB uses both).
struct Value {
  bool is_int = false;
  int64_t i = 0;
  std::string t;
};
using Row = std::vector<Value>;

struct ObjectRows {
  Row object;
  std::vector<Row> refs;
  std::vector<Row> allocations;
};

std::vector<Row> select_all(sqlite3* db, const std::string& sql) {
  Stmt q(db, sql.c_str());
  std::vector<Row> out;
  for (;;) {
    int rc = sqlite3_step(q.s);
    if (rc == SQLITE_DONE) break;
    check(rc, db, sql.c_str());
    Row r;
    for (int c = 0; c < sqlite3_column_count(q.s); ++c) {
      Value v;
      if (sqlite3_column_type(q.s, c) == SQLITE_INTEGER) {
        v.is_int = true;
        v.i = sqlite3_column_int64(q.s, c);
      } else {
        const unsigned char* t = sqlite3_column_text(q.s, c);
        v.t = t ? std::string(reinterpret_cast<const char*>(t), sqlite3_column_bytes(q.s, c)) : "";
      }
      r.push_back(std::move(v));
    }
    out.push_back(std::move(r));
  }
  return out;
}

void bind_row(Stmt& st, const Row& row) {
  for (size_t c = 0; c < row.size(); ++c) {
    int i = static_cast<int>(c + 1);
    if (row[c].is_int)
      sqlite3_bind_int64(st.s, i, row[c].i);
    else
      sqlite3_bind_text(st.s, i, row[c].t.data(), static_cast<int>(row[c].t.size()), SQLITE_STATIC);
  }
}

struct Dump {
  std::vector<std::string> schema;  // CREATE statements in creation order
  std::vector<Row> schema_version;
  std::vector<ObjectRows> objects;  // in insertion order
};

Dump dump(const std::string& path) {
  sqlite3* db = open_db(path);
  Dump d;
  for (auto& r : select_all(db, "SELECT sql FROM sqlite_master WHERE sql IS NOT NULL ORDER BY rowid"))
    d.schema.push_back(r[0].t);
  d.schema_version = select_all(db, "SELECT version FROM schema_version");
  std::map<std::string, size_t> index;
  for (auto& r : select_all(db,
                            "SELECT uuid, type, fq_name, parent_type, parent_uuid, props, created, "
                            "last_modified FROM objects ORDER BY rowid")) {
    index[r[0].t] = d.objects.size();
    d.objects.push_back({std::move(r), {}, {}});
  }
  for (auto& r : select_all(db, "SELECT from_uuid, to_type, to_uuid, attr, seq FROM refs ORDER BY rowid"))
    d.objects[index.at(r[0].t)].refs.push_back(std::move(r));
  for (auto& r : select_all(db, "SELECT subnet, address, owner_uuid FROM ip_allocations ORDER BY rowid"))
    d.objects[index.at(r[2].t)].allocations.push_back(std::move(r));
  sqlite3_close(db);
  return d;
}

enum class TxnPer { kObject, kRow };

// Writes the dump into a fresh file; returns the time of the last `timed` objects.
double raw_insert(const Dump& d, const std::string& path, size_t timed, TxnPer per) {
  sqlite3* db = open_db(path);
  for (const auto& sql : d.schema) check(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr), db, sql.c_str());
  double ms = 0;
  {
    Stmt version(db, "INSERT INTO schema_version (version) VALUES (?1)");
    for (const auto& r : d.schema_version) {
      bind_row(version, r);
      version.run("schema_version");
    }
    Stmt obj(db,
             "INSERT INTO objects (uuid, type, fq_name, parent_type, parent_uuid, props, created, "
             "last_modified) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)");
    Stmt ref(db, "INSERT INTO refs (from_uuid, to_type, to_uuid, attr, seq) VALUES (?1, ?2, ?3, ?4, ?5)");
    Stmt alloc(db, "INSERT INTO ip_allocations (subnet, address, owner_uuid) VALUES (?1, ?2, ?3)");
    Stmt begin(db, "BEGIN IMMEDIATE"), commit(db, "COMMIT");
    const size_t first_timed = d.objects.size() - timed;
    SteadyClock::time_point t0;
    for (size_t i = 0; i < d.objects.size(); ++i) {
      if (i == first_timed) t0 = SteadyClock::now();
      const ObjectRows& o = d.objects[i];
      if (per == TxnPer::kObject) begin.run("begin");
      bind_row(obj, o.object);
      obj.run("insert object");
      for (const auto& r : o.refs) {
        bind_row(ref, r);
        ref.run("insert ref");
      }
      for (const auto& r : o.allocations) {
        bind_row(alloc, r);
        alloc.run("insert allocation");
      }
      if (per == TxnPer::kObject) commit.run("commit");
    }
    ms = ms_since(t0);
  }
  sqlite3_close(db);
  return ms;
}

}  // namespace

int main(int argc, char** argv) {
  int count = 10000;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--objects") == 0 && i + 1 < argc) count = std::atoi(argv[++i]);
  }
  if (count < 1 || count > 200000) die("--objects must be 1..200000");

  char tmpl[] = "/tmp/csim-bench-cdb-XXXXXX";
  if (!mkdtemp(tmpl)) die("mkdtemp failed");
  const std::filesystem::path dir = tmpl;

  // ---- config DB ----
  double cdb_ms = 0;
  std::map<std::string, int> mix;
  {
    core::SystemClock& clock = core::SystemClock::instance();
    core::Bus bus(clock, core::Bus::Mode::kThreaded, 2);
    auto db = controller::ConfigDb::open(bus, clock, (dir / "config.db").string(), 1);
    if (!db.is_ok()) die(db.status().to_string());
    Base base = make_base(**db);
    std::vector<ConfigObject> objects = workload(base, count);
    for (const auto& o : objects) ++mix[o.type];
    const auto t0 = SteadyClock::now();
    for (auto& o : objects) must((*db)->create(std::move(o)), "object");
    cdb_ms = ms_since(t0);
    bus.run_until_idle();
    bus.shutdown();
  }

  // ---- raw SQLite, the same rows ----
  Dump d = dump((dir / "config.db").string());
  size_t rows = 0;
  for (size_t i = d.objects.size() - count; i < d.objects.size(); ++i)
    rows += 1 + d.objects[i].refs.size() + d.objects[i].allocations.size();
  const double raw_obj_ms = raw_insert(d, (dir / "raw-object.db").string(), count, TxnPer::kObject);
  const double raw_row_ms = raw_insert(d, (dir / "raw-row.db").string(), count, TxnPer::kRow);

  std::printf("config DB vs raw SQLite: %d objects (%zu rows: objects, refs, ip_allocations), "
              "WAL, synchronous=NORMAL, file in %s\n",
              count, rows, dir.c_str());
  std::printf("mix:");
  for (const auto& [type, n] : mix) std::printf(" %s=%d", type.c_str(), n);
  std::printf("\n");
  auto line = [&](const char* name, double ms) {
    std::printf("  %-34s %9.1f ms  %7.1f us/object  %8.0f objects/s\n", name, ms,
                ms * 1000.0 / count, count / (ms / 1000.0));
  };
  line("config DB (1 txn per API write)", cdb_ms);
  line("raw SQLite (1 txn per object)", raw_obj_ms);
  line("raw SQLite (1 txn per row)", raw_row_ms);
  const double ratio = cdb_ms / raw_obj_ms;
  std::printf("ratio config DB / raw (txn per object): %.2f  (goal <= 3: %s)\n", ratio,
              ratio <= 3.0 ? "met" : "NOT met");
  std::printf("ratio config DB / raw (txn per row):    %.2f\n", cdb_ms / raw_row_ms);
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  return 0;
}
