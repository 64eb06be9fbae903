#include "vfs/build_extras.h"

#include <fmt/format.h>

#include "model/queued_data.h"
#include "source/source.h"
#include "util/path.h"
#include "vfs/blob_content.h"
#include "vfs/build.h"
#include "vfs/views/sockets.h"
#include "vfs/views/stats.h"

namespace ckptfs {

namespace {

const Member* file_member(const Checkpoint& c, const std::string& name) {
  const Member* m = c.meta(name);
  if (!m || m->type != MemberType::File) m = c.image(name);
  return m && m->type == MemberType::File ? m : nullptr;
}

// Creates the directories of a relative file path below dir (all but its
// last component); returns the innermost.
uint64_t mkdirs(Tree& t, uint64_t dir, const std::string& rel) {
  auto parts = path_components(rel);
  for (size_t i = 0; i + 1 < parts.size(); ++i) dir = t.mkdir(dir, std::string(parts[i]), 0500);
  return dir;
}

}  // namespace

void add_container_metadata(Tree& t, uint64_t cdir, const Checkpoint& c) {
  // Verbatim: the engine wrote valid JSON, and byte-exact files stay diffable.
  static const std::pair<const char*, const char*> kVerbatim[] = {
      {"config.dump", "config.json"},     {"spec.dump", "spec.json"},
      {"network.status", "network.json"}, {"deleted.files", "deleted.files"},
      {"bind.mounts", "bind.mounts"},     {"status.dump", "status.json"}};
  for (const auto& [src, dst] : kVerbatim)
    if (const Member* m = c.meta(src); m && m->type == MemberType::File)
      t.add_file(cdir, dst, std::make_shared<BlobContent>(m->blob), kSecretMode);
  // The container's own log, under whichever name its engine used.
  for (const char* log : {"ctr.log", "container.log", "io.kubernetes.cri-o.LogPath"}) {
    if (const Member* m = c.meta(log); m && m->type == MemberType::File) {
      t.add_file(cdir, "log", std::make_shared<BlobContent>(m->blob), kSecretMode);
      break;
    }
  }
  if (const Member* m = file_member(c, "dump.log"))
    t.add_file(cdir, "dump.log", std::make_shared<BlobContent>(m->blob));
  if (const Member* m = file_member(c, "stats-dump")) {
    std::shared_ptr<const Blob> blob = m->blob;
    t.add_file(cdir, "stats", lazy_text([blob] { return render_stats(blob->origin(), *blob); }));
  }
}

void add_files_and_net(Tree& t, uint64_t top, const Checkpoint& c) {
  auto q = std::make_shared<QueuedData>(load_queued_data(c));
  uint64_t files = t.mkdir(top, "files", 0500);

  if (!q->deleted.empty()) {
    uint64_t deleted = t.mkdir(files, "deleted", 0500);
    for (const DeletedFile& d : q->deleted) {
      // The original path, made relative and stripped of anything that climbs.
      std::string rel = normalise_member_name(d.path);
      if (rel.empty() || !d.ghost.content) continue;
      uint64_t dir = mkdirs(t, deleted, rel);
      std::string base = rel.substr(rel.rfind('/') == std::string::npos ? 0 : rel.rfind('/') + 1);
      if (t.lookup_unsealed(dir, base)) continue;
      t.add_file(dir, base, std::make_shared<BlobContent>(d.ghost.content), kSecretMode);
    }
  }
  auto add_map = [&](const char* dirname,
                     const std::map<uint32_t, std::shared_ptr<const Blob>>& m) {
    if (m.empty()) return;
    uint64_t d = t.mkdir(files, dirname, 0500);
    for (const auto& [id, blob] : m)
      t.add_file(d, std::to_string(id), std::make_shared<BlobContent>(blob), kSecretMode);
  };
  add_map("pipes", q->pipes);
  add_map("fifos", q->fifos);

  // Socket data by inode and direction: sockets/<ino>/recv, sockets/<ino>/send.
  std::map<uint32_t, std::pair<std::shared_ptr<const Blob>, std::shared_ptr<const Blob>>> by_ino;
  for (const auto& [file_id, blob] : q->socket_recv) {
    auto f = c.files.find(file_id);
    if (f != c.files.end() && socket_inode(f->second)) by_ino[socket_inode(f->second)].first = blob;
  }
  for (const auto& [ino, blob] : q->tcp_recv) by_ino[ino].first = blob;
  for (const auto& [ino, blob] : q->tcp_send) by_ino[ino].second = blob;
  if (!by_ino.empty()) {
    uint64_t sockets = t.mkdir(files, "sockets", 0500);
    for (const auto& [ino, pair] : by_ino) {
      uint64_t d = t.mkdir(sockets, std::to_string(ino), 0500);
      if (pair.first) t.add_file(d, "recv", std::make_shared<BlobContent>(pair.first), kSecretMode);
      if (pair.second)
        t.add_file(d, "send", std::make_shared<BlobContent>(pair.second), kSecretMode);
    }
  }
  if (!q->problems.empty()) {
    std::string s;
    for (const auto& p : q->problems) s += p + "\n";
    t.add_file(files, "ERRORS", std::make_shared<TextContent>(std::move(s)));
  }

  uint64_t net = t.mkdir(top, "net");
  t.add_file(net, "sockets", lazy_text([&c, q] { return render_sockets(c, *q); }));
}

}  // namespace ckptfs
