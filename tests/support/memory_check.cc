#include "support/memory_check.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include "support/groundtruth.h"
#include "support/paths.h"

namespace ckptfs::test {

namespace {

std::string mem_path(const std::string& root, uint32_t pid) {
  return root + "/procs/" + std::to_string(pid) + "/mem";
}

std::string read_mem_at(const std::string& root, uint32_t pid, uint64_t addr, size_t len) {
  std::string path = mem_path(root, pid);
  int fd = ::open(path.c_str(), O_RDONLY);
  EXPECT_GE(fd, 0) << path;
  std::string buf(len, '\0');
  size_t got = 0;
  while (fd >= 0 && got < len) {
    ssize_t n = ::pread(fd, buf.data() + got, len - got, static_cast<off_t>(addr + got));
    if (n <= 0) break;
    got += static_cast<size_t>(n);
  }
  if (fd >= 0) ::close(fd);
  EXPECT_EQ(got, len) << "short read at 0x" << std::hex << addr << " in " << path;
  return buf;
}

void vmas_hash_like_dumped_view(const std::string& root, const nlohmann::json& gt) {
  size_t checked = 0;
  for (const auto& p : gt["processes"]) {
    for (const auto& v : p["vmas"]) {
      uint64_t start = hex(v["start"]), end = hex(v["end"]);
      EXPECT_EQ(sha256_hex(read_mem_at(root, ns_pid(p), start, end - start)),
                v["sha256_dumped_view"].get<std::string>())
          << "pid " << ns_pid(p) << " vma " << v["start"] << " " << v["path"];
      ++checked;
    }
  }
  // An empty ground truth would pass vacuously.
  EXPECT_GT(checked, 0u);
}

void markers_read_back(const std::string& root, const nlohmann::json& gt, size_t at_least) {
  size_t checked = 0;
  for (const auto& p : gt["processes"]) {
    std::string path = mem_path(root, ns_pid(p));
    int fd = ::open(path.c_str(), O_RDONLY);
    ASSERT_GE(fd, 0) << path;
    for (const auto& m : p["markers"]) {
      std::string marker = m["marker"];
      std::string buf(marker.size(), '\0');
      EXPECT_EQ(::pread(fd, buf.data(), buf.size(), static_cast<off_t>(hex(m["addr"]))),
                static_cast<ssize_t>(buf.size()))
          << "pid " << ns_pid(p) << " at " << m["addr"];
      EXPECT_EQ(buf, marker) << "pid " << ns_pid(p) << " at " << m["addr"];
      ++checked;
    }
    ::close(fd);
  }
  // The workload fixtures hold ~2574 markers each: far fewer means the ground
  // truth was not read.
  EXPECT_GE(checked, at_least);
}

}  // namespace

std::string read_mem(const Mount& mount, uint32_t pid, uint64_t addr, size_t len) {
  return read_mem_at(mount.path(), pid, addr, len);
}
void expect_vmas_hash_like_dumped_view(const Mount& mount, const nlohmann::json& gt) {
  vmas_hash_like_dumped_view(mount.path(), gt);
}
void expect_markers_read_back(const Mount& mount, const nlohmann::json& gt, size_t at_least) {
  markers_read_back(mount.path(), gt, at_least);
}
void expect_memory_matches_groundtruth(const Mount& mount, const nlohmann::json& gt) {
  expect_memory_matches_groundtruth(mount.path(), gt);
}
void expect_memory_matches_groundtruth(const std::string& root, const nlohmann::json& gt) {
  markers_read_back(root, gt, 2500);
  vmas_hash_like_dumped_view(root, gt);
}

}  // namespace ckptfs::test
