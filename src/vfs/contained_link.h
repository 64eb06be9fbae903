#pragma once
// Links in a mount that cannot refuse to follow them. Root's mount is
// nosymfollow; fusermount3 cannot set that, so in an ordinary user's mount a
// target that would resolve outside the mount (absolute, or climbing with
// "..") is shown behind a first component that never exists: following it
// fails with ENOENT at that component, inside the mount, and whatever the
// target says after it is never walked. Relative targets that only descend
// stay as they are (every link they pass through is held to the same rule).

#include <string>
#include <string_view>

namespace ckptfs {

// The component that stops the walk. LOOKUP of it always fails in such a
// mount, whatever the checkpoint's own files are called.
inline constexpr std::string_view kNotFollowed = "(not followed)";

// Whether resolving target from its link's directory stays below it.
bool link_stays_inside(std::string_view target);

// The target to show when links are not refused by the mount: unchanged when
// it stays inside, else "(not followed)/tmp/x" for "/tmp/x", "(not
// followed)/../x" for "../x".
std::string contained_link_target(std::string_view target);

}  // namespace ckptfs
