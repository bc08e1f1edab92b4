#pragma once
// The evidence data model: what one run of the gate produced, as plain data, and the
// pure functions that judge and summarise it (step results, violation aggregation,
// exception usage). Nothing here touches the file system; the renderers
// (report_json.h, report_md.h, step_log.h) turn it into text and EvidenceWriter
// (writer.h) puts that text on disk.
//
// Determinism contract: report.json and report.md are rendered only from fields
// marked "report" below. Fields marked "log only" (pids, durations) go to the per-step
// logs, so two runs of the same policy over steps that behave the same give
// byte-identical reports whatever their pids, timings or the order of their records.

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/error.h"
#include "config.h"
#include "evidence/process_tree.h"
#include "evidence/step_aggregates.h"
#include "record/fd_pass.h"
#include "net/classify.h"
#include "policy/allowlist.h"
#include "record/record.h"

namespace hg {

inline constexpr int kEvidenceSchemaVersion = 1;
inline constexpr const char *kToolName = "hermetic-gate";

// A socket listening (or bound, for datagram sockets) in the traced tree when the
// step ended. Rendered into ss_listen.txt only (log).
struct Listener {
	pid_t pid = 0;
	std::string exe;           // owner's executable
	std::string proto;         // "tcp", "udp", "tcp6"... as the caller names it
	std::string local;         // "127.0.0.1:8080", "[::]:80"
	std::string state;         // "LISTEN" (stream) or "UNCONN" (datagram)
};

// One check of the `doctor` probe (enforcement_health in report.json).
enum class HealthStatus { Ok, Missing, Unknown };
const char *healthStatusName(HealthStatus s); // "ok", "missing", "unknown"

struct HealthCheck {
	std::string check;  // "ptrace", "seccomp_trace", "i386_emulation", "x32", "io_uring", "user_ns", "net_ns"
	HealthStatus status = HealthStatus::Unknown;
	std::string detail; // one line: "kernel.yama.ptrace_scope=1", "CONFIG_X86_X32_ABI not set"
};

// A socket among the inherited descriptors, as report.json's inherited_fds[].socket shows it.
struct ReportedSocket {
	std::string family;   // familyName(), or "unknown" when the gate could not read it
	std::string type;     // socketTypeName(), or "unknown"
	std::string protocol; // protocolLabel(), or "unknown"
	bool listening = false;
	bool connecting = false;
	std::string local;    // endpointTarget(), "" when it has no address
	std::string peer;     // endpointTarget(), "" when it has no peer
};

// An inherited descriptor as the reports show it (report.json's inherited_fds[], report.md's
// table): made from the gate's FdOutcome by reportedFd(), or read back from a report.json.
struct ReportedFd {
	int fd = -1;
	std::string type;                     // fdTypeName()
	std::string detail;                   // InheritedFd::detail, "" for none
	std::optional<ReportedSocket> socket; // set for type "socket" only
	std::string summary;                  // fdSummary()
	FdAction action = FdAction::Closed;
	std::string why;                      // FdOutcome::why, "" for none
};

// The report form of what the gate read and decided about one inherited descriptor.
ReportedFd reportedFd(const FdOutcome &outcome);

// Ordered by severity: a later value is worse. Overall result = the worst step.
enum class StepResult { Pass, Failed, Error, Violation };
const char *stepResultName(StepResult r); // "pass", "failed", "error", "violation"

struct StepEvidence {
	// report
	std::string id;                   // names logs/<id>/: [A-Za-z0-9._-]+, not "." or ".."
	std::vector<std::string> command; // argv of the step
	bool started = true;              // false: the step could not be started (result "error")
	std::string error;                // why it could not start, or why the tracer gave up on it
	int exitCode = -1;                // root process exit code, when it exited normally
	int signal = 0;                   // signal that killed the root process, 0 if none
	bool timedOut = false;
	std::vector<std::string> envRemoved;  // names of environment variables scrubbed
	StepAggregates aggregates;            // every trapped call, folded in as it completed
	std::vector<ProcessRecord> processes; // every process of the tree, any order
	std::vector<Exception> exceptions;    // the allowlist in force; NetRecord::exception indexes it
	std::vector<ReportedFd> inheritedFds; // descriptors above 2 the gate inherited: closed, passed or refused
	// The picture of the tree read back from a report.json (report_reader.h); unset for a
	// run the gate made, whose picture processTreeOf() derives from processes and aggregates.
	std::optional<ProcessTreeSummary> processTree;

