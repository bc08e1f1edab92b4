#pragma once
// Reading a whole file the user named (a report.json, a policy) into memory, with an error
// that names the file, what it was meant to be and how to fix it.

#include <string>

#include "base/error.h"

namespace hg {

// The bytes of path. Error: "PATH: cannot read WHAT: ERRNO TEXT" followed by fix, e.g.
// " (pass the report.json of an evidence folder)".
Expected<std::string> readWholeFile(const std::string &path, const char *what, const char *fix);

} // namespace hg
