#include "cli/daemon_commands.h"

#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "agent/http_client.h"
#include "controller/rest/vnc_types.h"
#include "daemon/agent_text.h"
#include "daemon/config_client.h"
#include "daemon/control_channel.h"
#include "daemon/endpoints.h"
#include "daemon/host_pids.h"
#include "daemon/launcher.h"
#include "daemon/state_dir.h"
#include "daemon/status_text.h"

namespace csim::cli {

const char* const kDaemonUsage =
    R"(  csim up [--state-dir DIR] [--port N] [--config-port N] [--introspect-port N]
          [--listen ADDR --token T] [--nodes N]
        start the simulated cluster as a background daemon (the same cluster again when
        the state dir holds one); prints where the Kubernetes API (for kubectl), the
        config API (8082) and the agents' introspection (8085) listen, and KUBECONFIG
  csim down [--state-dir DIR]
        stop it (agents, haproxy, echo servers, namespaces go; the cluster stays in the
        state dir for the next `csim up`)
  csim status [--state-dir DIR] [--json]
        modules, agents with their haproxy instances, Ingresses and their addresses
  csim curl [--host H] [--sni NAME|-] [-X METHOD] [-H 'K: V'] [-d BODY] [-i] [--from NS] URL
        send an HTTP request from the sandbox's external client (csim-ext); https://
        URLs use TLS with SNI = the Host (or --sni; - sends none), no verification, and
        -i shows the certificate the server chose
  csim exec NAMESPACE -- CMD ARGS...  |  csim exec --list
        run a command in one of the sandbox's network namespaces
  csim config get TYPE UUID|FQ:NAME  |  csim config list TYPE [--detail]  |  csim config types
        an object (or the list of a type) from the config API, as VNC JSON
  csim agent list  |  csim agent show NODE  [--json]
        the vrouter agents' introspection: service instances, their namespace, haproxy
        pid and state, last command and error; pods
)";

namespace {

using nlohmann::json;

constexpr auto kControlTimeout = std::chrono::seconds(15);

// A tiny argv walker: flags with values, the rest positional.
class Args {
 public:
  Args(int argc, char** argv) : argc_(argc), argv_(argv) {}
  bool done() const { return i_ >= argc_; }
  std::string peek() const { return argv_[i_]; }
  std::string next() { return argv_[i_++]; }
  // The value of flag (at i_-1); prints a usage error and returns false when missing.
  bool value(const std::string& command, const std::string& flag, std::string* out) {
    if (i_ >= argc_) {
      std::cerr << "csim " << command << ": " << flag << " needs a value\n";
      return false;
    }
    *out = argv_[i_++];
    return true;
  }
  int index() const { return i_; }

 private:
  int argc_;
  char** argv_;
  int i_ = 1;
};

bool parse_int(const std::string& text, long min, long max, long* out) {
  if (text.empty() || text.size() > 9) return false;
  for (char c : text)
    if (c < '0' || c > '9') return false;
  long v = std::strtol(text.c_str(), nullptr, 10);
  if (v < min || v > max) return false;
  *out = v;
  return true;
}

int usage_error(const std::string& command, const std::string& message) {
  std::cerr << "csim " << command << ": " << message << "\nusage:\n" << kDaemonUsage;
  return 2;
}

core::Result<daemon::StateDir> state_dir_or_report(const std::string& command, const std::string& flag) {
  auto state = daemon::resolve_state_dir(flag);
  if (!state.is_ok()) std::cerr << "csim " << command << ": " << state.status().message() << "\n";
  return state;
}

std::string not_running(const daemon::StateDir& state) {
  return "csim is not running for " + state.dir + " (`csim up` starts it)";
}

// Calls the daemon; prints why not and returns nullopt when it cannot.
std::optional<json> call(const std::string& command, const daemon::StateDir& state, const json& request) {
  if (!daemon::lock_is_held(state)) {
    std::cerr << "csim " << command << ": " << not_running(state) << "\n";
    return std::nullopt;
  }
  auto reply = daemon::call_control(state.control_socket(), request, kControlTimeout);
  if (!reply.is_ok()) {
    std::string m = reply.status().message();
    if (reply.status().code() == core::Code::kNotFound) m = "csim is starting or not answering (" + m + ")";
    std::cerr << "csim " << command << ": " << m << "\n";
    return std::nullopt;
  }
  return *reply;
}

}  // namespace

