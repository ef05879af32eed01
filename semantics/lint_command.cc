#include "semantics/lint_command.h"

#include <iostream>

#include <nlohmann/json.hpp>

#include "kube/ingress_conversion.h"
#include "kube/yaml_loader.h"
#include "semantics/ingress_model.h"
#include "semantics/lint.h"

namespace csim::semantics {
namespace {

using nlohmann::json;

enum class Format { kText, kJson };

// A v1 field path as it is spelled in an Ingress of an older apiVersion, for line lookup.
std::string source_field(std::string field, bool v1) {
  if (v1) return field;
  auto replace = [&](const std::string& from, const std::string& to) {
    size_t pos = field.find(from);
    if (pos != std::string::npos) field.replace(pos, from.size(), to);
  };
  replace("spec.defaultBackend", "spec.backend");
  replace(".service.name", ".serviceName");
  replace(".service.port.number", ".servicePort");
  replace(".service.port.name", ".servicePort");
  replace(".service.port", ".servicePort");
  return field;
}

struct Located {
  Finding finding;
  std::string file;
  int line = 0;
};

std::string plural(size_t n, const std::string& word) {
  if (n == 1) return "1 " + word;
  return std::to_string(n) + " " + word + (word.back() == 's' ? "es" : "s");
}

}  // namespace

int run_lint(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  Format format = Format::kText;
  std::vector<std::string> files;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    std::string value;
    if (arg == "--format") {
      if (i + 1 >= args.size()) {
        err << "csim lint: --format needs a value (text or json)\n" << kLintUsage;
        return 2;
      }
      value = args[++i];
    } else if (arg.rfind("--format=", 0) == 0) {
      value = arg.substr(9);
    } else if (arg == "-h" || arg == "--help") {
      out << kLintUsage;
      return 0;
    } else if (arg.size() > 1 && arg[0] == '-') {
      err << "csim lint: unknown option " << arg << "\n" << kLintUsage;
      return 2;
    } else {
      files.push_back(arg);
      continue;
    }
    if (value == "text") {
      format = Format::kText;
    } else if (value == "json") {
      format = Format::kJson;
    } else {
      err << "csim lint: --format must be text or json, not \"" << value << "\"\n";
      return 2;
    }
  }
  if (files.empty()) {
    err << "csim lint: no FILE given\n" << kLintUsage;
    return 2;
  }

  bool unreadable = false;
  std::vector<kube::LoadedObject> objects;
  for (const auto& file : files) {
    auto loaded = kube::load_yaml_file(file);
    if (!loaded.is_ok()) {
      err << "csim lint: " << loaded.status().message() << "\n";
      unreadable = true;
      continue;
    }
    for (auto& obj : *loaded) objects.push_back(std::move(obj));
  }

  std::vector<json> services;
  for (const auto& obj : objects)
    if (obj.object.value("kind", json()) == "Service") services.push_back(obj.object);

  std::vector<Located> found;
  size_t ingresses = 0;
  for (const auto& obj : objects) {
    if (obj.object.value("kind", json()) != "Ingress") continue;
    ++ingresses;
    auto v1 = kube::ingress_to_v1(obj.object);
    if (!v1.is_ok()) {
      Finding f;
      f.severity = Severity::kError;
      f.ingress = ingress_model(obj.object).id();  // reads metadata of any version
      f.field = "apiVersion";
      f.message = v1.status().message();
      found.push_back({f, obj.file, obj.line_of("apiVersion")});
      continue;
    }
    const bool is_v1 = obj.object.value("apiVersion", json()) == kube::kIngressV1;
    for (auto& f : lint_ingress(*v1, services)) {
      const int line = obj.line_of(source_field(f.field, is_v1));
      found.push_back({std::move(f), obj.file, line});
    }
  }

  size_t counts[3] = {0, 0, 0};
  std::vector<Finding> all;
  for (const auto& l : found) {
    ++counts[static_cast<int>(l.finding.severity)];
    all.push_back(l.finding);
  }

  if (format == Format::kJson) {
    json array = json::array();
    for (const auto& l : found) {
      json j = finding_to_json(l.finding);
      j["file"] = l.file;
      j["line"] = l.line;
      array.push_back(std::move(j));
    }
    out << array.dump(2) << "\n";
  } else {
    for (const auto& l : found)
      out << l.file << ":" << l.line << ": " << finding_to_text(l.finding) << "\n";
    out << "csim lint: " << plural(ingresses, "Ingress") << ", " << plural(counts[0], "error") << ", " << plural(counts[1], "difference") << ", "
        << plural(counts[2], "warning") << "\n";
  }
  if (ingresses == 0 && !unreadable) err << "csim lint: no Ingress in the files given\n";
  if (unreadable) return 2;
  return lint_fails(all) ? 1 : 0;
}

int run_lint(int argc, char** argv) {
  std::vector<std::string> args;
  int first = 1;
  if (argc > 1 && std::string(argv[1]) == "lint") first = 2;
  for (int i = first; i < argc; ++i) args.emplace_back(argv[i]);
  return run_lint(args, std::cout, std::cerr);
}

}  // namespace csim::semantics
