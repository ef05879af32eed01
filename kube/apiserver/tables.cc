#include "kube/apiserver/tables.h"

#include <algorithm>
#include <cstdint>
#include <ctime>
#include <map>

#include "kube/apiserver/http_message.h"

namespace csim::kube::apiserver {

using nlohmann::json;

namespace {

struct Column {
  const char* name;
  const char* type;
  int priority;
  const char* description;
};

json column_json(const Column& c) {
  json j = {{"name", c.name}, {"type", c.type}, {"format", ""}, {"description", c.description},
            {"priority", c.priority}};
  if (std::string(c.name) == "Name") j["format"] = "name";
  return j;
}

const std::map<std::string, std::vector<Column>>& columns() {
  static const std::map<std::string, std::vector<Column>> kColumns = {
      {"Namespace",
       {{"Name", "string", 0, "Name must be unique within a namespace."},
        {"Status", "string", 0, "The status of the namespace"},
        {"Age", "string", 0, "CreationTimestamp of the object."}}},
      {"Node",
       {{"Name", "string", 0, "Name of the node."},
        {"Status", "string", 0, "The status of the node"},
        {"Roles", "string", 0, "The roles of the node"},
        {"Age", "string", 0, "CreationTimestamp of the object."},
        {"Version", "string", 0, "Kubelet Version reported by the node."},
        {"Internal-IP", "string", 1, "List of internal IPs for the node."},
        {"External-IP", "string", 1, "List of external IPs for this node."},
        {"OS-Image", "string", 1, "OS Image reported by the node."},
        {"Kernel-Version", "string", 1, "Kernel Version reported by the node."},
        {"Container-Runtime", "string", 1, "Container Runtime Version reported by the node."}}},
      {"Pod",
       {{"Name", "string", 0, "Name of the pod."},
        {"Ready", "string", 0, "The aggregate readiness state of this pod for accepting traffic."},
        {"Status", "string", 0, "The aggregate status of the containers in this pod."},
        {"Restarts", "string", 0, "The number of times the containers in this pod have been restarted."},
        {"Age", "string", 0, "CreationTimestamp of the object."},
        {"IP", "string", 1, "IP address allocated to the pod."},
        {"Node", "string", 1, "Name of the node the pod is assigned to."},
        {"Nominated Node", "string", 1, "Name of the node where the pod is nominated to run."},
        {"Readiness Gates", "string", 1, "The readiness gates of the pod."}}},
      {"Service",
       {{"Name", "string", 0, "Name of the service."},
        {"Type", "string", 0, "The type of the service."},
        {"Cluster-IP", "string", 0, "The cluster IP of the service."},
        {"External-IP", "string", 0, "The external IP addresses of the service."},
        {"Port(s)", "string", 0, "The ports the service serves on."},
        {"Age", "string", 0, "CreationTimestamp of the object."},
        {"Selector", "string", 1, "The selector of the service."}}},
      {"Secret",
       {{"Name", "string", 0, "Name of the secret."},
        {"Type", "string", 0, "Used to facilitate programmatic handling of secret data."},
        {"Data", "string", 0, "The number of entries in the secret's data."},
        {"Age", "string", 0, "CreationTimestamp of the object."}}},
      {"ConfigMap",
       {{"Name", "string", 0, "Name of the configmap."},
        {"Data", "string", 0, "The number of entries in the configmap's data and binaryData."},
        {"Age", "string", 0, "CreationTimestamp of the object."}}},
      {"Endpoints",
       {{"Name", "string", 0, "Name of the endpoints."},
        {"Endpoints", "string", 0, "The addresses and ports of the endpoints."},
        {"Age", "string", 0, "CreationTimestamp of the object."}}},
      {"EndpointSlice",
       {{"Name", "string", 0, "Name of the endpoint slice."},
        {"AddressType", "string", 0, "The type of the addresses."},
        {"Ports", "string", 0, "The ports of the endpoint slice."},
        {"Endpoints", "string", 0, "The addresses of the endpoint slice."},
        {"Age", "string", 0, "CreationTimestamp of the object."}}},
      {"Event",
       {{"Last Seen", "string", 0, "Time since the event was last seen."},
        {"Type", "string", 0, "Type of the event."},
        {"Reason", "string", 0, "Short, machine understandable reason of the event."},
        {"Object", "string", 0, "The object the event is about."},
        {"Subobject", "string", 1, "The part of the object the event is about."},
        {"Source", "string", 1, "The component reporting the event."},
        {"Message", "string", 0, "A human-readable description of the event."},
        {"First Seen", "string", 1, "Time since the event was first seen."},
        {"Count", "string", 1, "How many times the event happened."},
        {"Name", "string", 1, "Name of the event."}}},
      {"Deployment",
       {{"Name", "string", 0, "Name of the deployment."},
        {"Ready", "string", 0, "Number of the pod with ready state."},
        {"Up-to-date", "string", 0, "Total number of non-terminated pods with the desired template."},
        {"Available", "string", 0, "Number of available pods ready for at least minReadySeconds."},
        {"Age", "string", 0, "CreationTimestamp of the object."},
        {"Containers", "string", 1, "Names of each container in the template."},
        {"Images", "string", 1, "Images referenced by each container in the template."},
        {"Selector", "string", 1, "Label selector for pods."}}},
      {"Ingress",
       {{"Name", "string", 0, "Name of the ingress."},
        {"Class", "string", 0, "The name of the IngressClass resource."},
        {"Hosts", "string", 0, "Hosts that incoming requests are matched against."},
        {"Address", "string", 0, "Address is a list containing ingress points for the load-balancer."},
        {"Ports", "string", 0, "Ports of TLS configurations that open."},
        {"Age", "string", 0, "CreationTimestamp of the object."}}},
  };
  return kColumns;
}

const json& at(const json& obj, std::initializer_list<const char*> path) {
  static const json kNull;
  const json* cur = &obj;
  for (const char* p : path) {
    if (!cur->is_object()) return kNull;
    auto it = cur->find(p);
    if (it == cur->end()) return kNull;
    cur = &*it;
  }
  return *cur;
}

std::string str(const json& v, const std::string& fallback = "") {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_number_integer()) return std::to_string(v.get<int64_t>());
  if (v.is_boolean()) return v.get<bool>() ? "true" : "false";
  return fallback;
}

int64_t num(const json& v) { return v.is_number_integer() ? v.get<int64_t>() : 0; }

std::string join(const std::vector<std::string>& parts, const std::string& sep) {
  std::string out;
  for (const auto& p : parts) out += (out.empty() ? "" : sep) + p;
  return out;
}

std::string or_none(const std::string& s) { return s.empty() ? "<none>" : s; }

// "k=v,k2=v2", keys sorted (nlohmann objects iterate in key order).
std::string format_labels(const json& labels) {
  std::vector<std::string> parts;
  if (labels.is_object())
    for (auto it = labels.begin(); it != labels.end(); ++it) parts.push_back(it.key() + "=" + str(it.value()));
  return join(parts, ",");
}

std::string name_of(const json& o) { return str(at(o, {"metadata", "name"})); }

// --- per-kind cells ---

json namespace_cells(const json& o, core::Nanos now) {
  return {name_of(o), str(at(o, {"status", "phase"}), "Active"), age(at(o, {"metadata", "creationTimestamp"}), now)};
}

json node_cells(const json& o, core::Nanos now) {
  std::string status = "Unknown";
  const json& conds = at(o, {"status", "conditions"});
  if (conds.is_array())
    for (const json& c : conds)
      if (c.is_object() && c.value("type", json()) == "Ready")
        status = c.value("status", json()) == "True" ? "Ready" : "NotReady";
  if (at(o, {"spec", "unschedulable"}) == true) status += ",SchedulingDisabled";
  std::vector<std::string> roles;
  const json& labels = at(o, {"metadata", "labels"});
  if (labels.is_object())
    for (auto it = labels.begin(); it != labels.end(); ++it) {
      const std::string& k = it.key();
      const std::string prefix = "node-role.kubernetes.io/";
      if (k.rfind(prefix, 0) == 0 && k.size() > prefix.size()) roles.push_back(k.substr(prefix.size()));
      else if (k == "kubernetes.io/role") roles.push_back(str(it.value()));
    }
  std::vector<std::string> internal, external;
  const json& addrs = at(o, {"status", "addresses"});
  if (addrs.is_array())
    for (const json& a : addrs) {
      if (!a.is_object()) continue;
      if (a.value("type", json()) == "InternalIP") internal.push_back(str(a.value("address", json())));
      if (a.value("type", json()) == "ExternalIP") external.push_back(str(a.value("address", json())));
    }
  const json& info = at(o, {"status", "nodeInfo"});
  return {name_of(o),
          status,
          or_none(join(roles, ",")),
          age(at(o, {"metadata", "creationTimestamp"}), now),
          str(at(info, {"kubeletVersion"})),
          or_none(join(internal, ",")),
          or_none(join(external, ",")),
          str(at(info, {"osImage"}), "<unknown>"),
          str(at(info, {"kernelVersion"}), "<unknown>"),
          str(at(info, {"containerRuntimeVersion"}), "<unknown>")};
}

json pod_cells(const json& o, core::Nanos now) {
  const json& containers = at(o, {"spec", "containers"});
  int64_t total = containers.is_array() ? containers.size() : 0;
  int64_t ready = 0;
  int64_t restarts = 0;
  std::string reason = str(at(o, {"status", "reason"}));
  if (reason.empty()) reason = str(at(o, {"status", "phase"}), "Pending");
  const json& statuses = at(o, {"status", "containerStatuses"});
  if (statuses.is_array())
    for (const json& cs : statuses) {
      if (!cs.is_object()) continue;
      restarts += num(cs.value("restartCount", json()));
      if (cs.value("ready", json(false)) == true && at(cs, {"state", "running"}).is_object()) ++ready;
      std::string waiting = str(at(cs, {"state", "waiting", "reason"}));
      std::string terminated = str(at(cs, {"state", "terminated", "reason"}));
      if (!waiting.empty()) reason = waiting;
      else if (!terminated.empty()) reason = terminated;
    }
  if (at(o, {"metadata", "deletionTimestamp"}).is_string()) reason = "Terminating";
  std::string ip = str(at(o, {"status", "podIP"}));
  return {name_of(o),
          std::to_string(ready) + "/" + std::to_string(total),
          reason,
          std::to_string(restarts),
          age(at(o, {"metadata", "creationTimestamp"}), now),
          or_none(ip),
          or_none(str(at(o, {"spec", "nodeName"}))),
          or_none(str(at(o, {"status", "nominatedNodeName"}))),
          "<none>"};
}

std::vector<std::string> lb_addresses(const json& o) {
  std::vector<std::string> out;
  const json& ing = at(o, {"status", "loadBalancer", "ingress"});
  if (ing.is_array())
    for (const json& e : ing) {
      std::string ip = str(at(e, {"ip"}));
      std::string host = str(at(e, {"hostname"}));
      if (!ip.empty()) out.push_back(ip);
      else if (!host.empty()) out.push_back(host);
    }
  return out;
}

json service_cells(const json& o, core::Nanos now) {
  const json& spec = at(o, {"spec"});
  std::string type = str(at(spec, {"type"}), "ClusterIP");
  std::string cluster_ip = str(at(spec, {"clusterIP"}));
  std::vector<std::string> external;
  const json& eips = at(spec, {"externalIPs"});
  if (type == "LoadBalancer") {
    external = lb_addresses(o);
  }
  if (eips.is_array())
    for (const json& e : eips) external.push_back(str(e));
  std::string external_ip;
  if (type == "ExternalName") external_ip = str(at(spec, {"externalName"}));
  else if (!external.empty()) external_ip = join(external, ",");
  else if (type == "LoadBalancer") external_ip = "<pending>";
  else external_ip = "<none>";
  std::vector<std::string> ports;
  const json& p = at(spec, {"ports"});
  if (p.is_array())
    for (const json& port : p) {
      if (!port.is_object()) continue;
      std::string s = str(port.value("port", json()));
      if (port.contains("nodePort")) s += ":" + str(port["nodePort"]);
      s += "/" + str(port.value("protocol", json("TCP")), "TCP");
      ports.push_back(s);
    }
  return {name_of(o),
          type,
          or_none(cluster_ip),
          external_ip,
          or_none(join(ports, ",")),
          age(at(o, {"metadata", "creationTimestamp"}), now),
          or_none(format_labels(at(spec, {"selector"})))};
}

// "a,b,c + 2 more..." as Kubernetes abbreviates long endpoint lists.
std::string first_three(const std::vector<std::string>& items) {
  if (items.empty()) return "<none>";
  if (items.size() <= 3) return join(items, ",");
  return join({items[0], items[1], items[2]}, ",") + " + " + std::to_string(items.size() - 3) + " more...";
}

json endpoints_cells(const json& o, core::Nanos now) {
  std::vector<std::string> eps;
  const json& subsets = at(o, {"subsets"});
  if (subsets.is_array())
    for (const json& s : subsets) {
      const json& addrs = at(s, {"addresses"});
      const json& ports = at(s, {"ports"});
      if (!addrs.is_array()) continue;
      for (const json& a : addrs) {
        std::string ip = str(at(a, {"ip"}));
        if (ports.is_array() && !ports.empty()) {
          for (const json& p : ports) eps.push_back(ip + ":" + str(at(p, {"port"})));
        } else {
          eps.push_back(ip);
        }
      }
    }
  return {name_of(o), first_three(eps), age(at(o, {"metadata", "creationTimestamp"}), now)};
}

json slice_cells(const json& o, core::Nanos now) {
  std::vector<std::string> ports, addrs;
  const json& p = at(o, {"ports"});
  if (p.is_array())
    for (const json& port : p) ports.push_back(str(at(port, {"port"})));
  const json& eps = at(o, {"endpoints"});
  if (eps.is_array())
    for (const json& e : eps) {
      const json& a = at(e, {"addresses"});
      if (a.is_array())
        for (const json& ip : a) addrs.push_back(str(ip));
    }
  return {name_of(o), str(at(o, {"addressType"}), "IPv4"), ports.empty() ? "<unset>" : join(ports, ","),
          addrs.empty() ? "<unset>" : first_three(addrs),
          age(at(o, {"metadata", "creationTimestamp"}), now)};
}

json event_cells(const json& o, core::Nanos now) {
  json last = at(o, {"lastTimestamp"});
  json first = at(o, {"firstTimestamp"});
  if (!last.is_string()) last = at(o, {"eventTime"});
  if (!last.is_string()) last = at(o, {"metadata", "creationTimestamp"});
  if (!first.is_string()) first = last;
  const json& involved = at(o, {"involvedObject"});
  std::string object = to_lower(str(at(involved, {"kind"}))) + "/" + str(at(involved, {"name"}));
  std::string source = str(at(o, {"source", "component"}));
  std::string host = str(at(o, {"source", "host"}));
  if (!host.empty()) source += ", " + host;
  if (source.empty()) source = str(at(o, {"reportingComponent"}));
  int64_t count = num(at(o, {"count"}));
  return {age(last, now),
          str(at(o, {"type"})),
          str(at(o, {"reason"})),
          object,
          str(at(involved, {"fieldPath"})),
          source,
          str(at(o, {"message"})),
          age(first, now),
          std::to_string(count > 0 ? count : 1),
          name_of(o)};
}

json deployment_cells(const json& o, core::Nanos now) {
  int64_t desired = at(o, {"spec", "replicas"}).is_number_integer() ? num(at(o, {"spec", "replicas"})) : 1;
  std::vector<std::string> names, images;
  const json& containers = at(o, {"spec", "template", "spec", "containers"});
  if (containers.is_array())
    for (const json& c : containers) {
      names.push_back(str(at(c, {"name"})));
      images.push_back(str(at(c, {"image"})));
    }
  std::string selector = format_labels(at(o, {"spec", "selector", "matchLabels"}));
  return {name_of(o),
          std::to_string(num(at(o, {"status", "readyReplicas"}))) + "/" + std::to_string(desired),
          std::to_string(num(at(o, {"status", "updatedReplicas"}))),
          std::to_string(num(at(o, {"status", "availableReplicas"}))),
          age(at(o, {"metadata", "creationTimestamp"}), now),
          join(names, ","),
          join(images, ","),
          or_none(selector)};
}

json ingress_cells(const json& o, core::Nanos now) {
  std::string cls = str(at(o, {"spec", "ingressClassName"}));
  const json& rules = at(o, {"spec", "rules"});
  std::vector<std::string> hosts;
  bool more = false;
  size_t nrules = rules.is_array() ? rules.size() : 0;
  if (rules.is_array())
    for (const json& r : rules) {
      if (hosts.size() == 3) {
        more = true;
        break;
      }
      std::string h = str(at(r, {"host"}));
      if (!h.empty()) hosts.push_back(h);
    }
  std::string host_cell = hosts.empty() ? "*" : join(hosts, ",");
  if (more) host_cell += " + " + std::to_string(nrules - 3) + " more...";
  std::string ports = at(o, {"spec", "tls"}).is_array() && !at(o, {"spec", "tls"}).empty() ? "80, 443" : "80";
  return {name_of(o), or_none(cls), host_cell, join(lb_addresses(o), ","), ports,
          age(at(o, {"metadata", "creationTimestamp"}), now)};
}

// As kube-apiserver's printer: the number of data (and stringData) entries, never a value.
json secret_cells(const json& o, core::Nanos now) {
  const json& data = at(o, {"data"});
  const json& string_data = at(o, {"stringData"});
  const int64_t entries = static_cast<int64_t>((data.is_object() ? data.size() : 0) +
                                               (string_data.is_object() ? string_data.size() : 0));
  return {name_of(o), str(at(o, {"type"}), "Opaque"), entries, age(at(o, {"metadata", "creationTimestamp"}), now)};
}

json config_map_cells(const json& o, core::Nanos now) {
  const json& data = at(o, {"data"});
  const json& binary = at(o, {"binaryData"});
  const int64_t entries = static_cast<int64_t>((data.is_object() ? data.size() : 0) +
                                               (binary.is_object() ? binary.size() : 0));
  return {name_of(o), entries, age(at(o, {"metadata", "creationTimestamp"}), now)};
}

json generic_cells(const json& o, core::Nanos now) {
  return {name_of(o), age(at(o, {"metadata", "creationTimestamp"}), now)};
}

json cells_for(const std::string& kind, const json& o, core::Nanos now) {
  if (kind == "Namespace") return namespace_cells(o, now);
  if (kind == "Node") return node_cells(o, now);
  if (kind == "Pod") return pod_cells(o, now);
  if (kind == "Service") return service_cells(o, now);
  if (kind == "Endpoints") return endpoints_cells(o, now);
  if (kind == "EndpointSlice") return slice_cells(o, now);
  if (kind == "Event") return event_cells(o, now);
  if (kind == "Deployment") return deployment_cells(o, now);
  if (kind == "Ingress") return ingress_cells(o, now);
  if (kind == "Secret") return secret_cells(o, now);
  if (kind == "ConfigMap") return config_map_cells(o, now);
  return generic_cells(o, now);
}

json partial_metadata(const json& o, const std::string& table_api_version) {
  json meta = o.is_object() && o.contains("metadata") && o["metadata"].is_object() ? o["metadata"] : json::object();
  meta.erase("managedFields");
  return {{"kind", "PartialObjectMetadata"}, {"apiVersion", table_api_version}, {"metadata", meta}};
}

}  // namespace

