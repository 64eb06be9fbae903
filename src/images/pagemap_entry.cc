#include "images/pagemap_entry.h"

#include "pagemap.pb.h"

namespace ckptfs {

namespace {

bool via_protobuf(std::string_view bytes, PagemapEntry& e) {
  criu::pagemap_entry m;
  if (!m.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) return false;
  e.vaddr = m.vaddr();
  e.nr_pages = m.nr_pages();
  e.compat_nr_pages = m.compat_nr_pages();
  e.flags = m.flags();
  e.has_nr_pages = m.has_nr_pages();
  e.has_flags = m.has_flags();
  e.in_parent = m.in_parent();
  return true;
}

}  // namespace

bool decode_pagemap_entry(std::string_view bytes, PagemapEntry& e) {
  // Fast path: what CRIU writes, one-byte tags of fields 1-5 each followed by
  // a varint. Anything else (unknown fields, other wire types, overlong or
  // truncated varints) is rare enough to hand to the generated parser whole.
  e = {};
  auto p = reinterpret_cast<const unsigned char*>(bytes.data());
  const unsigned char* end = p + bytes.size();
  while (p != end) {
    unsigned tag = *p++;
    if ((tag & 7) != 0 || tag < (1 << 3) || tag > (5 << 3)) return via_protobuf(bytes, e);
    uint64_t v = 0;
    for (int shift = 0;; shift += 7) {
      if (p == end || shift == 70) return via_protobuf(bytes, e);
      unsigned char b = *p++;
      if (shift == 63 && b > 1) return via_protobuf(bytes, e);
      v |= uint64_t(b & 0x7f) << shift;
      if (!(b & 0x80)) break;
    }
    switch (tag >> 3) {
      case 1:
        e.vaddr = v;
        break;
      case 2:
        e.compat_nr_pages = static_cast<uint32_t>(v);
        break;
      case 3:
        e.in_parent = v != 0;
        break;
      case 4:
        e.flags = static_cast<uint32_t>(v);
        e.has_flags = true;
        break;
      case 5:
        e.nr_pages = v;
        e.has_nr_pages = true;
        break;
    }
  }
  return true;
}

}  // namespace ckptfs
