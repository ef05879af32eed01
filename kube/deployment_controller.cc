#include "kube/deployment_controller.h"

#include <algorithm>
#include <cstdio>
#include <set>
#include <vector>

#include "kube/object_util.h"

namespace csim::kube {
namespace {

using nlohmann::json;

constexpr const char* kHashLabel = "pod-template-hash";
constexpr const char* kAlphabet = "bcdfghjklmnpqrstvwxz2456789";
constexpr int kNameAttempts = 64;

uint64_t fnv1a64(const std::string& s) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

bool owned_by(const json& pod, const std::string& name) {
  auto owner = controller_owner(pod);
  return owner && owner->value("kind", json()) == "Deployment" &&
         owner->value("apiVersion", json()) == "apps/v1" && owner->value("name", json()) == name;
}

std::string owner_uid(const json& pod) {
  auto owner = controller_owner(pod);
  return owner && owner->contains("uid") && (*owner)["uid"].is_string() ? (*owner)["uid"].get<std::string>()
                                                                         : "";
}

std::string label(const json& pod, const char* key) {
  const json& meta = pod.value("metadata", json::object());
  if (!meta.is_object() || !meta.contains("labels") || !meta["labels"].is_object()) return "";
  const json& v = meta["labels"].value(key, json());
  return v.is_string() ? v.get<std::string>() : "";
}

bool scheduled(const json& pod) {
  const json& spec = pod.value("spec", json::object());
  return spec.is_object() && spec.value("nodeName", json("")) != "";
}

}  // namespace

DeploymentController::DeploymentController(core::Bus& bus, ObjectStore& store)
    : bus_(bus), store_(store) {}

std::string DeploymentController::template_hash(const json& pod_template) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%010llx",
                static_cast<unsigned long long>(fnv1a64(pod_template.dump()) & 0xFFFFFFFFFFull));
  return buf;
}

void DeploymentController::start() {
  bus_.subscribe(kModule, watch_topic("Deployment"), [this](const core::Envelope& e) {
    const json& object = e.body.value("object", json::object());
    report(reconcile(meta_string(object, "namespace"), meta_string(object, "name")));
  });
  bus_.subscribe(kModule, watch_topic("Pod"), [this](const core::Envelope& e) {
    const json& pod = e.body.value("object", json::object());
    auto owner = controller_owner(pod);
    if (!owner || owner->value("kind", json()) != "Deployment" || !(*owner)["name"].is_string()) return;
    report(reconcile(meta_string(pod, "namespace"), (*owner)["name"].get<std::string>()));
  });
  bus_.post(kModule, [this] { resync(); });
}

void DeploymentController::report(const core::Status& status) {
  if (status.is_ok()) return;
  const auto now = bus_.clock().now();
  bus_.record(kModule, "reconcile failed", status.to_string(), now, now);
}

void DeploymentController::resync() {
  std::set<std::pair<std::string, std::string>> keys;
  for (const json& d : store_.list("Deployment"))
    keys.emplace(meta_string(d, "namespace"), meta_string(d, "name"));
  for (const json& pod : store_.list("Pod")) {
    auto owner = controller_owner(pod);
    if (owner && owner->value("kind", json()) == "Deployment" && (*owner)["name"].is_string())
      keys.emplace(meta_string(pod, "namespace"), (*owner)["name"].get<std::string>());
  }
  for (const auto& [ns, name] : keys) report(reconcile(ns, name));
}

