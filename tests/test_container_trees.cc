// containers/<name>/rootfs-diff/, devshm/, mounts and files/tmpfs/<dev>/
// through a real mount of the Podman fixture, compressed and repacked as a
// plain tar (with rootfs-diff.tar gzip'ed as containerd stores it, too),
// checked against what GNU tar itself lists and extracts from the same bytes.

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <stdexcept>
#include <vector>

#include "mnt.pb.h"
#include "support/mount.h"
#include "support/paths.h"

namespace ckptfs::test {
namespace {

namespace fs = std::filesystem;

void sh(const std::string& cmd) {
  CommandResult r = run(cmd);
  if (r.status != 0) throw std::runtime_error("`" + cmd + "` failed: " + r.err);
}

// The fixture unpacked once per test process, and the repacks built from it.
class Workspace {
 public:
  static Workspace& get() {
    static Workspace w;
    return w;
  }
  const std::string& unpacked() const { return unpacked_; }
  // The archive a case mounts, built on first use.
  std::string archive(const std::string& kind) {
    if (kind == "zstd") return fixture("webapp-checkpoint.tar.zst");
    std::string out = dir_ / (kind + ".tar");
    if (fs::exists(out)) return out;
    std::string src = unpacked_;
    if (kind == "plain-gzip-rootfs-diff") {
      src = dir_ / "gzip-rootfs-diff";
      sh("cp -a " + shell_quote(unpacked_) + " " + shell_quote(src));
      sh("gzip -c " + shell_quote(unpacked_ + "/rootfs-diff.tar") + " > " +
         shell_quote(src + "/rootfs-diff.tar"));
      if (!read_file(src + "/rootfs-diff.tar").starts_with("\x1f\x8b"))
        throw std::runtime_error("rootfs-diff.tar was not gzip'ed");
    }
    sh("tar -C " + shell_quote(src) + " -cf " + shell_quote(out) + " .");
    return out;
  }
  // rootfs-diff.tar extracted by GNU tar, modes and times kept.
  const std::string& rootfs_extracted() const { return rootfs_; }