	// log only
	std::vector<Listener> listeners;
	std::optional<std::string> ssEstablished; // ss_established.txt, written when set (proc-poll)
	pid_t rootPid = 0;
	uint64_t durationMs = 0;
};

struct RunEvidence {
	std::string sha;               // commit under test
	std::string policyPath;        // "" when no policy file was used (flags only)
	std::string policySha256;      // lower-case hex of the policy file, "" with no file
	std::string detector = "ptrace";
	std::string detectorNote;      // why this detector was used, when it is not the native tracer
	std::vector<std::string> detectorLimits; // what the detector cannot see (empty for ptrace)
	std::string kernelRelease;     // uname -r
	std::string mode = "audit";    // "audit" | "enforce"
	std::string toolVersion = HG_VERSION;
	std::vector<HealthCheck> health;
	bool complete = true;          // false: interrupted (SIGTERM, supervisor died, ...)
	std::string incompleteReason;  // set when !complete
	std::vector<StepEvidence> steps; // in execution order
};

// Rule: violation if any call was Audited or Denied, else error if the step could not
// start (or has an error), else failed on a non-zero exit, a signal or a timeout, else pass.
StepResult stepResult(const StepEvidence &step);

// The picture of the step's process tree report.json and report.md show: nullopt unless the
// step's result is violation; step.processTree when set, else summarizeProcessTree() of
// the step's processes and violations.
std::optional<ProcessTreeSummary> processTreeOf(const StepEvidence &step);

// How the step's command ended, one line: "exited 0", "killed by SIGKILL", "timed out",
// "could not start: REASON".
std::string stepOutcomeText(const StepEvidence &step);

// The worst step result; an incomplete run is at least "error" (a run that stopped
// early cannot pass), and a run without steps that completed passes.
StepResult overallResult(const RunEvidence &run);

// One row of the violation table: calls that agree on every key field (ViolationKey).
struct ViolationGroup : ViolationKey {
	uint64_t count = 0;
	// Distinct argv of the processes that made these calls, sorted (looked up by pid
	// in StepEvidence::processes; a pid with no ProcessRecord contributes nothing).
	std::vector<std::vector<std::string>> argvs;
};

// The Audited/Denied calls of a step grouped by (kind, syscall, family, protocol,
// address, port, exe, decision), sorted by those keys in that order, each with the argv
// of its callers. Independent of record order and pids.
std::vector<ViolationGroup> aggregateViolations(const StepEvidence &step);

struct ExceptionHit {
	std::string spec;   // Exception::spec
	std::string source; // Exception::source
	uint64_t hits = 0;  // Allowed records that matched it (0 in the unused list)
	// Hostname exceptions: what the name resolved to at start ("203.0.113.7/32"); empty
	// when it resolved to nothing. nullopt for literal addresses, ranges and ports.
	std::optional<std::vector<std::string>> resolved;
	ExceptionScope scope = ExceptionScope::Outbound; // Exception::scope
};

struct ExceptionUsage {
	std::vector<ExceptionHit> used;   // hits > 0, in allowlist order
	std::vector<ExceptionHit> unused; // never matched in this step, in allowlist order
};

// Hits of each exception of the step. Fails when an Allowed call's index does not name
// an exception of the step (a tracer bug: the report would be wrong).
Expected<ExceptionUsage> exceptionUsage(const StepEvidence &step);

// Exceptions (identified by spec and source) in force in at least one step and used in
// none: candidates for removal. In order of first appearance. Fails when validateRun()
// does, so a renderer that needs the list has the run checked with it.
Expected<std::vector<ExceptionHit>> staleExceptions(const RunEvidence &run);

// Checks what the renderers rely on: mode is audit|enforce, step ids are unique and
// usable as directory names, every Allowed record names an existing exception.
Expected<void> validateRun(const RunEvidence &run);

// Error when id cannot name logs/<id>/ (empty, ".", "..", a character outside
// [A-Za-z0-9._-], longer than 128).
Expected<void> validateStepId(const std::string &id);

} // namespace hg
