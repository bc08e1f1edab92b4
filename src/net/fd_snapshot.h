#pragma once
// The descriptors above 2 the gate inherited, read from its own copies at start-up, before
// it opens anything of its own (so none of its files are listed). Every one of them is
// closed in the step unless the policy or --pass-fd names it (record/fd_pass.h). Reads
// the gate's own descriptors (as proc_sockets reads /proc): not pure, no ptrace.

#include <vector>

#include "net/inherited_fd.h"

namespace hg {

// Reads /proc/self/fd (its own directory descriptor left out); for each descriptor above
// 2: fstat, the /proc link and, for a socket, its kind, addresses and TCP state. In fd order.
std::vector<InheritedFd> snapshotInheritedFds();

} // namespace hg
