// EvidenceWriter and the atomic file helpers, on a real temporary directory.

#include <catch2/catch.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <set>

#include "evidence/atomic_file.h"
#include "evidence/report_json.h"
#include "evidence/report_md.h"
#include "evidence/step_log.h"
#include "evidence/writer.h"
#include "evidence_fixtures.h"
#include "schema_check.h"

using namespace hg;
using namespace hg::test;
namespace fs = std::filesystem;

namespace {

// A fresh directory under /tmp, removed with everything in it at scope exit.
class TempDir {
public:
	TempDir()
	{
		std::string tmpl = "/tmp/hg-evidence-test.XXXXXX";
		REQUIRE(::mkdtemp(tmpl.data()) != nullptr);
		path_ = tmpl;
	}
	~TempDir() { fs::remove_all(path_); }
	const std::string &path() const { return path_; }

private:
	std::string path_;
};

std::set<std::string> listDir(const std::string &dir)
{
	std::set<std::string> names;
	for (const auto &entry : fs::directory_iterator(dir))
		names.insert(entry.path().filename().string());
	return names;
}

void writeText(const std::string &path, const std::string &text)
{
	int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	REQUIRE(fd >= 0);
	REQUIRE(::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()));
	::close(fd);
}

const std::set<std::string> kStepFiles = { "stdout.txt", "stderr.txt", "strace.txt", "ss_listen.txt",
					   "process_tree.json" };

} // namespace

TEST_CASE("EvidenceWriter writes a whole run and leaves no temporary files", "[evidence][writer]")
{
	TempDir tmp;
	std::string dir = tmp.path() + "/artifacts/governance/hermetic-ci/0123abc";
	auto writer = EvidenceWriter::open(dir);
	REQUIRE(writer.ok());
	CHECK(writer->dir() == dir);
	CHECK(listDir(dir).empty()); // the probe file is gone

	RunEvidence run = sampleRun();
	for (size_t i = 0; i < 2; i++) {
		const StepEvidence &step = run.steps[i];
		auto paths = writer->beginStep(step.id);
		REQUIRE(paths.ok());
		CHECK(paths->dir == writer->stepLogDir(step.id));
		CHECK(paths->dir == dir + "/logs/" + step.id);
		CHECK(paths->stdoutPath == paths->dir + "/stdout.txt");
		// The step streams its output while it runs.
		writeText(paths->stdoutPartial, "out of " + step.id + "\n");
		writeText(paths->stderrPartial, "err of " + step.id + "\n");
		writeText(paths->stracePartial, "100 connect(3, ...) = 0\n");
		CHECK_FALSE(fs::exists(paths->stdoutPath));
		CHECK_FALSE(fs::exists(paths->stracePath));

		REQUIRE(writer->writeStep(step).ok());
		CHECK(listDir(paths->dir) == kStepFiles);
		CHECK(readFile(paths->stdoutPath) == "out of " + step.id + "\n");
		CHECK(readFile(paths->stderrPath) == "err of " + step.id + "\n");
		CHECK(paths->stracePath == paths->dir + "/strace.txt");
		CHECK(readFile(paths->stracePath) == "100 connect(3, ...) = 0\n");
		CHECK(readFile(paths->dir + "/ss_listen.txt") == renderSsListen(step.listeners));
		std::string tree = readFile(paths->dir + "/process_tree.json");
		CHECK(tree == renderProcessTreeJson(step));
		CHECK(schemaErrors("process_tree.schema.json", tree) == "");
	}

	// "deploy" could not start: no beginStep, nothing streamed, empty output files.
	REQUIRE(writer->writeStep(run.steps[2]).ok());
	CHECK(listDir(dir + "/logs/deploy") == kStepFiles);
	CHECK(readFile(dir + "/logs/deploy/stdout.txt").empty());
	CHECK(readFile(dir + "/logs/deploy/stderr.txt").empty());
	CHECK(readFile(dir + "/logs/deploy/strace.txt").empty());

	REQUIRE(writer->writeReport(run).ok());
	CHECK(listDir(dir) == std::set<std::string>{ "logs", "report.json", "report.md" });
	CHECK(listDir(dir + "/logs") == std::set<std::string>{ "build", "fetch", "deploy" });
	std::string json = readFile(dir + "/report.json");
	CHECK(json == *renderReportJson(run));
	CHECK(schemaErrors("report.schema.json", json) == "");
	CHECK(readFile(dir + "/report.md") == *renderReportMd(run));

	struct stat st;
	REQUIRE(::stat((dir + "/report.json").c_str(), &st) == 0);
	CHECK((st.st_mode & 0777) == 0644);
}

