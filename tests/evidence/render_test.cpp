// Renderers: report.json / process_tree.json against the schemas, determinism,
// report.md and its policy snippets, ss_listen.txt, ss_established.txt.

#include <catch2/catch.hpp>

#include <errno.h>
#include <signal.h>
#include <sys/socket.h>

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "evidence/report_json.h"
#include "evidence/report_md.h"
#include "evidence/step_log.h"
#include "evidence/strace_log.h"
#include "evidence/text.h"
#include "evidence_fixtures.h"
#include "policy/loader.h"
#include "schema_check.h"

using namespace hg;
using namespace hg::test;

namespace {

rapidjson::Document parse(const std::string &json)
{
	rapidjson::Document doc;
	doc.Parse(json.c_str());
	REQUIRE_FALSE(doc.HasParseError());
	return doc;
}

std::string serialize(const rapidjson::Document &doc)
{
	rapidjson::StringBuffer buf;
	rapidjson::Writer<rapidjson::StringBuffer> w(buf);
	doc.Accept(w);
	return buf.GetString();
}

ViolationGroup outbound(const std::string &address, std::optional<uint16_t> port)
{
	ViolationGroup g;
	g.kind = Direction::Outbound;
	g.syscall = "connect";
	g.address = address;
	g.port = port;
	return g;
}

} // namespace

TEST_CASE("report.json of the sample run validates and says what happened", "[evidence][schema]")
{
	std::string json = reportJson(sampleRun());
	CHECK(schemaErrors("report.schema.json", json) == "");
	CHECK(json.back() == '\n');
	CHECK(json.find("\n  \"tool\": {\n    \"name\": \"hermetic-gate\"") != std::string::npos);

	auto doc = parse(json);
	CHECK(std::string(doc["result"].GetString()) == "violation");
	CHECK(doc["incomplete_reason"].IsNull());
	const auto &steps = doc["steps"];
	REQUIRE(steps.Size() == 3);

	const auto &build = steps[0];
	CHECK(std::string(build["result"].GetString()) == "pass");
	CHECK(build["exit_code"].GetInt() == 0);
	CHECK(build["env_removed"].Size() == 2);
	CHECK(std::string(build["env_removed"][0].GetString()) == "HTTP_PROXY"); // sorted
	CHECK(build["exceptions_used"][0]["hits"].GetInt() == 2);
	CHECK(std::string(build["exceptions_unused"][0]["spec"].GetString()) == "198.51.100.7");

	const auto &fetch = steps[1];
	CHECK(std::string(fetch["result"].GetString()) == "violation");
	REQUIRE(fetch["violations"].Size() == 3);
	const auto &v = fetch["violations"][0];
	CHECK(std::string(v["kind"].GetString()) == "outbound");
	CHECK(std::string(v["address"].GetString()) == "203.0.113.1");
	CHECK(v["port"].GetInt() == 443);
	CHECK(std::string(v["decision"].GetString()) == "audited");
	CHECK(v["count"].GetInt() == 2);
	CHECK(v["processes"].Size() == 2);

	const auto &deploy = steps[2];
	CHECK(std::string(deploy["result"].GetString()) == "error");
	CHECK(deploy["exit_code"].IsNull());
	CHECK(std::string(deploy["error"].GetString()).find("execve") == 0);

	// Stale: 198.51.100.7 was in force everywhere and never used.
	REQUIRE(doc["stale_exceptions"].Size() == 1);
	CHECK(std::string(doc["stale_exceptions"][0]["spec"].GetString()) == "198.51.100.7");
}

TEST_CASE("report.json keys come in the documented order", "[evidence]")
{
	std::string json = reportJson(sampleRun());
	size_t last = 0;
	for (const char *key : { "\"schema_version\"", "\"tool\"", "\"sha\"", "\"policy\"", "\"detector\"",
				 "\"kernel_release\"", "\"mode\"", "\"result\"", "\"complete\"",
				 "\"incomplete_reason\"", "\"enforcement_health\"", "\"steps\"",
				 "\"stale_exceptions\"" }) {
		size_t at = json.find(std::string("\n  ") + key);
		INFO(key);
		REQUIRE(at != std::string::npos);
		CHECK(at > last);
		last = at;
	}
}

TEST_CASE("report.json has no pids, durations or log-only data", "[evidence]")
{
	RunEvidence run = reshuffled();
	std::string json = reportJson(run);
	for (const char *absent : { "424242", "5201", "pid", "duration", "0x7ffc", "ms\"" })
		CHECK(json.find(absent) == std::string::npos);
}