int run_up(int argc, char** argv) {
  // The daemon itself: `csim up` re-executed inside the sandbox by the outer process.
  if (daemon::is_daemon_child()) return daemon::daemon_child_main(argc, argv);

  daemon::UpOptions options;
  std::string state_flag, value;
  Args args(argc, argv);
  while (!args.done()) {
    std::string a = args.next();
    long n = 0;
    if (a == "-h" || a == "--help") {
      std::cout << "usage:\n" << kDaemonUsage;
      return 0;
    } else if (a == "--state-dir") {
      if (!args.value("up", a, &state_flag)) return 2;
    } else if (a == "--port" || a == "--config-port" || a == "--introspect-port") {
      if (!args.value("up", a, &value)) return 2;
      if (!parse_int(value, 0, 65535, &n)) return usage_error("up", a + " must be a port number 0..65535 (0 = any free port)");
      (a == "--port" ? options.api_port : a == "--config-port" ? options.config_port : options.introspect_port) =
          static_cast<uint16_t>(n);
    } else if (a == "--listen") {
      if (!args.value("up", a, &options.listen_address)) return 2;
    } else if (a == "--token") {
      if (!args.value("up", a, &options.token)) return 2;
    } else if (a == "--nodes") {
      if (!args.value("up", a, &value)) return 2;
      if (!parse_int(value, 1, 8, &n)) return usage_error("up", "--nodes must be 1..8");
      options.nodes = static_cast<int>(n);
    } else {
      return usage_error("up", "unknown argument '" + a + "'");
    }
  }
  auto state = state_dir_or_report("up", state_flag);
  if (!state.is_ok()) return 1;
  options.state = *state;

  auto ready = daemon::launch_daemon(options);
  if (!ready.is_ok()) {
    std::cerr << "csim up: " << ready.status().message() << "\n";
    return ready.status().code() == core::Code::kInvalid ? 2 : 1;
  }
  const json& r = *ready;
  std::string nodes;
  for (const auto& node : r.value("nodes", json::array()))
    nodes += (nodes.empty() ? "" : ", ") + node.value("name", "") + " " + node.value("underlay_ip", "");
  if (r.contains("previous_pid"))
    std::cout << "# the previous csim (pid " << r.value("previous_pid", 0)
              << ") ended without `csim down`: its leftovers were removed\n";
  std::cout << "# csim is up: pid " << r.value("pid", 0) << ", " << r.value("nodes", json::array()).size()
            << " nodes (" << nodes << ")"
            << (r.value("restored", false) ? ", the cluster of " + options.state.dir + " restored" : "") << "\n"
            << "#   Kubernetes API  " << r.value("api_url", "") << "\n"
            << "#   config API      " << r.value("config_url", "") << "\n"
            << "#   introspection   " << r.value("introspect_url", "") << "\n"
            << "#   kubeconfig      " << r.value("kubeconfig", "") << "\n"
            << "#   log             " << r.value("log", "") << "\n"
            << "#   then: kubectl apply -f FILE; csim status; csim curl http://<ingress address>/PATH; csim down\n";
  if (r.value("tls", false))
    std::cout << "# the Kubernetes API is HTTPS (--token): its CA and the token are in the kubeconfig; other\n"
                 "# clients need both (curl --cacert <state>/tls/ca.crt -H 'Authorization: Bearer T')\n";
  std::cout << "export KUBECONFIG=" << daemon::shell_quote(r.value("kubeconfig", "")) << "\n";
  return 0;
}

int run_down(int argc, char** argv) {
  std::string state_flag;
  Args args(argc, argv);
  while (!args.done()) {
    std::string a = args.next();
    if (a == "--state-dir") {
      if (!args.value("down", a, &state_flag)) return 2;
    } else if (a == "-h" || a == "--help") {
      std::cout << "usage:\n" << kDaemonUsage;
      return 0;
    } else {
      return usage_error("down", "unknown argument '" + a + "'");
    }
  }
  auto state = state_dir_or_report("down", state_flag);
  if (!state.is_ok()) return 1;
  auto report = daemon::stop_daemon(*state);
  if (!report.is_ok()) {
    std::cerr << "csim down: " << report.status().message() << "\n";
    return 1;
  }
  if (!report->was_running) {
    std::cout << "csim was not running for " << state->dir << "\n";
  } else if (report->killed) {
    std::cout << "csim did not stop in time; killed pid " << report->pid << " (and its sandbox)\n";
  } else {
    std::cout << "csim is down (pid " << report->pid << " stopped; state dir " << state->dir << ")\n";
  }
  return 0;
}

