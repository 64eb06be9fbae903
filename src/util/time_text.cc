#include "util/time_text.h"

#include <cctype>
#include <ctime>

namespace ckptfs {

namespace {

// n digits at s[i], advancing i; false if they are not all there.
bool digits(std::string_view s, size_t& i, size_t n, int& out) {
  if (i + n > s.size()) return false;
  int v = 0;
  for (size_t k = 0; k < n; ++k) {
    unsigned char c = static_cast<unsigned char>(s[i + k]);
    if (!std::isdigit(c)) return false;
    v = v * 10 + (c - '0');
  }
  i += n;
  out = v;
  return true;
}

bool expect(std::string_view s, size_t& i, std::string_view chars) {
  if (i >= s.size() || chars.find(s[i]) == std::string_view::npos) return false;
  ++i;
  return true;
}

}  // namespace

std::optional<int64_t> parse_rfc3339(std::string_view s) {
  size_t i = 0;
  int year, mon, day, hour, min, sec;
  if (!digits(s, i, 4, year) || !expect(s, i, "-") || !digits(s, i, 2, mon) || !expect(s, i, "-") ||
      !digits(s, i, 2, day) || !expect(s, i, "Tt ") || !digits(s, i, 2, hour) ||
      !expect(s, i, ":") || !digits(s, i, 2, min) || !expect(s, i, ":") || !digits(s, i, 2, sec))
    return std::nullopt;
  if (mon < 1 || mon > 12 || day < 1 || day > 31 || hour > 23 || min > 59 || sec > 60)
    return std::nullopt;
  if (i < s.size() && s[i] == '.') {
    ++i;
    size_t start = i;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i;
    if (i == start) return std::nullopt;
  }
  int64_t offset = 0;
  if (expect(s, i, "Zz")) {
  } else if (i < s.size() && (s[i] == '+' || s[i] == '-')) {
    int sign = s[i] == '-' ? -1 : 1;
    ++i;
    int oh, om;
    if (!digits(s, i, 2, oh) || !expect(s, i, ":") || !digits(s, i, 2, om) || oh > 23 || om > 59)
      return std::nullopt;
    offset = sign * (oh * 3600 + om * 60);
  } else {
    return std::nullopt;
  }
  if (i != s.size()) return std::nullopt;
  std::tm tm{};
  tm.tm_year = year - 1900;
  tm.tm_mon = mon - 1;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  tm.tm_min = min;
  tm.tm_sec = sec;
  return static_cast<int64_t>(::timegm(&tm)) - offset;
}

std::string format_utc(int64_t t) {
  char buf[64];
  std::tm tm{};
  time_t tt = static_cast<time_t>(t);
  if (!::gmtime_r(&tt, &tm)) return "";
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string normalise_rfc3339(std::string_view s) {
  auto t = parse_rfc3339(s);
  return t ? format_utc(*t) : "";
}

}  // namespace ckptfs
