#pragma once
// The first members of a checkpoint, read without opening it as a Source:
// what a collection's table needs (where the images are, the engine's
// metadata) from each of many archives, for the cost of a few tar headers.
// A plain tar is read header by header, data skipped by seeking; a
// compressed one is decompressed only as far as those members, into memory
// that is dropped at once, never into a cache; a directory is walked, its
// files opened only when read. Nothing stays open afterwards.

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "source/source.h"

namespace ckptfs {

struct PeekOptions {
  // Members whose data is read (into memory, when not over max_member_bytes);
  // every other file is listed with its size and a blob that refuses reads.
  std::function<bool(const std::string& name)> keep;
  uint64_t max_member_bytes = 1u << 20;
  uint64_t max_kept_bytes = 4u << 20;  // over all members
  // Asked after each member: true stops reading there.
  std::function<bool(const Source& seen)> enough;
  uint64_t max_members = 1'000'000;
};

struct Peek {
  std::unique_ptr<Source> source;  // the members read (all of them when complete)
  bool complete = false;           // read to the end of the archive
  // Why reading stopped before the end ("" if it did not fail): the archive
  // is broken after the members in source.
  std::string error;
  uint64_t file_bytes = 0;    // read from the file
  uint64_t stream_bytes = 0;  // of the tar stream, decompressed
};

// Throws InputError naming path when it is not a checkpoint at all: missing,
// neither a directory nor a tar (compressed or not), or not even one tar
// header readable.
Peek peek_source(const std::string& path, const PeekOptions& options);

// The same over a tar (compressed or not, as packing says) held in a blob: an
// OCI image's layer, say. origin names it in messages.
Peek peek_blob(const std::string& origin, const Blob& blob, Packing packing,
               const PeekOptions& options);

}  // namespace ckptfs
