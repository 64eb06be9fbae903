#include "model/queued_data.h"

#include <fmt/format.h>

#include "images/image_reader.h"
#include "images/magic.h"
#include "pipe_data.pb.h"
#include "remap.pb.h"
#include "sk_queues.pb.h"
#include "source/slice_blob.h"
#include "source/sparse_blob.h"
#include "tcp_stream.pb.h"
#include "util/error.h"

namespace ckptfs {

uint32_t socket_inode(const criu::file_entry& f) {
  if (f.has_usk()) return f.usk().ino();
  if (f.has_isk()) return f.isk().ino();
  if (f.has_nlsk()) return f.nlsk().ino();
  return 0;
}

namespace {

using Pieces = std::vector<SparseBlob::Piece>;

std::shared_ptr<const Blob> assemble(const Pieces& pieces, const std::string& origin) {
  uint64_t size = 0;
  Pieces laid;
  for (const auto& p : pieces) {
    laid.push_back({size, p.length, p.source, p.source_offset});
    size += p.length;
  }
  return std::make_shared<SparseBlob>(size, std::move(laid), origin);
}

// Images whose entries are each followed by a payload (pipes-data, fifo-data,
// sk-queues): every payload, in order, gathered under the key its entry names.
template <typename Entry, typename Key, typename Length>
void load_payloads(const Checkpoint& c, const std::string& name, uint32_t magic, Key key,
                   Length length, const char* what,
                   std::map<uint32_t, std::shared_ptr<const Blob>>& out) {
  const Member* m = c.image(name);
  if (!m || m->type != MemberType::File) return;
  std::string path = c.layout.image_dir + name;
  ImageReader r = ImageReader::from_blob(path, *m->blob, magic);
  std::map<uint32_t, Pieces> parts;
  Entry e;
  while (r.next(e)) {
    uint64_t at = r.offset();
    r.extra(length(e));
    parts[key(e)].push_back({0, length(e), m->blob, at});
  }
  for (auto& [id, p] : parts) out[id] = assemble(p, fmt::format("{}: {} {}", path, what, id));
}

void load_pipes(const Checkpoint& c, const std::string& name, uint32_t magic,
                std::map<uint32_t, std::shared_ptr<const Blob>>& out) {
  load_payloads<criu::pipe_data_entry>(
      c, name, magic, [](const auto& e) { return e.pipe_id(); },
      [](const auto& e) { return e.bytes(); }, "pipe", out);
}

void load_sk_queues(const Checkpoint& c, QueuedData& q) {
  load_payloads<criu::sk_packet_entry>(
      c, "sk-queues.img", magic::kSkQueues, [](const auto& e) { return e.id_for(); },
      [](const auto& e) { return e.length(); }, "socket file", q.socket_recv);
}

void load_tcp_streams(const Checkpoint& c, QueuedData& q) {
  for (const auto& [id, f] : c.files) {
    if (!f.has_isk()) continue;
    std::string name = fmt::format("tcp-stream-{:x}.img", f.isk().ino());
    const Member* m = c.image(name);
    if (!m || m->type != MemberType::File) continue;
    std::string path = c.layout.image_dir + name;
    try {
      ImageReader r = ImageReader::from_blob(path, *m->blob, magic::kTcpStream);
      criu::tcp_stream_entry e;
      if (!r.next(e)) fail(path, "holds no entry");
      uint64_t at = r.offset();
      r.extra(uint64_t{e.inq_len()} + e.outq_len());
      q.tcp_recv[f.isk().ino()] =
          std::make_shared<SliceBlob>(m->blob, at, e.inq_len(), path + " (receive queue)");
      q.tcp_send[f.isk().ino()] = std::make_shared<SliceBlob>(m->blob, at + e.inq_len(),
                                                              e.outq_len(), path + " (send queue)");
    } catch (const std::exception& ex) {
      q.problems.push_back(ex.what());
    }
  }
}

void load_ghosts(const Checkpoint& c, QueuedData& q) {
  const Member* m = c.image("remap-fpath.img");
  if (!m || m->type != MemberType::File) return;
  ImageReader r =
      ImageReader::from_blob(c.layout.image_dir + "remap-fpath.img", *m->blob, magic::kRemapFpath);
  criu::remap_file_path_entry e;
  while (r.next(e)) {
    bool ghost = e.has_remap_type() ? e.remap_type() == 1 : (e.remap_id() >> 31) != 0;
    if (!ghost) continue;
    uint32_t id = e.has_remap_type() ? e.remap_id() : (e.remap_id() & 0x7fffffffu);
    std::string name = fmt::format("ghost-file-{:x}.img", id);
    const Member* g = c.image(name);
    auto f = c.files.find(e.orig_id());
    if (!g || g->type != MemberType::File || f == c.files.end() || !f->second.has_reg()) continue;
    try {
      q.deleted.push_back(
          {f->second.reg().name(), read_ghost_file(c.layout.image_dir + name, g->blob)});
    } catch (const std::exception& ex) {
      q.problems.push_back(ex.what());
    }
  }
}

}  // namespace

QueuedData load_queued_data(const Checkpoint& c) {
  QueuedData q;
  auto guarded = [&q](auto&& f) {
    try {
      f();
    } catch (const std::exception& e) {
      q.problems.push_back(e.what());
    }
  };
  guarded([&] { load_pipes(c, "pipes-data.img", magic::kPipesData, q.pipes); });
  guarded([&] { load_pipes(c, "fifo-data.img", magic::kFifoData, q.fifos); });
  guarded([&] { load_sk_queues(c, q); });
  guarded([&] { load_tcp_streams(c, q); });
  guarded([&] { load_ghosts(c, q); });
  return q;
}

}  // namespace ckptfs
