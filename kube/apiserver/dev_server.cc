// A stand-alone API server over an in-memory store, for poking it with kubectl by hand:
//   bazel run //kube/apiserver:dev_server -- /tmp/kubeconfig [PORT [SECONDS [TOKEN]]]
//   kubectl --kubeconfig /tmp/kubeconfig get ns
// Serves on 127.0.0.1 for SECONDS (default 600, at most 3600) or until SIGTERM/SIGINT.
// Not part of csim.
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <iostream>
#include <thread>

#include "core/bus.h"
#include "core/clock.h"
#include "kube/apiserver/kubeconfig.h"
#include "kube/apiserver/server.h"
#include "kube/memory_store.h"

namespace {
volatile std::sig_atomic_t g_stop = 0;
void on_signal(int) { g_stop = 1; }
}  // namespace

int main(int argc, char** argv) {
  using namespace csim;
  if (argc < 2) {
    std::cerr << "usage: dev_server KUBECONFIG [PORT [SECONDS [TOKEN]]]\n";
    return 2;
  }
  core::SystemClock& clock = core::SystemClock::instance();
  core::Bus bus(clock, core::Bus::Mode::kThreaded, 2);
  kube::MemoryObjectStore store(bus, clock);
  kube::apiserver::ApiServerOptions options;
  if (argc > 2) options.port = static_cast<uint16_t>(std::atoi(argv[2]));
  if (argc > 4) options.token = argv[4];
  kube::apiserver::ApiServer server(store, bus, options);
  auto port = server.start();
  if (!port.is_ok()) {
    std::cerr << port.status().to_string() << "\n";
    return 1;
  }
  if (auto s = kube::apiserver::write_kubeconfig(argv[1], server.url(), options.token); !s.is_ok()) {
    std::cerr << s.to_string() << "\n";
    return 1;
  }
  std::cout << "listening on " << server.url() << ", kubeconfig " << argv[1] << std::endl;
  long seconds = argc > 3 ? std::atol(argv[3]) : 600;
  if (seconds <= 0 || seconds > 3600) seconds = 3600;
  std::signal(SIGTERM, on_signal);
  std::signal(SIGINT, on_signal);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
  while (std::chrono::steady_clock::now() < deadline && !g_stop)
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  server.stop();
  return 0;
}
