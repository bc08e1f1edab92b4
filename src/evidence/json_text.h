#pragma once
// The JSON writer every evidence renderer uses (report.json, SARIF, Code Quality), and the
// one way they write a string: made valid UTF-8 first (text.h), whatever bytes a tracee
// put in its argv or paths.

#include <rapidjson/prettywriter.h>
#include <rapidjson/stringbuffer.h>

#include <string>

#include "evidence/text.h"

namespace hg {

using JsonWriter = rapidjson::PrettyWriter<rapidjson::StringBuffer>;

inline void jsonString(JsonWriter &w, const std::string &s)
{
	std::string clean = validUtf8(s);
	w.String(clean.data(), static_cast<rapidjson::SizeType>(clean.size()));
}

// A JsonWriter over a buffer of its own, indented by two spaces like every JSON file of the
// evidence. Write through writer(), then take text().
class JsonDocument {
public:
	JsonDocument() : w_(buf_) { w_.SetIndent(' ', 2); }
	JsonDocument(const JsonDocument &) = delete;
	JsonDocument &operator=(const JsonDocument &) = delete;

	JsonWriter &writer() { return w_; }

	// What was written, with a final newline.
	std::string text() const
	{
		std::string out(buf_.GetString(), buf_.GetSize());
		out += '\n';
		return out;
	}

private:
	rapidjson::StringBuffer buf_; // before w_, which is built on it
	JsonWriter w_;
};

} // namespace hg
