#include "agent/netlink.h"

#include <arpa/inet.h>
#include <linux/if.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/ip.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <functional>
#include <map>

namespace csim::agent {
namespace {

std::string errno_text(int err) {
  char buf[128];
  return strerror_r(err, buf, sizeof buf);
}

// Builds one netlink message: header, fixed struct, attributes (with nesting).
class MsgBuilder {
 public:
  MsgBuilder(uint16_t type, uint16_t flags) {
    buf_.resize(NLMSG_HDRLEN);
    auto* h = header();
    h->nlmsg_type = type;
    h->nlmsg_flags = flags;
  }
  template <class T>
  void put(const T& body) {
    append(&body, sizeof body);
    pad();
  }
  void attr(uint16_t type, const void* data, size_t len) {
    struct nlattr a;
    a.nla_type = type;
    a.nla_len = static_cast<uint16_t>(NLA_HDRLEN + len);
    append(&a, sizeof a);
    append(data, len);
    pad();
  }
  void attr_u32(uint16_t type, uint32_t v) { attr(type, &v, sizeof v); }
  void attr_str(uint16_t type, const std::string& s) { attr(type, s.c_str(), s.size() + 1); }
  size_t begin_nest(uint16_t type) {
    size_t off = buf_.size();
    struct nlattr a;
    a.nla_type = type;
    a.nla_len = 0;
    append(&a, sizeof a);
    return off;
  }
  void end_nest(size_t off) {
    auto* a = reinterpret_cast<struct nlattr*>(buf_.data() + off);
    a->nla_len = static_cast<uint16_t>(buf_.size() - off);
  }
  // Raw bytes inside a nest (VETH_INFO_PEER carries an ifinfomsg).
  template <class T>
  void raw(const T& body) {
    append(&body, sizeof body);
    pad();
  }
  std::vector<uint8_t> finish() {
    header()->nlmsg_len = static_cast<uint32_t>(buf_.size());
    return std::move(buf_);
  }

 private:
  struct nlmsghdr* header() {
    return reinterpret_cast<struct nlmsghdr*>(buf_.data());
  }
  void append(const void* p, size_t n) {
    const auto* b = static_cast<const uint8_t*>(p);
    buf_.insert(buf_.end(), b, b + n);
  }
  void pad() { buf_.resize(NLMSG_ALIGN(buf_.size()), 0); }

