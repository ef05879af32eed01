#include "scenario/check.h"

#include <map>
#include <set>
#include <sstream>

#include "core/bus.h"
#include "core/clock.h"
#include "kube/apply.h"
#include "kube/kinds.h"
#include "kube/memory_store.h"
#include "scenario/ingress_target.h"

namespace csim::scenario {
namespace {

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

}  // namespace

kube::LoadedObject namespace_object(const std::string& name, const Location& where) {
  kube::LoadedObject ns;
  ns.object = {{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", name}}}};
  ns.file = where.file;
  ns.line = where.line;
  return ns;
}

core::Status check_scenario(const Scenario& scenario) {
  core::SimulatedClock clock;
  core::Bus bus(clock, core::Bus::Mode::kDeterministic);
  kube::MemoryObjectStore store(bus, clock, kube::MemoryObjectStore::Options{.seed = 1});
  const std::string ns = namespace_for(scenario);
  std::vector<std::string> errors;
  auto fail = [&](const Location& where, const std::string& field, const std::string& message) {
    errors.push_back(where.str() + ": " + field + ": " + message);
  };
  if (auto r = kube::apply_objects(store, {namespace_object(ns, scenario.where)}, ns); !r.is_ok()) {
    fail(scenario.where, "name", "cannot create the scenario's namespace " + ns + ": " + r.status().message());
    return core::invalid(errors.front());
  }
  IngressHistory history(ns);
  bool stop = false;
  for (const auto& step : scenario.steps) {
    if (stop) break;
    bus.run_until_idle();
    switch (step.kind) {
      case Step::Kind::kApply: {
        std::vector<kube::LoadedObject> objects;
        for (const auto& item : step.apply) objects.insert(objects.end(), item.objects.begin(), item.objects.end());
        auto r = kube::apply_objects(store, objects, ns);
        if (!r.is_ok()) {
          for (const auto& line : lines_of(r.status().message())) {
            if (line.rfind(scenario.where.file + ":", 0) == 0)
              errors.push_back(line);
            else
              fail(step.where, step.field, line);
          }
          stop = true;  // later steps would only repeat the consequences of this one
          break;
        }
        history.track(objects, ns);
        history.observe(store);
        break;
      }
      case Step::Kind::kDelete: {
        for (const auto& item : step.del) {
          if (!item.objects.empty()) {
            (void)kube::delete_objects(store, item.objects, ns, /*ignore_not_found=*/true);
          } else {
            const kube::KindInfo* info = kube::find_kind(item.kind);
            const std::string object_ns = info && info->namespaced ? (item.ns.empty() ? ns : item.ns) : "";
            (void)store.remove(item.kind, object_ns, item.name);
          }
        }
        history.observe(store);
        break;
      }
      case Step::Kind::kExpect: {
        for (const auto& x : step.expect) {
          auto target = history.resolve(store, x.request.ingress);
          if (!target.is_ok()) {
            fail(x.where, x.field + ".request.ingress", target.status().message());
            continue;
          }
          if (x.response.service && target->exists) {
            auto services = store.list("Service", target->ns);
            bool found = false;
            std::string names;
            for (const auto& svc : services) {
              const std::string name = svc["metadata"].value("name", "");
              found |= name == *x.response.service;
              names += (names.empty() ? "" : ", ") + name;
            }
            if (!found)
              fail(x.where, x.field + ".response.service",
                   "no Service \"" + *x.response.service + "\" in namespace " + target->ns + " at this point (" +
                       (names.empty() ? std::string("it has none") : "it has " + names) + ")");
          }
        }
        break;
      }
    }
  }
  if (errors.empty()) return core::Status::ok();
  std::string message;
  for (size_t i = 0; i < errors.size(); ++i) message += (i ? "\n" : "") + errors[i];
  return core::invalid(message);
}

}  // namespace csim::scenario
