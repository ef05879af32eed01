#include "agent/sandbox.h"

#include <fcntl.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "agent/process.h"

extern char** environ;

namespace csim::agent {
namespace {

constexpr const char* kStageInit = "init";  // set by the outer process for the child's setup
bool g_private_proc = false;
volatile sig_atomic_t g_child_pid = 0;

std::string errno_text(int err) {
  char buf[128];
  return strerror_r(err, buf, sizeof buf);
}

std::string userns_help(int err) {
  return "the kernel refused to create a user namespace (" + errno_text(err) +
         "). csim needs unprivileged user namespaces for its sandbox. Enable them with "
         "`sysctl -w user.max_user_namespaces=15000`; on Debian kernels before 6.x also "
         "`sysctl -w kernel.unprivileged_userns_clone=1`; on Ubuntu 23.10 and later also "
         "`sysctl -w kernel.apparmor_restrict_unprivileged_userns=0`. Inside a container, "
         "run it with user namespaces allowed (e.g. docker --security-opt seccomp=unconfined).";
}

bool write_file(const std::string& path, const std::string& text, std::string* error) {
  int fd = open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) {
    *error = "open " + path + ": " + errno_text(errno);
    return false;
  }
  ssize_t n = write(fd, text.data(), text.size());
  int err = errno;
  close(fd);
  if (n != static_cast<ssize_t>(text.size())) {
    *error = "write '" + text + "' to " + path + ": " + errno_text(err);
    return false;
  }
  return true;
}

void forward_signal(int sig) {
  pid_t child = g_child_pid;
  if (child > 0) kill(child, sig);
}

void exit_on_signal(int sig) { _exit(128 + sig); }

// Outside: make the sandbox, run ourselves in it, exit with its code.
core::Status run_outside(char** argv) {
  const uid_t uid = geteuid();
  const gid_t gid = getegid();

  int sync[2];
  if (pipe2(sync, O_CLOEXEC) != 0) return core::unavailable("pipe: " + errno_text(errno));

  // Everything the child needs is prepared before clone: it only calls syscalls.
  std::vector<std::string> env;
  for (char** e = environ; e && *e; ++e) {
    if (std::strncmp(*e, "CSIM_SANDBOX=", 13) != 0) env.emplace_back(*e);
  }
  env.push_back(std::string(kSandboxEnv) + "=" + kStageInit);
  std::vector<char*> envp;
  for (auto& s : env) envp.push_back(s.data());
  envp.push_back(nullptr);

  int clone_errno = 0;
  const unsigned long flags = CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWPID | SIGCHLD;
  pid_t pid = Reaper::instance().spawn_registered([&]() -> pid_t {
    long r = syscall(SYS_clone, flags, nullptr, nullptr, nullptr, nullptr);
    if (r == 0) {
      // Child (a fork-like copy): wait for the uid map, then exec ourselves.
      close(sync[1]);
      prctl(PR_SET_PDEATHSIG, SIGKILL);
      char go = 0;
      if (read(sync[0], &go, 1) != 1 || go != 'G') _exit(125);
      struct pollfd p = {sync[0], POLLIN, 0};
      // The parent keeps its end open while it lives: a hang-up means it died before
      // PDEATHSIG was armed.
      if (poll(&p, 1, 0) > 0 && (p.revents & POLLHUP)) _exit(125);
      close(sync[0]);
      execve("/proc/self/exe", argv, envp.data());
      _exit(127);
    }
    if (r < 0) clone_errno = errno;
    return static_cast<pid_t>(r);
  });
  close(sync[0]);
  if (pid < 0) {
    close(sync[1]);
    if (clone_errno == EPERM || clone_errno == ENOSPC || clone_errno == EUSERS ||
        clone_errno == EINVAL) {
      return core::unavailable(userns_help(clone_errno));
    }
    return core::unavailable("clone for the sandbox: " + errno_text(clone_errno));
  }

  std::string error;
  const std::string proc = "/proc/" + std::to_string(pid);
  bool mapped = write_file(proc + "/uid_map", "0 " + std::to_string(uid) + " 1\n", &error) &&
                write_file(proc + "/setgroups", "deny\n", &error) &&
                write_file(proc + "/gid_map", "0 " + std::to_string(gid) + " 1\n", &error);
  if (!mapped) {
    Reaper::instance().signal(pid, SIGKILL);
    Reaper::instance().wait(pid, std::chrono::seconds(5));
    close(sync[1]);
    return core::unavailable("cannot map uid/gid into the sandbox's user namespace: " + error +
                             ". " + userns_help(EPERM));
  }

  g_child_pid = pid;
  struct sigaction sa;
  std::memset(&sa, 0, sizeof sa);
  sa.sa_handler = forward_signal;
  sa.sa_flags = SA_RESTART;
  sigemptyset(&sa.sa_mask);
  for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGQUIT}) sigaction(sig, &sa, nullptr);

  signal(SIGPIPE, SIG_IGN);  // the outer process only waits; a dead child must not kill it
  if (write(sync[1], "G", 1) != 1) {
    Reaper::instance().signal(pid, SIGKILL);
  }
  // sync[1] stays open until we exit: the child checks it to detect our death.
  ExitStatus status;
  for (;;) {
    if (auto st = Reaper::instance().wait(pid, std::chrono::hours(24))) {
      status = *st;
      break;
    }
  }
  std::fflush(stdout);
  std::fflush(stderr);
  if (status.code == 125) {
    // The child gave up before exec: we cannot tell more than that.
    std::fprintf(stderr, "csim: the sandbox did not start\n");
  }
  _exit(status.signal != 0 ? 128 + status.signal : status.code);
}

