// main() for agent/ tests that touch Linux: they run inside csim's sandbox (so every
// namespace, address and process they make dies with them, even when a test crashes),
// and the test binary doubles as the helper programs the tests start:
//   <test> echo-server ...           the pod echo server (as `csim echo-server`)
//   <test> sandbox-probe [wait]      enters a nested sandbox, starts a sleeper child,
//                                    prints "ready <pid>" and sleeps (tests kill it)
//   <test> spawn-orphan              forks a child that outlives it (reaper tests)
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <iostream>
#include <string>

#include "agent/echo_server.h"
#include "agent/process.h"
#include "agent/sandbox.h"

namespace {

int sandbox_probe(int argc, char** argv) {
  if (auto st = csim::agent::enter_sandbox(argc, argv); !st.is_ok()) {
    std::cerr << "sandbox-probe: " << st.message() << "\n";
    return 2;
  }
  // Inside the nested sandbox now: a child that holds our stdout too.
  auto sleeper = csim::agent::start_process({{"sleep", "60"}}, {-1, 1, 2});
  if (!sleeper.is_ok()) {
    std::cerr << "sandbox-probe: " << sleeper.status().message() << "\n";
    return 3;
  }
  std::printf("ready %d %d\n", static_cast<int>(getpid()), static_cast<int>((*sleeper)->pid()));
  std::fflush(stdout);
  for (int i = 0; i < 600; ++i) usleep(100000);  // bounded: 60 s
  return 0;
}

int spawn_orphan() {
  pid_t pid = fork();
  if (pid == 0) {
    usleep(100000);
    _exit(0);
  }
  return pid > 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc > 1) {
    std::string command = argv[1];
    if (command == "echo-server") return csim::agent::run_echo_server(argc - 1, argv + 1);
    if (command == "sandbox-probe") return sandbox_probe(argc, argv);
    if (command == "spawn-orphan") return spawn_orphan();
  }
  if (auto st = csim::agent::enter_sandbox(argc, argv); !st.is_ok()) {
    std::cerr << "test: cannot enter csim's sandbox: " << st.message() << "\n";
    return 1;
  }
  // Tests kill processes they started: never die of a broken pipe while doing so.
  signal(SIGPIPE, SIG_IGN);
  testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
