#pragma once
// Data the checkpoint holds besides memory: unread pipe and FIFO contents,
// packets queued on sockets, TCP send/receive queues, deleted files' content.
// Located once (offsets into the image blobs), never copied.

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "model/checkpoint.h"
#include "model/ghost_file.h"

namespace ckptfs {

struct DeletedFile {
  std::string path;  // original path in the container
  GhostFile ghost;
};

struct QueuedData {
  std::map<uint32_t, std::shared_ptr<const Blob>> pipes;        // by pipe inode
  std::map<uint32_t, std::shared_ptr<const Blob>> fifos;        // by pipe inode
  std::map<uint32_t, std::shared_ptr<const Blob>> socket_recv;  // by socket file id (sk-queues.img)
  std::map<uint32_t, std::shared_ptr<const Blob>> tcp_recv, tcp_send;  // by socket inode
  std::vector<DeletedFile> deleted;
  std::vector<std::string> problems;  // images that could not be read, one line each
};

// Never throws for a bad image: the problem is recorded and the rest loaded.
QueuedData load_queued_data(const Checkpoint& c);

// Socket inode of a socket file entry (unix, inet, netlink), 0 if none.
uint32_t socket_inode(const criu::file_entry& f);

}  // namespace ckptfs
