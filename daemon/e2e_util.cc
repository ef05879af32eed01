#include "daemon/e2e_util.h"

#include <fcntl.h>
#include <linux/nsfs.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "agent/process.h"
#include "daemon/host_pids.h"

namespace csim::daemon::e2e {

namespace fs = std::filesystem;
using nlohmann::json;
using std::chrono::seconds;

std::string tmp_root() {
  const char* t = std::getenv("TEST_TMPDIR");
  return t ? t : "/tmp";
}

Outcome run(const std::vector<std::string>& argv, seconds timeout) {
  agent::Command cmd;
  cmd.argv = argv;
  cmd.extra_env = {"HOME=" + tmp_root()};
  Outcome r;
  auto out = agent::run_command(cmd, "", timeout, 64 << 20);
  if (!out.is_ok()) {
    r.err = out.status().message();
    return r;
  }
  r.code = out->status.signal ? 128 + out->status.signal : out->status.code;
  r.out = out->out;
  r.err = out->err;
  return r;
}

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : s) {
    if (c == sep) {
      out.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  if (!cur.empty()) out.push_back(cur);
  return out;
}

std::vector<std::string> split_ws(const std::string& line) {
  std::istringstream s(line);
  std::vector<std::string> out;
  for (std::string w; s >> w;) out.push_back(w);
  return out;
}

json json_after_brace(const std::string& text) {
  size_t brace = text.find('{');
  if (brace == std::string::npos) return nullptr;
  json j = json::parse(text.substr(brace), nullptr, false);
  return j.is_discarded() ? json(nullptr) : j;
}

Session::Session(std::string csim, StateDir state)
    : csim_(std::move(csim)), state_(std::move(state)), cache_(state_.dir + "-kubectl-cache") {}

Outcome Session::up(const std::vector<std::string>& extra) const {
  std::vector<std::string> argv = {csim_,         "up", "--state-dir", state_.dir, "--port", "0", "--config-port",
                                   "0",           "--introspect-port", "0"};
  argv.insert(argv.end(), extra.begin(), extra.end());
  return run(argv, seconds(120));
}

Outcome Session::csim(const std::vector<std::string>& args, seconds timeout) const {
  std::vector<std::string> argv = {csim_, args.at(0), "--state-dir", state_.dir};
  argv.insert(argv.end(), args.begin() + 1, args.end());
  return run(argv, timeout);
}

Outcome Session::kubectl(const std::vector<std::string>& args, seconds timeout) const {
  std::vector<std::string> argv = {"kubectl", "--kubeconfig", state_.kubeconfig(), "--cache-dir", cache_,
                                   "--request-timeout=20s"};
  argv.insert(argv.end(), args.begin(), args.end());
  return run(argv, timeout);
}

Outcome Session::curl_until(const std::string& url, const std::string& want, seconds limit) const {
  Outcome r;
  const auto deadline = std::chrono::steady_clock::now() + limit;
  do {
    r = csim({"curl", "-m", "3", url});
    if (r.code == 0 && r.out.rfind(want, 0) == 0) return r;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  } while (std::chrono::steady_clock::now() < deadline);
  return r;
}

void Session::shut_down() const {
  if (lock_is_held(state_)) csim({"down"}, seconds(60));
  if (auto pid = read_pid_file(state_); pid && is_csim_daemon(*pid)) kill(*pid, SIGKILL);
}

namespace {

ino_t ns_inode(pid_t pid, const char* kind) {
  struct stat st;
  const std::string path = "/proc/" + std::to_string(pid) + "/ns/" + kind;
  return stat(path.c_str(), &st) == 0 ? st.st_ino : 0;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Field 22 of /proc/<pid>/stat; 0 when the process is gone.
uint64_t start_time(pid_t pid) {
  const std::string stat = read_file("/proc/" + std::to_string(pid) + "/stat");
  size_t paren = stat.rfind(')');
  if (paren == std::string::npos) return 0;
  std::istringstream fields(stat.substr(paren + 2));
  std::string f;
  for (int i = 3; i <= 22 && fields >> f; ++i) {
    if (i == 22) return std::strtoull(f.c_str(), nullptr, 10);
  }
  return 0;
}

bool zombie(pid_t pid) {
  const std::string stat = read_file("/proc/" + std::to_string(pid) + "/stat");
  size_t paren = stat.rfind(')');
  if (stat.empty() || paren == std::string::npos || paren + 2 >= stat.size()) return true;  // gone
  return stat[paren + 2] == 'Z' || stat[paren + 2] == 'X';
}

std::vector<pid_t> all_pids() {
  std::vector<pid_t> out;
  for (const auto& e : fs::directory_iterator("/proc")) {
    const std::string name = e.path().filename().string();
    if (!name.empty() && name.find_first_not_of("0123456789") == std::string::npos) out.push_back(std::stoi(name));
  }
  return out;
}

// True when pid's PID namespace is this process's or one nested in it (so the process
// is this test's, not another test's on the same machine).
bool ours(pid_t pid) {
  const ino_t mine = ns_inode(getpid(), "pid");
  int fd = open(("/proc/" + std::to_string(pid) + "/ns/pid").c_str(), O_RDONLY | O_CLOEXEC);
  for (int depth = 0; fd >= 0 && depth < 33; ++depth) {
    struct stat st;
    if (fstat(fd, &st) != 0) break;
    if (st.st_ino == mine) {
      close(fd);
      return true;
    }
    int parent = ioctl(fd, NS_GET_PARENT);
    close(fd);
    fd = parent;
  }
  if (fd >= 0) close(fd);
  return false;
}

std::string exe_of(pid_t pid) {
  std::error_code ec;
  std::string exe = fs::read_symlink("/proc/" + std::to_string(pid) + "/exe", ec).string();
  const std::string deleted = " (deleted)";
  if (exe.size() > deleted.size() && exe.compare(exe.size() - deleted.size(), deleted.size(), deleted) == 0)
    exe.resize(exe.size() - deleted.size());
  return exe;
}

std::string describe(pid_t pid) {
  std::string cmdline = read_file("/proc/" + std::to_string(pid) + "/cmdline");
  for (char& c : cmdline)
    if (c == '\0') c = ' ';
  if (cmdline.size() > 160) cmdline = cmdline.substr(0, 160) + "...";
  return "pid " + std::to_string(pid) + " " + fs::path(exe_of(pid)).filename().string() + " (" + cmdline + ")";
}

}  // namespace

SandboxProbe probe_sandbox(pid_t outer) {
  SandboxProbe p;
  p.outer = {outer, start_time(outer)};
  p.init = SandboxPids::scan(outer).init_pid();
  if (p.init <= 0) return p;
  p.pid_ns = ns_inode(p.init, "pid");
  p.mnt_ns = ns_inode(p.init, "mnt");
  for (pid_t pid : all_pids()) {
    if (zombie(pid)) continue;
    const SandboxProbe::Proc proc{pid, start_time(pid)};
    if (ns_inode(pid, "pid") == p.pid_ns) {
      p.sandbox.insert(proc);
      if (ino_t net = ns_inode(pid, "net")) p.net_ns.insert(net);
    } else if (pid != outer && ours(pid)) {
      p.bystanders.insert(proc);
    }
  }
  return p;
}

std::vector<std::string> remains_of(const SandboxProbe& dead) {
  std::vector<std::string> out;
  auto alive = [](const SandboxProbe::Proc& p) { return !zombie(p.first) && start_time(p.first) == p.second; };
  if (dead.outer.first > 0 && alive(dead.outer)) out.push_back("the outer csim " + describe(dead.outer.first) + " is alive");
  for (const auto& p : dead.sandbox)
    if (alive(p)) out.push_back(describe(p.first) + " of the dead sandbox is alive");
  std::set<std::string> links;
  for (ino_t n : dead.net_ns) links.insert("net:[" + std::to_string(n) + "]");
  if (dead.mnt_ns) links.insert("mnt:[" + std::to_string(dead.mnt_ns) + "]");
  if (dead.pid_ns) links.insert("pid:[" + std::to_string(dead.pid_ns) + "]");
  for (const auto& p : dead.bystanders) {
    if (!alive(p)) continue;
    const std::string proc = "/proc/" + std::to_string(p.first);
    std::error_code ec;
    for (const char* kind : {"net", "mnt", "pid"}) {
      const std::string target = fs::read_symlink(proc + "/ns/" + kind, ec).string();
      if (!ec && links.count(target)) out.push_back(describe(p.first) + " is in the dead sandbox's " + target);
    }
    for (const auto& fd : fs::directory_iterator(proc + "/fd", ec)) {
      std::error_code ec2;
      const std::string target = fs::read_symlink(fd.path(), ec2).string();
      if (!ec2 && links.count(target)) out.push_back(describe(p.first) + " holds " + target + " open");
    }
  }
  return out;
}

std::vector<std::string> stray_processes(pid_t live_outer) {
  const pid_t init = live_outer > 0 ? SandboxPids::scan(live_outer).init_pid() : 0;
  const ino_t live_ns = init > 0 ? ns_inode(init, "pid") : 0;
  std::vector<std::string> out;
  for (pid_t pid : all_pids()) {
    if (pid == getpid() || pid == live_outer || zombie(pid)) continue;
    const std::string base = fs::path(exe_of(pid)).filename().string();
    if (base != "haproxy" && base.rfind("csim", 0) != 0) continue;
    if (live_ns && ns_inode(pid, "pid") == live_ns) continue;
    if (!ours(pid)) continue;
    out.push_back(describe(pid));
  }
  return out;
}

}  // namespace csim::daemon::e2e
