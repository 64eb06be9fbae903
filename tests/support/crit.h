#pragma once
// CRIU images decoded by Debian's crit (package criu): an oracle that shares
// no code with ckptfs's own parser, for what the ground truth does not hold
// (registers, signal masks, auxv, process groups).

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "support/paths.h"

namespace ckptfs::test {

// `crit decode -i image` as JSON; throws with crit's message on failure.
nlohmann::json crit_decode(const std::string& image);

// A number as crit prints it: 64-bit registers as "0x…" strings, the rest as
// JSON numbers.
uint64_t crit_u64(const nlohmann::json& v);

// The directory holding a checkpoint's images: the input itself when it is a
// directory, else its checkpoint/ (or top level) extracted into tmp.
std::string image_dir_of(const std::string& input, const TempDir& tmp);

}  // namespace ckptfs::test
