#pragma once
// Crash-safe file output: a reader (or an auditor after a crash) sees either the old
// state or the whole new file, never part of one. Every function names the failed call,
// its path and the errno text in its Error.

#include <string>
#include <string_view>

#include "base/error.h"

namespace hg {

// Writes content to path atomically: a temp file ".<name>.XXXXXX" in the same directory,
// write, fsync, rename over path, fsync the directory. On failure the temp file is
// removed and path is left untouched.
Expected<void> writeFileAtomic(const std::string &path, std::string_view content);

// Publishes an existing file (written by someone else, e.g. streamed step output) under
// its final name: fsync(from), rename(from, to). When `from` does not exist, an existing
// `to` is kept and a missing one is created empty (atomically). Does not fsync the
// directory (see fsyncDir).
Expected<void> publishFile(const std::string &from, const std::string &to);

// fsync of a directory, making renames and creations inside it durable.
Expected<void> fsyncDir(const std::string &dir);

// mkdir -p with mode 0755; an existing directory is fine, an existing non-directory is
// an error. New directories are made durable (their parent is fsynced).
Expected<void> makeDirs(const std::string &dir);

} // namespace hg