TEST_CASE("writeStep keeps a strace.txt the caller already published", "[evidence][writer]")
{
	TempDir tmp;
	auto writer = EvidenceWriter::open(tmp.path());
	REQUIRE(writer.ok());
	RunEvidence run = sampleRun();
	auto paths = writer->beginStep("build");
	REQUIRE(paths.ok());
	writeText(paths->stracePartial, "leftover of a crashed run\n");
	paths = writer->beginStep("build"); // removes it
	REQUIRE(paths.ok());
	CHECK(listDir(paths->dir).empty());

	// As StraceStream::publish() does at the end of the step.
	writeText(paths->stracePartial, "101 connect(3, ...) = 0\n");
	REQUIRE(publishFile(paths->stracePartial, paths->stracePath).ok());
	REQUIRE(writer->writeStep(run.steps[0]).ok());
	CHECK(listDir(paths->dir) == kStepFiles);
	CHECK(readFile(paths->stracePath) == "101 connect(3, ...) = 0\n");
}

TEST_CASE("reopening an evidence dir drops the previous run's report and step logs", "[evidence][writer]")
{
	TempDir tmp;
	RunEvidence run = sampleRun();
	{
		auto first = EvidenceWriter::open(tmp.path());
		REQUIRE(first.ok());
		REQUIRE(first->beginStep("build").ok());
		REQUIRE(first->writeStep(run.steps[0]).ok());
		REQUIRE(first->writeReport(run).ok());
	}
	auto second = EvidenceWriter::open(tmp.path());
	REQUIRE(second.ok());
	CHECK(listDir(tmp.path()) == std::set<std::string>{ "logs" });
	auto paths = second->beginStep("build");
	REQUIRE(paths.ok());
	CHECK(listDir(paths->dir).empty());
}

TEST_CASE("EvidenceWriter::open explains an unusable directory", "[evidence][writer]")
{
	TempDir tmp;
	// Tests run as root, which ignores permission bits: a path below a regular file
	// fails for everyone.
	std::string file = tmp.path() + "/file";
	writeText(file, "x");
	std::string dir = file + "/sub/dir";
	auto writer = EvidenceWriter::open(dir);
	REQUIRE_FALSE(writer.ok());
	const std::string &msg = writer.error().message;
	CHECK(writer.error().errnum == ENOTDIR);
	CHECK_THAT(msg, Catch::StartsWith("cannot write evidence to '" + dir + "': "));
	CHECK_THAT(msg, Catch::Contains("Not a directory"));
	CHECK_THAT(msg, Catch::Contains("choose a writable directory or fix its permissions"));
	CHECK(msg.find('\n') == std::string::npos);

	auto onFile = EvidenceWriter::open(file);
	REQUIRE_FALSE(onFile.ok());
	CHECK_THAT(onFile.error().message, Catch::Contains("Not a directory"));

	// procfs refuses new entries even to root.
	auto proc = EvidenceWriter::open("/proc/self/hg-evidence");
	REQUIRE_FALSE(proc.ok());
	CHECK_THAT(proc.error().message, Catch::StartsWith("cannot write evidence to '/proc/self/hg-evidence': "));

	CHECK_FALSE(EvidenceWriter::open("").ok());
}

TEST_CASE("EvidenceWriter refuses step ids that are not folder names", "[evidence][writer]")
{
	TempDir tmp;
	auto writer = EvidenceWriter::open(tmp.path());
	REQUIRE(writer.ok());
	for (const char *bad : { "../escape", "a/b", "..", "" }) {
		auto paths = writer->beginStep(bad);
		CHECK_FALSE(paths.ok());
		StepEvidence step;
		step.id = bad;
		CHECK_FALSE(writer->writeStep(step).ok());
	}
	CHECK(listDir(tmp.path()).empty());
	CHECK_FALSE(fs::exists(tmp.path() + "/../escape"));
}

