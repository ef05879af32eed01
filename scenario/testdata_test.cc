// The shipped scenarios (testdata/scenarios/) are well-formed, pass the dry run, and say
// what csim's pure routers (semantics/route.h) say for every request: so a scenario that
// fails in the data plane points at the data plane, not at the scenario.
#include <filesystem>
#include <map>
#include <set>

#include <gtest/gtest.h>

#include <algorithm>

#include "scenario/check.h"
#include "scenario/parser.h"
#include "semantics/route.h"

namespace csim::scenario {
namespace {

std::vector<std::string> scenario_files() {
  std::vector<std::string> out;
  for (const auto& e : std::filesystem::directory_iterator("testdata/scenarios"))
    if (e.path().extension() == ".yaml") out.push_back(e.path().string());
  std::sort(out.begin(), out.end());
  return out;
}

TEST(ShippedScenarios, AllAreThere) {
  std::set<std::string> names;
  for (const auto& f : scenario_files()) names.insert(std::filesystem::path(f).stem());
  for (const char* want : {"simple-fanout", "single-service", "virtual-host", "simple-fanout-external-ip",
                           "contrail-path-table", "kubernetes-path-table", "kubernetes-wildcard-host",
                           "kubernetes-host-port", "kubernetes-default-backend", "tls", "kubernetes-missing-service",
                           "contrail-missing-service"})
    EXPECT_TRUE(names.count(want)) << want;
}

TEST(ShippedScenarios, ParseAndPassTheDryRun) {
  for (const auto& file : scenario_files()) {
    SCOPED_TRACE(file);
    auto s = parse_scenario_file(file);
    ASSERT_TRUE(s.is_ok()) << s.status().message();
    EXPECT_EQ(s->name, std::filesystem::path(file).stem().string()) << "name: the file's name";
    ASSERT_TRUE(s->semantics.has_value()) << "every shipped scenario says its semantics";
    EXPECT_GE(s->expectation_count(), 3u);
    auto st = check_scenario(*s);
    EXPECT_TRUE(st.is_ok()) << st.message();
  }
}

TEST(ShippedScenarios, EveryExpectationAgreesWithTheRouter) {
  int checked = 0;
  for (const auto& file : scenario_files()) {
    SCOPED_TRACE(file);
    auto s = parse_scenario_file(file);
    ASSERT_TRUE(s.is_ok()) << s.status().message();
    const semantics::Semantics sem = *s->semantics;
    std::map<std::string, nlohmann::json> ingresses;  // by name, as last applied
    std::map<std::string, nlohmann::json> services;   // by name, present at this point
    for (const auto& step : s->steps) {
      for (const auto& item : step.apply)
        for (const auto& o : item.objects) {
          if (o.object.value("kind", "") == "Ingress") ingresses[o.object["metadata"].value("name", "")] = o.object;
          if (o.object.value("kind", "") == "Service") services[o.object["metadata"].value("name", "")] = o.object;
        }
      for (const auto& item : step.del) {
        if (item.kind == "Ingress") ingresses.erase(item.name);
        if (item.kind == "Service") services.erase(item.name);
        for (const auto& o : item.objects)
          if (o.object.value("kind", "") == "Service") services.erase(o.object["metadata"].value("name", ""));
      }
      for (const auto& x : step.expect) {
        SCOPED_TRACE(x.where.str() + " " + x.describe());
        if (x.response.unreachable) {
          EXPECT_FALSE(ingresses.count(x.request.ingress)) << "unreachable, yet the Ingress exists";
          continue;
        }
        ASSERT_TRUE(x.request.ingress.empty() ? ingresses.size() == 1 : ingresses.count(x.request.ingress) == 1);
        const nlohmann::json& ing = x.request.ingress.empty() ? ingresses.begin()->second : ingresses[x.request.ingress];
        // Without a Host header the request carries the address: an IP no rule names.
        const std::string host = x.request.host.empty() ? "10.84.59.252" : x.request.host;
        semantics::IngressModel model = semantics::ingress_model(ing);
        if (x.request.https) {  // the 443 frontend serves the rules with an HTTPS copy
          auto view = semantics::https_view(model);
          ASSERT_TRUE(view.has_https) << "an HTTPS request to an Ingress without TLS";
          model = std::move(view.model);
        }
        // A backend whose Service (or the Service's port) is missing: kube-manager keeps its
        // pool without a member (backend_unavailable); Contrail's rendering hides it (the
        // request falls through), the Kubernetes rendering answers 503 for it.
        auto missing = [&](const std::optional<semantics::BackendRef>& b) {
          if (!b) return false;
          auto svc = services.find(b->service);
          if (svc == services.end()) return true;
          const nlohmann::json ports = svc->second.value("spec", nlohmann::json::object()).value("ports", nlohmann::json::array());
          return std::none_of(ports.begin(), ports.end(), [&](const nlohmann::json& p) {
            return b->port_number ? p.value("port", -1) == *b->port_number : p.value("name", "") == b->port_name;
          });
        };
        if (sem == semantics::Semantics::kContrail) {
          for (auto& rule : model.rules)
            std::erase_if(rule.paths, [&](const semantics::IngressPath& p) { return missing(p.backend); });
          if (missing(model.default_backend)) model.default_backend.reset();
        }
        auto d = sem == semantics::Semantics::kContrail ? semantics::route_contrail(model, host, x.request.path)
                                                        : semantics::route_kubernetes(model, host, x.request.path);
        if (sem == semantics::Semantics::kKubernetes && missing(d.backend)) {
          d.backend.reset();
          d.status = 503;
        }
        if (x.response.service) {
          ASSERT_TRUE(d.backend.has_value()) << d.why;
          EXPECT_EQ(d.backend->service, *x.response.service) << d.why;
        }
        if (x.response.status) EXPECT_EQ(d.status, *x.response.status) << d.why;
        ++checked;
      }
    }
  }
  EXPECT_GE(checked, 80);
}

}  // namespace
}  // namespace csim::scenario
