#include "scenario/parser.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <regex>
#include <set>
#include <sstream>

#include "kube/kinds.h"

namespace csim::scenario {
namespace {

using nlohmann::json;

int line_of(const YAML::Node& node) { return node.Mark().line + 1; }

// One key of a mapping, with the line of the key.
struct Entry {
  std::string key;
  int line = 0;
  YAML::Node value;
};

std::string in_quotes(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    if (static_cast<unsigned char>(c) < 0x20) {
      out += '?';
      continue;
    }
    out += c;
  }
  return out + "\"";
}

std::string join(const std::vector<std::string>& items, const std::string& sep) {
  std::string out;
  for (size_t i = 0; i < items.size(); ++i) out += (i ? sep : "") + items[i];
  return out;
}

bool has_space_or_control(const std::string& s) {
  for (unsigned char c : s)
    if (c <= 0x20 || c == 0x7f) return true;
  return false;
}

bool is_ipv4(const std::string& s) {
  static const std::regex kIpv4(R"(^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$)");
  std::smatch m;
  if (!std::regex_match(s, m, kIpv4)) return false;
  for (int i = 1; i <= 4; ++i)
    if (std::stoi(m[i].str()) > 255) return false;
  return true;
}

class Parser {
 public:
  explicit Parser(std::string file) : file_(std::move(file)) {
    dir_ = std::filesystem::path(file_).parent_path();
  }

  core::Result<Scenario> parse(const std::string& text) {
    std::vector<YAML::Node> docs;
    try {
      docs = YAML::LoadAll(text);
    } catch (const YAML::Exception& e) {
      return core::invalid(file_ + ":" + std::to_string(e.mark.line + 1) + ": invalid YAML: " + e.msg);
    } catch (const std::exception& e) {
      return core::invalid(file_ + ":1: invalid YAML: " + e.what());
    }
    std::vector<YAML::Node> scenarios;
    for (const auto& d : docs)
      if (!d.IsNull()) scenarios.push_back(d);
    if (scenarios.empty()) return core::invalid(file_ + ":1: the file holds no scenario");
    if (scenarios.size() > 1)
      error(line_of(scenarios[1]), "", "one scenario per file (a second YAML document starts here)");
    Scenario scenario = read_scenario(scenarios[0]);
    if (!errors_.empty()) return core::invalid(join(errors_, "\n"));
    return scenario;
  }

 private:
  void error(int line, const std::string& field, const std::string& message) {
    errors_.push_back(file_ + ":" + std::to_string(line) + ": " + (field.empty() ? "" : field + ": ") +
                      message);
  }

  // The entries of a mapping; errors for non-scalar and duplicate keys. `allowed` lists
  // the keys the mapping may have (others are errors).
  std::vector<Entry> entries(const YAML::Node& node, const std::string& field,
                             const std::vector<std::string>& allowed) {
    std::vector<Entry> out;
    std::set<std::string> seen;
    for (const auto& kv : node) {
      if (!kv.first.IsScalar()) {
        error(line_of(kv.first), field, "keys must be plain words");
        continue;
      }
      const std::string key = kv.first.Scalar();
      const std::string sub = field.empty() ? key : field + "." + key;
      if (!seen.insert(key).second) {
        error(line_of(kv.first), sub, "duplicate key (already set above)");
        continue;
      }
      if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
        error(line_of(kv.first), sub, "unknown field (expected one of: " + join(allowed, ", ") + ")");
        continue;
      }
      out.push_back(Entry{key, line_of(kv.first), kv.second});
    }
    return out;
  }

  bool expect_map(const YAML::Node& node, int line, const std::string& field) {
    if (node.IsMap()) return true;
    error(node.IsNull() ? line : line_of(node), field, node.IsNull() ? "must not be empty (a mapping)" : "must be a mapping");
    return false;
  }

  bool expect_list(const YAML::Node& node, int line, const std::string& field) {
    if (node.IsSequence() && node.size() > 0) return true;
    if (node.IsSequence() || node.IsNull())
      error(node.IsNull() ? line : line_of(node), field, "must not be empty (a list)");
    else
      error(line_of(node), field, "must be a list (of entries starting with '-')");
    return false;
  }

