// meta/v1 messages (k8s.io/apimachinery/pkg/apis/meta/v1/generated.proto).
#include "kube/apiserver/protobuf_messages.h"

namespace csim::kube::apiserver::pbmsg {

using namespace pb;

const MessageSpec& object_meta() {
  static const MessageSpec spec{
      "ObjectMeta",
      {str(1, "name"), str(2, "generateName"), str(3, "namespace"),
       ignore(4, "selfLink"),  // deprecated; the server never keeps it
       str(5, "uid"), str(6, "resourceVersion"), integer(7, "generation"), time(8, "creationTimestamp"),
       time(9, "deletionTimestamp"), integer(10, "deletionGracePeriodSeconds", kKeep),
       string_map(11, "labels"), string_map(12, "annotations"),
       msg(13, "ownerReferences", owner_reference, kRepeated), str(14, "finalizers", kRepeated),
       ignore(17, "managedFields")}};  // the server's own bookkeeping; csim keeps none
  return spec;
}

const MessageSpec& owner_reference() {
  static const MessageSpec spec{
      "OwnerReference",
      {str(5, "apiVersion", kKeep), str(1, "kind", kKeep), str(3, "name", kKeep), str(4, "uid", kKeep),
       boolean(6, "controller", kKeep), boolean(7, "blockOwnerDeletion", kKeep)}};
  return spec;
}

const MessageSpec& label_selector() {
  static const MessageSpec spec{
      "LabelSelector",
      {string_map(1, "matchLabels"), msg(2, "matchExpressions", label_selector_requirement, kRepeated)}};
  return spec;
}

const MessageSpec& label_selector_requirement() {
  static const MessageSpec spec{
      "LabelSelectorRequirement",
      {str(1, "key", kKeep), str(2, "operator", kKeep), str(3, "values", kRepeated)}};
  return spec;
}

const MessageSpec& condition() {
  static const MessageSpec spec{
      "Condition",
      {str(1, "type", kKeep), str(2, "status", kKeep), integer(3, "observedGeneration"),
       time(4, "lastTransitionTime"), str(5, "reason", kKeep), str(6, "message", kKeep)}};
  return spec;
}

}  // namespace csim::kube::apiserver::pbmsg