int run_status(int argc, char** argv) {
  std::string state_flag;
  bool as_json = false;
  Args args(argc, argv);
  while (!args.done()) {
    std::string a = args.next();
    if (a == "--state-dir") {
      if (!args.value("status", a, &state_flag)) return 2;
    } else if (a == "--json") {
      as_json = true;
    } else if (a == "-h" || a == "--help") {
      std::cout << "usage:\n" << kDaemonUsage;
      return 0;
    } else {
      return usage_error("status", "unknown argument '" + a + "'");
    }
  }
  auto state = state_dir_or_report("status", state_flag);
  if (!state.is_ok()) return 1;
  auto status = call("status", *state, {{"op", "status"}});
  if (!status) return 1;
  const auto pids = daemon::SandboxPids::scan(static_cast<pid_t>(status->value("pid", 0)));
  if (as_json) {
    // Host pids next to the sandbox's, for scripts.
    json out = *status;
    for (auto& a : out["agents"]) {
      for (auto& h : a["haproxy"]) {
        if (auto hp = pids.host_pid(h.value("pid", 0))) h["host_pid"] = *hp;
      }
    }
    std::cout << out.dump(2) << "\n";
    return 0;
  }
  std::cout << daemon::format_status(*status, [&](pid_t p) { return pids.host_pid(p); });
  return 0;
}

int run_curl(int argc, char** argv) {
  std::string state_flag, url, value;
  json request = {{"op", "curl"}, {"method", "GET"}, {"headers", json::array()}};
  bool include = false, method_given = false;
  Args args(argc, argv);
  while (!args.done()) {
    std::string a = args.next();
    long n = 0;
    if (a == "--state-dir") {
      if (!args.value("curl", a, &state_flag)) return 2;
    } else if (a == "--host") {
      if (!args.value("curl", a, &value)) return 2;
      request["host"] = value;
    } else if (a == "-X" || a == "--request") {
      if (!args.value("curl", a, &value)) return 2;
      request["method"] = value;
      method_given = true;
    } else if (a == "-H" || a == "--header") {
      if (!args.value("curl", a, &value)) return 2;
      size_t colon = value.find(':');
      if (colon == std::string::npos || colon == 0) return usage_error("curl", "-H wants 'Name: value'");
      std::string v = value.substr(colon + 1);
      while (!v.empty() && v[0] == ' ') v.erase(0, 1);
      std::string name = value.substr(0, colon);
      if (name == "Host" || name == "host") request["host"] = v;
      else request["headers"].push_back({name, v});
    } else if (a == "-d" || a == "--data") {
      if (!args.value("curl", a, &value)) return 2;
      request["body"] = value;
      if (!method_given) request["method"] = "POST";
    } else if (a == "--from") {
      if (!args.value("curl", a, &value)) return 2;
      request["from"] = value;
    } else if (a == "--sni") {
      if (!args.value("curl", a, &value)) return 2;
      request["sni"] = value;
    } else if (a == "-m" || a == "--max-time") {
      if (!args.value("curl", a, &value)) return 2;
      if (!parse_int(value, 1, 60, &n)) return usage_error("curl", a + " must be 1..60 seconds");
      request["timeout_ms"] = n * 1000;
    } else if (a == "-i" || a == "--include") {
      include = true;
    } else if (a == "-h" || a == "--help") {
      std::cout << "usage:\n" << kDaemonUsage;
      return 0;
    } else if (!a.empty() && a[0] == '-') {
      return usage_error("curl", "unknown option '" + a + "'");
    } else if (url.empty()) {
      url = a;
    } else {
      return usage_error("curl", "one URL at a time");
    }
  }
  if (url.empty()) return usage_error("curl", "which URL?");
  request["url"] = url;
  auto state = state_dir_or_report("curl", state_flag);
  if (!state.is_ok()) return 1;
  auto reply = call("curl", *state, request);
  if (!reply) return 1;
  std::string out;
  if (include && reply->contains("tls")) {
    // What curl -v shows of the handshake: which certificate the server chose for the SNI.
    const json& tls = (*reply)["tls"];
    const json& cert = tls.value("certificate", json::object());
    std::string sans;
    for (const auto& s : cert.value("sans", json::array())) sans += (sans.empty() ? "" : ", ") + s.get<std::string>();
    out += "* TLS " + tls.value("protocol", "") + " " + tls.value("cipher", "") + ", SNI " +
           (tls.value("sni", "").empty() ? std::string("(none)") : tls.value("sni", "")) + "\n";
    out += "* server certificate: CN=" + cert.value("subject_cn", "") + (sans.empty() ? "" : ", SANs: " + sans) +
           ", expires " + cert.value("not_after", "") + "\n";
    out += "* sha256 " + cert.value("sha256", "") + "\n";
  }
  out += "HTTP/1.1 " + std::to_string(reply->value("status", 0)) + " " + reply->value("reason", "") + "\n";
  if (include) {
    for (const auto& h : reply->value("headers", json::array()))
      out += h[0].get<std::string>() + ": " + h[1].get<std::string>() + "\n";
    out += "\n";
  }
  out += reply->value("body", "");
  std::fwrite(out.data(), 1, out.size(), stdout);
  std::fflush(stdout);
  return 0;
}