std::optional<std::string> table_accept(const std::string& accept) {
  for (const std::string& range : split(accept, ',')) {
    std::vector<std::string> parts = split(range, ';');
    std::string type = to_lower(trim(parts[0]));
    std::string g, v, as;
    for (size_t i = 1; i < parts.size(); ++i) {
      std::string p = trim(parts[i]);
      size_t eq = p.find('=');
      if (eq == std::string::npos) continue;
      std::string k = to_lower(p.substr(0, eq));
      if (k == "g") g = p.substr(eq + 1);
      if (k == "v") v = p.substr(eq + 1);
      if (k == "as") as = p.substr(eq + 1);
    }
    if (type == "application/json" && as == "Table" && g == "meta.k8s.io" && (v == "v1" || v == "v1beta1"))
      return "meta.k8s.io/" + v;
  }
  return std::nullopt;
}

json table_columns(const std::string& kind) {
  json out = json::array();
  auto it = columns().find(kind);
  if (it == columns().end()) {
    out.push_back(column_json({"Name", "string", 0, "Name of the object."}));
    out.push_back(column_json({"Age", "string", 0, "CreationTimestamp of the object."}));
    return out;
  }
  for (const Column& c : it->second) out.push_back(column_json(c));
  return out;
}

json table_row(const std::string& kind, const json& object, const TableOptions& options) {
  json row = {{"cells", cells_for(kind, object, options.now)}};
  if (options.include_object == "Object")
    row["object"] = object;
  else if (options.include_object != "None")
    row["object"] = partial_metadata(object, options.api_version);
  return row;
}

