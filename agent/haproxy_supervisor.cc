#include "agent/haproxy_supervisor.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/inotify.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <sstream>

#include "agent/haproxy_tls.h"
#include "agent/names.h"

namespace csim::agent {
namespace {

using SteadyClock = std::chrono::steady_clock;
using namespace std::chrono_literals;

std::string errno_text(int err) {
  char buf[128];
  return strerror_r(err, buf, sizeof buf);
}

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

core::Status mkdir_p(const std::string& path) {
  std::error_code ec;
  std::filesystem::create_directories(path, ec);
  if (ec) return core::unavailable("mkdir -p " + path + ": " + ec.message());
  return core::Status::ok();
}

core::Status write_file_atomic(const std::string& path, const std::string& text) {
  const std::string tmp = path + ".tmp";
  int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return core::unavailable("create " + tmp + ": " + errno_text(errno));
  size_t done = 0;
  while (done < text.size()) {
    ssize_t n = write(fd, text.data() + done, text.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      int err = errno;
      close(fd);
      return core::unavailable("write " + tmp + ": " + errno_text(err));
    }
    done += static_cast<size_t>(n);
  }
  close(fd);
  if (rename(tmp.c_str(), path.c_str()) != 0) {
    return core::unavailable("rename " + tmp + " to " + path + ": " + errno_text(errno));
  }
  return core::Status::ok();
}

std::string read_from(const std::string& path, off_t offset, size_t max = 64 * 1024) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return "";
  std::string out;
  char buf[8192];
  lseek(fd, offset, SEEK_SET);
  ssize_t n;
  while (out.size() < max && (n = read(fd, buf, sizeof buf)) > 0)
    out.append(buf, static_cast<size_t>(n));
  close(fd);
  return out;
}

std::vector<std::string> lines_with(const std::string& text, const std::string& tag) {
  std::vector<std::string> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.find(tag) != std::string::npos) out.push_back(line);
  }
  return out;
}

// ALERT lines (or the last lines when there are none), for error messages.
std::string haproxy_errors(const std::string& log_text) {
  auto alerts = lines_with(log_text, "[ALERT]");
  if (alerts.empty()) {
    std::istringstream in(log_text);
    std::string line;
    while (std::getline(in, line)) {
      if (!line.empty() && line.find("[NOTICE]") == std::string::npos) alerts.push_back(line);
    }
    if (alerts.size() > 10) alerts.erase(alerts.begin(), alerts.end() - 10);
  }
  std::string out;
  for (const auto& a : alerts) out += (out.empty() ? "" : "\n") + a;
  return out.empty() ? "(haproxy printed nothing)" : out;
}

// One command on a unix stream socket; reads until the peer closes.
core::Result<std::string> unix_query(const std::string& path, const std::string& command,
                                     core::Nanos timeout) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof addr.sun_path) return core::internal("socket path too long: " + path);
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return core::unavailable("socket: " + errno_text(errno));
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    int err = errno;
    close(fd);
    return core::Status(err == ENOENT ? core::Code::kNotFound : core::Code::kUnavailable,
                        "connect " + path + ": " + errno_text(err));
  }
  std::string line = command + "\n";
  if (send(fd, line.data(), line.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(line.size())) {
    int err = errno;
    close(fd);
    return core::unavailable("send to " + path + ": " + errno_text(err));
  }
  std::string out;
  char buf[8192];
  const auto deadline = SteadyClock::now() + timeout;
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - SteadyClock::now())
                    .count();
    if (left <= 0) {
      close(fd);
      return core::unavailable("no answer on " + path + " within the timeout");
    }
    struct pollfd pf = {fd, POLLIN, 0};
    int r = poll(&pf, 1, static_cast<int>(left));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) continue;
    ssize_t n = read(fd, buf, sizeof buf);
    if (n > 0) {
      out.append(buf, static_cast<size_t>(n));
      if (out.size() > (4 << 20)) break;
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    break;
  }
  close(fd);
  return out;
}