 private:
  Workspace() {
    unpacked_ = dir_ / "unpacked";
    rootfs_ = dir_ / "rootfs-extracted";
    fs::create_directories(unpacked_);
    fs::create_directories(rootfs_);
    sh("zstd -dc " + shell_quote(fixture("webapp-checkpoint.tar.zst")) + " | tar -xf - -C " +
       shell_quote(unpacked_));
    sh("tar -xpf " + shell_quote(unpacked_ + "/rootfs-diff.tar") + " -C " + shell_quote(rootfs_));
  }
  TempDir dir_;
  std::string unpacked_, rootfs_;
};

// One line of `tar -tv --full-time` (in UTC).
struct Listed {
  std::string perms;  // "-rw-r--r--", "crw-rw-rw-", "lrwxrwxrwx"
  std::string size;   // bytes, or "major,minor" for devices
  time_t mtime = 0;
  std::string target;  // symlinks
};

std::string normalised(std::string name) {
  while (name.starts_with("./")) name.erase(0, 2);
  while (!name.empty() && name.back() == '/') name.pop_back();
  return name == "." ? "" : name;
}

// By normalised name; "" is the archive's "./" entry.
std::map<std::string, Listed> tar_listing(const std::string& tar_flags,
                                          const std::string& archive) {
  CommandResult r = run("TZ=UTC tar --full-time " + tar_flags + " " + shell_quote(archive));
  if (r.status != 0) throw std::runtime_error("tar " + tar_flags + " failed: " + r.err);
  std::map<std::string, Listed> out;
  std::istringstream in(r.out);
  for (std::string line; std::getline(in, line);) {
    std::istringstream f(line);
    Listed l;
    std::string owner, date, time;
    f >> l.perms >> owner >> l.size >> date >> time;
    std::string name;
    std::getline(f >> std::ws, name);
    if (auto arrow = name.find(" -> "); l.perms[0] == 'l' && arrow != std::string::npos) {
      l.target = name.substr(arrow + 4);
      name.resize(arrow);
    }
    std::tm tm{};
    if (!strptime((date + " " + time).c_str(), "%Y-%m-%d %H:%M:%S", &tm))
      throw std::runtime_error("bad date: " + line);
    l.mtime = timegm(&tm);
    out[normalised(name)] = l;
  }
  return out;
}

// `ls -l`'s mode column.
std::string perms_of(const struct stat& st) {
  std::string s = "?---------";
  if (S_ISREG(st.st_mode)) s[0] = '-';
  if (S_ISDIR(st.st_mode)) s[0] = 'd';
  if (S_ISLNK(st.st_mode)) s[0] = 'l';
  if (S_ISCHR(st.st_mode)) s[0] = 'c';
  if (S_ISBLK(st.st_mode)) s[0] = 'b';
  if (S_ISFIFO(st.st_mode)) s[0] = 'p';
  if (S_ISSOCK(st.st_mode)) s[0] = 's';
  const char* rwx = "rwxrwxrwx";
  for (int i = 0; i < 9; ++i)
    if (st.st_mode & (0400 >> i)) s[1 + i] = rwx[i];
  auto special = [&](int pos, mode_t bit, char set, char unset) {
    if (st.st_mode & bit) s[pos] = s[pos] == '-' ? unset : set;
  };
  special(3, S_ISUID, 's', 'S');
  special(6, S_ISGID, 's', 'S');
  special(9, S_ISVTX, 't', 'T');
  return s;
}

// Every path below root (not following symlinks), relative to it.
std::set<std::string> walk(const std::string& root) {
  std::set<std::string> out;
  for (const auto& e : fs::recursive_directory_iterator(root))
    out.insert(e.path().lexically_relative(root).string());
  return out;
}

// The mounted tree shows exactly what tar lists: names, types, modes, sizes,
// mtimes, device numbers and symlink targets. Directories only implied by
// member paths are allowed beside them when implied_ok.
void expect_tree_matches_listing(const std::string& root,
                                 const std::map<std::string, Listed>& listing, bool implied_ok) {
  std::set<std::string> listed;
  for (const auto& [name, l] : listing)
    if (!name.empty()) listed.insert(name);
  std::set<std::string> mounted = walk(root);
  if (implied_ok) {
    std::set<std::string> implied;
    for (const auto& n : listed)
      for (size_t s = n.find('/'); s != std::string::npos; s = n.find('/', s + 1))
        implied.insert(n.substr(0, s));
    for (const auto& n : implied)
      if (!listed.count(n)) mounted.erase(n);
  }
  EXPECT_EQ(mounted, listed) << root;

  for (const auto& [name, l] : listing) {
    SCOPED_TRACE(root + " / " + (name.empty() ? "(top)" : name));
    std::string path = name.empty() ? root : root + "/" + name;
    struct stat st {};
    ASSERT_EQ(::lstat(path.c_str(), &st), 0) << std::strerror(errno);
    EXPECT_EQ(perms_of(st), l.perms);
    EXPECT_EQ(st.st_mtime, l.mtime);
    if (S_ISREG(st.st_mode)) {
      EXPECT_EQ(std::to_string(st.st_size), l.size);
    }
    if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) {
      EXPECT_EQ(std::to_string(major(st.st_rdev)) + "," + std::to_string(minor(st.st_rdev)),
                l.size);
    }
    if (S_ISLNK(st.st_mode)) {
      EXPECT_EQ(fs::read_symlink(path).string(), l.target);
    }
  }
}

struct Case {
  std::string name;
  std::string archive;  // Workspace::archive kind
};
std::ostream& operator<<(std::ostream& o, const Case& c) { return o << c.name; }

class ContainerTreesMount : public ::testing::TestWithParam<Case> {
 protected:
  void SetUp() override {
    CKPTFS_REQUIRE_FIXTURES();
    mount_ = std::make_unique<Mount>(Workspace::get().archive(GetParam().archive));
  }
  void TearDown() override {
    if (mount_) {
      EXPECT_TRUE(mount_->unmount()) << mount_->log();
    }
  }
  std::string ctr(const std::string& rel) const { return *mount_ / ("containers/webapp/" + rel); }
  const std::string& unpacked() const { return Workspace::get().unpacked(); }