json make_table(const std::string& kind, const std::vector<json>& objects,
                const std::string& resource_version, const TableOptions& options) {
  json rows = json::array();
  for (const json& o : objects) rows.push_back(table_row(kind, o, options));
  json table = {{"kind", "Table"},
                {"apiVersion", options.api_version},
                {"metadata", {{"resourceVersion", resource_version}}}};
  if (options.include_columns) table["columnDefinitions"] = table_columns(kind);
  table["rows"] = rows;
  return table;
}

std::string human_duration(core::Nanos d) {
  using namespace std::chrono;
  int64_t seconds = duration_cast<std::chrono::seconds>(d).count();
  if (seconds < -1) return "<invalid>";
  if (seconds < 0) return "0s";
  if (seconds < 60 * 2) return std::to_string(seconds) + "s";
  int64_t minutes = seconds / 60;
  if (minutes < 10) {
    int64_t s = seconds % 60;
    return s == 0 ? std::to_string(minutes) + "m" : std::to_string(minutes) + "m" + std::to_string(s) + "s";
  }
  if (minutes < 60 * 3) return std::to_string(minutes) + "m";
  int64_t hours = minutes / 60;
  if (hours < 8) {
    int64_t m = minutes % 60;
    return m == 0 ? std::to_string(hours) + "h" : std::to_string(hours) + "h" + std::to_string(m) + "m";
  }
  if (hours < 48) return std::to_string(hours) + "h";
  if (hours < 24 * 8) {
    int64_t h = hours % 24;
    return h == 0 ? std::to_string(hours / 24) + "d"
                  : std::to_string(hours / 24) + "d" + std::to_string(h) + "h";
  }
  if (hours < 24 * 365 * 2) return std::to_string(hours / 24) + "d";
  if (hours < 24 * 365 * 8) {
    int64_t dy = (hours / 24) % 365;
    return dy == 0 ? std::to_string(hours / 24 / 365) + "y"
                   : std::to_string(hours / 24 / 365) + "y" + std::to_string(dy) + "d";
  }
  return std::to_string(hours / 24 / 365) + "y";
}

