#include "cli/step_sink.h"

#include <unistd.h>

#include "cli/live_printer.h"
#include "evidence/atomic_file.h"
#include "evidence/strace_log.h"

namespace hg {

StraceStream::~StraceStream()
{
	if (file_)
		fclose(file_);
}

Expected<void> StraceStream::open(const std::string &partialPath, const std::string &finalPath,
				  Durability durability)
{
	partial_ = partialPath;
	final_ = finalPath;
	durability_ = durability;
	file_ = fopen(partial_.c_str(), "we");
	if (!file_)
		return Error::fromErrno("cannot write " + partial_);
	return {};
}

void StraceStream::write(const NetRecord &r)
{
	if (!file_)
		return;
	std::string line = straceLine(r);
	line += '\n';
	if (fwrite(line.data(), 1, line.size(), file_) != line.size())
		failed_ = true;
}

Expected<void> StraceStream::publish()
{
	if (!file_)
		return {};
	bool ok = !failed_ && fflush(file_) == 0;
	ok = fclose(file_) == 0 && ok;
	file_ = nullptr;
	if (!ok)
		return Error::fromErrno("cannot write " + partial_);
	return publishFile(partial_, final_, durability_);
}

StepSink::StepSink(std::string step, bool quiet, StraceStream &strace, Progress *progress)
	: step_(std::move(step)), quiet_(quiet), colour_(isatty(2)), strace_(strace), progress_(progress)
{
}

void StepSink::onViolation(const NetRecord &r)
{
	if (quiet_)
		return;
	std::string line = violationLine(r, step_, colour_) + "\n";
	std::unique_lock<std::mutex> hold;
	if (progress_)
		hold = progress_->holdForOutput();
	(void)!::write(2, line.data(), line.size());
}

void StepSink::onTreeSize(size_t alive)
{
	live.alive.store(static_cast<int64_t>(alive), std::memory_order_relaxed);
}

void StepSink::onRecord(const NetRecord &r)
{
	strace_.write(r);
	aggregates.add(r);
	live.calls.fetch_add(1, std::memory_order_relaxed);
	switch (r.decision) {
	case Decision::Audited:
		audited++;
		live.violations.fetch_add(1, std::memory_order_relaxed);
		break;
	case Decision::Denied:
		denied++;
		live.violations.fetch_add(1, std::memory_order_relaxed);
		break;
	case Decision::Allowed:
		allowed++;
		break;
	case Decision::Logged:
		logged++;
		break;
	}
}

} // namespace hg
