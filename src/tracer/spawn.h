#pragma once
// Starting the traced command, in strace's exec_or_die() order: the child stops itself,
// the supervisor seizes it with kPtraceOptions, the child installs the seccomp filter,
// then execve()s. With SECCOMP_RET_TRACE and no tracer a trapped call fails with ENOSYS,
// so the filter is only ever loaded once the tracer is in place.

#include <sys/types.h>

#include <string>

#include "base/error.h"
#include "base/unique_fd.h"
#include "launch/exec_plan.h"
#include "seccomp/filter.h"

namespace hg {

struct SpawnedChild {
	pid_t pid = -1;
	UniqueFd execErrors; // read end of a CLOEXEC pipe: 4 bytes of errno if setup or execve failed
	std::string path;    // the resolved executable
};

// Forks, seizes and releases the child; on return it runs towards execve under the
// tracer. The caller must then run the trace loop. Errors leave no child behind.
// observe: an observer's filter (buildObserveFilter), installed before filter; nullptr: none.
Expected<SpawnedChild> spawnTraced(const SpawnSpec &spec, const BpfProgram &filter, const BpfProgram *observe = nullptr);

} // namespace hg
