#include "vfs/views/sockets.h"

#include <arpa/inet.h>
#include <fmt/format.h>

#include <cstring>
#include <map>
#include <vector>

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

std::string render_sockets(const Checkpoint& c, const QueuedData& q) {
  // Owners: the processes and fds that hold each socket file.
  std::map<uint32_t, std::string> owners;
  for (const auto& [pid, p] : c.procs)
    for (const FdEntry& fd : p.fds) {
      std::string& o = owners[fd.file_id];
      o += fmt::format("{}(\"{}\",pid={},fd={})", o.empty() ? "" : ",", p.comm, pid, fd.fd);
    }
  std::map<uint32_t, std::string> unix_names;  // ino -> bound name, for peers
  for (const auto& [id, f] : c.files)
    if (f.has_usk()) unix_names[f.usk().ino()] = f.usk().name();

  std::string out = fmt::format("{:<7} {:<12} {:>8} {:>8} {:<40} {:<40} {:>10} {:>8} {:>8} {}\n",
                                "Netid", "State", "Recv-Q", "Send-Q", "Local-Address:Port",
                                "Peer-Address:Port", "Inode", "RcvBuf", "SndBuf", "Process");
  auto queued = [](const std::map<uint32_t, std::shared_ptr<const Blob>>& m,
                   uint32_t key) -> uint64_t {
    auto it = m.find(key);
    return it == m.end() ? 0 : it->second->size();
  };
  for (const auto& [id, f] : c.files) {
    std::string netid, state, local, peer;
    uint64_t recvq = 0, sendq = 0;
    uint32_t ino = 0;
    const criu::sk_opts_entry* opts = nullptr;
    if (f.has_usk()) {
      const auto& s = f.usk();
      netid = unix_netid(s.type());
      state = s.state() == 7 && s.type() != 1 ? "UNCONN" : tcp_state(s.state());
      local = unix_name(s.name()) + " " + std::to_string(s.ino());
      peer = s.peer() ? unix_name(unix_names.count(s.peer()) ? unix_names[s.peer()] : "") + " " +
                            std::to_string(s.peer())
                      : "* 0";
      ino = s.ino();
      recvq = queued(q.socket_recv, id);
      opts = &s.opts();
    } else if (f.has_isk()) {
      const auto& s = f.isk();
      netid = inet_netid(s);
      state = s.proto() == 17 && s.state() == 7 ? "UNCONN" : tcp_state(s.state());
      local = fmt::format("{}:{}", inet_addr(s.family(), s.src_addr()), s.src_port());
      peer = s.dst_port() != 0
                 ? fmt::format("{}:{}", inet_addr(s.family(), s.dst_addr()), s.dst_port())
                 : fmt::format("{}:*", s.family() == AF_INET6 ? "[::]" : "0.0.0.0");
      ino = s.ino();
      recvq = queued(q.tcp_recv, s.ino()) + queued(q.socket_recv, id);
      sendq = queued(q.tcp_send, s.ino());
      opts = &s.opts();
    } else if (f.has_nlsk()) {
      const auto& s = f.nlsk();
      netid = "nl";
      state = "UNCONN";
      local = fmt::format("{}:{}", s.protocol(), s.portid());
      peer = fmt::format("{}:{}", s.dst_group(), s.dst_portid());
      ino = s.ino();
      opts = &s.opts();
    } else if (f.has_psk()) {
      const auto& s = f.psk();
      netid = "p_raw";
      state = "UNCONN";
      local = fmt::format("proto 0x{:04x} ifindex {}", s.protocol(), s.ifindex());
      peer = "*";
      opts = &s.opts();
    } else {
      continue;
    }
    std::string users = owners.count(id) ? "users:(" + owners[id] + ")" : "";
    out += fmt::format("{:<7} {:<12} {:>8} {:>8} {:<40} {:<40} {:>10} {:>8} {:>8} {}\n", netid,
                       state, recvq, sendq, local, peer, ino, opts ? opts->so_rcvbuf() : 0,
                       opts ? opts->so_sndbuf() : 0, users);
  }
  return out;
}

}  // namespace ckptfs
