#include "daemon/daemon.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <mutex>
#include <set>
#include <thread>

#include "agent/http_client.h"
#include "agent/names.h"
#include "agent/netns.h"
#include "agent/process.h"
#include "controller/rest/config_rest_server.h"
#include "core/clock.h"
#include "daemon/cluster_dir.h"
#include "daemon/control_server.h"
#include "daemon/endpoints.h"
#include "daemon/http_url.h"
#include "daemon/introspect_view.h"
#include "daemon/json_http_server.h"
#include "daemon/listener.h"
#include "daemon/module_activity.h"
#include "kube/apiserver/kubeconfig.h"
#include "kube/apiserver/server.h"
#include "kube/apiserver/tls_cert.h"
#include "kube/object_store.h"
#include "sim/cluster.h"

namespace csim::daemon {

using nlohmann::json;

namespace {

constexpr auto kStopDeadline = std::chrono::seconds(30);
constexpr auto kExecGrace = std::chrono::seconds(2);
constexpr int kMaxCurlTimeoutMs = 60000;

int g_stop_pipe_write = -1;

void on_stop_signal(int sig) {
  if (g_stop_pipe_write >= 0) {
    char c = static_cast<char>(sig);
    ssize_t ignored = write(g_stop_pipe_write, &c, 1);
    (void)ignored;
  }
}

void log_line(const std::string& text) {
  std::string line = core::rfc3339(core::SystemClock::instance().now()) + " csim: " + text + "\n";
  ssize_t ignored = write(2, line.data(), line.size());
  (void)ignored;
}

void write_ready(int fd, const json& message) {
  if (fd < 0) return;
  std::string line = message.dump(-1, ' ', false, json::error_handler_t::replace) + "\n";
  size_t done = 0;
  while (done < line.size()) {
    ssize_t n = write(fd, line.data() + done, line.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    done += static_cast<size_t>(n);
  }
}

// What each kind of namespace is, from its name (agent/names.h).
std::string netns_kind(const std::string& name) {
  if (name == agent::kExternalNetns) return "external client";
  if (name == agent::kGatewayNetns) return "gateway";
  if (name.rfind("csim-vr-", 0) == 0) return "vrouter of " + name.substr(8);
  if (name.rfind("csim-pod-", 0) == 0) return "pod";
  if (name.rfind(agent::kInstanceNetnsPrefix, 0) == 0) return "haproxy instance";
  return "other";
}

// The names clients may dial the API server by: the listen address (unless it is the
// unspecified 0.0.0.0 / ::), the loopback address of its family, localhost.
kube::apiserver::CertRequest serving_cert_request(const std::string& listen_address) {
  kube::apiserver::CertRequest request;
  const bool v6 = listen_address.find(':') != std::string::npos;
  if (listen_address != "0.0.0.0" && listen_address != "::") request.ip_addresses.push_back(listen_address);
  for (const char* loopback : {"127.0.0.1", v6 ? "::1" : nullptr}) {
    if (loopback == nullptr) continue;
    if (std::find(request.ip_addresses.begin(), request.ip_addresses.end(), loopback) == request.ip_addresses.end())
      request.ip_addresses.push_back(loopback);
  }
  request.dns_names.push_back("localhost");
  return request;
}

bool known_netns(const std::string& name) {
  const auto names = agent::list_netns();
  return std::find(names.begin(), names.end(), name) != names.end();
}

std::string first_line_of_netns(const std::vector<std::string>& names) {
  std::string s;
  for (size_t i = 0; i < names.size() && i < 6; ++i) s += (i ? ", " : "") + names[i];
  if (names.size() > 6) s += ", ...";
  return s;
}

class Daemon {
 public:
  explicit Daemon(const DaemonConfig& config) : config_(config) {}

  core::Status start();
  json ready_info() const;
  // Blocks until a stop signal or a `down` request; returns what it was.
  std::string wait_for_stop();
  void stop();

 private:
  void handle(const json& request, ControlConnection& connection);
  void dispatch(const json& request, ControlConnection& connection);
  json status() const;
  void handle_curl(const json& request, ControlConnection& connection);
  void handle_exec(const json& request, ControlConnection& connection);
  void request_stop(char why) {
    ssize_t ignored = write(stop_pipe_[1], &why, 1);
    (void)ignored;
  }

  DaemonConfig config_;
  std::unique_ptr<sim::Cluster> cluster_;
  std::unique_ptr<ModuleActivity> activity_;
  std::unique_ptr<kube::apiserver::ApiServer> api_;
  std::unique_ptr<controller::ConfigRestServer> config_api_;
  std::unique_ptr<JsonHttpServer> introspect_;
  std::unique_ptr<ControlServer> control_;
  int stop_pipe_[2] = {-1, -1};
  core::Nanos started_at_{0};
  std::string api_url_;
  std::string config_url_;
  std::string introspect_url_;
  PreparedClusterDir cluster_dir_;
  bool files_written_ = false;
};

core::Status Daemon::start() {
  started_at_ = core::SystemClock::instance().now();
  if (pipe2(stop_pipe_, O_CLOEXEC | O_NONBLOCK) != 0)
    return core::unavailable(std::string("pipe: ") + std::strerror(errno));
  g_stop_pipe_write = stop_pipe_[1];
  struct sigaction sa;
  std::memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_stop_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGQUIT}) sigaction(sig, &sa, nullptr);
  signal(SIGPIPE, SIG_IGN);

