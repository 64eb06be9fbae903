#include "collection/collection.h"

#include <dirent.h>
#include <malloc.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <time.h>

#include <climits>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <set>
#include <thread>

#include "collection/being_written.h"
#include "collection/naming.h"
#include "util/error.h"

namespace ckptfs {

namespace {

constexpr const char* kTable = "checkpoints";
constexpr const char* kJson = "checkpoints.json";
constexpr const char* kByPod = "by-pod";
// A new directory is probed once it has not changed for this long: unlike a
// file, it has no "closed after writing" event.
constexpr auto kQuiet = std::chrono::seconds(1);

std::string absolute(const std::string& path) {
  char* real = ::realpath(path.c_str(), nullptr);
  if (!real) fail_errno(path, "cannot resolve");
  std::string r = real;
  std::free(real);
  return r;
}

// As absolute() for a path that may not exist yet.
std::string absolute_or_lexical(const std::string& path) {
  if (char* real = ::realpath(path.c_str(), nullptr)) {
    std::string r = real;
    std::free(real);
    return r;
  }
  return std::filesystem::absolute(path).lexically_normal().string();
}

bool lstat_dir(const std::string& path) {
  struct stat st {};
  return ::lstat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

// Hidden names are copy tools' temporary files (rsync's ".name.XXXXXX"),
// renamed into place when complete.
bool ignored(const std::string& name) { return name.empty() || name[0] == '.'; }

std::vector<std::string> entries_of(const std::string& dir) {
  DIR* d = ::opendir(dir.c_str());
  if (!d) fail_errno(dir, "cannot read directory");
  std::vector<std::string> out;
  while (dirent* e = ::readdir(d)) {
    std::string n = e->d_name;
    if (n != "." && n != ".." && !ignored(n)) out.push_back(n);
  }
  ::closedir(d);
  return out;
}

}  // namespace

bool is_collection_directory(const std::string& path) {
  struct stat top {};
  // The directory itself may be a symbolic link: the user named it.
  if (::stat(path.c_str(), &top) != 0 || !S_ISDIR(top.st_mode)) return false;
  for (const char* marker :
       {"inventory.img", "checkpoint", "pre-checkpoint", "pod.options", "oci-layout"}) {
    struct stat st {};
    if (::lstat((path + "/" + marker).c_str(), &st) == 0) return false;
  }
  DIR* d = ::opendir(path.c_str());
  if (!d) return true;  // the collection reports it
  bool images = false;
  while (dirent* e = ::readdir(d)) {
    std::string_view n = e->d_name;
    if (n.size() > 4 && n.ends_with(".img") && e->d_type != DT_DIR) images = true;
  }
  ::closedir(d);
  return !images;
}

Collection::Collection(CollectionOptions options) {
  load_.cache = options.cache;
  load_.changed = [this] { changed(); };
  load_.save = [this](SaveTask t) {
    {
      std::lock_guard lock(save_mu_);
      saves_.push_back(std::move(t));
    }
    save_cv_.notify_one();
  };

  // The root, the table and by-pod/ date from the mount: they describe the
  // directories as found then.
  tree_ = std::make_shared<Tree>(static_cast<int64_t>(::time(nullptr)));
  table_ = std::make_shared<LiveTextContent>();
  json_ = std::make_shared<LiveTextContent>();
  root_ = std::make_shared<DynamicDir>();
  by_pod_ = std::make_shared<DynamicDir>();
  tree_->add_file(Tree::kRootIno, kTable, table_);
  tree_->add_file(Tree::kRootIno, kJson, json_);
  tree_->set_dynamic(tree_->mkdir(Tree::kRootIno, kByPod), by_pod_);
  tree_->set_dynamic(Tree::kRootIno, root_);
  tree_->seal();

  try {
    watcher_ = std::make_unique<DirWatcher>();
  } catch (const std::exception& e) {
    not_live_ = e.what();
  }
  for (const std::string& p : options.ignore)
    if (!p.empty()) ignore_.insert(absolute_or_lexical(p));
  std::set<std::string> seen;
  for (const std::string& in : options.inputs) {
    Input i;
    i.given = in;
    i.path = absolute(in);
    if (!seen.insert(i.path).second) continue;  // named twice: listed once
    i.watched = is_collection_directory(i.path);
    watched_inputs_ += i.watched;
    inputs_.push_back(std::move(i));
  }
  for (size_t k = 0; k < inputs_.size(); ++k) {
    Input& in = inputs_[k];
    if (!in.watched) {
      add_slot(k, in.given, in.path);
      continue;
    }
    // Watched before it is listed: what arrives meanwhile is seen twice,
    // never missed (probing a file already listed is a no-op).
    if (watcher_) {
      try {
        in.wd = watcher_->add(in.path);
      } catch (const std::exception& e) {
        if (not_live_.empty()) not_live_ = e.what();
      }
    }
    scan(k);
  }
  dirty_ = false;
  publish();
}

Collection::~Collection() = default;

Collection::DirSignature Collection::signature(const std::string& dir) const {
  DirSignature s;
  struct stat top {};
  if (::lstat(dir.c_str(), &top) != 0) return s;
  auto ns = [](const struct stat& st) {
    return static_cast<int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
  };
  if (!S_ISDIR(top.st_mode)) return {1, static_cast<uint64_t>(top.st_size), ns(top)};
  // As deep as a checkpoint's layout goes (pod/<ctr>/checkpoint/x), and no
  // further than a bounded number of entries.
  std::vector<std::pair<std::string, int>> todo = {{dir, 0}};
  while (!todo.empty() && s.entries < 100'000) {
    auto [d, depth] = todo.back();
    todo.pop_back();
    DIR* h = ::opendir(d.c_str());
    if (!h) continue;
    while (dirent* e = ::readdir(h)) {
      std::string n = e->d_name;
      if (n == "." || n == "..") continue;
      std::string p = d + "/" + n;
      if (ignore_.count(p)) continue;
      struct stat st {};
      if (::lstat(p.c_str(), &st) != 0) continue;
      ++s.entries;
      s.bytes += static_cast<uint64_t>(st.st_size);
      s.newest_ns = std::max(s.newest_ns, ns(st));
      if (S_ISDIR(st.st_mode) && depth < 3) todo.emplace_back(p, depth + 1);
    }
    ::closedir(h);
  }
  return s;
}

void Collection::scan(size_t input, bool settle_recent) {
  const Input& in = inputs_[input];
  std::vector<std::string> names = entries_of(in.path);
  auto now = Clock::now();
  struct timespec wall {};
  ::clock_gettime(CLOCK_REALTIME, &wall);
  std::set<std::string> present;
  std::erase_if(names, [&](const std::string& n) { return ignore_.count(in.path + "/" + n); });
  for (const std::string& n : names) present.insert(in.path + "/" + n);
  for (auto it = slots_.begin(); it != slots_.end();) {
    if (it->second.input == input && !present.count(it->first)) {
      it = slots_.erase(it);
      dirty_ = true;
    } else {
      ++it;
    }
  }
  for (const std::string& n : names) {
    std::string path = in.path + "/" + n;
    struct stat st {};
    if (::lstat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
        !(slots_.count(path) && slots_[path].file->probe().id == file_id(path))) {
      // Found without its events: it may be an archive still being written.
      // It waits until it is closed (or, when the system will not say and
      // events were lost, until it has been quiet for a while).
      std::optional<bool> writing = being_written(path);
      bool recent = wall.tv_sec - st.st_mtim.tv_sec < 2;
      if (writing.value_or(settle_recent && recent)) {
        forget(path);
        pending_[path] = Pending{input, n, signature(path), now};
        continue;
      }
    }
    look_at(input, n);
  }
}

void Collection::add_slot(size_t input, const std::string& archive, const std::string& path) {
  Slot s;
  s.input = input;
  s.archive = archive;
  s.is_dir = lstat_dir(path);
  if (s.is_dir) s.sig = signature(path);
  Probe p = probe_checkpoint(path);
  if (live_ && !p.error.empty() && log_) log_(p.error);
  s.file = std::make_shared<CheckpointFile>(std::move(p), load_);
  all_.push_back(s.file);
  slots_[path] = std::move(s);
  dirty_ = true;
}

void Collection::look_at(size_t input, const std::string& name, bool force) {
  const Input& in = inputs_[input];
  std::string path = in.path + "/" + name;
  struct stat st {};
  if (ignore_.count(path) || ::lstat(path.c_str(), &st) != 0) {
    forget(path);
    return;
  }
  pending_.erase(path);
  auto it = slots_.find(path);
  if (it != slots_.end() && !force) {
    const Slot& s = it->second;
    bool same = S_ISDIR(st.st_mode) ? s.is_dir && s.sig == signature(path)
                                    : !s.is_dir && s.file->probe().id == file_id(path);
    if (same) return;
  }
  add_slot(input, watched_inputs_ > 1 ? in.given + "/" + name : name, path);
}

void Collection::forget(const std::string& path) {
  pending_.erase(path);
  if (slots_.erase(path)) dirty_ = true;
}

void Collection::handle(const std::vector<DirWatcher::Event>& events) {
  for (const DirWatcher::Event& ev : events) {
    if (ev.mask & IN_Q_OVERFLOW) {
      // Events were lost: look at everything again (unchanged files cost a stat).
      for (size_t k = 0; k < inputs_.size(); ++k) {
        if (!inputs_[k].watched || inputs_[k].wd < 0) continue;
        try {
          scan(k, true);
        } catch (const std::exception& e) {
          if (log_) log_(e.what());
        }
      }
      continue;
    }
    size_t k = 0;
    while (k < inputs_.size() && !(inputs_[k].watched && inputs_[k].wd == ev.wd)) ++k;
    if (k == inputs_.size()) continue;
    Input& in = inputs_[k];
    if (ev.mask & (IN_DELETE_SELF | IN_MOVE_SELF | IN_IGNORED | IN_UNMOUNT)) {
      if (in.wd < 0) continue;
      in.wd = -1;
      for (auto it = slots_.begin(); it != slots_.end();)
        it = it->second.input == k ? slots_.erase(it) : std::next(it);
      for (auto it = pending_.begin(); it != pending_.end();)
        it = it->second.input == k ? pending_.erase(it) : std::next(it);
      dirty_ = true;
      if (log_) log_(in.given + ": the directory went away: its checkpoints are no longer listed");
      continue;
    }
    if (ignored(ev.name)) continue;
    std::string path = in.path + "/" + ev.name;
    if (ignore_.count(path)) continue;
    if (ev.mask & (IN_DELETE | IN_MOVED_FROM)) {
      forget(path);
    } else if (ev.mask & IN_ISDIR) {
      if (ev.mask & IN_MOVED_TO) {
        look_at(k, ev.name);
      } else if (ev.mask & IN_CREATE) {
        forget(path);
        pending_[path] = Pending{k, ev.name, signature(path), Clock::now()};
      }
    } else if (ev.mask & (IN_CREATE | IN_MODIFY)) {
      forget(path);  // being written: shown again once closed
    } else if (ev.mask & (IN_CLOSE_WRITE | IN_MOVED_TO)) {
      look_at(k, ev.name);
    }
  }
}

void Collection::tick() {
  auto now = Clock::now();
  for (auto it = pending_.begin(); it != pending_.end();) {
    Pending& p = it->second;
    DirSignature s = signature(it->first);
    std::optional<bool> writing;
    if (s.entries == 1 && !lstat_dir(it->first)) writing = being_written(it->first);
    if (writing == false) {
      // A file whose writer has closed it (its event may have been lost).
      size_t input = p.input;
      std::string name = p.name;
      it = pending_.erase(it);
      look_at(input, name, true);
      continue;
    }
    if (!(s == p.sig) || writing == true) {
      p.sig = s;
      p.since = now;
    } else if (now - p.since >= kQuiet) {
      size_t input = p.input;
      std::string name = p.name;
      it = pending_.erase(it);
      look_at(input, name, true);
      continue;
    }
    ++it;
  }
  // A directory that was not (yet) a checkpoint when probed is probed again
  // once it changes: it may have been filled since.
  if (now - last_recheck_ < kQuiet) return;
  last_recheck_ = now;
  for (auto& [path, s] : slots_) {
    if (!s.is_dir || !s.file->probe().checkpoints.empty() || pending_.count(path)) continue;
    if (!inputs_[s.input].watched) continue;
    DirSignature sig = signature(path);
    if (sig == s.sig) continue;
    std::string name = path.substr(inputs_[s.input].path.size() + 1);
    pending_[path] = Pending{s.input, name, sig, now};
  }
}

void Collection::changed() {
  dirty_ = true;
  if (watcher_) watcher_->wake();
}

void Collection::follow_once(int timeout_ms) {
  std::vector<DirWatcher::Event> events;
  if (watcher_)
    events = watcher_->wait(timeout_ms);
  else
    std::this_thread::sleep_for(std::chrono::milliseconds(timeout_ms));
  handle(events);
  tick();
  if (dirty_.exchange(false)) publish();
}

void Collection::follow(const std::atomic<bool>& stopping) {
  live_ = true;
  // The timeout bounds how late a stop and a quiet new directory are noticed.
  while (!stopping) {
    try {
      follow_once(200);
    } catch (const std::exception& e) {
      // One change that could not be applied must not end the following.
      if (log_) log_(e.what());
    }
  }
}

void Collection::save_caches(const std::atomic<bool>& stopping) {
  while (!stopping) {
    SaveTask task;
    {
      std::unique_lock lock(save_mu_);
      save_cv_.wait_for(lock, std::chrono::milliseconds(200), [&] { return !saves_.empty(); });
      if (saves_.empty()) continue;
      task = std::move(saves_.front());
      saves_.pop_front();
    }
    try {
      task(stopping);
    } catch (const std::exception& e) {
      // The next mount decompresses again; nothing else is lost.
      if (log_) log_(e.what());
    }
  }
}

void Collection::publish() {
  struct Ref {
    const CheckpointFile* file;
    size_t index;
    size_t row;
  };
  std::vector<TableRow> rows;
  std::vector<NameFacts> facts;
  std::vector<Ref> refs;
  for (const auto& [path, slot] : slots_) {
    const CheckpointFile& f = *slot.file;
    const Probe& p = f.probe();
    TableRow base;
    base.archive = slot.archive;
    base.path = path;
    base.kind = p.kind;
    base.size = p.size;
    base.state = f.state();
    base.error = f.error();
    if (p.checkpoints.empty()) {
      rows.push_back(base);
      continue;
    }
    for (size_t i = 0; i < p.checkpoints.size(); ++i) {
      const ProbedCheckpoint& c = p.checkpoints[i];
      TableRow r = base;
      r.container = c.container;
      r.pod = c.pod;
      r.namespace_ = c.namespace_;
      r.engine = c.engine;
      r.checkpointed = c.checkpointed;
      r.checkpointed_source = c.checkpointed_source;
      std::string file_name = path.substr(path.rfind('/') + 1);
      facts.push_back({c.container, c.pod, c.namespace_, c.checkpointed, file_name,
                       path + "\n" + std::to_string(i)});
      refs.push_back({&f, i, rows.size()});
      rows.push_back(std::move(r));
    }
  }
  std::vector<CheckpointNames> names = assign_names(facts, {kTable, kJson, kByPod});

  DynamicDir::Entries entries;
  // by-pod/<namespace>: "<pod>/<container>/<checkpointed>" -> directory
  std::map<std::string, std::vector<std::pair<std::string, std::shared_ptr<const LazyDir>>>>
      namespaces;
  for (size_t k = 0; k < refs.size(); ++k) {
    const auto& dir = refs[k].file->dir(refs[k].index);
    entries[names[k].dir] = {dir, 0555};
    rows[refs[k].row].name = names[k].dir;
    rows[refs[k].row].by_pod = std::string(kByPod) + "/" + names[k].by_pod;
    size_t slash = names[k].by_pod.find('/');
    namespaces[names[k].by_pod.substr(0, slash)].emplace_back(names[k].by_pod.substr(slash + 1),
                                                              dir);
  }
  DynamicDir::Entries ns_entries;
  std::map<std::string, std::pair<std::string, std::shared_ptr<const LazyDir>>> kept;
  for (auto& [ns, list] : namespaces) {
    std::string signature;
    int64_t mtime = 0;
    for (const auto& [rest, dir] : list) {
      signature += rest + '\0' + std::to_string(reinterpret_cast<uintptr_t>(dir.get())) + '\n';
      mtime = std::max(mtime, dir->mtime());
    }
    auto old = namespaces_.find(ns);
    std::shared_ptr<const LazyDir> lazy;
    if (old != namespaces_.end() && old->second.first == signature) {
      lazy = old->second.second;
    } else {
      lazy = std::make_shared<LazyDir>(
          [list, mtime] {
            auto t = std::make_unique<Tree>(mtime);
            for (const auto& [rest, dir] : list) {
              size_t a = rest.find('/'), b = rest.find('/', a + 1);
              uint64_t pod = t->mkdir(Tree::kRootIno, rest.substr(0, a));
              uint64_t ctr = t->mkdir(pod, rest.substr(a + 1, b - a - 1));
              t->add_lazy_dir(ctr, rest.substr(b + 1), dir);
            }
            return t;
          },
          mtime);
    }
    ns_entries[ns] = {lazy, 0555};
    kept[ns] = {std::move(signature), lazy};
  }
  namespaces_ = std::move(kept);

  // Directories before the table: a name the table shows can be looked up.
  root_->set(std::move(entries));
  by_pod_->set(std::move(ns_entries));
  table_->set(render_table(rows));
  json_->set(render_json(rows));
  // Rendering a table of thousands of rows needs megabytes for a moment, on
  // this thread's own malloc arena, which glibc would otherwise keep: give
  // them back, so reading one checkpoint costs what it costs alone.
  ::malloc_trim(0);
}

}  // namespace ckptfs
