#include "kube/apiserver/endpoint_slices.h"

#include <algorithm>
#include <cctype>

namespace csim::kube::apiserver {

using nlohmann::json;

std::string endpoint_slice_name(const json& endpoints) {
  const json& meta = endpoints.value("metadata", json::object());
  std::string name = meta.is_object() ? meta.value("name", "") : "";
  std::string uid = meta.is_object() ? meta.value("uid", "") : "";
  std::string suffix;
  for (char c : uid) {
    if (suffix.size() == 5) break;
    if (std::isalnum(static_cast<unsigned char>(c))) suffix += c;
  }
  while (suffix.size() < 5) suffix += 'x';
  return name + "-" + suffix;
}

json endpoint_slice_from_endpoints(const json& endpoints) {
  const json empty = json::object();
  const json& meta = endpoints.contains("metadata") && endpoints["metadata"].is_object()
                         ? endpoints["metadata"]
                         : empty;
  const std::string service = meta.value("name", "");
  json labels = meta.contains("labels") && meta["labels"].is_object() ? meta["labels"] : json::object();
  labels["kubernetes.io/service-name"] = service;
  labels["endpointslice.kubernetes.io/managed-by"] = "endpointslicemirroring-controller.k8s.io";
  json slice_meta = {{"name", endpoint_slice_name(endpoints)},
                     {"namespace", meta.value("namespace", "default")},
                     {"labels", labels},
                     {"generateName", service + "-"}};
  for (const char* f : {"uid", "resourceVersion", "creationTimestamp"})
    if (meta.contains(f)) slice_meta[f] = meta[f];
  slice_meta["ownerReferences"] = json::array(
      {{{"apiVersion", "v1"}, {"kind", "Endpoints"}, {"name", service}, {"uid", meta.value("uid", "")}}});

  json eps = json::array();
  json ports = json::array();
  auto add_addresses = [&](const json& list, bool ready) {
    if (!list.is_array()) return;
    for (const json& a : list) {
      if (!a.is_object() || !a.contains("ip")) continue;
      json e = {{"addresses", json::array({a["ip"]})},
                {"conditions", {{"ready", ready}, {"serving", ready}, {"terminating", false}}}};
      if (a.contains("nodeName")) e["nodeName"] = a["nodeName"];
      if (a.contains("targetRef")) e["targetRef"] = a["targetRef"];
      if (a.contains("hostname")) e["hostname"] = a["hostname"];
      eps.push_back(e);
    }
  };
  const json& subsets = endpoints.value("subsets", json::array());
  if (subsets.is_array())
    for (const json& s : subsets) {
      if (!s.is_object()) continue;
      add_addresses(s.value("addresses", json::array()), true);
      add_addresses(s.value("notReadyAddresses", json::array()), false);
      const json& p = s.value("ports", json::array());
      if (p.is_array())
        for (const json& port : p) {
          if (!port.is_object()) continue;
          json sp = json::object();
          // Kubernetes always sets the name ("" for an unnamed Service port); kubectl
          // describe dereferences it.
          sp["name"] = port.value("name", json(""));
          if (port.contains("port")) sp["port"] = port["port"];
          sp["protocol"] = port.value("protocol", json("TCP"));
          if (port.contains("appProtocol")) sp["appProtocol"] = port["appProtocol"];
          if (std::find(ports.begin(), ports.end(), sp) == ports.end()) ports.push_back(sp);
        }
    }
  json slice = {{"kind", "EndpointSlice"},
                {"apiVersion", "discovery.k8s.io/v1"},
                {"metadata", slice_meta},
                {"addressType", "IPv4"},
                {"endpoints", eps},
                {"ports", ports}};
  return slice;
}

}  // namespace csim::kube::apiserver
