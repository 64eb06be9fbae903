#pragma once
// The fixtures' ground truth, captured from the live processes before the dump.

#include <nlohmann/json.hpp>
#include <string>

namespace ckptfs::test {

nlohmann::json load_groundtruth(const std::string& label);  // "proc-tree" or "webapp"
nlohmann::json load_groundtruth_file(const std::string& path);
uint64_t hex(const nlohmann::json& j);  // "0x55c2…" -> number
// The checkpoint's pid of a ground-truth process (innermost namespace pid).
uint32_t ns_pid(const nlohmann::json& process);

}  // namespace ckptfs::test
