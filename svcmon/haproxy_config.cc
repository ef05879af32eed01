#include "svcmon/haproxy_config.h"

#include <arpa/inet.h>

#include <algorithm>
#include <climits>
#include <cstdio>
#include <set>

#include "svcmon/kubernetes_routing.h"

namespace csim::svcmon {
namespace {

using core::Result;
using core::Status;

constexpr const char* kDefaultCiphers =
    "ECDH+AESGCM:DH+AESGCM:ECDH+AES256:DH+AES256:ECDH+AES128:DH+AES:ECDH+3DES:DH+3DES:"
    "RSA+AESGCM:RSA+AES:RSA+3DES:!aNULL:!MD5:!DSS";
constexpr const char* kLogSocket = "/var/run/contrail/loadbalancer/haproxy.log.sock";

// A value quoted for an error message: JSON-style escapes, at most 60 characters.
std::string quoted(const std::string& v) {
  std::string out = "\"";
  for (size_t i = 0; i < v.size() && i < 60; ++i) {
    unsigned char c = static_cast<unsigned char>(v[i]);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20 || c == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  if (v.size() > 60) out += "...";
  return out + "\"";
}

// Why `v` is not one safe token, or "" when it is.
std::string token_problem(const std::string& v, bool allow_slash) {
  if (v.empty()) return "is empty";
  for (unsigned char c : v) {
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f')
      return "contains whitespace";
    if (c < 0x20 || c == 0x7f) return "contains a control character";
    if (c == '#') return "contains '#'";
    if (c == '"' || c == '\'') return "contains a quote";
    if (c == '\\') return "contains a backslash";
    if (c == '/' && !allow_slash) return "contains '/'";
  }
  return "";
}

Status check_token(const std::string& v, const std::string& object, const std::string& field,
                   bool allow_slash = true) {
  std::string why = token_problem(v, allow_slash);
  if (why.empty()) return Status::ok();
  return core::invalid(object + ": " + field + " " + quoted(v) + " is not a single safe token (" +
                       why + ")");
}

Status check_uuid(const std::string& v, const std::string& object, const std::string& field) {
  Status s = check_token(v, object, field, /*allow_slash=*/false);
  if (!s) return s;
  if (v == "." || v == "..")
    return core::invalid(object + ": " + field + " " + quoted(v) + " is not a uuid");
  return Status::ok();
}

Status check_address(const std::string& v, const std::string& object, const std::string& field) {
  Status s = check_token(v, object, field);
  if (!s) return s;
  unsigned char buf[16];
  if (inet_pton(AF_INET, v.c_str(), buf) == 1 || inet_pton(AF_INET6, v.c_str(), buf) == 1)
    return Status::ok();
  return core::invalid(object + ": " + field + " " + quoted(v) + " is not an IPv4 or IPv6 address");
}

Status check_port(int port, const std::string& object, const std::string& field) {
  if (port >= 1 && port <= 65535) return Status::ok();
  return core::invalid(object + ": " + field + " " + std::to_string(port) +
                       " is not a port (1..65535)");
}

// Decimal digits only, no sign, no spaces; nullopt-like -1 when not a number.
long long parse_decimal(const std::string& v) {
  if (v.empty() || v.size() > 12) return -1;
  long long n = 0;
  for (char c : v) {
    if (c < '0' || c > '9') return -1;
    n = n * 10 + (c - '0');
  }
  return n;
}

// PROTO_MAP_V2 of haproxy_config.py.
const char* proto_mode(const std::string& protocol) {
  if (protocol == "TCP") return "tcp";
  if (protocol == "HTTP") return "http";
  if (protocol == "HTTPS") return "tcp";
  if (protocol == "TERMINATED_HTTPS") return "http";
  return nullptr;
}

const char* lb_method(const std::string& method) {
  if (method == "ROUND_ROBIN") return "roundrobin";
  if (method == "LEAST_CONNECTIONS") return "leastconn";
  if (method == "SOURCE_IP") return "source";
  return nullptr;
}

std::string join(const std::vector<std::string>& parts, const std::string& sep) {
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i) {
    if (i) out += sep;
    out += parts[i];
  }
  return out;
}

// ---- custom attributes (custom_attributes.yml of the haproxy driver) ----------------

enum class AttrKind { kInt, kStr, kBool };
struct AttrSpec {
  const char* section;  // "global", "default" or "frontend"
  const char* key;
  AttrKind kind;
  long long lo, hi;    // Python range(lo, hi): lo <= v < hi (for kStr: on the length)
  const char* prefix;  // the command before the value ("maxconn "); for kBool the suffix
};

constexpr AttrSpec kAttrSpecs[] = {
    {"global", "max_conn", AttrKind::kInt, 1, 65535, "maxconn "},
    {"global", "max_conn_rate", AttrKind::kInt, 1, 65535, "maxconnrate "},
    {"global", "max_sess_rate", AttrKind::kInt, 1, 65535, "maxsessrate "},
    {"global", "max_ssl_conn", AttrKind::kInt, 1, 65535, "maxsslconn "},
    {"global", "max_ssl_rate", AttrKind::kInt, 1, 65535, "maxsslrate "},
    {"global", "ssl_ciphers", AttrKind::kStr, 1, 100, "ssl-default-bind-ciphers "},
    {"global", "tune_http_max_header", AttrKind::kInt, 1, 128, "tune.http.maxhdr "},
    {"global", "tune_ssl_max_record", AttrKind::kInt, 1, 16384, "tune.ssl.maxrecord "},
    {"default", "server_timeout", AttrKind::kInt, 1, 5000000, "timeout server "},
    {"default", "client_timeout", AttrKind::kInt, 1, 5000000, "timeout client "},
    {"default", "connect_timeout", AttrKind::kInt, 1, 5000000, "timeout connect "},
    {"frontend", "http_server_close", AttrKind::kBool, 0, 0, "option http-server-close"},
    {"frontend", "rate_limit_sessions", AttrKind::kInt, 1, 65535, "rate-limit sessions "},
};

const AttrSpec* find_attr(const std::string& key) {
  for (const auto& s : kAttrSpecs)
    if (key == s.key) return &s;
  return nullptr;
}

// A validated attribute: key and the value as it goes into the text.
struct Attr {
  const AttrSpec* spec;
  std::string value;
  std::string line() const {
    if (spec->kind == AttrKind::kBool) return value + spec->prefix;
    return spec->prefix + value;
  }
};

Result<Attr> validate_attr(const std::string& pool_uuid, const std::string& key,
                           const std::string& value) {
  const std::string where =
      "loadbalancer-pool " + pool_uuid + ": loadbalancer_pool_custom_attributes." + key;
  const AttrSpec* spec = find_attr(key);
  if (!spec) {
    if (key == "tls_container")
      return core::invalid(where + " is not supported (Contrail's renderer fails on it)");
    return core::invalid(where + " is not a known haproxy custom attribute");
  }
  switch (spec->kind) {
    case AttrKind::kInt: {
      long long n = parse_decimal(value);
      if (n < spec->lo || n >= spec->hi)
        return core::invalid(where + " " + quoted(value) + " must be an integer in [" +
                             std::to_string(spec->lo) + ", " + std::to_string(spec->hi - 1) + "]");
      return Attr{spec, std::to_string(n)};
    }
    case AttrKind::kStr: {
      if (static_cast<long long>(value.size()) < spec->lo ||
          static_cast<long long>(value.size()) >= spec->hi)
        return core::invalid(where + " must be " + std::to_string(spec->lo) + " to " +
                             std::to_string(spec->hi - 1) + " characters long");
      Status s = check_token(value, "loadbalancer-pool " + pool_uuid,
                             "loadbalancer_pool_custom_attributes." + key);
      if (!s) return s;
      return Attr{spec, value};
    }
    case AttrKind::kBool:
      // Contrail's YAML limits are booleans, so its string comparison never matches;
      // csim implements the intended meaning: "True" -> "", "False" -> "no ".
      if (value == "True") return Attr{spec, ""};
      if (value == "False") return Attr{spec, "no "};
      return core::invalid(where + " " + quoted(value) + " must be True or False");
  }
  return core::internal(where + ": unhandled attribute kind");
}

// Python dict.update semantics: a key keeps its first position and takes the last value.
void dict_update(std::vector<Attr>& dict, const Attr& a) {
  for (auto& d : dict) {
    if (d.spec == a.spec) {
      d.value = a.value;
      return;
    }
  }
  dict.push_back(a);
}

// ---- validation of the whole input --------------------------------------------------

Status validate_listener(const HaproxyListener& l) {
  const std::string obj = "loadbalancer-listener " + l.uuid;
  if (Status s = check_uuid(l.uuid, "loadbalancer-listener", "uuid"); !s) return s;
  if (!proto_mode(l.protocol))
    return core::invalid(obj + ": protocol " + quoted(l.protocol) +
                         " must be HTTP, HTTPS, TCP or TERMINATED_HTTPS");
  if (Status s = check_port(l.protocol_port, obj, "protocol_port"); !s) return s;
  if (l.connection_limit < 0)
    return core::invalid(obj + ": connection_limit " + std::to_string(l.connection_limit) +
                         " must not be negative");
  if (!l.default_tls_container.empty())
    if (Status s = check_token(l.default_tls_container, obj, "default_tls_container"); !s) return s;
  for (size_t i = 0; i < l.sni_containers.size(); ++i)
    if (Status s =
            check_token(l.sni_containers[i], obj, "sni_containers[" + std::to_string(i) + "]");
        !s)
      return s;
  return Status::ok();
}

// The Kubernetes semantics' extra checks of a host-like annotation value.
Status check_kubernetes_host(const std::string& v, const std::string& object,
                             const std::string& field) {
  if (Status s = check_token(v, object, field); !s) return s;
  std::string why = kubernetes_host_problem(v);
  if (why.empty()) return Status::ok();
  return core::invalid(object + ": " + field + " " + quoted(v) +
                       " cannot be routed by the kubernetes semantics (" + why + ")");
}

Status validate_kubernetes_annotations(const HaproxyPool& p, const std::string& obj) {
  if (p.uuid == kNoMatchBackend)
    return core::invalid(obj + ": the name " + quoted(p.uuid) +
                         " is the kubernetes semantics' no-match backend");
  if (auto it = p.annotations.find("host"); it != p.annotations.end())
    if (Status s = check_kubernetes_host(it->second, obj, "annotations.host"); !s) return s;
  if (auto it = p.annotations.find("path"); it != p.annotations.end() && !it->second.empty()) {
    if (Status s = check_token(it->second, obj, "annotations.path"); !s) return s;
    std::string why = kubernetes_path_problem(it->second);
    if (!why.empty())
      return core::invalid(obj + ": annotations.path " + quoted(it->second) +
                           " cannot be routed by the kubernetes semantics (" + why + ")");
  }
  if (auto it = p.annotations.find("claimed_hosts"); it != p.annotations.end()) {
    if (Status s = check_token(it->second, obj, "annotations.claimed_hosts"); !s) return s;
    size_t pos = 0, i = 0;
    while (pos <= it->second.size()) {
      size_t end = it->second.find(',', pos);
      if (end == std::string::npos) end = it->second.size();
      const std::string field = "annotations.claimed_hosts[" + std::to_string(i++) + "]";
      if (Status s = check_kubernetes_host(it->second.substr(pos, end - pos), obj, field); !s)
        return s;
      pos = end + 1;
    }
  }
  return Status::ok();
}

Status validate_pool(const HaproxyPool& p, RoutingSemantics semantics) {
  const std::string obj = "loadbalancer-pool " + p.uuid;
  if (Status s = check_uuid(p.uuid, "loadbalancer-pool", "uuid"); !s) return s;
  if (Status s = check_uuid(p.listener_uuid, obj, "loadbalancer_listener_refs"); !s) return s;
  if (!proto_mode(p.protocol))
    return core::invalid(obj + ": protocol " + quoted(p.protocol) +
                         " must be HTTP, HTTPS, TCP or TERMINATED_HTTPS");
  if (!lb_method(p.method))
    return core::invalid(obj + ": loadbalancer_method " + quoted(p.method) +
                         " must be ROUND_ROBIN, LEAST_CONNECTIONS or SOURCE_IP");
  if (semantics == RoutingSemantics::kKubernetes) {
    if (Status s = validate_kubernetes_annotations(p, obj); !s) return s;
  } else {
    for (const char* key : {"host", "path"}) {
      auto it = p.annotations.find(key);
      if (it != p.annotations.end())
        if (Status s = check_token(it->second, obj, std::string("annotations.") + key); !s)
          return s;
    }
  }
  if (auto it = p.annotations.find("index"); it != p.annotations.end()) {
    long long n = parse_decimal(it->second);
    if (n < 0 || n > INT_MAX)
      return core::invalid(obj + ": annotations.index " + quoted(it->second) +
                           " must be a non-negative decimal number");
  }
  return Status::ok();
}

Status validate_member(const HaproxyMember& m) {
  const std::string obj = "loadbalancer-member " + m.uuid;
  if (Status s = check_uuid(m.uuid, "loadbalancer-member", "uuid"); !s) return s;
  if (Status s = check_uuid(m.pool_uuid, obj, "parent (pool uuid)"); !s) return s;
  if (Status s = check_address(m.address, obj, "address"); !s) return s;
  if (Status s = check_port(m.protocol_port, obj, "protocol_port"); !s) return s;
  if (m.weight < 0 || m.weight > 256)
    return core::invalid(obj + ": weight " + std::to_string(m.weight) + " must be in [0, 256]");
  return Status::ok();
}

Status validate(const HaproxyLoadbalancer& lb) {
  if (Status s = check_uuid(lb.uuid, "loadbalancer", "uuid"); !s) return s;
  const std::string obj = "loadbalancer " + lb.uuid;
  if (Status s = check_address(lb.vip_address, obj, "loadbalancer_properties.vip_address"); !s)
    return s;
  if (Status s = check_token(lb.state_dir, obj, "state_dir"); !s) return s;
  std::set<std::string> seen;
  for (const auto& l : lb.listeners) {
    if (Status s = validate_listener(l); !s) return s;
    if (!seen.insert(l.uuid).second)
      return core::invalid(obj + ": loadbalancer-listener " + l.uuid + " is listed twice");
  }
  for (const auto& p : lb.pools) {
    if (Status s = validate_pool(p, lb.semantics); !s) return s;
    if (!seen.insert(p.uuid).second)
      return core::invalid(obj + ": loadbalancer-pool " + p.uuid + " is listed twice");
  }
  for (const auto& m : lb.members) {
    if (Status s = validate_member(m); !s) return s;
    if (!seen.insert(m.uuid).second)
      return core::invalid(obj + ": loadbalancer-member " + m.uuid + " is listed twice");
  }
  return Status::ok();
}

// ---- ordering ------------------------------------------------------------------------

long long pool_index(const HaproxyPool& p) {
  auto it = p.annotations.find("index");
  return it == p.annotations.end() ? LLONG_MAX : parse_decimal(it->second);
}

// One frontend: the listener that names it and the listeners merged into it.
struct Frontend {
  const HaproxyListener* first;
  std::vector<const HaproxyListener*> listeners;
  std::vector<std::string> sni_containers;
};

std::string annotation(const HaproxyPool& p, const char* key, bool* present) {
  auto it = p.annotations.find(key);
  *present = it != p.annotations.end();
  return *present ? it->second : std::string();
}

std::string render_backend(const HaproxyPool& pool,
                           const std::vector<const HaproxyMember*>& members) {
  std::vector<std::string> conf = {
      "backend " + pool.uuid,
      std::string("mode ") + proto_mode(pool.protocol),
      std::string("balance ") + lb_method(pool.method),
  };
  if (pool.protocol == "HTTP") conf.push_back("option forwardfor");
  for (const HaproxyMember* m : members) {
    if (m->pool_uuid != pool.uuid || !m->admin_state) continue;
    conf.push_back("server " + m->uuid + " " + m->address + ":" + std::to_string(m->protocol_port) +
                   " weight " + std::to_string(m->weight));
  }
  return join(conf, "\n\t") + "\n\n";
}

// The loadbalancer as Contrail would have it: without the pools kube-manager keeps for
// backends it could not resolve (kBackendUnavailableAnnotation), their members, and the
// listeners left without any pool by that.
HaproxyLoadbalancer without_unavailable_backends(const HaproxyLoadbalancer& lb) {
  HaproxyLoadbalancer out = lb;
  std::set<std::string> gone, kept_listeners, emptied_listeners;
  out.pools.clear();
  for (const auto& p : lb.pools) {
    if (p.annotations.count(kBackendUnavailableAnnotation)) {
      gone.insert(p.uuid);
      emptied_listeners.insert(p.listener_uuid);
    } else {
      out.pools.push_back(p);
      kept_listeners.insert(p.listener_uuid);
    }
  }
  out.members.clear();
  for (const auto& m : lb.members)
    if (!gone.count(m.pool_uuid)) out.members.push_back(m);
  out.listeners.clear();
  for (const auto& l : lb.listeners)
    if (!emptied_listeners.count(l.uuid) || kept_listeners.count(l.uuid))
      out.listeners.push_back(l);
  return out;
}

}  // namespace

core::Result<std::string> render_haproxy_config(const HaproxyLoadbalancer& lb) {
  if (Status s = validate(lb); !s) return s;
  if (lb.semantics == RoutingSemantics::kContrail &&
      std::any_of(lb.pools.begin(), lb.pools.end(), [](const HaproxyPool& p) {
        return p.annotations.count(kBackendUnavailableAnnotation) > 0;
      }))
    return render_haproxy_config(without_unavailable_backends(lb));

  // Pools in spec order (index annotation, then uuid); members by uuid.
  std::vector<const HaproxyPool*> pools;
  for (const auto& p : lb.pools) pools.push_back(&p);
  std::sort(pools.begin(), pools.end(), [](const HaproxyPool* a, const HaproxyPool* b) {
    long long ia = pool_index(*a), ib = pool_index(*b);
    return ia != ib ? ia < ib : a->uuid < b->uuid;
  });
  std::vector<const HaproxyMember*> members;
  for (const auto& m : lb.members) members.push_back(&m);
  std::sort(members.begin(), members.end(),
            [](const HaproxyMember* a, const HaproxyMember* b) { return a->uuid < b->uuid; });

  // Listeners ordered by their first pool; listeners without pools last, by uuid.
  std::vector<const HaproxyListener*> listeners;
  for (const auto& l : lb.listeners) listeners.push_back(&l);
  auto first_pool_pos = [&](const HaproxyListener* l) {
    for (size_t i = 0; i < pools.size(); ++i)
      if (pools[i]->listener_uuid == l->uuid) return i;
    return pools.size();
  };
  std::stable_sort(listeners.begin(), listeners.end(),
                   [&](const HaproxyListener* a, const HaproxyListener* b) {
                     size_t pa = first_pool_pos(a), pb = first_pool_pos(b);
                     return pa != pb ? pa < pb : a->uuid < b->uuid;
                   });

  // Custom attributes: every pool attached to a listener of this LB, in pool order.
  std::vector<Attr> aggregated;
  std::map<std::string, std::vector<Attr>> pool_attrs;
  for (const HaproxyPool* p : pools) {
    bool attached =
        std::any_of(lb.listeners.begin(), lb.listeners.end(),
                    [&](const HaproxyListener& l) { return l.uuid == p->listener_uuid; });
    for (const auto& [key, value] : p->custom_attributes) {
      auto attr = validate_attr(p->uuid, key, value);
      if (!attr) return attr.status();
      if (!attached) continue;
      dict_update(aggregated, *attr);
      dict_update(pool_attrs[p->uuid], *attr);
    }
  }
  auto section_attrs = [](const std::vector<Attr>& dict, const char* section) {
    std::vector<Attr> out;
    for (const auto& a : dict)
      if (std::string(a.spec->section) == section) out.push_back(a);
    return out;
  };

  // global
  std::string maxconn = "65000", ciphers = kDefaultCiphers;
  std::vector<std::string> global_extra;
  for (const auto& a : section_attrs(aggregated, "global")) {
    if (std::string(a.spec->key) == "max_conn") {
      maxconn = a.value;
    } else if (std::string(a.spec->key) == "ssl_ciphers") {
      ciphers = a.value;
    } else {
      global_extra.push_back(a.line());
    }
  }
  std::vector<std::string> global = {
      "global",
      "daemon",
      "user haproxy",
      "group haproxy",
      std::string("log ") + kLogSocket + " local0",
      std::string("log ") + kLogSocket + " local1 notice",
      "tune.ssl.default-dh-param 2048",
      "ssl-default-bind-ciphers " + ciphers,
      "ulimit-n 200000",
      "maxconn " + maxconn,
      "stats socket " + lb.state_dir + "/loadbalancer/haproxy/" + lb.uuid +
          "/haproxy.sock mode 0666 level user",
  };
  global.insert(global.end(), global_extra.begin(), global_extra.end());

  // defaults
  std::string connect = "5000", client = "300000", server = "300000";
  for (const auto& a : section_attrs(aggregated, "default")) {
    std::string key = a.spec->key;
    (key == "connect_timeout" ? connect : key == "client_timeout" ? client : server) = a.value;
  }
  std::vector<std::string> defaults = {
      "defaults",
      "log global",
      "retries 3",
      "option redispatch",
      "timeout connect " + connect,
      "timeout client " + client,
      "timeout server " + server,
  };

  // Frontends: enabled listeners, merged by port for Kubernetes loadbalancers.
  std::vector<Frontend> frontends;
  for (const HaproxyListener* l : listeners) {
    if (!l->admin_state) continue;
    Frontend* fe = nullptr;
    if (lb.merge_listeners_by_port) {
      for (auto& f : frontends)
        if (f.first->protocol_port == l->protocol_port) fe = &f;
    }
    if (!fe) {
      frontends.push_back({l, {}, {}});
      fe = &frontends.back();
    }
    fe->listeners.push_back(l);
    fe->sni_containers.insert(fe->sni_containers.end(), l->sni_containers.begin(),
                              l->sni_containers.end());
  }

  // The Kubernetes semantics: every pool of the loadbalancer names hosts the Ingress owns.
  const bool kubernetes = lb.semantics == RoutingSemantics::kKubernetes;
  // An Ingress loadbalancer with nothing to route still answers on port 80: 404.
  const HaproxyListener no_rules{kNoRulesFrontend, "HTTP", 80};
  if (kubernetes && lb.merge_listeners_by_port && frontends.empty())
    frontends.push_back({&no_rules, {&no_rules}, {}});
  std::vector<RoutingPool> ingress_pools;
  if (kubernetes)
    for (const HaproxyPool* p : pools) ingress_pools.push_back({p->uuid, p->annotations});
  bool needs_no_match = false;

  std::string lconf, pconf;
  for (const Frontend& fe : frontends) {
    const HaproxyListener& ll = *fe.first;
    std::string ssl;
    if (ll.protocol == "TERMINATED_HTTPS") {
      // haproxy serves the first `crt` to clients whose SNI matches no certificate.
      // Contrail takes only the first listener's default_tls_container, so when that
      // listener is a host's SNI copy the Ingress's default certificate (the spec.tls
      // entry without hosts) is never served; csim takes the first listener of the port
      // that has one, then every SNI certificate once.
      std::vector<std::string> tokens;
      for (const HaproxyListener* l : fe.listeners)
        if (!l->default_tls_container.empty()) {
          tokens.push_back(l->default_tls_container);
          break;
        }
      for (const auto& sni : fe.sni_containers)
        if (std::find(tokens.begin(), tokens.end(), sni) == tokens.end()) tokens.push_back(sni);
      for (const auto& t : tokens) ssl += " crt__" + t;
    }
    if (!ssl.empty()) ssl = "ssl" + ssl + " no-sslv3";
    std::vector<std::string> conf = {
        "frontend " + ll.uuid,
        "option tcplog",
        "bind " + lb.vip_address + ":" + std::to_string(ll.protocol_port) + " " + ssl,
        std::string("mode ") + proto_mode(ll.protocol),
    };
    if (ll.connection_limit > 0) conf.push_back("maxconn " + std::to_string(ll.connection_limit));
    if (ll.protocol == "HTTP") conf.push_back("option forwardfor");

    auto mine = [&](const HaproxyPool* pool) {
      return pool->admin_state &&
             std::any_of(fe.listeners.begin(), fe.listeners.end(),
                         [&](const HaproxyListener* l) { return l->uuid == pool->listener_uuid; });
    };

    if (kubernetes && std::string(proto_mode(ll.protocol)) == "http") {
      std::vector<RoutingPool> frontend_pools;
      std::vector<std::string> attrs;
      for (const HaproxyPool* pool : pools) {
        if (!mine(pool)) continue;
        frontend_pools.push_back({pool->uuid, pool->annotations});
        for (const auto& a : section_attrs(pool_attrs[pool->uuid], "frontend"))
          attrs.push_back(a.line());
        pconf += render_backend(*pool, members);
      }
      KubernetesRouting routing = kubernetes_routing(frontend_pools, ingress_pools);
      conf.insert(conf.end(), routing.lines.begin(), routing.lines.end());
      conf.insert(conf.end(), attrs.begin(), attrs.end());
      needs_no_match = needs_no_match || routing.uses_no_match_backend;
      lconf += join(conf, "\n\t") + "\n\n";
      continue;
    }

    bool any_pool = false;
    for (const HaproxyPool* pool : pools) {
      if (!mine(pool)) continue;
      any_pool = true;
      bool has_type, has_host, has_path;
      std::string type = annotation(*pool, "type", &has_type);
      std::string host = annotation(*pool, "host", &has_host);
      std::string path = annotation(*pool, "path", &has_path);
      if (kubernetes && path.empty()) has_path = false;  // allowed (= no path) in that mode
      if (!has_type || type == "default") {
        conf.push_back("default_backend " + pool->uuid);
      } else {
        std::string host_cdn, path_cdn;
        if (has_host) {
          host_cdn = pool->uuid + "_host";
          conf.push_back("acl " + host_cdn + " hdr(host) -i " + host);
        }
        if (has_path) {
          path_cdn = pool->uuid + "_path";
          conf.push_back("acl " + path_cdn + " path " + path);
        }
        conf.push_back("use_backend " + pool->uuid + " if " + host_cdn + " " + path_cdn);
      }
      for (const auto& a : section_attrs(pool_attrs[pool->uuid], "frontend"))
        conf.push_back(a.line());
      conf.push_back("\n");
      pconf += render_backend(*pool, members);
    }
    lconf += join(conf, "\n\t");
    if (!any_pool) lconf += "\n";  // Contrail would glue the next "frontend" onto this line
    if (kubernetes) lconf += "\n";  // a tcp frontend: a blank line before the next section
  }

  const std::string head = join(global, "\n\t") + "\n\n" + join(defaults, "\n\t") + "\n\n";
  if (!kubernetes) return head + lconf + "\n" + pconf;
  if (needs_no_match)
    pconf += "backend " + std::string(kNoMatchBackend) + "\n\t" +
             join(no_match_backend_lines(), "\n\t") + "\n\n";
  return head + lconf + pconf;
}

const char* routing_semantics_name(RoutingSemantics s) {
  return s == RoutingSemantics::kContrail ? "contrail" : "kubernetes";
}

std::optional<RoutingSemantics> parse_routing_semantics(std::string_view name) {
  if (name == "contrail") return RoutingSemantics::kContrail;
  if (name == "kubernetes") return RoutingSemantics::kKubernetes;
  return std::nullopt;
}

bool needs_reload(const std::string& old_text, const std::string& new_text) {
  return old_text != new_text;
}

HaproxySectionCounts count_sections(const std::string& text) {
  HaproxySectionCounts counts;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    std::string_view line(text.data() + pos, end - pos);
    if (line.rfind("frontend ", 0) == 0) ++counts.frontends;
    if (line.rfind("backend ", 0) == 0) ++counts.backends;
    pos = end + 1;
  }
  return counts;
}

}  // namespace csim::svcmon
