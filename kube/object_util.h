// Small readers of Kubernetes objects that the controllers share.
// Pure functions over JSON; tolerate missing or malformed fields (they read as absent).
// Thread-safe.
#pragma once

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace csim::kube {

// metadata.<field> as a string, "" when absent.
std::string meta_string(const nlohmann::json& object, const char* field);

// True when status.conditions has {type: <type>, status: "True"}.
bool has_true_condition(const nlohmann::json& object, const std::string& type);

// A Pod is ready when its Ready condition is True and it is not terminal.
bool pod_is_ready(const nlohmann::json& pod);
// Pods in phase Succeeded or Failed.
bool pod_is_terminal(const nlohmann::json& pod);
// A Node can take pods when its Ready condition is True and spec.unschedulable is not true.
bool node_is_schedulable(const nlohmann::json& node);

// Equality-based selector (a Service's spec.selector, a matchLabels): every key=value of
// `selector` is in `labels`. An empty or absent selector matches nothing.
bool selector_matches_labels(const nlohmann::json& selector, const nlohmann::json& labels);

// True when an Endpoints object lists a pod (in subsets[].addresses or
// notReadyAddresses) whose targetRef.<field> ("name" or "uid") is `value`.
bool endpoints_list_pod(const nlohmann::json& endpoints, const char* field,
                        const std::string& value);

// The metadata.ownerReferences entry with controller: true, if any.
std::optional<nlohmann::json> controller_owner(const nlohmann::json& object);

}  // namespace csim::kube
