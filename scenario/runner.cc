#include "scenario/runner.h"

#include <stdlib.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <tuple>

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>
#include <thread>

#include "agent/http_client.h"
#include "agent/names.h"
#include "core/bus.h"
#include "kube/apply.h"
#include "kube/kinds.h"
#include "kube/object_store.h"
#include "scenario/check.h"
#include "scenario/ingress_target.h"
#include "sim/cluster.h"

namespace csim::scenario {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

double since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

std::string seconds_text(double s) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f s", s);
  return buf;
}

// The names of the Services (of `services`) whose selector matches `labels`.
std::vector<std::string> services_selecting(const std::vector<nlohmann::json>& services,
                                            const nlohmann::json& labels) {
  std::vector<std::string> out;
  for (const auto& svc : services) {
    const auto selector = svc.value("spec", nlohmann::json::object()).value("selector", nlohmann::json());
    if (!selector.is_object() || selector.empty()) continue;
    bool match = labels.is_object();
    for (const auto& [k, v] : selector.items())
      if (!match || !labels.contains(k) || labels[k] != v) match = false;
    if (match) out.push_back(svc["metadata"].value("name", ""));
  }
  return out;
}

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& i : items) out += (out.empty() ? "" : ", ") + i;
  return out;
}

// The names the served certificate is issued to: subject CN first, then its SANs.
std::vector<std::string> certificate_names(const std::optional<agent::TlsPeer>& tls) {
  std::vector<std::string> names;
  if (!tls) return names;
  if (!tls->certificate.subject_cn.empty()) names.push_back(tls->certificate.subject_cn);
  for (const auto& san : tls->certificate.sans)
    if (std::find(names.begin(), names.end(), san) == names.end()) names.push_back(san);
  return names;
}

// One answer, judged.
struct Verdict {
  bool right = false;
  bool converging = false;  // no answer or haproxy's own status while a pod's answer is wanted
  std::string got;          // "200 qa-webserver", "503", "no answer (...)"
  std::string pod;
  std::string why;          // when wrong
};

class ScenarioRun {
 public:
  ScenarioRun(sim::Cluster& cluster, const Scenario& scenario, const RunOptions& options, ScenarioResult& result)
      : cluster_(cluster), scenario_(scenario), options_(options), result_(result), history_("") {}

  void run() {
    const auto t0 = Clock::now();
    result_.ns = pick_namespace();
    history_ = IngressHistory(result_.ns);
    print(format_scenario_header(result_));
    if (auto r = kube::apply_objects(cluster_.store(), {namespace_object(result_.ns, scenario_.where)}, result_.ns);
        !r.is_ok()) {
      fail_step("create namespace " + result_.ns, scenario_.where, r.status().message());
    }
    bool after_step = false;
    for (const auto& step : scenario_.steps) {
      if (!broken_.empty()) {
        for (const auto& x : step.expect) skip(x);
        continue;
      }
      switch (step.kind) {
        case Step::Kind::kApply:
          apply(step);
          after_step = true;
          break;
        case Step::Kind::kDelete:
          remove(step);
          after_step = true;
          break;
        case Step::Kind::kExpect: {
          // One budget for the whole block right after a step, none for later blocks.
          const auto converge_until = Clock::now() + (after_step ? options_.converge_budget : milliseconds(0));
          for (const auto& x : step.expect) expect(x, converge_until);
          after_step = false;
          break;
        }
      }
    }
    cleanup();
    result_.seconds = since(t0);
    int passed = 0;
    for (const auto& c : result_.cases) passed += c.outcome == CaseResult::Outcome::kPassed;
    print("  → " + std::to_string(passed) + " of " + std::to_string(result_.cases.size()) + " cases passed (" +
          seconds_text(result_.seconds) + ")\n");
  }

 private:
  void print(const std::string& line) {
    if (!options_.out) return;
    *options_.out << line << "\n";
    options_.out->flush();
  }

  std::string pick_namespace() {
    const std::string base = namespace_for(scenario_);
    std::string ns = base;
    for (int i = 2; i < 100 && cluster_.store().get("Namespace", "", ns); ++i) {
      const std::string suffix = "-" + std::to_string(i);
      ns = base.substr(0, 63 - suffix.size()) + suffix;
    }
    return ns;
  }

  void add(CaseResult c) {
    print(format_case(c));
    result_.cases.push_back(std::move(c));
  }

  void fail_step(const std::string& name, const Location& where, const std::string& why) {
    CaseResult c;
    c.outcome = CaseResult::Outcome::kFailed;
    c.name = name;
    c.where = where;
    c.detail = why;
    for (size_t p = c.detail.find('\n'); p != std::string::npos; p = c.detail.find('\n', p + 1))
      c.detail.replace(p, 1, "\n        ");
    add(std::move(c));
    if (broken_.empty()) broken_ = name + " failed (" + where.str() + ")";
  }

