#pragma once
// A CRI-O / Kubernetes style checkpoint archive made from real CRIU images
// (the proc-tree fixture's), with the engine metadata CRI-O writes:
// config.dump and spec.dump (container-archive-layout.md §3.2, §4.2), in
// CRI-O's member order (checkpoint/ before the metadata).

#include <cstdint>
#include <string>

namespace ckptfs::test {

struct CrioMeta {
  std::string container = "counter";
  std::string pod = "counter-7d9c4f8b6-m59ds";
  std::string namespace_ = "default";
  // config.dump's checkpointedTime, as CRI-O writes it (any zone).
  std::string checkpointed = "2024-02-29T23:58:17.123456789+05:30";
  int64_t mtime = 1'700'000'000;  // of every member
};

// The archive's bytes: an uncompressed tar, as the kubelet writes it.
std::string crio_archive(const CrioMeta& meta);

// The kubelet's file name for it: checkpoint-<pod>_<namespace>-<container>-<time>.tar
std::string kubelet_file_name(const CrioMeta& meta, const std::string& time);

}  // namespace ckptfs::test
