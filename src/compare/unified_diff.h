#pragma once
// `diff -u` of two texts whose lines are sorted by a unique key, such as two
// maps files (one line per mapping, by start address). Lines are matched by
// key, so the diff takes time linear in the lines, and it is a shortest one
// whenever the keys really are sorted and unique; for any other input it is
// still a correct diff (patch turns a into b), only maybe a longer one.

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

namespace ckptfs {

using LineKey = std::function<uint64_t(std::string_view line)>;

// "" when the texts are equal. label_a, label_b go on the ---/+++ lines.
std::string unified_diff(std::string_view a, std::string_view b, const std::string& label_a,
                         const std::string& label_b, const LineKey& key, size_t context = 3);

}  // namespace ckptfs