  void skip(const Expectation& x) {
    CaseResult c;
    c.outcome = CaseResult::Outcome::kSkipped;
    c.name = x.describe();
    c.where = x.where;
    c.expected = x.response.describe();
    c.detail = "not run: " + broken_;
    add(std::move(c));
  }

  // Waits for every Ingress of the scenario to be ready; "" or why not.
  std::string wait_ready() {
    for (const auto& ns : history_.namespaces()) {
      for (const auto& ing : cluster_.store().list("Ingress", ns)) {
        const std::string name = ing["metadata"].value("name", "");
        auto st = cluster_.wait_ingress_ready(ns, name, options_.ready_timeout);
        if (!st.is_ok()) return "ingress " + ns + "/" + name + " not ready: " + st.message();
      }
    }
    return "";
  }

  void apply(const Step& step) {
    const auto t0 = Clock::now();
    std::vector<kube::LoadedObject> objects;
    for (const auto& item : step.apply) objects.insert(objects.end(), item.objects.begin(), item.objects.end());
    {
      core::TraceScope scope(cluster_.bus(), "csim-test", step.describe());
      auto r = kube::apply_objects(cluster_.store(), objects, result_.ns);
      if (!r.is_ok()) return fail_step(step.describe(), step.where, r.status().message());
    }
    applied_.insert(applied_.end(), objects.begin(), objects.end());
    history_.track(objects, result_.ns);
    cluster_.bus().run_until_idle(std::chrono::seconds(30));
    if (auto why = wait_ready(); !why.empty()) return fail_step(step.describe(), step.where, why);
    history_.observe(cluster_.store());
    std::string ready;
    for (const auto& ns : history_.namespaces())
      for (const auto& ing : cluster_.store().list("Ingress", ns))
        ready += "; ingress " + ing["metadata"].value("name", "") + " at " + join(ingress_addresses(ing));
    print("  " + step.describe() + ": " + std::to_string(objects.size()) + " objects" + ready + " (" +
          seconds_text(since(t0)) + ")");
  }

  void remove(const Step& step) {
    const auto t0 = Clock::now();
    std::string errors;
    {
      core::TraceScope scope(cluster_.bus(), "csim-test", step.describe());
      for (const auto& item : step.del) {
        if (!item.objects.empty()) {
          auto r = kube::delete_objects(cluster_.store(), item.objects, result_.ns);
          if (!r.is_ok()) errors += (errors.empty() ? "" : "\n") + item.where.str() + ": " + r.status().message();
          continue;
        }
        const kube::KindInfo* info = kube::find_kind(item.kind);
        const std::string ns = info && info->namespaced ? (item.ns.empty() ? result_.ns : item.ns) : "";
        auto r = cluster_.store().remove(item.kind, ns, item.name);
        if (!r.is_ok()) errors += (errors.empty() ? "" : "\n") + item.where.str() + ": " + r.status().message();
      }
    }
    cluster_.bus().run_until_idle(std::chrono::seconds(30));
    wait_dropped();
    history_.observe(cluster_.store());
    if (!errors.empty()) return fail_step(step.describe(), step.where, errors);
    print("  " + step.describe() + " (" + seconds_text(since(t0)) + ")");
  }

  // Bounded: until every address of an Ingress that no longer exists stops answering.
  void wait_dropped() {
    const auto deadline = Clock::now() + options_.drop_timeout;
    for (const auto& [key, addresses] : history_.seen()) {
      if (cluster_.store().get("Ingress", key.first, key.second)) continue;
      for (const auto& ip : addresses) {
        while (Clock::now() < deadline) {
          auto r = agent::http_request_in_netns(agent::kExternalNetns, ip, 80, "GET", ip, "/", milliseconds(300));
          if (!r.is_ok()) break;
          std::this_thread::sleep_for(milliseconds(50));
        }
      }
    }
  }

