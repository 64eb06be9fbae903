#pragma once
// diff/<A>..<B>/summary (for people) and summary.json: what a Comparison
// found, container, processes and files.

#include <string>

#include "compare/change.h"

namespace ckptfs {

std::string render_diff_summary(const Summary& s);
std::string render_diff_summary_json(const Summary& s);

// True when the summary holds any difference at all.
bool summary_has_changes(const Summary& s);

}  // namespace ckptfs
