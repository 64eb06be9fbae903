#pragma once
// MOUNTPOINT/checkpoints and checkpoints.json: one row per checkpoint of the
// collection, and one per file that is not one, like `checkpointctl list`
// plus what ckptfs knows (the directory, the state, the error).

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace ckptfs {

enum class RowState { NotOpened, Ready, Failed };

struct TableRow {
  std::optional<std::string> name;    // its directory in the mount; none for non-checkpoints
  std::optional<std::string> by_pod;  // "by-pod/<ns>/<pod>/<container>/<time>"
  std::string archive;                // as shown: the file name in its directory
  std::string path;                   // absolute
  std::string kind;                   // "tar+zstd", "directory"… ("" when not an archive)
  uint64_t size = 0;
  std::string container, pod, namespace_, engine, checkpointed, checkpointed_source;
  RowState state = RowState::NotOpened;
  std::string error;  // one line, when state is Failed
};

// Aligned columns, a header line first; "-" for what is unknown. The state
// comes last: an error message may hold spaces.
std::string render_table(const std::vector<TableRow>& rows);

// A JSON array of objects with the same facts; null for what is unknown.
std::string render_json(const std::vector<TableRow>& rows);

}  // namespace ckptfs
