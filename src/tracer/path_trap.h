#pragma once
// The supervisor's side of the packet path traps (issue 12, part 3): what a kTagPath* trap is,
// and whether a trapped send carries a source route or an rtnetlink change. The judgements are
// net/packet_path.h's; this reads the arguments (and the fd behind setns) from the tracee.

#include <sys/types.h>

#include <optional>
#include <string>

#include "record/record.h"
#include "tracer/syscall_decoder.h"

namespace hg {

// A kTagPath* tag.
bool isPathTag(uint32_t tag);

// A kTagPath* trap of task tid as onGuardTrap records it: an evasion, or nothing when the
// call may run (judgePathTrap, on the tracee's memory).
std::optional<Classification> pathTrapClassification(pid_t tid, const RawSyscall &sc);

// A kTagPath* trap (setsockopt, ioctl, bpf, init_module/finit_module, setns): the why of its
// refusal, or nothing when its arguments turn out harmless (the call then runs). Arguments
// the gate cannot read are a refusal.
std::optional<std::string> judgePathTrap(pid_t tid, const RawSyscall &sc, MemoryReader &mem);

// A trapped send judged into r: when it carries a source route or an rtnetlink change, r
// becomes an evasion, denied in every mode. True when it did.
bool refusePathSend(NetRecord &r, const DecodedCall &d, MemoryReader &mem);

// "x86_64", "x32" or "i386": the ABI of a trap.
std::string trapArch(const RawSyscall &sc);

} // namespace hg