TEST_CASE("reports are byte-identical for runs that behave the same", "[evidence]")
{
	RunEvidence a = sampleRun();
	RunEvidence b = reshuffled();
	CHECK(reportJson(a) == reportJson(a));
	CHECK(reportJson(a) == reportJson(b));
	CHECK(reportMd(a) == reportMd(b));

	// ... and differ when the behaviour differs.
	SampleRecords fewer = sampleRecords();
	fewer[1].pop_back();
	fewer[1].pop_back();
	RunEvidence c = sampleRun(fewer);
	CHECK(reportJson(a) != reportJson(c));
	CHECK(reportMd(a) != reportMd(c));

	// The logs, unlike the reports, carry the pids.
	CHECK(renderProcessTreeJson(a.steps[1]) != renderProcessTreeJson(b.steps[1]));
}

TEST_CASE("edge-case runs render valid report.json", "[evidence][schema]")
{
	RunEvidence empty;
	empty.sha = "abc";
	empty.kernelRelease = "6.1.0";
	std::string emptyJson = reportJson(empty);
	CHECK(schemaErrors("report.schema.json", emptyJson) == "");
	auto emptyDoc = parse(emptyJson);
	CHECK(emptyDoc["policy"]["path"].IsNull());
	CHECK(emptyDoc["policy"]["sha256"].IsNull());
	CHECK(std::string(emptyDoc["result"].GetString()) == "pass");

	SampleRecords denied = sampleRecords();
	denied[1][0].decision = Decision::Denied;
	RunEvidence interrupted = sampleRun(denied);
	interrupted.mode = "enforce";
	interrupted.complete = false;
	interrupted.incompleteReason = "received SIGTERM during step 'fetch'";
	interrupted.steps[0].signal = SIGTERM;
	interrupted.steps[0].exitCode = -1;
	interrupted.steps[0].timedOut = true;
	std::string json = reportJson(interrupted);
	CHECK(schemaErrors("report.schema.json", json) == "");
	auto doc = parse(json);
	CHECK_FALSE(doc["complete"].GetBool());
	CHECK(std::string(doc["incomplete_reason"].GetString()) == "received SIGTERM during step 'fetch'");
	CHECK(std::string(doc["steps"][0]["signal"].GetString()) == "SIGTERM");
	CHECK(doc["steps"][0]["exit_code"].IsNull());
	CHECK(doc["steps"][0]["timed_out"].GetBool());
	CHECK(std::string(doc["steps"][0]["result"].GetString()) == "failed");

	RunEvidence noReason = interrupted;
	noReason.incompleteReason.clear();
	CHECK(schemaErrors("report.schema.json", reportJson(noReason)) == "");
}

TEST_CASE("invalid UTF-8 from a tracee still gives valid JSON", "[evidence][schema]")
{
	CHECK(validUtf8("plain") == "plain");
	CHECK(validUtf8("caf\xc3\xa9") == "caf\xc3\xa9");
	CHECK(validUtf8("a\xff" "b") == "a\\xffb");
	CHECK(validUtf8("\xc3") == "\\xc3");             // truncated sequence
	CHECK(validUtf8("\xc0\xaf") == "\\xc0\\xaf");    // overlong '/'
	CHECK(validUtf8("\xed\xa0\x80") == "\\xed\\xa0\\x80"); // surrogate

	SampleRecords records = sampleRecords();
	records[1][0].exe = "/tmp/\xff\xfe";
	RunEvidence run = sampleRun(records);
	run.steps[1].processes[1].argv.push_back("\x80\n\"quoted\"");
	std::string json = reportJson(run);
	CHECK(schemaErrors("report.schema.json", json) == "");
	CHECK(json.find("/tmp/\\\\xff\\\\xfe") != std::string::npos);
	CHECK(schemaErrors("process_tree.schema.json", renderProcessTreeJson(run.steps[1])) == "");
}

TEST_CASE("process_tree.json lists every process in spawn order", "[evidence][schema]")
{
	RunEvidence run = reshuffled(); // processes stored in reverse
	StepEvidence &step = run.steps[1];
	step.processes[0].exited = false;
	step.processes[0].exitCode = -1;
	step.processes[0].termSignal = SIGKILL;
	step.processes[0].killedByGate = true;

	std::string json = renderProcessTreeJson(step);
	CHECK(schemaErrors("process_tree.schema.json", json) == "");
	auto doc = parse(json);
	CHECK(std::string(doc["step"].GetString()) == "fetch");
	CHECK(doc["root_pid"].GetInt() == 5200);
	CHECK(doc["duration_ms"].GetInt() == 99 + 777);
	const auto &procs = doc["processes"];
	REQUIRE(procs.Size() == 4);
	for (rapidjson::SizeType i = 0; i < procs.Size(); i++)
		CHECK(procs[i]["spawn_seq"].GetUint64() == i);
	CHECK(procs[0]["ppid"].GetInt() == 0);
	CHECK(procs[1]["ppid"].GetInt() == 5200);
	CHECK(std::string(procs[1]["argv"][0].GetString()) == "curl");
	CHECK(std::string(procs[1]["executable"].GetString()) == "/usr/bin/curl");
	CHECK(procs[1]["exit_code"].GetInt() == 0);
	CHECK(procs[1]["signal"].IsNull());
	// python3 (spawn 3) was the first stored record: killed by the gate.
	CHECK(std::string(procs[3]["signal"].GetString()) == "SIGKILL");
	CHECK(procs[3]["exit_code"].IsNull());
	CHECK(procs[3]["killed_by_gate"].GetBool());

	StepEvidence empty;
	empty.id = "noop";
	CHECK(schemaErrors("process_tree.schema.json", renderProcessTreeJson(empty)) == "");
}

