#include "compare/unified_diff.h"

#include <fmt/format.h>

#include <algorithm>
#include <vector>

namespace ckptfs {

namespace {

std::vector<std::string_view> lines_of(std::string_view s) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < s.size()) {
    size_t j = s.find('\n', i);
    if (j == std::string_view::npos) j = s.size();
    out.push_back(s.substr(i, j - i));
    i = j + 1;
  }
  return out;
}

struct Op {
  char kind;  // ' ', '-', '+'
  std::string_view line;
};

// GNU diff's range: "start" for one line, "start,count" otherwise; an empty
// range starts at the line before it.
std::string range(size_t first, size_t count) {
  if (count == 1) return std::to_string(first + 1);
  return fmt::format("{},{}", count == 0 ? first : first + 1, count);
}

}  // namespace

std::string unified_diff(std::string_view a, std::string_view b, const std::string& label_a,
                         const std::string& label_b, const LineKey& key, size_t context) {
  if (a == b) return "";
  std::vector<std::string_view> la = lines_of(a), lb = lines_of(b);
  std::vector<Op> ops;
  size_t i = 0, j = 0;
  while (i < la.size() || j < lb.size()) {
    if (j == lb.size()) {
      ops.push_back({'-', la[i++]});
    } else if (i == la.size()) {
      ops.push_back({'+', lb[j++]});
    } else {
      uint64_t ka = key(la[i]), kb = key(lb[j]);
      if (ka < kb) {
        ops.push_back({'-', la[i++]});
      } else if (kb < ka) {
        ops.push_back({'+', lb[j++]});
      } else if (la[i] == lb[j]) {
        ops.push_back({' ', la[i++]});
        ++j;
      } else {
        ops.push_back({'-', la[i++]});
        ops.push_back({'+', lb[j++]});
      }
    }
  }

  std::string out = fmt::format("--- {}\n+++ {}\n", label_a, label_b);
  size_t n = ops.size();
  size_t k = 0;
  // Line numbers (0-based) in a and b of ops[k].
  std::vector<size_t> at_a(n + 1), at_b(n + 1);
  for (size_t x = 0; x < n; ++x) {
    at_a[x + 1] = at_a[x] + (ops[x].kind != '+');
    at_b[x + 1] = at_b[x] + (ops[x].kind != '-');
  }
  while (k < n) {
    while (k < n && ops[k].kind == ' ') ++k;
    if (k == n) break;
    size_t begin = k >= context ? k - context : 0;
    // Extend while the next change is within 2 * context unchanged lines.
    size_t end = k;
    while (true) {
      while (end < n && ops[end].kind != ' ') ++end;
      size_t same = end;
      while (same < n && ops[same].kind == ' ') ++same;
      if (same < n && same - end <= 2 * context) {
        end = same;
        continue;
      }
      end = std::min(n, end + context);
      break;
    }
    out += fmt::format("@@ -{} +{} @@\n", range(at_a[begin], at_a[end] - at_a[begin]),
                       range(at_b[begin], at_b[end] - at_b[begin]));
    for (size_t x = begin; x < end; ++x) {
      out += ops[x].kind;
      out += ops[x].line;
      out += '\n';
    }
    k = end;
  }
  return out;
}

}  // namespace ckptfs
