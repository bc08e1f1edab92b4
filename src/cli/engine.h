#pragma once
// Which detector watches a step, and running a step under it: the native tracer
// (Supervisor) or, where ptrace is unavailable and the user allows it, the /proc poller.

#include <optional>
#include <string>

#include "base/error.h"
#include "evidence/run_report.h"
#include "cli/detector_choice.h"
#include "record/fd_pass.h"
#include "procpoll/proc_poller.h"
#include "tracer/ptrace_probe.h"
#include "tracer/supervisor.h"

namespace hg {

struct DetectorSetup {
	bool useProc = false;
	std::string detector = "ptrace"; // report.json "detector"
	std::string note;                // why the weaker detector is used ("" for ptrace)
	int intervalMs = kDefaultPollIntervalMs;
	PtraceAvailability probe;        // what the probe found
};

// Probes ptrace, applies --detector/--strict, prints the one-line refusal or warning.
// intervalMs is 1..10000 (the CLI checks it). Returns the setup, or the exit code to stop
// with (2 usage, 4 tracer required but unusable).
struct DetectorChoiceResult {
	std::optional<DetectorSetup> setup;
	int exitCode = 0;
};
DetectorChoiceResult chooseDetector(DetectorChoice choice, bool strict, bool enforce, int intervalMs);

// The daemon sockets delegated calls are judged against: the built-in list (with the
// gate's own $XDG_RUNTIME_DIR and $SSH_AUTH_SOCK) and extra (the policy's
// delegated_sockets), stat()ed now, so that the sockets that exist match by inode.
DaemonSockets gateDaemonSockets(const std::vector<DaemonSocket> &extra);

// The inherited descriptors of one step (record/fd_pass.h) judged under so's allowlist and
// mode: spec keeps the ones passed, so carries the records of the named sockets. Prints one
// line per descriptor not closed silently (passed or refused), and, unless quiet, one line
// listing those closed. step: "" for exec.
PassPlan applyPassPlan(const std::vector<InheritedFd> &inherited, const std::vector<int> &named, const std::string &step,
		       bool quiet, SupervisorOptions &so, SpawnSpec &spec);

// One step under the chosen detector. extras receives the poller's own findings.
struct EngineExtras {
	std::optional<std::string> ssEstablished;
	std::vector<Listener> pollListeners;
};
Expected<TraceResult> runStepEngine(const DetectorSetup &setup, const SupervisorOptions &so, const std::string &step,
				    RecordSink &sink, const SpawnSpec &spec, EngineExtras &extras);

} // namespace hg