TEST_CASE("the schemas reject broken documents", "[evidence][schema]")
{
	const std::string good = reportJson(sampleRun());
	REQUIRE(schemaErrors("report.schema.json", good) == "");

	auto mutated = [&](auto &&mutate) {
		rapidjson::Document doc = parse(good);
		mutate(doc);
		return serialize(doc);
	};
	CHECK_THAT(schemaErrors("report.schema.json", mutated([](rapidjson::Document &d) { d.RemoveMember("sha"); })),
		   Catch::Contains("required"));
	CHECK_THAT(schemaErrors("report.schema.json", mutated([](rapidjson::Document &d) {
			   d.AddMember("started_at", "2024-01-01T00:00:00Z", d.GetAllocator());
		   })),
		   Catch::Contains("additionalProperties"));
	CHECK_THAT(schemaErrors("report.schema.json",
				mutated([](rapidjson::Document &d) { d["steps"][1]["result"].SetString("ok"); })),
		   Catch::Contains("enum"));
	CHECK_THAT(schemaErrors("report.schema.json",
				mutated([](rapidjson::Document &d) { d["steps"][1]["violations"][0]["port"].SetInt(70000); })),
		   Catch::Contains("maximum"));
	CHECK_THAT(schemaErrors("report.schema.json", mutated([](rapidjson::Document &d) {
			   d["steps"][0].AddMember("pid", 42, d.GetAllocator());
		   })),
		   Catch::Contains("additionalProperties"));
	CHECK_THAT(schemaErrors("report.schema.json",
				mutated([](rapidjson::Document &d) { d["policy"]["sha256"].SetString("not-hex"); })),
		   Catch::Contains("pattern"));
	CHECK_THAT(schemaErrors("report.schema.json", good.substr(0, good.size() / 2)), Catch::Contains("not JSON"));

	std::string tree = renderProcessTreeJson(sampleRun().steps[1]);
	REQUIRE(schemaErrors("process_tree.schema.json", tree) == "");
	rapidjson::Document treeDoc = parse(tree);
	treeDoc["processes"][0].RemoveMember("argv");
	CHECK_THAT(schemaErrors("process_tree.schema.json", serialize(treeDoc)), Catch::Contains("required"));
}

TEST_CASE("render fails instead of writing a wrong report", "[evidence]")
{
	SampleRecords records = sampleRecords();
	records[0][0].exception = 5;
	RunEvidence run = sampleRun(records);
	CHECK_FALSE(renderReportJson(run).ok());
	CHECK_FALSE(renderReportMd(run).ok());
}