  std::vector<uint8_t> buf_;
};

bool parse_mac(const std::string& text, uint8_t out[6]) {
  if (text.size() != 17) return false;
  for (int i = 0; i < 6; ++i) {
    unsigned v = 0;
    for (int j = 0; j < 2; ++j) {
      char c = text[i * 3 + j];
      v <<= 4;
      if (c >= '0' && c <= '9')
        v |= c - '0';
      else if (c >= 'a' && c <= 'f')
        v |= c - 'a' + 10;
      else if (c >= 'A' && c <= 'F')
        v |= c - 'A' + 10;
      else
        return false;
    }
    if (i < 5 && text[i * 3 + 2] != ':') return false;
    out[i] = static_cast<uint8_t>(v);
  }
  return true;
}

// Walks the attributes of a message body starting at `off`.
void for_each_attr(const uint8_t* data, size_t len,
                   const std::function<void(uint16_t, const uint8_t*, size_t)>& fn) {
  size_t pos = 0;
  while (pos + NLA_HDRLEN <= len) {
    const auto* a = reinterpret_cast<const struct nlattr*>(data + pos);
    if (a->nla_len < NLA_HDRLEN || pos + a->nla_len > len) break;
    fn(a->nla_type & NLA_TYPE_MASK, data + pos + NLA_HDRLEN, a->nla_len - NLA_HDRLEN);
    pos += NLA_ALIGN(a->nla_len);
  }
}

// Sends `msg` on fd and reads replies until the ack (or the end of a dump). Replies other
// than the ack go to on_reply. Returns errno-style error and the kernel's message.
int transact(int fd, uint32_t seq, std::vector<uint8_t>& msg, bool dump,
             const std::function<void(const struct nlmsghdr*)>& on_reply, std::string* ext_msg) {
  auto* h = reinterpret_cast<struct nlmsghdr*>(msg.data());
  h->nlmsg_seq = seq;
  struct sockaddr_nl kernel;
  std::memset(&kernel, 0, sizeof kernel);
  kernel.nl_family = AF_NETLINK;
  ssize_t sent;
  do {
    sent = sendto(fd, msg.data(), msg.size(), 0, reinterpret_cast<struct sockaddr*>(&kernel),
                  sizeof kernel);
  } while (sent < 0 && errno == EINTR);
  if (sent < 0) return errno;

  std::vector<uint8_t> buf(65536);
  for (;;) {
    ssize_t n = recv(fd, buf.data(), buf.size(), 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    size_t len = static_cast<size_t>(n);
    for (auto* r = reinterpret_cast<struct nlmsghdr*>(buf.data()); NLMSG_OK(r, len);
         r = NLMSG_NEXT(r, len)) {
      if (r->nlmsg_seq != seq) continue;  // a stale reply of an earlier request
      if (r->nlmsg_type == NLMSG_DONE) return 0;
      if (r->nlmsg_type == NLMSG_ERROR) {
        const auto* e = static_cast<const struct nlmsgerr*>(NLMSG_DATA(r));
        if (e->error != 0 && (r->nlmsg_flags & NLM_F_ACK_TLVS)) {
          // With NETLINK_CAP_ACK the TLVs follow the request's header only.
          size_t off = NLMSG_HDRLEN + sizeof(struct nlmsgerr);
          if (!(r->nlmsg_flags & NLM_F_CAPPED)) off += e->msg.nlmsg_len - NLMSG_HDRLEN;
          if (off < r->nlmsg_len) {
            for_each_attr(reinterpret_cast<const uint8_t*>(r) + off, r->nlmsg_len - off,
                          [&](uint16_t type, const uint8_t* d, size_t l) {
                            if (type == NLMSGERR_ATTR_MSG && l > 0)
                              *ext_msg = std::string(reinterpret_cast<const char*>(d),
                                                     strnlen(reinterpret_cast<const char*>(d), l));
                          });
          }
        }
        if (e->error != 0 || !dump) return -e->error;
        continue;
      }
      on_reply(r);
    }
  }
}

}  // namespace

bool RouteSpec::operator==(const RouteSpec& o) const {
  return dst == o.dst && gateway == o.gateway && dev == o.dev && onlink == o.onlink && src == o.src;
}

std::string RouteSpec::str() const {
  std::string s = dst.str();
  if (gateway) s += " via " + gateway->str();
  if (!dev.empty()) s += " dev " + dev;
  if (onlink) s += " onlink";
  if (src) s += " src " + src->str();
  return s;
}

core::Result<std::unique_ptr<Rtnl>> Rtnl::open(std::string label) {
  int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
  if (fd < 0) return core::unavailable("netlink socket in " + label + ": " + errno_text(errno));
  int one = 1;
  setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof one);
  setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof one);
  struct sockaddr_nl local;
  std::memset(&local, 0, sizeof local);
  local.nl_family = AF_NETLINK;
  if (bind(fd, reinterpret_cast<struct sockaddr*>(&local), sizeof local) != 0) {
    int err = errno;
    close(fd);
    return core::unavailable("bind netlink socket in " + label + ": " + errno_text(err));
  }
  return std::unique_ptr<Rtnl>(new Rtnl(fd, std::move(label)));
}

Rtnl::~Rtnl() { close(fd_); }

core::Status Rtnl::request(std::vector<uint8_t>& msg, const std::string& what) {
  std::string ext;
  int err = transact(
      fd_, seq_++, msg, false, [](const struct nlmsghdr*) {}, &ext);
  if (err == 0) return core::Status::ok();
  std::string text = what + " in " + label_ + ": " + errno_text(err);
  if (!ext.empty()) text += " (" + ext + ")";
  return core::unavailable(text);
}

