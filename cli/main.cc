// csim: one binary, several commands. See `csim help`.
#include <unistd.h>

#include <climits>
#include <cstring>
#include <iostream>
#include <string>
#include <vector>

#include "agent/echo_server.h"
#include "agent/sandbox.h"
#include "cli/daemon_commands.h"
#include "cli/demo.h"
#include "core/bus.h"
#include "core/malloc_tuning.h"
#include "kube/apply.h"
#include "kube/memory_store.h"
#include "scenario/test_command.h"
#include "semantics/lint_command.h"

namespace {

constexpr const char* kUsage = R"(csim: OpenContrail's Kubernetes Ingress path, simulated on one machine

usage:
  csim demo [FILE] [--semantics contrail|kubernetes] [--quiet] [--full-trace] [--trace-json OUT] [--chrome-trace OUT]
        start the cluster, apply FILE (default testdata/simple-fanout.yaml), send real
        requests through haproxy, print the haproxy config and the trace; exit 0 only if
        every request was routed right
  csim lint [--format text|json] FILE...
        where Contrail's routing of each Ingress differs from the Kubernetes rules, and
        plain mistakes (missing Services, duplicate paths); exit 1 when anything is found
  csim echo-server --pod P --namespace N --node X --labels JSON --port N...
        (internal) the HTTP echo server every simulated pod runs
  csim help
)";

std::string self_path() {
  char buf[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) return "/proc/self/exe";
  buf[n] = '\0';
  return buf;
}

csim::core::Status dry_run_apply(const std::string& file) {
  csim::core::SimulatedClock clock;
  csim::core::Bus bus(clock, csim::core::Bus::Mode::kDeterministic);
  csim::kube::MemoryObjectStore store(bus, clock);
  auto report = csim::kube::apply_file(store, file);
  return report.is_ok() ? csim::core::Status::ok() : report.status();
}

int demo_main(int argc, char** argv) {
  csim::cli::DemoOptions options;
  options.csim_binary = self_path();
  bool file_seen = false;
  for (int i = 2; i < argc; ++i) {
    std::string arg = argv[i];
    auto value = [&](const char* flag) -> std::string {
      if (i + 1 >= argc) {
        std::cerr << "csim demo: " << flag << " needs a value\n";
        std::exit(2);
      }
      return argv[++i];
    };
    if (arg == "--quiet") {
      options.narrate = false;
    } else if (arg == "--semantics") {
      options.semantics = value("--semantics");
      if (options.semantics != "contrail" && options.semantics != "kubernetes") {
        std::cerr << "csim demo: --semantics is contrail or kubernetes (got " << options.semantics << ")\n";
        return 2;
      }
    } else if (arg == "--full-trace") {
      options.full_trace = true;
    } else if (arg == "--trace-json") {
      options.json_trace_path = value("--trace-json");
    } else if (arg == "--chrome-trace") {
      options.chrome_trace_path = value("--chrome-trace");
    } else if (!arg.empty() && arg[0] == '-') {
      std::cerr << "csim demo: unknown option " << arg << "\n" << kUsage;
      return 2;
    } else if (!file_seen) {
      options.file = arg;
      file_seen = true;
    } else {
      std::cerr << "csim demo: one file at a time (got " << options.file << " and " << arg << ")\n";
      return 2;
    }
  }
  if (access(options.file.c_str(), R_OK) != 0) {
    std::cerr << "csim demo: cannot read " << options.file << ": " << std::strerror(errno) << "\n";
    return 2;
  }
  // Refuse bad input before anything starts: a dry run on an empty scratch store checks
  // everything the real apply will (syntax, kinds, fields, references between objects).
  if (auto st = dry_run_apply(options.file); !st.is_ok()) {
    std::cerr << "csim demo: " << st.message() << "\n";
    return 1;
  }
  // Everything below runs in csim's private sandbox (user + mount + net + PID namespaces).
  if (auto st = csim::agent::enter_sandbox(argc, argv); !st.is_ok()) {
    std::cerr << "csim: " << st.message() << "\n";
    return 1;
  }
  return csim::cli::run_demo(options);
}

}  // namespace

int main(int argc, char** argv) {
  // Two malloc arenas and, for the commands that run the control plane, a larger
  // per-thread cache (csim re-executes itself once to set the glibc tunable; see
  // core/malloc_tuning.h). Short commands (curl, status, lint, the pods' echo servers)
  // skip the second exec: ~10 ms each.
  const std::string first = argc >= 2 ? argv[1] : "";
  const bool runs_control_plane = first == "demo" || first == "up" || first == "test";
  csim::core::tune_malloc(runs_control_plane ? argv : nullptr);
  if (argc < 2) {
    std::cerr << kUsage;
    return 2;
  }
  std::string command = argv[1];
  if (command == "demo") return demo_main(argc, argv);
  if (command == "up") return csim::cli::run_up(argc - 1, argv + 1);
  if (command == "down") return csim::cli::run_down(argc - 1, argv + 1);
  if (command == "status") return csim::cli::run_status(argc - 1, argv + 1);
  if (command == "curl") return csim::cli::run_curl(argc - 1, argv + 1);
  if (command == "exec") return csim::cli::run_exec(argc - 1, argv + 1);
  if (command == "config") return csim::cli::run_config(argc - 1, argv + 1);
  if (command == "agent") return csim::cli::run_agent(argc - 1, argv + 1);
  if (command == "test") return csim::scenario::run_scenario_command(argc - 1, argv + 1);
  if (command == "lint") return csim::semantics::run_lint(argc - 1, argv + 1);
  if (command == "echo-server") return csim::agent::run_echo_server(argc - 1, argv + 1);
  if (command == "help" || command == "--help" || command == "-h") {
    std::cout << kUsage << csim::scenario::kTestUsage << csim::cli::kDaemonUsage;
    return 0;
  }
  std::cerr << "csim: unknown command '" << command << "'\n" << kUsage << csim::cli::kDaemonUsage;
  return 2;
}
