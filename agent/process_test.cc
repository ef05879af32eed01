#include "agent/process.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

namespace csim::agent {
namespace {

using namespace std::chrono_literals;

TEST(RunCommand, CapturesStdoutAndExitCode) {
  auto r = run_command({{"echo", "hello", "world"}}, "", 5s);
  ASSERT_TRUE(r.is_ok()) << r.status().message();
  EXPECT_EQ(r->out, "hello world\n");
  EXPECT_TRUE(r->status.success());
}

TEST(RunCommand, FeedsStdin) {
  std::string big(200000, 'x');  // more than a pipe buffer: writes and reads interleave
  auto r = run_command({{"cat"}}, big, 5s);
  ASSERT_TRUE(r.is_ok()) << r.status().message();
  EXPECT_EQ(r->out.size(), big.size());
  EXPECT_EQ(r->out, big);
}

TEST(RunCommand, ReportsNonZeroExitAndStderr) {
  auto r = run_command({{"ls", "/nonexistent-csim-path"}}, "", 5s);
  ASSERT_TRUE(r.is_ok()) << r.status().message();
  EXPECT_FALSE(r->status.success());
  EXPECT_EQ(r->status.code, 2);
  EXPECT_NE(r->err.find("nonexistent-csim-path"), std::string::npos);
  EXPECT_NE(r->failure_message("ls").find("exit code 2"), std::string::npos);
}

TEST(RunCommand, KillsOnTimeout) {
  auto start = std::chrono::steady_clock::now();
  auto r = run_command({{"sleep", "10"}}, "", 200ms);
  auto took = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(r.is_ok());
  EXPECT_NE(r.status().message().find("timed out after 200 ms"), std::string::npos)
      << r.status().message();
  EXPECT_LT(took, 3s);
}

TEST(RunCommand, MissingProgramIsAnError) {
  auto r = run_command({{"csim-no-such-program"}}, "", 1s);
  ASSERT_FALSE(r.is_ok());
  EXPECT_NE(r.status().message().find("csim-no-such-program"), std::string::npos);
}

TEST(RunCommand, BadNetnsIsAnError) {
  auto r = run_command({{"true"}, "../etc"}, "", 1s);
  ASSERT_FALSE(r.is_ok());
  EXPECT_EQ(r.status().code(), core::Code::kInvalid);
  auto missing = run_command({{"true"}, "csim-does-not-exist"}, "", 1s);
  ASSERT_FALSE(missing.is_ok());
  EXPECT_NE(missing.status().message().find("/run/netns/csim-does-not-exist"), std::string::npos);
}

TEST(RunCommand, PassesEnvAndCwd) {
  Command cmd{{"env"}};
  cmd.extra_env = {"CSIM_TEST_VAR=42"};
  auto r = run_command(cmd, "", 5s);
  ASSERT_TRUE(r.is_ok());
  EXPECT_NE(r->out.find("CSIM_TEST_VAR=42\n"), std::string::npos);
  Command pwd{{"pwd"}};
  pwd.cwd = "/usr";
  auto p = run_command(pwd, "", 5s);
  ASSERT_TRUE(p.is_ok());
  EXPECT_EQ(p->out, "/usr\n");
}

TEST(RunCommand, ChildDoesNotInheritOurDescriptors) {
  int fd = open("/dev/null", O_RDONLY);  // deliberately without O_CLOEXEC
  ASSERT_GE(fd, 3);
  auto r = run_command({{"ls", "/proc/self/fd"}}, "", 5s);
  close(fd);
  ASSERT_TRUE(r.is_ok());
  // 0, 1, 2 and the one ls opens to read the directory.
  int count = 0;
  for (char c : r->out) count += c == '\n';
  EXPECT_EQ(count, 4) << r->out;
}

TEST(ChildProcess, StopTerminatesAndReportsSignal) {
  auto child = start_process({{"sleep", "30"}});
  ASSERT_TRUE(child.is_ok()) << child.status().message();
  EXPECT_FALSE((*child)->poll().has_value());
  ExitStatus s = (*child)->stop(2s);
  EXPECT_EQ(s.signal, SIGTERM);
  EXPECT_EQ(s.describe(), "killed by signal 15 (SIGTERM)");
  EXPECT_FALSE((*child)->signal(SIGKILL)) << "an ended child must not be signalled";
}

TEST(ChildProcess, WaitForReturnsExitStatus) {
  auto child = start_process({{"true"}});
  ASSERT_TRUE(child.is_ok());
  auto s = (*child)->wait_for(5s);
  ASSERT_TRUE(s.has_value());
  EXPECT_TRUE(s->success());
}

TEST(ChildProcess, StdoutGoesToGivenDescriptor) {
  int p[2];
  ASSERT_EQ(pipe2(p, O_CLOEXEC), 0);
  auto child = start_process({{"echo", "via-pipe"}}, {-1, p[1], -1});
  close(p[1]);
  ASSERT_TRUE(child.is_ok());
  char buf[64] = {0};
  ssize_t n = read(p[0], buf, sizeof buf - 1);
  close(p[0]);
  EXPECT_EQ(std::string(buf, n > 0 ? n : 0), "via-pipe\n");
  (*child)->wait_for(5s);
}

TEST(Reaper, ManyConcurrentSpawnsGetTheirOwnStatus) {
  std::atomic<int> ok{0}, wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 6; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 15; ++i) {
        // Alternate exit codes so a status routed to the wrong waiter shows.
        const bool fail = (i + t) % 2 == 0;
        auto r = run_command({{fail ? "false" : "true"}}, "", 10s);
        if (!r.is_ok()) {
          ++wrong;
          continue;
        }
        if (r->status.code == (fail ? 1 : 0))
          ++ok;
        else
          ++wrong;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(ok.load(), 90);
  EXPECT_EQ(wrong.load(), 0);
}

TEST(Reaper, ReapsOrphansAsPid1) {
  ASSERT_EQ(getpid(), 1) << "tests run as PID 1 of their sandbox";
  uint64_t before = Reaper::instance().orphans_reaped();
  // The helper forks a grandchild that outlives it; the grandchild is re-parented to us.
  auto r = run_command({{"/proc/self/exe", "spawn-orphan"}}, "", 5s);
  ASSERT_TRUE(r.is_ok()) << r.status().message();
  ASSERT_TRUE(r->status.success());
  bool reaped = false;
  for (int i = 0; i < 100 && !reaped; ++i) {  // bounded: 5 s
    reaped = Reaper::instance().orphans_reaped() > before;
    if (!reaped) std::this_thread::sleep_for(50ms);
  }
  EXPECT_TRUE(reaped);
}

TEST(FindProgram, ResolvesThroughPathAndSbin) {
  auto haproxy = find_program("haproxy");
  ASSERT_TRUE(haproxy.is_ok()) << haproxy.status().message();
  EXPECT_EQ(haproxy->front(), '/');
  EXPECT_FALSE(find_program("/nonexistent/prog").is_ok());
}

}  // namespace
}  // namespace csim::agent
