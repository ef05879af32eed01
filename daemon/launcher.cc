#include "daemon/launcher.h"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <set>
#include <thread>

#include "agent/sandbox.h"
#include "core/clock.h"
#include "daemon/cluster_dir.h"
#include "daemon/control_channel.h"
#include "daemon/daemon.h"
#include "daemon/listener.h"

namespace csim::daemon {
namespace {

using nlohmann::json;
using std::chrono::milliseconds;

constexpr off_t kLogRotateBytes = 8 << 20;
constexpr int kMaxNodes = 8;
constexpr int kDefaultNodes = 2;
// How long `csim up` waits for the lock of a csim whose pid is gone (its sandbox is
// being torn down by the kernel: every process in it is killed, then the lock is free).
constexpr auto kDyingSandboxWait = std::chrono::seconds(10);

std::string errno_text(int err) { return std::strerror(err); }

int64_t now_ms() {
  return std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

std::string self_exe() {
  char buf[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) return "/proc/self/exe";
  buf[n] = '\0';
  return buf;
}

bool clear_cloexec(int fd) {
  int flags = fcntl(fd, F_GETFD);
  return flags >= 0 && fcntl(fd, F_SETFD, flags & ~FD_CLOEXEC) == 0;
}

void set_cloexec(int fd) {
  int flags = fcntl(fd, F_GETFD);
  if (flags >= 0) fcntl(fd, F_SETFD, flags | FD_CLOEXEC);
}

// Closes every descriptor above 2 that is not in keep.
void close_other_fds(const std::set<int>& keep) {
  std::vector<int> open_fds;
  if (DIR* d = opendir("/proc/self/fd")) {
    const int own = dirfd(d);
    while (dirent* e = readdir(d)) {
      if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
      int fd = std::atoi(e->d_name);
      if (fd > 2 && fd != own && !keep.count(fd)) open_fds.push_back(fd);
    }
    closedir(d);
  }
  for (int fd : open_fds) close(fd);
}

// Opens the log for appending (rotating a big one to csim.log.1); returns its size.
core::Result<int> open_log(const StateDir& state, off_t* start_offset) {
  const std::string path = state.log_file();
  struct stat st;
  if (stat(path.c_str(), &st) == 0 && st.st_size > kLogRotateBytes) rename(path.c_str(), (path + ".1").c_str());
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (fd < 0) return core::unavailable("open " + path + ": " + errno_text(errno));
  *start_offset = lseek(fd, 0, SEEK_END);
  std::string header = "=== csim up, " + core::rfc3339(core::SystemClock::instance().now()) + " ===\n";
  ssize_t ignored = write(fd, header.data(), header.size());
  (void)ignored;
  return fd;
}

// What the daemon logged since `offset` (the last 2 KiB of it).
std::string log_tail(const StateDir& state, off_t offset) {
  int fd = open(state.log_file().c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return "";
  off_t end = lseek(fd, 0, SEEK_END);
  off_t from = std::max(offset, end - 2048);
  std::string out;
  if (end > from) {
    out.resize(static_cast<size_t>(end - from));
    ssize_t n = pread(fd, out.data(), out.size(), from);
    out.resize(n > 0 ? static_cast<size_t>(n) : 0);
  }
  close(fd);
  while (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

// Reads one line from fd within the deadline. "" on EOF or timeout (*timed_out says).
std::string read_line(int fd, int64_t deadline_ms, bool* timed_out) {
  std::string line;
  *timed_out = false;
  for (;;) {
    int64_t left = deadline_ms - now_ms();
    if (left <= 0) {
      *timed_out = true;
      return "";
    }
    pollfd p{fd, POLLIN, 0};
    int r = poll(&p, 1, static_cast<int>(left));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) continue;
    char buf[4096];
    ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return "";
    line.append(buf, static_cast<size_t>(n));
    size_t nl = line.find('\n');
    if (nl != std::string::npos) return line.substr(0, nl);
    if (line.size() > (1 << 20)) return "";
  }
}

// Process B (after fork): daemonize, then enter the sandbox (never returns on success).
[[noreturn]] void run_outer(const UpOptions& options, DaemonConfig config, int log_fd) {
  setsid();
  int devnull = open("/dev/null", O_RDWR);
  if (devnull >= 0) dup2(devnull, 0);
  dup2(log_fd, 1);
  dup2(log_fd, 2);
  close_other_fds({config.lock_fd, config.ready_fd, config.api_fd, config.config_fd, config.introspect_fd});
  auto fail = [&](const std::string& error) {
    std::string line = json{{"ok", false}, {"error", error}}.dump() + "\n";
    ssize_t ignored = write(config.ready_fd, line.data(), line.size());
    (void)ignored;
    std::fprintf(stderr, "csim: %s\n", error.c_str());
    _exit(1);
  };
  for (int fd : {config.lock_fd, config.ready_fd, config.api_fd, config.config_fd, config.introspect_fd}) {
    if (!clear_cloexec(fd)) fail("cannot pass descriptor " + std::to_string(fd) + " on: " + errno_text(errno));
  }
  if (chdir("/") != 0) fail("chdir /: " + errno_text(errno));
  config.outer_pid = getpid();
  setenv(kDaemonEnv, daemon_config_to_json(config).dump().c_str(), 1);
  // Always a sandbox of its own, also when started from inside one (`csim exec`, tests):
  // with the mark inherited, enter_sandbox would not make a new one.
  unsetenv(agent::kSandboxEnv);
  std::vector<std::string> args = options.reexec_argv;
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  auto st = agent::enter_sandbox(static_cast<int>(args.size()), argv.data());
  fail("cannot enter csim's sandbox: " + st.message());
  _exit(1);  // fail() does not return
}

}  // namespace

core::Status check_up_options(const UpOptions& options) {
  if (auto st = check_listen_address(options.listen_address, options.token, "--listen"); !st.is_ok()) return st;
  if (!options.token.empty()) {
    if (auto st = check_token(options.token); !st.is_ok()) return st;
  }
  if (options.nodes < 0 || options.nodes > kMaxNodes)
    return core::invalid("--nodes must be 1.." + std::to_string(kMaxNodes));
  if (options.reexec_argv.empty()) return core::invalid("no command to re-execute in the sandbox");
  if (options.api_port != 0 && options.api_port == options.config_port)
    return core::invalid("--port and --config-port must differ");
  if (options.introspect_port != 0 &&
      (options.introspect_port == options.api_port || options.introspect_port == options.config_port))
    return core::invalid("--introspect-port must differ from --port and --config-port");
  return core::Status::ok();
}

namespace {

// The nodes to start: the ones <state>/cluster was made with, unless `requested` (> 0)
// says otherwise (then refused when they differ).
core::Result<std::vector<std::string>> choose_nodes(const StateDir& state, int requested) {
  auto recorded = recorded_nodes(state.cluster_dir());
  if (!recorded.is_ok()) return recorded.status();
  std::vector<std::string> nodes;
  for (int i = 1; i <= (requested > 0 ? requested : kDefaultNodes); ++i) nodes.push_back("node-" + std::to_string(i));
  if (!*recorded) return nodes;
  if (requested == 0) return **recorded;
  if (**recorded != nodes) {
    return core::invalid(state.cluster_dir() + " holds a cluster of " + std::to_string((*recorded)->size()) +
                         " nodes, not " + std::to_string(requested) + ": leave --nodes out (or give " +
                         std::to_string((*recorded)->size()) + "), or use another --state-dir (or remove " +
                         state.cluster_dir() + " to start afresh)");
  }
  return nodes;
}

// Takes the lock; when it is held by a csim whose pid is gone (killed: its sandbox is
// being torn down), waits for it up to kDyingSandboxWait.
core::Result<InstanceLock> acquire_lock(const StateDir& state) {
  const int64_t until = now_ms() + std::chrono::duration_cast<milliseconds>(kDyingSandboxWait).count();
  for (;;) {
    auto lock = InstanceLock::try_acquire(state);
    if (lock.is_ok() || lock.status().code() != core::Code::kAlreadyExists) return lock;
    auto pid = read_pid_file(state);
    // is_csim_daemon, not just alive: the pid of a killed csim may have been reused.
    const bool alive = pid && is_csim_daemon(*pid);
    if (alive || !pid || now_ms() >= until) {
      std::string who = alive ? " (pid " + std::to_string(*pid) + ")"
                        : pid ? " (pid " + std::to_string(*pid) + " has gone, but its sandbox still holds " +
                                    state.lock_file() + ")"
                              : " (starting)";
      return core::already_exists("csim already runs for " + state.dir + who + "; `csim down` stops it");
    }
    std::this_thread::sleep_for(milliseconds(20));
  }
}

}  // namespace

core::Result<json> launch_daemon(const UpOptions& options) {
  if (auto st = check_up_options(options); !st.is_ok()) return st;
  const StateDir& state = options.state;
  if (auto st = ensure_state_dir(state); !st.is_ok()) return st;

  auto lock = acquire_lock(state);
  if (!lock.is_ok()) return lock.status();
  auto nodes = choose_nodes(state, options.nodes);
  if (!nodes.is_ok()) return nodes.status();
  // Nobody holds the lock: whatever a previous daemon left is stale. A pid file means it
  // ended without `csim down` (killed, or the machine stopped).
  const auto previous_pid = read_pid_file(state);
  std::vector<std::string> stale;
  for (const auto& path : {state.control_socket(), state.pid_file(), state.kubeconfig(), state.endpoints_file()}) {
    if (access(path.c_str(), F_OK) == 0) stale.push_back(path);
    if (auto st = remove_if_exists(path); !st.is_ok()) return st;
  }

  auto api = bind_listener(options.listen_address, options.api_port);
  if (!api.is_ok()) return core::unavailable("Kubernetes API: " + api.status().message() + " (--port)");
  auto config_listener = bind_listener(options.listen_address, options.config_port);
  if (!config_listener.is_ok()) {
    close(api->fd);
    return core::unavailable("config API: " + config_listener.status().message() +
                             (options.config_port == 8082 ? " (choose another with --config-port, 0 = any)" : " (--config-port)"));
  }
  auto introspect = bind_listener(options.listen_address, options.introspect_port);
  if (!introspect.is_ok()) {
    close(api->fd);
    close(config_listener->fd);
    return core::unavailable("agent introspection: " + introspect.status().message() +
                             (options.introspect_port == 8085 ? " (choose another with --introspect-port, 0 = any)"
                                                              : " (--introspect-port)"));
  }
  off_t log_offset = 0;
  auto log_fd = open_log(state, &log_offset);
  int ready[2] = {-1, -1};
  if (!log_fd.is_ok() || pipe2(ready, O_CLOEXEC) != 0) {
    close(api->fd);
    close(config_listener->fd);
    close(introspect->fd);
    if (log_fd.is_ok()) close(*log_fd);
    return log_fd.is_ok() ? core::unavailable("pipe: " + errno_text(errno)) : log_fd.status();
  }
  if (previous_pid) {
    std::string line = "the previous csim (pid " + std::to_string(*previous_pid) +
                       ") ended without `csim down`; removed its";
    for (const auto& path : stale) line += " " + path.substr(state.dir.size() + 1);
    line += "\n";
    ssize_t ignored = write(*log_fd, line.data(), line.size());
    (void)ignored;
  }

  DaemonConfig config;
  config.state = state;
  config.listen_address = options.listen_address;
  config.token = options.token;
  config.nodes = *nodes;
  config.lock_fd = lock->fd();
  config.ready_fd = ready[1];
  config.api_fd = api->fd;
  config.config_fd = config_listener->fd;
  config.introspect_fd = introspect->fd;
  config.api_port = api->port;
  config.config_port = config_listener->port;
  config.introspect_port = introspect->port;
  config.csim_binary = options.csim_binary.empty() ? self_exe() : options.csim_binary;

  std::fflush(stdout);
  std::fflush(stderr);
  pid_t outer = fork();
  if (outer < 0) {
    int err = errno;
    for (int fd : {api->fd, config_listener->fd, introspect->fd, *log_fd, ready[0], ready[1]}) close(fd);
    return core::unavailable("fork: " + errno_text(err));
  }
  if (outer == 0) {
    close(ready[0]);
    run_outer(options, config, *log_fd);
  }
  for (int fd : {api->fd, config_listener->fd, introspect->fd, *log_fd, ready[1]}) close(fd);

  bool timed_out = false;
  const int64_t deadline = now_ms() + std::chrono::duration_cast<milliseconds>(options.ready_timeout).count();
  std::string line = read_line(ready[0], deadline, &timed_out);
  std::string failure;
  if (timed_out) {
    failure = "the daemon did not report ready within " +
              std::to_string(std::chrono::duration_cast<std::chrono::seconds>(options.ready_timeout).count()) +
              " s; stopped it";
    kill(outer, SIGTERM);
    bool t2 = false;
    read_line(ready[0], now_ms() + 10000, &t2);  // EOF once it has gone
    if (t2) kill(outer, SIGKILL);
  } else if (line.empty()) {
    failure = "the daemon exited before it was ready";
  } else {
    auto report = json::parse(line, nullptr, false);
    if (report.is_object() && report.value("ok", false)) {
      close(ready[0]);
      if (previous_pid) report["previous_pid"] = *previous_pid;
      return report;
    }
    failure = report.is_object() ? report.value("error", line) : line;
  }
  close(ready[0]);
  std::string tail = log_tail(state, log_offset);
  return core::unavailable(failure + (tail.empty() ? "" : "\n--- " + state.log_file() + " ---\n" + tail));
}

bool is_daemon_child() {
  const char* mark = std::getenv(agent::kSandboxEnv);
  return std::getenv(kDaemonEnv) != nullptr && mark != nullptr && std::string(mark) == "init";
}

int daemon_child_main(int argc, char** argv) {
  const char* env = std::getenv(kDaemonEnv);
  auto parsed = json::parse(env ? env : "", nullptr, false);
  unsetenv(kDaemonEnv);  // the token must not reach the commands the daemon runs
  auto config = daemon_config_from_json(parsed);
  if (!config.is_ok()) {
    std::fprintf(stderr, "csim: %s\n", config.status().message().c_str());
    return 1;
  }
  for (int fd : {config->lock_fd, config->ready_fd, config->api_fd, config->config_fd, config->introspect_fd})
    if (fd >= 0) set_cloexec(fd);
  if (auto st = agent::enter_sandbox(argc, argv); !st.is_ok()) {
    std::string line = json{{"ok", false}, {"error", "sandbox set-up: " + st.message()}}.dump() + "\n";
    ssize_t ignored = write(config->ready_fd, line.data(), line.size());
    (void)ignored;
    return 1;
  }
  return run_daemon(*config);
}

core::Result<DownReport> stop_daemon(const StateDir& state, core::Nanos timeout) {
  DownReport report;
  auto cleanup = [&]() -> core::Status {
    for (const auto& path : {state.control_socket(), state.pid_file(), state.kubeconfig(), state.endpoints_file()}) {
      if (auto st = remove_if_exists(path); !st.is_ok()) return st;
    }
    return core::Status::ok();
  };
  auto pid = read_pid_file(state);
  report.pid = pid.value_or(0);
  if (!lock_is_held(state)) {
    if (auto st = cleanup(); !st.is_ok()) return st;
    return report;
  }
  report.was_running = true;
  auto wait_released = [&](core::Nanos how_long) {
    const int64_t until = now_ms() + std::chrono::duration_cast<milliseconds>(how_long).count();
    while (lock_is_held(state)) {
      if (now_ms() >= until) return false;
      std::this_thread::sleep_for(milliseconds(50));
    }
    return true;
  };
  auto asked = call_control(state.control_socket(), {{"op", "down"}}, std::chrono::seconds(5));
  if (asked.is_ok() && wait_released(timeout)) {
    report.graceful = true;
    if (auto st = cleanup(); !st.is_ok()) return st;
    return report;
  }
  // Not answering, or not stopping in time: kill the outer process (the sandbox dies with it).
  if (!pid) {
    return core::unavailable("csim for " + state.dir + " did not stop" +
                             (asked.is_ok() ? "" : " (" + asked.status().message() + ")") +
                             " and " + state.pid_file() + " names no process to kill");
  }
  if (!is_csim_daemon(*pid)) {
    if (!wait_released(std::chrono::seconds(1))) {
      return core::unavailable("csim for " + state.dir + " did not stop, and pid " + std::to_string(*pid) +
                               " from " + state.pid_file() + " is not a csim daemon: not killing it");
    }
  } else {
    kill(*pid, SIGKILL);
    report.killed = true;
    if (!wait_released(std::chrono::seconds(5)))
      return core::unavailable("csim pid " + std::to_string(*pid) + " still holds " + state.lock_file() +
                               " 5 s after SIGKILL");
  }
  if (auto st = cleanup(); !st.is_ok()) return st;
  return report;
}

}  // namespace csim::daemon
