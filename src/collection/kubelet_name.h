#pragma once
// The names the kubelet gives the checkpoints it writes:
//   /var/lib/kubelet/checkpoints/checkpoint-<pod>_<namespace>-<container>-<time>.tar
// with the time in RFC 3339. Pod, namespace and container names cannot hold
// "_", so the pod is certain; "-" joins namespace and container although
// both may contain one, so they are told apart only with help (the archive's
// metadata naming one of them) or when there is a single "-".

#include <optional>
#include <string>
#include <string_view>

namespace ckptfs {

struct KubeletName {
  std::string pod;
  std::string namespace_, container;  // "" when the name cannot tell
  std::string namespace_and_container;
  std::string time;  // UTC, "2024-02-29T18:28:17Z"
};

// Any compression suffix after ".tar" is accepted (a copy may be packed);
// nullopt for any other name.
std::optional<KubeletName> parse_kubelet_name(std::string_view file_name);

// Fills namespace_ and container from what the metadata says one of them is.
void split_with(KubeletName& k, const std::string& known_namespace,
                const std::string& known_container);

}  // namespace ckptfs
