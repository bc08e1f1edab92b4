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

// What the writer wrote, with a final newline.
inline std::string jsonText(const rapidjson::StringBuffer &buf)
{
	std::string out(buf.GetString(), buf.GetSize());
	out += '\n';
	return out;
}

} // namespace hg