namespace {

int g_signal_pipe_write = -1;

void forward_signal(int sig) {
  char c = static_cast<char>(sig);
  ssize_t ignored = write(g_signal_pipe_write, &c, 1);
  (void)ignored;
}

int exec_list(const daemon::StateDir& state) {
  auto reply = call("exec", state, {{"op", "netns"}});
  if (!reply) return 125;
  const json list = reply->value("netns", json::array());
  size_t width = 0;
  for (const auto& ns : list) width = std::max(width, ns.value("name", "").size());
  for (const auto& ns : list) {
    std::string name = ns.value("name", "");
    name.append(width - name.size(), ' ');
    std::cout << name << "  " << ns.value("kind", "") << "\n";
  }
  return 0;
}

}  // namespace

int run_exec(int argc, char** argv) {
  std::string state_flag, netns;
  bool list = false;
  std::vector<std::string> command;
  Args args(argc, argv);
  while (!args.done()) {
    std::string a = args.next();
    if (a == "--state-dir") {
      if (!args.value("exec", a, &state_flag)) return 2;
    } else if (a == "--list" || a == "-l") {
      list = true;
    } else if (a == "-h" || a == "--help") {
      std::cout << "usage:\n" << kDaemonUsage;
      return 0;
    } else if (netns.empty() && !a.empty() && a[0] != '-') {
      netns = a;
      if (!args.done() && args.peek() == "--") args.next();
      while (!args.done()) command.push_back(args.next());
    } else {
      return usage_error("exec", "unknown argument '" + a + "'");
    }
  }
  auto state = state_dir_or_report("exec", state_flag);
  if (!state.is_ok()) return 125;
  if (list) return exec_list(*state);
  if (netns.empty() || command.empty()) return usage_error("exec", "usage: csim exec NAMESPACE -- CMD ARGS... (csim exec --list)");
  if (!daemon::lock_is_held(*state)) {
    std::cerr << "csim exec: " << not_running(*state) << "\n";
    return 125;
  }
  char cwd[PATH_MAX];
  json request = {{"op", "exec"}, {"netns", netns}, {"argv", command}, {"cwd", getcwd(cwd, sizeof cwd) ? cwd : "/"}};

  // Our stdin, stdout and stderr go to the command (closed ones become /dev/null).
  std::vector<int> stdio, opened;
  for (int fd = 0; fd < 3; ++fd) {
    if (fcntl(fd, F_GETFD) >= 0) {
      stdio.push_back(fd);
    } else {
      int null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
      stdio.push_back(null_fd);
      opened.push_back(null_fd);
    }
  }
  auto sock = daemon::connect_unix(state->control_socket());
  if (!sock.is_ok()) {
    std::cerr << "csim exec: " << sock.status().message() << "\n";
    return 125;
  }
  if (auto st = daemon::send_message(*sock, request, stdio); !st.is_ok()) {
    std::cerr << "csim exec: " << st.message() << "\n";
    return 125;
  }
  for (int fd : opened) close(fd);
  daemon::MessageReader reader(*sock);
  auto first = reader.next(kControlTimeout);
  if (!first.is_ok() || !first->has_value()) {
    std::cerr << "csim exec: no answer from the daemon"
              << (first.is_ok() ? std::string() : " (" + first.status().message() + ")") << "\n";
    return 125;
  }
  if (!(**first).value("ok", false)) {
    std::cerr << "csim exec: " << (**first).value("error", "refused") << "\n";
    return (**first).value("exit_code", 125);
  }

  // Ctrl-C and friends go to the command, through the daemon.
  int sig_pipe[2];
  if (pipe2(sig_pipe, O_CLOEXEC | O_NONBLOCK) != 0) return 125;
  g_signal_pipe_write = sig_pipe[1];
  struct sigaction sa;
  std::memset(&sa, 0, sizeof sa);
  sa.sa_handler = forward_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  for (int s : {SIGINT, SIGTERM, SIGHUP, SIGQUIT}) sigaction(s, &sa, nullptr);
  signal(SIGPIPE, SIG_IGN);
  for (;;) {
    pollfd p[2] = {{*sock, POLLIN, 0}, {sig_pipe[0], POLLIN, 0}};
    int r = poll(p, 2, -1);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return 125;
    if (p[1].revents & POLLIN) {
      char c;
      while (read(sig_pipe[0], &c, 1) == 1) daemon::send_message(*sock, {{"signal", static_cast<int>(c)}});
    }
    if (p[0].revents & (POLLIN | POLLHUP | POLLERR)) {
      auto m = reader.next(std::chrono::milliseconds(0));
      if (!m.is_ok()) {
        std::cerr << "csim exec: the daemon went away before the command ended\n";
        return 125;
      }
      if (!m->has_value()) continue;
      const json& msg = **m;
      if (!msg.value("ok", false)) {
        std::cerr << "csim exec: " << msg.value("error", "failed") << "\n";
        return 125;
      }
      if (msg.contains("exit")) {
        int code = msg["exit"].value("code", -1);
        int signal_number = msg["exit"].value("signal", 0);
        if (msg.contains("why")) std::cerr << "csim exec: " << msg.value("why", "") << "\n";
        return signal_number != 0 ? 128 + signal_number : code;
      }
    }
  }
}

}  // namespace csim::cli