bool single_id_map(const char* path) {
  std::ifstream in(path);
  std::string line;
  int lines = 0;
  unsigned long inside = 0, outside = 0, count = 0;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    ++lines;
    std::istringstream ls(line);
    ls >> inside >> outside >> count;
  }
  return lines == 1 && inside == 0 && count == 1;
}

core::Status bring_lo_up() {
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return core::unavailable("socket: " + errno_text(errno));
  struct ifreq ifr;
  std::memset(&ifr, 0, sizeof ifr);
  std::strncpy(ifr.ifr_name, "lo", IFNAMSIZ - 1);
  if (ioctl(fd, SIOCGIFFLAGS, &ifr) != 0 ||
      ((ifr.ifr_flags |= IFF_UP), ioctl(fd, SIOCSIFFLAGS, &ifr) != 0)) {
    int err = errno;
    close(fd);
    return core::unavailable("bring lo up in the sandbox: " + errno_text(err));
  }
  close(fd);
  return core::Status::ok();
}

// Inside, first call: private mounts, /run tmpfs, /proc, lo.
core::Status set_up_inside() {
  if (getpid() != 1 || !single_id_map("/proc/self/uid_map")) {
    return core::invalid(std::string(kSandboxEnv) + "=" + kStageInit +
                         " is set, but this process is not a fresh csim sandbox; unset it");
  }
  if (mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) {
    return core::unavailable("make mounts private in the sandbox: " + errno_text(errno) + ". " +
                             userns_help(errno));
  }
  if (mount("csim-run", "/run", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755,size=65536k") != 0) {
    return core::unavailable("mount a tmpfs on /run in the sandbox: " + errno_text(errno));
  }
  if (mkdir("/run/netns", 0755) != 0 && errno != EEXIST) {
    return core::unavailable("mkdir /run/netns: " + errno_text(errno));
  }
  // A /proc for our PID namespace (so /proc/<pid> matches our pids). Refused where the
  // host's /proc is partly masked; csim does not depend on it.
  g_private_proc = mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr) == 0;
  if (auto st = bring_lo_up(); !st.is_ok()) return st;

  struct sigaction sa;
  std::memset(&sa, 0, sizeof sa);
  sa.sa_handler = exit_on_signal;
  sigemptyset(&sa.sa_mask);
  for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGQUIT}) sigaction(sig, &sa, nullptr);

  setenv(kSandboxEnv, "1", 1);
  Reaper::instance();  // PID 1 must reap orphans from now on
  return core::Status::ok();
}

}  // namespace

core::Status enter_sandbox(int argc, char** argv) {
  (void)argc;
  const char* mark = getenv(kSandboxEnv);
  std::string stage = mark ? mark : "";
  if (stage == "1") return core::Status::ok();
  if (stage == kStageInit) return set_up_inside();
  return run_outside(argv);
}

bool in_sandbox() {
  const char* mark = getenv(kSandboxEnv);
  return mark != nullptr && std::string(mark) == "1";
}

bool sandbox_has_private_proc() { return g_private_proc; }

}  // namespace csim::agent
