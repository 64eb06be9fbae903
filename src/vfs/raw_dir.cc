#include "vfs/raw_dir.h"

#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "images/image_catalog.h"
#include "images/image_json.h"
#include "images/image_reader.h"
#include "util/error.h"
#include "vfs/blob_content.h"
#include "vfs/build.h"
#include "vfs/fallible_text_content.h"

namespace ckptfs {

namespace {

// Service files CRIU writes to its work directory, which container engines
// keep beside the image directory rather than in it (format doc §18).
constexpr std::string_view kServiceFiles[] = {"stats-dump", "stats-restore"};

struct RawFile {
  std::string file;    // name in raw/
  std::string member;  // path in the checkpoint, for error messages
  std::shared_ptr<Blob> blob;
};

std::vector<RawFile> raw_files(const Checkpoint& c) {
  std::vector<RawFile> out;
  std::set<std::string> seen;
  for (const FileInDir& f : files_in(*c.source, c.layout.image_dir)) {
    seen.insert(std::string(f.name));
    out.push_back({std::string(f.name), *f.path, f.member->blob});
  }
  if (c.layout.meta_dir == c.layout.image_dir) return out;
  for (std::string_view name : kServiceFiles) {
    std::string member = c.layout.meta_dir + std::string(name);
    const Member* m = c.source->find(member);
    if (m && m->type == MemberType::File && seen.insert(std::string(name)).second)
      out.push_back({std::string(name), member, m->blob});
  }
  return out;
}

}  // namespace

void add_raw_dir(Tree& t, uint64_t top, const Checkpoint& c) {
  uint64_t dir = t.mkdir(top, "raw", 0500);
  std::vector<RawFile> files = raw_files(c);
  std::set<std::string> names;
  // Registers, memory, buffered pipe and socket data: owner only, like mem.
  for (const RawFile& f : files) {
    names.insert(f.file);
    t.add_file(dir, f.file, std::make_shared<BlobContent>(f.blob), kSecretMode);
  }
  // After every real file, so that a file really named x.img.json wins.
  for (const RawFile& f : files) {
    const ImageType* type = find_image_type(f.file);
    if (!type || !type->structured() || !names.insert(f.file + ".json").second) continue;
    auto json =
        std::make_shared<FallibleTextContent>(f.member + ".json", [f, type](TextSpool& out) {
          if (f.blob->size() > kMaxImageSize)
            fail(f.member, "image of {} bytes is implausibly large", f.blob->size());
          image_to_json(f.member, f.blob->read_all(kMaxImageSize), *type,
                        [&out](std::string_view s) { out.append(s); });
        });
    t.add_file(dir, f.file + ".json", std::move(json), kSecretMode);
  }
}

}  // namespace ckptfs
