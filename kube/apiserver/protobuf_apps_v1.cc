// apps/v1 messages (k8s.io/api/apps/v1/generated.proto): Deployment.
#include "kube/apiserver/protobuf_messages.h"

namespace csim::kube::apiserver::pbmsg {

using namespace pb;

const MessageSpec& deployment() {
  static const MessageSpec spec{
      "Deployment",
      {msg(1, "metadata", object_meta), msg(2, "spec", deployment_spec), msg(3, "status", deployment_status)}};
  return spec;
}

const MessageSpec& deployment_spec() {
  static const MessageSpec spec{
      "DeploymentSpec",
      {integer(1, "replicas", kKeep), msg(2, "selector", label_selector), msg(3, "template", pod_template_spec),
       msg(4, "strategy", deployment_strategy), integer(5, "minReadySeconds"),
       integer(6, "revisionHistoryLimit", kKeep), boolean(7, "paused"),
       integer(9, "progressDeadlineSeconds", kKeep)}};
  return spec;
}

const MessageSpec& deployment_strategy() {
  static const MessageSpec spec{"DeploymentStrategy",
                                {str(1, "type"), msg(2, "rollingUpdate", rolling_update_deployment)}};
  return spec;
}

const MessageSpec& rolling_update_deployment() {
  static const MessageSpec spec{"RollingUpdateDeployment",
                                {int_or_string(1, "maxUnavailable", kKeep), int_or_string(2, "maxSurge", kKeep)}};
  return spec;
}

const MessageSpec& deployment_status() {
  static const MessageSpec spec{
      "DeploymentStatus",
      {integer(1, "observedGeneration"), integer(2, "replicas"), integer(3, "updatedReplicas"),
       integer(7, "readyReplicas"), integer(4, "availableReplicas"), integer(5, "unavailableReplicas"),
       integer(9, "terminatingReplicas", kKeep), msg(6, "conditions", deployment_condition, kRepeated),
       integer(8, "collisionCount", kKeep)}};
  return spec;
}

const MessageSpec& deployment_condition() {
  static const MessageSpec spec{"DeploymentCondition",
                                {str(1, "type", kKeep), str(2, "status", kKeep), time(6, "lastUpdateTime"),
                                 time(7, "lastTransitionTime"), str(4, "reason"), str(5, "message")}};
  return spec;
}

}  // namespace csim::kube::apiserver::pbmsg