  // The value as a string: a scalar that kubectl's decoder reads as a string.
  std::optional<std::string> string_value(const Entry& e, const std::string& field) {
    if (e.value.IsNull()) {
      error(e.line, field, "must not be empty");
      return std::nullopt;
    }
    if (!e.value.IsScalar()) {
      error(e.line, field, "must be a string");
      return std::nullopt;
    }
    auto v = kube::yaml_scalar_to_json(e.value.Scalar(), e.value.Tag());
    if (!v.is_ok() || !v->is_string()) {
      error(e.line, field, "must be a string (quote it: got " + in_quotes(e.value.Scalar()) + ")");
      return std::nullopt;
    }
    if (v->get<std::string>().empty()) {
      error(e.line, field, "must not be empty");
      return std::nullopt;
    }
    return v->get<std::string>();
  }

  std::optional<int64_t> int_value(const Entry& e, const std::string& field, int64_t lo, int64_t hi) {
    const std::string range = "must be an integer from " + std::to_string(lo) + " to " + std::to_string(hi);
    if (!e.value.IsScalar()) {
      error(e.line, field, range);
      return std::nullopt;
    }
    auto v = kube::yaml_scalar_to_json(e.value.Scalar(), e.value.Tag());
    if (!v.is_ok() || !v->is_number_integer() || v->get<int64_t>() < lo || v->get<int64_t>() > hi) {
      error(e.line, field, range + " (got " + in_quotes(e.value.Scalar()) + ")");
      return std::nullopt;
    }
    return v->get<int64_t>();
  }

  std::optional<bool> bool_value(const Entry& e, const std::string& field) {
    if (e.value.IsScalar()) {
      auto v = kube::yaml_scalar_to_json(e.value.Scalar(), e.value.Tag());
      if (v.is_ok() && v->is_boolean()) return v->get<bool>();
    }
    error(e.line, field, "must be true or false");
    return std::nullopt;
  }

  Scenario read_scenario(const YAML::Node& root) {
    Scenario s;
    s.where = Location{file_, line_of(root)};
    s.name = std::filesystem::path(file_).stem().string();
    if (!root.IsMap()) {
      error(line_of(root), "", "a scenario is a mapping (name, semantics, apply, expect, steps)");
      return s;
    }
    std::optional<Step> apply, expect;
    std::vector<Step> steps;
    for (const auto& e : entries(root, "", {"name", "description", "semantics", "apply", "expect", "steps"})) {
      if (e.key == "name") {
        if (auto v = string_value(e, "name")) {
          if (v->size() > 200 || has_control(*v))
            error(e.line, "name", "must be one line of at most 200 characters");
          else
            s.name = *v;
        }
      } else if (e.key == "description") {
        if (auto v = string_value(e, "description")) s.description = *v;
      } else if (e.key == "semantics") {
        if (auto v = string_value(e, "semantics")) {
          s.semantics = semantics::parse_semantics(*v);
          if (!s.semantics) error(e.line, "semantics", "must be contrail or kubernetes (got " + in_quotes(*v) + ")");
        }
      } else if (e.key == "apply") {
        apply = read_apply_step(e, "apply");
      } else if (e.key == "expect") {
        expect = read_expect_step(e, "expect");
      } else if (e.key == "steps") {
        if (!expect_list(e.value, e.line, "steps")) continue;
        size_t i = 0;
        for (const auto& item : e.value) {
          const std::string field = "steps[" + std::to_string(i++) + "]";
          if (auto step = read_step(item, field)) steps.push_back(std::move(*step));
        }
      }
    }
    if (apply) s.steps.push_back(std::move(*apply));
    if (expect) s.steps.push_back(std::move(*expect));
    for (auto& step : steps) s.steps.push_back(std::move(step));
    if (s.expectation_count() == 0 && errors_.empty())
      error(line_of(root), "", "a scenario needs at least one expectation (expect: or a step's expect:)");
    return s;
  }

  static bool has_control(const std::string& s) {
    for (unsigned char c : s)
      if (c < 0x20 || c == 0x7f) return true;
    return false;
  }

  std::optional<Step> read_step(const YAML::Node& node, const std::string& field) {
    if (!node.IsMap()) {
      error(line_of(node), field, "a step is a mapping with one of apply, delete, expect");
      return std::nullopt;
    }
    auto es = entries(node, field, {"apply", "delete", "expect"});
    if (es.size() != 1) {
      if (es.size() > 1)
        error(line_of(node), field, "a step does one thing: apply, delete or expect (split it into several steps)");
      else if (node.size() == 0)
        error(line_of(node), field, "a step needs one of apply, delete, expect");
      return std::nullopt;
    }
    const Entry& e = es[0];
    if (e.key == "apply") return read_apply_step(e, field + ".apply");
    if (e.key == "delete") return read_delete_step(e, field + ".delete");
    return read_expect_step(e, field + ".expect");
  }

