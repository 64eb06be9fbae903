#pragma once
// What `ss -anp` shows about a socket, derived from its files.img entry: one
// description for /net/sockets and for comparing two checkpoints' sockets.

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "model/checkpoint.h"
#include "model/queued_data.h"

namespace ckptfs {

enum class SocketFamily { Unix, Inet, Netlink, Packet };

struct SocketDesc {
  SocketFamily family = SocketFamily::Unix;
  std::string netid;  // "tcp", "u_str", "nl", "p_raw" …
  std::string state;  // "LISTEN", "ESTABLISHED", "UNCONN" …
  std::string local, peer;
  uint32_t ino = 0;                           // 0 for packet sockets, whose entry has none
  const criu::sk_opts_entry* opts = nullptr;  // points into the file entry
};

// Bound names of unix sockets by inode, to name a socket's peer.
std::map<uint32_t, std::string> unix_socket_names(const Checkpoint& c);

// nullopt when the entry is not a socket.
std::optional<SocketDesc> describe_socket(const criu::file_entry& f,
                                          const std::map<uint32_t, std::string>& unix_names);

// Bytes waiting in the socket's queues (Recv-Q, Send-Q): sk-queues.img by
// file id, and for TCP the stream's queues by inode.
struct QueuedBytes {
  uint64_t recv = 0, send = 0;
};
QueuedBytes queued_bytes(const QueuedData& q, uint32_t file_id, const SocketDesc& s);

}  // namespace ckptfs
