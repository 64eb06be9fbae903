// Seeds for the fuzz targets from real checkpoints:
//   make_seeds OUT CHECKPOINT...
// writes OUT/<target>/<name> for every target, and OUT/tree/<checkpoint>/,
// the shrunk image directory scripts/fuzz packs into tar seeds. Memory is
// trimmed to a few pages per pagemap (the rest of each pages file dropped),
// and files larger than kMaxFile are left out, so that seeds stay small
// enough for the fuzzer to mutate quickly.

#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>

#include "fuzz/fuzz_target.h"
#include "images/image_catalog.h"
#include "images/image_reader.h"
#include "images/magic.h"
#include "model/loader.h"
#include "pagemap.pb.h"
#include "source/layout.h"

namespace fs = std::filesystem;
using namespace ckptfs;

namespace {

constexpr uint64_t kMaxFile = 32 << 10;
constexpr uint64_t kPagesPerPagemap = 4;

using Files = std::map<std::string, std::string>;  // member name -> bytes

std::string le32(uint32_t v) { return std::string(reinterpret_cast<const char*>(&v), 4); }

void write_file(const fs::path& p, const std::string& bytes) {
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << bytes;
}

// Keeps the first kPagesPerPagemap stored pages of pagemap `name` (and of
// its pages file).
void trim_pagemap(Files& files, const Source& src, const std::string& dir,
                  const std::string& name) {
  std::string bytes = files[name];
  ImageReader r(name, bytes, magic::kPagemap);
  std::string out = bytes.substr(0, r.offset());
  std::string_view m;
  if (!r.next(m)) return;
  out += le32(m.size()) + std::string(m);
  auto head = r.parse<criu::pagemap_head>(m);
  uint64_t budget = kPagesPerPagemap, kept = 0;
  while (r.next(m)) {
    auto e = r.parse<criu::pagemap_entry>(m);
    bool present = !(e.has_in_parent() && e.in_parent()) && (!e.has_flags() || (e.flags() & 4));
    if (present) {
      uint64_t count = e.has_nr_pages() ? e.nr_pages() : e.compat_nr_pages();
      uint64_t keep = std::min(count, budget);
      if (keep == 0) break;
      if (e.has_nr_pages())
        e.set_nr_pages(keep);
      else
        e.set_compat_nr_pages(static_cast<uint32_t>(keep));
      budget -= keep;
      kept += keep * 4096;
    }
    std::string s = e.SerializeAsString();
    out += le32(s.size()) + s;
  }
  files[name] = out;
  std::string pages = dir + fmt::format("pages-{}.img", head.pages_id());
  if (const Member* p = src.find(pages); p && p->blob->size() >= kept) {
    std::string head_pages(kept, '\0');
    p->blob->pread(head_pages.data(), kept, 0);
    files[pages] = head_pages;
  }
}

std::string bundle(const Files& files, const std::string& strip = "") {
  std::string out;
  for (const auto& [name, bytes] : files) {
    if (!out.empty()) out += fuzz::kBundleSeparator;
    out += name.substr(name.starts_with(strip) ? strip.size() : 0) + "\n" + bytes;
  }
  return out;
}

void seeds_of(const fs::path& out, const std::string& path) {
  std::shared_ptr<const Source> src = open_source(path);
  std::string base = checkpoint_base_name(path);
  Files files;
  for (const auto& [name, m] : src->members)
    if (m.type == MemberType::File && m.blob->size() <= kMaxFile)
      files[name] = m.blob->read_all(kMaxFile);

  std::vector<const ImageType*> structured;
  for (const auto& t : image_catalog())
    if (t.structured()) structured.push_back(&t);

  for (const Layout& l : detect_layouts(*src)) {
    const std::string& dir = l.image_dir;
    for (const auto& [name, m] : src->members)
      if (name.starts_with(dir + "pagemap-")) {
        files[name] = m.blob->read_all(kMaxImageSize);
        trim_pagemap(files, *src, dir, name);
      }
    for (const auto& [name, bytes] : files) {
      std::string file = name.substr(name.starts_with(dir) ? dir.size() : 0);
      const ImageType* t = find_image_type(file);
      if (file.find('/') != std::string::npos || !t) continue;
      std::string seed = base + "-" + file;
      write_file(out / "image_reader" / seed, bytes);
      auto index = std::find(structured.begin(), structured.end(), t) - structured.begin();
      if (t->structured()) write_file(out / "image_json" / seed, char(index) + bytes);
      // One process's memory images, for address_space.
      if (file.starts_with("mm-")) {
        std::string pid = file.substr(3, file.size() - 7);
        Files mem;
        for (const auto& [n, b] : files)
          if (n == dir + "core-" + pid + ".img" || n == dir + "mm-" + pid + ".img" ||
              n == dir + "pagemap-" + pid + ".img" || n.starts_with(dir + "pagemap-shmem-") ||
              n.starts_with(dir + "pages-"))
            mem[n] = b;
        write_file(out / "address_space" / (base + "-" + pid), bundle(mem, dir));
      }
    }
  }
  write_file(out / "loader" / base, bundle(files));
  for (const auto& [name, bytes] : files) write_file(out / "tree" / base / name, bytes);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::cerr << "usage: make_seeds OUT CHECKPOINT...\n";
    return 2;
  }
  try {
    for (int i = 2; i < argc; ++i) seeds_of(argv[1], argv[i]);
  } catch (const std::exception& e) {
    std::cerr << "make_seeds: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
