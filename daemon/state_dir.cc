#include "daemon/state_dir.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

namespace csim::daemon {
namespace {

namespace fs = std::filesystem;

std::string errno_text(int err) { return std::strerror(err); }

bool under_run(const std::string& path) { return path == "/run" || path.rfind("/run/", 0) == 0; }

std::string read_small_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

core::Status not_under_run(const std::string& path, const std::string& shown) {
  if (under_run(path)) {
    return core::invalid("state directory " + shown +
                         " is under /run, which csim's sandbox replaces with its own; choose "
                         "another one with --state-dir or CSIM_STATE_DIR");
  }
  return core::Status::ok();
}

}  // namespace

core::Result<StateDir> resolve_state_dir(const std::string& flag) {
  std::string dir = flag;
  if (dir.empty()) {
    const char* env = std::getenv("CSIM_STATE_DIR");
    if (env && *env) dir = env;
  }
  if (dir.empty()) {
    const char* home = std::getenv("HOME");
    if (!home || !*home)
      return core::invalid("no state directory: HOME is not set; use --state-dir DIR or CSIM_STATE_DIR");
    dir = std::string(home) + "/.csim";
  }
  std::error_code ec;
  fs::path p = fs::absolute(dir, ec);
  if (ec) return core::invalid("state directory " + dir + ": " + ec.message());
  std::string normal = p.lexically_normal().string();
  while (normal.size() > 1 && normal.back() == '/') normal.pop_back();
  if (auto st = not_under_run(normal, normal); !st.is_ok()) return st;
  return StateDir{normal};
}

core::Status ensure_state_dir(const StateDir& state) {
  std::error_code ec;
  fs::create_directories(state.dir, ec);
  if (ec) return core::unavailable("cannot create state directory " + state.dir + ": " + ec.message());
  struct stat st;
  if (stat(state.dir.c_str(), &st) != 0)
    return core::unavailable("state directory " + state.dir + ": " + errno_text(errno));
  if (!S_ISDIR(st.st_mode)) return core::invalid("state directory " + state.dir + " is not a directory");
  if (st.st_uid != geteuid())
    return core::invalid("state directory " + state.dir + " belongs to uid " + std::to_string(st.st_uid) +
                         ", not to you (uid " + std::to_string(geteuid()) + ")");
  if ((st.st_mode & 077) != 0 && chmod(state.dir.c_str(), st.st_mode & 0700) != 0)
    return core::unavailable("chmod 0700 " + state.dir + ": " + errno_text(errno));
  fs::path real = fs::canonical(state.dir, ec);
  if (ec) return core::unavailable("state directory " + state.dir + ": " + ec.message());
  return not_under_run(real.string(), state.dir + " (really " + real.string() + ")");
}

namespace {

// A whole-file write lock owned by the open file description (F_OFD_SETLK): inherited
// across fork and exec like flock(), and testable without taking it (F_OFD_GETLK).
struct flock whole_file(short type) {
  struct flock fl;
  std::memset(&fl, 0, sizeof fl);
  fl.l_type = type;
  fl.l_whence = SEEK_SET;
  return fl;
}

}  // namespace

core::Result<InstanceLock> InstanceLock::try_acquire(const StateDir& state) {
  const std::string path = state.lock_file();
  int fd = open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return core::unavailable("open " + path + ": " + errno_text(errno));
  struct flock fl = whole_file(F_WRLCK);
  if (fcntl(fd, F_OFD_SETLK, &fl) != 0) {
    int err = errno;
    close(fd);
    if (err == EAGAIN || err == EACCES) return core::already_exists("csim already runs for " + state.dir);
    return core::unavailable("lock " + path + ": " + errno_text(err));
  }
  return InstanceLock(fd);
}

InstanceLock& InstanceLock::operator=(InstanceLock&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) close(fd_);
    fd_ = other.fd_;
    other.fd_ = -1;
  }
  return *this;
}

InstanceLock::~InstanceLock() {
  if (fd_ >= 0) close(fd_);
}