core::Status DeploymentController::reconcile(const std::string& ns, const std::string& name) {
  auto fail = [&](const std::string& what, const core::Status& s) {
    return core::Status(s.code(), "deployment " + ns + "/" + name + ": " + what + ": " + s.message());
  };
  auto remove_pod = [&](const json& pod) -> core::Status {
    auto r = store_.remove("Pod", ns, meta_string(pod, "name"));
    if (r.is_ok() || r.status().code() == core::Code::kNotFound) return core::Status::ok();
    return fail("delete pod " + meta_string(pod, "name"), r.status());
  };

  std::vector<json> owned;
  for (const json& pod : store_.list("Pod", ns))
    if (owned_by(pod, name)) owned.push_back(pod);

  auto deployment = store_.get("Deployment", ns, name);
  if (!deployment) {
    for (const json& pod : owned)
      if (auto s = remove_pod(pod); !s.is_ok()) return s;
    return core::Status::ok();
  }
  const std::string uid = meta_string(*deployment, "uid");
  const json& spec = deployment->value("spec", json::object());
  const json tmpl = spec.is_object() ? spec.value("template", json::object()) : json::object();
  const std::string hash = template_hash(tmpl);
  int64_t replicas = 1;
  if (spec.is_object() && spec.contains("replicas") && spec["replicas"].is_number_integer())
    replicas = std::max<int64_t>(0, spec["replicas"].get<int64_t>());

  std::vector<json> current;
  for (const json& pod : owned) {
    if (owner_uid(pod) != uid || label(pod, kHashLabel) != hash) {
      if (auto s = remove_pod(pod); !s.is_ok()) return s;  // another incarnation or template
    } else {
      current.push_back(pod);
    }
  }

  if (static_cast<int64_t>(current.size()) > replicas) {
    // Not ready first, then unscheduled, then newest, then by name (last first).
    std::sort(current.begin(), current.end(), [](const json& a, const json& b) {
      return std::make_tuple(pod_is_ready(a), scheduled(a), meta_string(b, "creationTimestamp"),
                             meta_string(b, "name")) <
             std::make_tuple(pod_is_ready(b), scheduled(b), meta_string(a, "creationTimestamp"),
                             meta_string(a, "name"));
    });
    while (static_cast<int64_t>(current.size()) > replicas) {
      if (auto s = remove_pod(current.front()); !s.is_ok()) return s;
      current.erase(current.begin());
    }
  }

  const json tmeta = tmpl.value("metadata", json::object());
  int counter = 0;
  while (static_cast<int64_t>(current.size()) < replicas) {
    json pod = {{"apiVersion", "v1"}, {"kind", "Pod"}};
    json meta = {{"namespace", ns}};
    json labels = tmeta.is_object() && tmeta.contains("labels") && tmeta["labels"].is_object()
                      ? tmeta["labels"]
                      : json::object();
    labels[kHashLabel] = hash;
    meta["labels"] = labels;
    if (tmeta.is_object() && tmeta.contains("annotations") && tmeta["annotations"].is_object())
      meta["annotations"] = tmeta["annotations"];
    meta["ownerReferences"] = json::array({{{"apiVersion", "apps/v1"},
                                            {"kind", "Deployment"},
                                            {"name", name},
                                            {"uid", uid},
                                            {"controller", true},
                                            {"blockOwnerDeletion", true}}});
    pod["spec"] = tmpl.value("spec", json::object());
    core::Status last;
    bool created = false;
    for (int attempt = 0; attempt < kNameAttempts && !created; ++attempt, ++counter) {
      uint64_t h = fnv1a64(uid + "/" + hash + "/" + std::to_string(counter));
      std::string suffix;
      for (int i = 0; i < 5; ++i, h /= 27) suffix += kAlphabet[h % 27];
      meta["name"] = name + "-" + hash + "-" + suffix;
      pod["metadata"] = meta;
      auto r = store_.create(pod);
      if (r.is_ok()) {
        current.push_back(*r);
        created = true;
      } else {
        last = r.status();
        if (last.code() != core::Code::kAlreadyExists) return fail("create pod", last);
      }
    }
    if (!created) return fail("create pod", last);
  }

  int64_t ready = 0;
  for (const json& pod : current)
    if (pod_is_ready(pod)) ++ready;
  json status = deployment->value("status", json::object());
  if (!status.is_object()) status = json::object();
  status["observedGeneration"] = deployment->value("metadata", json::object()).value("generation", json(0));
  status["replicas"] = static_cast<int64_t>(current.size());
  status["updatedReplicas"] = static_cast<int64_t>(current.size());
  status["readyReplicas"] = ready;
  status["availableReplicas"] = ready;
  if (status != deployment->value("status", json())) {
    auto r = store_.update_status("Deployment", ns, name, status);
    if (!r.is_ok() && r.status().code() != core::Code::kNotFound) return fail("update status", r.status());
  }
  return core::Status::ok();
}

}  // namespace csim::kube