namespace csim::cli {
namespace {

// Where the running daemon serves; prints why not and returns nullopt when it does not run.
std::optional<daemon::DaemonEndpoints> endpoints_or_report(const std::string& command, const daemon::StateDir& state) {
  if (!daemon::lock_is_held(state)) {
    std::cerr << "csim " << command << ": " << not_running(state) << "\n";
    return std::nullopt;
  }
  auto e = daemon::read_endpoints(state);
  if (!e.is_ok()) {
    std::cerr << "csim " << command << ": "
              << (e.status().code() == core::Code::kNotFound ? "csim is starting (" + e.status().message() + ")"
                                                             : e.status().message())
              << "\n";
    return std::nullopt;
  }
  return *e;
}

void print_json(const json& j) { std::cout << j.dump(4, ' ', false, json::error_handler_t::replace) << "\n"; }

bool valid_node_name(const std::string& s) {
  if (s.empty() || s.size() > 63) return false;
  for (char c : s)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == '_')) return false;
  return s != "." && s != "..";
}

// GET path from the introspection server: the page, or nullopt after printing why not.
std::optional<json> introspect_get(const daemon::DaemonEndpoints& e, const std::string& path) {
  auto ip = daemon::client_ipv4(e.listen_address);
  if (!ip.is_ok()) {
    std::cerr << "csim agent: " << ip.status().message() << "\n";
    return std::nullopt;
  }
  agent::HttpRequestSpec spec;
  spec.ip = *ip;
  spec.port = e.introspect_port;
  spec.path = path;
  spec.timeout = std::chrono::seconds(15);
  if (!e.token.empty()) spec.extra_headers.emplace_back("X-Auth-Token", e.token);
  auto r = agent::http_request(spec);
  if (!r.is_ok()) {
    std::cerr << "csim agent: cannot reach the introspection server at " << *ip << ":" << e.introspect_port << ": "
              << r.status().message() << "\n";
    return std::nullopt;
  }
  json body = json::parse(r->body, nullptr, false);
  if (r->status != 200) {
    std::string why = body.is_object() ? body.value("error", "") : "";
    std::cerr << "csim agent: " << (why.empty() ? "the introspection server answered " + std::to_string(r->status) : why)
              << "\n";
    return std::nullopt;
  }
  if (body.is_discarded()) {
    std::cerr << "csim agent: the introspection server answered with malformed JSON\n";
    return std::nullopt;
  }
  return body;
}

}  // namespace

