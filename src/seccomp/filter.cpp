#include "seccomp/filter.h"

#include <linux/seccomp.h>
#include <sched.h>
#include <sys/socket.h>
#include <seccomp.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "base/packet_path.h"
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

// A 32-bit int argument, compared on its low 32 bits (the upper half of the register is not
// defined for int arguments).
scmp_arg_cmp intArg(unsigned arg, int32_t value)
{
	return scmp_arg_cmp{arg, SCMP_CMP_MASKED_EQ, 0xffffffffu, static_cast<uint32_t>(value)};
}

// The packet path rules (base/packet_path.h). socket() and setsockopt() go through socketcall on
// i386, whose own arguments the conditions would test: there setsockopt traps whole
// (multiplexed), and socket() already traps whole for kTagInetSocket. Inet sockets trap for
// kTagInetSocket on every ABI, so the raw ones need no rule of their own here: the supervisor
// judges every trapped socket() by its arguments (net/packet_path.h's classifySocket).
Expected<void> addPathRules(scmp_filter_ctx ctx, bool multiplexed)
{
	auto nr = [](const char *name) { return seccomp_syscall_resolve_name(name); };
	struct Added {
		std::string what;
		int rc;
	};
	std::vector<Added> added;
	auto add = [&](std::string what, uint32_t action, const char *call, std::vector<scmp_arg_cmp> conds) {
		int rc = seccomp_rule_add_array(ctx, action, nr(call), static_cast<unsigned>(conds.size()),
						conds.empty() ? nullptr : conds.data());
		added.push_back({std::move(what), rc});
	};
	const uint32_t socketTrap = SCMP_ACT_TRACE(kTagSocket);
	const uint32_t sockoptTrap = SCMP_ACT_TRACE(kTagPathSockopt);
	// A protocol whose low 32 bits are not 0 traps (a set upper half traps too, and is judged clean).
	const scmp_arg_cmp anyProtocol{2, SCMP_CMP_NE, 0, 0};
	if (multiplexed) {
		add("setsockopt", sockoptTrap, "setsockopt", {});
	} else {
		add("socket(AF_PACKET)", socketTrap, "socket", {intArg(0, AF_PACKET), anyProtocol});
		for (const PathNetlink &n : kPathNetlinks)
			add(std::string("socket(AF_NETLINK, ") + n.name + ")", socketTrap, "socket",
			    {intArg(0, AF_NETLINK), intArg(2, n.protocol)});
		for (const PathSockopt &o : kPathSockopts)
			add(std::string("setsockopt(") + o.name + ")", sockoptTrap, "setsockopt",
			    {intArg(1, o.level), intArg(2, o.optname)});
		for (int opt = kIpVsSoSetFirst; opt <= kIpVsSoSetLast; opt++)
			add("setsockopt(IP_VS_SO_SET_" + std::to_string(opt) + ")", sockoptTrap, "setsockopt",
			    {intArg(1, IPPROTO_IP), intArg(2, opt)});
	}
	for (const PathIoctl &i : kPathIoctls)
		add(std::string("ioctl(") + i.name + ")", SCMP_ACT_TRACE(kTagPathIoctl), "ioctl",
		    {intArg(1, static_cast<int32_t>(i.cmd))});
	for (const PathBpfCmd &b : kPathBpfCmds)
		add(std::string("bpf(") + b.name + ")", SCMP_ACT_TRACE(kTagPathBpf), "bpf", {intArg(0, b.cmd)});
	add("init_module", SCMP_ACT_TRACE(kTagPathModule), "init_module", {});
	add("finit_module", SCMP_ACT_TRACE(kTagPathModule), "finit_module", {});
	// setns(fd, 0) takes any namespace the fd is: the supervisor looks at the fd.
	add("setns(0)", SCMP_ACT_TRACE(kTagPathSetns), "setns", {intArg(1, 0)});
	add("setns(CLONE_NEWNET)", SCMP_ACT_TRACE(kTagPathSetns), "setns",
	    {scmp_arg_cmp{1, SCMP_CMP_MASKED_EQ, CLONE_NEWNET, CLONE_NEWNET}});
	for (const Added &a : added) {
		if (a.rc < 0)
			return scmpError(a.rc, "seccomp_rule_add(" + a.what + ")");
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
	// A binary tree over the syscall numbers instead of a list: with the packet path rules
	// the list grew, and every untrapped syscall of the step walks it.
	rc = seccomp_attr_set(ctx.get(), SCMP_FLTATR_CTL_OPTIMIZE, 2);
	if (rc < 0)
		return scmpError(rc, "seccomp_attr_set(CTL_OPTIMIZE)");
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
	auto path = addPathRules(ctx.get(), !conditionalSendto);
	if (!path)
		return path.error();
	return ctx;
}

// The cBPF program of ctx.
Expected<BpfProgram> exportProgram(scmp_filter_ctx ctx)
{
	UniqueFd mem(memfd_create("hg-seccomp-bpf", MFD_CLOEXEC));
	if (!mem)
		return Error::fromErrno("memfd_create(hg-seccomp-bpf)");
	int rc = seccomp_export_bpf(ctx, mem.get());
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
	return exportProgram(direct->get());
}

Expected<BpfProgram> buildObserveFilter(const std::vector<std::string> &syscalls)
{
	ScmpCtx ctx(seccomp_init(SCMP_ACT_ALLOW));
	if (!ctx)
		return Error::msg("libseccomp seccomp_init failed");
	for (uint32_t arch : {SCMP_ARCH_X32, SCMP_ARCH_X86}) {
		int rc = seccomp_arch_add(ctx.get(), arch);
		if (rc < 0 && rc != -EEXIST)
			return scmpError(rc, "seccomp_arch_add(" + std::to_string(arch) + ")");
	}
	// Another ABI is the network filter's to trap (kTagBadArch).
	for (auto [attr, value] : {std::pair{SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_ALLOW},
				   std::pair{SCMP_FLTATR_CTL_OPTIMIZE, 2u}, std::pair{SCMP_FLTATR_CTL_NNP, 0u}}) {
		int rc = seccomp_attr_set(ctx.get(), attr, value);
		if (rc < 0)
			return scmpError(rc, "seccomp_attr_set(" + std::to_string(attr) + ")");
	}
	for (const std::string &name : syscalls) {
		int nr = seccomp_syscall_resolve_name(name.c_str());
		if (nr == __NR_SCMP_ERROR)
			return Error::msg("libseccomp does not know the syscall '" + name + "'");
		int rc = seccomp_rule_add(ctx.get(), SCMP_ACT_TRACE(kTagObserved), nr, 0);
		if (rc < 0)
			return scmpError(rc, "seccomp_rule_add(" + name + ")");
	}
	return exportProgram(ctx.get());
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