TEST_CASE("writeReport writes nothing for an inconsistent run", "[evidence][writer]")
{
	TempDir tmp;
	auto writer = EvidenceWriter::open(tmp.path());
	REQUIRE(writer.ok());
	SampleRecords records = sampleRecords();
	records[1].back().exception = 42;
	RunEvidence run = sampleRun(records);
	auto written = writer->writeReport(run);
	REQUIRE_FALSE(written.ok());
	CHECK_THAT(written.error().message, Catch::Contains(tmp.path()) && Catch::Contains("#42"));
	CHECK(listDir(tmp.path()).empty());
}

TEST_CASE("writeFileAtomic replaces whole files and cleans up after failure", "[evidence][writer]")
{
	TempDir tmp;
	std::string path = tmp.path() + "/report.json";
	REQUIRE(writeFileAtomic(path, "first\n").ok());
	REQUIRE(writeFileAtomic(path, "second\n").ok());
	CHECK(readFile(path) == "second\n");
	REQUIRE(writeFileAtomic(tmp.path() + "/empty", "").ok());
	CHECK(readFile(tmp.path() + "/empty").empty());
	CHECK(listDir(tmp.path()) == std::set<std::string>{ "report.json", "empty" });

	// rename() onto a directory fails after the temp file was written: it must go.
	std::string blocker = tmp.path() + "/blocked";
	REQUIRE(::mkdir(blocker.c_str(), 0755) == 0);
	auto failed = writeFileAtomic(blocker, "data");
	REQUIRE_FALSE(failed.ok());
	CHECK_THAT(failed.error().message, Catch::StartsWith("rename(") && Catch::Contains(blocker));
	CHECK(listDir(tmp.path()) == std::set<std::string>{ "report.json", "empty", "blocked" });

	auto noDir = writeFileAtomic(tmp.path() + "/missing/x", "data");
	REQUIRE_FALSE(noDir.ok());
	CHECK(noDir.error().errnum == ENOENT);
	CHECK_THAT(noDir.error().message, Catch::Contains("missing"));
}

TEST_CASE("makeDirs creates nested directories and rejects files in the way", "[evidence][writer]")
{
	TempDir tmp;
	std::string nested = tmp.path() + "/a/b/c/";
	REQUIRE(makeDirs(nested).ok());
	CHECK(fs::is_directory(tmp.path() + "/a/b/c"));
	CHECK(makeDirs(nested).ok()); // idempotent
	writeText(tmp.path() + "/f", "");
	auto onFile = makeDirs(tmp.path() + "/f");
	REQUIRE_FALSE(onFile.ok());
	CHECK(onFile.error().errnum == ENOTDIR);
}

TEST_CASE("publishFile moves streamed output or creates an empty file", "[evidence][writer]")
{
	TempDir tmp;
	std::string from = tmp.path() + "/.stdout.txt.partial";
	std::string to = tmp.path() + "/stdout.txt";
	writeText(from, "streamed");
	REQUIRE(publishFile(from, to).ok());
	CHECK(readFile(to) == "streamed");
	CHECK_FALSE(fs::exists(from));

	REQUIRE(publishFile(from, tmp.path() + "/stderr.txt").ok());
	CHECK(readFile(tmp.path() + "/stderr.txt").empty());
	CHECK(listDir(tmp.path()) == std::set<std::string>{ "stdout.txt", "stderr.txt" });

	// Nothing streamed, but the caller wrote the final file itself: it is kept.
	REQUIRE(publishFile(from, to).ok());
	CHECK(readFile(to) == "streamed");

	// A `from` that exists but cannot be opened is an error, not an empty log.
	std::string unreadable = tmp.path() + "/missing-dir/.partial";
	writeText(tmp.path() + "/missing-dir", "a file, not a dir");
	auto bad = publishFile(unreadable, tmp.path() + "/x.txt");
	REQUIRE_FALSE(bad.ok());
	CHECK(bad.error().errnum == ENOTDIR);
	CHECK_FALSE(fs::exists(tmp.path() + "/x.txt"));
}
