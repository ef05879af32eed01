#include "agent/process.h"

#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <map>
#include <mutex>
#include <thread>

extern char** environ;

namespace csim::agent {
namespace {

using Clock = std::chrono::steady_clock;

ExitStatus from_wait_status(int status) {
  ExitStatus s;
  if (WIFEXITED(status)) {
    s.code = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    s.signal = WTERMSIG(status);
  }
  return s;
}

std::string errno_text(int err) {
  char buf[128];
  // GNU strerror_r returns the message pointer.
  return strerror_r(err, buf, sizeof buf);
}

bool valid_netns_name(const std::string& name) {
  if (name.empty() || name.size() > 255 || name == "." || name == "..") return false;
  for (char c : name) {
    if (c == '/' || c == '\0' || static_cast<unsigned char>(c) < 0x20) return false;
  }
  return true;
}

// Arguments for the vfork-like child; it shares our memory until execve.
struct ChildArgs {
  const char* path = nullptr;
  char* const* argv = nullptr;
  char* const* envp = nullptr;
  int netns_fd = -1;
  const char* cwd = nullptr;
  int fds[3] = {-1, -1, -1};
  // Written by the child on failure, read by the parent after clone returns.
  int err = 0;
  const char* step = nullptr;
};

// Runs in the child between clone and execve: async-signal-safe calls only.
int child_main(void* p) {
  auto* a = static_cast<ChildArgs*>(p);
  // Handlers installed by csim must not run in the child (it shares our memory).
  for (int sig = 1; sig < NSIG; ++sig) {
    if (sig == SIGKILL || sig == SIGSTOP) continue;
    struct sigaction sa;
    if (sigaction(sig, nullptr, &sa) != 0) continue;
    if (sa.sa_handler != SIG_DFL && sa.sa_handler != SIG_IGN) {
      struct sigaction dfl;
      std::memset(&dfl, 0, sizeof dfl);
      dfl.sa_handler = SIG_DFL;
      sigaction(sig, &dfl, nullptr);
    }
  }
  // SIGPIPE: children get the default behaviour whatever csim does.
  {
    struct sigaction dfl;
    std::memset(&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    sigaction(SIGPIPE, &dfl, nullptr);
  }
  if (a->netns_fd >= 0 && setns(a->netns_fd, CLONE_NEWNET) != 0) {
    a->err = errno;
    a->step = "setns";
    _exit(127);
  }
  if (a->cwd != nullptr && chdir(a->cwd) != 0) {
    a->err = errno;
    a->step = "chdir";
    _exit(127);
  }
  for (int i = 0; i < 3; ++i) {
    // Sources are >= 3 (see start_process), so no dup2 clobbers a later source.
    if (dup2(a->fds[i], i) < 0) {
      a->err = errno;
      a->step = "dup2";
      _exit(127);
    }
  }
  if (syscall(SYS_close_range, 3U, ~0U, 0U) != 0) {
    for (int fd = 3; fd < 65536; ++fd) close(fd);
  }
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
  execve(a->path, a->argv, a->envp);
  a->err = errno;
  a->step = "execve";
  _exit(127);
}

// Environment for the child: ours with `extra` overriding.
std::vector<std::string> build_env(const std::vector<std::string>& extra) {
  std::vector<std::string> env;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    std::string kv = *e;
    std::string key = kv.substr(0, kv.find('='));
    bool overridden = false;
    for (const auto& x : extra) {
      if (x.substr(0, x.find('=')) == key) overridden = true;
    }
    if (!overridden) env.push_back(std::move(kv));
  }
  for (const auto& x : extra) env.push_back(x);
  return env;
}

std::vector<char*> c_strings(std::vector<std::string>& v) {
  std::vector<char*> out;
  for (auto& s : v) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

// A descriptor that closes itself.
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  Fd(Fd&& o) noexcept : fd_(o.release()) {}
  Fd& operator=(Fd&& o) noexcept {
    reset(o.release());
    return *this;
  }
  ~Fd() { reset(); }
  int get() const { return fd_; }
  int release() {
    int f = fd_;
    fd_ = -1;
    return f;
  }
  void reset(int fd = -1) {
    if (fd_ >= 0) close(fd_);
    fd_ = fd;
  }

 private:
  int fd_ = -1;
};

}  // namespace

std::string ExitStatus::describe() const {
  if (signal != 0) {
    const char* abbrev = sigabbrev_np(signal);
    return "killed by signal " + std::to_string(signal) +
           (abbrev ? std::string(" (SIG") + abbrev + ")" : std::string());
  }
  if (code < 0) return "still running";
  return "exit code " + std::to_string(code);
}

std::string Command::display() const {
  std::string out;
  for (const auto& a : argv) {
    if (!out.empty()) out += ' ';
    if (a.size() > 80) {
      out += a.substr(0, 77) + "...";
    } else {
      out += a;
    }
  }
  if (!netns.empty()) out = "[netns " + netns + "] " + out;
  return out;
}

// ---------------------------------------------------------------------------------------
// Reaper

class Reaper::Impl {
 public:
  struct Entry {
    bool ended = false;
    bool released = false;
    ExitStatus status;
  };

