#include "kube/merge_patch.h"

namespace csim::kube {
namespace {

using nlohmann::json;

// Fields of `original` that `modified` no longer has -> null.
json deletions(const json& original, const json& modified) {
  json patch = json::object();
  if (!original.is_object() || !modified.is_object()) return patch;
  for (auto it = original.begin(); it != original.end(); ++it) {
    if (!modified.contains(it.key())) {
      patch[it.key()] = nullptr;
    } else if (it.value().is_object() && modified[it.key()].is_object()) {
      json sub = deletions(it.value(), modified[it.key()]);
      if (!sub.empty()) patch[it.key()] = std::move(sub);
    }
  }
  return patch;
}

// Fields of `modified` that differ from `current`.
json changes(const json& current, const json& modified) {
  json patch = json::object();
  for (auto it = modified.begin(); it != modified.end(); ++it) {
    const std::string& key = it.key();
    if (!current.is_object() || !current.contains(key)) {
      patch[key] = it.value();
    } else if (it.value().is_object() && current[key].is_object()) {
      json sub = changes(current[key], it.value());
      if (!sub.empty()) patch[key] = std::move(sub);
    } else if (current[key] != it.value()) {
      patch[key] = it.value();
    }
  }
  return patch;
}

void merge_into(json& target, const json& patch) {
  for (auto it = patch.begin(); it != patch.end(); ++it) {
    if (it.value().is_object() && target.contains(it.key()) && target[it.key()].is_object())
      merge_into(target[it.key()], it.value());
    else
      target[it.key()] = it.value();
  }
}

}  // namespace

json three_way_merge_patch(const json& original, const json& modified, const json& current) {
  json patch = deletions(original, modified);
  if (modified.is_object()) merge_into(patch, changes(current, modified));
  return patch;
}

}  // namespace csim::kube
