#pragma once
// A test suite whose every test runs against one real fixture mounted with
// ckptfs, beside that fixture's ground truth. The parameter says which.

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "support/groundtruth.h"
#include "support/mount.h"
#include "support/paths.h"

namespace ckptfs::test {

template <typename Param>
class MountedFixtureTest : public ::testing::TestWithParam<Param> {
 protected:
  // The checkpoint (relative to the fixtures dir) and its ground-truth label.
  virtual std::string input(const Param& p) const = 0;
  virtual std::string label(const Param& p) const = 0;

  void SetUp() override {
    CKPTFS_REQUIRE_FIXTURES();
    gt_ = load_groundtruth(label(this->GetParam()));
    mount_ = std::make_unique<Mount>(fixture(input(this->GetParam())));
  }
  void TearDown() override {
    if (mount_) {
      EXPECT_TRUE(mount_->unmount()) << mount_->log();
    }
  }
  // MOUNT/procs/<pid>/<file> for a ground-truth process.
  std::string proc(const nlohmann::json& p, const std::string& file) const {
    return *mount_ / ("procs/" + std::to_string(ns_pid(p)) + "/" + file);
  }

  nlohmann::json gt_;
  std::unique_ptr<Mount> mount_;
};

}  // namespace ckptfs::test
