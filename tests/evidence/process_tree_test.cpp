// The picture of a failing step's process tree (evidence/process_tree.h) and its Mermaid
// text (evidence/mermaid.h): which processes are drawn, what is counted, how hostile argv
// is escaped, and that neither pids nor spawn order change a byte.

#include <catch2/catch.hpp>

#include <algorithm>
#include <map>
#include <random>
#include <regex>

#include "evidence/mermaid.h"
#include "evidence/process_tree.h"
#include "evidence_fixtures.h"
#include "schema_check.h"

using namespace hg;
using namespace hg::test;

namespace {

ProcessTreeSummary summaryOf(const StepEvidence &step)
{
	return summarizeProcessTree(step.processes, step.aggregates);
}

// The same tree as another run would record it: processes listed in another order and
// created in another order (any order a parent-before-child scheduler allows).
void reorder(StepEvidence &step, unsigned seed)
{
	std::mt19937 rng(seed);
	std::shuffle(step.processes.begin(), step.processes.end(), rng);
	std::map<pid_t, bool> created{ { 0, true } };
	std::vector<ProcessRecord *> waiting;
	for (ProcessRecord &p : step.processes)
		waiting.push_back(&p);
	for (uint64_t seq = 0; !waiting.empty(); seq++) {
		std::vector<size_t> ready;
		for (size_t i = 0; i < waiting.size(); i++)
			if (created.count(waiting[i]->ppid))
				ready.push_back(i);
		REQUIRE_FALSE(ready.empty());
		size_t pick = ready[std::uniform_int_distribution<size_t>(0, ready.size() - 1)(rng)];
		waiting[pick]->spawnSeq = seq;
		created[waiting[pick]->pid] = true;
		waiting.erase(waiting.begin() + static_cast<std::ptrdiff_t>(pick));
	}
}

StepEvidence wideStep(int workers)
{
	StepEvidence step;
	step.id = "wide";
	step.command = { "xargs", "-P8", "fetch" };
	step.processes.push_back(process(10, 0, 0, { "xargs", "-P8", "fetch" }));
	std::vector<NetRecord> records;
	for (int i = 0; i < workers; i++) {
		pid_t pid = 100 + i;
		char name[8];
		std::snprintf(name, sizeof(name), "w%02d", i);
		step.processes.push_back(process(pid, 10, 1 + static_cast<uint64_t>(i), { "fetch", name }));
		records.push_back(connectRecord(static_cast<uint64_t>(i), pid, "/usr/bin/fetch", inet4(203, 0, 113, 1, 443),
						Decision::Audited));
	}
	step.aggregates = aggregate(records);
	return step;
}

} // namespace

TEST_CASE("the tree draws the violating processes and their ancestors, the rest counted", "[evidence][tree]")
{
	ProcessTreeSummary tree = summaryOf(treeStep());
	CHECK(tree.pathProcesses == 6);
	REQUIRE(tree.nodes.size() == 6);
	const auto &n = tree.nodes;

	CHECK(n[0].parent == -1);
	CHECK(n[0].exe == "make");
	CHECK(n[0].command == "make -j2");
	CHECK_FALSE(n[0].violating);
	CHECK(n[0].others == 40); // the compilers
	CHECK(n[0].othersViolating == 0);

	// Siblings by executable: helper before sh, each subtree depth first.
	CHECK(n[1].exe == "helper");
	CHECK(n[1].parent == 0);
	CHECK(n[1].violating);
	CHECK(n[1].destinations == std::vector<TreeDestination>{ { Direction::Outbound, "[2001:db8::1]:443", "" } });
	CHECK(n[2].exe == "helper");
	CHECK(n[2].parent == 1);
	CHECK(n[3].exe == "sh");
	CHECK(n[3].parent == 0);
	CHECK_FALSE(n[3].violating);
	CHECK(n[4].parent == 3);
	CHECK(n[4].command == "sh -c 'netprobe tcp4 203.0.113.1 443'");
	CHECK(n[5].exe == "netprobe");
	CHECK(n[5].parent == 4);
	CHECK(n[5].destinations == std::vector<TreeDestination>{ { Direction::Outbound, "203.0.113.1:443", "example.test" },
								   { Direction::Outbound, "203.0.113.7:80", "" } });
	CHECK(n[5].others == 0);
}