  Verdict judge(const core::Result<agent::HttpResponse>& r, const Response& want) {
    Verdict v;
    if (!r.is_ok()) {
      v.got = "no answer (" + r.status().message() + ")";
      v.right = want.unreachable;
      v.converging = want.wants_backend();
      if (!v.right) v.why = "expected " + want.describe() + ", got no answer";
      return v;
    }
    v.got = std::to_string(r->status);
    if (want.certificate) {
      const auto names = certificate_names(r->tls);
      v.got += " (certificate " + (names.empty() ? std::string("none") : join(names)) + ")";
      if (std::find(names.begin(), names.end(), *want.certificate) == names.end()) {
        v.why = "expected a certificate for " + *want.certificate + ", got " +
                (names.empty() ? std::string("none") : "one for " + join(names));
        return v;
      }
    }
    auto echo = nlohmann::json::parse(r->body, nullptr, false);
    const bool from_pod = r->status == 200 && echo.is_object() && echo.contains("pod") && echo["pod"].is_string();
    std::vector<std::string> services;
    if (from_pod) {
      v.pod = echo["pod"].get<std::string>();
      const std::string ns = echo.value("namespace", "");
      services = services_selecting(cluster_.store().list("Service", ns), echo.value("labels", nlohmann::json()));
      v.got += services.empty() ? " (a pod of no Service)" : " " + join(services);
    }
    if (want.unreachable) {
      v.why = "expected no answer, got " + v.got;
      return v;
    }
    if (want.status && r->status != *want.status) {
      v.why = "expected status " + std::to_string(*want.status) + ", got " + v.got;
      v.converging = want.wants_backend() && !from_pod;
      return v;
    }
    if (want.service) {
      if (!from_pod) {
        v.why = "expected an answer from a pod of " + *want.service + ", got one from no pod: " + v.got;
        v.converging = true;
        return v;
      }
      if (services.size() != 1 || services[0] != *want.service) {
        v.why = services.size() > 1 ? "pod " + v.pod + " is selected by several Services (" + join(services) +
                                          "): the answer cannot show which one routed it"
                                    : "answered by pod " + v.pod + " of " +
                                          (services.empty() ? std::string("no Service") : services[0]) +
                                          ", not of " + *want.service;
        return v;
      }
    }
    v.right = true;
    return v;
  }

  void expect(const Expectation& x, Clock::time_point converge_until) {
    const auto t0 = Clock::now();
    CaseResult c;
    c.name = x.describe();
    c.where = x.where;
    c.expected = x.response.describe();
    auto target = history_.resolve(cluster_.store(), x.request.ingress);
    std::string ip;
    if (target.is_ok()) {
      const auto& a = target->addresses;
      if (a.empty()) {
        c.detail = "ingress " + target->name + " has no address";
      } else if (x.request.address.empty()) {
        ip = a.front();
      } else if (std::find(a.begin(), a.end(), x.request.address) != a.end()) {
        ip = x.request.address;
      } else {
        c.detail = x.request.address + " is not an address of ingress " + target->name + " (it has " + join(a) + ")";
      }
    } else {
      c.detail = target.status().message();
    }
    if (ip.empty()) {
      c.outcome = CaseResult::Outcome::kFailed;
      c.request = x.request.describe();
      c.seconds = since(t0);
      return add(std::move(c));
    }
    agent::HttpRequestSpec spec;
    spec.netns = agent::kExternalNetns;
    spec.ip = ip;
    spec.port = x.request.https ? 443 : 80;
    spec.tls = x.request.https;
    spec.method = x.request.method;
    spec.host_header = x.request.host.empty() ? ip : x.request.host;
    spec.path = x.request.path;
    spec.timeout = options_.request_timeout;
    c.request = x.request.method + (x.request.https ? " https://" : " http://") + ip + x.request.path +
                " Host: " + spec.host_header;

    std::set<std::string> pods;
    int tries = 0, wrong = 0;
    std::string first_wrong, last_got;
    for (int i = 0; i < x.repeat; ++i) {
      Verdict v;
      while (true) {
        ++tries;
        v = judge(agent::http_request(spec), x.response);
        // Only before the first right answer, only right after a step, only while no pod
        // has answered, and bounded: the data plane converging.
        if (v.right || !v.converging || i > 0 || Clock::now() >= converge_until) break;
        std::this_thread::sleep_for(milliseconds(100));
      }
      if (!v.pod.empty()) pods.insert(v.pod);
      last_got = v.got;
      if (!v.right) {
        ++wrong;
        if (first_wrong.empty()) {
          first_wrong = v.why;
          c.got = v.got;
        }
      }
    }
    if (c.got.empty()) c.got = last_got;
    c.pods = join(std::vector<std::string>(pods.begin(), pods.end()));
    c.outcome = wrong == 0 ? CaseResult::Outcome::kPassed : CaseResult::Outcome::kFailed;
    if (wrong > 0) {
      c.detail = first_wrong;
      if (x.repeat > 1) c.detail += " (" + std::to_string(wrong) + " of " + std::to_string(x.repeat) + " answers wrong)";
    }
    if (tries > x.repeat) {
      const std::string retries = std::to_string(tries - x.repeat) + " retries";
      c.detail += wrong == 0 ? "converged after " + retries
                             : "; gave up waiting for the data plane to converge after " + retries;
    }
    c.seconds = since(t0);
    add(std::move(c));
  }

