#include "kube/apiserver/strategic_merge.h"

#include <algorithm>
#include <set>

namespace csim::kube::apiserver {

using nlohmann::json;

namespace {

std::string join_path(const std::vector<std::string>& path) {
  std::string out;
  for (const auto& p : path) out += (out.empty() ? "" : ".") + p;
  return out;
}

bool starts_with(const std::vector<std::string>& path, const std::vector<std::string>& prefix) {
  return path.size() >= prefix.size() && std::equal(prefix.begin(), prefix.end(), path.begin());
}

// Lists inside a PodSpec (path relative to the PodSpec).
std::optional<ListMeta> pod_spec_list(const std::vector<std::string>& rel) {
  static const std::set<std::string> kContainerLists = {"containers", "initContainers",
                                                         "ephemeralContainers"};
  if (rel.size() == 1) {
    const std::string& f = rel[0];
    if (kContainerLists.count(f) || f == "volumes" || f == "imagePullSecrets" ||
        f == "resourceClaims" || f == "schedulingGates")
      return ListMeta{"name"};
    if (f == "hostAliases") return ListMeta{"ip"};
    if (f == "topologySpreadConstraints") return ListMeta{"topologyKey"};
    return std::nullopt;
  }
  if (rel.size() == 2 && kContainerLists.count(rel[0])) {
    const std::string& f = rel[1];
    if (f == "ports") return ListMeta{"containerPort"};
    if (f == "env") return ListMeta{"name"};
    if (f == "volumeMounts") return ListMeta{"mountPath"};
    if (f == "volumeDevices") return ListMeta{"devicePath"};
  }
  return std::nullopt;
}

class Merger {
 public:
  explicit Merger(std::string kind) : kind_(std::move(kind)) {}

  core::Status error() const { return error_; }

  // Merges `patch` (an object) into `original`; the result never holds directives.
  json merge_map(const json& original, const json& patch, std::vector<std::string>& path) {
    json result = original.is_object() ? original : json::object();
    auto directive = patch.find("$patch");
    if (directive != patch.end()) {
      if (*directive == "replace") return strip(patch);
      if (*directive != "merge" && *directive != "delete")
        fail(where(path) + "$patch: unknown directive " + directive->dump());
    }
    auto retain = patch.find("$retainKeys");
    if (retain != patch.end()) {
      if (!retain->is_array()) {
        fail(where(path) + "$retainKeys: must be a list");
      } else {
        std::set<std::string> keep;
        for (const json& k : *retain)
          if (k.is_string()) keep.insert(k.get<std::string>());
        for (auto it = result.begin(); it != result.end();) {
          if (!keep.count(it.key()))
            it = result.erase(it);
          else
            ++it;
        }
      }
    }
    for (auto it = patch.begin(); it != patch.end(); ++it) {
      const std::string& key = it.key();
      static const std::string kDeletePrefix = "$deleteFromPrimitiveList/";
      if (key.rfind(kDeletePrefix, 0) == 0) {
        std::string field = key.substr(kDeletePrefix.size());
        if (!it.value().is_array()) {
          fail(where(path) + key + ": must be a list");
          continue;
        }
        if (result.contains(field) && result[field].is_array()) {
          json kept = json::array();
          for (const json& v : result[field])
            if (std::find(it.value().begin(), it.value().end(), v) == it.value().end()) kept.push_back(v);
          result[field] = kept;
        }
      }
    }
    for (auto it = patch.begin(); it != patch.end(); ++it) {
      const std::string& key = it.key();
      if (!key.empty() && key[0] == '$') continue;
      const json& value = it.value();
      path.push_back(key);
      if (value.is_null()) {
        result.erase(key);
      } else if (value.is_object()) {
        auto d = value.find("$patch");
        if (d != value.end() && *d == "delete") {
          result.erase(key);
        } else {
          const json current = result.contains(key) ? result[key] : json::object();
          result[key] = merge_map(current, value, path);
        }
      } else if (value.is_array()) {
        std::optional<ListMeta> meta = patch_list_meta(kind_, path);
        if (!meta) {
          result[key] = strip(value);
        } else {
          const json current = result.contains(key) && result[key].is_array() ? result[key] : json::array();
          result[key] = merge_list(current, value, *meta, path);
        }
      } else {
        result[key] = value;
      }
      path.pop_back();
    }
    // $setElementOrder/<field> after the lists are merged.
    static const std::string kOrderPrefix = "$setElementOrder/";
    for (auto it = patch.begin(); it != patch.end(); ++it) {
      if (it.key().rfind(kOrderPrefix, 0) != 0) continue;
      std::string field = it.key().substr(kOrderPrefix.size());
      if (!it.value().is_array()) {
        fail(where(path) + it.key() + ": must be a list");
        continue;
      }
      if (!result.contains(field) || !result[field].is_array()) continue;
      path.push_back(field);
      std::optional<ListMeta> meta = patch_list_meta(kind_, path);
      path.pop_back();
      json server = original.is_object() && original.contains(field) && original[field].is_array()
                        ? original[field]
                        : json::array();
      result[field] = reorder(result[field], it.value(), server, meta ? meta->merge_key : "");
    }
    return result;
  }

 private:
  static std::string where(const std::vector<std::string>& path) {
    std::string p = join_path(path);
    return p.empty() ? "" : p + ": ";
  }

  void fail(const std::string& message) {
    if (error_.is_ok()) error_ = core::invalid(message);
  }