pid_t pid_of_info(const std::string& info) {
  auto pos = info.find("\nPid: ");
  if (pos == std::string::npos) return 0;
  return static_cast<pid_t>(std::atol(info.c_str() + pos + 6));
}

unsigned long nofile_hard_limit() {
  struct rlimit r;
  if (getrlimit(RLIMIT_NOFILE, &r) != 0 || r.rlim_max == RLIM_INFINITY) return 1 << 20;
  return static_cast<unsigned long>(r.rlim_max);
}

}  // namespace

void to_json(nlohmann::json& j, const HaproxyStatus& s) {
  nlohmann::json binds = nlohmann::json::array();
  for (const auto& b : s.binds)
    binds.push_back(b.ip + ":" + std::to_string(b.port) + (b.ssl ? " ssl" : ""));
  nlohmann::json certificates = nlohmann::json::array();
  for (const auto& c : s.certificates)
    certificates.push_back({{"container", c.container},
                            {"secret", c.secret},
                            {"file", c.file},
                            {"subject_cn", c.leaf.subject_cn},
                            {"sans", c.leaf.sans},
                            {"not_after", c.leaf.not_after},
                            {"sha256", c.leaf.sha256}});
  j = {{"lb", s.lb_uuid},
       {"namespace", s.netns},
       {"state", s.state},
       {"pid", s.pid},
       {"error", s.error},
       {"adaptations", s.adaptations},
       {"warnings", s.warnings},
       {"binds", binds},
       {"certificates", certificates},
       {"dir", s.dir},
       {"conf", s.conf_path},
       {"contrail_conf", s.contrail_conf_path},
       {"stats_socket", s.socket_path},
       {"log", s.log_path},
       {"took_ms", std::chrono::duration<double, std::milli>(s.took).count()},
       {"draining", s.draining}};
}

struct HaproxySupervisor::Instance {
  std::string lb;
  std::string netns;
  std::string dir;
  std::string conf_path;
  std::string socket_path;     // absolute
  std::string socket_in_conf;  // as written in the config (relative when too long)
  std::string admin_in_conf;
  std::string admin_connect;  // for -x (a plain path, relative to the cwd when long)
  std::string connect_path;   // what connect() uses (may go through /proc/self/fd)
  int dir_fd = -1;
  HaproxyRuntimeConfig runtime;             // of the serving process
  std::map<std::string, std::string> pems;  // PEM file name -> bytes, as the process loaded them
  std::string serving_state;                // "started" or "reloaded": how the process came
  std::unique_ptr<ChildProcess> process;
  std::vector<std::unique_ptr<ChildProcess>> draining;
  HaproxyStatus status;
  ~Instance() {
    if (dir_fd >= 0) close(dir_fd);
  }
};

HaproxySupervisor::HaproxySupervisor(HaproxySupervisorOptions options)
    : options_(std::move(options)) {}

HaproxySupervisor::~HaproxySupervisor() { stop_all(); }

std::string HaproxySupervisor::instance_dir(const std::string& lb_uuid) const {
  return options_.state_dir + "/loadbalancer/haproxy/" + lower(lb_uuid);
}

void HaproxySupervisor::refresh_locked(Instance& inst) {
  inst.draining.erase(std::remove_if(inst.draining.begin(), inst.draining.end(),
                                     [](const auto& p) { return p->poll().has_value(); }),
                      inst.draining.end());
  inst.status.draining.clear();
  for (const auto& p : inst.draining) inst.status.draining.push_back(p->pid());
  if (inst.process) {
    if (auto ended = inst.process->poll()) {
      inst.status.state = "failed";
      inst.status.error = "haproxy pid " + std::to_string(inst.process->pid()) + " ended (" +
                          ended->describe() +
                          "); its log: " + haproxy_errors(read_from(inst.status.log_path, 0));
      inst.status.pid = 0;
      inst.process.reset();
    }
  }
}

