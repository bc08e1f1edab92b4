#include "seccomp/filter.h"

#include <linux/seccomp.h>
#include <sched.h>
#include <sys/socket.h>
#include <seccomp.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <string>

#include "base/unique_fd.h"

namespace hg {

namespace {

struct CtxDeleter {
	void operator()(void *ctx) const { seccomp_release(ctx); }
};
using ScmpCtx = std::unique_ptr<void, CtxDeleter>;

Error scmpError(int rc, const std::string &what)
{
	return Error{-rc, "libseccomp " + what + ": " + std::strerror(-rc)};
}

struct Rule {
	const char *name;
	TrapTag tag;
};

constexpr Rule kRules[] = {
	{"connect", kTagConnect},
	{"bind", kTagBind},
	{"listen", kTagListen},
	{"sendmsg", kTagSendmsg},
	{"sendmmsg", kTagSendmmsg},
};

// One context per group of ABIs: libseccomp applies argument conditions to the
// socketcall multiplexer's own arguments on i386, so sendto's "has an address"
// condition must not be used there; the contexts are merged afterwards.
Expected<void> addGuards(scmp_filter_ctx ctx)
{
	auto nr = [](const char *name) { return seccomp_syscall_resolve_name(name); };
	struct Guard {
		const char *what;
		int rc;
	};
	std::vector<Guard> guards = {
		{"clone(CLONE_UNTRACED)", seccomp_rule_add(ctx, SCMP_ACT_TRACE(kTagUntracedClone), nr("clone"), 1,
							   SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_UNTRACED, CLONE_UNTRACED))},
		{"clone3", seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), nr("clone3"), 0)},
		{"io_uring_setup", seccomp_rule_add(ctx, SCMP_ACT_TRACE(kTagIoUring), nr("io_uring_setup"), 0)},
		{"seccomp(NEW_LISTENER)", seccomp_rule_add(ctx, SCMP_ACT_TRACE(kTagSeccompListener), nr("seccomp"), 2,
							   SCMP_A0(SCMP_CMP_EQ, SECCOMP_SET_MODE_FILTER),
							   SCMP_A1(SCMP_CMP_MASKED_EQ, SECCOMP_FILTER_FLAG_NEW_LISTENER,
								   SECCOMP_FILTER_FLAG_NEW_LISTENER))},
	};
	// The target of these is only known to the supervisor (is it in the traced tree?).
	for (const char *call : {"kill", "tkill", "tgkill", "rt_sigqueueinfo", "rt_tgsigqueueinfo", "pidfd_open",
				 "pidfd_getfd", "pidfd_send_signal", "process_vm_writev", "process_vm_readv", "ptrace"})
		guards.push_back({call, seccomp_rule_add(ctx, SCMP_ACT_TRACE(kTagProcessAccess), nr(call), 0)});
	for (const Guard &g : guards) {
		if (g.rc < 0)
			return scmpError(g.rc, std::string("seccomp_rule_add(") + g.what + ")");
	}
	return {};
}

