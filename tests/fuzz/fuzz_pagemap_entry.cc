// The hand decoder of pagemap_entry (src/images/pagemap_entry) against the
// generated protobuf parser: any difference in verdict or fields is a finding.

#include <stdexcept>

#include "fuzz/fuzz_target.h"
#include "images/pagemap_entry.h"
#include "pagemap.pb.h"

CKPTFS_FUZZ_TARGET(pagemap_entry) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  ckptfs::PagemapEntry e;
  bool ok = ckptfs::decode_pagemap_entry(bytes, e);
  criu::pagemap_entry m;
  bool want = m.ParseFromArray(data, static_cast<int>(size));
  if (ok != want) throw std::logic_error("pagemap_entry: verdicts differ");
  if (ok && (e.vaddr != m.vaddr() || e.nr_pages != m.nr_pages() ||
             e.compat_nr_pages != m.compat_nr_pages() || e.flags != m.flags() ||
             e.has_nr_pages != m.has_nr_pages() || e.has_flags != m.has_flags() ||
             e.in_parent != m.in_parent()))
    throw std::logic_error("pagemap_entry: fields differ");
  return 0;
}
