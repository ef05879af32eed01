// AgentViewsIndex against compute_agent_views() (the from-scratch reference) on the real
// config DB: fixed-seed random sequences of creates, updates, deletes and agent changes,
// and targeted cases that a change recomputes only what it reaches.
#include "controller/agent_views.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <set>

#include "controller/bootstrap.h"
#include "controller/config_db.h"
#include "controller/test_objects.h"
#include "core/bus.h"
#include "core/clock.h"

namespace csim::controller {
namespace {

using nlohmann::json;

Ref ref(const std::string& type, const std::string& uuid, json attr = nullptr) {
  return Ref{type, uuid, {}, std::move(attr)};
}

json subnets(const std::string& ip, int len) {
  return {{"subnets", json::array({{{"subnet", {{"ip_prefix", ip}, {"ip_prefix_len", len}}}}})}};
}

// The real config DB with the networks of a cluster, the index fed from its
// notifications as the control-node feeds it (each changed uuid read once per round).
class Cluster {
 public:
  Cluster() : bus_(clock_, core::Bus::Mode::kDeterministic), db_(bus_, clock_, ":memory:", 5) {
    bus_.subscribe("test", "config.changed.", [this](const core::Envelope& e) {
      changed_.emplace_back(e.body["uuid"].get<std::string>(), e.body["type"].get<std::string>());
    });
    EXPECT_TRUE(provision_defaults(db_).is_ok());
    for (int i = 1; i <= 3; ++i) add_node(i, "169.254.1." + std::to_string(i));
    auto domain = *db_.read_fq("domain", {"default-domain"});
    project_ = create("project", {"default-domain", "k8s"}, domain.uuid);
    auto pod_ipam = create("network-ipam", {"default-domain", "k8s", "pod-ipam"}, project_.uuid, {},
                           {{"ipam_subnets", subnets("10.32.0.0", 12)}});
    pod_vn_ = create("virtual-network", {"default-domain", "k8s", "pod-vn"}, project_.uuid,
                     {ref("network-ipam", pod_ipam.uuid, {{"ipam_subnets", json::array()}})})
                  .uuid;
    auto svc_ipam = create("network-ipam", {"default-domain", "k8s", "svc-ipam"}, project_.uuid, {},
                           {{"ipam_subnets", subnets("10.96.0.0", 12)}});
    svc_vn_ = create("virtual-network", {"default-domain", "k8s", "svc-vn"}, project_.uuid,
                     {ref("network-ipam", svc_ipam.uuid, {{"ipam_subnets", json::array()}})})
                  .uuid;
    pool_ = *db_.read_fq("floating-ip-pool", {"default-domain", "default-project", "__public__",
                                              "__fip_pool_public__"});
    st_ = create("service-template", {"default-domain", "haproxy-template"}, domain.uuid).uuid;
  }

  ConfigObject create(const std::string& type, FqName fq, const std::string& parent_uuid,
                      std::vector<Ref> refs = {}, json props = json::object()) {
    return testing::must_create(db_, type, std::move(fq), parent_uuid, std::move(refs), std::move(props));
  }
  void update(const ConfigObject& o) {
    auto r = db_.update(o);
    EXPECT_TRUE(r.is_ok()) << r.status().to_string();
  }
  void link(const std::string& type, const std::string& uuid, const std::string& ref_type,
            const std::string& ref_uuid, RefOp op = RefOp::kAdd) {
    auto s = db_.ref_update(type, uuid, ref_type, ref_uuid, op);
    EXPECT_TRUE(s.is_ok()) << s.to_string();
  }
  void remove(const std::string& type, const std::string& uuid) {
    auto s = db_.remove(type, uuid);
    EXPECT_TRUE(s.is_ok()) << type << " " << uuid << ": " << s.to_string();
  }

  void add_node(int i, const std::string& ip) {
    auto vr = add_virtual_router(db_, "node-" + std::to_string(i), ip);
    ASSERT_TRUE(vr.is_ok()) << vr.status().to_string();
    vr_[i] = *vr;
  }

