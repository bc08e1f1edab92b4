#pragma once
// EvidenceWriter: owns one evidence directory (artifacts/governance/hermetic-ci/<sha>/)
// and puts every file there atomically (atomic_file.h), so a crash leaves either no
// file or a whole one, never half of one. Layout:
//     <dir>/report.json, <dir>/report.md
//     <dir>/logs/<id>/stdout.txt, stderr.txt, strace.txt, ss_listen.txt, process_tree.json
//
// Use per step:
//     auto paths = writer.beginStep(step.id);  // creates logs/<id>/
//     ... run the step with its stdout/stderr streamed into paths->stdoutPartial and
//         paths->stderrPartial (open them O_WRONLY|O_CREAT|O_TRUNC), and its strace.txt
//         into paths->stracePartial, a line per call as it completes (StraceStream) ...
//     writer.writeStep(evidence);              // publishes them, writes the logs
// then, after the last step (or when interrupted), writer.writeReport(run).
// writeStep returns only once the step's files and their directory entries are fsynced:
// the step's evidence is on disk before the next step starts.

#include <string>

#include "base/error.h"
#include "evidence/run_report.h"

namespace hg {

// Where a step's captured output goes. The partial names start with '.' and are renamed
// to the final names by writeStep, so a crash mid-step never leaves a stdout.txt that
// looks complete.
struct StepLogPaths {
	std::string dir;           // <dir>/logs/<id>
	std::string stdoutPartial; // <dir>/logs/<id>/.stdout.txt.partial
	std::string stderrPartial; // <dir>/logs/<id>/.stderr.txt.partial
	std::string stracePartial; // <dir>/logs/<id>/.strace.txt.partial
	std::string stdoutPath;    // <dir>/logs/<id>/stdout.txt (after writeStep)
	std::string stderrPath;    // <dir>/logs/<id>/stderr.txt (after writeStep)
	std::string stracePath;    // <dir>/logs/<id>/strace.txt (after writeStep, or when the caller publishes it)
};

class EvidenceWriter {
public:
	// Creates dir (mkdir -p) and proves it writable by creating, syncing and removing a
	// probe file, then removes report.json and report.md a previous run left there (a
	// report must never describe other logs than this run's). Error, one line: "cannot write evidence to 'DIR': CALL: ERRNO TEXT
	// (choose a writable directory or fix its permissions)".
	static Expected<EvidenceWriter> open(const std::string &dir);

	const std::string &dir() const { return dir_; }

	// <dir>/logs/<id> (no check of id; beginStep/writeStep validate it).
	std::string stepLogDir(const std::string &id) const;

	// The paths of a step's log files, with no side effect.
	StepLogPaths stepLogPaths(const std::string &id) const;

	// Validates id (validateStepId), creates logs/<id>/ and removes the log files a
	// previous run left there, then returns the paths for the caller to stream output into.
	Expected<StepLogPaths> beginStep(const std::string &id);

	// Publishes the streamed stdout, stderr and strace.txt (an empty file when nothing was
	// streamed, e.g. the step could not start; a strace.txt the caller already published
	// is kept) and writes ss_listen.txt and process_tree.json, then fsyncs logs/<id>/.
	// strace.txt is never rendered from records held in memory: it is only ever streamed.
	Expected<void> writeStep(const StepEvidence &step);

	// Writes report.md, then report.json (last, so a present report.json means the
	// report is whole). Fails, writing nothing, when validateRun() fails.
	Expected<void> writeReport(const RunEvidence &run);

private:
	explicit EvidenceWriter(std::string dir) : dir_(std::move(dir)) {}

	Error wrap(const Error &err) const;

	std::string dir_;
};

} // namespace hg
