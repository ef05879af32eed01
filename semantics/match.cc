#include "semantics/match.h"

#include <vector>

namespace csim::semantics {
namespace {

// The non-empty '/'-separated segments of `path`.
std::vector<std::string_view> segments(std::string_view path) {
  std::vector<std::string_view> out;
  size_t pos = 0;
  while (pos <= path.size()) {
    size_t end = path.find('/', pos);
    if (end == std::string_view::npos) end = path.size();
    if (end > pos) out.push_back(path.substr(pos, end - pos));
    pos = end + 1;
  }
  return out;
}

}  // namespace

std::string request_path(std::string_view target) {
  size_t end = target.find_first_of("?#");
  std::string path(target.substr(0, end));
  if (path.empty()) path = "/";
  return path;
}

std::string lower_ascii(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

std::string trim_header_value(std::string_view value) {
  size_t begin = value.find_first_not_of(" \t");
  if (begin == std::string_view::npos) return "";
  size_t end = value.find_last_not_of(" \t");
  return std::string(value.substr(begin, end - begin + 1));
}

std::string host_without_port(std::string_view host) {
  if (!host.empty() && host.front() == '[') {  // IPv6 literal: "[::1]:8080"
    size_t close = host.find(']');
    if (close != std::string_view::npos) return std::string(host.substr(0, close + 1));
    return std::string(host);
  }
  size_t colon = host.find(':');
  return std::string(host.substr(0, colon));
}

bool host_has_port(std::string_view host) { return host_without_port(host).size() != host.size(); }

bool is_wildcard_host(std::string_view rule_host) {
  return rule_host.size() > 2 && rule_host.substr(0, 2) == "*.";
}

bool wildcard_host_matches(std::string_view rule_host, std::string_view host) {
  if (!is_wildcard_host(rule_host)) return false;
  const std::string suffix = lower_ascii(rule_host.substr(1));  // ".foo.com"
  const std::string h = lower_ascii(host);
  if (h.size() <= suffix.size()) return false;
  if (h.compare(h.size() - suffix.size(), suffix.size(), suffix) != 0) return false;
  const std::string_view label(h.data(), h.size() - suffix.size());
  return !label.empty() && label.find('.') == std::string_view::npos;
}

bool prefix_path_matches(std::string_view prefix, std::string_view path) {
  const auto want = segments(prefix);
  const auto have = segments(path);
  if (want.size() > have.size()) return false;
  for (size_t i = 0; i < want.size(); ++i)
    if (want[i] != have[i]) return false;
  return true;
}

std::size_t prefix_rank_length(std::string_view prefix) {
  size_t end = prefix.find_last_not_of('/');
  return end == std::string_view::npos ? 0 : end + 1;
}

}  // namespace csim::semantics
