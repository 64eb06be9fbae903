#include "vfs/views/sockets.h"

#include <fmt/format.h>

#include <map>

#include "model/socket_desc.h"

namespace ckptfs {

std::string render_sockets(const Checkpoint& c, const QueuedData& q) {
  // Owners: the processes and fds that hold each socket file.
  std::map<uint32_t, std::string> owners;
  for (const auto& [pid, p] : c.procs)
    for (const FdEntry& fd : p.fds) {
      std::string& o = owners[fd.file_id];
      o += fmt::format("{}(\"{}\",pid={},fd={})", o.empty() ? "" : ",", p.comm, pid, fd.fd);
    }
  std::map<uint32_t, std::string> unix_names = unix_socket_names(c);

  std::string out = fmt::format("{:<7} {:<12} {:>8} {:>8} {:<40} {:<40} {:>10} {:>8} {:>8} {}\n",
                                "Netid", "State", "Recv-Q", "Send-Q", "Local-Address:Port",
                                "Peer-Address:Port", "Inode", "RcvBuf", "SndBuf", "Process");
  for (const auto& [id, f] : c.files) {
    std::optional<SocketDesc> s = describe_socket(f, unix_names);
    if (!s) continue;
    QueuedBytes queued = queued_bytes(q, id, *s);
    std::string users = owners.count(id) ? "users:(" + owners[id] + ")" : "";
    out +=
        fmt::format("{:<7} {:<12} {:>8} {:>8} {:<40} {:<40} {:>10} {:>8} {:>8} {}\n", s->netid,
                    s->state, queued.recv, queued.send, s->local, s->peer, s->ino,
                    s->opts ? s->opts->so_rcvbuf() : 0, s->opts ? s->opts->so_sndbuf() : 0, users);
  }
  return out;
}

}  // namespace ckptfs
