// The Contrail config API as kube-manager and svc-monitor use it (VNC objects over
// SQLite). Calls are synchronous, as VNC REST calls are in Contrail; every successful
// write is one SQLite transaction and then one notification on the bus:
//
//   topic  "config.changed.<type>"   e.g. "config.changed.loadbalancer-pool"
//   body   {"op": "create"|"update"|"delete", "type": ..., "uuid": ...,
//           "fq_name": [...], "summary": "create loadbalancer k8s-default:simple-fanout__<uid>"}
//
// A ref_update publishes "update" for the object that holds the ref.
// Types are Contrail's hyphenated names ("loadbalancer-listener"); property and ref
// names use underscores as in VNC JSON ("loadbalancer_properties",
// "virtual_machine_interface_refs"). Thread-safe.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/status.h"

namespace csim::controller {

using FqName = std::vector<std::string>;

// A link from one object to another, as in VNC: {to, uuid, attr}.
struct Ref {
  std::string type;   // type of the object referred to, e.g. "virtual-network"
  std::string uuid;
  FqName to;          // fq_name of the object referred to (filled in by the API)
  nlohmann::json attr;  // link attribute, or null

  bool operator==(const Ref&) const = default;
};

struct ConfigObject {
  std::string type;
  std::string uuid;            // empty on create: the API makes a uuid4
  FqName fq_name;              // unique per type; last element is the name
  std::string parent_type;     // empty for root objects (e.g. instance-ip)
  std::string parent_uuid;
  nlohmann::json props = nlohmann::json::object();  // property name -> value (incl. display_name, annotations)
  std::vector<Ref> refs;

  // Every field equal (props and attrs as JSON values).
  bool operator==(const ConfigObject&) const = default;
  const std::string& name() const;
  // Ref uuids of one type, in the order stored.
  std::vector<std::string> ref_uuids(const std::string& type) const;
  // A KeyValuePairs annotation ({"key_value_pair":[{key,value}]}) on props["annotations"].
  std::optional<std::string> annotation(const std::string& key) const;
};

void to_json(nlohmann::json& j, const Ref& r);
void from_json(const nlohmann::json& j, Ref& r);
void to_json(nlohmann::json& j, const ConfigObject& o);
void from_json(const nlohmann::json& j, ConfigObject& o);

enum class RefOp { kAdd, kDelete };

class ConfigApi {
 public:
  virtual ~ConfigApi() = default;

  // Creates an object. Fails with kAlreadyExists on a duplicate fq_name of that type,
  // kNotFound when the parent or a ref target does not exist, kInvalid on a missing
  // type or name. Address allocation, as Contrail's api-server does it:
  //  - instance-ip without props.instance_ip_address: the next free address, from the
  //    top of the subnet downward, of the network-ipam subnet that props.subnet_uuid
  //    names, or else of the first subnet of the referenced virtual-network's ipam;
  //    with an address: that address is reserved (kAlreadyExists if taken).
  //  - floating-ip without props.floating_ip_address: likewise from the subnet of the
  //    pool's parent virtual-network.
  // Returns the stored object (uuid, fq_names of refs and allocated address filled in).
  virtual core::Result<ConfigObject> create(ConfigObject object) = 0;

  // Replaces props and refs of an existing object (matched by uuid; type, fq_name
  // and parent cannot change). kNotFound if absent.
  virtual core::Result<ConfigObject> update(ConfigObject object) = 0;

  // Deletes an object. kConflict if it still has children or other objects refer to
  // it (as Contrail refuses), naming them. Frees an allocated address.
  virtual core::Status remove(const std::string& type, const std::string& uuid) = 0;

  // Adds or removes the ref object(type,uuid) -> (ref_type,ref_uuid).
  virtual core::Status ref_update(const std::string& type, const std::string& uuid,
                                  const std::string& ref_type, const std::string& ref_uuid,
                                  RefOp op, nlohmann::json attr = nullptr) = 0;

  virtual std::optional<ConfigObject> read(const std::string& uuid) const = 0;
  virtual std::optional<ConfigObject> read_fq(const std::string& type, const FqName& fq) const = 0;
  // All objects of a type (optionally only children of parent_uuid), ordered by fq_name.
  virtual std::vector<ConfigObject> list(const std::string& type,
                                         const std::string& parent_uuid = "") const = 0;
  // Objects of from_type (any type if empty) that hold a ref to uuid.
  virtual std::vector<ConfigObject> back_refs(const std::string& uuid,
                                              const std::string& from_type = "") const = 0;
  // Children of uuid of child_type (any if empty).
  virtual std::vector<ConfigObject> children(const std::string& uuid,
                                             const std::string& child_type = "") const = 0;

  // Cheap forms of read_fq and back_refs for callers that need the uuids only (a
  // virtual-router refers to every VM of its node: copying it to learn its uuid costs
  // O(VMs)). The defaults go through read_fq / back_refs; the config DB answers from its
  // indexes without building objects.
  virtual std::optional<std::string> uuid_of(const std::string& type, const FqName& fq) const;
  // uuids of the objects of from_type that refer to uuid, in back_refs()' order.
  virtual std::vector<std::string> back_ref_uuids(const std::string& uuid,
                                                  const std::string& from_type) const;
};

}  // namespace csim::controller
