// Child processes: spawn a command (argv vector, never a shell), optionally inside a named
// network namespace, and learn how it ended.
//
// csim is PID 1 of its sandbox's PID namespace, so every orphan in the sandbox is
// re-parented to it. One Reaper thread owns waitpid() for the whole process: it collects
// every child's exit status and hands it to whoever waits for that pid; statuses of
// children nobody started through this file (orphans) are dropped. Nothing else in csim
// may call waitpid(-1)/wait(): start every child through start_process() or
// run_command().
//
// Spawning uses clone(CLONE_VM | CLONE_VFORK) like posix_spawn (no copy of csim's memory
// or page tables, however big csim is), then in the child: setns() into the namespace, chdir, dup2
// of stdio, close of every other descriptor, execve(). A failure in any of those steps is reported
// to the caller with the step and errno ("setns /run/netns/x: Invalid argument").
#pragma once

#include <sys/types.h>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/status.h"

namespace csim::agent {

// How a child ended.
struct ExitStatus {
  int code = -1;   // exit code if it exited, else -1
  int signal = 0;  // signal that killed it, else 0
  bool success() const { return signal == 0 && code == 0; }
  // "exit code 1", "killed by signal 9 (Killed)".
  std::string describe() const;
};

// A command to run. argv[0] is an absolute path or a name looked up in $PATH.
struct Command {
  std::vector<std::string> argv;
  // Run inside the network namespace /run/netns/<netns> ("" = csim's own). The name
  // must be a plain file name (no '/', not "." or ".."); it is checked here.
  std::string netns;
  std::string cwd;                     // "" = inherit
  std::vector<std::string> extra_env;  // "KEY=VALUE", override the inherited environment
  // "haproxy -c -f /x" for messages (argv joined, long arguments cut).
  std::string display() const;
};

// The reaper: the only owner of waitpid() in the process. Thread-safe; a leaked
// singleton (never destroyed), its thread starts on first use.
class Reaper {
 public:
  static Reaper& instance();

  // Waits until pid (a child started through this file) has ended or timeout passes.
  // Returns its status, or nullopt on timeout. Any thread.
  std::optional<ExitStatus> wait(pid_t pid, core::Nanos timeout);
  // Status if it has ended, without waiting.
  std::optional<ExitStatus> poll(pid_t pid);
  // Sends sig to pid unless it has already been reaped (so a recycled pid is never hit).
  // Returns false if it had already ended.
  bool signal(pid_t pid, int sig);
  // Forgets a pid whose status nobody will read (frees the entry once it has ended).
  void release(pid_t pid);
  // Number of orphans (children not started here) reaped so far; for tests and stats.
  uint64_t orphans_reaped() const;

  // Internal: runs spawn() with the registry locked, so the child's exit can't be
  // routed before its pid is registered. spawn returns the pid or -1.
  pid_t spawn_registered(const std::function<pid_t()>& spawn);

  class Impl;

 private:
  Reaper();
  Impl* impl_;
};

// File descriptors for a child's stdin/stdout/stderr; -1 means /dev/null. They are
// dup'ed into the child; the caller keeps (and closes) its own copies.
struct StdioFds {
  int in = -1;
  int out = -1;
  int err = -1;
};

// A started child. Destroying the handle does not kill the process (call stop()).
class ChildProcess {
 public:
  ChildProcess(pid_t pid, std::string display) : pid_(pid), display_(std::move(display)) {}
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  pid_t pid() const { return pid_; }
  const std::string& display() const { return display_; }
  // Status once it has ended; nullopt while it runs.
  std::optional<ExitStatus> poll() const;
  // Waits up to timeout; nullopt if still running.
  std::optional<ExitStatus> wait_for(core::Nanos timeout) const;
  // Sends a signal; false if it has already ended.
  bool signal(int sig) const;
  // SIGTERM, up to `grace` for it to end, then SIGKILL. Returns how it ended.
  ExitStatus stop(core::Nanos grace) const;

 private:
  pid_t pid_;
  std::string display_;
};

// Starts cmd with the given stdio. Errors: bad netns name, program not found, setns/
// exec failure (with errno), fork failure.
core::Result<std::unique_ptr<ChildProcess>> start_process(const Command& cmd, StdioFds stdio = {});

// What a command printed and how it ended.
struct CommandOutput {
  ExitStatus status;
  std::string out;
  std::string err;
  // "`nft -f -` failed (exit code 1): <stderr, trimmed>" for error messages.
  std::string failure_message(const std::string& what) const;
};

// Runs cmd to completion, writing stdin_data to its stdin and collecting stdout and
// stderr (each capped at max_output bytes, the rest discarded). On timeout the child is
// killed and the result is an kUnavailable error naming the command and the timeout. A
// non-zero exit is not an error here: look at status.
core::Result<CommandOutput> run_command(const Command& cmd, const std::string& stdin_data,
                                        core::Nanos timeout, size_t max_output = 1 << 20);

// Resolves a program name through $PATH ("haproxy" -> "/usr/sbin/haproxy"); absolute
// and relative paths (with a '/') are returned as they are if executable.
core::Result<std::string> find_program(const std::string& name);

}  // namespace csim::agent
