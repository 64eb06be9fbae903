#pragma once
// What a comparison of two checkpoints finds, as plain data the views render
// (diff/<A>..<B>/summary and summary.json): for each kind of thing (process,
// mapping, descriptor, socket, file…) the ones added, removed or changed,
// and for a changed one, which of its fields differ.

#include <cstdint>
#include <string>
#include <vector>

#include "compare/page_diff.h"

namespace ckptfs {

struct FieldChange {
  std::string field;
  std::string a, b;  // the field's value on each side, as text
};

enum class ChangeKind : uint8_t { Added, Removed, Changed };
const char* change_kind_name(ChangeKind k);

struct Change {
  ChangeKind kind = ChangeKind::Changed;
  std::string key;                  // what it is: "fd 3", "/etc/motd", "7f44eba00000"
  std::string a, b;                 // how each side describes it ("" on the side without it)
  std::vector<FieldChange> fields;  // Changed: what differs
};

struct ProcessSummary {
  uint32_t pid = 0;
  std::string comm;  // B's, or A's for a removed process
  bool in_a = false, in_b = false;
  std::vector<FieldChange> fields;  // comm, cmdline, environ, state, credentials, cwd …
  std::vector<Change> threads;      // by tid: comm, registers, signal mask
  std::vector<Change> mappings;     // by start address
  std::vector<Change> descriptors;  // by fd number
  std::vector<Change> sockets;      // by inode
  PageTotals pages_added, pages_removed, pages_changed;
  bool changed() const;
};

struct Summary {
  std::string name_a, name_b;  // the checkpoints' names in the mount
  std::string id_a, id_b;      // container IDs ("" for bare CRIU images)
  // False when both IDs are known and differ: two different containers.
  bool same_container = true;
  std::vector<FieldChange> container;     // ContainerInfo: image, times, sizes, CRIU version…
  std::vector<Change> metadata_files;     // config.json, spec.json … by content
  std::vector<ProcessSummary> processes;  // every PID of either side, in order
  std::vector<Change> rootfs_diff;        // by path, by content
  std::vector<Change> devshm;
  std::vector<Change> deleted_files;  // entries of deleted.files
  std::vector<Change> ghost_files;    // content of deleted-but-open files, by path
  std::vector<Change> pipes;          // unread pipe and FIFO data, by inode
  std::vector<Change> socket_queues;  // queued socket data, by inode and direction
  std::vector<Change> images;         // CRIU image files by content (pages-*.img excepted)
};

}  // namespace ckptfs
