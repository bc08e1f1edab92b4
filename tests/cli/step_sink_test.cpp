// StepSink: every record goes to strace.txt as it completes and into the aggregates;
// nothing else is kept.

#include <catch2/catch.hpp>

#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "../evidence/evidence_fixtures.h"
#include "cli/step_sink.h"
#include "evidence/strace_log.h"

using namespace hg;
using namespace hg::test;
namespace fs = std::filesystem;

namespace {

std::string slurp(const std::string &path)
{
	std::ifstream in(path);
	std::stringstream ss;
	ss << in.rdbuf();
	return ss.str();
}

} // namespace

TEST_CASE("StepSink streams one strace.txt line per record and aggregates the rest", "[cli][sink]")
{
	std::string tmpl = "/tmp/hg-sink-test.XXXXXX";
	REQUIRE(mkdtemp(tmpl.data()) != nullptr);
	const std::string dir = tmpl;
	const std::string partial = dir + "/.strace.txt.partial", final = dir + "/strace.txt";

	// Completion order is not call order: seq runs backwards here.
	std::vector<NetRecord> records;
	const uint64_t n = 5000;
	for (uint64_t i = 0; i < n; i++) {
		Decision d = i % 4 == 0 ? Decision::Logged : i % 4 == 1 ? Decision::Allowed : Decision::Audited;
		records.push_back(connectRecord(n - i, static_cast<pid_t>(300 + i % 7), "/usr/bin/x",
						inet4(203, 0, 113, 1, static_cast<uint16_t>(1 + i % 2)), d,
						d == Decision::Allowed ? 0 : -1));
	}
	records.push_back(listenRecord(0, 300, "/usr/bin/x", inet4(127, 0, 0, 1, 8080), Decision::Denied));

	StraceStream strace;
	REQUIRE(strace.open(partial, final, Durability::AtomicOnly).ok());
	StepSink sink("unit", true, strace);
	for (const NetRecord &r : records)
		sink.onRecord(r);
	CHECK_FALSE(fs::exists(final));
	REQUIRE(strace.publish().ok());
	CHECK_FALSE(fs::exists(partial));

	std::string expected;
	for (const NetRecord &r : records)
		expected += straceLine(r) + "\n";
	CHECK(slurp(final) == expected);

	CHECK(sink.logged == n / 4);
	CHECK(sink.allowed == n / 4);
	CHECK(sink.audited == n / 2);
	CHECK(sink.denied == 1);
	StepAggregates want = aggregate(records);
	CHECK(sink.aggregates.violations.size() == want.violations.size());
	CHECK(sink.aggregates.violations.size() == 3); // port 1, port 2, the listen
	CHECK(sink.aggregates.violations.begin()->second.count == n / 4);
	CHECK(sink.aggregates.violations.begin()->second.pids.size() == 7);
	CHECK(sink.aggregates.exceptionHits.at(0).hits == n / 4);
	CHECK(sink.aggregates.listens.size() == 1);
	fs::remove_all(dir);
}