TEST_CASE("report.md summarises steps and violations", "[evidence]")
{
	std::string md = reportMd(sampleRun());
	CHECK(md.rfind("# hermetic-gate report: violation\n", 0) == 0);
	CHECK(md.find("| Step | Command | Result | Exit | Violations |\n") != std::string::npos);
	CHECK(md.find("| `build` | `make -j4` | pass | 0 | 0 |\n") != std::string::npos);
	CHECK(md.find("| `fetch` | `/bin/sh -c 'curl -s https://example.test \\| tar x'` | violation | 0 | 4 |\n") !=
	      std::string::npos);
	CHECK(md.find("| `deploy` | `./deploy.sh` | error | not started | 0 |\n") != std::string::npos);
	CHECK(md.find("### fetch: outbound connect to `203.0.113.1:443`\n") != std::string::npos);
	CHECK(md.find("- audited, 2 calls, tcp over AF_INET\n") != std::string::npos);
	CHECK(md.find("- Executable: `/usr/bin/curl`\n") != std::string::npos);
	CHECK(md.find("- Process: `curl -s https://mirror.test`\n") != std::string::npos);
	CHECK(md.find("### fetch: outbound connect to `[2001:db8::1]:443`\n") != std::string::npos);
	CHECK(md.find("```yaml\nallow:\n  outbound_hosts:\n    - host: \"203.0.113.1:443\"\n") != std::string::npos);
	CHECK(md.find("io_uring missing (io_uring_disabled=2)") != std::string::npos);
	CHECK(md.find("ptrace ok") == std::string::npos); // only problems are listed
	CHECK(md.find("## Unused exceptions") != std::string::npos);
	CHECK(md.find("- `198.51.100.7` from `policy.yml:7:9`") == std::string::npos);
	CHECK(md.find("- `198.51.100.7` from `policy.yml:11:9`\n") != std::string::npos);
	std::string otherMd = reportMd(reshuffled());
	for (const char *absent : { "5201", "424242", "pid", "duration" })
		CHECK(otherMd.find(absent) == std::string::npos);

	RunEvidence clean = sampleRun();
	clean.steps.resize(1);
	clean.complete = false;
	clean.incompleteReason = "supervisor died";
	std::string cleanMd = reportMd(clean);
	CHECK(cleanMd.find("No violations.") != std::string::npos);
	CHECK(cleanMd.find("**Incomplete run:** supervisor died.") != std::string::npos);
	CHECK(cleanMd.rfind("# hermetic-gate report: error\n", 0) == 0);
}

TEST_CASE("report.md code spans survive backticks and pipes", "[evidence]")
{
	RunEvidence run = sampleRun();
	run.steps.resize(1);
	run.steps[0].command = { "sh", "-c", "echo `id` | wc" };
	std::string md = reportMd(run);
	CHECK(md.find("| `` sh -c 'echo `id` \\| wc' `` |") != std::string::npos);
}

namespace {

// The policy the snippet is pasted into, loaded by the real policy loader; returns its
// global exceptions.
std::vector<Exception> loadWithSnippet(const std::string &snippet)
{
	std::string policy = "version: 1\n" + snippet +
			     "hermetic_steps:\n"
			     "  - id: unit\n"
			     "    run: make test\n";
	auto loaded = loadPolicyFromString(policy, "pasted.yml", "2024-01-01");
	INFO(policy);
	REQUIRE(loaded.ok());
	return loaded->allow;
}

// g's snippet, which must start with `start`, loaded: its one exception.
Exception loadedSnippet(const ViolationGroup &g, const std::string &start)
{
	std::string snippet = exceptionSnippet(g);
	CHECK(snippet.rfind(start, 0) == 0);
	auto loaded = loadWithSnippet(snippet);
	REQUIRE(loaded.size() == 1);
	return loaded[0];
}

} // namespace

