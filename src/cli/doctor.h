#pragma once
// `hermetic-gate doctor`: probes, on this machine, what the gate relies on. Each check
// really tries the feature in a throwaway child. The result goes into every report.json
// as the run's enforcement_health.

#include <vector>

#include "evidence/run_report.h"
#include "tracer/ptrace_probe.h"

namespace hg {

// ptrace, seccomp_trace, syscall_info, pidfd_getfd, i386_emulation, x32, io_uring, user_ns, net_ns.
std::vector<HealthCheck> probeHealth(const PtraceAvailability &probe);

// True when the checks the native tracer cannot work without (ptrace, seccomp_trace,
// syscall_info) are all there and ok.
bool tracerUsable(const std::vector<HealthCheck> &checks);

// Prints the table; exit code 0 when the tracer is usable, 4 otherwise.
int runDoctor();

} // namespace hg
