#include "kube/yaml_loader.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include <yaml-cpp/yaml.h>

namespace csim::kube {
namespace {

using nlohmann::json;

const std::string kTagPrefix = "tag:yaml.org,2002:";

std::string join_key(const std::vector<std::string>& segments) {
  std::string key;
  for (size_t i = 0; i < segments.size(); ++i) {
    if (i) key += '\x1f';
    key += segments[i];
  }
  return key;
}

// Kubernetes-style field path from segments: {"spec","rules","0"} -> "spec.rules[0]".
std::string format_path(const std::vector<std::string>& segments) {
  std::string out;
  for (const auto& s : segments) {
    bool index = !s.empty() && std::all_of(s.begin(), s.end(), ::isdigit);
    bool plain = !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
      return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
    });
    if (index || !plain) {
      out += "[" + s + "]";
    } else {
      if (!out.empty()) out += ".";
      out += s;
    }
  }
  return out;
}

bool one_of(const std::string& v, std::initializer_list<const char*> set) {
  for (const char* s : set)
    if (v == s) return true;
  return false;
}

// Parses a YAML 1.1 integer as Go's strconv.ParseInt(s, 0, 64) would (underscores
// already removed): optional sign, 0x / 0o / 0b prefixes, leading 0 = octal.
std::optional<json> parse_int(const std::string& s) {
  if (s.empty()) return std::nullopt;
  size_t i = 0;
  bool negative = false;
  if (s[0] == '+' || s[0] == '-') {
    negative = s[0] == '-';
    i = 1;
  }
  std::string digits = s.substr(i);
  int base = 10;
  if (digits.size() > 1 && digits[0] == '0') {
    char p = static_cast<char>(std::tolower(static_cast<unsigned char>(digits[1])));
    if (p == 'x') {
      base = 16;
      digits = digits.substr(2);
    } else if (p == 'o') {
      base = 8;
      digits = digits.substr(2);
    } else if (p == 'b') {
      base = 2;
      digits = digits.substr(2);
    } else {
      base = 8;
      digits = digits.substr(1);
    }
  }
  if (digits.empty()) return std::nullopt;
  for (char c : digits) {
    int v = std::isdigit(static_cast<unsigned char>(c)) ? c - '0'
            : std::isalpha(static_cast<unsigned char>(c))
                ? std::tolower(static_cast<unsigned char>(c)) - 'a' + 10
                : 99;
    if (v >= base) return std::nullopt;
  }
  errno = 0;
  unsigned long long u = std::strtoull(digits.c_str(), nullptr, base);
  if (errno == ERANGE) return std::nullopt;
  if (negative) {
    if (u > static_cast<unsigned long long>(INT64_MAX) + 1ull) return std::nullopt;
    return json(static_cast<int64_t>(0 - u));
  }
  if (u <= static_cast<unsigned long long>(INT64_MAX)) return json(static_cast<int64_t>(u));
  return json(static_cast<uint64_t>(u));
}

std::optional<json> parse_float(const std::string& s) {
  static const std::regex kFloat(R"(^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$)");
  if (!std::regex_match(s, kFloat)) return std::nullopt;
  double d = std::strtod(s.c_str(), nullptr);
  if (!std::isfinite(d)) return std::nullopt;
  return json(d);
}

std::string without_underscores(const std::string& s) {
  std::string out;
  for (char c : s)
    if (c != '_') out += c;
  return out;
}

// Walks a yaml-cpp node tree into JSON, recording lines and collecting errors.
class Walker {
 public:
  Walker(const std::string& file, const std::string& field_prefix, SourceMap& source,
         std::vector<std::string>& errors)
      : file_(file), field_prefix_(field_prefix), source_(source), errors_(errors) {}

  json convert(const YAML::Node& node, std::vector<std::string>& path) {
    switch (node.Type()) {
      case YAML::NodeType::Null:
      case YAML::NodeType::Undefined:
        return nullptr;
      case YAML::NodeType::Scalar: {
        auto r = yaml_scalar_to_json(node.Scalar(), node.Tag());
        if (!r.is_ok()) {
          error(line(node), path, r.status().message());
          return node.Scalar();
        }
        return *r;
      }
      case YAML::NodeType::Sequence: {
        json out = json::array();
        size_t i = 0;
        for (const auto& child : node) {
          path.push_back(std::to_string(i++));
          source_.add(path, line(child));
          out.push_back(convert(child, path));
          path.pop_back();
        }
        return out;
      }
      case YAML::NodeType::Map:
        return convert_map(node, path);
    }
    return nullptr;
  }

  static int line(const YAML::Node& node) { return node.Mark().line + 1; }