  Impl() : thread_([this] { loop(); }) { thread_.detach(); }

  void loop() {
    for (;;) {
      siginfo_t info;
      std::memset(&info, 0, sizeof info);
      // Look without reaping, so the pid stays reserved until we hold the lock.
      int r = waitid(P_ALL, 0, &info, WEXITED | WNOWAIT);
      if (r != 0) {
        if (errno == EINTR) continue;
        std::unique_lock lock(mu_);
        // ECHILD: no children. Sleep until one is started (orphans can only appear
        // while we have a child, so a short nap bounds any delay).
        new_child_cv_.wait_for(lock, std::chrono::milliseconds(50));
        continue;
      }
      if (info.si_pid <= 0) continue;
      std::unique_lock lock(mu_);
      int status = 0;
      pid_t got = waitpid(info.si_pid, &status, WNOHANG);
      if (got != info.si_pid) continue;
      auto it = children_.find(got);
      if (it == children_.end()) {
        ++orphans_;
        continue;
      }
      if (it->second.released) {
        children_.erase(it);
        continue;
      }
      it->second.ended = true;
      it->second.status = from_wait_status(status);
      ended_cv_.notify_all();
    }
  }

  std::mutex mu_;
  std::condition_variable ended_cv_;
  std::condition_variable new_child_cv_;
  std::map<pid_t, Entry> children_;
  uint64_t orphans_ = 0;
  std::thread thread_;
};

Reaper::Reaper() : impl_(new Impl) {}

Reaper& Reaper::instance() {
  static Reaper* reaper = new Reaper();  // leaked on purpose: its thread never stops
  return *reaper;
}

pid_t Reaper::spawn_registered(const std::function<pid_t()>& spawn) {
  std::unique_lock lock(impl_->mu_);
  pid_t pid = spawn();
  if (pid > 0) impl_->children_[pid] = Impl::Entry{};
  impl_->new_child_cv_.notify_all();
  return pid;
}

std::optional<ExitStatus> Reaper::wait(pid_t pid, core::Nanos timeout) {
  std::unique_lock lock(impl_->mu_);
  auto done = [&] {
    auto it = impl_->children_.find(pid);
    return it == impl_->children_.end() || it->second.ended;
  };
  if (!impl_->ended_cv_.wait_for(lock, timeout, done)) return std::nullopt;
  auto it = impl_->children_.find(pid);
  if (it == impl_->children_.end()) return ExitStatus{};  // unknown pid: nothing to wait for
  return it->second.status;
}

std::optional<ExitStatus> Reaper::poll(pid_t pid) { return wait(pid, core::Nanos(0)); }

bool Reaper::signal(pid_t pid, int sig) {
  std::unique_lock lock(impl_->mu_);
  auto it = impl_->children_.find(pid);
  if (it == impl_->children_.end() || it->second.ended) return false;
  return kill(pid, sig) == 0;
}

void Reaper::release(pid_t pid) {
  std::unique_lock lock(impl_->mu_);
  auto it = impl_->children_.find(pid);
  if (it == impl_->children_.end()) return;
  if (it->second.ended) {
    impl_->children_.erase(it);
  } else {
    it->second.released = true;
  }
}

uint64_t Reaper::orphans_reaped() const {
  std::unique_lock lock(impl_->mu_);
  return impl_->orphans_;
}

// ---------------------------------------------------------------------------------------
// ChildProcess

ChildProcess::~ChildProcess() { Reaper::instance().release(pid_); }

std::optional<ExitStatus> ChildProcess::poll() const { return Reaper::instance().poll(pid_); }

std::optional<ExitStatus> ChildProcess::wait_for(core::Nanos timeout) const {
  return Reaper::instance().wait(pid_, timeout);
}

bool ChildProcess::signal(int sig) const { return Reaper::instance().signal(pid_, sig); }

ExitStatus ChildProcess::stop(core::Nanos grace) const {
  if (auto s = poll()) return *s;
  signal(SIGTERM);
  if (auto s = wait_for(grace)) return *s;
  signal(SIGKILL);
  if (auto s = wait_for(std::chrono::seconds(10))) return *s;
  return ExitStatus{};  // unkillable (D state): report "still running"
}

// ---------------------------------------------------------------------------------------
// Spawning

core::Result<std::string> find_program(const std::string& name) {
  if (name.empty()) return core::invalid("empty program name");
  if (name.find('/') != std::string::npos) {
    if (access(name.c_str(), X_OK) != 0) {
      return core::unavailable("cannot execute " + name + ": " + errno_text(errno));
    }
    return name;
  }
  const char* path_env = getenv("PATH");
  std::string path =
      path_env ? path_env : "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
  // Tools csim runs (haproxy, nft) live in sbin, often missing from a user's PATH.
  path += ":/usr/sbin:/sbin";
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find(':', start);
    if (end == std::string::npos) end = path.size();
    std::string dir = path.substr(start, end - start);
    if (dir.empty()) dir = ".";
    std::string candidate = dir + "/" + name;
    struct stat st;
    if (stat(candidate.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
        access(candidate.c_str(), X_OK) == 0) {
      return candidate;
    }
    start = end + 1;
  }
  return core::unavailable("program '" + name + "' not found in PATH (" + path + ")");
}

core::Result<std::unique_ptr<ChildProcess>> start_process(const Command& cmd, StdioFds stdio) {
  if (cmd.argv.empty()) return core::invalid("start_process: empty argv");
  auto program = find_program(cmd.argv[0]);
  if (!program.is_ok()) return program.status();

  Fd netns;
  if (!cmd.netns.empty()) {
    if (!valid_netns_name(cmd.netns)) {
      return core::invalid("invalid network namespace name '" + cmd.netns + "'");
    }
    std::string path = "/run/netns/" + cmd.netns;
    netns.reset(open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (netns.get() < 0) {
      return core::unavailable("open " + path + ": " + errno_text(errno));
    }
  }

  // The child's stdio sources must be >= 3 so the dup2 sequence cannot clobber them.
  Fd devnull(open("/dev/null", O_RDWR | O_CLOEXEC));
  if (devnull.get() < 0) return core::unavailable("open /dev/null: " + errno_text(errno));
  Fd holders[3];
  int sources[3] = {stdio.in, stdio.out, stdio.err};
  ChildArgs args;
  for (int i = 0; i < 3; ++i) {
    int src = sources[i] >= 0 ? sources[i] : devnull.get();
    if (src < 3) {
      holders[i].reset(fcntl(src, F_DUPFD_CLOEXEC, 3));
      if (holders[i].get() < 0) return core::unavailable("dup: " + errno_text(errno));
      src = holders[i].get();
    }
    args.fds[i] = src;
  }

  std::vector<std::string> argv_copy = cmd.argv;
  std::vector<char*> argv_c = c_strings(argv_copy);
  std::vector<std::string> env = build_env(cmd.extra_env);
  std::vector<char*> env_c = c_strings(env);
  args.path = program->c_str();
  args.argv = argv_c.data();
  args.envp = env_c.data();
  args.netns_fd = netns.get();
  args.cwd = cmd.cwd.empty() ? nullptr : cmd.cwd.c_str();

  constexpr size_t kStackSize = 256 * 1024;
  void* stack = mmap(nullptr, kStackSize, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
  if (stack == MAP_FAILED) return core::unavailable("mmap child stack: " + errno_text(errno));

  // Block every signal while the child shares our memory; it resets handlers itself.
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  int clone_errno = 0;
  pid_t pid = Reaper::instance().spawn_registered([&] {
    pid_t p = clone(child_main, static_cast<char*>(stack) + kStackSize,
                    CLONE_VM | CLONE_VFORK | SIGCHLD, &args);
    if (p < 0) clone_errno = errno;
    return p;
  });
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  munmap(stack, kStackSize);

  if (pid < 0)
    return core::unavailable("clone for " + cmd.display() + ": " + errno_text(clone_errno));
  auto child = std::make_unique<ChildProcess>(pid, cmd.display());
  if (args.err != 0) {
    child->wait_for(std::chrono::seconds(5));
    std::string where = args.step ? args.step : "exec";
    if (where == "setns") where += " /run/netns/" + cmd.netns;
    if (where == "chdir") where += " " + cmd.cwd;
    if (where == "execve") where += " " + *program;
    return core::unavailable("cannot start " + cmd.display() + ": " + where + ": " +
                             errno_text(args.err));
  }
  return child;
}

// ---------------------------------------------------------------------------------------
// run_command

std::string CommandOutput::failure_message(const std::string& what) const {
  std::string text = err.empty() ? out : err;
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  std::string msg = "`" + what + "` failed (" + status.describe() + ")";
  if (!text.empty()) msg += ": " + text;
  return msg;
}

core::Result<CommandOutput> run_command(const Command& cmd, const std::string& stdin_data,
                                        core::Nanos timeout, size_t max_output) {
  // stdin is a socket pair so that writing to a child that exited gives EPIPE, not SIGPIPE.
  int in_pair[2], out_pipe[2], err_pipe[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, in_pair) != 0) {
    return core::unavailable("socketpair: " + errno_text(errno));
  }
  Fd in_parent(in_pair[0]), in_child(in_pair[1]);
  if (pipe2(out_pipe, O_CLOEXEC) != 0) return core::unavailable("pipe: " + errno_text(errno));
  Fd out_parent(out_pipe[0]), out_child(out_pipe[1]);
  if (pipe2(err_pipe, O_CLOEXEC) != 0) return core::unavailable("pipe: " + errno_text(errno));
  Fd err_parent(err_pipe[0]), err_child(err_pipe[1]);

  auto started = start_process(cmd, StdioFds{in_child.get(), out_child.get(), err_child.get()});
  if (!started.is_ok()) return started.status();
  auto& child = *started;
  in_child.reset();
  out_child.reset();
  err_child.reset();
  shutdown(in_parent.get(), SHUT_RD);
  for (int fd : {in_parent.get(), out_parent.get(), err_parent.get()}) {
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
  }

  CommandOutput result;
  size_t written = 0;
  if (stdin_data.empty()) in_parent.reset();
  const auto deadline = Clock::now() + timeout;
  bool timed_out = false;
  char buf[16384];
  while (out_parent.get() >= 0 || err_parent.get() >= 0) {
    struct pollfd fds[3];
    int n = 0;
    int idx_in = -1, idx_out = -1, idx_err = -1;
    if (in_parent.get() >= 0) {
      idx_in = n;
      fds[n++] = {in_parent.get(), POLLOUT, 0};
    }
    if (out_parent.get() >= 0) {
      idx_out = n;
      fds[n++] = {out_parent.get(), POLLIN, 0};
    }
    if (err_parent.get() >= 0) {
      idx_err = n;
      fds[n++] = {err_parent.get(), POLLIN, 0};
    }
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) {
      timed_out = true;
      break;
    }
    int r = ::poll(fds, n, static_cast<int>(std::min<int64_t>(left.count() + 1, 1 << 30)));
    if (r < 0) {
      if (errno == EINTR) continue;
      return core::unavailable("poll: " + errno_text(errno));
    }
    if (idx_in >= 0 && fds[idx_in].revents) {
      ssize_t w = send(in_parent.get(), stdin_data.data() + written, stdin_data.size() - written,
                       MSG_NOSIGNAL);
      if (w > 0) written += static_cast<size_t>(w);
      if (w < 0 && errno != EAGAIN && errno != EINTR) in_parent.reset();  // child closed stdin
      if (written == stdin_data.size()) in_parent.reset();
    }
    auto drain = [&](int idx, Fd& fd, std::string& into) {
      if (idx < 0 || fds[idx].revents == 0) return;
      ssize_t got = read(fd.get(), buf, sizeof buf);
      if (got > 0) {
        size_t room = max_output > into.size() ? max_output - into.size() : 0;
        into.append(buf, std::min(room, static_cast<size_t>(got)));
      } else if (got == 0 || (errno != EAGAIN && errno != EINTR)) {
        fd.reset();
      }
    };
    drain(idx_out, out_parent, result.out);
    drain(idx_err, err_parent, result.err);
  }
  if (!timed_out) {
    auto left = deadline - Clock::now();
    if (auto st = child->wait_for(left > core::Nanos(0) ? left : core::Nanos(0))) {
      result.status = *st;
      return result;
    }
  }
  child->signal(SIGKILL);
  child->wait_for(std::chrono::seconds(5));
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(timeout).count();
  std::string msg = "`" + cmd.display() + "` timed out after " + std::to_string(ms) + " ms";
  if (!result.err.empty()) msg += "; stderr: " + result.err.substr(0, 500);
  return core::unavailable(msg);
}

}  // namespace csim::agent
