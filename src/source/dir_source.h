#pragma once
#include <memory>
#include <string>

#include "source/source.h"

namespace ckptfs {
// Every file below path, served in place (files are opened on first read).
std::unique_ptr<Source> open_directory(const std::string& path, const SourceLimits& limits);
}  // namespace ckptfs
