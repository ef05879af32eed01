// YAML manifests -> Kubernetes objects as JSON, remembering where each field came from.
//
// A file holds one or more YAML documents ("---"); each non-empty document is one object
// (a "kind: List" document contributes its items). Scalars are typed as kubectl's YAML
// decoder (go-yaml, YAML 1.1) types them without a schema: plain 80 is a number, plain
// true/yes/on are booleans, ~/null/empty are null, quoted or block scalars stay strings,
// explicit tags (!!str, !!int, ...) win. Duplicate keys are errors, "<<" merge keys merge.
//
// Every error names file:line (1-based) and, when about a field, the field path:
//   "testdata/bad.yaml:3: kind: is required"
// All errors of a file are reported together (one per line of the Status message), except
// a YAML syntax error, which stops the parse. Pure functions; thread-safe.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/status.h"

namespace YAML {
class Node;
}

namespace csim::kube {

// Field path -> line, for one loaded object. Paths are written as validation writes
// them: "spec.rules[0].http.paths[1].path", map keys in brackets "metadata.labels[app]"
// (or dotted: "metadata.labels.app").
class SourceMap {
 public:
  explicit SourceMap(int document_line) : document_line_(document_line) {}
  // Records the 1-based line of the node at `segments` (keys and decimal indices).
  void add(const std::vector<std::string>& segments, int line);
  // The line of the node at `field_path`, else of its nearest recorded ancestor, else
  // the document's line. For a map entry this is the line of its key.
  int line_of(const std::string& field_path) const;
  int document_line() const { return document_line_; }

  // "spec.rules[0].host" -> {"spec", "rules", "0", "host"}.
  static std::vector<std::string> split_path(const std::string& field_path);

 private:
  int document_line_;
  std::map<std::string, int> lines_;  // segments joined by '\x1f'
};

// One object from a manifest.
struct LoadedObject {
  nlohmann::json object;
  std::string file;  // as given to the loader ("testdata/bad.yaml")
  int line = 0;      // 1-based line where the object's content starts
  std::shared_ptr<const SourceMap> source;  // null for objects not loaded from YAML

  // The line of `field_path` (see SourceMap::line_of); `line` without a source map.
  int line_of(const std::string& field_path) const;
  // "testdata/bad.yaml:14" for `field_path` ("" = the object itself).
  std::string where(const std::string& field_path = "") const;
};

// Loads every object of the file at `path`. kUnavailable when it cannot be read,
// kInvalid (with every problem, one per line) when the YAML or an object is malformed:
// not a mapping, no apiVersion, no kind, no metadata.name (or generateName).
core::Result<std::vector<LoadedObject>> load_yaml_file(const std::string& path);

// Same for YAML text; `name` stands for the file name in errors and LoadedObject::file.
core::Result<std::vector<LoadedObject>> load_yaml_string(const std::string& text,
                                                         const std::string& name);

// Converts one yaml-cpp node (a document, or a manifest embedded in another YAML file such
// as a scenario) into JSON exactly as load_yaml_* convert documents. Records the line of
// every field in `source` and appends one "file:line: field: message" error per problem,
// where field is `field_prefix` followed by the path inside the node
// ("apply[1].manifest.spec.rules[0]"; with an empty prefix and an empty path, the
// "field: " part is left out).
nlohmann::json yaml_node_to_json(const YAML::Node& node, const std::string& file,
                                 const std::string& field_prefix, SourceMap& source,
                                 std::vector<std::string>& errors);

// How kubectl's decoder types one scalar. `tag` is yaml-cpp's: "?" for plain scalars,
// "!" for quoted/block ones, or an explicit tag ("tag:yaml.org,2002:int"). kInvalid when
// an explicit !!int/!!float/!!bool/!!null tag does not fit the value.
core::Result<nlohmann::json> yaml_scalar_to_json(const std::string& value, const std::string& tag);

}  // namespace csim::kube
