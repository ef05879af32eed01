#include "daemon/control_channel.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>

namespace csim::daemon {
namespace {

std::string errno_text(int err) { return std::strerror(err); }

// A sockaddr_un for path; for a long path, through an O_PATH descriptor of its directory
// (kept open in dir_fd until the caller has used the address).
struct UnixAddress {
  sockaddr_un addr{};
  socklen_t len = 0;
  int dir_fd = -1;
  ~UnixAddress() {
    if (dir_fd >= 0) close(dir_fd);
  }
};

core::Status make_address(const std::string& path, UnixAddress& out) {
  out.addr.sun_family = AF_UNIX;
  std::string target = path;
  if (path.size() >= sizeof(out.addr.sun_path)) {
    size_t slash = path.rfind('/');
    if (slash == std::string::npos || slash + 1 >= path.size())
      return core::invalid("unix socket path " + path + " is too long");
    std::string dir = slash == 0 ? "/" : path.substr(0, slash);
    out.dir_fd = open(dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (out.dir_fd < 0) return core::unavailable("open " + dir + ": " + errno_text(errno));
    target = "/proc/self/fd/" + std::to_string(out.dir_fd) + "/" + path.substr(slash + 1);
    if (target.size() >= sizeof(out.addr.sun_path))
      return core::invalid("unix socket name in " + path + " is too long");
  }
  std::memcpy(out.addr.sun_path, target.c_str(), target.size() + 1);
  out.len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + target.size() + 1);
  return core::Status::ok();
}

int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace

core::Result<int> listen_unix(const std::string& path, int backlog) {
  UnixAddress address;
  if (auto st = make_address(path, address); !st.is_ok()) return st;
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return core::unavailable("socket(AF_UNIX): " + errno_text(errno));
  if (bind(fd, reinterpret_cast<sockaddr*>(&address.addr), address.len) != 0) {
    int err = errno;
    close(fd);
    return core::unavailable("bind unix socket " + path + ": " + errno_text(err));
  }
  if (chmod(path.c_str(), 0600) != 0 || listen(fd, backlog) != 0) {
    int err = errno;
    close(fd);
    unlink(path.c_str());
    return core::unavailable("listen on unix socket " + path + ": " + errno_text(err));
  }
  return fd;
}

core::Result<int> connect_unix(const std::string& path) {
  UnixAddress address;
  if (auto st = make_address(path, address); !st.is_ok()) return st;
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return core::unavailable("socket(AF_UNIX): " + errno_text(errno));
  int r;
  do {
    r = connect(fd, reinterpret_cast<sockaddr*>(&address.addr), address.len);
  } while (r != 0 && errno == EINTR);
  if (r != 0) {
    int err = errno;
    close(fd);
    if (err == ENOENT || err == ECONNREFUSED)
      return core::not_found("nothing listens on " + path + " (" + errno_text(err) + ")");
    return core::unavailable("connect to " + path + ": " + errno_text(err));
  }
  return fd;
}

core::Result<uid_t> peer_uid(int fd) {
  ucred cred{};
  socklen_t len = sizeof cred;
  if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0)
    return core::unavailable("SO_PEERCRED: " + errno_text(errno));
  return cred.uid;
}

core::Status send_message(int fd, const nlohmann::json& message, const std::vector<int>& fds) {
  if (fds.size() > kMaxPassedFds) return core::invalid("at most 3 descriptors per message");
  std::string text = message.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  size_t done = 0;
  bool fds_sent = fds.empty();
  while (done < text.size()) {
    iovec iov{text.data() + done, text.size() - done};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * kMaxPassedFds)];
    if (!fds_sent) {
      std::memset(control, 0, sizeof control);
      msg.msg_control = control;
      msg.msg_controllen = CMSG_SPACE(sizeof(int) * fds.size());
      cmsghdr* c = CMSG_FIRSTHDR(&msg);
      c->cmsg_level = SOL_SOCKET;
      c->cmsg_type = SCM_RIGHTS;
      c->cmsg_len = CMSG_LEN(sizeof(int) * fds.size());
      std::memcpy(CMSG_DATA(c), fds.data(), sizeof(int) * fds.size());
    }
    ssize_t n = sendmsg(fd, &msg, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      return core::unavailable("send on the control socket: " + errno_text(errno));
    }
    fds_sent = true;
    done += static_cast<size_t>(n);
  }
  return core::Status::ok();
}