  std::unique_ptr<Mount> mount_;
};

TEST_P(ContainerTreesMount, RootfsDiffMatchesTarListing) {
  auto listing = tar_listing("-tvf", unpacked() + "/rootfs-diff.tar");
  ASSERT_TRUE(listing.count("usr/local/bin/ckpt_workload"));
  ASSERT_TRUE(listing.count("srv/ckpt/mapped.bin"));
  expect_tree_matches_listing(ctr("rootfs-diff"), listing, true);
}

TEST_P(ContainerTreesMount, RootfsDiffBytesEqualTarsExtraction) {
  const std::string& extracted = Workspace::get().rootfs_extracted();
  int files = 0;
  for (const auto& e : fs::recursive_directory_iterator(extracted)) {
    if (!e.is_regular_file() || e.is_symlink()) continue;
    std::string rel = e.path().lexically_relative(extracted).string();
    CommandResult r =
        run("cmp " + shell_quote(e.path().string()) + " " + shell_quote(ctr("rootfs-diff/" + rel)));
    EXPECT_EQ(r.status, 0) << rel << ": " << r.out << r.err;
    ++files;
  }
  EXPECT_EQ(files, 4);
  CommandResult d =
      run("diff -r " + shell_quote(extracted) + " " + shell_quote(ctr("rootfs-diff")));
  EXPECT_EQ(d.status, 0) << d.out << d.err;
  EXPECT_EQ(d.out, "");
  // The workload binary, read at an odd offset, is the file tar extracted.
  std::string bin = read_file(extracted + "/usr/local/bin/ckpt_workload");
  std::ifstream in(ctr("rootfs-diff/usr/local/bin/ckpt_workload"), std::ios::binary);
  in.seekg(12345);
  std::string part(1000, '\0');
  in.read(part.data(), static_cast<std::streamsize>(part.size()));
  EXPECT_EQ(part, bin.substr(12345, 1000));
}

TEST_P(ContainerTreesMount, DevshmExistsAndIsEmpty) {
  struct stat st {};
  ASSERT_EQ(::stat(ctr("devshm").c_str(), &st), 0);
  EXPECT_TRUE(S_ISDIR(st.st_mode));
  EXPECT_TRUE(walk(ctr("devshm")).empty());
  // Its "./" entry gives the directory the mode /dev/shm had.
  expect_tree_matches_listing(ctr("devshm"),
                              tar_listing("-tvf", unpacked() + "/devshm-checkpoint.tar"), false);
}

TEST_P(ContainerTreesMount, TmpfsTreesListWhatTarLists) {
  std::set<std::string> devs;
  for (const auto& e : fs::directory_iterator(unpacked() + "/checkpoint")) {
    std::string f = e.path().filename().string();
    if (!f.starts_with("tmpfs-dev-") || !f.ends_with(".tar.gz.img")) continue;
    std::string dev = f.substr(10, f.size() - 10 - 11);
    devs.insert(dev);
    SCOPED_TRACE(f);
    std::string root = *mount_ / ("files/tmpfs/" + dev);
    // Names exactly as `tar -tzf` gives them.
    CommandResult names = run("tar -tzf " + shell_quote(e.path().string()));
    ASSERT_EQ(names.status, 0);
    std::set<std::string> listed;
    std::istringstream in(names.out);
    for (std::string l; std::getline(in, l);)
      if (!normalised(l).empty()) listed.insert(normalised(l));
    EXPECT_EQ(walk(root), listed);
    expect_tree_matches_listing(root, tar_listing("-tvzf", e.path().string()), false);
  }
  EXPECT_EQ(devs, (std::set<std::string>{"44", "47", "48", "49", "50"}));
  std::set<std::string> shown;
  for (const auto& e : fs::directory_iterator(*mount_ / "files/tmpfs"))
    shown.insert(e.path().filename().string());
  EXPECT_EQ(shown, devs);
}

TEST_P(ContainerTreesMount, ArchivedDeviceNodesNeverOpenARealDevice) {
  std::string null = *mount_ / "files/tmpfs/44/null";
  struct stat st {};
  ASSERT_EQ(::lstat(null.c_str(), &st), 0);
  EXPECT_TRUE(S_ISCHR(st.st_mode));
  EXPECT_EQ(st.st_rdev, makedev(1, 3));
  EXPECT_EQ(::open(null.c_str(), O_RDONLY), -1);
  EXPECT_EQ(errno, EACCES) << "the mount is nodev";
  EXPECT_EQ(fs::read_symlink(*mount_ / "files/tmpfs/44/stdin").string(), "/proc/self/fd/0");
}

// mountpoints-13.img decoded here with the protos alone: CRIU's framing is
// two magics, then u32 length + message per entry.
std::vector<criu::mnt_entry> mnt_entries(const std::string& image) {
  std::string b = read_file(image);
  std::vector<criu::mnt_entry> out;
  for (size_t pos = 8; pos + 4 <= b.size();) {
    uint32_t len;
    std::memcpy(&len, b.data() + pos, 4);
    criu::mnt_entry e;
    if (!e.ParseFromString(b.substr(pos + 4, len)))
      throw std::runtime_error("bad mnt_entry in " + image);
    out.push_back(e);
    pos += 4 + len;
  }
  return out;
}

std::vector<std::string> fields(const std::string& line) {
  std::istringstream in(line);
  std::vector<std::string> f;
  for (std::string w; in >> w;) f.push_back(w);
  return f;
}

TEST_P(ContainerTreesMount, MountsListsEveryMountAndTheSpecs) {
  std::string text = read_file(ctr("mounts"));
  auto blank = text.find("\n\n");
  ASSERT_NE(blank, std::string::npos) << text;
  std::vector<std::string> criu_lines, spec_lines;
  {
    std::istringstream in(text.substr(0, blank + 1));
    for (std::string l; std::getline(in, l);) criu_lines.push_back(l);
    std::istringstream sin(text.substr(blank + 2));
    std::string header;
    std::getline(sin, header);
    EXPECT_TRUE(header.starts_with("# ")) << header;
    for (std::string l; std::getline(sin, l);) spec_lines.push_back(l);
  }

  auto entries = mnt_entries(unpacked() + "/checkpoint/mountpoints-13.img");
  ASSERT_EQ(criu_lines.size(), entries.size()) << text;
  std::map<uint32_t, std::vector<std::string>> by_id;
  for (const auto& l : criu_lines) {
    auto f = fields(l);
    ASSERT_GE(f.size(), 10u) << l;
    by_id[static_cast<uint32_t>(std::stoul(f[0]))] = f;
  }
  for (const auto& e : entries) {
    SCOPED_TRACE(e.mountpoint());
    ASSERT_TRUE(by_id.count(e.mnt_id()));
    const auto& f = by_id[e.mnt_id()];
    EXPECT_EQ(f[1], std::to_string(e.parent_mnt_id()));
    EXPECT_EQ(f[2],
              std::to_string(e.root_dev() >> 20) + ":" + std::to_string(e.root_dev() & 0xfffff));
    EXPECT_EQ(f[3], e.root());
    EXPECT_EQ(f[4], e.mountpoint());
    EXPECT_EQ(f[5].substr(0, 2), (e.flags() & 1) ? "ro" : "rw");
    auto dash = std::find(f.begin() + 6, f.end(), "-");
    ASSERT_NE(dash, f.end());
    EXPECT_EQ(*(dash + 2), e.source());
    bool tagged = std::any_of(f.begin() + 6, dash,
                              [](const std::string& t) { return t.starts_with("external:"); });
    EXPECT_EQ(tagged, e.has_ext_key());
  }
  // The root first, as in /proc/<pid>/mountinfo: the container's overlay.
  auto root = fields(criu_lines.front());
  EXPECT_EQ(root[4], "/");
  EXPECT_EQ(root[5], "rw,relatime");
  EXPECT_EQ(root[7], "overlay");
  EXPECT_EQ(fields(criu_lines.front())[8], "overlay");
  // Mount flags decoded: /proc is nosuid,nodev,noexec; /sys is read-only.
  for (const auto& l : criu_lines) {
    auto f = fields(l);
    if (f[4] == "/proc") {
      EXPECT_EQ(f[5], "rw,nosuid,nodev,noexec,relatime") << l;
    }
    if (f[4] == "/sys") {
      EXPECT_EQ(f[5], "ro,nosuid,nodev,noexec,relatime") << l;
    }
    if (f[4] == "/dev") {
      EXPECT_EQ(*(f.end() - 3), "tmpfs") << l;
      EXPECT_EQ(f.back(), "rw,size=65536k,mode=755") << l;
    }
  }

  auto spec = nlohmann::json::parse(read_file(unpacked() + "/spec.dump"));
  ASSERT_EQ(spec_lines.size(), spec["mounts"].size());
  for (size_t i = 0; i < spec_lines.size(); ++i) {
    const auto& m = spec["mounts"][i];
    std::string opts;
    for (const auto& o : m["options"]) opts += (opts.empty() ? "" : ",") + o.get<std::string>();
    EXPECT_EQ(spec_lines[i], m["destination"].get<std::string>() + " " +
                                 m["type"].get<std::string>() + " " +
                                 m["source"].get<std::string>() + " " + opts);
  }
  EXPECT_NE(text.find("\n/proc proc proc nosuid,noexec,nodev\n"), std::string::npos) << text;
  EXPECT_NE(text.find("\n/dev tmpfs tmpfs "), std::string::npos) << text;
}

INSTANTIATE_TEST_SUITE_P(Archives, ContainerTreesMount,
                         ::testing::Values(Case{"Zstd", "zstd"}, Case{"PlainTar", "plain"},
                                           Case{"PlainTarGzipRootfsDiff",
                                                "plain-gzip-rootfs-diff"}),
                         [](const auto& test_case) { return test_case.param.name; });

}  // namespace
}  // namespace ckptfs::test
