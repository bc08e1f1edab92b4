// validate_json SCHEMA JSON...: checks each JSON file against a draft-04 JSON Schema with
// RapidJSON's SchemaValidator (the same validator as tests/evidence/schema_check.h).
// Exit 0: every file is valid. Exit 1: at least one is not JSON or does not match; one line per
// bad file: "FILE: invalid: keyword 'K' at schema #/..., document #/...". Exit 2: usage, or the
// schema itself cannot be read or parsed (a broken schema never lets a file pass).

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>
#include <rapidjson/schema.h>
#include <rapidjson/stringbuffer.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

namespace {

bool readFile(const char *path, std::string &out)
{
	std::ifstream in(path, std::ios::binary);
	if (!in)
		return false;
	std::ostringstream ss;
	ss << in.rdbuf();
	out = ss.str();
	return !in.bad();
}

} // namespace

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: validate_json SCHEMA JSON...\n");
		return 2;
	}
	std::string schemaText;
	if (!readFile(argv[1], schemaText)) {
		fprintf(stderr, "%s: cannot read the schema\n", argv[1]);
		return 2;
	}
	rapidjson::Document schemaDoc;
	if (schemaDoc.Parse(schemaText.c_str()).HasParseError()) {
		fprintf(stderr, "%s: schema is not JSON: %s at offset %zu\n", argv[1],
			rapidjson::GetParseError_En(schemaDoc.GetParseError()), schemaDoc.GetErrorOffset());
		return 2;
	}
	rapidjson::SchemaDocument schema(schemaDoc);

	int bad = 0;
	for (int i = 2; i < argc; i++) {
		std::string text;
		if (!readFile(argv[i], text)) {
			printf("%s: invalid: cannot read the file\n", argv[i]);
			bad++;
			continue;
		}
		rapidjson::Document doc;
		if (doc.Parse(text.c_str()).HasParseError()) {
			printf("%s: invalid: not JSON: %s at offset %zu\n", argv[i],
			       rapidjson::GetParseError_En(doc.GetParseError()), doc.GetErrorOffset());
			bad++;
			continue;
		}
		rapidjson::SchemaValidator validator(schema);
		if (doc.Accept(validator)) {
			printf("%s: valid\n", argv[i]);
			continue;
		}
		rapidjson::StringBuffer schemaPtr, docPtr;
		validator.GetInvalidSchemaPointer().StringifyUriFragment(schemaPtr);
		validator.GetInvalidDocumentPointer().StringifyUriFragment(docPtr);
		printf("%s: invalid: keyword '%s' at schema %s, document %s\n", argv[i],
		       validator.GetInvalidSchemaKeyword(), schemaPtr.GetString(), docPtr.GetString());
		bad++;
	}
	return bad ? 1 : 0;
}