  // Deletes what the scenario applied outside its namespace, then the namespace.
  void cleanup() {
    std::vector<std::tuple<int, std::string, std::string, std::string>> outside;  // rank, kind, ns, name
    std::set<std::tuple<std::string, std::string, std::string>> seen;
    for (const auto& o : applied_) {
      const std::string kind = o.object.value("kind", "");
      const kube::KindInfo* info = kube::find_kind(kind);
      if (!info) continue;
      const auto meta = o.object.value("metadata", nlohmann::json::object());
      const std::string name = meta.value("name", "");
      const std::string ns = info->namespaced ? meta.value("namespace", result_.ns) : "";
      if (name.empty() || ns == result_.ns || (kind == "Namespace" && name == result_.ns)) continue;
      if (seen.insert({kind, ns, name}).second) outside.emplace_back(info->apply_rank, kind, ns, name);
    }
    std::sort(outside.begin(), outside.end(), [](const auto& a, const auto& b) { return std::get<0>(a) > std::get<0>(b); });
    std::string errors;
    auto remove = [&](const std::string& kind, const std::string& ns, const std::string& name) {
      auto r = cluster_.store().remove(kind, ns, name);
      if (!r.is_ok() && r.status().code() != core::Code::kNotFound)
        errors += (errors.empty() ? "" : "\n") + kind + " " + ns + "/" + name + ": " + r.status().message();
    };
    for (const auto& [rank, kind, ns, name] : outside) remove(kind, ns, name);
    remove("Namespace", "", result_.ns);
    if (!cluster_.bus().run_until_idle(std::chrono::seconds(30)))
      errors += std::string(errors.empty() ? "" : "\n") + "the cluster did not settle within 30 s";
    wait_dropped();
    if (!errors.empty()) {
      const std::string keep = broken_;
      fail_step("cleanup", scenario_.where, errors);
      broken_ = keep;
    }
  }

  sim::Cluster& cluster_;
  const Scenario& scenario_;
  const RunOptions& options_;
  ScenarioResult& result_;
  IngressHistory history_;
  std::vector<kube::LoadedObject> applied_;
  std::string broken_;  // why later expectations are skipped
};

std::string make_state_dir() {
  std::string tmpl = (std::filesystem::temp_directory_path() / "csim-test-XXXXXX").string();
  std::vector<char> buf(tmpl.begin(), tmpl.end());
  buf.push_back('\0');
  if (!mkdtemp(buf.data())) return "";
  return buf.data();
}

}  // namespace

semantics::Semantics effective_semantics(const Scenario& scenario, const RunOptions& options) {
  if (options.semantics) return *options.semantics;
  return scenario.semantics.value_or(semantics::Semantics::kContrail);
}

std::vector<ScenarioResult> run_scenarios(const std::vector<Scenario>& scenarios, const RunOptions& options) {
  std::vector<ScenarioResult> results(scenarios.size());
  std::vector<semantics::Semantics> order;
  for (size_t i = 0; i < scenarios.size(); ++i) {
    results[i].name = scenarios[i].name;
    results[i].file = scenarios[i].where.file;
    const auto sem = effective_semantics(scenarios[i], options);
    results[i].semantics = semantics::semantics_name(sem);
    results[i].ns = namespace_for(scenarios[i]);
    if (std::find(order.begin(), order.end(), sem) == order.end()) order.push_back(sem);
  }
  auto print = [&](const std::string& line) {
    if (!options.out) return;
    *options.out << line << "\n";
    options.out->flush();
  };
  for (const auto sem : order) {
    const std::string name = semantics::semantics_name(sem);
    const auto t0 = Clock::now();
    const std::string state_dir = make_state_dir();
    std::string error;
    std::unique_ptr<sim::Cluster> cluster;
    if (state_dir.empty()) {
      error = std::string("cannot create a state directory: ") + std::strerror(errno);
    } else {
      sim::ClusterOptions co;
      co.state_dir = state_dir;
      co.csim_binary = options.csim_binary;
      co.semantics = name;
      auto started = sim::Cluster::start(co);
      if (started.is_ok()) cluster = std::move(*started);
      else error = started.status().to_string();
    }
    print(cluster ? "cluster (semantics " + name + ") started in " + seconds_text(since(t0)) + "\n"
                  : "cluster (semantics " + name + ") did not start: " + error + "\n");
    for (size_t i = 0; i < scenarios.size(); ++i) {
      if (effective_semantics(scenarios[i], options) != sem) continue;
      if (!cluster) {
        CaseResult c;
        c.outcome = CaseResult::Outcome::kFailed;
        c.name = "start a cluster (semantics " + name + ")";
        c.where = scenarios[i].where;
        c.detail = error;
        results[i].cases.push_back(c);
        print(format_scenario_header(results[i]) + "\n" + format_case(c));
        continue;
      }
      ScenarioRun(*cluster, scenarios[i], options, results[i]).run();
    }
    if (cluster) cluster->stop();
    cluster.reset();
    if (!state_dir.empty()) {
      std::error_code ec;
      std::filesystem::remove_all(state_dir, ec);
    }
  }
  return results;
}

}  // namespace csim::scenario
