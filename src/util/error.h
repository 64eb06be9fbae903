#pragma once
// One exception type for everything that is wrong with the input. The message is
// the single line the user sees: it always names the file and the problem.

#include <fmt/format.h>

#include <stdexcept>
#include <string>
#include <string_view>

namespace ckptfs {

class InputError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

template <typename... Args>
[[noreturn]] void fail(std::string_view file, fmt::format_string<Args...> f, Args&&... args) {
  throw InputError(fmt::format("{}: {}", file, fmt::format(f, std::forward<Args>(args)...)));
}

// A system call failed on a file we own (cache, mount point): not the input's fault.
class SystemError : public std::runtime_error {
 public:
  SystemError(const std::string& what, int err) : std::runtime_error(what), err_(err) {}
  int code() const { return err_; }

 private:
  int err_;
};

[[noreturn]] void fail_errno(std::string_view file, std::string_view what);

}  // namespace ckptfs