  // Feeds what changed since the last call, then updates. With `rng` (the property
  // test), as the control-node may hear of objects: in random order, and some a round
  // late: a random part is applied first, updated and every view taken (walks cached),
  // the rest after; the returned Update covers both rounds.
  AgentViewsIndex::Update sync(std::mt19937_64* rng = nullptr) {
    bus_.run_until_idle();
    std::map<std::string, std::string> dedup(changed_.begin(), changed_.end());
    changed_.clear();
    std::vector<std::pair<std::string, std::string>> order(dedup.begin(), dedup.end());
    AgentViewsIndex::Update early;
    if (rng) {
      std::shuffle(order.begin(), order.end(), *rng);
      const size_t late = order.empty() ? 0 : (*rng)() % (order.size() + 1);
      for (size_t i = 0; i < order.size() - late; ++i)
        index_.apply(order[i].second, order[i].first, db_.read(order[i].first));
      order.erase(order.begin(), order.end() - static_cast<long>(late));
      index_.set_live(live_);
      early = index_.update();
      check_unflagged_views_kept(early, "early part");
    }
    for (const auto& [uuid, type] : order) index_.apply(type, uuid, db_.read(uuid));
    index_.set_live(live_);
    auto out = index_.update();
    if (rng) check_unflagged_views_kept(out, "late part");
    out.nodes.insert(early.nodes.begin(), early.nodes.end());
    out.gateway |= early.gateway;
    return out;
  }

  // What the control-node relies on to skip views: a live node that update() does not
  // name has the view it had after the previous update(), and so has the gateway.
  void check_unflagged_views_kept(const AgentViewsIndex::Update& u, const std::string& where) {
    for (const auto& [node, underlay] : live_) {
      json view = index_.view(node);
      auto last = last_views_.find(node);
      if (last != last_views_.end() && !u.nodes.count(node)) {
        EXPECT_EQ(view, last->second) << where << ": " << node << " changed but not flagged";
      }
      last_views_[node] = std::move(view);
    }
    if (!u.gateway && !last_gateway_.is_null()) {
      EXPECT_EQ(index_.gateway_routes(), last_gateway_) << where << ": gateway";
    }
    last_gateway_ = index_.gateway_routes();
  }
  std::map<std::string, json> last_views_;
  json last_gateway_;

  // Every live view and the gateway equal the from-scratch computation (returned).
  AgentViews expect_equal_to_reference(const std::string& where) {
    AgentViews ref = compute_agent_views(db_, live_);
    check_reference(ref, where);
    return ref;
  }
  void check_reference(const AgentViews& ref, const std::string& where) {
    for (const auto& [node, view] : ref.nodes)
      ASSERT_EQ(index_.view(node), view) << where << ": view of " << node;
    ASSERT_EQ(index_.gateway_routes(), ref.gateway_routes) << where << ": gateway";
    for (int i = 1; i <= 4; ++i) {
      const std::string node = "node-" + std::to_string(i);
      if (!live_.count(node)) {
        ASSERT_TRUE(index_.view(node).is_null()) << where << ": " << node;
      }
    }
  }

  core::SimulatedClock clock_;
  core::Bus bus_;
  ConfigDb db_;
  AgentViewsIndex index_;
  LiveAgents live_;
  std::vector<std::pair<std::string, std::string>> changed_;  // (uuid, type)
  std::map<int, std::string> vr_;
  ConfigObject project_, pool_;
  std::string pod_vn_, svc_vn_, st_;
};

// ---- the property test ------------------------------------------------------------------

struct Pod {
  std::string vm, vmi;
  std::vector<std::string> iips;
};
struct Service {
  std::string vmi, iip, fip;
};

class RandomWorld {
 public:
  RandomWorld(Cluster& c, uint64_t seed) : c_(c), rng_(seed) {}