TEST_CASE("policy snippets load in a policy file and allow exactly the violation", "[evidence]")
{
	std::string v4 = exceptionSnippet(outbound("203.0.113.1", 443));
	CHECK(v4 == "allow:\n"
		    "  outbound_hosts:\n"
		    "    - host: \"203.0.113.1:443\"\n"
		    "      # reason: \"why this step needs it\"\n"
		    "      # owner: \"@team-or-person\"\n"
		    "      # expires: YYYY-MM-DD\n");
	auto v4Allow = loadWithSnippet(v4);
	REQUIRE(v4Allow.size() == 1);
	CHECK(v4Allow[0].spec == "203.0.113.1:443");
	CHECK(v4Allow[0].source == "pasted.yml:4:7");
	CHECK(v4Allow[0].matches(inet4(203, 0, 113, 1, 443)));
	CHECK_FALSE(v4Allow[0].matches(inet4(203, 0, 113, 1, 80)));

	auto v6Allow = loadWithSnippet(exceptionSnippet(outbound("2001:db8::1", 443)));
	REQUIRE(v6Allow.size() == 1);
	CHECK(v6Allow[0].spec == "[2001:db8::1]:443");
	CHECK(v6Allow[0].matches(inet6(1, 443)));
	CHECK_FALSE(v6Allow[0].matches(inet6(2, 443)));

	auto anyPort = loadWithSnippet(exceptionSnippet(outbound("192.0.2.5", 0)));
	REQUIRE(anyPort.size() == 1);
	CHECK(anyPort[0].spec == "192.0.2.5");
	CHECK(anyPort[0].matches(inet4(192, 0, 2, 5, 0)));

	// Uncommenting the placeholders (with a real date) still gives a valid policy.
	std::string filled = v4;
	for (std::string::size_type at; (at = filled.find("# ")) != std::string::npos;)
		filled.erase(at, 2);
	filled.replace(filled.find("YYYY-MM-DD"), 10, "2030-01-31");
	auto filledAllow = loadWithSnippet(filled);
	REQUIRE(filledAllow.size() == 1);
	CHECK(filledAllow[0].owner == "@team-or-person");
	CHECK(filledAllow[0].expires == "2030-01-31");

	// A listener gets an inbound exception for its local address, with the port it asked
	// for; a kernel-chosen port (shown as 0) is never written: the address alone, for the
	// listener and for the self connections that reach it.
	auto inboundSnippetAllows = [](const ViolationGroup &g, const std::string &spec, const Endpoint &local) {
		Exception e = loadedSnippet(g, "allow:\n  inbound:\n    - host: \"" + spec + "\"\n");
		CHECK(e.scope == ExceptionScope::Inbound);
		CHECK(e.matches(local));
	};
	ViolationGroup in = outbound("0.0.0.0", 8000);
	in.kind = Direction::Inbound;
	in.syscall = "listen";
	inboundSnippetAllows(in, "0.0.0.0:8000", inet4(0, 0, 0, 0, 8000));
	ViolationGroup ephemeral = outbound("127.0.0.1", 0);
	ephemeral.kind = Direction::Self;
	ephemeral.syscall = "connect";
	inboundSnippetAllows(ephemeral, "127.0.0.1", inet4(127, 0, 0, 1, 0));
	CHECK(portChosenByKernel(ephemeral));
	CHECK_FALSE(portChosenByKernel(outbound("127.0.0.1", 0)));

	CHECK(exceptionSnippet(outbound("packet ifindex=2 proto=0x0800", std::nullopt)).empty());
	CHECK(exceptionSnippet(outbound("", std::nullopt)).empty());
	ViolationGroup evasion = outbound("203.0.113.1", 443);
	evasion.kind = Direction::Evasion;
	CHECK(exceptionSnippet(evasion).empty());

	std::string md = reportMd(sampleRun());
	CHECK(md.find("### fetch: inbound listen on `0.0.0.0:8000`\n") != std::string::npos);
	CHECK(md.find("The socket listens on every address of the machine") != std::string::npos);
	CHECK(md.find("```yaml\nallow:\n  inbound:\n    - host: \"0.0.0.0:8000\"\n") != std::string::npos);

	SampleRecords records = sampleRecords();
	NetRecord raw;
	raw.callName = "sendto";
	raw.exe = "/usr/bin/ping";
	raw.sock = SocketInfo{ true, AF_PACKET, SOCK_RAW, 0x0800 };
	raw.cls.direction = Direction::Outbound;
	raw.decision = Decision::Audited;
	records[0].push_back(raw);
	CHECK(reportMd(sampleRun(records)).find("No policy exception can allow this call") != std::string::npos);
}

TEST_CASE("ss_listen.txt uses ss -ltnup columns", "[evidence]")
{
	std::vector<Listener> listeners = {
		{ 42, "/usr/bin/python3", "tcp", "0.0.0.0:8000", "LISTEN" },
		{ 7, "/usr/sbin/dnsmasq", "udp", "[::]:53", "UNCONN" },
		{ 9, "/usr/bin/node", "tcp", "127.0.0.1:3000", "LISTEN" },
	};
	CHECK(renderSsListen(listeners) ==
	      "Netid  State   Local Address:Port  Peer Address:Port  Process\n"
	      "tcp    LISTEN  0.0.0.0:8000        0.0.0.0:*          users:((\"python3\",pid=42))\n"
	      "tcp    LISTEN  127.0.0.1:3000      0.0.0.0:*          users:((\"node\",pid=9))\n"
	      "udp    UNCONN  [::]:53             [::]:*             users:((\"dnsmasq\",pid=7))\n");
	CHECK(renderSsListen({}) == "Netid  State  Local Address:Port  Peer Address:Port  Process\n");
}

TEST_CASE("renders ss_established.txt", "[evidence][ss]")
{
	CHECK(renderSsEstablished({}) == "Netid  State  Local Address:Port  Peer Address:Port  Process\n");
	auto table = parseProcNetTable(
		"  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
		"   0: 027100CB:9C40 017100CB:01BB 02 00000000:00000000 00:00000000 00000000     0        0 5 1\n"
		"   1: 0100007F:AFC8 0100007F:1F90 01 00000000:00000000 00:00000000 00000000     0        0 6 1\n",
		"tcp");
	REQUIRE(table.size() == 2);
	std::vector<OwnedSocket> seen = {{42, "/usr/bin/curl", table[0]}, {7, "/usr/bin/python3", table[1]}};
	CHECK(renderSsEstablished(seen) ==
	      "Netid  State     Local Address:Port  Peer Address:Port  Process\n"
	      "tcp    ESTAB     127.0.0.1:45000     127.0.0.1:8080     users:((\"python3\",pid=7))\n"
	      "tcp    SYN-SENT  203.0.113.2:40000   203.0.113.1:443    users:((\"curl\",pid=42))\n");
}