  void error(int line, const std::vector<std::string>& path, const std::string& message) {
    std::string where = file_ + ":" + std::to_string(line) + ": ";
    std::string field = format_path(path);
    if (!field_prefix_.empty())
      field = field_prefix_ + (field.empty() || field[0] == '[' ? "" : ".") + field;
    errors_.push_back(where + (field.empty() ? "" : field + ": ") + message);
  }

 private:
  json convert_map(const YAML::Node& node, std::vector<std::string>& path) {
    json out = json::object();
    std::vector<YAML::Node> merges;
    for (const auto& kv : node) {
      const YAML::Node& key = kv.first;
      if (!key.IsScalar()) {
        error(line(key), path, "map keys must be scalars");
        continue;
      }
      const std::string name = key.Scalar();
      if (name == "<<" && key.Tag() == "?") {
        merges.push_back(kv.second);
        continue;
      }
      path.push_back(name);
      if (out.contains(name)) {
        error(line(key), path, "duplicate key (already set above)");
      } else {
        source_.add(path, line(key));
        out[name] = convert(kv.second, path);
      }
      path.pop_back();
    }
    // "<<: *anchor" (or a list of them): keys not set explicitly come from the anchors.
    for (const auto& m : merges) {
      std::vector<YAML::Node> sources;
      if (m.IsMap()) {
        sources.push_back(m);
      } else if (m.IsSequence()) {
        for (const auto& s : m) sources.push_back(s);
      }
      for (const auto& s : sources) {
        if (!s.IsMap()) {
          error(line(m), path, "a merge key (<<) must refer to a mapping");
          continue;
        }
        json merged = convert_map(s, path);
        for (auto it = merged.begin(); it != merged.end(); ++it)
          if (!out.contains(it.key())) out[it.key()] = it.value();
      }
    }
    return out;
  }

  const std::string& file_;
  const std::string& field_prefix_;
  SourceMap& source_;
  std::vector<std::string>& errors_;
};

// Checks what every object needs; appends errors. Returns false when the object is unusable.
bool check_object(const json& obj, const LoadedObject& where, std::vector<std::string>& errors) {
  bool ok = true;
  auto fail = [&](const std::string& field, const std::string& message) {
    errors.push_back(where.where(field) + ": " + field + ": " + message);
    ok = false;
  };
  for (const char* field : {"apiVersion", "kind"}) {
    if (!obj.contains(field) || obj[field].is_null() ||
        (obj[field].is_string() && obj[field].get<std::string>().empty()))
      fail(field, "is required");
    else if (!obj[field].is_string())
      fail(field, "must be a string");
  }
  if (!obj.contains("metadata") || obj["metadata"].is_null()) {
    fail("metadata.name", "is required");
  } else if (!obj["metadata"].is_object()) {
    fail("metadata", "must be a mapping");
  } else {
    const json& meta = obj["metadata"];
    bool has_generate = meta.contains("generateName") && meta["generateName"].is_string() &&
                        !meta["generateName"].get<std::string>().empty();
    if (!meta.contains("name") || meta["name"].is_null()) {
      if (!has_generate) fail("metadata.name", "is required");
    } else if (!meta["name"].is_string()) {
      fail("metadata.name", "must be a string (quote it)");
    } else if (meta["name"].get<std::string>().empty() && !has_generate) {
      fail("metadata.name", "is required");
    }
  }
  return ok;
}

// Converts one document (or List item) node into a LoadedObject.
LoadedObject load_node(const YAML::Node& node, const std::string& name,
                       std::vector<std::string>& errors) {
  LoadedObject out;
  out.file = name;
  out.line = Walker::line(node);
  auto source = std::make_shared<SourceMap>(out.line);
  out.object = yaml_node_to_json(node, name, "", *source, errors);
  out.source = std::move(source);
  return out;
}

}  // namespace

json yaml_node_to_json(const YAML::Node& node, const std::string& file,
                       const std::string& field_prefix, SourceMap& source,
                       std::vector<std::string>& errors) {
  Walker walker(file, field_prefix, source, errors);
  std::vector<std::string> path;
  return walker.convert(node, path);
}

void SourceMap::add(const std::vector<std::string>& segments, int line) {
  lines_.emplace(join_key(segments), line);
}

std::vector<std::string> SourceMap::split_path(const std::string& field_path) {
  std::vector<std::string> out;
  std::string current;
  for (size_t i = 0; i < field_path.size(); ++i) {
    char c = field_path[i];
    if (c == '.') {
      if (!current.empty()) out.push_back(current);
      current.clear();
    } else if (c == '[') {
      if (!current.empty()) out.push_back(current);
      current.clear();
      size_t close = field_path.find(']', i + 1);
      if (close == std::string::npos) close = field_path.size();
      out.push_back(field_path.substr(i + 1, close - i - 1));
      i = close;
    } else {
      current += c;
    }
  }
  if (!current.empty()) out.push_back(current);
  return out;
}

