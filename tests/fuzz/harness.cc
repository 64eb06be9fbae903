#include <algorithm>
#include <cstdio>
#include <cstdlib>

#include "fuzz/fuzz_target.h"
#include "model/loader.h"
#include "vfs/build.h"
#include "vfs/tree.h"

namespace ckptfs::fuzz {

std::map<std::string, TargetFn>& targets() {
  static std::map<std::string, TargetFn> all;
  return all;
}

bool register_target(const char* name, TargetFn fn) {
  targets().emplace(name, fn);
  return true;
}

void note_input_error(const InputError& e) {
  static const bool verbose = std::getenv("CKPTFS_FUZZ_VERBOSE") != nullptr;
  if (verbose) std::fprintf(stderr, "InputError: %s\n", e.what());
}

std::unique_ptr<Source> bundle_source(std::string_view bytes) {
  auto src = std::make_unique<Source>();
  src->path = "fuzz-input";
  src->packing = Packing::Directory;
  for (size_t pos = 0; pos <= bytes.size();) {
    size_t end = std::min(bytes.find(kBundleSeparator, pos), bytes.size());
    std::string_view piece = bytes.substr(pos, end - pos);
    pos = end + kBundleSeparator.size();
    size_t nl = std::min(piece.find('\n'), piece.size());
    std::string name = normalise_member_name(piece.substr(0, nl));
    if (name.empty()) continue;
    std::string data(piece.substr(std::min(nl + 1, piece.size())));
    Member m;
    m.mode = 0644;
    m.blob = std::make_shared<MemoryBlob>(std::move(data), name);
    src->members.insert_or_assign(name, std::move(m));
  }
  return src;
}

void load_and_read(std::shared_ptr<const Source> src) {
  auto checkpoints = load_checkpoints(src, "fuzz");
  read_tree(*build_tree(checkpoints));
}

namespace {

constexpr size_t kReadBytes = 64 << 10;  // from the start of each file
constexpr size_t kExtentBytes = 4096;    // from each data extent visited
constexpr int kExtentsPerFile = 8;

void read_file(const Content& c, std::string& buf) {
  uint64_t size = c.size();
  c.allocated();
  buf.resize(kReadBytes);
  c.read(buf.data(), kReadBytes, 0);
  if (size > kReadBytes) c.read(buf.data(), kExtentBytes, size - std::min<uint64_t>(size, 100));
  uint64_t off = 0;
  for (int i = 0; i < kExtentsPerFile && off < size; ++i) {
    std::optional<uint64_t> data = c.seek_data(off);
    if (!data) break;
    c.read(buf.data(), kExtentBytes, *data);
    uint64_t hole = c.seek_hole(*data);
    off = hole > *data ? hole : *data + kExtentBytes;
  }
}

}  // namespace

void read_tree(const Tree& tree) {
  std::string buf;
  for (uint64_t ino = Tree::kRootIno; ino <= tree.size(); ++ino) {
    const Node* n = tree.get(ino);
    for (const auto& [name, child] : n->children) tree.lookup(ino, name);
    if (n->type == NodeType::File) tolerating_input_errors([&] { read_file(*n->content, buf); });
  }
}

}  // namespace ckptfs::fuzz