int InstanceLock::release() {
  int fd = fd_;
  fd_ = -1;
  return fd;
}

bool lock_is_held(const StateDir& state) {
  int fd = open(state.lock_file().c_str(), O_RDWR | O_CLOEXEC);
  if (fd < 0) return false;  // no lock file: nobody ever started here
  struct flock fl = whole_file(F_WRLCK);
  bool held = fcntl(fd, F_OFD_GETLK, &fl) == 0 && fl.l_type != F_UNLCK;
  close(fd);
  return held;
}

std::optional<pid_t> read_pid_file(const StateDir& state) {
  std::string text = read_small_file(state.pid_file());
  if (text.empty()) return std::nullopt;
  char* end = nullptr;
  long v = std::strtol(text.c_str(), &end, 10);
  if (end == text.c_str() || v <= 1 || v > (1L << 22)) return std::nullopt;
  return static_cast<pid_t>(v);
}

core::Status write_pid_file(const StateDir& state, pid_t pid) {
  const std::string path = state.pid_file();
  const std::string tmp = path + ".tmp";
  const std::string text = std::to_string(pid) + "\n";
  int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return core::unavailable("open " + tmp + ": " + errno_text(errno));
  bool ok = write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  int err = errno;
  close(fd);
  if (!ok) return core::unavailable("write " + tmp + ": " + errno_text(err));
  if (rename(tmp.c_str(), path.c_str()) != 0)
    return core::unavailable("rename " + tmp + " to " + path + ": " + errno_text(errno));
  return core::Status::ok();
}

bool process_alive(pid_t pid) {
  if (pid <= 0) return false;
  std::string stat = read_small_file("/proc/" + std::to_string(pid) + "/stat");
  if (stat.empty()) return kill(pid, 0) == 0 || errno == EPERM;
  // "pid (comm) S ...": the state follows the last ')'.
  size_t close_paren = stat.rfind(')');
  if (close_paren == std::string::npos || close_paren + 2 >= stat.size()) return true;
  char state = stat[close_paren + 2];
  return state != 'Z' && state != 'X';
}

bool is_csim_daemon(pid_t pid) {
  if (!process_alive(pid)) return false;
  const std::string proc = "/proc/" + std::to_string(pid);
  std::error_code ec;
  std::string exe = fs::read_symlink(proc + "/exe", ec).string();
  if (ec) return false;
  const std::string deleted = " (deleted)";
  if (exe.size() > deleted.size() && exe.compare(exe.size() - deleted.size(), deleted.size(), deleted) == 0)
    exe.resize(exe.size() - deleted.size());
  std::string base = fs::path(exe).filename().string();
  bool named_csim = base.rfind("csim", 0) == 0;
  if (!named_csim) {
    struct stat a, b;
    named_csim = stat((proc + "/exe").c_str(), &a) == 0 && stat("/proc/self/exe", &b) == 0 &&
                 a.st_dev == b.st_dev && a.st_ino == b.st_ino;
  }
  if (!named_csim) return false;
  std::string cmdline = read_small_file(proc + "/cmdline");
  std::vector<std::string> args;
  size_t start = 0;
  while (start < cmdline.size() && args.size() < 2) {
    size_t end = cmdline.find('\0', start);
    if (end == std::string::npos) end = cmdline.size();
    args.push_back(cmdline.substr(start, end - start));
    start = end + 1;
  }
  return args.size() >= 2 && args[1] == "up";
}

core::Status remove_if_exists(const std::string& path) {
  if (unlink(path.c_str()) != 0 && errno != ENOENT)
    return core::unavailable("remove " + path + ": " + errno_text(errno));
  return core::Status::ok();
}

std::string shell_quote(const std::string& s) {
  bool plain = !s.empty();
  for (char c : s) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || std::strchr("/._-+:,=@%", c))) {
      plain = false;
      break;
    }
  }
  if (plain) return s;
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') out += "'\\''";
    else out += c;
  }
  return out + "'";
}

}  // namespace csim::daemon