  int pick(int n) { return static_cast<int>(rng_() % static_cast<uint64_t>(n)); }
  template <class T>
  T& any(std::vector<T>& v) {
    return v[pick(static_cast<int>(v.size()))];
  }
  std::string node() { return "node-" + std::to_string(1 + pick(4)); }
  // A virtual-router of node-1..3, or node-4's while it exists.
  std::string any_vr() {
    const int i = 1 + pick(c_.vr_.count(4) ? 4 : 3);
    return c_.vr_[i];
  }

  json port_mappings() {
    json list = json::array();
    for (int k = 0, n = 1 + pick(2); k < n; ++k)
      list.push_back({{"protocol", pick(4) ? "TCP" : "UDP"},
                      {"src_port", 80 + pick(3)},
                      {"dst_port", 8080 + pick(2)}});
    return {{"port_mappings", list}};
  }
  std::vector<Ref> some_pod_vmis() {
    std::vector<Ref> out;
    std::set<std::string> seen;
    for (int k = 0, n = pick(3); k < n && !pods_.empty(); ++k) {
      const std::string vmi = any(pods_).vmi;
      if (seen.insert(vmi).second) out.push_back(ref("virtual-machine-interface", vmi));
    }
    return out;
  }

  void create_pod() {
    const std::string n = "pod-" + std::to_string(next_++);
    Pod p;
    p.vm = c_.create("virtual-machine", {n}, "").uuid;
    json props = json::object();
    if (pick(3) == 0)
      props["virtual_machine_interface_properties"] = {{"local_preference", 100 + 100 * pick(2)}};
    p.vmi = c_.create("virtual-machine-interface", {"default-domain", "k8s", n}, c_.project_.uuid,
                      {ref("virtual-machine", p.vm), ref("virtual-network", c_.pod_vn_)}, props)
                .uuid;
    p.iips.push_back(
        c_.create("instance-ip", {n + "-iip"}, "",
                  {ref("virtual-network", c_.pod_vn_), ref("virtual-machine-interface", p.vmi)})
            .uuid);
    if (pick(4)) c_.link("virtual-router", any_vr(), "virtual-machine", p.vm);
    pods_.push_back(p);
  }

  // Unlinks from every holder of a ref to `uuid` of `type` (as svc-monitor / kube-manager
  // do before a delete).
  void unlink_all(const std::string& uuid, const std::string& type) {
    for (const auto& holder : c_.db_.back_refs(uuid))
      c_.link(holder.type, holder.uuid, type, uuid, RefOp::kDelete);
  }

  void delete_pod() {
    if (pods_.empty()) return;
    const size_t i = pick(static_cast<int>(pods_.size()));
    Pod p = pods_[i];
    pods_.erase(pods_.begin() + static_cast<long>(i));
    for (const auto& iip : p.iips) c_.remove("instance-ip", iip);
    unlink_all(p.vmi, "virtual-machine-interface");
    c_.remove("virtual-machine-interface", p.vmi);
    unlink_all(p.vm, "virtual-machine");
    c_.remove("virtual-machine", p.vm);
  }

  void move_vm() {
    if (pods_.empty()) return;
    const Pod& p = any(pods_);
    const std::string vr = any_vr();
    c_.link("virtual-router", vr, "virtual-machine", p.vm, pick(2) ? RefOp::kAdd : RefOp::kDelete);
  }

  void update_vmi() {
    if (pods_.empty()) return;
    ConfigObject vmi = *c_.db_.read(any(pods_).vmi);
    switch (pick(3)) {
      case 0:
        vmi.props["virtual_machine_interface_properties"] = {
            {"local_preference", 100 + 100 * pick(2)}};
        break;
      case 1:
        vmi.props.erase("virtual_machine_interface_properties");
        break;
      default:
        vmi.props["display_name"] = "renamed-" + std::to_string(next_++);
    }
    c_.update(vmi);
  }

