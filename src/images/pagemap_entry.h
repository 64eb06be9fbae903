#pragma once
// pagemap_entry decoded straight from its wire bytes. A pagemap holds one
// entry per run of pages (a million in a big process); protobuf's generated
// parser builds and frees a message for each, which was most of the time a
// mount spent. Only the encoding CRIU writes is decoded here; any other bytes
// go to the generated parser, so the answers are always its answers (a test
// compares the two on random and mutated entries).

#include <cstdint>
#include <string_view>

namespace ckptfs {

struct PagemapEntry {
  uint64_t vaddr = 0;
  uint64_t nr_pages = 0;         // field 5 (CRIU >= 4.2)
  uint32_t compat_nr_pages = 0;  // field 2 (older CRIU; 0 from 4.2 on)
  uint32_t flags = 0;
  bool has_nr_pages = false;
  bool has_flags = false;
  bool in_parent = false;
};

// False when the bytes are not a valid message (as ParseFromArray would say).
bool decode_pagemap_entry(std::string_view bytes, PagemapEntry& e);

}  // namespace ckptfs