core::Status HaproxySupervisor::start_process_locked(Instance& inst, bool reload) {
  const std::string log_path = inst.dir + "/haproxy.log";
  int log_fd = open(log_path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (log_fd < 0) return core::unavailable("open " + log_path + ": " + errno_text(errno));
  const off_t log_offset = lseek(log_fd, 0, SEEK_END);

  // Watch the directory before starting, so the socket's appearance cannot be missed.
  int in = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
  if (in >= 0 && inotify_add_watch(in, inst.dir.c_str(), IN_CREATE | IN_MOVED_TO) < 0) {
    close(in);
    in = -1;
  }

  std::vector<std::string> argv = {options_.haproxy_binary, "-db", "-f", inst.conf_path};
  if (reload && inst.process) {
    argv.insert(argv.end(), {"-x", inst.admin_connect, "-sf", std::to_string(inst.process->pid())});
  }
  Command cmd{argv, inst.netns};
  cmd.cwd = inst.dir;
  const auto started_at = SteadyClock::now();
  auto child = start_process(cmd, {-1, log_fd, log_fd});
  close(log_fd);
  if (!child.is_ok()) {
    if (in >= 0) close(in);
    return child.status();
  }
  ChildProcess& p = **child;
  int pidfd = static_cast<int>(syscall(SYS_pidfd_open, p.pid(), 0));

  core::Status result = core::unavailable("haproxy did not start");
  const auto deadline = started_at + options_.start_timeout;
  auto backoff = 1ms;
  for (;;) {
    auto info = unix_query(inst.connect_path, "show info", 1s);
    if (info.is_ok() && pid_of_info(*info) == p.pid()) {
      result = core::Status::ok();
      break;
    }
    if (auto ended = p.poll()) {
      result = core::unavailable("haproxy " + ended->describe() + " in " + inst.netns + ":\n" +
                                 haproxy_errors(read_from(log_path, log_offset)));
      break;
    }
    if (SteadyClock::now() >= deadline) {
      p.signal(SIGKILL);
      p.wait_for(5s);
      auto ms =
          std::chrono::duration_cast<std::chrono::milliseconds>(options_.start_timeout).count();
      result =
          core::unavailable("haproxy pid " + std::to_string(p.pid()) + " did not answer on " +
                            inst.socket_path + " within " + std::to_string(ms) + " ms; its log:\n" +
                            haproxy_errors(read_from(log_path, log_offset)));
      break;
    }
    // The socket exists but is not (yet) the new process's: retry soon. Otherwise wait
    // for inotify (socket created) or the pidfd (process ended).
    bool socket_there = info.is_ok() || info.status().code() != core::Code::kNotFound;
    auto wait = socket_there ? backoff : 50ms;
    backoff = std::min<std::chrono::milliseconds>(backoff * 2, 16ms);
    struct pollfd fds[2];
    int n = 0;
    if (in >= 0) fds[n++] = {in, POLLIN, 0};
    if (pidfd >= 0) fds[n++] = {pidfd, POLLIN, 0};
    poll(fds, static_cast<nfds_t>(n), static_cast<int>(wait.count()));
    if (in >= 0) {
      char buf[4096];
      while (read(in, buf, sizeof buf) > 0) {
      }
    }
  }
  if (in >= 0) close(in);
  if (pidfd >= 0) close(pidfd);
  if (!result.is_ok()) return result;

  inst.status.took = std::chrono::duration_cast<core::Nanos>(SteadyClock::now() - started_at);
  inst.status.warnings = lines_with(read_from(log_path, log_offset), "[WARNING]");
  if (reload && inst.process) inst.draining.push_back(std::move(inst.process));
  inst.process = std::move(*child);
  write_file_atomic(inst.dir + "/haproxy.pid", std::to_string(inst.process->pid()) + "\n");
  return core::Status::ok();
}

core::Result<HaproxyStatus> HaproxySupervisor::apply(const HaproxyInstanceSpec& spec) {
  if (!is_uuid(spec.lb_uuid))
    return core::invalid("haproxy: loadbalancer id '" + spec.lb_uuid + "' is not a uuid");
  if (spec.netns.empty()) return core::invalid("haproxy " + spec.lb_uuid + ": no namespace");
  if (options_.state_dir.empty() || options_.state_dir[0] != '/') {
    return core::invalid("haproxy: state_dir must be an absolute path");
  }
  std::lock_guard lock(mu_);
  const std::string lb = lower(spec.lb_uuid);
  auto& slot = instances_[lb];
  if (!slot) {
    slot = std::make_unique<Instance>();
    Instance& i = *slot;
    i.lb = lb;
    i.dir = instance_dir(lb);
    i.conf_path = i.dir + "/haproxy.conf";
    i.socket_path = i.dir + "/haproxy.sock";
    const std::string admin = i.dir + "/haproxy-admin.sock";
    // Unix socket paths have at most 107 bytes, and haproxy binds "<path>.<pid>.tmp"
    // first: relative to haproxy's cwd (the instance directory) when too long.
    const bool fits = admin.size() <= 90;
    i.socket_in_conf = fits ? i.socket_path : "unix@haproxy.sock";
    i.admin_in_conf = fits ? admin : "unix@haproxy-admin.sock";
    i.admin_connect = fits ? admin : "haproxy-admin.sock";
    i.status.lb_uuid = lb;
    i.status.dir = i.dir;
    i.status.conf_path = i.conf_path;
    i.status.contrail_conf_path = i.dir + "/haproxy.conf.contrail";
    i.status.socket_path = i.socket_path;
    i.status.log_path = i.dir + "/haproxy.log";
  }
  Instance& inst = *slot;
  refresh_locked(inst);
  inst.status.changed = false;

  auto fail = [&](const core::Status& st) -> core::Result<HaproxyStatus> {
    inst.status.state = "failed";
    inst.status.error = st.message();
    inst.status.pid = inst.process ? inst.process->pid() : 0;
    if (inst.process)
      inst.status.error +=
          " (pid " + std::to_string(inst.process->pid()) + " keeps serving the previous config)";
    return core::Status(st.code(), inst.status.error);
  };

  // A new namespace means a new instance (Contrail's create without --update).
  if (inst.process && inst.netns != spec.netns) stop_locked(inst);
  inst.netns = spec.netns;
  inst.status.netns = spec.netns;

  if (auto st = mkdir_p(inst.dir); !st.is_ok()) return fail(st);
  if (inst.dir_fd < 0) inst.dir_fd = open(inst.dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  inst.connect_path = inst.socket_path.size() <= 107
                          ? inst.socket_path
                          : "/proc/self/fd/" + std::to_string(inst.dir_fd) + "/haproxy.sock";

  // TLS: each crt__<ns>__<secret> token -> the Secret -> checked PEM -> crt <file>.
  std::string text = spec.contrail_config;
  std::map<std::string, std::string> pems;
  std::vector<HaproxyCertificate> certificates;
  std::vector<std::string> tls_adaptations, tls_errors;
  if (text.find("crt__") != std::string::npos) {
    auto rewrite =
        rewrite_tls_binds(text, [&](const std::string& container) -> core::Result<std::string> {
          auto c = parse_tls_container(container);
          if (!c.is_ok()) return c.status();
          const std::string secret_name = "Secret " + c->secret();
          if (!options_.tls_secrets)
            return core::unavailable("the agent has no TLS secret source to read " + secret_name);
          auto secret = options_.tls_secrets(c->ns, c->name);
          if (!secret.is_ok()) {
            const std::string& m = secret.status().message();
            if (m.find(c->secret()) != std::string::npos) return secret.status();
            return core::Status(secret.status().code(), secret_name + ": " + m);
          }
          auto checked = check_tls_secret(*secret, secret_name);
          if (!checked.is_ok()) return checked.status();
          const std::string file = pem_file_name(*c);
          pems[file] = std::move(checked->pem_bundle);
          certificates.push_back({container, c->secret(), inst.dir + "/" + file, checked->leaf});
          return inst.dir + "/" + file;
        });
    text = std::move(rewrite.text);
    tls_adaptations = std::move(rewrite.adaptations);
    tls_errors = std::move(rewrite.errors);
  }
  std::string tls_error;
  for (const auto& e : tls_errors) tls_error += (tls_error.empty() ? "" : "\n") + e;

  auto runtime = derive_haproxy_runtime_config(
      text, {inst.socket_in_conf, inst.admin_in_conf, inst.dir}, nofile_hard_limit());
  if (!runtime.is_ok()) {
    if (tls_error.empty()) return fail(runtime.status());
    return fail(
        core::Status(runtime.status().code(), runtime.status().message() + "\n" + tls_error));
  }
  runtime->adaptations.insert(runtime->adaptations.end(), tls_adaptations.begin(),
                              tls_adaptations.end());
  if (inst.socket_in_conf != inst.socket_path) {
    runtime->adaptations.push_back("stats socket path relative to the instance directory (" +
                                   inst.socket_path + " is longer than a unix socket path may be)");
  }
  const bool running = inst.process != nullptr;
  if (running && runtime->text == inst.runtime.text && pems == inst.pems) {
    if (auto st = write_file_atomic(inst.status.contrail_conf_path, spec.contrail_config);
        !st.is_ok())
      return fail(st);
    // Unchanged. Back to the config that serves after a failed update: serving again.
    inst.status.changed = inst.status.state == "failed";
    inst.status.state = inst.serving_state;
    inst.status.error = tls_error;
    inst.status.certificates = certificates;
    return inst.status;
  }

  if (auto st = write_file_atomic(inst.status.contrail_conf_path, spec.contrail_config);
      !st.is_ok())
    return fail(st);

  if (!running && runtime->binds.empty()) {
    // Nothing to listen on yet: start haproxy when the first frontend arrives.
    if (auto st = write_file_atomic(inst.conf_path, runtime->text); !st.is_ok()) return fail(st);
    inst.status.changed = inst.status.state != "waiting";
    inst.status.state = "waiting";
    inst.status.error = tls_error;
    inst.status.pid = 0;
    inst.status.adaptations = runtime->adaptations;
    inst.status.binds.clear();
    inst.status.certificates = certificates;
    return inst.status;
  }

  // Certificates first (haproxy -c reads them); put the previous ones back on failure.
  auto restore_pems = [&] {
    for (const auto& [file, bytes] : pems) {
      auto old = inst.pems.find(file);
      if (old == inst.pems.end()) {
        unlink((inst.dir + "/" + file).c_str());
      } else if (old->second != bytes) {
        write_private_file(inst.dir, file, old->second);
      }
    }
  };
  for (const auto& [file, bytes] : pems) {
    auto old = inst.pems.find(file);
    if (old != inst.pems.end() && old->second == bytes) continue;
    if (auto st = write_private_file(inst.dir, file, bytes); !st.is_ok()) {
      restore_pems();
      return fail(st);
    }
  }
  const std::string candidate = inst.conf_path + ".new";
  if (auto st = write_file_atomic(candidate, runtime->text); !st.is_ok()) {
    restore_pems();
    return fail(st);
  }
  if (running || options_.check_before_start) {
    Command check{{options_.haproxy_binary, "-c", "-f", candidate}};
    check.cwd = inst.dir;
    auto r = run_command(check, "", 30s);
    if (!r.is_ok()) {
      restore_pems();
      return fail(r.status());
    }
    if (!r->status.success()) {
      unlink(candidate.c_str());
      restore_pems();
      return fail(core::invalid("haproxy -c refused the config for " + lb + ":\n" +
                                haproxy_errors(r->err.empty() ? r->out : r->err)));
    }
  }
  const std::string previous = running ? read_from(inst.conf_path, 0) : "";
  if (rename(candidate.c_str(), inst.conf_path.c_str()) != 0) {
    restore_pems();
    return fail(core::unavailable("rename " + candidate + ": " + errno_text(errno)));
  }
  auto st = start_process_locked(inst, running);
  if (!st.is_ok()) {
    if (running) write_file_atomic(inst.conf_path, previous);  // keep the file matching what serves
    restore_pems();
    return fail(st);
  }
  // Certificates no longer used go (their keys do not stay on disk).
  for (const auto& [file, bytes] : inst.pems)
    if (!pems.count(file)) unlink((inst.dir + "/" + file).c_str());
  inst.pems = std::move(pems);
  inst.runtime = *runtime;
  inst.status.state = running ? "reloaded" : "started";
  inst.serving_state = inst.status.state;
  inst.status.changed = true;
  inst.status.error = tls_error;
  inst.status.pid = inst.process->pid();
  inst.status.adaptations = runtime->adaptations;
  inst.status.binds = runtime->binds;
  inst.status.certificates = std::move(certificates);
  refresh_locked(inst);
  return inst.status;
}

core::Status HaproxySupervisor::stop_locked(Instance& inst) {
  std::vector<ChildProcess*> all;
  if (inst.process) all.push_back(inst.process.get());
  for (auto& d : inst.draining) all.push_back(d.get());
  for (auto* p : all) p->signal(SIGTERM);
  std::vector<std::string> errors;
  for (auto* p : all) {
    if (!p->wait_for(options_.stop_grace)) {
      p->signal(SIGKILL);
      if (!p->wait_for(5s))
        errors.push_back("haproxy pid " + std::to_string(p->pid()) + " did not die");
    }
  }
  inst.process.reset();
  inst.draining.clear();
  inst.runtime = {};
  inst.pems.clear();
  inst.status.certificates.clear();
  inst.status.pid = 0;
  inst.status.draining.clear();
  inst.status.state = "stopped";
  inst.status.changed = true;
  std::error_code ec;
  std::filesystem::remove_all(inst.dir, ec);
  if (ec) errors.push_back("remove " + inst.dir + ": " + ec.message());
  if (inst.dir_fd >= 0) {
    close(inst.dir_fd);
    inst.dir_fd = -1;
  }
  if (errors.empty()) return core::Status::ok();
  std::string msg = "stop haproxy " + inst.lb + ":";
  for (const auto& e : errors) msg += " " + e;
  return core::unavailable(msg);
}

core::Status HaproxySupervisor::stop(const std::string& lb_uuid) {
  std::lock_guard lock(mu_);
  auto it = instances_.find(lower(lb_uuid));
  if (it == instances_.end()) return core::Status::ok();
  auto st = stop_locked(*it->second);
  instances_.erase(it);
  return st;
}

void HaproxySupervisor::stop_all() {
  std::lock_guard lock(mu_);
  for (auto& [lb, inst] : instances_) stop_locked(*inst);
  instances_.clear();
}

std::optional<HaproxyStatus> HaproxySupervisor::status(const std::string& lb_uuid) {
  std::lock_guard lock(mu_);
  auto it = instances_.find(lower(lb_uuid));
  if (it == instances_.end()) return std::nullopt;
  refresh_locked(*it->second);
  return it->second->status;
}

std::vector<HaproxyStatus> HaproxySupervisor::list() {
  std::lock_guard lock(mu_);
  std::vector<HaproxyStatus> out;
  for (auto& [lb, inst] : instances_) {
    refresh_locked(*inst);
    out.push_back(inst->status);
  }
  return out;
}

core::Result<std::string> HaproxySupervisor::stats_command(const std::string& lb_uuid,
                                                           const std::string& command) {
  if (command.empty() || command.find_first_of("\r\n;") != std::string::npos) {
    return core::invalid("stats command must be one line without ';'");
  }
  std::string path;
  {
    std::lock_guard lock(mu_);
    auto it = instances_.find(lower(lb_uuid));
    if (it == instances_.end() || !it->second->process)
      return core::not_found("no haproxy running for " + lb_uuid);
    path = it->second->connect_path;
  }
  return unix_query(path, command, 5s);
}

}  // namespace csim::agent
