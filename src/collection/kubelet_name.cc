#include "collection/kubelet_name.h"

#include <algorithm>

#include "util/time_text.h"

namespace ckptfs {

namespace {

// "x.tar", "x.tar.gz", "x.tar.zst" … -> "x"; "" when there is no ".tar".
std::string_view without_tar_suffix(std::string_view s) {
  for (std::string_view ext : {".gz", ".zst", ".xz", ".bz2"})
    if (s.ends_with(ext)) {
      s.remove_suffix(ext.size());
      break;
    }
  if (!s.ends_with(".tar")) return {};
  s.remove_suffix(4);
  return s;
}

}  // namespace

std::optional<KubeletName> parse_kubelet_name(std::string_view file_name) {
  constexpr std::string_view kPrefix = "checkpoint-";
  std::string_view s = without_tar_suffix(file_name);
  if (!s.starts_with(kPrefix)) return std::nullopt;
  s.remove_prefix(kPrefix.size());
  size_t underscore = s.find('_');
  if (underscore == 0 || underscore == std::string_view::npos) return std::nullopt;
  KubeletName k;
  k.pod = s.substr(0, underscore);
  std::string_view rest = s.substr(underscore + 1);
  // The time is what follows the "-" from which the rest parses as RFC 3339;
  // the time's own dashes come later in the string, so try from the right.
  for (size_t dash = rest.rfind('-'); dash != std::string_view::npos && dash > 0;
       dash = rest.rfind('-', dash - 1)) {
    std::string t = normalise_rfc3339(rest.substr(dash + 1));
    if (t.empty()) continue;
    k.time = t;
    k.namespace_and_container = rest.substr(0, dash);
    break;
  }
  if (k.time.empty() || k.namespace_and_container.empty()) return std::nullopt;
  const std::string& both = k.namespace_and_container;
  if (std::count(both.begin(), both.end(), '-') == 1) {
    size_t d = both.find('-');
    k.namespace_ = both.substr(0, d);
    k.container = both.substr(d + 1);
  }
  return k;
}

void split_with(KubeletName& k, const std::string& known_namespace,
                const std::string& known_container) {
  const std::string& both = k.namespace_and_container;
  if (!known_container.empty() && both.size() > known_container.size() + 1 &&
      both.ends_with("-" + known_container)) {
    k.container = known_container;
    k.namespace_ = both.substr(0, both.size() - known_container.size() - 1);
  } else if (!known_namespace.empty() && both.size() > known_namespace.size() + 1 &&
             both.starts_with(known_namespace + "-")) {
    k.namespace_ = known_namespace;
    k.container = both.substr(known_namespace.size() + 1);
  }
}

}  // namespace ckptfs