  const std::string host = url_host(config_.listen_address);
  const bool tls = !config_.token.empty();  // kubectl sends a token to https:// servers only
  api_url_ = std::string(tls ? "https://" : "http://") + host + ":" + std::to_string(config_.api_port);
  config_url_ = "http://" + host + ":" + std::to_string(config_.config_port);
  introspect_url_ = "http://" + host + ":" + std::to_string(config_.introspect_port);

  // The same cluster as last time: the config DB and the apiserver's objects persist in
  // <state>/cluster; what named the processes and sockets of an ended run goes.
  const std::string cluster_dir = config_.state.cluster_dir();
  auto prepared = prepare_cluster_dir(cluster_dir, config_.nodes);
  if (!prepared.is_ok()) return prepared.status();
  cluster_dir_ = *prepared;
  for (const auto& r : cluster_dir_.removed) log_line("removed the leftover " + cluster_dir + "/" + r);

  sim::ClusterOptions options;
  options.state_dir = cluster_dir;
  options.nodes = config_.nodes;
  options.csim_binary = config_.csim_binary;
  options.persist = true;
  log_line(std::string(cluster_dir_.restored ? "restarting" : "starting") + " the cluster (" +
           std::to_string(options.nodes.size()) + " nodes) in " + cluster_dir);
  auto cluster = sim::Cluster::start(options);
  if (!cluster.is_ok()) return core::unavailable("the cluster did not start: " + cluster.status().message());
  cluster_ = std::move(*cluster);
  activity_ = std::make_unique<ModuleActivity>(cluster_->bus());

  kube::apiserver::ApiServerOptions api_options;
  api_options.listen_fd = config_.api_fd;  // bound on the host by the outer `csim up`
  api_options.token = config_.token;
  std::string ca_pem;
  if (tls) {
    auto cert = kube::apiserver::ensure_serving_cert(config_.state.tls_dir(), serving_cert_request(config_.listen_address));
    if (!cert.is_ok()) return core::unavailable("the Kubernetes API server's certificate: " + cert.status().message());
    log_line("TLS certificate for the Kubernetes API " + cert->action + " in " + config_.state.tls_dir() +
             (cert->reason.empty() ? "" : " (" + cert->reason + ")"));
    api_options.tls = kube::apiserver::TlsOptions{cert->cert.cert_pem, cert->cert.key_pem};
    ca_pem = cert->cert.ca_cert_pem;
  }
  api_ = std::make_unique<kube::apiserver::ApiServer>(cluster_->store(), cluster_->bus(), api_options);
  if (auto port = api_->start(); !port.is_ok())
    return core::unavailable("the Kubernetes API server: " + port.status().message());
  log_line("Kubernetes API on " + api_url_);

