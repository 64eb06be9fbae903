#include "source/oci_source.h"

#include <fmt/format.h>
#include <sys/stat.h>

#include "source/layout.h"
#include "source/oci_index.h"
#include "source/oci_layer.h"
#include "source/oci_store.h"
#include "util/error.h"

namespace ckptfs {

namespace {

using Members = std::map<std::string, Member>;

void erase_prefix(Members& m, const std::string& prefix) {
  auto it = m.lower_bound(prefix);
  while (it != m.end() && it->first.starts_with(prefix)) it = m.erase(it);
}

// A layer over the layers below it (image-spec layer.md): ".wh.<name>"
// deletes <name> below, ".wh..wh..opq" empties its directory below; then the
// layer's own entries replace any of the same name.
void apply_layer(Members& below, Members layer) {
  for (auto it = layer.begin(); it != layer.end();) {
    size_t slash = it->first.rfind('/');
    std::string dir = slash == std::string::npos ? "" : it->first.substr(0, slash + 1);
    std::string_view base = std::string_view(it->first).substr(dir.size());
    if (!base.starts_with(".wh.")) {
      ++it;
      continue;
    }
    if (base == ".wh..wh..opq") {
      erase_prefix(below, dir);
    } else {
      std::string gone = dir + std::string(base.substr(4));
      below.erase(gone);
      erase_prefix(below, gone + "/");
    }
    it = layer.erase(it);
  }
  for (auto& [name, m] : layer) below.insert_or_assign(name, std::move(m));
}

void open_images(Source& src, const OciStore& store, const SourceLimits& limits,
                 const LayerIdentity& identity) {
  std::vector<FoundOciImage> found = read_oci_images(store);
  bool annotated = false;
  for (const auto& f : found) annotated |= has_checkpoint_annotations(f.image);
  std::vector<SaveCache> saves;
  if (src.save_cache) saves.push_back(std::move(src.save_cache));
  std::vector<std::pair<OciImage, Members>> kept;
  for (auto& f : found) {
    if (annotated && !has_checkpoint_annotations(f.image)) continue;
    Members members;
    for (size_t i = 0; i < f.image.layers.size(); ++i) {
      SaveCache save;
      TarListing l = read_oci_layer(*f.layer_blobs[i], f.image.layers[i], limits, identity, &save);
      if (save) saves.push_back(std::move(save));
      if (i == 0) {
        members = std::move(l.members);
        // Whiteouts of the first layer have nothing below them.
        std::erase_if(members, [](const auto& e) {
          return e.first.starts_with(".wh.") || e.first.find("/.wh.") != std::string::npos;
        });
      } else {
        apply_layer(members, std::move(l.members));
      }
    }
    if (holds_checkpoint(members)) kept.emplace_back(std::move(f.image), std::move(members));
  }
  if (found.empty())
    fail(src.path, "not a checkpoint: an {} that names no image manifest", store.kind());
  if (kept.empty())
    fail(src.path,
         "not a checkpoint: an {} whose {} image(s) hold no CRIU checkpoint (no inventory.img "
         "in their layers)",
         store.kind(), found.size());
  src.members.clear();
  for (auto& [image, members] : kept) {
    if (kept.size() > 1) image.member_prefix = "image-" + image.manifest.digest.substr(7, 12) + "/";
    for (auto& [name, m] : members) src.members.emplace(image.member_prefix + name, std::move(m));
    src.oci_images.push_back(std::move(image));
  }
  if (!saves.empty())
    src.save_cache = [saves = std::move(saves)](const std::atomic<bool>& stopping) {
      for (const auto& s : saves) s(stopping);
    };
}

}  // namespace

std::unique_ptr<Source> open_oci_directory(const std::string& path, const SourceLimits& limits) {
  auto src = std::make_unique<Source>();
  src->path = path;
  src->packing = Packing::OciLayout;
  auto store = oci_directory_store(path);
  open_images(*src, *store, limits, {});
  return src;
}

void open_oci_archive(Source& src, const SourceLimits& limits) {
  Members outer = std::move(src.members);
  src.members.clear();
  auto store = oci_archive_store(src.path, outer);
  // A compressed archive's members are in ckptfs's cache file: key its
  // layers to the archive, as the cache keys the archive itself.
  struct stat st {};
  bool compressed = src.packing != Packing::Tar;
  if (compressed && ::stat(src.path.c_str(), &st) != 0) fail_errno(src.path, "cannot stat");
  src.packing = Packing::OciArchive;
  open_images(src, *store, limits, {compressed ? &st : nullptr});
}

}  // namespace ckptfs
