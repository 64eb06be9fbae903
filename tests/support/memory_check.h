#pragma once
// Memory checks against the ground truth, shared by every test that mounts a
// real fixture in whatever packing: the bytes a user reads from
// procs/<pid>/mem must be the bytes the live process had.

#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "support/mount.h"

namespace ckptfs::test {

// pread()s len bytes at addr from procs/<pid>/mem; a short read fails the test.
std::string read_mem(const Mount& mount, uint32_t pid, uint64_t addr, size_t len);

// sha256 over every ground-truth VMA equals its sha256_dumped_view.
void expect_vmas_hash_like_dumped_view(const Mount& mount, const nlohmann::json& gt);
// Every CKPTFS_* marker of every process reads back at its address; fewer
// than at_least markers means the ground truth was not read.
void expect_markers_read_back(const Mount& mount, const nlohmann::json& gt, size_t at_least = 2500);
// Both of the above.
void expect_memory_matches_groundtruth(const Mount& mount, const nlohmann::json& gt);
// Both, for a checkpoint whose tree is at root (a collection's MOUNT/<name>).
void expect_memory_matches_groundtruth(const std::string& root, const nlohmann::json& gt);

}  // namespace ckptfs::test
