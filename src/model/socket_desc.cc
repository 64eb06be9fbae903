#include "model/socket_desc.h"

#include <arpa/inet.h>
#include <fmt/format.h>

#include <cstring>

namespace ckptfs {

namespace {

const char* tcp_state(uint32_t s) {
  static const char* kNames[] = {"UNKNOWN",    "ESTABLISHED", "SYN_SENT",  "SYN_RECV",
                                 "FIN_WAIT1",  "FIN_WAIT2",   "TIME_WAIT", "CLOSE",
                                 "CLOSE_WAIT", "LAST_ACK",    "LISTEN",    "CLOSING"};
  return s < std::size(kNames) ? kNames[s] : "UNKNOWN";
}

// Address words are network-order bytes read as host-order u32s (format doc §10.3).
std::string inet_addr(uint32_t family, const google::protobuf::RepeatedField<uint32_t>& words) {
  char text[INET6_ADDRSTRLEN] = "?";
  unsigned char bytes[16] = {};
  for (int i = 0; i < words.size() && i < 4; ++i) std::memcpy(bytes + 4 * i, &words[i], 4);
  if (family == AF_INET6 && words.size() == 4) {
    inet_ntop(AF_INET6, bytes, text, sizeof text);
    return fmt::format("[{}]", text);
  }
  if (words.empty()) return "0.0.0.0";
  inet_ntop(AF_INET, bytes, text, sizeof text);
  return text;
}

std::string unix_name(const std::string& n) {
  if (n.empty()) return "*";
  if (n[0] == '\0') return "@" + n.substr(1);  // abstract namespace, as ss shows it
  return n;
}

const char* unix_netid(uint32_t type) {
  switch (type) {
    case 1:
      return "u_str";
    case 2:
      return "u_dgr";
    case 5:
      return "u_seq";
  }
  return "u_???";
}

const char* inet_netid(const criu::inet_sk_entry& s) {
  bool v6 = s.family() == AF_INET6;
  switch (s.proto()) {
    case 6:
      return v6 ? "tcp6" : "tcp";
    case 17:
      return v6 ? "udp6" : "udp";
    case 136:
      return v6 ? "udplite6" : "udplite";
  }
  return v6 ? "raw6" : "raw";
}

}  // namespace

std::map<uint32_t, std::string> unix_socket_names(const Checkpoint& c) {
  std::map<uint32_t, std::string> names;
  for (const auto& [id, f] : c.files)
    if (f.has_usk()) names[f.usk().ino()] = f.usk().name();
  return names;
}

std::optional<SocketDesc> describe_socket(const criu::file_entry& f,
                                          const std::map<uint32_t, std::string>& unix_names) {
  SocketDesc d;
  if (f.has_usk()) {
    const auto& s = f.usk();
    d.netid = unix_netid(s.type());
    d.state = s.state() == 7 && s.type() != 1 ? "UNCONN" : tcp_state(s.state());
    d.local = unix_name(s.name()) + " " + std::to_string(s.ino());
    auto peer = unix_names.find(s.peer());
    d.peer = s.peer() ? unix_name(peer == unix_names.end() ? "" : peer->second) + " " +
                            std::to_string(s.peer())
                      : "* 0";
    d.ino = s.ino();
    d.opts = &s.opts();
  } else if (f.has_isk()) {
    const auto& s = f.isk();
    d.netid = inet_netid(s);
    d.state = s.proto() == 17 && s.state() == 7 ? "UNCONN" : tcp_state(s.state());
    d.local = fmt::format("{}:{}", inet_addr(s.family(), s.src_addr()), s.src_port());
    d.peer = s.dst_port() != 0
                 ? fmt::format("{}:{}", inet_addr(s.family(), s.dst_addr()), s.dst_port())
                 : fmt::format("{}:*", s.family() == AF_INET6 ? "[::]" : "0.0.0.0");
    d.ino = s.ino();
    d.family = SocketFamily::Inet;
    d.opts = &s.opts();
  } else if (f.has_nlsk()) {
    const auto& s = f.nlsk();
    d.family = SocketFamily::Netlink;
    d.netid = "nl";
    d.state = "UNCONN";
    d.local = fmt::format("{}:{}", s.protocol(), s.portid());
    d.peer = fmt::format("{}:{}", s.dst_group(), s.dst_portid());
    d.ino = s.ino();
    d.opts = &s.opts();
  } else if (f.has_psk()) {
    const auto& s = f.psk();
    d.family = SocketFamily::Packet;
    d.netid = "p_raw";
    d.state = "UNCONN";
    d.local = fmt::format("proto 0x{:04x} ifindex {}", s.protocol(), s.ifindex());
    d.peer = "*";
    d.opts = &s.opts();
  } else {
    return std::nullopt;
  }
  return d;
}

QueuedBytes queued_bytes(const QueuedData& q, uint32_t file_id, const SocketDesc& s) {
  auto size = [](const std::map<uint32_t, std::shared_ptr<const Blob>>& m,
                 uint32_t key) -> uint64_t {
    auto it = m.find(key);
    return it == m.end() ? 0 : it->second->size();
  };
  QueuedBytes b;
  switch (s.family) {
    case SocketFamily::Unix:
      b.recv = size(q.socket_recv, file_id);
      break;
    case SocketFamily::Inet:
      b.recv = size(q.tcp_recv, s.ino) + size(q.socket_recv, file_id);
      b.send = size(q.tcp_send, s.ino);
      break;
    case SocketFamily::Netlink:
    case SocketFamily::Packet:
      break;
  }
  return b;
}

}  // namespace ckptfs
