#include "collection/probe.h"

#include <sys/stat.h>

#include <optional>

#include "collection/kubelet_name.h"
#include "model/container_meta.h"
#include "model/loader.h"
#include "source/layout.h"
#include "source/oci_peek.h"
#include "source/oci_store.h"
#include "source/peek.h"
#include "util/time_text.h"

namespace ckptfs {

namespace {

bool has_file(const Source& s, const std::string& name) {
  const Member* m = s.find(name);
  return m && m->type == MemberType::File;
}

// The members read_engine_metadata reads: the engine's metadata at the top
// or in a pod archive's container directories.
bool metadata_member(const std::string& name) {
  size_t slash = name.find('/');
  std::string_view base = slash == std::string::npos ? std::string_view(name)
                                                     : std::string_view(name).substr(slash + 1);
  if (base.find('/') != std::string_view::npos) return false;
  return base == "config.dump" || base == "spec.dump";
}

// Podman and CRI-O write config.dump and spec.dump beside checkpoint/: once
// all three are seen, nothing later changes the row. Pod archives and bare
// images are read to the end (a plain tar costs its headers only).
bool row_complete(const Source& s) {
  return (has_file(s, "checkpoint/inventory.img") || has_file(s, "pre-checkpoint/inventory.img")) &&
         has_file(s, "config.dump") && has_file(s, "spec.dump");
}

uint64_t files_size(const Source& s) {
  uint64_t n = 0;
  for (const auto& [name, m] : s.members)
    if (m.type == MemberType::File && m.blob) n += m.blob->size();
  return n;
}

// A row for each checkpoint src (peeked) holds. False when src, read to its
// end, holds none: not a checkpoint at all (p.error says why).
bool add_checkpoints(Probe& p, const Source& src, const struct stat& st) {
  std::vector<Layout> layouts;
  try {
    layouts = detect_layouts(src);
  } catch (const std::exception& e) {
    if (p.error.empty()) {
      p.error = e.what();
      return false;
    }
    return true;  // broken before its images: the caller's directory says so
  }
  for (const Layout& l : layouts) {
    std::string fallback = p.fallback_name;
    if (layouts.size() > 1) fallback = l.meta_dir.substr(0, l.meta_dir.size() - 1);
    ContainerInfo info = read_engine_metadata(src, l, fallback);
    ProbedCheckpoint c;
    c.container = info.name;
    c.engine = info.engine;
    c.pod = info.pod;
    c.namespace_ = info.namespace_;
    c.checkpointed = normalise_rfc3339(info.checkpointed);
    c.checkpointed_source = c.checkpointed.empty()             ? ""
                            : info.checkpointed_source.empty() ? "config.dump"
                                                               : info.checkpointed_source;
    const Member* inventory = src.find(l.image_dir + "inventory.img");
    c.mtime = inventory && inventory->mtime > 0 ? inventory->mtime : st.st_mtim.tv_sec;
    p.checkpoints.push_back(std::move(c));
  }
  return true;
}

}  // namespace

FileId file_id(const std::string& path) {
  struct stat st {};
  FileId id;
  if (::lstat(path.c_str(), &st) != 0) return id;
  id.dev = st.st_dev;
  id.ino = st.st_ino;
  id.size = static_cast<uint64_t>(st.st_size);
  id.mtime_ns = static_cast<int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
  return id;
}

Probe probe_checkpoint(const std::string& path) {
  Probe p;
  p.path = path;
  p.id = file_id(path);
  std::string file_name = path.substr(path.rfind('/') + 1);
  std::optional<KubeletName> kubelet = parse_kubelet_name(file_name);
  p.fallback_name =
      kubelet && !kubelet->container.empty() ? kubelet->container : checkpoint_base_name(path);
  struct stat st {};
  if (::lstat(path.c_str(), &st) == 0 && S_ISLNK(st.st_mode)) {
    p.error = path + ": not a checkpoint: a symbolic link (the mount follows none)";
    return p;
  }
  Peek peek;
  PeekOptions o;
  try {
    o.keep = metadata_member;
    o.max_member_bytes = kMaxMetadataBytes;
    o.max_kept_bytes = 2 * kMaxMetadataBytes;
    o.enough = row_complete;
    peek = peek_source(path, o);
  } catch (const std::exception& e) {
    p.error = e.what();
    return p;
  }
  const Source& outer = *peek.source;
  p.kind = packing_name(outer.packing);
  p.size = outer.packing == Packing::Directory ? files_size(outer) : outer.input_size;
  p.file_bytes = peek.file_bytes;
  p.stream_bytes = peek.stream_bytes;
  p.error = peek.error;
  bool oci = outer.packing == Packing::Directory ? is_oci_layout_dir(path)
                                                 : is_oci_layout_listing(outer.members);
  if (!oci) {
    if (!add_checkpoints(p, outer, st)) return p;
  } else {
    try {
      std::vector<OciPeek> images = peek_oci(path, outer.packing, o);
      p.kind = packing_name(outer.packing == Packing::Directory ? Packing::OciLayout
                                                                : Packing::OciArchive);
      for (const OciPeek& image : images) {
        p.stream_bytes += image.layer.stream_bytes;
        if (p.error.empty()) p.error = image.layer.error;
        if (!add_checkpoints(p, *image.layer.source, st)) return p;
      }
    } catch (const std::exception& e) {
      p.error = e.what();
      return p;
    }
  }
  if (p.checkpoints.empty()) {
    // Broken before its metadata: a directory that says so, named as the
    // file name allows.
    ProbedCheckpoint c;
    c.container = p.fallback_name;
    c.mtime = st.st_mtim.tv_sec;
    p.checkpoints.push_back(std::move(c));
  }
  if (kubelet) {
    // The archive's metadata is authoritative; the name fills what it lacks.
    for (ProbedCheckpoint& c : p.checkpoints) {
      KubeletName k = *kubelet;
      split_with(k, c.namespace_, c.container);
      if (c.pod.empty()) c.pod = k.pod;
      if (c.namespace_.empty()) c.namespace_ = k.namespace_;
      if (c.checkpointed.empty()) {
        c.checkpointed = k.time;
        c.checkpointed_source = "file name";
      }
    }
  }
  return p;
}

}  // namespace ckptfs
