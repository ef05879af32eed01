#include "svcmon/scheduling_event.h"

#include <gtest/gtest.h>

namespace csim::svcmon {
namespace {

LbStatus placed(const std::string& active, const std::string& standby) {
  LbStatus s;
  s.uuid = "6d1c5c1e-0000-4000-8000-000000000001";
  s.service_instance_fq_name = {"default-domain", "k8s-default", "6d1c5c1e"};
  for (int i = 0; i < 2; ++i) {
    InstanceStatus in;
    in.index = i;
    in.vrouter = i == 0 ? active : standby;
    if (in.vrouter.empty()) in.unscheduled_reason = "no vrouters are available";
    in.placement_changed = true;
    s.instances.push_back(in);
  }
  return s;
}

TEST(SchedulingEventTest, FirstPlacementIsToldOnTheLoadbalancersObject) {
  auto e = scheduling_event(nullptr, placed("node-1", "node-2"));
  ASSERT_TRUE(e);
  EXPECT_EQ((*e)["uid"], "6d1c5c1e-0000-4000-8000-000000000001");
  EXPECT_EQ((*e)["reason"], "Scheduled");
  EXPECT_EQ((*e)["type"], "Normal");
  EXPECT_EQ((*e)["component"], "svc-monitor");
  EXPECT_EQ((*e)["host"], "node-1");
  EXPECT_EQ((*e)["message"],
            "scheduled on node-1 (active) and node-2 (standby), service-instance 6d1c5c1e");
}

TEST(SchedulingEventTest, APlacementARestartFindsMadeIsNotToldAgain) {
  LbStatus found = placed("node-1", "node-2");
  for (auto& in : found.instances) in.placement_changed = false;
  EXPECT_FALSE(scheduling_event(nullptr, found));
  found.instances[1].placement_changed = true;  // but the standby had to move
  EXPECT_TRUE(scheduling_event(nullptr, found));
}

TEST(SchedulingEventTest, SamePlacementTellsNothingAgain) {
  const LbStatus a = placed("node-1", "node-2");
  EXPECT_FALSE(scheduling_event(&a, placed("node-1", "node-2")));
}

TEST(SchedulingEventTest, MovedInstanceIsToldAgain) {
  const LbStatus a = placed("node-1", "node-2");
  auto e = scheduling_event(&a, placed("node-3", "node-2"));
  ASSERT_TRUE(e);
  EXPECT_EQ((*e)["message"],
            "scheduled on node-3 (active) and node-2 (standby), service-instance 6d1c5c1e");
  EXPECT_EQ((*e)["host"], "node-3");
}

TEST(SchedulingEventTest, AnUnscheduledInstanceIsAWarningWithItsReason) {
  auto e = scheduling_event(nullptr, placed("node-1", ""));
  ASSERT_TRUE(e);
  EXPECT_EQ((*e)["reason"], "FailedScheduling");
  EXPECT_EQ((*e)["type"], "Warning");
  EXPECT_EQ((*e)["message"],
            "node-1 (active) and standby not scheduled (no vrouters are available), "
            "service-instance 6d1c5c1e");
}

TEST(SchedulingEventTest, NoInstancesNoEvent) {
  LbStatus native;
  native.uuid = "u";
  native.provider = "native";
  EXPECT_FALSE(scheduling_event(nullptr, native));
}

}  // namespace
}  // namespace csim::svcmon