core::Result<int> Rtnl::link_index_locked(const std::string& name) {
  if (name.empty() || name.size() >= IFNAMSIZ)
    return core::invalid("bad device name '" + name + "'");
  MsgBuilder b(RTM_GETLINK, NLM_F_REQUEST | NLM_F_ACK);
  struct ifinfomsg ifi;
  std::memset(&ifi, 0, sizeof ifi);
  ifi.ifi_family = AF_UNSPEC;
  b.put(ifi);
  b.attr_str(IFLA_IFNAME, name);
  auto msg = b.finish();
  int index = -1;
  std::string ext;
  int err = transact(
      fd_, seq_++, msg, false,
      [&](const struct nlmsghdr* r) {
        if (r->nlmsg_type == RTM_NEWLINK)
          index = static_cast<const struct ifinfomsg*>(NLMSG_DATA(r))->ifi_index;
      },
      &ext);
  if (err == ENODEV) return core::not_found("no device " + name + " in " + label_);
  if (err != 0)
    return core::unavailable("look up device " + name + " in " + label_ + ": " + errno_text(err));
  if (index <= 0) return core::not_found("no device " + name + " in " + label_);
  return index;
}

core::Result<int> Rtnl::link_index(const std::string& name) {
  std::lock_guard lock(mu_);
  return link_index_locked(name);
}

core::Status Rtnl::add_veth(const VethEnd& a, const VethEnd& b) {
  for (const auto* end : {&a, &b}) {
    if (end->name.empty() || end->name.size() >= IFNAMSIZ) {
      return core::invalid("veth name '" + end->name + "' must have 1..15 characters");
    }
  }
  uint8_t mac_a[6], mac_b[6];
  if (!a.mac.empty() && !parse_mac(a.mac, mac_a)) return core::invalid("bad MAC " + a.mac);
  if (!b.mac.empty() && !parse_mac(b.mac, mac_b)) return core::invalid("bad MAC " + b.mac);

  MsgBuilder m(RTM_NEWLINK, NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL);
  struct ifinfomsg ifi;
  std::memset(&ifi, 0, sizeof ifi);
  ifi.ifi_family = AF_UNSPEC;
  ifi.ifi_flags = a.up ? IFF_UP : 0;
  ifi.ifi_change = IFF_UP;
  m.put(ifi);
  m.attr_str(IFLA_IFNAME, a.name);
  if (!a.mac.empty()) m.attr(IFLA_ADDRESS, mac_a, 6);
  if (a.netns_fd >= 0) m.attr_u32(IFLA_NET_NS_FD, static_cast<uint32_t>(a.netns_fd));
  size_t linkinfo = m.begin_nest(IFLA_LINKINFO);
  m.attr_str(IFLA_INFO_KIND, "veth");
  size_t data = m.begin_nest(IFLA_INFO_DATA);
  size_t peer = m.begin_nest(VETH_INFO_PEER);
  struct ifinfomsg pifi;
  std::memset(&pifi, 0, sizeof pifi);
  pifi.ifi_family = AF_UNSPEC;
  m.raw(pifi);  // created down: veth_open fails with ENOTCONN before the pair is linked
  m.attr_str(IFLA_IFNAME, b.name);
  if (!b.mac.empty()) m.attr(IFLA_ADDRESS, mac_b, 6);
  if (b.netns_fd >= 0) m.attr_u32(IFLA_NET_NS_FD, static_cast<uint32_t>(b.netns_fd));
  m.end_nest(peer);
  m.end_nest(data);
  m.end_nest(linkinfo);
  auto msg = m.finish();
  {
    std::lock_guard lock(mu_);
    auto st = request(msg, "add veth " + a.name + " <-> " + b.name);
    if (!st.is_ok()) return st;
  }
  if (!b.up) return core::Status::ok();
  Rtnl* peer_rtnl = b.rtnl != nullptr ? b.rtnl : (b.netns_fd < 0 ? this : nullptr);
  if (peer_rtnl == nullptr) {
    return core::invalid("add veth " + a.name + " <-> " + b.name + ": the peer must come up in " +
                         "another namespace but no socket there was given");
  }
  return peer_rtnl->set_up(b.name);
}

