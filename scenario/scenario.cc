#include "scenario/scenario.h"

namespace csim::scenario {

std::string Request::describe() const {
  std::string out = method + " " + (https ? "https://" : "") + host + path;
  if (!ingress.empty()) out += " (ingress " + ingress + ")";
  if (!address.empty()) out += " to " + address;
  return out;
}

std::string Response::describe() const {
  if (unreachable) return "no answer";
  std::string out = std::to_string(status.value_or(200));
  if (service) out += " " + *service;
  if (certificate) out += " (certificate " + *certificate + ")";
  return out;
}

bool Response::wants_backend() const {
  return !unreachable && (service.has_value() || status.value_or(0) == 200);
}

std::string Expectation::describe() const {
  std::string out = request.describe() + " → " + response.describe();
  if (repeat > 1) out += " ×" + std::to_string(repeat);
  return out;
}

std::string Step::describe() const {
  std::string out;
  switch (kind) {
    case Kind::kApply:
      out = "apply";
      for (size_t i = 0; i < apply.size(); ++i) out += (i ? ", " : " ") + apply[i].label;
      break;
    case Kind::kDelete:
      out = "delete";
      for (size_t i = 0; i < del.size(); ++i) out += (i ? ", " : " ") + del[i].label;
      break;
    case Kind::kExpect:
      out = "expect (" + std::to_string(expect.size()) + ")";
      break;
  }
  return out;
}

size_t Scenario::expectation_count() const {
  size_t n = 0;
  for (const auto& s : steps) n += s.expect.size();
  return n;
}

std::string namespace_for(const Scenario& scenario) {
  std::string out = "test-";
  for (char c : scenario.name) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    const bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    if (ok) {
      out += c;
    } else if (out.back() != '-') {
      out += '-';
    }
  }
  if (out.size() > 63) out.resize(63);
  while (out.back() == '-') out.pop_back();
  return out;
}

}  // namespace csim::scenario