  controller::RestOptions rest;
  rest.listen_fd = config_.config_fd;
  rest.token = config_.token;
  rest.trace_bus = &cluster_->bus();
  config_api_ = std::make_unique<controller::ConfigRestServer>(cluster_->config(), rest);
  if (auto port = config_api_->start(); !port.is_ok())
    return core::unavailable("the config API server: " + port.status().message());
  log_line("config API on " + config_url_);

  introspect_ = std::make_unique<JsonHttpServer>(
      config_.introspect_fd,
      [this](const std::string& method, const std::string& target) {
        IntrospectAnswer a = route_introspect(cluster_->agents_introspect(), method, target);
        return JsonPage{a.status, std::move(a.body)};
      },
      config_.token);
  if (auto st = introspect_->start(); !st.is_ok())
    return core::unavailable("the introspection server: " + st.message());
  log_line("agent introspection on " + introspect_url_);

  control_ = std::make_unique<ControlServer>(config_.state.control_socket(),
                                             [this](const json& r, ControlConnection& c) { handle(r, c); });
  if (auto st = control_->start(); !st.is_ok()) return st;

  files_written_ = true;
  if (auto st = kube::apiserver::write_kubeconfig(config_.state.kubeconfig(),
                                                  {.server_url = api_url_, .token = config_.token, .ca_pem = ca_pem});
      !st.is_ok())
    return st;
  DaemonEndpoints endpoints;
  endpoints.pid = config_.outer_pid;
  endpoints.listen_address = config_.listen_address;
  endpoints.api_port = config_.api_port;
  endpoints.config_port = config_.config_port;
  endpoints.introspect_port = config_.introspect_port;
  endpoints.token = config_.token;
  if (auto st = write_endpoints(config_.state, endpoints); !st.is_ok()) return st;
  if (auto st = write_pid_file(config_.state, config_.outer_pid); !st.is_ok()) return st;
  log_line("ready: pid " + std::to_string(config_.outer_pid) + ", kubeconfig " + config_.state.kubeconfig());
  return core::Status::ok();
}

json Daemon::ready_info() const {
  json nodes = json::array();
  if (cluster_) {
    const json introspect = cluster_->agents_introspect();
    for (const auto& [node, a] : introspect.items())
      nodes.push_back({{"name", node}, {"underlay_ip", a.value("underlay_ip", "")}});
  }
  return {{"ok", true},
          {"pid", config_.outer_pid},
          {"state_dir", config_.state.dir},
          {"api_url", api_url_},
          {"config_url", config_url_},
          {"introspect_url", introspect_url_},
          {"kubeconfig", config_.state.kubeconfig()},
          {"control_socket", config_.state.control_socket()},
          {"log", config_.state.log_file()},
          {"token", !config_.token.empty()},
          {"tls", !config_.token.empty()},
          {"restored", cluster_dir_.restored},
          {"removed_leftovers", cluster_dir_.removed},
          {"nodes", nodes}};
}

std::string Daemon::wait_for_stop() {
  for (;;) {
    char c = 0;
    fd_set set;
    FD_ZERO(&set);
    FD_SET(stop_pipe_[0], &set);
    int r = select(stop_pipe_[0] + 1, &set, nullptr, nullptr, nullptr);
    if (r < 0 && errno == EINTR) continue;
    if (read(stop_pipe_[0], &c, 1) == 1) {
      if (c == 'D') return "`csim down`";
      return std::string("signal ") + strsignal(c);
    }
  }
}

void Daemon::stop() {
  // Whatever happens below, the process ends within kStopDeadline.
  std::thread([] {
    std::this_thread::sleep_for(kStopDeadline);
    log_line("stop took longer than 30 s; exiting (the kernel ends the sandbox)");
    _exit(3);
  }).detach();
  if (control_) control_->stop();
  if (api_) api_->stop();
  if (config_api_) config_api_->stop();
  if (introspect_) introspect_->stop();
  if (cluster_) {
    log_line("stopping the cluster (agents, haproxy, echo servers, namespaces)");
    cluster_->stop();
  }
  if (files_written_) {
    for (const auto& path : {config_.state.kubeconfig(), config_.state.endpoints_file(), config_.state.pid_file()}) {
      if (auto st = remove_if_exists(path); !st.is_ok()) log_line(st.message());
    }
  }
}

void Daemon::handle(const json& request, ControlConnection& connection) {
  // A malformed request must not take the daemon down: JSON type errors become replies.
  try {
    dispatch(request, connection);
  } catch (const std::exception& e) {
    log_line(std::string("control request failed: ") + e.what());
    connection.reply_error(std::string("bad request: ") + e.what());
  }
}

void Daemon::dispatch(const json& request, ControlConnection& connection) {
  const std::string op = request.value("op", "");
  if (op == "status") {
    connection.send(status());
  } else if (op == "netns") {
    json list = json::array();
    for (const auto& name : agent::list_netns()) list.push_back({{"name", name}, {"kind", netns_kind(name)}});
    connection.send({{"ok", true}, {"netns", list}});
  } else if (op == "curl") {
    handle_curl(request, connection);
  } else if (op == "exec") {
    handle_exec(request, connection);
  } else if (op == "down") {
    log_line("stop requested over the control socket");
    connection.send({{"ok", true}, {"pid", config_.outer_pid}});
    request_stop('D');
  } else {
    connection.reply_error("unknown request \"" + op + "\" (status, netns, curl, exec, down)");
  }
}

json Daemon::status() const {
  json agents = json::array();
  const json introspect = cluster_->agents_introspect();
  for (const auto& [node, a] : introspect.items()) {
    json haproxy = json::array();
    for (const auto& si : a.value("service_instances", json::array())) {
      haproxy.push_back({{"name", si.value("name", "")},
                         {"lb", si.value("lb", "")},
                         {"namespace", si.value("namespace", "")},
                         {"vip", si.value("vip", "")},
                         {"ports", si.value("ports", json::array())},
                         {"state", si.value("state", "")},
                         {"pid", si.value("pid", 0)},
                         {"error", si.value("error", "")}});
    }
    json pods = json::array();
    for (const auto& p : a.value("pods", json::array())) {
      pods.push_back({{"namespace", p.value("namespace", "")},
                      {"name", p.value("name", "")},
                      {"ip", p.value("ip", "")},
                      {"state", p.value("state", "")},
                      {"pid", p.value("pid", 0)}});
    }
    agents.push_back({{"node", node},
                      {"state", a.value("state", "")},
                      {"underlay_ip", a.value("underlay_ip", "")},
                      {"view_version", a.value("view_version", 0)},
                      {"acked_version", a.value("acked_version", 0)},
                      {"pods", pods.size()},
                      {"pod_list", pods},
                      {"haproxy", haproxy}});
  }
  json ingresses = json::array();
  for (const auto& ing : cluster_->store().list("Ingress")) {
    json addresses = json::array();
    auto lb = ing.value("status", json::object()).value("loadBalancer", json::object());
    for (const auto& e : lb.value("ingress", json::array()))
      if (e.contains("ip")) addresses.push_back(e["ip"]);
    const auto& meta = ing.value("metadata", json::object());
    ingresses.push_back({{"namespace", meta.value("namespace", "")},
                         {"name", meta.value("name", "")},
                         {"addresses", addresses}});
  }
  const auto uptime = core::SystemClock::instance().now() - started_at_;
  return {{"ok", true},
          {"pid", config_.outer_pid},
          {"state_dir", config_.state.dir},
          {"uptime_s", std::chrono::duration_cast<std::chrono::seconds>(uptime).count()},
          {"api_url", api_url_},
          {"config_url", config_url_},
          {"introspect_url", introspect_url_},
          {"kubeconfig", config_.state.kubeconfig()},
          {"log", config_.state.log_file()},
          {"modules", activity_->snapshot()},
          {"agents", agents},
          {"ingresses", ingresses},
          {"netns", agent::list_netns().size()}};
}

void Daemon::handle_curl(const json& request, ControlConnection& connection) {
  auto url = parse_http_url(request.value("url", ""));
  if (!url.is_ok()) return (void)connection.reply_error(url.status().message());
  agent::HttpRequestSpec spec;
  spec.netns = request.value("from", std::string(agent::kExternalNetns));
  if (!known_netns(spec.netns))
    return (void)connection.reply_error("no network namespace \"" + spec.netns + "\" in the sandbox (`csim exec --list`)");
  spec.ip = url->ip;
  spec.port = url->port;
  spec.tls = url->https;
  spec.path = url->path;
  spec.method = request.value("method", "GET");
  spec.host_header = request.value("host", "");
  spec.sni = request.value("sni", "");
  spec.body = request.value("body", "");
  for (const auto& h : request.value("headers", json::array())) {
    if (!h.is_array() || h.size() != 2 || !h[0].is_string() || !h[1].is_string())
      return (void)connection.reply_error("headers must be [name, value] pairs of strings");
    spec.extra_headers.emplace_back(h[0].get<std::string>(), h[1].get<std::string>());
  }
  int timeout_ms = request.value("timeout_ms", 5000);
  if (timeout_ms < 1 || timeout_ms > kMaxCurlTimeoutMs)
    return (void)connection.reply_error("timeout_ms must be 1..60000");
  spec.timeout = std::chrono::milliseconds(timeout_ms);
  auto reply = agent::http_request(spec);
  if (!reply.is_ok()) return (void)connection.reply_error(reply.status().message());
  json headers = json::array();
  for (const auto& [k, v] : reply->headers) headers.push_back({k, v});
  json answer = {{"ok", true},
                 {"status", reply->status},
                 {"reason", reply->reason},
                 {"headers", headers},
                 {"body", reply->body},
                 {"elapsed_ms", std::chrono::duration<double, std::milli>(reply->elapsed).count()}};
  if (reply->tls) {
    const auto& c = reply->tls->certificate;
    answer["tls"] = {{"sni", reply->tls->sni},
                     {"protocol", reply->tls->protocol},
                     {"cipher", reply->tls->cipher},
                     {"certificate",
                      {{"subject_cn", c.subject_cn}, {"sans", c.sans}, {"not_after", c.not_after}, {"sha256", c.sha256}}}};
  }
  connection.send(answer);
}

void Daemon::handle_exec(const json& request, ControlConnection& connection) {
  std::vector<int> fds = connection.take_fds();
  struct Closer {
    std::vector<int>& fds;
    ~Closer() {
      for (int fd : fds) close(fd);
    }
  } closer{fds};
  auto refuse = [&](const std::string& error, int exit_code) {
    connection.send({{"ok", false}, {"error", error}, {"exit_code", exit_code}});
  };
  if (fds.size() != 3) return refuse("exec needs the client's stdin, stdout and stderr (3 descriptors)", 125);
  agent::Command cmd;
  cmd.netns = request.value("netns", "");
  if (!known_netns(cmd.netns)) {
    return refuse("no network namespace \"" + cmd.netns + "\" in the sandbox; there are: " +
                      first_line_of_netns(agent::list_netns()) + " (`csim exec --list`)",
                  125);
  }
  const json argv = request.value("argv", json::array());
  if (!argv.is_array() || argv.empty() || argv.size() > 4096) return refuse("argv must hold 1 to 4096 strings", 125);
  for (const auto& a : argv) {
    if (!a.is_string()) return refuse("argv must hold strings", 125);
    std::string s = a.get<std::string>();
    if (s.find('\0') != std::string::npos) return refuse("argv strings may not contain NUL", 125);
    cmd.argv.push_back(std::move(s));
  }
  std::string cwd = request.value("cwd", "");
  if (!cwd.empty() && cwd[0] == '/' && std::filesystem::is_directory(cwd)) cmd.cwd = cwd;
  auto child = agent::start_process(cmd, {fds[0], fds[1], fds[2]});
  for (int fd : fds) close(fd);
  fds.clear();
  if (!child.is_ok()) {
    const std::string& m = child.status().message();
    return refuse(m, m.find("not found") != std::string::npos ? 127 : 126);
  }
  const pid_t pid = (*child)->pid();
  log_line("exec in " + cmd.netns + ": " + cmd.display() + " (pid " + std::to_string(pid) + ")");
  if (!connection.send({{"ok", true}, {"pid", pid}}).is_ok()) {
    (*child)->stop(kExecGrace);
    return;
  }
  for (;;) {
    if (auto st = (*child)->poll()) {
      connection.send({{"ok", true}, {"exit", {{"code", st->code}, {"signal", st->signal}}}});
      return;
    }
    if (connection.stopping()) {
      auto st = (*child)->stop(kExecGrace);
      connection.send({{"ok", true}, {"exit", {{"code", st.code}, {"signal", st.signal}}}, {"why", "csim is stopping"}});
      return;
    }
    auto message = connection.reader().next(std::chrono::milliseconds(100), &connection.stopping_flag());
    if (!message.is_ok()) {
      if (message.status().message() == "connection closed") {
        // The client went away (Ctrl-C, killed): the command goes too.
        auto st = (*child)->stop(kExecGrace);
        log_line("exec pid " + std::to_string(pid) + ": the client went away; " + st.describe());
        return;
      }
      connection.reply_error(message.status().message());
      (*child)->stop(kExecGrace);
      return;
    }
    if (message->has_value()) {
      int sig = (*message)->value("signal", 0);
      if (sig == SIGINT || sig == SIGTERM || sig == SIGHUP || sig == SIGQUIT) (*child)->signal(sig);
    }
  }
}

}  // namespace