core::Status Rtnl::add_bridge(const std::string& name) {
  if (name.empty() || name.size() >= IFNAMSIZ)
    return core::invalid("bad bridge name '" + name + "'");
  MsgBuilder m(RTM_NEWLINK, NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL);
  struct ifinfomsg ifi;
  std::memset(&ifi, 0, sizeof ifi);
  ifi.ifi_family = AF_UNSPEC;
  ifi.ifi_flags = IFF_UP;
  ifi.ifi_change = IFF_UP;
  m.put(ifi);
  m.attr_str(IFLA_IFNAME, name);
  size_t linkinfo = m.begin_nest(IFLA_LINKINFO);
  m.attr_str(IFLA_INFO_KIND, "bridge");
  m.end_nest(linkinfo);
  auto msg = m.finish();
  std::lock_guard lock(mu_);
  return request(msg, "add bridge " + name);
}

core::Status Rtnl::set_up(const std::string& name, bool up) {
  MsgBuilder m(RTM_NEWLINK, NLM_F_REQUEST | NLM_F_ACK);
  struct ifinfomsg ifi;
  std::memset(&ifi, 0, sizeof ifi);
  ifi.ifi_family = AF_UNSPEC;
  ifi.ifi_flags = up ? IFF_UP : 0;
  ifi.ifi_change = IFF_UP;
  m.put(ifi);
  m.attr_str(IFLA_IFNAME, name);
  auto msg = m.finish();
  std::lock_guard lock(mu_);
  return request(msg, std::string("set ") + name + (up ? " up" : " down"));
}

core::Status Rtnl::set_master(const std::string& name, const std::string& master) {
  std::lock_guard lock(mu_);
  auto master_index = link_index_locked(master);
  if (!master_index.is_ok()) return master_index.status();
  MsgBuilder m(RTM_NEWLINK, NLM_F_REQUEST | NLM_F_ACK);
  struct ifinfomsg ifi;
  std::memset(&ifi, 0, sizeof ifi);
  ifi.ifi_family = AF_UNSPEC;
  m.put(ifi);
  m.attr_str(IFLA_IFNAME, name);
  m.attr_u32(IFLA_MASTER, static_cast<uint32_t>(*master_index));
  auto msg = m.finish();
  return request(msg, "attach " + name + " to " + master);
}

core::Status Rtnl::set_inet_conf(const std::string& name,
                                 const std::vector<std::pair<InetConf, uint32_t>>& values) {
  MsgBuilder m(RTM_NEWLINK, NLM_F_REQUEST | NLM_F_ACK);
  struct ifinfomsg ifi;
  std::memset(&ifi, 0, sizeof ifi);
  ifi.ifi_family = AF_UNSPEC;
  m.put(ifi);
  m.attr_str(IFLA_IFNAME, name);
  size_t af_spec = m.begin_nest(IFLA_AF_SPEC);
  size_t inet = m.begin_nest(AF_INET);
  size_t conf = m.begin_nest(IFLA_INET_CONF);
  for (const auto& [key, value] : values) m.attr_u32(static_cast<uint16_t>(key), value);
  m.end_nest(conf);
  m.end_nest(inet);
  m.end_nest(af_spec);
  auto msg = m.finish();
  std::lock_guard lock(mu_);
  return request(msg, "set ipv4 settings of " + name);
}

core::Status Rtnl::delete_link(const std::string& name) {
  MsgBuilder m(RTM_DELLINK, NLM_F_REQUEST | NLM_F_ACK);
  struct ifinfomsg ifi;
  std::memset(&ifi, 0, sizeof ifi);
  ifi.ifi_family = AF_UNSPEC;
  m.put(ifi);
  m.attr_str(IFLA_IFNAME, name);
  auto msg = m.finish();
  std::lock_guard lock(mu_);
  auto st = request(msg, "delete device " + name);
  if (!st.is_ok() && st.message().find(errno_text(ENODEV)) != std::string::npos) {
    return core::Status::ok();
  }
  return st;
}

core::Status Rtnl::add_address(const std::string& dev, Ipv4Prefix address) {
  std::lock_guard lock(mu_);
  auto index = link_index_locked(dev);
  if (!index.is_ok()) return index.status();
  MsgBuilder m(RTM_NEWADDR, NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_REPLACE);
  struct ifaddrmsg ifa;
  std::memset(&ifa, 0, sizeof ifa);
  ifa.ifa_family = AF_INET;
  ifa.ifa_prefixlen = static_cast<uint8_t>(address.len);
  ifa.ifa_scope = RT_SCOPE_UNIVERSE;
  ifa.ifa_index = static_cast<uint32_t>(*index);
  m.put(ifa);
  uint32_t a = address.addr.network_order();
  m.attr(IFA_LOCAL, &a, 4);
  m.attr(IFA_ADDRESS, &a, 4);
  if (address.len < 31) {
    uint32_t bcast =
        htonl(address.addr.value | ~(address.len == 0 ? 0u : ~0u << (32 - address.len)));
    m.attr(IFA_BROADCAST, &bcast, 4);
  }
  auto msg = m.finish();
  return request(msg, "add address " + address.str() + " to " + dev);
}