TEST_CASE("the tree is the same whatever the pids, listing order and spawn order", "[evidence][tree]")
{
	StepEvidence a = treeStep();
	ProcessTreeSummary expected = summaryOf(a);
	std::string diagram = processTreeMermaid(expected);
	for (unsigned seed = 1; seed <= 20; seed++) {
		StepEvidence b = treeStep(static_cast<pid_t>(1000 * seed));
		reorder(b, seed);
		INFO("seed " << seed);
		CHECK(summaryOf(b) == expected);
		CHECK(processTreeMermaid(summaryOf(b)) == diagram);
	}
	// Identical siblings with different subtrees: ordered by what is below them.
	StepEvidence twins = treeStep();
	twins.processes.push_back(process(900, 400, 90, { "helper", "y" }));
	twins.processes.push_back(process(901, 900, 91, { "curl", "z" }));
	twins.processes.push_back(process(902, 400, 92, { "helper", "y" }));
	twins.processes.push_back(process(903, 902, 93, { "wget", "z" }));
	for (pid_t pid : { 901, 903 })
		twins.aggregates.add(connectRecord(9, pid, "/usr/bin/x", inet4(203, 0, 113, 2, 443), Decision::Audited));
	ProcessTreeSummary first = summaryOf(twins);
	std::reverse(twins.processes.begin(), twins.processes.end());
	std::swap(twins.processes[0].spawnSeq, twins.processes[2].spawnSeq); // 903 before 901
	std::swap(twins.processes[1].spawnSeq, twins.processes[3].spawnSeq); // 902 before 900
	CHECK(summaryOf(twins) == first);
}

TEST_CASE("a reused pid names its latest process, a parent the one alive at the fork", "[evidence][tree]")
{
	StepEvidence step;
	step.processes = { process(1, 0, 0, { "sh" }), process(7, 1, 1, { "early" }), process(7, 1, 5, { "late" }),
			   process(8, 7, 6, { "child" }), process(9, 7, 2, { "child-of-early" }) };
	step.aggregates = aggregate({ connectRecord(0, 8, "/usr/bin/child", inet4(203, 0, 113, 1, 443), Decision::Audited) });
	ProcessTreeSummary tree = summaryOf(step);
	REQUIRE(tree.nodes.size() == 3);
	CHECK(tree.nodes[1].exe == "late");
	CHECK(tree.nodes[1].others == 0);
	CHECK(tree.nodes[0].others == 2); // early and its child
	CHECK(tree.nodes[2].exe == "child");
	CHECK(tree.nodes[2].violating);
}

TEST_CASE("a wide tree is cut at the cap and says what it cut", "[evidence][tree]")
{
	ProcessTreeSummary tree = summaryOf(wideStep(80));
	CHECK(tree.pathProcesses == 81);
	REQUIRE(tree.nodes.size() == kMaxTreeNodes);
	CHECK(tree.nodes[1].command == "fetch w00");
	CHECK(tree.nodes.back().command == "fetch w48");
	CHECK(tree.nodes[0].others == 31);
	CHECK(tree.nodes[0].othersViolating == 31);
	std::string diagram = processTreeMermaid(tree);
	CHECK(diagram.find("n0o([\"+ 31 other processes<br/>#40;31 with violations, not drawn#41;\"]):::others\n") !=
	      std::string::npos);

	RunEvidence run;
	run.sha = "x";
	run.steps = { wideStep(80) };
	CHECK(reportMd(run).find("Only the first 50 of the 81 processes on a path to a violation are drawn") !=
	      std::string::npos);
	CHECK(otherProcessesText(1) == "+ 1 other process");
	CHECK(otherProcessesText(1234) == "+ 1,234 other processes");
	CHECK(otherProcessesText(1234567) == "+ 1,234,567 other processes");
}

TEST_CASE("many destinations of one process are counted past the first ones", "[evidence][tree]")
{
	StepEvidence step = wideStep(1);
	for (uint16_t port = 1; port <= 5; port++)
		step.aggregates.add(connectRecord(port, 100, "/usr/bin/fetch", inet4(198, 51, 100, 1, port), Decision::Audited));
	ProcessTreeSummary tree = summaryOf(step);
	REQUIRE(tree.nodes.size() == 2);
	CHECK(tree.nodes[1].destinations.size() == kMaxNodeDestinations);
	CHECK(tree.nodes[1].moreDestinations == 3);
	CHECK(processTreeMermaid(tree).find("<br/>and 3 more destinations\"]:::violation") != std::string::npos);
}

