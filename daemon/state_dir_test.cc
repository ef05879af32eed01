#include "daemon/state_dir.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace csim::daemon {
namespace {

std::string temp_dir(const std::string& name) {
  const char* base = std::getenv("TEST_TMPDIR");
  std::string dir = std::string(base ? base : "/tmp") + "/state_dir_test_" + name + "_" + std::to_string(getpid());
  std::filesystem::remove_all(dir);
  return dir;
}

TEST(StateDir, FlagThenEnvThenHome) {
  setenv("CSIM_STATE_DIR", "/tmp/from-env", 1);
  setenv("HOME", "/home/someone", 1);
  EXPECT_EQ(resolve_state_dir("/tmp/flag/")->dir, "/tmp/flag");
  EXPECT_EQ(resolve_state_dir("")->dir, "/tmp/from-env");
  unsetenv("CSIM_STATE_DIR");
  EXPECT_EQ(resolve_state_dir("")->dir, "/home/someone/.csim");
  unsetenv("HOME");
  auto none = resolve_state_dir("");
  ASSERT_FALSE(none.is_ok());
  EXPECT_NE(none.status().message().find("--state-dir"), std::string::npos);
}

TEST(StateDir, RelativeBecomesAbsoluteAndNormal) {
  auto s = resolve_state_dir("a/./b/../c");
  ASSERT_TRUE(s.is_ok());
  EXPECT_EQ(s->dir, std::filesystem::current_path().string() + "/a/c");
}

TEST(StateDir, RefusesRun) {
  auto s = resolve_state_dir("/run/user/1000/csim");
  ASSERT_FALSE(s.is_ok());
  EXPECT_EQ(s.status().code(), core::Code::kInvalid);
  EXPECT_NE(s.status().message().find("/run"), std::string::npos);
  EXPECT_FALSE(resolve_state_dir("/runner/x").status().code() == core::Code::kInvalid);
}

TEST(StateDir, EnsureCreatesPrivateDirectory) {
  StateDir s{temp_dir("ensure") + "/deep/er"};
  ASSERT_TRUE(ensure_state_dir(s).is_ok());
  struct stat st;
  ASSERT_EQ(stat(s.dir.c_str(), &st), 0);
  EXPECT_TRUE(S_ISDIR(st.st_mode));
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  chmod(s.dir.c_str(), 0755);
  ASSERT_TRUE(ensure_state_dir(s).is_ok());
  ASSERT_EQ(stat(s.dir.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  // A file in the way.
  StateDir file{s.dir + "/file"};
  std::ofstream(file.dir) << "x";
  EXPECT_FALSE(ensure_state_dir(file).is_ok());
}

TEST(InstanceLock, ExclusiveAndVisible) {
  StateDir s{temp_dir("lock")};
  ASSERT_TRUE(ensure_state_dir(s).is_ok());
  EXPECT_FALSE(lock_is_held(s));
  {
    auto first = InstanceLock::try_acquire(s);
    ASSERT_TRUE(first.is_ok()) << first.status().message();
    EXPECT_TRUE(lock_is_held(s));
    EXPECT_TRUE(lock_is_held(s));  // testing does not take it
    auto second = InstanceLock::try_acquire(s);
    ASSERT_FALSE(second.is_ok());
    EXPECT_EQ(second.status().code(), core::Code::kAlreadyExists);
  }
  EXPECT_FALSE(lock_is_held(s));
  EXPECT_TRUE(InstanceLock::try_acquire(s).is_ok());
}

TEST(InstanceLock, InheritedCopyKeepsItAfterTheTakerCloses) {
  StateDir s{temp_dir("inherit")};
  ASSERT_TRUE(ensure_state_dir(s).is_ok());
  auto lock = InstanceLock::try_acquire(s);
  ASSERT_TRUE(lock.is_ok());
  int go[2];
  ASSERT_EQ(pipe(go), 0);
  pid_t child = fork();
  if (child == 0) {
    // Holds the inherited copy until the parent closes the pipe.
    close(go[1]);
    char c;
    ssize_t n = read(go[0], &c, 1);
    _exit(n == 0 ? 0 : 1);
  }
  close(go[0]);
  int fd = lock->release();
  close(fd);  // the parent's copy is gone
  EXPECT_TRUE(lock_is_held(s));
  EXPECT_FALSE(InstanceLock::try_acquire(s).is_ok());
  close(go[1]);
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  EXPECT_FALSE(lock_is_held(s));
}

TEST(PidFile, RoundTripAndGarbage) {
  StateDir s{temp_dir("pid")};
  ASSERT_TRUE(ensure_state_dir(s).is_ok());
  EXPECT_FALSE(read_pid_file(s).has_value());
  ASSERT_TRUE(write_pid_file(s, 4242).is_ok());
  EXPECT_EQ(read_pid_file(s), 4242);
  std::ofstream(s.pid_file()) << "nonsense\n";
  EXPECT_FALSE(read_pid_file(s).has_value());
  std::ofstream(s.pid_file()) << "1\n";  // never init
  EXPECT_FALSE(read_pid_file(s).has_value());
}

TEST(Process, AliveAndIdentity) {
  EXPECT_TRUE(process_alive(getpid()));
  // This test is not `csim up`: its argv[1] is not "up".
  EXPECT_FALSE(is_csim_daemon(getpid()));
  pid_t child = fork();
  if (child == 0) _exit(0);
  // A zombie is not alive.
  for (int i = 0; i < 200 && process_alive(child); ++i) usleep(10000);
  EXPECT_FALSE(process_alive(child));
  waitpid(child, nullptr, 0);
  EXPECT_FALSE(process_alive(child));
  EXPECT_FALSE(is_csim_daemon(child));
}

TEST(ShellQuote, OnlyWhenNeeded) {
  EXPECT_EQ(shell_quote("/home/me/.csim/kubeconfig"), "/home/me/.csim/kubeconfig");
  EXPECT_EQ(shell_quote("/tmp/my dir/k"), "'/tmp/my dir/k'");
  EXPECT_EQ(shell_quote("it's"), "'it'\\''s'");
  EXPECT_EQ(shell_quote(""), "''");
  EXPECT_EQ(shell_quote("$(rm -rf ~)"), "'$(rm -rf ~)'");
}

}  // namespace
}  // namespace csim::daemon