  std::optional<Step> read_apply_step(const Entry& e, const std::string& field) {
    if (!expect_list(e.value, e.line, field)) return std::nullopt;
    Step step;
    step.kind = Step::Kind::kApply;
    step.where = Location{file_, e.line};
    step.field = field;
    size_t i = 0;
    for (const auto& item : e.value) {
      const std::string f = field + "[" + std::to_string(i++) + "]";
      ApplyItem a;
      a.where = Location{file_, line_of(item)};
      a.field = f;
      if (!item.IsMap()) {
        error(line_of(item), f, "must be a mapping: {file: PATH} or {manifest: OBJECT}");
        continue;
      }
      auto es = entries(item, f, {"file", "manifest"});
      if (es.size() != 1) {
        if (es.size() > 1) error(line_of(item), f, "give either file or manifest, not both");
        else if (item.size() == 0) error(line_of(item), f, "needs file or manifest");
        continue;
      }
      if (es[0].key == "file") {
        auto loaded = read_file_entry(es[0], f + ".file");
        if (!loaded) continue;
        a.label = "file " + loaded->first;
        a.objects = std::move(loaded->second);
      } else {
        auto object = read_manifest(es[0], f + ".manifest");
        if (!object) continue;
        a.label = "manifest " + object->object.value("kind", "") + "/" +
                  object->object["metadata"].value("name", object->object["metadata"].value("generateName", ""));
        a.objects.push_back(std::move(*object));
      }
      step.apply.push_back(std::move(a));
    }
    return step;
  }

  std::optional<Step> read_delete_step(const Entry& e, const std::string& field) {
    if (!expect_list(e.value, e.line, field)) return std::nullopt;
    Step step;
    step.kind = Step::Kind::kDelete;
    step.where = Location{file_, e.line};
    step.field = field;
    size_t i = 0;
    for (const auto& item : e.value) {
      const std::string f = field + "[" + std::to_string(i++) + "]";
      DeleteItem d;
      d.where = Location{file_, line_of(item)};
      d.field = f;
      if (!item.IsMap()) {
        error(line_of(item), f, "must be a mapping: {kind: KIND, name: NAME} or {file: PATH}");
        continue;
      }
      bool ok = true;
      std::optional<Entry> file, kind, name, ns;
      for (auto& en : entries(item, f, {"file", "kind", "name", "namespace"})) {
        if (en.key == "file") file = en;
        if (en.key == "kind") kind = en;
        if (en.key == "name") name = en;
        if (en.key == "namespace") ns = en;
      }
      if (file) {
        if (kind || name || ns) {
          error(line_of(item), f, "give either file or kind and name, not both");
          continue;
        }
        auto loaded = read_file_entry(*file, f + ".file");
        if (!loaded) continue;
        d.label = "file " + loaded->first;
        d.objects = std::move(loaded->second);
        step.del.push_back(std::move(d));
        continue;
      }
      if (!kind || !name) {
        error(line_of(item), f, std::string("needs ") + (!kind ? "kind" : "name") + " (or file)");
        continue;
      }
      if (auto v = string_value(*kind, f + ".kind")) {
        const kube::KindInfo* info = kube::find_kind(*v);
        if (!info) {
          error(kind->line, f + ".kind", "unknown kind " + in_quotes(*v) + " (csim serves " + kube::served_kind_names() + ")");
          ok = false;
        } else {
          d.kind = info->kind;
          if (ns && !info->namespaced) {
            error(ns->line, f + ".namespace", d.kind + " is not namespaced");
            ok = false;
          }
        }
      } else {
        ok = false;
      }
      if (auto v = string_value(*name, f + ".name")) d.name = *v; else ok = false;
      if (ns) {
        if (auto v = string_value(*ns, f + ".namespace")) d.ns = *v; else ok = false;
      }
      if (!ok) continue;
      d.label = d.kind + "/" + (d.ns.empty() ? "" : d.ns + "/") + d.name;
      step.del.push_back(std::move(d));
    }
    return step;
  }

  std::optional<Step> read_expect_step(const Entry& e, const std::string& field) {
    if (!expect_list(e.value, e.line, field)) return std::nullopt;
    Step step;
    step.kind = Step::Kind::kExpect;
    step.where = Location{file_, e.line};
    step.field = field;
    size_t i = 0;
    for (const auto& item : e.value) {
      const std::string f = field + "[" + std::to_string(i++) + "]";
      if (auto x = read_expectation(item, f)) step.expect.push_back(std::move(*x));
    }
    return step;
  }