int SourceMap::line_of(const std::string& field_path) const {
  std::vector<std::string> segments = split_path(field_path);
  while (!segments.empty()) {
    auto it = lines_.find(join_key(segments));
    if (it != lines_.end()) return it->second;
    segments.pop_back();
  }
  return document_line_;
}

int LoadedObject::line_of(const std::string& field_path) const {
  return source ? source->line_of(field_path) : line;
}

std::string LoadedObject::where(const std::string& field_path) const {
  return file + ":" + std::to_string(line_of(field_path));
}

core::Result<json> yaml_scalar_to_json(const std::string& value, const std::string& tag) {
  if (tag == "!" || tag == kTagPrefix + "str") return json(value);
  if (tag.rfind(kTagPrefix, 0) == 0) {
    const std::string type = tag.substr(kTagPrefix.size());
    const std::string plain = without_underscores(value);
    if (type == "int") {
      if (auto v = parse_int(plain)) return *v;
    } else if (type == "float") {
      if (auto v = parse_int(plain)) return json(static_cast<double>(v->get<double>()));
      if (auto v = parse_float(plain)) return *v;
    } else if (type == "bool") {
      if (one_of(value, {"y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON"}))
        return json(true);
      if (one_of(value, {"n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF"}))
        return json(false);
    } else if (type == "null") {
      if (one_of(value, {"", "~", "null", "Null", "NULL"})) return json(nullptr);
    } else {
      return json(value);  // !!binary, !!timestamp, ...: kept as text
    }
    return core::invalid("cannot decode \"" + value + "\" as !!" + type);
  }
  if (tag != "?" && !tag.empty()) return json(value);  // a local tag ("!foo"): text
  // Plain scalar: resolve as go-yaml (YAML 1.1) does.
  if (one_of(value, {"", "~", "null", "Null", "NULL"})) return json(nullptr);
  if (one_of(value, {"y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON"}))
    return json(true);
  if (one_of(value, {"n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF"}))
    return json(false);
  const char first = value[0];
  if (std::isdigit(static_cast<unsigned char>(first)) || first == '+' || first == '-' ||
      first == '.') {
    const std::string plain = without_underscores(value);
    if (auto v = parse_int(plain)) return *v;
    if (auto v = parse_float(plain)) return *v;
  }
  return json(value);
}

core::Result<std::vector<LoadedObject>> load_yaml_string(const std::string& text,
                                                         const std::string& name) {
  std::vector<YAML::Node> docs;
  try {
    docs = YAML::LoadAll(text);
  } catch (const YAML::Exception& e) {
    return core::invalid(name + ":" + std::to_string(e.mark.line + 1) + ": invalid YAML: " + e.msg);
  } catch (const std::exception& e) {
    return core::invalid(name + ": invalid YAML: " + e.what());
  }
  std::vector<LoadedObject> out;
  std::vector<std::string> errors;
  for (const auto& doc : docs) {
    if (doc.IsNull()) continue;  // empty document ("---" at the end, comments only)
    if (!doc.IsMap()) {
      errors.push_back(name + ":" + std::to_string(Walker::line(doc)) +
                       ": document is not a mapping (each YAML document must be one "
                       "Kubernetes object)");
      continue;
    }
    LoadedObject obj = load_node(doc, name, errors);
    if (obj.object.value("kind", json()) == "List" && obj.object.contains("items")) {
      const YAML::Node items = doc["items"];
      if (!items.IsSequence()) {
        errors.push_back(obj.where("items") + ": items: must be a list");
        continue;
      }
      for (const auto& item : items) {
        if (!item.IsMap()) {
          errors.push_back(name + ":" + std::to_string(Walker::line(item)) +
                           ": a List item is not a mapping (a Kubernetes object)");
          continue;
        }
        LoadedObject child = load_node(item, name, errors);
        if (check_object(child.object, child, errors)) out.push_back(std::move(child));
      }
      continue;
    }
    if (check_object(obj.object, obj, errors)) out.push_back(std::move(obj));
  }
  if (!errors.empty()) {
    std::string message;
    for (const auto& e : errors) message += (message.empty() ? "" : "\n") + e;
    return core::invalid(message);
  }
  return out;
}

core::Result<std::vector<LoadedObject>> load_yaml_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return core::unavailable("cannot read " + path + ": " + std::strerror(errno));
  std::stringstream buffer;
  buffer << in.rdbuf();
  if (in.bad()) return core::unavailable("cannot read " + path + ": " + std::strerror(errno));
  return load_yaml_string(buffer.str(), path);
}

}  // namespace csim::kube