nlohmann::json daemon_config_to_json(const DaemonConfig& c) {
  return {{"state_dir", c.state.dir},
          {"listen_address", c.listen_address},
          {"token", c.token},
          {"nodes", c.nodes},
          {"outer_pid", c.outer_pid},
          {"lock_fd", c.lock_fd},
          {"ready_fd", c.ready_fd},
          {"api_fd", c.api_fd},
          {"config_fd", c.config_fd},
          {"introspect_fd", c.introspect_fd},
          {"api_port", c.api_port},
          {"config_port", c.config_port},
          {"introspect_port", c.introspect_port},
          {"csim_binary", c.csim_binary}};
}

core::Result<DaemonConfig> daemon_config_from_json(const nlohmann::json& j) {
  if (!j.is_object()) return core::invalid("daemon configuration is not a JSON object");
  DaemonConfig c;
  try {
    c.state.dir = j.at("state_dir").get<std::string>();
    c.listen_address = j.at("listen_address").get<std::string>();
    c.token = j.at("token").get<std::string>();
    c.nodes = j.at("nodes").get<std::vector<std::string>>();
    c.outer_pid = j.at("outer_pid").get<pid_t>();
    c.lock_fd = j.at("lock_fd").get<int>();
    c.ready_fd = j.at("ready_fd").get<int>();
    c.api_fd = j.at("api_fd").get<int>();
    c.config_fd = j.at("config_fd").get<int>();
    c.introspect_fd = j.at("introspect_fd").get<int>();
    c.api_port = j.at("api_port").get<uint16_t>();
    c.config_port = j.at("config_port").get<uint16_t>();
    c.introspect_port = j.at("introspect_port").get<uint16_t>();
    c.csim_binary = j.at("csim_binary").get<std::string>();
  } catch (const std::exception& e) {
    return core::invalid(std::string("daemon configuration: ") + e.what());
  }
  if (c.state.dir.empty() || c.state.dir[0] != '/') return core::invalid("daemon configuration: state_dir must be absolute");
  if (c.api_fd < 0 || c.config_fd < 0 || c.introspect_fd < 0) return core::invalid("daemon configuration: listening sockets missing");
  return c;
}

int run_daemon(const DaemonConfig& config) {
  log_line("daemon starting inside the sandbox (outer pid " + std::to_string(config.outer_pid) + ")");
  Daemon daemon(config);
  if (auto st = daemon.start(); !st.is_ok()) {
    log_line("start-up failed: " + st.message());
    write_ready(config.ready_fd, {{"ok", false}, {"error", st.message()}});
    if (config.ready_fd >= 0) close(config.ready_fd);
    daemon.stop();
    return 1;
  }
  write_ready(config.ready_fd, daemon.ready_info());
  if (config.ready_fd >= 0) close(config.ready_fd);
  const std::string why = daemon.wait_for_stop();
  log_line("stopping (" + why + ")");
  daemon.stop();
  log_line("stopped");
  return 0;
}

}  // namespace csim::daemon
