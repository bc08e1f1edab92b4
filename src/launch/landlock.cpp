#include "launch/landlock.h"

#include <linux/landlock.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>

namespace hg {

namespace {

// struct landlock_ruleset_attr as of ABI 6 (Linux 6.12); Debian 12's headers stop at ABI 3.
// The kernel takes the prefix it knows: a shorter size for an older ABI.
struct RulesetAttr {
	uint64_t handledAccessFs;
	uint64_t handledAccessNet; // ABI 4
	uint64_t scoped;           // ABI 6
};

constexpr uint64_t kScopeSignal = 1ULL << 1; // LANDLOCK_SCOPE_SIGNAL
constexpr uint64_t kAccessFsMakeBlock = 1ULL << 11; // LANDLOCK_ACCESS_FS_MAKE_BLOCK

} // namespace

int landlockAbi()
{
	long abi = syscall(SYS_landlock_create_ruleset, nullptr, 0, LANDLOCK_CREATE_RULESET_VERSION);
	return abi > 0 ? static_cast<int>(abi) : 0;
}

int enterStepDomain()
{
	long abi = syscall(SYS_landlock_create_ruleset, nullptr, 0, LANDLOCK_CREATE_RULESET_VERSION);
	if (abi <= 0)
		return errno == 0 ? ENOSYS : errno;
	RulesetAttr attr{};
	size_t size;
	if (abi >= 6) {
		attr.scoped = kScopeSignal;
		size = sizeof(RulesetAttr);
	} else {
		attr.handledAccessFs = kAccessFsMakeBlock;
		size = sizeof(attr.handledAccessFs);
	}
	long ruleset = syscall(SYS_landlock_create_ruleset, &attr, size, 0);
	if (ruleset < 0)
		return errno;
	int err = 0;
	if (syscall(SYS_landlock_restrict_self, static_cast<int>(ruleset), 0) != 0)
		err = errno;
	close(static_cast<int>(ruleset));
	return err;
}

} // namespace hg
