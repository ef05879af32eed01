#include "agent/sandbox.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/magic.h>
#include <net/if.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <string>

#include "agent/process.h"

namespace csim::agent {
namespace {

using namespace std::chrono_literals;

TEST(Sandbox, WeRunInsideAsRootAndPid1) {
  EXPECT_TRUE(in_sandbox());
  EXPECT_EQ(getpid(), 1);
  EXPECT_EQ(geteuid(), 0u);
  // Entering again is a no-op.
  char arg0[] = "test";
  char* argv[] = {arg0, nullptr};
  EXPECT_TRUE(enter_sandbox(1, argv).is_ok());
}

TEST(Sandbox, RunIsAPrivateTmpfsWithNetnsDir) {
  struct statfs fs;
  ASSERT_EQ(statfs("/run", &fs), 0);
  EXPECT_EQ(fs.f_type, static_cast<decltype(fs.f_type)>(TMPFS_MAGIC));
  struct stat st;
  ASSERT_EQ(stat("/run/netns", &st), 0);
  EXPECT_TRUE(S_ISDIR(st.st_mode));
}

TEST(Sandbox, LoopbackIsUpAndNothingElseExists) {
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(fd, 0);
  struct ifreq ifr;
  std::memset(&ifr, 0, sizeof ifr);
  std::strcpy(ifr.ifr_name, "lo");
  ASSERT_EQ(ioctl(fd, SIOCGIFFLAGS, &ifr), 0);
  EXPECT_TRUE(ifr.ifr_flags & IFF_UP);
  close(fd);
  struct if_nameindex* names = if_nameindex();
  ASSERT_NE(names, nullptr);
  int count = 0;
  for (auto* n = names; n->if_index != 0; ++n) ++count;
  if_freenameindex(names);
  EXPECT_EQ(count, 1) << "the sandbox's network namespace has only lo";
}

// Starts `<test> sandbox-probe` outside our sandbox (CSIM_SANDBOX cleared), so it makes a
// nested one; returns the outer process and the read end of its stdout.
struct Probe {
  std::unique_ptr<ChildProcess> outer;
  int out = -1;
  std::string line;
};

Probe start_probe() {
  Probe p;
  int pipefd[2];
  EXPECT_EQ(pipe2(pipefd, O_CLOEXEC), 0);
  Command cmd{{"/proc/self/exe", "sandbox-probe"}};
  cmd.extra_env = {std::string(kSandboxEnv) + "="};
  auto child = start_process(cmd, {-1, pipefd[1], 2});
  close(pipefd[1]);
  EXPECT_TRUE(child.is_ok()) << child.status().message();
  if (!child.is_ok()) return p;
  p.outer = std::move(*child);
  p.out = pipefd[0];
  // Read "ready <inner pid> <sleeper pid>\n", bounded by 10 s.
  auto deadline = std::chrono::steady_clock::now() + 10s;
  char c;
  while (std::chrono::steady_clock::now() < deadline) {
    struct pollfd pf = {p.out, POLLIN, 0};
    if (poll(&pf, 1, 100) <= 0) continue;
    if (read(p.out, &c, 1) != 1) break;
    if (c == '\n') break;
    p.line += c;
  }
  return p;
}

// True if every writer of fd is gone (EOF) within the timeout.
bool eof_within(int fd, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  char buf[64];
  while (std::chrono::steady_clock::now() < deadline) {
    struct pollfd pf = {fd, POLLIN, 0};
    if (poll(&pf, 1, 50) <= 0) continue;
    ssize_t n = read(fd, buf, sizeof buf);
    if (n == 0) return true;
    if (n < 0) return false;
  }
  return false;
}

TEST(Sandbox, InnerPid1AndItsChildrenDieWhenOuterIsKilled) {
  Probe p = start_probe();
  ASSERT_TRUE(p.outer);
  ASSERT_EQ(p.line.rfind("ready 1 ", 0), 0u)
      << "the inner csim is PID 1 of a new PID namespace: " << p.line;
  // kill -9 the outer process: the inner init and its sleeper (which hold the pipe) must die.
  ASSERT_TRUE(p.outer->signal(SIGKILL));
  EXPECT_TRUE(eof_within(p.out, 5000ms)) << "a process of the killed sandbox survived";
  auto st = p.outer->wait_for(5s);
  ASSERT_TRUE(st.has_value());
  EXPECT_EQ(st->signal, SIGKILL);
  close(p.out);
}

TEST(Sandbox, OuterForwardsSigtermAndExitsWithChildCode) {
  Probe p = start_probe();
  ASSERT_TRUE(p.outer);
  ASSERT_EQ(p.line.rfind("ready 1 ", 0), 0u) << p.line;
  ASSERT_TRUE(p.outer->signal(SIGTERM));
  auto st = p.outer->wait_for(5s);
  ASSERT_TRUE(st.has_value());
  EXPECT_EQ(st->code, 128 + SIGTERM) << st->describe();
  EXPECT_TRUE(eof_within(p.out, 5000ms));
  close(p.out);
}

TEST(Sandbox, RefusedUserNamespacesGiveAClearError) {
  // Forbid new user namespaces below ours, then try to make a nested sandbox.
  const char* knob = "/proc/sys/user/max_user_namespaces";
  auto old = run_command({{"cat", knob}}, "", std::chrono::seconds(5));
  ASSERT_TRUE(old.is_ok() && old->status.success());
  auto set = [&](const std::string& v) {
    int fd = open(knob, O_WRONLY | O_CLOEXEC);
    if (fd < 0) return false;
    bool ok = write(fd, v.data(), v.size()) == static_cast<ssize_t>(v.size());
    close(fd);
    return ok;
  };
  if (!set("0")) GTEST_SKIP() << "cannot change " << knob << " here";
  Command cmd{{"/proc/self/exe", "sandbox-probe"}};
  cmd.extra_env = {std::string(kSandboxEnv) + "="};
  auto r = run_command(cmd, "", std::chrono::seconds(10));
  set(old->out);
  ASSERT_TRUE(r.is_ok()) << r.status().message();
  EXPECT_EQ(r->status.code, 2);
  EXPECT_NE(r->err.find("user namespace"), std::string::npos) << r->err;
  EXPECT_NE(r->err.find("user.max_user_namespaces"), std::string::npos) << r->err;
}

}  // namespace
}  // namespace csim::agent
