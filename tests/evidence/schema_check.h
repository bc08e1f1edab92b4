#pragma once
// Validates JSON text against a schema of evidence-schema/ (found through $HG_SCHEMA_DIR)
// with RapidJSON's draft-04 SchemaValidator.

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>
#include <rapidjson/schema.h>
#include <rapidjson/stringbuffer.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>

namespace hg::test {

inline std::string readFile(const std::string &path)
{
	std::ifstream in(path, std::ios::binary);
	if (!in)
		throw std::runtime_error("cannot read " + path);
	std::ostringstream ss;
	ss << in.rdbuf();
	return ss.str();
}

inline std::string schemaPath(const std::string &name)
{
	const char *dir = std::getenv("HG_SCHEMA_DIR");
	if (!dir)
		throw std::runtime_error("HG_SCHEMA_DIR is not set (run through meson test)");
	return std::string(dir) + "/" + name;
}

// "" when json is valid against the schema file at path; otherwise what is wrong and where.
// A schema file that cannot be read or parsed throws, so a broken schema never passes a test.
inline std::string schemaErrorsAt(const std::string &path, const std::string &json)
{
	rapidjson::Document schemaDoc;
	std::string schemaText = readFile(path);
	if (schemaDoc.Parse(schemaText.c_str()).HasParseError())
		throw std::runtime_error(path + ": " +
					 rapidjson::GetParseError_En(schemaDoc.GetParseError()));
	rapidjson::SchemaDocument schema(schemaDoc);

	rapidjson::Document doc;
	if (doc.Parse(json.c_str()).HasParseError())
		return std::string("not JSON: ") + rapidjson::GetParseError_En(doc.GetParseError()) +
		       " at offset " + std::to_string(doc.GetErrorOffset());

	rapidjson::SchemaValidator validator(schema);
	if (doc.Accept(validator))
		return "";
	rapidjson::StringBuffer schemaPtr, docPtr;
	validator.GetInvalidSchemaPointer().StringifyUriFragment(schemaPtr);
	validator.GetInvalidDocumentPointer().StringifyUriFragment(docPtr);
	return std::string("keyword '") + validator.GetInvalidSchemaKeyword() + "' at schema " +
	       schemaPtr.GetString() + ", document " + docPtr.GetString();
}

// schemaErrorsAt for a schema of evidence-schema/.
inline std::string schemaErrors(const std::string &schemaName, const std::string &json)
{
	return schemaErrorsAt(schemaPath(schemaName), json);
}

} // namespace hg::test