core::Status Rtnl::delete_address(const std::string& dev, Ipv4Prefix address) {
  std::lock_guard lock(mu_);
  auto index = link_index_locked(dev);
  if (!index.is_ok())
    return index.status().code() == core::Code::kNotFound ? core::Status::ok() : index.status();
  MsgBuilder m(RTM_DELADDR, NLM_F_REQUEST | NLM_F_ACK);
  struct ifaddrmsg ifa;
  std::memset(&ifa, 0, sizeof ifa);
  ifa.ifa_family = AF_INET;
  ifa.ifa_prefixlen = static_cast<uint8_t>(address.len);
  ifa.ifa_index = static_cast<uint32_t>(*index);
  m.put(ifa);
  uint32_t a = address.addr.network_order();
  m.attr(IFA_LOCAL, &a, 4);
  auto msg = m.finish();
  auto st = request(msg, "delete address " + address.str() + " from " + dev);
  if (!st.is_ok() && st.message().find(errno_text(EADDRNOTAVAIL)) != std::string::npos) {
    return core::Status::ok();
  }
  return st;
}

core::Status Rtnl::replace_route(const RouteSpec& spec) {
  std::lock_guard lock(mu_);
  int oif = 0;
  if (!spec.dev.empty()) {
    auto index = link_index_locked(spec.dev);
    if (!index.is_ok()) {
      return core::Status(index.status().code(),
                          "add route " + spec.str() + ": " + index.status().message());
    }
    oif = *index;
  } else if (!spec.gateway) {
    return core::invalid("route " + spec.str() + " needs a device or a gateway");
  }
  MsgBuilder m(RTM_NEWROUTE, NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_REPLACE);
  struct rtmsg rt;
  std::memset(&rt, 0, sizeof rt);
  rt.rtm_family = AF_INET;
  rt.rtm_dst_len = static_cast<uint8_t>(spec.dst.len);
  rt.rtm_table = RT_TABLE_MAIN;
  rt.rtm_protocol = RTPROT_STATIC;
  rt.rtm_scope = spec.gateway ? RT_SCOPE_UNIVERSE : RT_SCOPE_LINK;
  rt.rtm_type = RTN_UNICAST;
  if (spec.onlink) rt.rtm_flags |= RTNH_F_ONLINK;
  m.put(rt);
  uint32_t table = RT_TABLE_MAIN;
  m.attr_u32(RTA_TABLE, table);
  if (spec.dst.len > 0) {
    uint32_t dst = spec.dst.network().addr.network_order();
    m.attr(RTA_DST, &dst, 4);
  }
  if (spec.gateway) {
    uint32_t gw = spec.gateway->network_order();
    m.attr(RTA_GATEWAY, &gw, 4);
  }
  if (oif > 0) m.attr_u32(RTA_OIF, static_cast<uint32_t>(oif));
  if (spec.src) {
    uint32_t src = spec.src->network_order();
    m.attr(RTA_PREFSRC, &src, 4);
  }
  auto msg = m.finish();
  return request(msg, "add route " + spec.str());
}

core::Status Rtnl::delete_route(Ipv4Prefix dst) {
  MsgBuilder m(RTM_DELROUTE, NLM_F_REQUEST | NLM_F_ACK);
  struct rtmsg rt;
  std::memset(&rt, 0, sizeof rt);
  rt.rtm_family = AF_INET;
  rt.rtm_dst_len = static_cast<uint8_t>(dst.len);
  rt.rtm_table = RT_TABLE_MAIN;
  rt.rtm_scope = RT_SCOPE_NOWHERE;
  m.put(rt);
  if (dst.len > 0) {
    uint32_t d = dst.network().addr.network_order();
    m.attr(RTA_DST, &d, 4);
  }
  auto msg = m.finish();
  std::lock_guard lock(mu_);
  auto st = request(msg, "delete route " + dst.str());
  if (!st.is_ok() && st.message().find(errno_text(ESRCH)) != std::string::npos) {
    return core::Status::ok();
  }
  return st;
}