TEST_CASE("a step's own servers: kernel-chosen ports are shown as 0 and said so", "[evidence]")
{
	SampleRecords records = sampleRecords();
	records[1].clear();
	NetRecord listen = listenRecord(0, 203, "/usr/bin/python3", inet4(127, 0, 0, 1, 0), Decision::Audited);
	records[1].push_back(listen);
	for (uint16_t port : { 41000, 52000 }) {
		NetRecord self = connectRecord(port, 204, "/usr/bin/python3", inet4(127, 0, 0, 1, port), Decision::Audited);
		self.cls.direction = Direction::Self;
		self.listener = inet4(127, 0, 0, 1, 0);
		records[1].push_back(self);
	}
	RunEvidence run = sampleRun(records);
	Exception inbound = *parseInboundException("[::1]", "policy.yml:20:9");
	run.steps[1].exceptions.push_back(inbound);

	std::string json = reportJson(run);
	CHECK(schemaErrors("report.schema.json", json) == "");
	rapidjson::Document doc = parse(json);
	const auto &violations = doc["steps"][1]["violations"];
	REQUIRE(violations.Size() == 2);
	CHECK(std::string(violations[0]["kind"].GetString()) == "inbound");
	CHECK(std::string(violations[1]["kind"].GetString()) == "self");
	CHECK(violations[1]["count"].GetUint() == 2);
	for (const auto &v : violations.GetArray()) {
		CHECK(v["port"].GetUint() == 0);
		CHECK(v["port_chosen_by_kernel"].GetBool());
	}
	for (const char *ephemeral : { "41000", "52000" })
		CHECK(json.find(ephemeral) == std::string::npos);
	const auto &unused = doc["steps"][1]["exceptions_unused"];
	CHECK(std::string(unused[unused.Size() - 1]["direction"].GetString()) == "inbound");
	CHECK(std::string(unused[0]["direction"].GetString()) == "outbound");

	std::string md = reportMd(run);
	CHECK(md.find("### fetch: self connect to `127.0.0.1:0` (port chosen by the kernel)\n") != std::string::npos);
	CHECK(md.find("### fetch: inbound listen on `127.0.0.1:0` (port chosen by the kernel)\n") != std::string::npos);
	CHECK(md.find("The step connected to its own listener") != std::string::npos);
	// One snippet, in the listener's section: the self section points at it.
	size_t snippet = md.find("  inbound:\n    - host: \"127.0.0.1\"\n");
	CHECK(snippet != std::string::npos);
	CHECK(md.find("  inbound:\n    - host: \"127.0.0.1\"\n", snippet + 1) == std::string::npos);
	CHECK(md.find("allows the listener (above) allows these connections too") != std::string::npos);
	for (const char *ephemeral : { "41000", "52000" })
		CHECK(md.find(ephemeral) == std::string::npos);
}

namespace {

// A connect of the step's `docker` client to a daemon socket, as written (relative) and
// as the tracer resolved it.
NetRecord delegatedRecord(uint64_t seq, Decision decision, int exception = -1)
{
	NetRecord rec = connectRecord(seq, 205, "/usr/bin/docker", Endpoint{}, decision, exception);
	rec.sock = SocketInfo{ true, AF_UNIX, SOCK_STREAM, 0 };
	rec.addr.status = AddrStatus::Decoded;
	rec.addr.family = AF_UNIX;
	rec.addr.unixKind = UnixKind::Path;
	rec.addr.unixPath = "docker.sock";
	rec.daemonSocket = rec.addr;
	rec.daemonSocket.unixPath = "/run/docker.sock";
	rec.cls.direction = Direction::Delegated;
	rec.cls.why = "unix-stream connect to docker.sock: the socket of Docker";
	return rec;
}

} // namespace

