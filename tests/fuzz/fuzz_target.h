#pragma once
// libFuzzer targets over ckptfs's input handling, one file each. A target
// feeds its bytes to the project's code the way the daemon does and lets only
// InputError (a cleanly rejected input) pass: any other exception, a crash, a
// sanitizer report, a hang or an allocation past the fuzzer's limit is a
// finding.
//
// Each target file is built twice: as a libFuzzer executable (with
// CKPTFS_LIBFUZZER, in the CKPTFS_FUZZ build) and into the normal test
// suite's test_fuzz_regressions, which replays tests/fuzz/corpus/<name>/
// through the same function.

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "source/source.h"
#include "util/error.h"

namespace ckptfs {
class Tree;
}

namespace ckptfs::fuzz {

using TargetFn = int (*)(const uint8_t* data, size_t size);

// Every target linked into this executable, by name.
std::map<std::string, TargetFn>& targets();
bool register_target(const char* name, TargetFn fn);

// Runs f, ignoring the InputError a bad input is allowed to end with
// (printed when CKPTFS_FUZZ_VERBOSE is set, to see how far an input gets).
void note_input_error(const InputError& e);
template <typename F>
void tolerating_input_errors(F&& f) {
  try {
    f();
  } catch (const InputError& e) {
    note_input_error(e);
  }
}

// A checkpoint's files packed into one fuzz input ("bundle"): members
// separated by kBundleSeparator, each "<name>\n<bytes>". Separators rather
// than lengths, so that the fuzzer's insertions and deletions keep the
// structure. tests/fuzz/make_seeds writes these from real checkpoints.
inline constexpr std::string_view kBundleSeparator = "\n--ckptfs-member--\n";
std::unique_ptr<Source> bundle_source(std::string_view bytes);

// What the daemon does after opening a source: load every checkpoint in it,
// build the tree and read every file (bounded), as a user's tools would.
void load_and_read(std::shared_ptr<const Source> src);

// Reads each file of the tree: its start, and the first few data extents of
// sparse files, a bounded number of bytes each. A file whose rendering fails
// with InputError is a file that answers EIO, which is allowed.
void read_tree(const Tree& tree);

}  // namespace ckptfs::fuzz

#ifdef CKPTFS_LIBFUZZER
#define CKPTFS_FUZZ_ENTRY(name)                                             \
  extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) { \
    return fuzz_##name(data, size);                                         \
  }
#else
#define CKPTFS_FUZZ_ENTRY(name)                          \
  [[maybe_unused]] static const bool registered_##name = \
      ckptfs::fuzz::register_target(#name, fuzz_##name);
#endif

// CKPTFS_FUZZ_TARGET(name) { body using data and size }
#define CKPTFS_FUZZ_TARGET(name)                            \
  static int fuzz_##name(const uint8_t* data, size_t size); \
  CKPTFS_FUZZ_ENTRY(name)                                   \
  static int fuzz_##name([[maybe_unused]] const uint8_t* data, [[maybe_unused]] size_t size)