  std::optional<Expectation> read_expectation(const YAML::Node& node, const std::string& field) {
    Expectation x;
    x.where = Location{file_, line_of(node)};
    x.field = field;
    if (!node.IsMap()) {
      error(line_of(node), field, "must be a mapping: {request: {...}, response: {...}}");
      return std::nullopt;
    }
    const size_t before = errors_.size();
    bool has_request = false, has_response = false;
    for (const auto& e : entries(node, field, {"request", "response", "repeat"})) {
      if (e.key == "request") {
        has_request = true;
        read_request(e, field + ".request", x.request);
      } else if (e.key == "response") {
        has_response = true;
        read_response(e, field + ".response", x.response);
      } else if (auto v = int_value(e, field + ".repeat", 1, 100)) {
        x.repeat = static_cast<int>(*v);
      }
    }
    if (x.request.method == "HEAD" && x.response.service)
      error(line_of(node), field + ".response.service",
            "a HEAD answer has no body, so the answering pod is unknown: check the status only");
    if (x.response.certificate && !x.request.https)
      error(line_of(node), field + ".response.certificate",
            "only an HTTPS request has a certificate: add scheme: https to the request");
    if (!has_request) error(line_of(node), field + ".request", "is required");
    if (!has_response) error(line_of(node), field + ".response", "is required");
    if (errors_.size() != before) return std::nullopt;
    return x;
  }

  void read_request(const Entry& r, const std::string& field, Request& req) {
    if (!expect_map(r.value, r.line, field)) return;
    static const std::regex kName(R"(^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$)");
    static const std::regex kToken(R"(^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,20}$)");
    for (const auto& e : entries(r.value, field, {"ingress", "host", "path", "method", "address", "scheme"})) {
      const std::string f = field + "." + e.key;
      auto v = string_value(e, f);
      if (!v) continue;
      if (e.key == "scheme") {
        if (*v != "http" && *v != "https")
          error(e.line, f, "must be \"http\" (port 80, the default) or \"https\" (port 443); got " + in_quotes(*v));
        else
          req.https = *v == "https";
      } else if (e.key == "ingress") {
        if (v->size() > 253 || !std::regex_match(*v, kName))
          error(e.line, f, "must be an Ingress name (lower-case letters, digits, '-' and '.')");
        else
          req.ingress = *v;
      } else if (e.key == "host") {
        if (v->size() > 255 || has_space_or_control(*v))
          error(e.line, f, "must be a Host header value: no spaces or control characters, at most 255 characters");
        else
          req.host = *v;
      } else if (e.key == "path") {
        if ((*v)[0] != '/' || v->size() > 2048 || has_space_or_control(*v))
          error(e.line, f, "must start with '/' and have no spaces or control characters (at most 2048 characters)");
        else
          req.path = *v;
      } else if (e.key == "method") {
        if (!std::regex_match(*v, kToken))
          error(e.line, f, "must be an HTTP method (a token such as GET, HEAD, POST)");
        else
          req.method = *v;
      } else if (e.key == "address") {
        if (!is_ipv4(*v))
          error(e.line, f, "must be an IPv4 address (one of the Ingress's addresses; got " + in_quotes(*v) + ")");
        else
          req.address = *v;
      }
    }
  }

  void read_response(const Entry& r, const std::string& field, Response& resp) {
    if (!expect_map(r.value, r.line, field)) return;
    static const std::regex kLabel(R"(^[a-z]([-a-z0-9]*[a-z0-9])?$)");
    auto es = entries(r.value, field, {"status", "service", "unreachable", "certificate"});
    int status_line = r.line, unreachable_line = r.line;
    for (const auto& e : es) {
      const std::string f = field + "." + e.key;
      if (e.key == "status") {
        status_line = e.line;
        if (auto v = int_value(e, f, 100, 599)) resp.status = static_cast<int>(*v);
      } else if (e.key == "service") {
        if (auto v = string_value(e, f)) {
          if (v->size() > 63 || !std::regex_match(*v, kLabel))
            error(e.line, f, "must be a Service name (a DNS label: lower-case letters, digits and '-')");
          else
            resp.service = *v;
        }
      } else if (e.key == "certificate") {
        if (auto v = string_value(e, f)) {
          if (v->size() > 253 || has_space_or_control(*v))
            error(e.line, f, "must be a DNS name the served certificate is issued to (CN or subjectAltName)");
          else
            resp.certificate = *v;
        }
      } else if (e.key == "unreachable") {
        unreachable_line = e.line;
        if (auto v = bool_value(e, f)) {
          if (!*v) error(e.line, f, "must be true (leave it out when an answer is expected)");
          resp.unreachable = *v;
        }
      }
    }
    if (es.empty() && r.value.size() == 0)
      error(r.line, field, "needs status, service, certificate or unreachable");
    if (resp.unreachable && (resp.status || resp.service))
      error(unreachable_line, field + ".unreachable", "excludes status and service (no answer has neither)");
    if (resp.service && resp.status && *resp.status != 200)
      error(status_line, field + ".status",
            "must be 200 with a service (a pod's echo server answers 200); got " + std::to_string(*resp.status));
    if (resp.service && !resp.status) resp.status = 200;
  }