  void add_or_remove_second_iip() {
    if (pods_.empty()) return;
    Pod& p = any(pods_);
    if (p.iips.size() > 1 && pick(2)) {
      c_.remove("instance-ip", p.iips.back());
      p.iips.pop_back();
      return;
    }
    // Named so that it sorts before or after the first one (fixed_ip_of takes the first).
    const std::string name = (pick(2) ? "a-" : "z-") + std::to_string(next_++);
    p.iips.push_back(
        c_.create("instance-ip", {name}, "",
                  {ref("virtual-network", c_.pod_vn_), ref("virtual-machine-interface", p.vmi)})
            .uuid);
  }

  void create_service() {
    const std::string n = "svc-" + std::to_string(next_++);
    Service s;
    s.vmi = c_.create("virtual-machine-interface", {"default-domain", "k8s", n}, c_.project_.uuid,
                      {ref("virtual-network", c_.svc_vn_)})
                .uuid;
    s.iip = c_.create("instance-ip", {n + "-iip"}, "",
                      {ref("virtual-network", c_.svc_vn_), ref("virtual-machine-interface", s.vmi)})
                .uuid;
    s.fip = c_.create("floating-ip", {n + "-iip", n}, s.iip, some_pod_vmis(),
                      {{"floating_ip_port_mappings", port_mappings()}})
                .uuid;
    services_.push_back(s);
  }

  void update_service() {
    if (services_.empty()) return;
    ConfigObject fip = *c_.db_.read(any(services_).fip);
    if (pick(2)) {
      fip.refs = some_pod_vmis();
    } else {
      fip.props["floating_ip_port_mappings"] = port_mappings();
    }
    c_.update(fip);
  }

  void delete_service() {
    if (services_.empty()) return;
    const size_t i = pick(static_cast<int>(services_.size()));
    Service s = services_[i];
    services_.erase(services_.begin() + static_cast<long>(i));
    c_.remove("floating-ip", s.fip);
    c_.remove("instance-ip", s.iip);
    c_.remove("virtual-machine-interface", s.vmi);
  }

  void public_fip() {
    if (!public_fips_.empty() && pick(3) == 0) {
      const size_t i = pick(static_cast<int>(public_fips_.size()));
      c_.remove("floating-ip", public_fips_[i]);
      public_fips_.erase(public_fips_.begin() + static_cast<long>(i));
      return;
    }
    if (!public_fips_.empty() && pick(2)) {
      ConfigObject fip = *c_.db_.read(any(public_fips_));
      fip.refs = some_pod_vmis();
      if (pick(2))
        fip.props["floating_ip_fixed_ip_address"] = "10.1.2." + std::to_string(pick(9));
      else
        fip.props.erase("floating_ip_fixed_ip_address");
      c_.update(fip);
      return;
    }
    FqName fq = c_.pool_.fq_name;
    fq.push_back("pub-" + std::to_string(next_++));
    public_fips_.push_back(c_.create("floating-ip", fq, c_.pool_.uuid, some_pod_vmis()).uuid);
  }

  void service_instance() {
    if (!sis_.empty() && pick(3) == 0) {
      const size_t i = pick(static_cast<int>(sis_.size()));
      unlink_all(sis_[i], "service-instance");
      c_.remove("service-instance", sis_[i]);
      sis_.erase(sis_.begin() + static_cast<long>(i));
      return;
    }
    if (!sis_.empty() && !pods_.empty() && pick(2)) {
      c_.link("virtual-machine", any(pods_).vm, "service-instance", any(sis_),
              pick(3) ? RefOp::kAdd : RefOp::kDelete);
      return;
    }
    sis_.push_back(c_.create("service-instance",
                             {"default-domain", "k8s", "si-" + std::to_string(next_++)},
                             c_.project_.uuid, {ref("service-template", c_.st_)})
                       .uuid);
  }

