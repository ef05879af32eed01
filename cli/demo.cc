#include "cli/demo.h"

#include <stdlib.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <mutex>
#include <set>

#include "agent/tls_certificate.h"
#include "core/trace.h"
#include "kube/object_store.h"
#include "kube/secret.h"
#include "sim/cluster.h"
#include "sim/expectations.h"

namespace csim::cli {
namespace {

using std::chrono::milliseconds;

// Prints each hop as the bus records it: "+  12.3 ms  svc-monitor  rendered haproxy.conf …".
// The bus keeps its observers for its whole life, so the printing state is shared with the
// observer and outlives this object; stop() silences it.
class Narrator {
 public:
  explicit Narrator(core::Bus& bus) : state_(std::make_shared<State>()) {
    state_->origin = bus.clock().now();
    bus.add_observer([state = state_](const core::SpanRecord& s) { state->print(s); });
  }
  ~Narrator() { stop(); }
  void stop() {
    std::lock_guard lock(state_->mu);
    state_->on = false;
  }

 private:
  struct State {
    std::mutex mu;
    bool on = true;
    core::Nanos origin{0};

    void print(const core::SpanRecord& s) {
      std::string what = s.kind == "publish" ? s.topic + "  " + s.summary
                         : s.kind == "root"  ? "== " + s.topic
                                             : s.summary;
      if (what.size() > 150) what = what.substr(0, 147) + "...";
      std::lock_guard lock(mu);
      if (!on) return;
      std::printf("  +%8.1f ms  %-16s %s\n", (s.start - origin).count() / 1e6, s.module.c_str(),
                  what.c_str());
      std::fflush(stdout);
    }
  };
  std::shared_ptr<State> state_;
};

// Each case is sent this many times, so that the clusterIP's spreading over the pods shows.
constexpr int kRepeats = 4;

struct CaseResult {
  sim::ExpectedCase expected;
  int status = 0;                       // of the last reply
  std::set<std::string> answered_by;    // pod names
  int right = 0;
  std::string detail;                   // why the first wrong reply was wrong
  std::string certificate;              // HTTPS: the served certificate's CN (or first name)
};

// Checks one reply against the case; returns "" when right, else why not.
std::string check_reply(const sim::Reply& reply, const std::vector<nlohmann::json>& services,
                        const sim::ExpectedCase& c) {
  if (!reply.error.empty()) return "no reply: " + reply.error;
  if (!c.service) {
    return reply.status == c.status ? ""
                                    : "expected haproxy's " + std::to_string(c.status) + ", got " +
                                          std::to_string(reply.status);
  }
  if (reply.status != 200 || !reply.echo.is_object())
    return "expected 200 from " + *c.service + ", got " + std::to_string(reply.status);
  auto svc = sim::service_for_labels(services, reply.echo.value("labels", nlohmann::json()));
  if (!svc || *svc != *c.service) return "answered by a pod of " + svc.value_or("no service");
  return "";
}

// The sha256 of the leaf certificate of Secret "<ns>/<name>", or "" with `why` set.
std::string secret_certificate_sha256(sim::Cluster& cluster, const std::string& ns_name, std::string& why) {
  const size_t slash = ns_name.find('/');
  auto secret = cluster.store().get("Secret", ns_name.substr(0, slash), ns_name.substr(slash + 1));
  if (!secret) {
    why = "Secret " + ns_name + " does not exist";
    return "";
  }
  auto pair = kube::tls_key_pair(*secret);
  if (!pair.is_ok()) {
    why = pair.status().message();
    return "";
  }
  auto checked = agent::check_tls_secret({pair->certificate_pem, pair->private_key_pem}, "Secret " + ns_name);
  if (!checked.is_ok()) {
    why = checked.status().message();
    return "";
  }
  return checked->leaf.sha256;
}

CaseResult run_case(sim::Cluster& cluster, const std::string& address,
                    const std::vector<nlohmann::json>& services, const sim::ExpectedCase& c) {
  CaseResult r;
  r.expected = c;
  const std::string host = c.host.empty() ? address : c.host;
  std::string want_sha256, why_no_certificate;
  if (!c.tls_secret.empty()) want_sha256 = secret_certificate_sha256(cluster, c.tls_secret, why_no_certificate);
  for (int i = 0; i < kRepeats; ++i) {
    sim::Reply reply = cluster.request(address, c.https ? 443 : 80, host, c.path, milliseconds(10000), c.https);
    r.status = reply.status;
    if (reply.echo.is_object()) r.answered_by.insert(reply.echo.value("pod", "?"));
    if (!reply.certificate_names.empty()) r.certificate = reply.certificate_names.front();
    std::string wrong = check_reply(reply, services, c);
    if (wrong.empty() && !c.tls_secret.empty()) {
      if (want_sha256.empty())
        wrong = "cannot read the expected certificate: " + why_no_certificate;
      else if (reply.certificate_sha256 != want_sha256)
        wrong = "served the certificate of " + (r.certificate.empty() ? std::string("?") : r.certificate) +
                ", not Secret " + c.tls_secret + "'s";
    }
    if (wrong.empty()) {
      ++r.right;
    } else if (r.detail.empty()) {
      r.detail = wrong;
    }
  }
  return r;
}

std::string make_state_dir() {
  std::string base = std::filesystem::temp_directory_path() / "csim-demo-XXXXXX";
  std::vector<char> buf(base.begin(), base.end());
  buf.push_back('\0');
  if (!mkdtemp(buf.data())) return "";
  return buf.data();
}

void write_file(const std::string& path, const std::string& text) {
  std::ofstream out(path);
  out << text;
  if (!out) std::cerr << "csim demo: cannot write " << path << "\n";
}

}  // namespace

int run_demo(const DemoOptions& options) {
  const std::string state_dir = make_state_dir();
  if (state_dir.empty()) {
    std::perror("csim demo: cannot create a state directory");
    return 1;
  }
  std::printf("csim demo: %s (%s semantics)\nstate directory: %s\n\n", options.file.c_str(),
              options.semantics.c_str(), state_dir.c_str());

  sim::ClusterOptions cluster_options;
  cluster_options.state_dir = state_dir;
  cluster_options.csim_binary = options.csim_binary;
  cluster_options.semantics = options.semantics;
  auto started = sim::Cluster::start(cluster_options);
  if (!started.is_ok()) {
    std::fprintf(stderr, "csim demo: the cluster did not start: %s\n", started.status().to_string().c_str());
    std::filesystem::remove_all(state_dir);
    return 1;
  }
  sim::Cluster& cluster = **started;
  std::unique_ptr<Narrator> narrator;
  if (options.narrate) {
    std::printf("── hops, as they happen ──\n");
    narrator = std::make_unique<Narrator>(cluster.bus());
  }

  int exit_code = 1;
  auto finish = [&](int code) {
    cluster.stop();
    std::error_code ec;
    std::filesystem::remove_all(state_dir, ec);
    return code;
  };

  auto applied = cluster.apply_file(options.file);
  if (!applied.is_ok()) {
    std::fprintf(stderr, "csim demo: %s\n", applied.status().message().c_str());
    return finish(1);
  }
  const uint64_t trace_id = *applied;

  // The Ingress of the file (the demo takes the first one).
  auto ingresses = cluster.store().list("Ingress");
  if (ingresses.empty()) {
    std::fprintf(stderr, "csim demo: %s has no Ingress\n", options.file.c_str());
    return finish(1);
  }
  const nlohmann::json ingress = ingresses.front();
  const std::string ns = ingress["metadata"]["namespace"];
  const std::string name = ingress["metadata"]["name"];
  const std::string uid = ingress["metadata"]["uid"];

  if (auto st = cluster.wait_ingress_ready(ns, name, milliseconds(60000)); !st.is_ok()) {
    std::fprintf(stderr, "csim demo: ingress %s/%s did not become ready: %s\n", ns.c_str(),
                 name.c_str(), st.message().c_str());
    std::printf("%s", core::render_trace_text(core::build_trace_tree(cluster.bus(), trace_id)).c_str());
    return finish(1);
  }
  auto addresses = cluster.ingress_addresses(ns, name);
  const std::string address = addresses.front();  // the external IP (or the VIP if none)

  // Send the requests: first one retried until the data plane answers (bounded), then each once.
  auto services = cluster.store().list("Service", ns);
  auto cases = sim::expected_cases(ingress, options.semantics);
  std::vector<CaseResult> results;
  for (const auto& c : cases) results.push_back(run_case(cluster, address, services, c));
  narrator.reset();

  std::printf("\n── requests from the external client to %s (ingress %s/%s, addresses", address.c_str(),
              ns.c_str(), name.c_str());
  for (const auto& a : addresses) std::printf(" %s", a.c_str());
  std::printf(") ──\n");
  int failures = 0;
  for (const auto& r : results) {
    const bool ok = r.right == kRepeats;
    std::string expected =
        r.expected.service ? *r.expected.service : "haproxy " + std::to_string(r.expected.status);
    if (!r.expected.tls_secret.empty()) expected += ", certificate of Secret " + r.expected.tls_secret;
    std::printf("  %s  GET %s://%s%s  ×%d → %d  expected %s (%s)\n", ok ? "ok  " : "FAIL",
                r.expected.https ? "https" : "http", (r.expected.host.empty() ? address : r.expected.host).c_str(),
                r.expected.path.c_str(), kRepeats, r.status, expected.c_str(), r.expected.why.c_str());
    if (r.expected.https && !r.certificate.empty())
      std::printf("          certificate CN=%s\n", r.certificate.c_str());
    if (!r.answered_by.empty()) {
      std::string pods;
      for (const auto& p : r.answered_by) pods += (pods.empty() ? "" : ", ") + p;
      std::printf("          answered by %s\n", pods.c_str());
    }
    if (!ok) std::printf("          %d of %d wrong: %s\n", kRepeats - r.right, kRepeats, r.detail.c_str());
    failures += ok ? 0 : 1;
  }

  std::printf("\n── haproxy.conf rendered by svc-monitor (service-instance binding haproxy_config) ──\n%s",
              cluster.faithful_haproxy_config(uid).c_str());
  std::printf("\n── agents (the runtime haproxy config each derived, with its adaptations) ──\n%s\n",
              cluster.agents_introspect().dump(2).c_str());

  // The whole tree holds every pod and Service of the file; by default show the branches
  // that lead from the apply to haproxy serving (each hidden group is counted).
  core::TraceNode tree = core::build_trace_tree(cluster.bus(), trace_id);
  if (options.full_trace) {
    std::printf("\n── trace (every hop) ──\n%s", core::render_trace_text(tree).c_str());
  } else {
    core::TraceNode path = core::prune_trace(tree, [](const core::SpanRecord& s) {
      return s.kind == "work" && s.summary.rfind("haproxy pid", 0) == 0 &&
             s.summary.find(" serving ") != std::string::npos;
    });
    std::printf("\n── trace: from the apply to haproxy serving (--full-trace shows every hop) ──\n%s",
                core::render_trace_text(path).c_str());
  }
  if (!options.json_trace_path.empty()) write_file(options.json_trace_path, core::trace_to_json(tree).dump(2));
  if (!options.chrome_trace_path.empty())
    write_file(options.chrome_trace_path, core::trace_to_chrome_events(tree).dump());

  std::printf("\n%zu cases (%d requests each): %d routed right, %d wrong\n", results.size(), kRepeats,
              static_cast<int>(results.size()) - failures, failures);
  exit_code = failures == 0 ? 0 : 1;
  std::printf("removing the cluster (namespaces, haproxy, pods)...\n");
  return finish(exit_code);
}

}  // namespace csim::cli
