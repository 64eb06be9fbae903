#include "support/paths.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <stdexcept>

namespace ckptfs::test {

std::string fixtures_dir() { return CKPTFS_FIXTURES; }
bool have_fixtures() {
  struct stat st {};
  return ::stat((fixtures_dir() + "/proc-tree.groundtruth.json").c_str(), &st) == 0;
}
std::string missing_fixtures_message() {
  return "missing fixtures: " + fixtures_dir() +
         "/proc-tree.groundtruth.json does not exist (configure with "
         "-DCKPTFS_FIXTURES_DIR=DIR)";
}
std::string fixture(const std::string& name) {
  std::string path = fixtures_dir() + "/" + name;
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0)
    throw std::runtime_error("missing fixture: " + path + " (CKPTFS_FIXTURES_DIR)");
  return path;
}
std::string example(const std::string& name) {
  std::string path = source_dir() + "/examples/" + name;
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) throw std::runtime_error("missing example: " + path);
  return path;
}
std::string repo_fixture(const std::string& rel) {
  std::string path = source_dir() + "/tests/fixtures/" + rel;
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) throw std::runtime_error("missing fixture: " + path);
  return path;
}
std::string ckptfs_binary() { return CKPTFS_BINARY; }
std::string source_dir() { return CKPTFS_SOURCE_DIR; }

TempDir::TempDir() {
  const char* t = std::getenv("TMPDIR");
  std::string tmpl = std::string(t && *t ? t : "/tmp") + "/ckptfs-test-XXXXXX";
  if (!::mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
  path_ = tmpl;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

std::string shell_quote(const std::string& s) {
  std::string o = "'";
  for (char c : s) {
    if (c == '\'')
      o += "'\\''";
    else
      o += c;
  }
  return o + "'";
}

CommandResult run(const std::string& cmd) {
  TempDir tmp;
  std::string full = "( " + cmd + " ) >" + tmp.path() + "/out 2>" + tmp.path() + "/err </dev/null";
  int st = std::system(full.c_str());
  CommandResult r;
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + (WIFSIGNALED(st) ? WTERMSIG(st) : 0);
  r.out = read_file(tmp.path() + "/out");
  r.err = read_file(tmp.path() + "/err");
  // dash: "sh: 1: jq: not found" (status 127, or 0 when it was not the last
  // command of a pipeline); timeout(1): "timeout: failed to run command 'gdb'".
  static const std::regex missing(
      R"((?:^|\n)(?:sh: \d+: (\S+): not found|timeout: failed to run command '([^']+)'))");
  std::smatch m;
  if (std::regex_search(r.err, m, missing))
    ADD_FAILURE() << "missing test tool: " << (m[1].matched ? m[1] : m[2]).str()
                  << " (scripts/setup installs it)";
  return r;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void write_file(const std::string& path, const std::string& data) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) throw std::runtime_error("cannot write " + path);
  out.write(data.data(), static_cast<std::streamsize>(data.size()));
}

std::string sha256_hex(const std::string& data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), md, &len, EVP_sha256(), nullptr);
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (unsigned i = 0; i < len; ++i) {
    out += hex[md[i] >> 4];
    out += hex[md[i] & 15];
  }
  return out;
}

std::string tree_listing(const std::string& root) {
  auto r = run("cd " + shell_quote(root) + " && find . -printf '%P %y %m %s\\n' | sort");
  EXPECT_EQ(r.status, 0) << root << ": " << r.err;
  return r.out;
}

}  // namespace ckptfs::test
