#include "controller/rest/query_params.h"

#include <charconv>

namespace csim::controller {
namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::vector<std::string> split(std::string_view text, char sep) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find(sep, start);
    if (end == std::string_view::npos) end = text.size();
    out.emplace_back(text.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

core::Result<std::optional<std::set<std::string>>> parse_fields(const QueryParams& q) {
  if (!q.has("fields")) return std::optional<std::set<std::string>>();
  std::set<std::string> fields;
  for (auto& f : q.list("fields")) fields.insert(f);
  return std::optional<std::set<std::string>>(std::move(fields));
}

}  // namespace

core::Result<std::string> percent_decode(std::string_view text, bool plus_is_space) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '%') {
      const bool complete = i + 2 < text.size();
      int hi = complete ? hex_value(text[i + 1]) : -1;
      int lo = complete ? hex_value(text[i + 2]) : -1;
      if (hi < 0 || lo < 0)
        return core::invalid("bad percent-escape at offset " + std::to_string(i) + " in \"" +
                             std::string(text) + "\"");
      out.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else if (c == '+' && plus_is_space) {
      out.push_back(' ');
    } else {
      out.push_back(c);
    }
  }
  return out;
}

core::Result<QueryParams> QueryParams::parse(std::string_view query) {
  QueryParams q;
  if (query.empty()) return q;
  for (const std::string& part : split(query, '&')) {
    if (part.empty()) continue;
    size_t eq = part.find('=');
    std::string_view raw_name = std::string_view(part).substr(0, eq);
    std::string_view raw_value =
        eq == std::string::npos ? std::string_view() : std::string_view(part).substr(eq + 1);
    auto name = percent_decode(raw_name, true);
    if (!name) return core::invalid("query: " + name.status().message());
    auto value = percent_decode(raw_value, true);
    if (!value) return core::invalid("query parameter " + *name + ": " + value.status().message());
    if (q.has(*name)) continue;
    q.items_.emplace_back(std::move(*name), std::move(*value));
  }
  return q;
}

bool QueryParams::has(std::string_view name) const {
  for (const auto& [k, v] : items_)
    if (k == name) return true;
  return false;
}

std::optional<std::string> QueryParams::get(std::string_view name) const {
  for (const auto& [k, v] : items_)
    if (k == name) return v;
  return std::nullopt;
}

core::Result<bool> QueryParams::flag(std::string_view name, bool fallback) const {
  auto v = get(name);
  if (!v) return fallback;
  if (v->empty() || *v == "true" || *v == "True" || *v == "TRUE" || *v == "1" || *v == "yes")
    return true;
  if (*v == "false" || *v == "False" || *v == "FALSE" || *v == "0" || *v == "no") return false;
  return core::invalid("query parameter " + std::string(name) + "=" + *v +
                       ": expected true or false");
}

std::vector<std::string> QueryParams::list(std::string_view name) const {
  std::vector<std::string> out;
  auto v = get(name);
  if (!v) return out;
  for (auto& e : split(*v, ','))
    if (!e.empty()) out.push_back(std::move(e));
  return out;
}

core::Result<RequestTarget> parse_target(std::string_view target) {
  if (target.empty() || target.front() != '/')
    return core::invalid("request target \"" + std::string(target) + "\" must start with '/'");
  size_t qpos = target.find('?');
  std::string_view path = target.substr(0, qpos);
  RequestTarget out;
  for (const std::string& raw : split(path.substr(1), '/')) {
    if (raw.empty()) continue;
    auto seg = percent_decode(raw, false);
    if (!seg) return core::invalid("path: " + seg.status().message());
    out.segments.push_back(std::move(*seg));
  }
  if (qpos != std::string_view::npos) {
    auto q = QueryParams::parse(target.substr(qpos + 1));
    if (!q) return q.status();
    out.query = std::move(*q);
  }
  return out;
}

core::Result<ReadOptions> parse_read_options(const QueryParams& q) {
  ReadOptions o;
  auto fields = parse_fields(q);
  if (!fields) return fields.status();
  o.fields = std::move(*fields);
  for (auto [name, out] : {std::pair<const char*, bool*>{"exclude_back_refs", &o.exclude_back_refs},
                           {"exclude_children", &o.exclude_children},
                           {"exclude_hrefs", &o.exclude_hrefs}}) {
    auto f = q.flag(name);
    if (!f) return f.status();
    *out = *f;
  }
  return o;
}

FqName split_fq_name(std::string_view text) { return split(text, ':'); }

core::Result<ListOptions> parse_list_options(const QueryParams& q) {
  ListOptions o;
  o.parent_ids = q.list("parent_id");
  if (auto p = q.get("parent_fq_name_str")) {
    if (p->empty()) return core::invalid("query parameter parent_fq_name_str: is empty");
    o.parent_fq_name = split_fq_name(*p);
  }
  o.parent_type = q.get("parent_type").value_or("");
  o.back_ref_ids = q.list("back_ref_id");
  o.obj_uuids = q.list("obj_uuids");
  for (const auto& fq : q.list("fq_names")) o.fq_names.push_back(split_fq_name(fq));
  for (const auto& f : q.list("filters")) {
    size_t eq = f.find("==");
    if (eq == std::string::npos || eq == 0)
      return core::invalid("query parameter filters: \"" + f + "\" is not field==value");
    o.filters.emplace_back(f.substr(0, eq), f.substr(eq + 2));
  }
  for (auto [name, out] : {std::pair<const char*, bool*>{"detail", &o.detail},
                           {"count", &o.count},
                           {"exclude_hrefs", &o.exclude_hrefs}}) {
    auto f = q.flag(name);
    if (!f) return f.status();
    *out = *f;
  }
  auto fields = parse_fields(q);
  if (!fields) return fields.status();
  o.fields = std::move(*fields);
  if (auto limit = q.get("page_limit")) {
    size_t n = 0;
    auto [end, ec] = std::from_chars(limit->data(), limit->data() + limit->size(), n);
    if (ec != std::errc() || end != limit->data() + limit->size() || n == 0)
      return core::invalid("query parameter page_limit=" + *limit +
                           ": expected a whole number >= 1");
    o.page_limit = n;
  }
  o.page_marker = q.get("page_marker").value_or("");
  if (o.page_marker == "None") o.page_marker.clear();  // what a Python client sends first
  return o;
}

}  // namespace csim::controller