  void network_or_router() {
    if (pick(3) == 0) {  // node-4's virtual-router comes or goes (with the VMs it hosts)
      if (c_.vr_.count(4)) {
        c_.remove("virtual-router", c_.vr_[4]);
        c_.vr_.erase(4);
      } else {
        c_.add_node(4, "169.254.1.4");
      }
      return;
    }
    if (pick(2)) {
      ConfigObject vn = *c_.db_.read(c_.pod_vn_);
      vn.props["display_name"] = "pods-" + std::to_string(next_++);
      c_.update(vn);
    } else {
      const int i = 1 + pick(3);
      auto vr =
          add_virtual_router(c_.db_, "node-" + std::to_string(i),
                             "169.254." + std::to_string(1 + pick(2)) + "." + std::to_string(i));
      EXPECT_TRUE(vr.is_ok());
    }
  }

  void agents() {
    const std::string n = node();
    switch (pick(3)) {
      case 0:
        c_.live_.erase(n);
        break;
      case 1:
        c_.live_[n] = "";
        break;  // underlay unknown: the VR's address is used
      default:
        c_.live_[n] = "169.254.9." + n.substr(5);
    }
  }

  void step() {
    switch (pick(14)) {
      case 0:
      case 1:
        create_pod();
        break;
      case 2:
        delete_pod();
        break;
      case 3:
        move_vm();
        break;
      case 4:
        update_vmi();
        break;
      case 5:
        add_or_remove_second_iip();
        break;
      case 6:
        create_service();
        break;
      case 7:
        update_service();
        break;
      case 8:
        delete_service();
        break;
      case 9:
        public_fip();
        break;
      case 10:
        service_instance();
        break;
      case 11:
        network_or_router();
        break;
      default:
        agents();
    }
  }

  std::mt19937_64& rng() { return rng_; }

