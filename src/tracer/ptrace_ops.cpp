#include "tracer/ptrace_ops.h"

#include <signal.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/user.h>
#include <unistd.h>

#include <cerrno>
#include <string>

#include "net/sockaddr.h"

namespace hg {

const unsigned long kPtraceOptions = PTRACE_O_TRACESYSGOOD | PTRACE_O_TRACEFORK | PTRACE_O_TRACEVFORK |
				     PTRACE_O_TRACECLONE | PTRACE_O_TRACEEXEC | PTRACE_O_TRACESECCOMP |
				     PTRACE_O_EXITKILL;

std::string ptraceRequestName(int request)
{
	switch (request) {
	case PTRACE_CONT:
		return "PTRACE_CONT";
	case PTRACE_SYSCALL:
		return "PTRACE_SYSCALL";
	case PTRACE_LISTEN:
		return "PTRACE_LISTEN";
	default:
		return std::to_string(request);
	}
}

Expected<void> KernelPtraceOps::restart(pid_t tid, int request, int sig)
{
	if (ptrace(static_cast<__ptrace_request>(request), tid, 0, sig) == 0)
		return {};
	return Error::fromErrno("ptrace(" + ptraceRequestName(request) + ", tid=" + std::to_string(tid) +
				", sig=" + std::to_string(sig) + ")");
}

Expected<__ptrace_syscall_info> KernelPtraceOps::syscallInfo(pid_t tid)
{
	__ptrace_syscall_info info{};
	long n = ptrace(PTRACE_GET_SYSCALL_INFO, tid, sizeof(info), &info);
	if (n < 0)
		return Error::fromErrno("ptrace(PTRACE_GET_SYSCALL_INFO, tid=" + std::to_string(tid) + ")");
	if (n == 0)
		return Error{EIO, "ptrace(PTRACE_GET_SYSCALL_INFO, tid=" + std::to_string(tid) + "): no data"};
	return info;
}

Expected<unsigned long> KernelPtraceOps::eventMsg(pid_t tid)
{
	unsigned long msg = 0;
	if (ptrace(PTRACE_GETEVENTMSG, tid, 0, &msg) != 0)
		return Error::fromErrno("ptrace(PTRACE_GETEVENTMSG, tid=" + std::to_string(tid) + ")");
	return msg;
}

Expected<void> KernelPtraceOps::skipSyscall(pid_t tid, long ret)
{
	user_regs_struct regs{};
	if (ptrace(PTRACE_GETREGS, tid, 0, &regs) != 0)
		return Error::fromErrno("ptrace(PTRACE_GETREGS, tid=" + std::to_string(tid) + ")");
	// orig_rax = -1 makes the kernel skip the call; rax is what the tracee sees.
	regs.orig_rax = static_cast<unsigned long long>(-1);
	regs.rax = static_cast<unsigned long long>(ret);
	if (ptrace(PTRACE_SETREGS, tid, 0, &regs) != 0)
		return Error::fromErrno("ptrace(PTRACE_SETREGS, tid=" + std::to_string(tid) + ")");
	return {};
}

int KernelPtraceOps::kill(pid_t pid, int sig)
{
	return ::kill(pid, sig) == 0 ? 0 : -errno;
}

bool KernelPtraceOps::isThreadOf(pid_t tgid, pid_t tid)
{
	return syscall(SYS_tgkill, tgid, tid, 0) == 0;
}

ssize_t TraceeMemory::read(uint64_t addr, void *buf, size_t len)
{
	iovec local{buf, len};
	iovec remote{reinterpret_cast<void *>(addr), len};
	ssize_t n = process_vm_readv(tid_, &local, 1, &remote, 1, 0);
	if (n < 0)
		return -errno;
	return n;
}

ssize_t TraceeMemory::write(uint64_t addr, const void *buf, size_t len)
{
	iovec local{const_cast<void *>(buf), len};
	iovec remote{reinterpret_cast<void *>(addr), len};
	ssize_t n = process_vm_writev(tid_, &local, 1, &remote, 1, 0);
	if (n < 0)
		return -errno;
	return n;
}

TraceeSocket inspectSocket(int pidfd, int fd)
{
	TraceeSocket s;
	if (fd < 0 || pidfd < 0)
		return s;
	s.fd.reset(static_cast<int>(syscall(SYS_pidfd_getfd, pidfd, fd, 0)));
	if (!s.fd)
		return s;
	int v = 0;
	socklen_t l = sizeof(v);
	if (getsockopt(s.fd.get(), SOL_SOCKET, SO_DOMAIN, &v, &l) != 0)
		return s; // not a socket
	s.info.domain = v;
	l = sizeof(v);
	if (getsockopt(s.fd.get(), SOL_SOCKET, SO_TYPE, &v, &l) == 0)
		s.info.type = v;
	l = sizeof(v);
	// AF_UNIX has one protocol, 0: one call less on the busiest local path.
	if (s.info.domain != AF_UNIX && getsockopt(s.fd.get(), SOL_SOCKET, SO_PROTOCOL, &v, &l) == 0)
		s.info.protocol = v;
	s.info.known = true;
	return s;
}

namespace {

template<typename Fn>
Endpoint nameOf(int sockFd, Fn fn)
{
	sockaddr_storage ss{};
	socklen_t len = sizeof(ss);
	if (sockFd < 0 || fn(sockFd, reinterpret_cast<sockaddr *>(&ss), &len) != 0)
		return Endpoint{};
	size_t have = std::min<size_t>(len, sizeof(ss));
	return decodeSockaddr({reinterpret_cast<const uint8_t *>(&ss), have}, len);
}

} // namespace

Endpoint localAddress(int sockFd)
{
	return nameOf(sockFd, ::getsockname);
}

Endpoint peerAddress(int sockFd)
{
	return nameOf(sockFd, ::getpeername);
}

} // namespace hg
