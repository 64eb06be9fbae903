#include "vfs/diff_tree.h"

#include <fmt/format.h>

#include <algorithm>

#include "compare/unified_diff.h"
#include "vfs/build.h"
#include "vfs/changed_content.h"
#include "vfs/fallible_text_content.h"
#include "vfs/hexdump_diff_content.h"
#include "vfs/lazy_dir.h"
#include "vfs/views/diff_summary.h"
#include "vfs/views/maps.h"
#include "vfs/vma_content.h"

namespace ckptfs {

namespace {

// A maps line's start address, its key for the diff.
uint64_t maps_key(std::string_view line) {
  uint64_t v = 0;
  for (char c : line) {
    int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
    if (d < 0) break;
    v = v << 4 | static_cast<uint64_t>(d);
  }
  return v;
}

std::shared_ptr<Content> fallible(std::string origin, std::function<void(TextSpool&)> render) {
  return std::make_shared<FallibleTextContent>(std::move(origin), std::move(render));
}

std::string render_pages(const PageDiff& d) {
  std::string s;
  for (const PageRun& r : d.runs)
    s += fmt::format("{:x}-{:x} {} {} {}\n", r.start, r.end, page_change_name(r.kind),
                     r.bytes_differ, run_mapping_name(r));
  return s;
}

// "7f44eba07000-7f44eba08000.rw-p.anon": the region's range, the mapping's
// permissions and name, as in vmas/.
std::string region_name(const PageRegion& r) {
  if (!r.vma) return fmt::format("{:x}-{:x}.----.unmapped", r.start, r.end);
  Vma v = *r.vma;
  v.start = r.start;
  v.end = r.end;
  std::string s = vma_file_name(v);
  std::replace(s.begin(), s.end(), '/', '_');
  return s;
}

std::unique_ptr<Tree> build_regions(const std::shared_ptr<const Comparison>& cmp, uint32_t pid,
                                    int64_t mtime) {
  auto t = std::make_unique<Tree>(mtime);
  const Process* b = cmp->process_b(pid);
  for (const PageRegion& r : changed_regions(cmp->pages(pid)))
    t->add_file(Tree::kRootIno, region_name(r),
                std::make_shared<AddressRangeContent>(b->memory, r.start, r.end), kSecretMode);
  return t;
}

void add_process(Tree& t, uint64_t procs, const std::shared_ptr<const Comparison>& cmp,
                 uint32_t pid, int64_t mtime) {
  uint64_t d = t.mkdir(procs, std::to_string(pid));
  std::string where = fmt::format("diff/{}..{}/procs/{}", cmp->name_a(), cmp->name_b(), pid);
  t.add_file(d, "pages", fallible(where + "/pages", [cmp, pid](TextSpool& out) {
               out.append(render_pages(cmp->pages(pid)));
             }));
  t.add_file(d, "changed", std::make_shared<ChangedPagesContent>(cmp, pid), kSecretMode);
  t.add_lazy_dir(d, "changed-regions",
                 std::make_shared<LazyDir>(
                     [cmp, pid, mtime] { return build_regions(cmp, pid, mtime); }, mtime),
                 0500);
  t.add_file(d, "hexdump.diff", std::make_shared<HexdumpDiffContent>(cmp, pid), kSecretMode);
  t.add_file(d, "maps.diff", std::make_shared<TextContent>([cmp, pid] {
               const Process* a = cmp->process_a(pid);
               const Process* b = cmp->process_b(pid);
               return unified_diff(a ? render_maps(*a) : "", b ? render_maps(*b) : "",
                                   fmt::format("{}/procs/{}/maps", cmp->name_a(), pid),
                                   fmt::format("{}/procs/{}/maps", cmp->name_b(), pid), maps_key);
             }));
}

}  // namespace

std::unique_ptr<Tree> build_comparison_tree(std::shared_ptr<const Comparison> cmp, int64_t mtime) {
  auto t = std::make_unique<Tree>(mtime);
  std::string where = fmt::format("diff/{}..{}", cmp->name_a(), cmp->name_b());
  // The summary holds command lines, environments and registers: owner-only.
  t->add_file(Tree::kRootIno, "summary",
              fallible(where + "/summary",
                       [cmp](TextSpool& out) { out.append(render_diff_summary(cmp->summary())); }),
              kSecretMode);
  t->add_file(
      Tree::kRootIno, "summary.json",
      fallible(where + "/summary.json",
               [cmp](TextSpool& out) { out.append(render_diff_summary_json(cmp->summary())); }),
      kSecretMode);
  uint64_t procs = t->mkdir(Tree::kRootIno, "procs");
  for (uint32_t pid : cmp->pids()) add_process(*t, procs, cmp, pid, mtime);
  t->seal();
  return t;
}

void add_diff_dirs(Tree& t, uint64_t diff_dir,
                   const std::vector<std::unique_ptr<Checkpoint>>& checkpoints,
                   const std::vector<std::string>& names) {
  for (size_t i = 0; i + 1 < checkpoints.size(); ++i) {
    const Checkpoint& a = *checkpoints[i];
    const Checkpoint& b = *checkpoints[i + 1];
    std::string name_a = names[i], name_b = names[i + 1];
    int64_t mtime = std::max(a.mtime, b.mtime);
    auto build = [&a, &b, name_a, name_b, mtime] {
      return build_comparison_tree(std::make_shared<Comparison>(a, b, name_a, name_b), mtime);
    };
    t.add_lazy_dir(diff_dir, name_a + ".." + name_b, std::make_shared<LazyDir>(build, mtime));
  }
}

}  // namespace ckptfs