std::optional<core::Nanos> parse_rfc3339(const std::string& s) {
  // YYYY-MM-DDTHH:MM:SS[.frac](Z|+HH:MM|-HH:MM)
  if (s.size() < 20) return std::nullopt;
  auto digits = [&](size_t pos, size_t n, int& out) {
    out = 0;
    for (size_t i = pos; i < pos + n; ++i) {
      if (i >= s.size() || s[i] < '0' || s[i] > '9') return false;
      out = out * 10 + (s[i] - '0');
    }
    return true;
  };
  int Y, M, D, h, m, sec;
  if (!digits(0, 4, Y) || s[4] != '-' || !digits(5, 2, M) || s[7] != '-' || !digits(8, 2, D) ||
      (s[10] != 'T' && s[10] != 't' && s[10] != ' ') || !digits(11, 2, h) || s[13] != ':' ||
      !digits(14, 2, m) || s[16] != ':' || !digits(17, 2, sec))
    return std::nullopt;
  size_t i = 19;
  int64_t frac_ns = 0;
  if (i < s.size() && s[i] == '.') {
    ++i;
    int64_t scale = 100000000;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
      frac_ns += (s[i] - '0') * scale;
      scale /= 10;
      ++i;
    }
  }
  int64_t offset = 0;
  if (i < s.size() && (s[i] == 'Z' || s[i] == 'z')) {
    ++i;
  } else if (i < s.size() && (s[i] == '+' || s[i] == '-')) {
    int oh, om;
    if (!digits(i + 1, 2, oh) || i + 3 >= s.size() || s[i + 3] != ':' || !digits(i + 4, 2, om))
      return std::nullopt;
    offset = (oh * 3600 + om * 60) * (s[i] == '+' ? 1 : -1);
    i += 6;
  } else {
    return std::nullopt;
  }
  if (i != s.size()) return std::nullopt;
  std::tm tm{};
  tm.tm_year = Y - 1900;
  tm.tm_mon = M - 1;
  tm.tm_mday = D;
  tm.tm_hour = h;
  tm.tm_min = m;
  tm.tm_sec = sec;
  int64_t epoch = static_cast<int64_t>(timegm(&tm)) - offset;
  return core::Nanos(epoch * 1000000000LL + frac_ns);
}

std::string age(const json& timestamp, core::Nanos now) {
  if (!timestamp.is_string()) return "<unknown>";
  auto t = parse_rfc3339(timestamp.get<std::string>());
  if (!t) return "<unknown>";
  return human_duration(now - *t);
}

}  // namespace csim::kube::apiserver
