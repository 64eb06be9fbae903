#pragma once
// Checks on the one-line InputError messages the user sees: they must name
// the file and say what is wrong.

#include <gtest/gtest.h>

#include <initializer_list>
#include <string>
#include <string_view>

#include "util/error.h"

namespace ckptfs::test {

// The InputError message of f(), or "" when f() does not throw one (any other
// exception propagates and fails the test).
template <typename F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

// Succeeds when message starts with prefix and contains every part.
inline ::testing::AssertionResult Mentions(const std::string& message, std::string_view prefix,
                                           std::initializer_list<std::string_view> parts = {}) {
  if (message.empty()) return ::testing::AssertionFailure() << "no InputError was thrown";
  if (!message.starts_with(prefix))
    return ::testing::AssertionFailure()
           << "\"" << message << "\" does not start with \"" << prefix << "\"";
  for (std::string_view p : parts)
    if (message.find(p) == std::string::npos)
      return ::testing::AssertionFailure()
             << "\"" << message << "\" does not mention \"" << p << "\"";
  return ::testing::AssertionSuccess();
}

}  // namespace ckptfs::test
