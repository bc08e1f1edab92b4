#include "evidence/report_reader.h"

#include <rapidjson/error/en.h>
#include <rapidjson/schema.h>
#include <rapidjson/stringbuffer.h>

#include "evidence/report_schema.h" // kReportSchemaJson, generated from evidence-schema/

namespace hg {

namespace {

constexpr const char *kFix = " (pass the report.json of a hermetic-gate run of this version)";

std::string pointerText(const rapidjson::Pointer &p)
{
	rapidjson::StringBuffer buf;
	p.StringifyUriFragment(buf);
	return std::string(buf.GetString(), buf.GetSize());
}

const rapidjson::SchemaDocument &reportSchema()
{
	// The schema document refers into its source document: both live as long as the program.
	static const rapidjson::Document source = [] {
		rapidjson::Document d;
		d.Parse(kReportSchemaJson);
		return d;
	}();
	static const rapidjson::SchemaDocument schema(source);
	return schema;
}

std::string strOrEmpty(const rapidjson::Value &v)
{
	return v.IsString() ? std::string(v.GetString(), v.GetStringLength()) : std::string();
}

std::optional<Direction> directionFromName(const std::string &name)
{
	for (Direction d : { Direction::None, Direction::Local, Direction::Outbound, Direction::Inbound, Direction::Evasion,
			     Direction::Self, Direction::Dns, Direction::Delegated })
		if (name == directionName(d))
			return d;
	return std::nullopt;
}

} // namespace

Expected<void> parseReport(std::string_view text, const std::string &displayName, rapidjson::Document &doc)
{
	std::string owned(text); // RapidJSON parses NUL-terminated text
	doc.Parse(owned.c_str());
	if (doc.HasParseError()) {
		std::string msg = displayName;
		msg.append(": not JSON: ").append(rapidjson::GetParseError_En(doc.GetParseError()));
		msg.append(" at offset ").append(std::to_string(doc.GetErrorOffset())).append(kFix);
		return Error::msg(msg);
	}
	rapidjson::SchemaValidator validator(reportSchema());
	if (!doc.Accept(validator)) {
		std::string msg = displayName;
		msg.append(": does not match the report schema: keyword '").append(validator.GetInvalidSchemaKeyword());
		msg.append("' at schema ").append(pointerText(validator.GetInvalidSchemaPointer()));
		msg.append(", document ").append(pointerText(validator.GetInvalidDocumentPointer())).append(kFix);
		return Error::msg(msg);
	}
	return {};
}

Expected<ReportFacts> reportFacts(const rapidjson::Document &doc, const std::string &displayName)
{
	ReportFacts facts;
	facts.sha = strOrEmpty(doc["sha"]);
	facts.policyPath = strOrEmpty(doc["policy"]["path"]);
	facts.policySha256 = strOrEmpty(doc["policy"]["sha256"]);
	const auto &steps = doc["steps"].GetArray();
	for (rapidjson::SizeType i = 0; i < steps.Size(); i++) {
		ReportStep step;
		step.id = strOrEmpty(steps[i]["id"]);
		const auto &violations = steps[i]["violations"].GetArray();
		for (rapidjson::SizeType j = 0; j < violations.Size(); j++) {
			const rapidjson::Value &v = violations[j];
			ViolationKey k;
			auto kind = directionFromName(strOrEmpty(v["kind"]));
			if (!kind) {
				std::string msg = displayName;
				msg.append(": unknown violation kind at #/steps/").append(std::to_string(i));
				msg.append("/violations/").append(std::to_string(j)).append(kFix);
				return Error::msg(msg);
			}
			k.kind = *kind;
			k.syscall = strOrEmpty(v["syscall"]);
			k.family = strOrEmpty(v["family"]);
			k.protocol = strOrEmpty(v["protocol"]);
			k.address = strOrEmpty(v["address"]);
			if (v["port"].IsUint())
				k.port = static_cast<uint16_t>(v["port"].GetUint());
			k.name = strOrEmpty(v["name"]);
			k.exe = strOrEmpty(v["executable"]);
			k.decision = strOrEmpty(v["decision"]) == "denied" ? Decision::Denied : Decision::Audited;
			step.violations.push_back(std::move(k));
		}
		facts.steps.push_back(std::move(step));
	}
	return facts;
}

} // namespace hg
