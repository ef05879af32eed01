#include "agent/gateway.h"

#include <algorithm>
#include <vector>

#include "agent/json_util.h"
#include "agent/names.h"

namespace csim::agent {

using nlohmann::json;

Gateway::Gateway(core::Bus& bus, Dataplane& dataplane) : bus_(bus), dataplane_(dataplane) {
  subscribe();
}

Gateway::~Gateway() { stop(); }

void Gateway::subscribe() {
  life_ = std::make_shared<Life>();
  auto life = life_;
  bus_.subscribe(kModule, "bgp.gateway", [this, life](const core::Envelope& e) {
    std::shared_lock l(life->mu);
    if (life->alive) on_routes(e);
  });
}

core::Status Gateway::start() {
  bool alive;
  {
    std::shared_lock l(life_->mu);
    alive = life_->alive;
  }
  if (!alive) subscribe();
  return dataplane_.create_fabric();
}

void Gateway::stop() {
  auto life = life_;
  if (!life) return;
  {
    std::unique_lock l(life->mu);
    if (!life->alive) return;
    life->alive = false;
  }
  if (dataplane_.gateway_ns()) dataplane_.sync_gateway_routes({});
  std::lock_guard lock(mu_);
  state_["routes"] = json::array();
}

void Gateway::on_routes(const core::Envelope& e) {
  const auto start = bus_.clock().now();
  const json& body = e.body;
  if (auto st = dataplane_.create_fabric(); !st.is_ok()) {
    std::lock_guard lock(mu_);
    state_["error"] = st.message();
    bus_.record(kModule, "gateway routes failed", st.message(), start, bus_.clock().now());
    return;
  }
  const uint64_t version =
      static_cast<uint64_t>(std::max<int64_t>(0, int_field(body, "version", 0)));
  std::vector<RouteSpec> routes;
  std::vector<std::string> errors;
  std::string text;
  const std::string bridge = dataplane_.options().bridge;
  for (const auto& r : arr_field(body, "routes")) {
    if (!r.is_object()) continue;
    auto prefix = parse_ipv4_prefix(str_field(r, "prefix"));
    const std::string node = str_field(r, "node");
    if (!prefix) {
      errors.push_back("bad prefix in " + safe_dump(r, 200));
      continue;
    }
    std::optional<Ipv4> via;
    if (is_dns_subdomain(node)) via = dataplane_.node_underlay_ip(node);
    if (!via) via = parse_ipv4(str_field(r, "underlay_ip"));
    if (!via) {
      errors.push_back(prefix->str() + ": no underlay address for node '" + node + "'");
      continue;
    }
    routes.push_back({prefix->network(), via, bridge});
    text += (text.empty() ? "" : ", ") + prefix->network().str() + " via " + via->str() + " (" +
            node + ")";
  }
  if (auto st = dataplane_.sync_gateway_routes(routes); !st.is_ok()) errors.push_back(st.message());
  std::string error;
  for (const auto& x : errors) error += (error.empty() ? "" : "; ") + x;
  json installed = json::array();
  for (const auto& r : routes) installed.push_back(r.str());
  {
    std::lock_guard lock(mu_);
    state_ = {{"version", version}, {"routes", installed}, {"error", error}};
  }
  const std::string summary = "gateway routes v" + std::to_string(version) + ": " +
                              (text.empty() ? std::string("none") : text) +
                              (error.empty() ? "" : "; failed: " + error);
  bus_.record(kModule, error.empty() ? "gateway routes" : "gateway routes failed", summary, start,
              bus_.clock().now());
}

json Gateway::introspect() const {
  std::lock_guard lock(mu_);
  return state_;
}

}  // namespace csim::agent
