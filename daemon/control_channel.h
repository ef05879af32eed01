// The control channel's wire: a unix stream socket carrying one JSON object per line
// ("\n"-terminated, at most 1 MiB), optionally with file descriptors attached to a line
// (SCM_RIGHTS; `csim exec` passes its stdin, stdout and stderr that way).
//
// Requests and replies (daemon/daemon.h serves them):
//   {"op":"status"}                          -> {"ok":true, ...status...}
//   {"op":"netns"}                           -> {"ok":true,"netns":[{"name","kind"}]}
//   {"op":"curl","url","method","host","headers":[[k,v]],"body","from","timeout_ms"}
//                                            -> {"ok":true,"status","reason","headers","body","elapsed_ms"}
//   {"op":"exec","netns","argv":[..],"cwd"} + 3 fds (stdin, stdout, stderr)
//                                            -> {"ok":true,"pid":N}, then later
//                                               {"ok":true,"exit":{"code":C,"signal":S}};
//      while it runs the client may send {"signal":N} (SIGINT, SIGTERM, SIGHUP, SIGQUIT);
//      when the client goes away the command is terminated.
//   {"op":"down"}                            -> {"ok":true}, then the daemon stops
// Errors: {"ok":false,"error":"<what and where>"}.
//
// Paths longer than a sockaddr_un can hold (deep temp directories) are reached through
// /proc/self/fd/<dirfd>/<name>. Thread-safe functions; a MessageReader belongs to one thread.
#pragma once

#include <atomic>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/clock.h"
#include "core/status.h"

namespace csim::daemon {

inline constexpr size_t kMaxMessageBytes = 1 << 20;
inline constexpr size_t kMaxPassedFds = 3;

// Binds a listening unix stream socket at path (which must not exist), mode 0600.
// Returns the descriptor (O_CLOEXEC).
core::Result<int> listen_unix(const std::string& path, int backlog = 64);
// Connects to the unix socket at path. kNotFound when nothing listens there.
core::Result<int> connect_unix(const std::string& path);
// The uid of the peer of a connected unix socket (SO_PEERCRED).
core::Result<uid_t> peer_uid(int fd);

// Sends one message (json + "\n") with `fds` attached (at most kMaxPassedFds). Blocks
// until written; kUnavailable when the peer has gone.
core::Status send_message(int fd, const nlohmann::json& message, const std::vector<int>& fds = {});

// Reads messages from one connection.
class MessageReader {
 public:
  explicit MessageReader(int fd) : fd_(fd) {}
  ~MessageReader();  // closes received descriptors nobody took

  // The next message. Waits up to `timeout` (0: only what has already arrived); a nullopt
  // result = nothing complete yet, the connection is fine. `cancel`, when given and set,
  // ends the wait early (nullopt).
  // kUnavailable "connection closed" at end of stream; kInvalid for a line that is not a
  // JSON object or longer than kMaxMessageBytes.
  core::Result<std::optional<nlohmann::json>> next(core::Nanos timeout,
                                                    const std::atomic<bool>* cancel = nullptr);
  // Descriptors received so far (in order); the caller owns them once taken.
  std::vector<int> take_fds();

 private:
  int fd_;
  std::string buffer_;
  std::vector<int> fds_;
  bool eof_ = false;
};

// One request/response exchange with the daemon of a control socket: connect, send,
// read one reply (bounded by timeout). A reply with "ok": false becomes an error with
// its message (kUnavailable).
core::Result<nlohmann::json> call_control(const std::string& socket_path, const nlohmann::json& request,
                                          core::Nanos timeout);

}  // namespace csim::daemon