  // Removes directive keys (and $patch list markers) everywhere.
  json strip(const json& v) {
    if (v.is_object()) {
      json out = json::object();
      for (auto it = v.begin(); it != v.end(); ++it)
        if (it.key().empty() || it.key()[0] != '$') out[it.key()] = strip(it.value());
      return out;
    }
    if (v.is_array()) {
      json out = json::array();
      for (const json& e : v) {
        if (e.is_object() && e.contains("$patch") && e.size() == 1) continue;
        out.push_back(strip(e));
      }
      return out;
    }
    return v;
  }

  static json key_of(const json& item, const std::string& merge_key) {
    if (merge_key.empty()) return item;
    if (!item.is_object()) return nullptr;
    auto it = item.find(merge_key);
    return it == item.end() ? json() : *it;
  }

  json merge_list(const json& original, const json& patch, const ListMeta& meta,
                  std::vector<std::string>& path) {
    // {"$patch": "replace"} anywhere in the patch list: the list becomes the patch's items.
    for (const json& e : patch)
      if (e.is_object() && e.value("$patch", json()) == "replace") return strip(patch);
    json result = original;
    if (meta.merge_key.empty()) {  // a set of primitives
      for (const json& e : patch) {
        if (e.is_object()) continue;
        if (std::find(result.begin(), result.end(), e) == result.end()) result.push_back(e);
      }
      return result;
    }
    for (const json& e : patch) {
      if (!e.is_object()) {
        fail(where(path) + "list items must be mappings with \"" + meta.merge_key + "\"");
        continue;
      }
      json key = key_of(e, meta.merge_key);
      const json directive = e.value("$patch", json());
      if (key.is_null()) {
        if (directive == "merge" || directive.is_null()) {
          if (e.size() == 1 && directive == "merge") continue;
        }
        fail(where(path) + "list item " + e.dump() + " has no merge key \"" + meta.merge_key + "\"");
        continue;
      }
      if (directive == "delete") {
        json kept = json::array();
        for (const json& r : result)
          if (key_of(r, meta.merge_key) != key) kept.push_back(r);
        result = kept;
        continue;
      }
      auto found = std::find_if(result.begin(), result.end(),
                                [&](const json& r) { return key_of(r, meta.merge_key) == key; });
      if (found != result.end()) {
        *found = merge_map(*found, e, path);
      } else {
        result.push_back(merge_map(json::object(), e, path));
      }
    }
    return result;
  }

  // kube's normalizeElementOrder: the items named in `order` follow that order; the
  // server-only items keep their places relative to the server's list.
  json reorder(const json& merged, const json& order, const json& server, const std::string& merge_key) {
    auto index_in = [&](const json& list, const json& key) -> long {
      for (size_t i = 0; i < list.size(); ++i)
        if (key_of(list[i], merge_key) == key) return static_cast<long>(i);
      return -1;
    };
    std::vector<json> ordered_keys;
    for (const json& o : order) ordered_keys.push_back(key_of(o, merge_key));
    std::vector<json> in_patch, server_only;
    for (const json& item : merged) {
      json k = key_of(item, merge_key);
      if (std::find(ordered_keys.begin(), ordered_keys.end(), k) != ordered_keys.end())
        in_patch.push_back(item);
      else
        server_only.push_back(item);
    }
    std::stable_sort(in_patch.begin(), in_patch.end(), [&](const json& a, const json& b) {
      auto ia = std::find(ordered_keys.begin(), ordered_keys.end(), key_of(a, merge_key));
      auto ib = std::find(ordered_keys.begin(), ordered_keys.end(), key_of(b, merge_key));
      return ia < ib;
    });
    std::stable_sort(server_only.begin(), server_only.end(), [&](const json& a, const json& b) {
      return index_in(server, key_of(a, merge_key)) < index_in(server, key_of(b, merge_key));
    });
    json out = json::array();
    size_t i = 0, j = 0;
    while (i < in_patch.size() || j < server_only.size()) {
      if (i >= in_patch.size()) {
        out.push_back(server_only[j++]);
      } else if (j >= server_only.size()) {
        out.push_back(in_patch[i++]);
      } else {
        long li = index_in(server, key_of(in_patch[i], merge_key));
        long ri = index_in(server, key_of(server_only[j], merge_key));
        if (li >= 0 && ri >= 0 && li < ri)
          out.push_back(in_patch[i++]);
        else
          out.push_back(server_only[j++]);
      }
    }
    return out;
  }

  std::string kind_;
  core::Status error_;
};

}  // namespace

std::optional<ListMeta> patch_list_meta(const std::string& kind, const std::vector<std::string>& path) {
  const std::string joined = join_path(path);
  if (joined == "metadata.ownerReferences") return ListMeta{"uid"};
  if (joined == "metadata.finalizers") return ListMeta{""};
  if (path.size() == 2 && path[0] == "status" && path[1] == "conditions") return ListMeta{"type"};
  if (kind == "Pod") {
    if (joined == "status.podIPs") return ListMeta{"ip"};
    if (starts_with(path, {"spec"})) return pod_spec_list({path.begin() + 1, path.end()});
  }
  if (kind == "Deployment" && starts_with(path, {"spec", "template", "spec"}))
    return pod_spec_list({path.begin() + 3, path.end()});
  if (kind == "Service" && joined == "spec.ports") return ListMeta{"port"};
  if (kind == "Node") {
    if (joined == "status.addresses") return ListMeta{"type"};
    if (joined == "spec.podCIDRs") return ListMeta{""};
  }
  return std::nullopt;
}

core::Result<json> strategic_merge(const std::string& kind, const json& original, const json& patch) {
  if (!patch.is_object()) return core::invalid("a strategic merge patch must be a JSON object");
  Merger merger(kind);
  std::vector<std::string> path;
  json result = merger.merge_map(original, patch, path);
  if (!merger.error().is_ok()) return merger.error();
  return result;
}

}  // namespace csim::kube::apiserver