  // Loads the objects of a `file:` entry; returns (as written, objects).
  std::optional<std::pair<std::string, std::vector<kube::LoadedObject>>> read_file_entry(const Entry& e,
                                                                                        const std::string& field) {
    auto v = string_value(e, field);
    if (!v) return std::nullopt;
    if (has_control(*v)) {
      error(e.line, field, "must be a file path without control characters");
      return std::nullopt;
    }
    std::filesystem::path p(*v);
    const std::string resolved = (p.is_absolute() ? p : (dir_ / p)).lexically_normal().string();
    std::error_code ec;
    if (!std::filesystem::is_regular_file(resolved, ec)) {
      error(e.line, field, "no such file: " + resolved + " (paths are relative to the scenario's directory)");
      return std::nullopt;
    }
    auto loaded = kube::load_yaml_file(resolved);
    if (!loaded.is_ok()) {
      std::istringstream lines(loaded.status().message());
      for (std::string line; std::getline(lines, line);) error(e.line, field, line);
      return std::nullopt;
    }
    if (loaded->empty()) {
      error(e.line, field, resolved + " holds no object");
      return std::nullopt;
    }
    return std::make_pair(*v, std::move(*loaded));
  }

  std::optional<kube::LoadedObject> read_manifest(const Entry& e, const std::string& field) {
    if (!e.value.IsMap()) {
      error(e.line, field, "must be a mapping (one Kubernetes object)");
      return std::nullopt;
    }
    kube::LoadedObject out;
    out.file = file_;
    out.line = line_of(e.value);
    auto source = std::make_shared<kube::SourceMap>(out.line);
    const size_t before = errors_.size();
    // Converted as kube/yaml_loader.h converts manifests, so apply's errors point here.
    out.object = kube::yaml_node_to_json(e.value, file_, field, *source, errors_);
    out.source = std::move(source);
    if (errors_.size() != before) return std::nullopt;
    // What the manifest loader requires of every object.
    const json& o = out.object;
    bool ok = true;
    for (const char* key : {"apiVersion", "kind"}) {
      if (!o.contains(key) || !o[key].is_string() || o[key].get<std::string>().empty()) {
        error(out.line_of(key), field + "." + key, "is required (a string)");
        ok = false;
      }
    }
    if (!o.contains("metadata") || !o["metadata"].is_object()) {
      error(out.line_of("metadata"), field + ".metadata.name", "is required");
      ok = false;
    } else {
      const json& meta = o["metadata"];
      const bool named = meta.contains("name") && meta["name"].is_string() && !meta["name"].get<std::string>().empty();
      const bool generated = meta.contains("generateName") && meta["generateName"].is_string() &&
                             !meta["generateName"].get<std::string>().empty();
      if (!named && !generated) {
        error(out.line_of("metadata.name"), field + ".metadata.name", "is required (a string)");
        ok = false;
      }
    }
    if (ok && o["kind"] == "List") {
      error(out.line, field, "one object per manifest (a List goes in a file)");
      ok = false;
    }
    if (!ok) return std::nullopt;
    return out;
  }

  std::string file_;
  std::filesystem::path dir_;
  std::vector<std::string> errors_;
};

}  // namespace

core::Result<Scenario> parse_scenario_text(const std::string& text, const std::string& file) {
  return Parser(file).parse(text);
}

core::Result<Scenario> parse_scenario_file(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) return core::unavailable("cannot read " + path + ": it is a directory");
  std::ifstream in(path, std::ios::binary);
  if (!in) return core::unavailable("cannot read " + path + ": " + std::strerror(errno));
  std::stringstream buffer;
  buffer << in.rdbuf();
  if (in.bad()) return core::unavailable("cannot read " + path);
  return parse_scenario_text(buffer.str(), path);
}

}  // namespace csim::scenario
