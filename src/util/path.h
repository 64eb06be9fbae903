#pragma once
// Paths as '/'-separated names (archive members, tree paths): one splitter
// for every layer, so "a//b/", "./a" and "/a" are cut the same way everywhere.

#include <string_view>
#include <vector>

namespace ckptfs {

// The non-empty components of path, in order: "./a//b/" -> ".", "a", "b".
// "." and ".." are kept: what they mean is the caller's to decide.
std::vector<std::string_view> path_components(std::string_view path);

}  // namespace ckptfs
