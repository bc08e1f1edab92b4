// ptrace_probe_check: prints what probePtrace() finds, as one line
//   probe ok=0 errnum=EPERM call=ptrace(PTRACE_SEIZE) reason=...
// and exits 0 (the test judges the line). Run plain, and under noptrace.

#include <cstdio>

#include "base/proc.h"
#include "tracer/ptrace_probe.h"

int main()
{
	hg::PtraceAvailability a = hg::probePtrace();
	printf("probe ok=%d errnum=%s call=%s reason=%s\n", a.ok ? 1 : 0, a.ok ? "0" : hg::errnoName(a.errnum).c_str(),
	       a.call.empty() ? "-" : a.call.c_str(), a.reason.c_str());
	return 0;
}
