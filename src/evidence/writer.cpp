#include "evidence/writer.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

#include "base/unique_fd.h"
#include "evidence/atomic_file.h"
#include "evidence/report_json.h"
#include "evidence/report_md.h"
#include "evidence/step_log.h"

namespace hg {

namespace {

constexpr const char *kStepFiles[] = {
	"stdout.txt", "stderr.txt", "strace.txt", "ss_listen.txt", "ss_established.txt", "process_tree.json",
	".stdout.txt.partial", ".stderr.txt.partial", ".strace.txt.partial",
};

Expected<void> removeIfPresent(const std::string &path)
{
	if (::unlink(path.c_str()) < 0 && errno != ENOENT)
		return Error::fromErrno("unlink(" + path + ")");
	return {};
}

Expected<void> probeWritable(const std::string &dir)
{
	std::string probe = dir + "/.hg-probe.XXXXXX";
	UniqueFd fd(::mkostemp(probe.data(), O_CLOEXEC));
	if (!fd)
		return Error::fromErrno("mkostemp(" + probe + ")");
	Expected<void> result;
	if (::write(fd.get(), "x", 1) != 1)
		result = Error::fromErrno("write(" + probe + ")");
	else if (::fsync(fd.get()) < 0)
		result = Error::fromErrno("fsync(" + probe + ")");
	fd.reset();
	if (::unlink(probe.c_str()) < 0 && result)
		result = Error::fromErrno("unlink(" + probe + ")");
	return result;
}

} // namespace

Expected<EvidenceWriter> EvidenceWriter::open(const std::string &dir)
{
	auto fail = [&](const Error &err) {
		return Error{ err.errnum, "cannot write evidence to '" + dir + "': " + err.message +
						  " (choose a writable directory or fix its permissions)" };
	};
	if (dir.empty())
		return fail(Error::msg("the directory name is empty"));
	auto made = makeDirs(dir);
	if (!made)
		return fail(made.error());
	auto probed = probeWritable(dir);
	if (!probed)
		return fail(probed.error());
	for (const char *name : { "report.json", "report.md" }) {
		auto removed = removeIfPresent(dir + "/" + name);
		if (!removed)
			return fail(removed.error());
	}
	return EvidenceWriter(dir);
}

Error EvidenceWriter::wrap(const Error &err) const
{
	return Error{ err.errnum, "writing evidence to '" + dir_ + "': " + err.message };
}

std::string EvidenceWriter::stepLogDir(const std::string &id) const
{
	return dir_ + "/logs/" + id;
}

StepLogPaths EvidenceWriter::stepLogPaths(const std::string &id) const
{
	std::string dir = stepLogDir(id);
	return StepLogPaths{ dir, dir + "/.stdout.txt.partial", dir + "/.stderr.txt.partial",
			     dir + "/.strace.txt.partial", dir + "/stdout.txt", dir + "/stderr.txt",
			     dir + "/strace.txt" };
}

Expected<StepLogPaths> EvidenceWriter::beginStep(const std::string &id)
{
	auto idOk = validateStepId(id);
	if (!idOk)
		return idOk.error();
	StepLogPaths paths = stepLogPaths(id);
	auto made = makeDirs(paths.dir);
	if (!made)
		return wrap(made.error());
	for (const char *name : kStepFiles) {
		auto removed = removeIfPresent(paths.dir + "/" + name);
		if (!removed)
			return wrap(removed.error());
	}
	return paths;
}

Expected<void> EvidenceWriter::writeStep(const StepEvidence &step)
{
	auto idOk = validateStepId(step.id);
	if (!idOk)
		return idOk.error();
	StepLogPaths paths = stepLogPaths(step.id);
	// A step that never went through beginStep (it could not start) still gets its folder.
	auto made = makeDirs(paths.dir);
	if (!made)
		return wrap(made.error());

	auto published = publishFile(paths.stdoutPartial, paths.stdoutPath);
	if (published)
		published = publishFile(paths.stderrPartial, paths.stderrPath);
	if (published)
		published = publishFile(paths.stracePartial, paths.stracePath);
	if (!published)
		return wrap(published.error());

	const std::pair<const char *, std::string> files[] = {
		{ "ss_listen.txt", renderSsListen(step.listeners) },
		{ "process_tree.json", renderProcessTreeJson(step) },
	};
	for (const auto &[name, content] : files) {
		auto written = writeFileAtomic(paths.dir + "/" + name, content);
		if (!written)
			return wrap(written.error());
	}
	if (step.ssEstablished) {
		auto written = writeFileAtomic(paths.dir + "/ss_established.txt", *step.ssEstablished);
		if (!written)
			return wrap(written.error());
	}
	auto synced = fsyncDir(paths.dir);
	if (!synced)
		return wrap(synced.error());
	return {};
}

Expected<void> EvidenceWriter::writeReport(const RunEvidence &run)
{
	auto md = renderReportMd(run);
	if (!md)
		return wrap(md.error());
	auto json = renderReportJson(run);
	if (!json)
		return wrap(json.error());
	auto written = writeFileAtomic(dir_ + "/report.md", *md);
	if (written)
		written = writeFileAtomic(dir_ + "/report.json", *json);
	if (!written)
		return wrap(written.error());
	return {};
}

} // namespace hg