MessageReader::~MessageReader() {
  for (int fd : fds_) close(fd);
}

std::vector<int> MessageReader::take_fds() {
  std::vector<int> out;
  out.swap(fds_);
  return out;
}

core::Result<std::optional<nlohmann::json>> MessageReader::next(core::Nanos timeout,
                                                                 const std::atomic<bool>* cancel) {
  const int64_t deadline =
      now_ms() + std::chrono::duration_cast<std::chrono::milliseconds>(timeout).count();
  for (;;) {
    size_t nl = buffer_.find('\n');
    if (nl != std::string::npos) {
      std::string line = buffer_.substr(0, nl);
      buffer_.erase(0, nl + 1);
      auto j = nlohmann::json::parse(line, nullptr, false);
      if (j.is_discarded() || !j.is_object())
        return core::invalid("control message is not a JSON object: " + line.substr(0, 80));
      return std::optional<nlohmann::json>(std::move(j));
    }
    if (buffer_.size() > kMaxMessageBytes) return core::invalid("control message longer than 1 MiB");
    if (eof_) return core::unavailable("connection closed");
    if (cancel && cancel->load()) return std::optional<nlohmann::json>();
    const int64_t left = std::max<int64_t>(0, deadline - now_ms());
    pollfd p{fd_, POLLIN, 0};
    int r = poll(&p, 1, static_cast<int>(cancel ? std::min<int64_t>(left, 100) : left));
    if (r < 0) {
      if (errno == EINTR) continue;
      return core::unavailable("poll on the control socket: " + errno_text(errno));
    }
    if (r == 0) {
      if (now_ms() >= deadline) return std::optional<nlohmann::json>();
      continue;
    }
    char data[16384];
    iovec iov{data, sizeof data};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * 8)];
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    ssize_t n = recvmsg(fd_, &msg, MSG_CMSG_CLOEXEC);
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      if (errno == ECONNRESET) {
        eof_ = true;
        continue;
      }
      return core::unavailable("read from the control socket: " + errno_text(errno));
    }
    for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
      if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
      size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
      for (size_t i = 0; i < count; ++i) {
        int received;
        std::memcpy(&received, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
        if (fds_.size() < kMaxPassedFds) fds_.push_back(received);
        else close(received);
      }
    }
    if (n == 0) eof_ = true;
    else buffer_.append(data, static_cast<size_t>(n));
  }
}

core::Result<nlohmann::json> call_control(const std::string& socket_path, const nlohmann::json& request,
                                          core::Nanos timeout) {
  auto fd = connect_unix(socket_path);
  if (!fd.is_ok()) return fd.status();
  struct Closer {
    int fd;
    ~Closer() { close(fd); }
  } closer{*fd};
  if (auto st = send_message(*fd, request); !st.is_ok()) return st;
  MessageReader reader(*fd);
  auto reply = reader.next(timeout);
  if (!reply.is_ok()) {
    if (reply.status().message() == "connection closed")
      return core::unavailable("the daemon closed the control connection without answering");
    return reply.status();
  }
  if (!reply->has_value())
    return core::unavailable("no answer from the daemon within " +
                             std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(timeout).count()) +
                             " ms");
  nlohmann::json j = std::move(**reply);
  if (!j.value("ok", false)) return core::unavailable(j.value("error", std::string("the daemon refused")));
  return j;
}

}  // namespace csim::daemon
