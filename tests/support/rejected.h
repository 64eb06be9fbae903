#pragma once
// The contract for every input the real binary refuses (man page, EXIT
// STATUS): status 1, exactly one line on stderr that starts "ckptfs: ", names
// the file and says what is wrong, nothing on stdout, nothing left mounted and
// no daemon left behind.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "support/paths.h"

namespace ckptfs::test {

// The binary under test run with args under timeout(1), so a hang shows up as
// status 124 instead of a stuck run. cwd: where to run it ("" = here).
CommandResult run_ckptfs(const std::vector<std::string>& args, const std::string& cwd = "");

// names: strings the message must contain (usually the path); problem: words
// (any case) that say what is wrong.
::testing::AssertionResult Rejected(const CommandResult& r, const std::string& mountpoint,
                                    const std::vector<std::string>& names,
                                    const std::vector<std::string>& problem);

inline ::testing::AssertionResult Rejected(const CommandResult& r, const std::string& mountpoint,
                                           const std::string& names,
                                           const std::vector<std::string>& problem) {
  return Rejected(r, mountpoint, std::vector<std::string>{names}, problem);
}

// How many mounts sit exactly at path.
int mount_count(const std::string& path);

// Pids of live ckptfs processes (argv[0] is the binary under test) that have
// path among their arguments.
std::vector<pid_t> ckptfs_processes_for(const std::string& path);

}  // namespace ckptfs::test
