#pragma once
// Where a container's addresses are recorded: Podman's network.status, in
// each of the forms it has had (container-archive-layout.md §5), and CRI-O's
// io.kubernetes.cri-o.IP.<n> annotations.

#include <nlohmann/json.hpp>

#include "model/checkpoint.h"

namespace ckptfs {

// network.status parsed: an object of networks (Podman 4+, netavark or CNI),
// an array of CNI results (Podman 2/3), or null (--network none). Anything
// else adds nothing. Fills info.networks, info.ip and info.mac.
void read_network_status(const nlohmann::json& status, ContainerInfo& info);

// io.kubernetes.cri-o.IP.0, .1, … into info.ip.
void read_crio_ips(const std::map<std::string, std::string>& annotations, ContainerInfo& info);

}  // namespace ckptfs