int run_config(int argc, char** argv) {
  std::string state_flag;
  bool detail = false;
  std::vector<std::string> words;
  Args args(argc, argv);
  while (!args.done()) {
    std::string a = args.next();
    if (a == "--state-dir") {
      if (!args.value("config", a, &state_flag)) return 2;
    } else if (a == "--detail") {
      detail = true;
    } else if (a == "-h" || a == "--help") {
      std::cout << "usage:\n" << kDaemonUsage;
      return 0;
    } else if (!a.empty() && a[0] == '-') {
      return usage_error("config", "unknown option '" + a + "'");
    } else {
      words.push_back(a);
    }
  }
  if (words.empty()) return usage_error("config", "get, list or types?");
  const std::string verb = words[0];
  if (verb == "types") {
    if (words.size() != 1) return usage_error("config", "usage: csim config types");
    for (const auto& t : controller::vnc_types()) std::cout << t << "\n";
    return 0;
  }
  if (verb == "get") {
    if (words.size() != 3) return usage_error("config", "usage: csim config get TYPE UUID|FQ:NAME");
    if (detail) return usage_error("config", "--detail goes with `csim config list`");
  } else if (verb == "list") {
    if (words.size() != 2) return usage_error("config", "usage: csim config list TYPE [--detail]");
  } else {
    return usage_error("config", "unknown verb '" + verb + "' (get, list, types)");
  }
  // A bad type is refused before anything is asked (also when csim is not running).
  if (auto type = daemon::config_type(words[1]); !type.is_ok()) {
    std::cerr << "csim config: " << type.status().message() << "\n";
    return 1;
  }
  auto state = state_dir_or_report("config", state_flag);
  if (!state.is_ok()) return 1;
  auto e = endpoints_or_report("config", *state);
  if (!e) return 1;
  auto ip = daemon::client_ipv4(e->listen_address);
  if (!ip.is_ok()) {
    std::cerr << "csim config: " << ip.status().message() << "\n";
    return 1;
  }
  daemon::ConfigEndpoint endpoint;
  endpoint.ip = *ip;
  endpoint.port = e->config_port;
  endpoint.token = e->token;
  auto result = verb == "get" ? daemon::config_get(endpoint, words[1], words[2])
                              : daemon::config_list(endpoint, words[1], detail);
  if (!result.is_ok()) {
    std::cerr << "csim config: " << result.status().message() << "\n";
    return 1;
  }
  print_json(*result);
  return 0;
}

int run_agent(int argc, char** argv) {
  std::string state_flag;
  bool as_json = false;
  std::vector<std::string> words;
  Args args(argc, argv);
  while (!args.done()) {
    std::string a = args.next();
    if (a == "--state-dir") {
      if (!args.value("agent", a, &state_flag)) return 2;
    } else if (a == "--json") {
      as_json = true;
    } else if (a == "-h" || a == "--help") {
      std::cout << "usage:\n" << kDaemonUsage;
      return 0;
    } else if (!a.empty() && a[0] == '-') {
      return usage_error("agent", "unknown option '" + a + "'");
    } else {
      words.push_back(a);
    }
  }
  if (words.empty()) return usage_error("agent", "list or show?");
  const std::string verb = words[0];
  std::string path;
  if (verb == "list") {
    if (words.size() != 1) return usage_error("agent", "usage: csim agent list [--json]");
    path = "/agents";
  } else if (verb == "show") {
    if (words.size() != 2) return usage_error("agent", "usage: csim agent show NODE [--json]");
    if (!valid_node_name(words[1]))
      return usage_error("agent", "\"" + words[1] + "\" is not a node name (letters, digits, '-', '.', '_')");
    path = "/agents/" + words[1];
  } else {
    return usage_error("agent", "unknown verb '" + verb + "' (list, show)");
  }
  auto state = state_dir_or_report("agent", state_flag);
  if (!state.is_ok()) return 1;
  auto e = endpoints_or_report("agent", *state);
  if (!e) return 1;
  auto page = introspect_get(*e, path);
  if (!page) return 1;
  if (as_json) {
    print_json(*page);
    return 0;
  }
  if (verb == "list") {
    std::cout << daemon::format_agent_list(*page);
  } else {
    const auto pids = daemon::SandboxPids::scan(e->pid);
    std::cout << daemon::format_agent(*page, [&](pid_t p) { return pids.host_pid(p); });
  }
  return 0;
}

}  // namespace csim::cli
