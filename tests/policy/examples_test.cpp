// Schema and loader must not drift: every example in policy/examples/ loads with the
// loader AND validates against policy/hermetic-ci-policy.schema.json, and fixtures with
// structural errors are refused by both. YAML is converted to JSON with the loader's own
// core-schema scalar typing, as an editor using the schema would see it.

#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <unistd.h>

#include <rapidjson/document.h>
#include <rapidjson/schema.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <yaml-cpp/yaml.h>

#include "policy/loader.h"

using namespace hg;
namespace fs = std::filesystem;

namespace {

const std::string kToday = "2026-06-01";

fs::path sourceRoot()
{
	const char *root = std::getenv("HG_SOURCE_ROOT");
	REQUIRE(root != nullptr);
	return root;
}

rapidjson::Value toJson(const YAML::Node &n, rapidjson::Document::AllocatorType &alloc)
{
	rapidjson::Value v;
	if (n.IsMap()) {
		v.SetObject();
		for (const auto &kv : n) {
			REQUIRE(kv.first.IsScalar());
			rapidjson::Value key(kv.first.Scalar().c_str(), alloc);
			v.AddMember(key, toJson(kv.second, alloc), alloc);
		}
	} else if (n.IsSequence()) {
		v.SetArray();
		for (const YAML::Node &item : n)
			v.PushBack(toJson(item, alloc), alloc);
	} else if (n.IsScalar()) {
		const std::string &s = n.Scalar();
		switch (scalarType(s, n.Tag() != "?")) {
		case ScalarType::Null:
			v.SetNull();
			break;
		case ScalarType::Bool:
			v.SetBool(s[0] == 't' || s[0] == 'T');
			break;
		case ScalarType::Int:
			v.SetInt64(std::strtoll(s.c_str(), nullptr, 10));
			break;
		case ScalarType::Float:
			/* Only the type matters to the schema; .inf and .nan have no JSON spelling. */
			v.SetDouble(0.5);
			break;
		case ScalarType::String:
			v.SetString(s.c_str(), rapidjson::SizeType(s.size()), alloc);
			break;
		}
	} else {
		v.SetNull();
	}
	return v;
}

class SchemaChecker {
public:
	SchemaChecker()
	{
		std::ifstream in(sourceRoot() / "policy" / "hermetic-ci-policy.schema.json");
		REQUIRE(in);
		std::stringstream ss;
		ss << in.rdbuf();
		schemaJson_.Parse(ss.str().c_str());
		REQUIRE_FALSE(schemaJson_.HasParseError());
		schema_ = std::make_unique<rapidjson::SchemaDocument>(schemaJson_);
	}

	/* "" when valid, else the failing keyword and where in the document. */
	std::string check(const fs::path &yamlFile)
	{
		YAML::Node yaml = YAML::LoadFile(yamlFile.string());
		rapidjson::Document doc;
		rapidjson::Value &root = doc;
		root = toJson(yaml, doc.GetAllocator());

		rapidjson::SchemaValidator validator(*schema_);
		if (doc.Accept(validator))
			return "";
		rapidjson::StringBuffer where;
		validator.GetInvalidDocumentPointer().StringifyUriFragment(where);
		return std::string(validator.GetInvalidSchemaKeyword()) + " at " + where.GetString();
	}

private:
	rapidjson::Document schemaJson_;
	std::unique_ptr<rapidjson::SchemaDocument> schema_;
};

} // namespace

TEST_CASE("every example policy loads and matches the schema", "[examples]")
{
	SchemaChecker schema;
	std::vector<fs::path> examples;
	for (const auto &entry : fs::directory_iterator(sourceRoot() / "policy" / "examples"))
		if (entry.path().extension() == ".yml" || entry.path().extension() == ".yaml")
			examples.push_back(entry.path());
	std::sort(examples.begin(), examples.end());

	/* At least the two examples this module ships. */
	REQUIRE(examples.size() >= 2);
	for (const fs::path &file : examples) {
		INFO("example " << file.string());
		Expected<Policy> p = loadPolicy(file.string(), kToday);
		INFO((p.ok() ? std::string() : p.error().message));
		CHECK(p.ok());
		CHECK(schema.check(file) == "");
	}
}

TEST_CASE("the schema refuses what the loader refuses for structural reasons", "[examples]")
{
	/*
	 * Fixtures whose error a JSON Schema can express. The others (bad CIDR, impossible date,
	 * expiry, duplicate ids or keys, YAML syntax) only the loader can catch.
	 */
	const char *structural[] = {
		"unknown_step_key", "unknown_top_key", "unknown_exception_key", "timeout_string",
		"steps_not_list", "missing_version", "missing_steps", "missing_run", "missing_id",
		"unsupported_version", "bad_id_chars", "bad_id_dot", "bad_port", "bad_date_format",
		"zero_timeout", "empty_run", "empty_run_list", "bad_mode", "strict_yes",
		"bad_env_name", "null_env_value", "empty_steps", "host_is_number",
		"env_remove_equals", "multiple_errors", "bad_inbound_port", "inbound_not_list",
		"unknown_inbound_key", "delegated_relative", "delegated_sockets_variable", "unknown_delegated_key",
	};
	SchemaChecker schema;
	for (const char *name : structural) {
		fs::path file = sourceRoot() / "tests" / "policy" / "fixtures" / (std::string(name) + ".yml");
		INFO("fixture " << name);
		CHECK_FALSE(loadPolicy(file.string(), kToday).ok());
		CHECK(schema.check(file) != "");
	}
}

TEST_CASE("the schema accepts the full set of value forms the loader accepts", "[examples]")
{
	/* Forms not in the examples: numbers as argv and env values, long-form ports. */
	const char *text = R"(version: 1
env: {set: {RETRIES: 3, DEBUG: false, RATIO: 1.5}}
delegated_sockets: [/run/a.sock, "@b"]
allow: {outbound_ports: [{port: 1}, 65535], inbound: [8080, "9090", "[::1]", {port: 1}, {host: "127.0.0.1:5432"}],
        delegated: [/run/a.sock, {socket: "@b", owner: "@qa"}]}
hermetic_steps:
  - {id: "-x_1.2", run: [sleep, 1], timeout_seconds: 604800}
  - {id: "007", run: [7, x]}
)";
	REQUIRE(loadPolicyFromString(text, "p.yml", kToday).ok());
	fs::path tmp = fs::temp_directory_path() / ("hg-policy-forms-" + std::to_string(::getpid()) + ".yml");
	{
		std::ofstream out(tmp);
		out << text;
	}
	SchemaChecker schema;
	std::string result = schema.check(tmp);
	fs::remove(tmp);
	CHECK(result == "");
}