 private:
  Cluster& c_;
  std::mt19937_64 rng_;
  int next_ = 0;
  std::vector<Pod> pods_;
  std::vector<Service> services_;
  std::vector<std::string> public_fips_, sis_;
};

TEST(AgentViewsIndex, RandomChangesGiveTheFromScratchViews) {
  for (uint64_t seed : {1, 2, 3}) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    Cluster c;
    RandomWorld w(c, seed);
    c.live_ = {{"node-1", "169.254.1.1"}, {"node-2", "169.254.1.2"}};
    for (int i = 0; i < 6; ++i) w.create_pod();
    c.index_.load(c.db_);
    c.changed_.clear();
    c.sync();
    AgentViews before = c.expect_equal_to_reference("after load");
    for (int round = 0; round < 150; ++round) {
      const std::string where = "round " + std::to_string(round);
      for (int k = 0, n = 1 + w.pick(3); k < n; ++k) w.step();
      auto update = c.sync(&w.rng());
      AgentViews now = compute_agent_views(c.db_, c.live_);
      ASSERT_NO_FATAL_FAILURE(c.check_reference(now, where));
      // What update() leaves out did not change: the control-node skips those views.
      for (const auto& [node, view] : now.nodes) {
        auto old = before.nodes.find(node);
        if (old != before.nodes.end() && old->second != view) {
          EXPECT_TRUE(update.nodes.count(node)) << where << ": " << node << " changed unflagged";
        }
      }
      if (now.gateway_routes != before.gateway_routes) {
        EXPECT_TRUE(update.gateway) << where << ": gateway changed unflagged";
      }
      before = std::move(now);
    }
  }
}

// The views are rebuilt from the mirror alone: a fresh load gives the same as the index
// that followed every change.
TEST(AgentViewsIndex, LoadEqualsFollowingTheChanges) {
  Cluster c;
  RandomWorld w(c, 9);
  c.live_ = {{"node-1", "169.254.1.1"}, {"node-2", ""}, {"node-3", "169.254.1.3"}};
  c.index_.load(c.db_);
  c.changed_.clear();
  for (int i = 0; i < 300; ++i) w.step();
  c.sync();
  c.expect_equal_to_reference("followed");
  AgentViewsIndex fresh;
  fresh.load(c.db_);
  fresh.set_live(c.live_);
  fresh.update();
  for (const auto& [node, underlay] : c.live_) EXPECT_EQ(fresh.view(node), c.index_.view(node));
  EXPECT_EQ(fresh.gateway_routes(), c.index_.gateway_routes());
}

// ---- what one change recomputes ---------------------------------------------------------

class Targeted : public ::testing::Test {
 protected:
  void SetUp() override {
    // 40 pods on node-1 and node-2, 20 services over them, 2 public floating-ips.
    for (int i = 0; i < 40; ++i) {
      const std::string n = "pod-" + std::to_string(i);
      Pod p;
      p.vm = c_.create("virtual-machine", {n}, "").uuid;
      p.vmi = c_.create("virtual-machine-interface", {"default-domain", "k8s", n}, c_.project_.uuid,
                        {ref("virtual-machine", p.vm), ref("virtual-network", c_.pod_vn_)})
                  .uuid;
      p.iips.push_back(
          c_.create("instance-ip", {n + "-iip"}, "",
                    {ref("virtual-network", c_.pod_vn_), ref("virtual-machine-interface", p.vmi)})
              .uuid);
      c_.link("virtual-router", c_.vr_[1 + i % 2], "virtual-machine", p.vm);
      pods_.push_back(p);
    }
    for (int i = 0; i < 20; ++i) {
      const std::string n = "svc-" + std::to_string(i);
      Service s;
      s.vmi = c_.create("virtual-machine-interface", {"default-domain", "k8s", n}, c_.project_.uuid,
                        {ref("virtual-network", c_.svc_vn_)})
                  .uuid;
      s.iip =
          c_.create("instance-ip", {n + "-iip"}, "",
                    {ref("virtual-network", c_.svc_vn_), ref("virtual-machine-interface", s.vmi)})
              .uuid;
      s.fip =
          c_.create(
                "floating-ip", {n + "-iip", n}, s.iip,
                {ref("virtual-machine-interface", pods_[2 * i].vmi),
                 ref("virtual-machine-interface", pods_[2 * i + 1].vmi)},
                {{"floating_ip_port_mappings",
                  {{"port_mappings",
                    json::array({{{"protocol", "TCP"}, {"src_port", 80}, {"dst_port", 8080}}})}}}})
              .uuid;
      services_.push_back(s);
    }
    for (int i = 0; i < 2; ++i) {
      FqName fq = c_.pool_.fq_name;
      fq.push_back("pub-" + std::to_string(i));
      public_.push_back(c_.create("floating-ip", fq, c_.pool_.uuid,
                                  {ref("virtual-machine-interface", pods_[i].vmi)})
                            .uuid);
    }
    c_.live_ = {{"node-1", "169.254.1.1"}, {"node-2", "169.254.1.2"}, {"node-3", "169.254.1.3"}};
    c_.index_.load(c_.db_);
    c_.changed_.clear();
    c_.sync();
    c_.expect_equal_to_reference("setup");
  }

