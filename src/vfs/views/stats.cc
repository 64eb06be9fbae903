#include "vfs/views/stats.h"

#include <fmt/format.h>

#include "images/image_reader.h"
#include "images/magic.h"
#include "stats.pb.h"
#include "util/error.h"

namespace ckptfs {

std::string render_stats(const std::string& name, const Blob& blob) {
  ImageReader r = ImageReader::from_blob(name, blob, magic::kStats);
  criu::stats_entry e;
  if (!r.next(e)) fail(name, "holds no statistics entry");
  std::string o;
  auto row = [&o](const char* k, uint64_t v, const char* unit = "") {
    o += fmt::format("{:<24}{}{}\n", std::string(k) + ":", v, unit);
  };
  if (e.has_dump()) {
    const auto& d = e.dump();
    row("freezing_time", d.freezing_time(), " us");
    row("frozen_time", d.frozen_time(), " us");
    row("memdump_time", d.memdump_time(), " us");
    row("memwrite_time", d.memwrite_time(), " us");
    row("pages_scanned", d.pages_scanned());
    row("pages_skipped_parent", d.pages_skipped_parent());
    row("pages_written", d.pages_written());
    row("pages_lazy", d.pages_lazy());
    if (d.has_irmap_resolve()) row("irmap_resolve", d.irmap_resolve(), " us");
    if (d.has_page_pipes()) row("page_pipes", d.page_pipes());
    if (d.has_page_pipe_bufs()) row("page_pipe_bufs", d.page_pipe_bufs());
    if (d.has_shpages_scanned()) row("shpages_scanned", d.shpages_scanned());
    if (d.has_shpages_skipped_parent()) row("shpages_skipped_parent", d.shpages_skipped_parent());
    if (d.has_shpages_written()) row("shpages_written", d.shpages_written());
  }
  if (e.has_restore()) {
    const auto& s = e.restore();
    row("pages_compared", s.pages_compared());
    row("pages_skipped_cow", s.pages_skipped_cow());
    row("forking_time", s.forking_time(), " us");
    row("restore_time", s.restore_time(), " us");
    if (s.has_pages_restored()) row("pages_restored", s.pages_restored());
  }
  return o;
}

}  // namespace ckptfs