TEST_CASE("labels escape everything Mermaid and Markdown read as syntax", "[evidence][tree]")
{
	CHECK(mermaidLabelText("cc -O2 a.c") == "cc -O2 a.c");
	CHECK(mermaidLabelText("\"]") == "#34;#93;");
	CHECK(mermaidLabelText("<b>#quot;;") == "#60;b#62;#35;quot#59;#59;");
	CHECK(mermaidLabelText("```") == "#96;#96;#96;");
	CHECK(mermaidLabelText("a\nb\tc\x01\x7f") == "a#9226;b#9225;c#9217;#9249;");
	CHECK(mermaidLabelText("printf 'a\\nb'") == "printf #39;a#92;#8288;nb#39;");
	CHECK(mermaidLabelText("caf\xc3\xa9 \xf0\x9f\x98\x80") == "caf#233; #128512;");
	CHECK(mermaidLabelText("\xff") == "#92;#8288;xff");
	CHECK(mermaidLabelText("%%{init: {}}%%") == "#37;#37;#123;init: #123;#125;#125;#37;#37;");

	// Whatever the argv, a label is letters, digits, ".,_/:=+-@ " and entity codes.
	std::string diagram = processTreeMermaid(summaryOf(treeStep()));
	std::regex label("\\[\"([^\"]*)\"\\]");
	int labels = 0;
	for (auto it = std::sregex_iterator(diagram.begin(), diagram.end(), label); it != std::sregex_iterator(); ++it) {
		std::string text = std::regex_replace((*it)[1].str(), std::regex("#[0-9]+;|<br/>"), "");
		INFO(text);
		CHECK(text.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 .,_/:=+-@") ==
		      std::string::npos);
		labels++;
	}
	CHECK(labels == 7); // six processes and one count
	CHECK(diagram.find("```") == std::string::npos);
}

TEST_CASE("the Mermaid text of a small tree", "[evidence][tree]")
{
	StepEvidence step;
	step.processes = { process(1, 0, 0, { "sh", "-c", "curl x" }), process(2, 1, 1, { "curl", "x" }),
			   process(3, 1, 2, { "true" }), process(4, 3, 3, { "true" }) };
	NetRecord rec = connectRecord(0, 2, "/usr/bin/curl", inet4(203, 0, 113, 1, 443), Decision::Audited);
	rec.name = "example.test";
	step.aggregates = aggregate({ rec });
	CHECK(processTreeMermaid(summaryOf(step)) ==
	      "flowchart TD\n"
	      "  classDef violation fill:#fde2e2,stroke:#c62828,stroke-width:2px\n"
	      "  classDef others fill:#f5f5f5,stroke:#9e9e9e,stroke-dasharray:4 3\n"
	      "  n0[\"sh<br/>sh -c #39;curl x#39;\"]\n"
	      "  n0o([\"+ 2 other processes\"]):::others\n"
	      "  n0 -.-> n0o\n"
	      "  n1[\"curl<br/>curl x<br/>outbound 203.0.113.1:443 #40;example.test#41;\"]:::violation\n"
	      "  n0 --> n1\n");
}

TEST_CASE("report.json carries the tree of violation steps only, and report.md draws it", "[evidence][tree][schema]")
{
	RunEvidence run = sampleRun();
	run.steps.push_back(treeStep());
	std::string json = reportJson(run);
	CHECK(schemaErrors("report.schema.json", json) == "");
	rapidjson::Document doc;
	doc.Parse(json.c_str());
	CHECK(doc["steps"][0]["process_tree"].IsNull()); // build passed
	CHECK(doc["steps"][2]["process_tree"].IsNull()); // deploy never started
	const rapidjson::Value &tree = doc["steps"][3]["process_tree"];
	REQUIRE(tree.IsObject());
	CHECK(tree["path_processes"].GetUint64() == 6);
	CHECK(tree["nodes"].Size() == 6);
	CHECK(tree["nodes"][0]["parent"].IsNull());
	CHECK(tree["nodes"][5]["parent"].GetInt() == 4);
	CHECK(std::string(tree["nodes"][5]["destinations"][0]["name"].GetString()) == "example.test");

	std::string md = reportMd(run);
	CHECK(md.find("\n### tree: process tree\n") != std::string::npos);
	CHECK(md.find("\n```mermaid\n" + processTreeMermaid(summaryOf(treeStep())) + "```\n") != std::string::npos);
	CHECK(md.find("\n### fetch: process tree\n") != std::string::npos);
	CHECK(md.find("\n### build: process tree\n") == std::string::npos);
}
