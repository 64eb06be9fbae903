#include "compare/file_delta.h"

#include <fmt/format.h>
#include <sys/stat.h>

#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "compare/blob_equal.h"
#include "compare/keyed_changes.h"
#include "source/nested_tar.h"

namespace ckptfs {

namespace {

std::string bytes_text(uint64_t n) { return fmt::format("{} bytes", n); }

std::string same(const std::string& s) { return s; }

// Content of two blobs: their sizes when those differ, else whether the bytes do.
void content_field(std::vector<FieldChange>& out, const Blob& a, const Blob& b) {
  if (a.size() != b.size())
    out.push_back({"content", bytes_text(a.size()), bytes_text(b.size())});
  else if (!blobs_equal(a, b))
    out.push_back({"content", bytes_text(a.size()) + " (other bytes)",
                   bytes_text(b.size()) + " (other bytes)"});
}

using BlobMap = std::map<std::string, std::shared_ptr<const Blob>>;

void compare_blobs(std::vector<Change>& out, const BlobMap& a, const BlobMap& b) {
  keyed_changes(
      out, a, b, same, [](const std::shared_ptr<const Blob>& x) { return bytes_text(x->size()); },
      [](std::vector<FieldChange>& f, const std::shared_ptr<const Blob>& x,
         const std::shared_ptr<const Blob>& y) { content_field(f, *x, *y); });
}

const char* type_name(const Member& m) {
  switch (m.type) {
    case MemberType::File:
      return "file";
    case MemberType::Dir:
      return "directory";
    case MemberType::Symlink:
      return "symlink";
    case MemberType::Other:
      switch (m.filetype) {
        case S_IFCHR:
          return "character device";
        case S_IFBLK:
          return "block device";
        case S_IFIFO:
          return "fifo";
        case S_IFSOCK:
          return "socket";
      }
      return "special file";
  }
  return "?";
}

std::string member_text(const Member& m) {
  std::string s = fmt::format("{}, mode {:04o}", type_name(m), m.mode & 07777);
  if (m.type == MemberType::File && m.blob) s += ", " + bytes_text(m.blob->size());
  if (m.type == MemberType::Symlink) s += " -> " + m.link_target;
  return s;
}

TarListing listing(const Checkpoint& c, const std::string& member) {
  const Member* m = c.meta(member);
  if (!m || m->type != MemberType::File) return {};
  return read_nested_tar(*m->blob);
}

const Member* file_member(const Checkpoint& c, const std::string& name) {
  const Member* m = c.meta(name);
  if (!m || m->type != MemberType::File) m = c.image(name);
  return m && m->type == MemberType::File ? m : nullptr;
}

std::set<std::string> deleted_paths(const Checkpoint& c) {
  std::set<std::string> out;
  const Member* m = c.meta("deleted.files");
  if (!m || m->type != MemberType::File) return out;
  // Advisory like the rest of the engine's metadata: unparsable means none.
  try {
    nlohmann::json j = nlohmann::json::parse(m->blob->read_all(16u << 20));
    if (j.is_array())
      for (const auto& p : j)
        if (p.is_string()) out.insert(p.get<std::string>());
  } catch (const std::exception&) {
    out.insert("(deleted.files is not a JSON list of paths)");
  }
  return out;
}

}  // namespace

std::vector<Change> compare_stored_tar(const Checkpoint& a, const Checkpoint& b,
                                       const std::string& member) {
  TarListing la = listing(a, member), lb = listing(b, member);
  std::vector<Change> out;
  keyed_changes(out, la.members, lb.members, same, member_text,
                [](std::vector<FieldChange>& f, const Member& x, const Member& y) {
                  field_change(f, "type", type_name(x), type_name(y));
                  if (x.type != y.type) return;
                  if (x.type == MemberType::File && x.blob && y.blob)
                    content_field(f, *x.blob, *y.blob);
                  field_change(f, "target", x.link_target, y.link_target);
                  if (x.type == MemberType::Other)
                    field_change(f, "device", fmt::format("{:x}", x.rdev),
                                 fmt::format("{:x}", y.rdev));
                  field_change(f, "mode", fmt::format("{:04o}", x.mode & 07777),
                               fmt::format("{:04o}", y.mode & 07777));
                });
  return out;
}

std::vector<Change> compare_deleted_files(const Checkpoint& a, const Checkpoint& b) {
  std::set<std::string> da = deleted_paths(a), db = deleted_paths(b);
  std::vector<Change> out;
  for (const auto& p : da)
    if (!db.count(p)) out.push_back({ChangeKind::Removed, p, "deleted", "", {}});
  for (const auto& p : db)
    if (!da.count(p)) out.push_back({ChangeKind::Added, p, "", "deleted", {}});
  return out;
}

QueuedChanges compare_queued(const Checkpoint& a, const QueuedData& qa, const Checkpoint& b,
                             const QueuedData& qb) {
  QueuedChanges out;
  auto ghosts = [](const QueuedData& q) {
    BlobMap m;
    for (const DeletedFile& d : q.deleted)
      if (d.ghost.content) m.emplace(d.path, d.ghost.content);
    return m;
  };
  compare_blobs(out.ghost_files, ghosts(qa), ghosts(qb));

  auto pipes = [](const QueuedData& q) {
    BlobMap m;
    for (const auto& [ino, blob] : q.pipes) m[fmt::format("pipe:[{}]", ino)] = blob;
    for (const auto& [ino, blob] : q.fifos) m[fmt::format("fifo:[{}]", ino)] = blob;
    return m;
  };
  compare_blobs(out.pipes, pipes(qa), pipes(qb));

  auto queues = [](const Checkpoint& c, const QueuedData& q) {
    BlobMap m;
    for (const auto& [file_id, blob] : q.socket_recv) {
      auto f = c.files.find(file_id);
      uint32_t ino = f == c.files.end() ? 0 : socket_inode(f->second);
      std::string key = ino ? fmt::format("socket:[{}] packets", ino)
                            : fmt::format("socket file {} packets", file_id);
      m[key] = blob;
    }
    for (const auto& [ino, blob] : q.tcp_recv) m[fmt::format("socket:[{}] recv", ino)] = blob;
    for (const auto& [ino, blob] : q.tcp_send) m[fmt::format("socket:[{}] send", ino)] = blob;
    return m;
  };
  compare_blobs(out.socket_queues, queues(a, qa), queues(b, qb));
  return out;
}

std::vector<Change> compare_metadata_files(const Checkpoint& a, const Checkpoint& b) {
  // The engine's files, under the names containers/<name>/ shows them by.
  static const std::pair<const char*, const char*> kFiles[] = {
      {"config.dump", "config.json"},     {"spec.dump", "spec.json"},
      {"network.status", "network.json"}, {"bind.mounts", "bind.mounts"},
      {"status.dump", "status.json"},     {"ctr.log", "log"},
      {"container.log", "log"},           {"io.kubernetes.cri-o.LogPath", "log"},
      {"dump.log", "dump.log"},           {"stats-dump", "stats"}};
  auto files = [](const Checkpoint& c) {
    BlobMap m;
    for (const auto& [member, shown] : kFiles)
      if (const Member* f = file_member(c, member); f && !m.count(shown)) m[shown] = f->blob;
    return m;
  };
  std::vector<Change> out;
  compare_blobs(out, files(a), files(b));
  return out;
}

std::vector<FieldChange> compare_container_info(const ContainerInfo& a, const ContainerInfo& b) {
  std::vector<FieldChange> out;
  auto joined = [](const std::vector<std::string>& v) {
    std::string s;
    for (const auto& x : v) s += (s.empty() ? "" : " ") + x;
    return s;
  };
  field_change(out, "name", a.name, b.name);
  field_change(out, "engine", a.engine, b.engine);
  field_change(out, "id", a.id, b.id);
  field_change(out, "image", a.image, b.image);
  field_change(out, "runtime", a.runtime, b.runtime);
  field_change(out, "pod", a.pod, b.pod);
  field_change(out, "namespace", a.namespace_, b.namespace_);
  field_change(out, "created", a.created, b.created);
  field_change(out, "checkpointed", a.checkpointed, b.checkpointed);
  field_change(out, "criu_version", a.criu_version, b.criu_version);
  field_change(out, "checkpoint_size", std::to_string(a.checkpoint_size),
               std::to_string(b.checkpoint_size));
  field_change(out, "memory_pages_size", std::to_string(a.memory_pages_size),
               std::to_string(b.memory_pages_size));
  field_change(out, "rootfs_diff_size", std::to_string(a.rootfs_diff_size),
               std::to_string(b.rootfs_diff_size));
  field_change(out, "spec_args", joined(a.spec_args), joined(b.spec_args));
  field_change(out, "spec_env", joined(a.spec_env), joined(b.spec_env));
  return out;
}

std::vector<Change> compare_images(const Checkpoint& a, const Checkpoint& b) {
  auto images = [](const Checkpoint& c) {
    BlobMap m;
    const std::string& dir = c.layout.image_dir;
    for (auto it = c.source->members.lower_bound(dir); it != c.source->members.end(); ++it) {
      const auto& [name, member] = *it;
      if (!name.starts_with(dir)) break;
      std::string base = name.substr(dir.size());
      if (base.empty() || base.find('/') != std::string::npos) continue;
      if (member.type != MemberType::File || !member.blob) continue;
      if (base.starts_with("pages-") && base.ends_with(".img")) continue;
      m[base] = member.blob;
    }
    return m;
  };
  std::vector<Change> out;
  compare_blobs(out, images(a), images(b));
  return out;
}

}  // namespace ckptfs
