#include "confine/capabilities.h"

#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <stdexcept>
#include <string>

namespace ckptfs {

namespace {

// The highest capability the kernel knows (it may know more than our headers).
int last_cap() {
  int last = CAP_LAST_CAP;
  while (::prctl(PR_CAPBSET_READ, last + 1, 0, 0, 0) >= 0) ++last;
  return last;
}

}  // namespace

bool drop_capabilities(bool read_search) {
  __user_cap_header_struct head{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2]{};
  if (::syscall(SYS_capget, &head, data) != 0) throw std::runtime_error("capget failed");
  bool had = data[0].permitted || data[1].permitted || data[0].inheritable || data[1].inheritable;
  // The bounding set first: dropping from it needs CAP_SETPCAP, which goes
  // next. Without CAP_SETPCAP (an ordinary user) it cannot be changed, and
  // with no_new_privs set nothing can be gained from it anyway.
  bool setpcap = data[0].effective & (1u << CAP_SETPCAP);
  for (int cap = 0; setpcap && cap <= last_cap(); ++cap)
    if (::prctl(PR_CAPBSET_READ, cap, 0, 0, 0) == 1) {
      had = true;
      if (::prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0)
        throw std::runtime_error("cannot drop capability " + std::to_string(cap) +
                                 " from the bounding set");
    }
  ::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
  __user_cap_data_struct left[2]{};
  if (read_search && (data[0].permitted & (1u << CAP_DAC_READ_SEARCH))) {
    left[0].effective = left[0].permitted = 1u << CAP_DAC_READ_SEARCH;
  }
  if (::syscall(SYS_capset, &head, left) != 0) throw std::runtime_error("capset failed");
  return had;
}

}  // namespace ckptfs
