#include "kube/apiserver/selectors.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <set>

#include "kube/apiserver/http_message.h"

namespace csim::kube::apiserver {

using nlohmann::json;

namespace {

// Splits at `sep` outside parentheses.
std::vector<std::string> split_terms(const std::string& s) {
  std::vector<std::string> out;
  std::string cur;
  int depth = 0;
  for (char c : s) {
    if (c == '(') ++depth;
    if (c == ')') --depth;
    if (c == ',' && depth == 0) {
      out.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  out.push_back(cur);
  return out;
}

bool valid_key(const std::string& k) {
  if (k.empty() || k.size() > 316) return false;
  for (char c : k)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.' || c == '/'))
      return false;
  return true;
}

bool valid_value(const std::string& v) {
  if (v.size() > 63) return false;
  for (char c : v)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.'))
      return false;
  return true;
}

std::string label_of(const json& labels, const std::string& key, bool* present) {
  *present = false;
  if (!labels.is_object()) return "";
  auto it = labels.find(key);
  if (it == labels.end()) return "";
  *present = true;
  return it->is_string() ? it->get<std::string>() : it->dump();
}

// Walks a dotted path; missing -> "", scalars printed as Kubernetes does.
std::string path_value(const json& object, const std::string& path) {
  const json* cur = &object;
  for (const std::string& part : split(path, '.')) {
    if (!cur->is_object()) return "";
    auto it = cur->find(part);
    if (it == cur->end()) return "";
    cur = &*it;
  }
  if (cur->is_string()) return cur->get<std::string>();
  if (cur->is_boolean()) return cur->get<bool>() ? "true" : "false";
  if (cur->is_null()) return "";
  return cur->dump();
}

const std::map<std::string, std::map<std::string, std::string>>& kind_fields() {
  // field label -> JSON path (when they differ).
  static const std::map<std::string, std::map<std::string, std::string>> kFields = {
      {"Pod",
       {{"spec.nodeName", ""}, {"spec.restartPolicy", ""}, {"spec.schedulerName", ""},
        {"spec.serviceAccountName", ""}, {"spec.hostNetwork", ""}, {"status.phase", ""},
        {"status.podIP", ""}, {"status.nominatedNodeName", ""}}},
      {"Event",
       {{"involvedObject.kind", ""}, {"involvedObject.namespace", ""}, {"involvedObject.name", ""},
        {"involvedObject.uid", ""}, {"involvedObject.apiVersion", ""},
        {"involvedObject.resourceVersion", ""}, {"involvedObject.fieldPath", ""}, {"reason", ""},
        {"reportingComponent", ""}, {"source", "source.component"}, {"type", ""}}},
      {"Node", {{"spec.unschedulable", ""}}},
      {"Namespace", {{"status.phase", ""}}},
      {"Service", {{"spec.clusterIP", ""}, {"spec.type", ""}}},
      {"EndpointSlice", {{"addressType", ""}}},
  };
  return kFields;
}

}  // namespace

std::optional<std::string> field_value(const std::string& kind, const json& object,
                                       const std::string& field) {
  if (field == "metadata.name" || field == "metadata.namespace") return path_value(object, field);
  auto k = kind_fields().find(kind);
  if (k == kind_fields().end()) return std::nullopt;
  auto f = k->second.find(field);
  if (f == k->second.end()) return std::nullopt;
  if (kind == "Node" && field == "spec.unschedulable") {
    std::string v = path_value(object, field);
    return v.empty() ? "false" : v;
  }
  if (kind == "Pod" && field == "spec.hostNetwork") {
    std::string v = path_value(object, field);
    return v.empty() ? "false" : v;
  }
  return path_value(object, f->second.empty() ? field : f->second);
}

core::Result<LabelSelector> LabelSelector::parse(const std::string& text) {
  LabelSelector sel;
  if (trim(text).empty()) return sel;
  for (const std::string& raw : split_terms(text)) {
    std::string t = trim(raw);
    if (t.empty()) return core::invalid("labelSelector \"" + text + "\": empty term");
    Term term;
    auto fail = [&](const std::string& why) {
      return core::invalid("labelSelector \"" + text + "\": term \"" + t + "\": " + why);
    };
    size_t paren = t.find('(');
    if (paren != std::string::npos) {
      if (t.back() != ')') return fail("missing ')'");
      std::string head = trim(t.substr(0, paren));
      std::string inner = t.substr(paren + 1, t.size() - paren - 2);
      size_t sp = head.find_last_of(" \t");
      if (sp == std::string::npos) return fail("expected 'in' or 'notin'");
      std::string op = trim(head.substr(sp + 1));
      term.key = trim(head.substr(0, sp));
      if (op == "in")
        term.op = Term::Op::kIn;
      else if (op == "notin")
        term.op = Term::Op::kNotIn;
      else
        return fail("unknown operator \"" + op + "\"");
      for (const std::string& v : split(inner, ',')) {
        std::string value = trim(v);
        if (!valid_value(value)) return fail("invalid value \"" + value + "\"");
        term.values.push_back(value);
      }
    } else if (size_t ne = t.find("!="); ne != std::string::npos) {
      term.key = trim(t.substr(0, ne));
      term.op = Term::Op::kNotEquals;
      term.values = {trim(t.substr(ne + 2))};
    } else if (size_t eq = t.find('='); eq != std::string::npos) {
      term.key = trim(t.substr(0, eq));
      size_t vstart = (eq + 1 < t.size() && t[eq + 1] == '=') ? eq + 2 : eq + 1;
      term.op = Term::Op::kEquals;
      term.values = {trim(t.substr(vstart))};
    } else if (t[0] == '!') {
      term.key = trim(t.substr(1));
      term.op = Term::Op::kNotExists;
    } else {
      term.key = t;
      term.op = Term::Op::kExists;
    }
    if (!valid_key(term.key)) return fail("invalid label key \"" + term.key + "\"");
    for (const std::string& v : term.values)
      if (!valid_value(v)) return fail("invalid label value \"" + v + "\"");
    sel.terms_.push_back(std::move(term));
  }
  return sel;
}

bool LabelSelector::matches(const json& labels) const {
  for (const Term& t : terms_) {
    bool present = false;
    std::string v = label_of(labels, t.key, &present);
    bool in_values = std::find(t.values.begin(), t.values.end(), v) != t.values.end();
    switch (t.op) {
      case Term::Op::kEquals:
      case Term::Op::kIn:
        if (!present || !in_values) return false;
        break;
      case Term::Op::kNotEquals:
      case Term::Op::kNotIn:
        if (present && in_values) return false;
        break;
      case Term::Op::kExists:
        if (!present) return false;
        break;
      case Term::Op::kNotExists:
        if (present) return false;
        break;
    }
  }
  return true;
}

core::Result<FieldSelector> FieldSelector::parse(const std::string& text, const std::string& kind) {
  FieldSelector sel;
  sel.kind_ = kind;
  if (trim(text).empty()) return sel;
  // Split on unescaped ','.
  std::vector<std::string> terms;
  std::string cur;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\\' && i + 1 < text.size()) {
      cur += text[i];
      cur += text[++i];
    } else if (text[i] == ',') {
      terms.push_back(cur);
      cur.clear();
    } else {
      cur += text[i];
    }
  }
  terms.push_back(cur);
  for (const std::string& raw : terms) {
    std::string t = trim(raw);
    // Find the operator (first unescaped '=' or "!=").
    size_t op = std::string::npos;
    bool equals = true;
    size_t value_start = 0;
    for (size_t i = 0; i < t.size(); ++i) {
      if (t[i] == '\\') {
        ++i;
        continue;
      }
      if (t[i] == '!' && i + 1 < t.size() && t[i + 1] == '=') {
        op = i;
        equals = false;
        value_start = i + 2;
        break;
      }
      if (t[i] == '=') {
        op = i;
        value_start = (i + 1 < t.size() && t[i + 1] == '=') ? i + 2 : i + 1;
        break;
      }
    }
    if (op == std::string::npos)
      return core::invalid("fieldSelector \"" + text + "\": invalid selector: '" + t +
                           "'; can't understand '" + t + "'");
    Term term;
    term.field = trim(t.substr(0, op));
    term.equals = equals;
    std::string value;
    std::string rawv = t.substr(value_start);
    for (size_t i = 0; i < rawv.size(); ++i) {
      if (rawv[i] == '\\' && i + 1 < rawv.size()) ++i;
      value += rawv[i];
    }
    term.value = value;
    if (!field_value(kind, json::object(), term.field))
      return core::invalid("field label not supported: " + term.field);
    sel.terms_.push_back(std::move(term));
  }
  return sel;
}

bool FieldSelector::matches(const json& object) const {
  for (const Term& t : terms_) {
    std::optional<std::string> v = field_value(kind_, object, t.field);
    if (!v) return false;
    if ((*v == t.value) != t.equals) return false;
  }
  return true;
}

std::optional<std::string> FieldSelector::required_value(const std::string& field) const {
  for (const Term& t : terms_)
    if (t.field == field && t.equals) return t.value;
  return std::nullopt;
}

}  // namespace csim::kube::apiserver
