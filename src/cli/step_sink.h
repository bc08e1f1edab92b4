#pragma once
// The RecordSink of one step: live violation lines, strace.txt streamed to disk as
// calls complete, counters, and the aggregates the report needs. Nothing is kept per
// call, so a step's memory does not grow with the number of calls it makes.

#include <cstdio>
#include <string>

#include "base/error.h"
#include "cli/progress.h"
#include "evidence/atomic_file.h"
#include "evidence/step_aggregates.h"
#include "record/record.h"

namespace hg {

// Streams strace.txt lines into a partial file; publish() renames it to its final name.
class StraceStream {
public:
	StraceStream() = default;
	StraceStream(const StraceStream &) = delete;
	StraceStream &operator=(const StraceStream &) = delete;
	~StraceStream();

	Expected<void> open(const std::string &partialPath, const std::string &finalPath,
			    Durability durability);
	void write(const NetRecord &r);
	// fsync (when Flushed) + rename into place. No-op when never opened.
	Expected<void> publish();

private:
	FILE *file_ = nullptr;
	bool failed_ = false;
	Durability durability_ = Durability::Flushed;
	std::string partial_, final_;
};

class StepSink final : public RecordSink {
public:
	// progress: the live status line, erased while a violation line is written; nullptr: none.
	StepSink(std::string step, bool quiet, StraceStream &strace, Progress *progress = nullptr);

	void onViolation(const NetRecord &r) override;
	void onRecord(const NetRecord &r) override;
	void onTreeSize(size_t alive) override;

	uint64_t audited = 0, denied = 0, allowed = 0, logged = 0; // records per decision
	StepAggregates aggregates; // every record, folded in (StepEvidence::aggregates)
	LiveCounters live;         // for the progress line, read from its thread

private:
	std::string step_;
	bool quiet_;
	bool colour_;
	StraceStream &strace_;
	Progress *progress_;
};

} // namespace hg