core::Result<std::vector<RouteSpec>> Rtnl::list_routes() {
  std::lock_guard lock(mu_);
  std::vector<std::pair<RouteSpec, int>> found;
  {
    MsgBuilder m(RTM_GETROUTE, NLM_F_REQUEST | NLM_F_DUMP);
    struct rtmsg rt;
    std::memset(&rt, 0, sizeof rt);
    rt.rtm_family = AF_INET;
    m.put(rt);
    auto msg = m.finish();
    std::string ext;
    int err = transact(
        fd_, seq_++, msg, true,
        [&](const struct nlmsghdr* r) {
          if (r->nlmsg_type != RTM_NEWROUTE) return;
          const auto* rt = static_cast<const struct rtmsg*>(NLMSG_DATA(r));
          if (rt->rtm_family != AF_INET || rt->rtm_type != RTN_UNICAST) return;
          RouteSpec spec;
          spec.dst.len = rt->rtm_dst_len;
          spec.onlink = (rt->rtm_flags & RTNH_F_ONLINK) != 0;
          uint32_t table = rt->rtm_table;
          int oif = 0;
          const auto* attrs = reinterpret_cast<const uint8_t*>(rt) + NLMSG_ALIGN(sizeof *rt);
          size_t len = r->nlmsg_len - NLMSG_HDRLEN - NLMSG_ALIGN(sizeof *rt);
          for_each_attr(attrs, len, [&](uint16_t type, const uint8_t* d, size_t l) {
            uint32_t v = 0;
            if (l >= 4) std::memcpy(&v, d, 4);
            if (type == RTA_DST) spec.dst.addr = Ipv4{ntohl(v)};
            if (type == RTA_GATEWAY) spec.gateway = Ipv4{ntohl(v)};
            if (type == RTA_PREFSRC) spec.src = Ipv4{ntohl(v)};
            if (type == RTA_OIF) oif = static_cast<int>(v);
            if (type == RTA_TABLE) table = v;
          });
          if (table != RT_TABLE_MAIN) return;
          found.emplace_back(spec, oif);
        },
        &ext);
    if (err != 0) return core::unavailable("list routes in " + label_ + ": " + errno_text(err));
  }
  // Device names by index.
  std::map<int, std::string> names;
  {
    MsgBuilder m(RTM_GETLINK, NLM_F_REQUEST | NLM_F_DUMP);
    struct ifinfomsg ifi;
    std::memset(&ifi, 0, sizeof ifi);
    ifi.ifi_family = AF_UNSPEC;
    m.put(ifi);
    auto msg = m.finish();
    std::string ext;
    int err = transact(
        fd_, seq_++, msg, true,
        [&](const struct nlmsghdr* r) {
          if (r->nlmsg_type != RTM_NEWLINK) return;
          const auto* ifi = static_cast<const struct ifinfomsg*>(NLMSG_DATA(r));
          const auto* attrs = reinterpret_cast<const uint8_t*>(ifi) + NLMSG_ALIGN(sizeof *ifi);
          size_t len = r->nlmsg_len - NLMSG_HDRLEN - NLMSG_ALIGN(sizeof *ifi);
          for_each_attr(attrs, len, [&](uint16_t type, const uint8_t* d, size_t l) {
            if (type == IFLA_IFNAME)
              names[ifi->ifi_index] = std::string(reinterpret_cast<const char*>(d),
                                                  strnlen(reinterpret_cast<const char*>(d), l));
          });
        },
        &ext);
    if (err != 0) return core::unavailable("list devices in " + label_ + ": " + errno_text(err));
  }
  std::vector<RouteSpec> out;
  for (auto& [spec, oif] : found) {
    if (oif > 0) spec.dev = names.count(oif) ? names[oif] : "if" + std::to_string(oif);
    out.push_back(spec);
  }
  return out;
}

}  // namespace csim::agent
