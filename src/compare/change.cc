#include "compare/change.h"

namespace ckptfs {

const char* change_kind_name(ChangeKind k) {
  switch (k) {
    case ChangeKind::Added:
      return "added";
    case ChangeKind::Removed:
      return "removed";
    case ChangeKind::Changed:
      return "changed";
  }
  return "?";
}

bool ProcessSummary::changed() const {
  return !in_a || !in_b || !fields.empty() || !threads.empty() || !mappings.empty() ||
         !descriptors.empty() || !sockets.empty() || pages_added.pages || pages_removed.pages ||
         pages_changed.pages;
}

}  // namespace ckptfs