Expected<ScmpCtx> buildCtx(const std::vector<uint32_t> &arches, bool conditionalSendto)
{
	ScmpCtx ctx(seccomp_init(SCMP_ACT_ALLOW));
	if (!ctx)
		return Error::msg("libseccomp seccomp_init failed");

	// seccomp_init() added the native ABI; keep it only when asked for.
	uint32_t native = seccomp_arch_native();
	bool wantNative = false;
	for (uint32_t a : arches) {
		if (a == native) {
			wantNative = true;
			continue;
		}
		int rc = seccomp_arch_add(ctx.get(), a);
		if (rc < 0 && rc != -EEXIST)
			return scmpError(rc, "seccomp_arch_add(" + std::to_string(a) + ")");
	}
	if (!wantNative) {
		int rc = seccomp_arch_remove(ctx.get(), native);
		if (rc < 0)
			return scmpError(rc, "seccomp_arch_remove(native)");
	}

	int rc = seccomp_attr_set(ctx.get(), SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_TRACE(kTagBadArch));
	if (rc < 0)
		return scmpError(rc, "seccomp_attr_set(ACT_BADARCH)");
	// The supervisor decides about no_new_privs itself (installFilter).
	rc = seccomp_attr_set(ctx.get(), SCMP_FLTATR_CTL_NNP, 0);
	if (rc < 0)
		return scmpError(rc, "seccomp_attr_set(CTL_NNP)");

	for (const Rule &r : kRules) {
		rc = seccomp_rule_add(ctx.get(), SCMP_ACT_TRACE(r.tag), seccomp_syscall_resolve_name(r.name), 0);
		if (rc < 0)
			return scmpError(rc, std::string("seccomp_rule_add(") + r.name + ")");
	}
	// socket(): inet families only where the filter reads arguments; on i386 (socketcall
	// hides them) every socket() traps, and the supervisor notes whatever it made.
	int socketNr = seccomp_syscall_resolve_name("socket");
	if (conditionalSendto) {
		for (int family : {AF_INET, AF_INET6}) {
			rc = seccomp_rule_add(ctx.get(), SCMP_ACT_TRACE(kTagInetSocket), socketNr, 1,
					      SCMP_A0(SCMP_CMP_MASKED_EQ, 0xffffffffu, static_cast<uint32_t>(family)));
			if (rc < 0)
				return scmpError(rc, "seccomp_rule_add(socket)");
		}
	} else if ((rc = seccomp_rule_add(ctx.get(), SCMP_ACT_TRACE(kTagInetSocket), socketNr, 0)) < 0) {
		return scmpError(rc, "seccomp_rule_add(socket)");
	}
	int sendtoNr = seccomp_syscall_resolve_name("sendto");
	if (conditionalSendto)
		rc = seccomp_rule_add(ctx.get(), SCMP_ACT_TRACE(kTagSendto), sendtoNr, 1, SCMP_A4(SCMP_CMP_NE, 0));
	else
		rc = seccomp_rule_add(ctx.get(), SCMP_ACT_TRACE(kTagSendto), sendtoNr, 0);
	if (rc < 0)
		return scmpError(rc, "seccomp_rule_add(sendto)");
	auto guarded = addGuards(ctx.get());
	if (!guarded)
		return guarded.error();
	return ctx;
}

} // namespace

Expected<BpfProgram> buildNetworkFilter()
{
	auto direct = buildCtx({SCMP_ARCH_X86_64, SCMP_ARCH_X32}, true);
	if (!direct)
		return direct.error();
	auto multiplexed = buildCtx({SCMP_ARCH_X86}, false);
	if (!multiplexed)
		return multiplexed.error();

	// On success seccomp_merge() releases the second context itself.
	int rc = seccomp_merge(direct->get(), multiplexed->get());
	if (rc < 0)
		return scmpError(rc, "seccomp_merge");
	(void)multiplexed->release();

	UniqueFd mem(memfd_create("hg-seccomp-bpf", MFD_CLOEXEC));
	if (!mem)
		return Error::fromErrno("memfd_create(hg-seccomp-bpf)");
	rc = seccomp_export_bpf(direct->get(), mem.get());
	if (rc < 0)
		return scmpError(rc, "seccomp_export_bpf");

	off_t size = lseek(mem.get(), 0, SEEK_END);
	if (size <= 0 || size % sizeof(sock_filter) != 0)
		return Error::msg("seccomp_export_bpf produced " + std::to_string(size) + " bytes");
	BpfProgram prog;
	prog.insns.resize(size / sizeof(sock_filter));
	ssize_t n = pread(mem.get(), prog.insns.data(), size, 0);
	if (n != size)
		return Error::fromErrno("pread(seccomp bpf memfd)");
	return prog;
}

int installFilter(const BpfProgram &prog, bool setNoNewPrivs)
{
	if (setNoNewPrivs && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
		return errno;
	sock_fprog fprog{};
	fprog.len = static_cast<unsigned short>(prog.insns.size());
	fprog.filter = const_cast<sock_filter *>(prog.insns.data());
	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &fprog) != 0)
		return errno;
	return 0;
}

} // namespace hg
