// Cost of the config DB's common operations on ":memory:": creating a pod's objects
// (VM, VMI, instance-ip with IPAM allocation), reading, listing and back-refs.
// Run: bazel run -c opt //controller:config_db_benchmark
#include <benchmark/benchmark.h>

#include "controller/config_db.h"

namespace csim::controller {
namespace {

using nlohmann::json;

struct Fixture {
  core::SimulatedClock clock;
  core::Bus bus{clock, core::Bus::Mode::kDeterministic};
  ConfigDb db{bus, clock, ":memory:", 1};
  std::string vn;
  std::vector<std::string> vmis;
  int pods = 0;

  Fixture() {
    ConfigObject ipam;
    ipam.type = "network-ipam";
    ipam.fq_name = {"ipam"};
    ipam.props["ipam_subnets"] = {
        {"subnets",
         json::array({{{"subnet", {{"ip_prefix", "10.32.0.0"}, {"ip_prefix_len", 12}}}}})}};
    auto i = db.create(ipam);
    ConfigObject v;
    v.type = "virtual-network";
    v.fq_name = {"vn"};
    v.refs = {Ref{"network-ipam", i->uuid, {}, nullptr}};
    vn = db.create(v)->uuid;
  }

  void add_pod() {
    const std::string n = std::to_string(pods++);
    ConfigObject vm;
    vm.type = "virtual-machine";
    vm.fq_name = {"vm-" + n};
    auto m = db.create(vm);
    ConfigObject vmi;
    vmi.type = "virtual-machine-interface";
    vmi.fq_name = {"vmi-" + n};
    vmi.refs = {Ref{"virtual-machine", m->uuid, {}, nullptr},
                Ref{"virtual-network", vn, {}, nullptr}};
    auto f = db.create(vmi);
    vmis.push_back(f->uuid);
    ConfigObject iip;
    iip.type = "instance-ip";
    iip.fq_name = {"iip-" + n};
    iip.refs = {Ref{"virtual-network", vn, {}, nullptr},
                Ref{"virtual-machine-interface", f->uuid, {}, nullptr}};
    auto r = db.create(iip);
    if (!r.is_ok()) std::abort();
    if (pods % 256 == 0) bus.run_until_idle();  // keep the queue of notifications short
  }
};

void BM_CreatePod(benchmark::State& state) {
  Fixture f;
  for (auto _ : state) f.add_pod();
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_CreatePod);

void BM_Read(benchmark::State& state) {
  Fixture f;
  for (int i = 0; i < state.range(0); ++i) f.add_pod();
  size_t k = 0;
  for (auto _ : state) benchmark::DoNotOptimize(f.db.read(f.vmis[k++ % f.vmis.size()]));
}
BENCHMARK(BM_Read)->Arg(1000);

void BM_ListVmis(benchmark::State& state) {
  Fixture f;
  for (int i = 0; i < state.range(0); ++i) f.add_pod();
  for (auto _ : state) benchmark::DoNotOptimize(f.db.list("virtual-machine-interface"));
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_ListVmis)->Arg(100)->Arg(1000);

void BM_BackRefsOfNetwork(benchmark::State& state) {
  Fixture f;
  for (int i = 0; i < state.range(0); ++i) f.add_pod();
  for (auto _ : state) benchmark::DoNotOptimize(f.db.back_refs(f.vn, "instance-ip"));
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_BackRefsOfNetwork)->Arg(1000);

}  // namespace
}  // namespace csim::controller

BENCHMARK_MAIN();
