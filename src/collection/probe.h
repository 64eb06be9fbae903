#pragma once
// One file of a collection, looked at only as far as its row of the table
// needs: is it a checkpoint, which containers does it hold, what do their
// engines' metadata (or the kubelet's file name) say about them. Reads the
// archive's first members (source/peek.h), never its pages, and keeps
// nothing open.

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

namespace ckptfs {

// What tells one version of a file from the next: a file replaced, or
// rewritten in place, is probed again.
struct FileId {
  dev_t dev = 0;
  ino_t ino = 0;
  uint64_t size = 0;
  int64_t mtime_ns = 0;
  bool operator==(const FileId&) const = default;
};
// lstat's: a symbolic link is its own file (the collection follows none).
FileId file_id(const std::string& path);

struct ProbedCheckpoint {
  std::string container, pod, namespace_, engine;
  std::string checkpointed;  // UTC "…Z", or ""
  // Where checkpointed comes from: "config.dump", "inventory.img modification
  // time" (Podman records none), "file name" (the kubelet's), or "".
  std::string checkpointed_source;
  int64_t mtime = 0;  // of the checkpoint's directory in the mount
};

struct Probe {
  std::string path;   // absolute
  std::string kind;   // "tar+zstd", "directory" …; "" when not an archive at all
  uint64_t size = 0;  // of the archive, or of a directory's files
  FileId id;
  // The containers it holds, as its metadata names them. Empty: not a
  // checkpoint (error says why), and it gets no directory in the mount.
  std::vector<ProbedCheckpoint> checkpoints;
  // One line naming the file; with checkpoints, the archive is broken: its
  // directories hold only ERROR.
  std::string error;
  // Given to the loader for checkpoints without metadata, so that a loaded
  // checkpoint is named as its row was.
  std::string fallback_name;
  // What the look cost: bytes read from the file and of the (decompressed)
  // tar stream.
  uint64_t file_bytes = 0, stream_bytes = 0;
};

// Never throws for anything wrong with the file: that is the row's error.
Probe probe_checkpoint(const std::string& path);

}  // namespace ckptfs