  Cluster c_;
  std::vector<Pod> pods_;
  std::vector<Service> services_;
  std::vector<std::string> public_;
};

TEST_F(Targeted, AnObjectInOneViewRebuildsOnlyThatView) {
  ConfigObject vm = *c_.db_.read(pods_[1].vm);  // on node-2
  vm.props["display_name"] = "pod-1 (renamed)";
  c_.update(vm);
  auto u = c_.sync();
  EXPECT_EQ(u.nodes, std::set<std::string>{"node-2"});
  EXPECT_FALSE(u.gateway);
  EXPECT_EQ(c_.index_.stats().prefixes, 0u);
  EXPECT_EQ(c_.index_.stats().floating_ips, 0u);
  EXPECT_EQ(c_.index_.stats().walk_changes, 0u) << "the same objects are reached";
  c_.expect_equal_to_reference("after rename");
  EXPECT_EQ(c_.index_.stats().walks, 0u) << "no walk is rebuilt";
}

TEST_F(Targeted, OneServiceChangeRecomputesOneFloatingIp) {
  // svc-monitor changes one Service's port mapping: its entry changes in every view (every
  // node gets every service), nothing else is recomputed.
  ConfigObject fip = *c_.db_.read(services_[3].fip);
  fip.props["floating_ip_port_mappings"]["port_mappings"][0]["dst_port"] = 9090;
  c_.update(fip);
  auto u = c_.sync();
  EXPECT_EQ(c_.index_.stats().floating_ips, 1u);
  EXPECT_EQ(c_.index_.stats().prefixes, 0u);
  EXPECT_EQ(u.nodes, (std::set<std::string>{"node-1", "node-2", "node-3"}));
  EXPECT_FALSE(u.gateway);
  EXPECT_EQ(c_.index_.stats().walk_changes, 0u);
  c_.expect_equal_to_reference("after port change");
}

TEST_F(Targeted, AChangeNoViewShowsRecomputesNothingVisible) {
  // A floating-ip without port mappings adds no service; unreferenced VM reaches no walk.
  c_.create("virtual-machine", {"unscheduled"}, "");
  auto u = c_.sync();
  EXPECT_TRUE(u.nodes.empty());
  EXPECT_FALSE(u.gateway);
  EXPECT_EQ(c_.index_.stats().prefixes + c_.index_.stats().floating_ips, 0u);
}

TEST_F(Targeted, MovingOnePodTouchesItsPrefixAndItsServiceOnly) {
  c_.link("virtual-router", c_.vr_[2], "virtual-machine", pods_[5].vm, RefOp::kDelete);
  c_.link("virtual-router", c_.vr_[3], "virtual-machine", pods_[5].vm);
  auto u = c_.sync();
  EXPECT_EQ(c_.index_.stats().prefixes, 1u);
  EXPECT_EQ(c_.index_.stats().floating_ips, 1u) << "the service over pod-5";
  EXPECT_EQ(u.nodes.size(), 3u) << "its route changed in every view";
  // Its VM, VMI, instance-ip and the floating-ip of its service leave node-2's walk (4)
  // and enter node-3's, with the pod network and its ipam (node-3 hosted nothing) (6).
  EXPECT_EQ(c_.index_.stats().walk_changes, 10u);
  c_.expect_equal_to_reference("after move");
  EXPECT_EQ(c_.index_.stats().walks, 0u);
}

TEST_F(Targeted, PublicFloatingIpTouchesTheGatewayAndItsNode) {
  ConfigObject fip = *c_.db_.read(public_[1]);
  fip.refs = {ref("virtual-machine-interface", pods_[2].vmi)};  // pod-1 (node-2) -> pod-2 (node-1)
  c_.update(fip);
  auto u = c_.sync();
  EXPECT_TRUE(u.gateway);
  EXPECT_EQ(c_.index_.stats().floating_ips, 1u);
  EXPECT_EQ(c_.index_.stats().prefixes, 0u);
  EXPECT_EQ(u.nodes, (std::set<std::string>{"node-1", "node-2"}))
      << "NAT moved from node-2 to node-1, both walks reach the floating-ip";
  c_.expect_equal_to_reference("after fip move");
}

TEST_F(Targeted, LiveAgentsChangeRecomputesEverything) {
  c_.live_.erase("node-3");
  auto u = c_.sync();
  EXPECT_EQ(u.nodes, (std::set<std::string>{"node-1", "node-2"}));
  EXPECT_TRUE(u.gateway);
  EXPECT_EQ(c_.index_.stats().prefixes, 60u) << "every instance-ip: 40 pods, 20 clusterIPs";
  EXPECT_EQ(c_.index_.stats().floating_ips, 22u) << "every floating-ip: 20 services, 2 public";
  c_.expect_equal_to_reference("after node-3 down");
}

}  // namespace
}  // namespace csim::controller
