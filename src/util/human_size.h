#pragma once
#include <cstdint>
#include <string>

namespace ckptfs {
// "1.5 GiB": binary units with one decimal, as checkpointctl and df -h print them.
std::string human_size(uint64_t bytes);
}  // namespace ckptfs