TEST_CASE("a delegated call: kind delegated at the daemon's socket, and a snippet that allows it", "[evidence]")
{
	SampleRecords records = sampleRecords();
	records[1].clear();
	records[1].push_back(delegatedRecord(0, Decision::Audited));
	records[1].push_back(delegatedRecord(1, Decision::Audited));
	RunEvidence run = sampleRun(records);
	run.steps[1].exceptions.push_back(*parseDelegatedException("@/com/example/fetcher", "policy.yml:9:7"));

	std::string json = reportJson(run);
	CHECK(schemaErrors("report.schema.json", json) == "");
	rapidjson::Document doc = parse(json);
	const auto &violations = doc["steps"][1]["violations"];
	REQUIRE(violations.Size() == 1);
	const auto &v = violations[0];
	CHECK(std::string(v["kind"].GetString()) == "delegated");
	CHECK(std::string(v["address"].GetString()) == "/run/docker.sock");
	CHECK(std::string(v["family"].GetString()) == "AF_UNIX");
	CHECK(std::string(v["protocol"].GetString()) == "unix-stream");
	CHECK(v["port"].IsNull());
	CHECK_FALSE(v["port_chosen_by_kernel"].GetBool());
	CHECK(v["count"].GetUint() == 2);
	const auto &unused = doc["steps"][1]["exceptions_unused"];
	CHECK(std::string(unused[unused.Size() - 1]["direction"].GetString()) == "delegated");

	std::string md = reportMd(run);
	CHECK(md.find("### fetch: delegated connect to `/run/docker.sock`\n") != std::string::npos);
	CHECK(md.find("outside the traced tree") != std::string::npos);
	CHECK(md.find("```yaml\nallow:\n  delegated:\n    - socket: \"/run/docker.sock\"\n") != std::string::npos);

	// The snippet loads and allows exactly that socket; a path with quotes and backslashes
	// (shown escaped, as strace does) and an abstract name round-trip too.
	auto snippetAllows = [](const std::string &shown, const UnixTarget &target) {
		ViolationGroup g = outbound(shown, std::nullopt);
		g.kind = Direction::Delegated;
		Exception e = loadedSnippet(g, "allow:\n  delegated:\n    - socket: \"" + shown + "\"\n");
		CHECK(e.scope == ExceptionScope::Delegated);
		CHECK(e.matches(target));
		CHECK_FALSE(e.matches(UnixTarget{ false, "/run/other.sock", "/run/other.sock", std::nullopt }));
	};
	snippetAllows("/run/docker.sock", UnixTarget{ false, "/run/docker.sock", "/var/run/docker.sock", std::nullopt });
	Endpoint odd;
	odd.status = AddrStatus::Decoded;
	odd.family = AF_UNIX;
	odd.unixKind = UnixKind::Path;
	odd.unixPath = "/run/a \"b\"\\c.sock";
	snippetAllows(odd.address(), UnixTarget{ false, odd.unixPath, odd.unixPath, std::nullopt });
	snippetAllows("@/com/example/fetcher", UnixTarget{ true, "@/com/example/fetcher", "@/com/example/fetcher", std::nullopt });

	// Allowed: counted on the exception, which reports its direction.
	records[1].clear();
	records[1].push_back(delegatedRecord(0, Decision::Allowed, 0));
	RunEvidence allowed = sampleRun(records);
	allowed.steps[1].exceptions = { *parseDelegatedException("/run/docker.sock", "policy.yml:9:7") };
	rapidjson::Document ok = parse(reportJson(allowed));
	const auto &used = ok["steps"][1]["exceptions_used"];
	REQUIRE(used.Size() == 1);
	CHECK(std::string(used[0]["direction"].GetString()) == "delegated");
	CHECK(used[0]["hits"].GetUint() == 1);
}

TEST_CASE("unix sockets to processes outside the tree are listed by socket and executable", "[evidence][schema]")
{
	SampleRecords records = sampleRecords();
	records[1].clear();
	// A logged local connect whose other end was outside the tree, twice, and a delegated
	// one known by its daemon's executable: both listed, the delegated one by its resolved socket.
	NetRecord local = delegatedRecord(0, Decision::Logged);
	local.cls.direction = Direction::Local;
	local.daemonSocket = Endpoint{};
	local.addr.unixPath = "/run/example/helper.sock";
	local.peerPid = 4321;
	local.peerExe = "/usr/sbin/example-helper";
	records[1].push_back(local);
	local.seq = 1;
	records[1].push_back(local);
	NetRecord daemon = delegatedRecord(2, Decision::Audited);
	daemon.peerPid = 99;
	daemon.peerExe = "/usr/bin/dockerd";
	records[1].push_back(daemon);
	RunEvidence run = sampleRun(records);

	std::string json = reportJson(run);
	CHECK(schemaErrors("report.schema.json", json) == "");
	rapidjson::Document doc = parse(json);
	const auto &channels = doc["steps"][1]["outside_channels"];
	REQUIRE(channels.Size() == 2);
	CHECK(std::string(channels[0]["socket"].GetString()) == "/run/docker.sock");
	CHECK(std::string(channels[0]["peer_exe"].GetString()) == "/usr/bin/dockerd");
	CHECK(channels[0]["connects"].GetUint() == 1);
	CHECK(std::string(channels[1]["socket"].GetString()) == "/run/example/helper.sock");
	CHECK(channels[1]["connects"].GetUint() == 2);
	CHECK(doc["steps"][0]["outside_channels"].Size() == 0);

	std::string md = reportMd(run);
	CHECK(md.find("## Unix sockets to processes outside the tree") != std::string::npos);
	CHECK(md.find("| fetch | `/run/example/helper.sock` | `/usr/sbin/example-helper` | 2 |") != std::string::npos);
	CHECK(reportMd(sampleRun()).find("outside the tree\n") == std::string::npos);
}

