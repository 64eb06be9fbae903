#pragma once
// Times as text: what the engines write (RFC 3339, any zone, any fraction)
// and the one form ckptfs shows (UTC, seconds, "Z"), so that two checkpoint
// times compare and sort as strings.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace ckptfs {

// "2024-01-28T00:10:45.673538606+05:30" -> seconds since the epoch; nullopt
// for anything that is not an RFC 3339 date-time.
std::optional<int64_t> parse_rfc3339(std::string_view s);

// Seconds since the epoch -> "2024-01-27T18:40:45Z".
std::string format_utc(int64_t t);

// An engine's time in the form above, or "" when it is not one.
std::string normalise_rfc3339(std::string_view s);

}  // namespace ckptfs
