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

// Whether a published file is flushed to the device before it gets its final name.
// Either way the rename is atomic: a crash of the gate or of the step never leaves half a
// file. Flushed also survives a crash of the machine, for one fsync per file (1-20 ms).
enum class Durability { Flushed, AtomicOnly };

// Publishes an existing file (written by someone else, e.g. streamed step output) under
// its final name: fsync(from) when Flushed, rename(from, to). When `from` does not exist,
// an existing `to` is kept and a missing one is created empty (atomically). Does not fsync
// the directory (see fsyncDir).
Expected<void> publishFile(const std::string &from, const std::string &to,
			   Durability durability = Durability::Flushed);

// fsync of a directory, making renames and creations inside it durable.
Expected<void> fsyncDir(const std::string &dir);

// mkdir -p with mode 0755; an existing directory is fine, an existing non-directory is
// an error. New directories are made durable (their parent is fsynced).
Expected<void> makeDirs(const std::string &dir);

// Copies the file from into a new file to (an error when to exists), and fsyncs the copy.
Expected<void> copyFileDurable(const std::string &from, const std::string &to);

// A new, empty directory ".<name>.XXXXXX" beside path (in the same parent, so publishDir can
// rename it to path), mode 0755. The caller removes it if it is never published.
Expected<std::string> makeTempDirBeside(const std::string &path);

// Renames the directory from to path, which must be absent or an empty directory (rename(2)
// replaces an empty one), after fsyncing from, then fsyncs the parent: the whole folder
// appears at once, or nothing does.
Expected<void> publishDir(const std::string &from, const std::string &path);

} // namespace hg