TEST_CASE("a raw socket: kind raw at socket(), no snippet, and strace names the socket", "[evidence]")
{
	NetRecord raw = connectRecord(0, 207, "/usr/bin/tcpdump", Endpoint{}, Decision::Denied);
	raw.call = NetCall::Socket;
	raw.callName = "socket";
	raw.fd = -1;
	raw.sock = SocketInfo{ true, AF_PACKET, SOCK_RAW, 0x0300 };
	raw.addr = Endpoint{};
	raw.addr.status = AddrStatus::Absent;
	raw.cls = Classification{ Direction::Raw, true, "AF_PACKET socket for protocol 0x0003: it receives packets" };
	raw.resultKnown = true;
	raw.result = -EPERM;
	SampleRecords records = sampleRecords();
	records[1].clear();
	records[1].push_back(raw);
	RunEvidence run = sampleRun(records);

	std::string json = reportJson(run);
	CHECK(schemaErrors("report.schema.json", json) == "");
	rapidjson::Document doc = parse(json);
	const auto &violations = doc["steps"][1]["violations"];
	REQUIRE(violations.Size() == 1);
	CHECK(std::string(violations[0]["kind"].GetString()) == "raw");
	CHECK(std::string(violations[0]["syscall"].GetString()) == "socket");
	CHECK(std::string(violations[0]["family"].GetString()) == "AF_PACKET");
	CHECK(std::string(violations[0]["protocol"].GetString()) == "packet");
	CHECK(violations[0]["port"].IsNull());

	ViolationGroup g = outbound("", std::nullopt);
	g.kind = Direction::Raw;
	CHECK(exceptionSnippet(g).empty());
	std::string md = reportMd(run);
	CHECK(md.find("### fetch: raw socket\n") != std::string::npos);
	CHECK(md.find("No policy exception can allow a raw or packet socket") != std::string::npos);
	CHECK(reportMd(run) == md);

	CHECK(straceLine(raw) == "207 socket(AF_PACKET, SOCK_RAW, 768) = -1 EPERM (Operation not permitted)");
}

TEST_CASE("inherited descriptors: listed per step in report.json and report.md", "[evidence][schema]")
{
	RunEvidence run = sampleRun();
	run.steps[0].inheritedFds = sampleInheritedFds();
	std::string json = reportJson(run);
	CHECK(schemaErrors("report.schema.json", json) == "");
	auto doc = parse(json);
	const auto &fds = doc["steps"][0]["inherited_fds"];
	REQUIRE(fds.Size() == 3);
	CHECK(fds[0]["fd"].GetInt() == 3);
	CHECK(std::string(fds[0]["type"].GetString()) == "socket");
	CHECK(fds[0]["detail"].IsNull());
	CHECK(std::string(fds[0]["socket"]["family"].GetString()) == "AF_INET");
	CHECK(std::string(fds[0]["socket"]["type"].GetString()) == "SOCK_STREAM");
	CHECK(std::string(fds[0]["socket"]["protocol"].GetString()) == "tcp");
	CHECK(std::string(fds[0]["socket"]["local"].GetString()) == "127.0.0.1:40000");
	CHECK(std::string(fds[0]["socket"]["peer"].GetString()) == "203.0.113.1:443");
	CHECK(std::string(fds[0]["action"].GetString()) == "passed");
	CHECK(fds[1]["socket"].IsNull());
	CHECK(std::string(fds[1]["detail"].GetString()) == "eventfd");
	CHECK(std::string(fds[1]["action"].GetString()) == "closed");
	CHECK(std::string(fds[2]["action"].GetString()) == "refused");
	CHECK(std::string(fds[2]["reason"].GetString()) == "an io_uring ring is never passed");
	CHECK(doc["steps"][1]["inherited_fds"].Size() == 0);

	std::string md = reportMd(run);
	CHECK(md.find("## Inherited descriptors") != std::string::npos);
	CHECK(md.find("| `" + run.steps[0].id + "` | 3 | `socket AF_INET tcp 127.0.0.1:40000 -> 203.0.113.1:443` | passed |") !=
	      std::string::npos);
	CHECK(md.find("| 7 | `anon_inode [io_uring]` | refused: an io_uring ring is never passed |") != std::string::npos);
	CHECK(reportMd(sampleRun()).find("Inherited descriptors") == std::string::npos);
}
