#pragma once
// seccomp-bpf: the system calls the serving daemon makes, and no others.

namespace ckptfs {

// Loads the allow-list (seccomp_filter.cc): any other system call kills the
// process. Needs no_new_privs. Throws std::runtime_error when it cannot.
void load_seccomp_filter();

}  // namespace ckptfs
