#pragma once
// What two checkpoints hold besides processes, compared by content: the
// files the container changed (rootfs-diff.tar, devshm-checkpoint.tar), the
// paths it deleted (deleted.files), the content of deleted-but-open files,
// unread pipe and socket data, the engine's metadata and the CRIU images.
// Contents are compared in chunks, never read whole.

#include <vector>

#include "compare/change.h"
#include "model/checkpoint.h"
#include "model/queued_data.h"

namespace ckptfs {

// A tar stored in the checkpoint's metadata ("rootfs-diff.tar"), by path:
// content, type, link target and mode. Directory times are left out: a file
// written below a directory changes its mtime, which says nothing new.
std::vector<Change> compare_stored_tar(const Checkpoint& a, const Checkpoint& b,
                                       const std::string& member);

// The entries of Podman's deleted.files (a JSON list of paths).
std::vector<Change> compare_deleted_files(const Checkpoint& a, const Checkpoint& b);

struct QueuedChanges {
  std::vector<Change> ghost_files, pipes, socket_queues;
};
QueuedChanges compare_queued(const Checkpoint& a, const QueuedData& qa, const Checkpoint& b,
                             const QueuedData& qb);

// config.json, spec.json, network.json … by the names the mount shows them under.
std::vector<Change> compare_metadata_files(const Checkpoint& a, const Checkpoint& b);

// ContainerInfo field by field.
std::vector<FieldChange> compare_container_info(const ContainerInfo& a, const ContainerInfo& b);

// The CRIU image files, by name and content. pages-*.img are left out: their
// pages are compared one by one, as memory.
std::vector<Change> compare_images(const Checkpoint& a, const Checkpoint& b);

}  // namespace ckptfs
