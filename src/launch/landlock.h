#pragma once
// The step's Landlock domain (issue 12, "outside processes"). A process in a Landlock domain
// may not ptrace-access a process outside it: the kernel refuses ptrace, opening
// /proc/PID/mem (and the other /proc files that need ptrace access), process_vm_readv/writev
// and pidfd_getfd aimed at a process that is not in the domain; from Landlock ABI 6 it also
// refuses signals to such processes. Every process of the step inherits the domain, so
// "outside the domain" is "outside the traced tree". The gate itself stays outside and can
// trace the tree as before.
//
// The seccomp traps (tracer/process_target.h) record and refuse what a filter can see; the
// domain is what holds for what it cannot: a write to /proc/PID/mem of another process is an
// open() and a write(), neither of them trapped.

namespace hg {

// The kernel's Landlock ABI version, 0 when it has none (or it is disabled).
int landlockAbi();

// In the step's child, after its seccomp filter is installed (so no_new_privs or
// CAP_SYS_ADMIN is in place): puts the calling process in a new Landlock domain. The
// domain handles no file or network access the step needs: on ABI 6 and later it scopes
// signals; before that it only denies creating block device nodes (a right a CI step does
// not use), which is enough to make a domain, and so the ptrace scoping.
// Only system calls: safe between fork and execve. Returns 0, or the errno of the call that
// failed; ENOSYS and EOPNOTSUPP mean the kernel has no Landlock (not an error for the caller).
int enterStepDomain();

} // namespace hg
