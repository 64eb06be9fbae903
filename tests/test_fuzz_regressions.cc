// Replays the fuzz regression corpus, tests/fuzz/corpus/<target>/ (inputs
// that once crashed, hung or exhausted memory, and a few seeds), through the
// same target functions libFuzzer runs. Under -DCKPTFS_SANITIZE=ON a memory
// error is caught here too; an exception other than InputError fails the test.

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

#include "fuzz/fuzz_target.h"

namespace fs = std::filesystem;

namespace {

fs::path corpus_dir(const std::string& target) { return fs::path(CKPTFS_FUZZ_CORPUS) / target; }

std::vector<std::string> target_names() {
  std::vector<std::string> names;
  for (const auto& [name, fn] : ckptfs::fuzz::targets()) names.push_back(name);
  return names;
}

class FuzzRegression : public ::testing::TestWithParam<std::string> {};

TEST_P(FuzzRegression, ReplaysCorpus) {
  ckptfs::fuzz::TargetFn fn = ckptfs::fuzz::targets().at(GetParam());
  std::vector<fs::path> inputs;
  if (fs::is_directory(corpus_dir(GetParam())))
    for (const auto& e : fs::directory_iterator(corpus_dir(GetParam())))
      if (e.is_regular_file() && e.path().filename() != "README.md") inputs.push_back(e.path());
  std::sort(inputs.begin(), inputs.end());
  for (const fs::path& p : inputs) {
    SCOPED_TRACE(p.string());
    std::ifstream in(p, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    std::string bytes = ss.str();
    EXPECT_EQ(fn(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()), 0);
  }
}

INSTANTIATE_TEST_SUITE_P(Targets, FuzzRegression, ::testing::ValuesIn(target_names()),
                         [](const auto& test_case) { return test_case.param; });

// A directory whose name is no target would never be replayed.
TEST(FuzzCorpus, EveryDirectoryIsATarget) {
  for (const auto& e : fs::directory_iterator(CKPTFS_FUZZ_CORPUS)) {
    if (!e.is_directory()) continue;
    EXPECT_TRUE(ckptfs::fuzz::targets().count(e.path().filename().string()))
        << e.path() << " names no fuzz target";
  }
}

}  // namespace
