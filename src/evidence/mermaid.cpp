#include "evidence/mermaid.h"

#include <cstdint>
#include <cstring>

#include "evidence/text.h"

namespace hg {

namespace {

// The code point of the well-formed UTF-8 sequence at s[i], advancing i past it.
uint32_t nextCodePoint(const std::string &s, size_t &i)
{
	auto byte = [&](size_t k) { return static_cast<uint32_t>(static_cast<unsigned char>(s[k])); };
	uint32_t b = byte(i);
	size_t len = b < 0x80 ? 1 : b < 0xe0 ? 2 : b < 0xf0 ? 3 : 4;
	uint32_t cp = len == 1 ? b : b & (0xff >> (len + 1));
	for (size_t k = 1; k < len; k++)
		cp = (cp << 6) | (byte(i + k) & 0x3f);
	i += len;
	return cp;
}

// Mermaid draws control characters as nothing or as a line break: they are shown as their
// Unicode control pictures (U+2400 + code, DEL as U+2421: a newline is "␊").
uint32_t controlPicture(uint32_t cp)
{
	return cp == 0x7f ? 0x2421 : 0x2400 + cp;
}

void appendEscaped(std::string &out, uint32_t cp)
{
	bool plain = (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z') || (cp >= '0' && cp <= '9') ||
		     (cp != 0 && cp < 0x80 && std::strchr(" .,_/:=+-@", static_cast<char>(cp)));
	if (plain)
		out += static_cast<char>(cp);
	else
		out += "#" + std::to_string(cp) + ";";
	// Mermaid reads a backslash and "n" in a label as a line break, even from entity codes:
	// a word joiner (U+2060, invisible) keeps a backslash of argv a backslash.
	if (cp == '\\')
		out += "#8288;";
}

std::string destinationText(const TreeDestination &d)
{
	std::string out = std::string(directionName(d.kind)) + " " + d.endpoint;
	return d.name.empty() ? out : out + " (" + d.name + ")";
}

// The label of a drawn process: executable, argv, and where it made violations.
std::string nodeLabel(const TreeNode &n)
{
	std::string label = mermaidLabelText(n.exe);
	if (!n.command.empty())
		label += "<br/>" + mermaidLabelText(n.command);
	for (const TreeDestination &d : n.destinations)
		label += "<br/>" + mermaidLabelText(destinationText(d));
	if (n.moreDestinations > 0)
		label += "<br/>" + mermaidLabelText("and " + std::to_string(n.moreDestinations) + " more destinations");
	return label;
}

std::string othersLabel(const TreeNode &n)
{
	std::string label = mermaidLabelText(otherProcessesText(n.others));
	if (n.othersViolating > 0)
		label += "<br/>" + mermaidLabelText("(" + std::to_string(n.othersViolating) +
						    " with violations, not drawn)");
	return label;
}

} // namespace

std::string mermaidLabelText(std::string_view text)
{
	std::string valid = validUtf8(text), out;
	for (size_t i = 0; i < valid.size();) {
		uint32_t cp = nextCodePoint(valid, i);
		appendEscaped(out, cp < 0x20 || cp == 0x7f ? controlPicture(cp) : cp);
	}
	return out;
}

std::string processTreeMermaid(const ProcessTreeSummary &tree)
{
	std::string out = "flowchart TD\n"
			  "  classDef violation fill:#fde2e2,stroke:#c62828,stroke-width:2px\n"
			  "  classDef others fill:#f5f5f5,stroke:#9e9e9e,stroke-dasharray:4 3\n";
	for (size_t i = 0; i < tree.nodes.size(); i++) {
		const TreeNode &n = tree.nodes[i];
		std::string id = "n" + std::to_string(i);
		out += "  " + id + "[\"" + nodeLabel(n) + "\"]" + (n.violating ? ":::violation" : "") + "\n";
		if (n.parent >= 0)
			out += "  n" + std::to_string(n.parent) + " --> " + id + "\n";
		if (n.others > 0)
			out += "  " + id + "o([\"" + othersLabel(n) + "\"]):::others\n  " + id + " -.-> " + id + "o\n";
	}
	return out;
}

} // namespace hg
