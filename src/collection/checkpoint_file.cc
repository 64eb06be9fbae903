#include "collection/checkpoint_file.h"

#include <sys/stat.h>

#include "model/loader.h"
#include "util/error.h"
#include "vfs/build.h"

namespace ckptfs {

namespace {

// The loader names images relative to the checkpoint ("pstree.img: missing
// from the checkpoint"): in a collection that does not say which file.
std::string naming(const std::string& path, const std::string& msg) {
  return msg.starts_with(path) ? msg : path + ": " + msg;
}

bool is_directory(const std::string& path) {
  struct stat st {};
  return ::lstat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

}  // namespace

CheckpointFile::CheckpointFile(Probe probe, const LoadSettings& settings)
    : probe_(std::move(probe)), settings_(settings) {
  if (!probe_.error.empty()) {
    state_ = RowState::Failed;
    error_ = probe_.error;
  }
  for (size_t i = 0; i < probe_.checkpoints.size(); ++i)
    dirs_.push_back(std::make_shared<LazyDir>(
        [this, i] { return build_checkpoint_tree(checkpoint(i)); }, probe_.checkpoints[i].mtime));
}

RowState CheckpointFile::state() const {
  std::lock_guard lock(mu_);
  return state_;
}

std::string CheckpointFile::error() const {
  std::lock_guard lock(mu_);
  return error_;
}

void CheckpointFile::load() {
  const std::string& path = probe_.path;
  // Opened by name again: the name must still be the file that was listed
  // (one rewritten since is listed again once complete).
  if (!is_directory(path) && !(file_id(path) == probe_.id))
    fail(path, "changed since it was listed");
  SourceLimits limits;
  limits.cache = settings_.cache;
  std::shared_ptr<const Source> src = open_source(path, limits);
  auto checkpoints = load_checkpoints(src, probe_.fallback_name);
  if (checkpoints.size() != probe_.checkpoints.size())
    fail(path, "holds {} checkpoints, {} when it was listed", checkpoints.size(),
         probe_.checkpoints.size());
  if (src->save_cache && settings_.save) settings_.save(src->save_cache);
  loaded_ = std::move(checkpoints);
}

const Checkpoint& CheckpointFile::checkpoint(size_t i) {
  std::call_once(once_, [this] {
    RowState state = RowState::Ready;
    std::string error;
    if (!probe_.error.empty()) {
      state = RowState::Failed;
      error = probe_.error;
    } else {
      try {
        load();
      } catch (const std::exception& e) {
        state = RowState::Failed;
        error = naming(probe_.path, e.what());
      }
    }
    {
      std::lock_guard lock(mu_);
      state_ = state;
      error_ = error;
    }
    if (settings_.changed) settings_.changed();
  });
  std::lock_guard lock(mu_);
  if (state_ == RowState::Failed) throw InputError(error_);
  return *loaded_.at(i);
}

}  // namespace ckptfs
