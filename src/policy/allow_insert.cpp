#include "policy/allow_insert.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <optional>

namespace hg {

namespace {

// The text as lines, without their '\n'; remembers whether the last one had one.
struct Lines {
	std::vector<std::string> lines;
	bool finalNewline = true;

	explicit Lines(std::string_view text)
	{
		size_t start = 0;
		while (start < text.size()) {
			size_t nl = text.find('\n', start);
			if (nl == std::string_view::npos) {
				lines.emplace_back(text.substr(start));
				finalNewline = false;
				break;
			}
			lines.emplace_back(text.substr(start, nl - start));
			start = nl + 1;
		}
	}

	std::string join() const
	{
		std::string out;
		for (size_t i = 0; i < lines.size(); i++) {
			out += lines[i];
			if (i + 1 < lines.size() || finalNewline)
				out += '\n';
		}
		return out;
	}
};

size_t indentOf(const std::string &line)
{
	return line.find_first_not_of(' ') == std::string::npos ? line.size() : line.find_first_not_of(' ');
}

// Blank or comment only: belongs to no block.
bool isFiller(const std::string &line)
{
	size_t i = line.find_first_not_of(" \t\r");
	return i == std::string::npos || line[i] == '#';
}

// The indentation step of the file: the smallest positive indent of a content line, else 2.
size_t indentUnit(const Lines &text)
{
	size_t unit = 0;
	for (const std::string &line : text.lines) {
		if (isFiller(line))
			continue;
		size_t n = indentOf(line);
		if (n > 0 && (unit == 0 || n < unit))
			unit = n;
	}
	return unit ? unit : 2;
}

// The index after the last content line of the block that starts at line `first` (the line
// of its key or dash) and holds every following line indented more than col, or at col
// starting with "- " when dashAtCol (a block sequence may sit at its key's column).
size_t blockEnd(const Lines &text, size_t first, size_t col, bool dashAtCol)
{
	size_t end = first + 1;
	for (size_t i = first + 1; i < text.lines.size(); i++) {
		const std::string &line = text.lines[i];
		if (isFiller(line))
			continue;
		size_t n = indentOf(line);
		bool dash = n == col && line.compare(n, 1, "-") == 0 && (line.size() == n + 1 || line[n + 1] == ' ');
		if (n > col || (dashAtCol && dash))
			end = i + 1;
		else
			break;
	}
	return end;
}

std::string location(const std::string &displayName, const YAML::Mark &m)
{
	std::string out = displayName;
	return out.append(":").append(std::to_string(m.line + 1)).append(":").append(std::to_string(m.column + 1));
}

Error flowError(const std::string &displayName, const YAML::Mark &m, const std::string &what)
{
	std::string msg = location(displayName, m);
	msg.append(": ").append(what).append(" is written in flow style ({...} or [...]): rewrite it as a block ");
	msg.append("(one key or \"- item\" per line) so that the exceptions can be added to it");
	return Error::msg(msg);
}

// A key of a block mapping, with its mark, and its value.
struct Entry {
	YAML::Mark keyMark;
	YAML::Node value;
};

std::optional<Entry> member(const YAML::Node &map, const std::string &key)
{
	for (auto it = map.begin(); it != map.end(); ++it)
		if (it->first.IsScalar() && it->first.Scalar() == key)
			return Entry{ it->first.Mark(), it->second };
	return std::nullopt;
}

std::vector<std::string> indented(const std::vector<std::string> &lines, size_t col)
{
	std::vector<std::string> out;
	for (const std::string &l : lines)
		out.push_back(std::string(col, ' ') + l);
	return out;
}

// Lines of a new "KEY:" with its items under it.
std::vector<std::string> newList(const AllowInsertion &list, size_t keyCol, size_t unit)
{
	std::string key(keyCol, ' ');
	std::vector<std::string> out{ key.append(list.listKey).append(":") };
	for (const auto &item : list.items)
		for (const std::string &l : indented(item, keyCol + unit))
			out.push_back(l);
	return out;
}

// A pending insertion: lines to put before line `at`. At one line, items that end an
// existing list go before new lists, which would otherwise take them in.
struct Insert {
	size_t at;
	std::vector<std::string> lines;
	bool newList = false;
};

// Where to put the lines of `list` inside the existing block mapping `allow` whose keys sit
// at keyCol.
Expected<Insert> intoAllow(const Lines &text, const std::string &displayName, const YAML::Node &allow,
			   size_t allowLine, size_t keyCol, size_t unit, const AllowInsertion &list)
{
	auto existing = member(allow, list.listKey);
	if (!existing)
		return Insert{ blockEnd(text, allowLine, keyCol - unit, false), newList(list, keyCol, unit), true };
	const YAML::Node &seq = existing->value;
	size_t keyLine = static_cast<size_t>(existing->keyMark.line);
	if (seq.IsNull() || (seq.IsSequence() && seq.size() == 0 && seq.Style() != YAML::EmitterStyle::Flow)) {
		std::vector<std::string> items;
		for (const auto &item : list.items)
			for (const std::string &l : indented(item, keyCol + unit))
				items.push_back(l);
		return Insert{ keyLine + 1, items };
	}
	if (!seq.IsSequence() || seq.Style() == YAML::EmitterStyle::Flow) {
		std::string what = "allow.";
		return flowError(displayName, seq.Mark(), what.append(list.listKey));
	}
	// Items at the column of the existing dashes.
	const std::string &firstItem = text.lines[static_cast<size_t>(seq[0].Mark().line)];
	size_t dashCol = indentOf(firstItem);
	std::vector<std::string> items;
	for (const auto &item : list.items)
		for (const std::string &l : indented(item, dashCol))
			items.push_back(l);
	return Insert{ blockEnd(text, keyLine, existing->keyMark.column, true), items };
}

// Inserts every planned group of lines, bottom-up so that earlier line numbers stay valid;
// inserts at one line keep their order (new lists after additions to existing ones).
void applyInserts(Lines &text, std::vector<Insert> inserts)
{
	std::stable_sort(inserts.begin(), inserts.end(), [](const Insert &a, const Insert &b) {
		return a.at != b.at ? a.at > b.at : a.newList < b.newList;
	});
	for (size_t i = 0; i < inserts.size();) {
		size_t j = i;
		std::vector<std::string> group;
		while (j < inserts.size() && inserts[j].at == inserts[i].at) {
			group.insert(group.end(), inserts[j].lines.begin(), inserts[j].lines.end());
			j++;
		}
		text.lines.insert(text.lines.begin() + static_cast<std::ptrdiff_t>(inserts[i].at), group.begin(), group.end());
		i = j;
	}
	if (!text.finalNewline && !text.lines.empty())
		text.finalNewline = true; // the inserted lines may now be last
}

// The block mapping of step stepId in hermetic_steps; errors name the file and the fix.
Expected<YAML::Node> findStep(const YAML::Node &root, const std::string &displayName, const std::string &stepId)
{
	auto steps = member(root, "hermetic_steps");
	if (steps && steps->value.IsSequence()) {
		if (steps->value.Style() == YAML::EmitterStyle::Flow)
			return flowError(displayName, steps->value.Mark(), "hermetic_steps");
		for (const YAML::Node &step : steps->value) {
			auto id = step.IsMap() ? member(step, "id") : std::nullopt;
			if (!id || !id->value.IsScalar() || id->value.Scalar() != stepId)
				continue;
			if (step.Style() == YAML::EmitterStyle::Flow) {
				std::string what = "step ";
				return flowError(displayName, step.Mark(), what.append(stepId));
			}
			return step;
		}
	}
	std::string msg = displayName;
	msg.append(": no step '").append(stepId).append("' in hermetic_steps (add the step, or suggest without --per-step)");
	return Error::msg(msg);
}

} // namespace

Expected<std::string> insertAllowEntries(std::string_view source, const std::string &displayName,
					 const std::string &stepId, const std::vector<AllowInsertion> &lists)
{
	YAML::Node root;
	try {
		root.reset(YAML::Load(std::string(source)));
	} catch (const YAML::Exception &e) {
		std::string msg = location(displayName, e.mark);
		return Error::msg(msg.append(": not YAML: ").append(e.msg).append(" (fix the policy first: hermetic-gate validate)"));
	}
	if (!root.IsMap() || root.Style() == YAML::EmitterStyle::Flow)
		return Error::msg(displayName + ": not a block YAML mapping (check it with hermetic-gate validate)");
	Lines text(source);
	size_t unit = indentUnit(text);

	// The mapping that holds (or will hold) allow:, its first line, and its key column.
	YAML::Node scope(root); // rebound with reset(): operator= would overwrite the node it refers to
	size_t scopeLine = 0, scopeCol = 0;
	std::optional<size_t> beforeLine; // top level: a new allow: goes before hermetic_steps
	if (stepId.empty()) {
		if (auto steps = member(root, "hermetic_steps")) {
			size_t at = static_cast<size_t>(steps->keyMark.line);
			while (at > 0 && isFiller(text.lines[at - 1]) && indentOf(text.lines[at - 1]) == 0 &&
			       text.lines[at - 1].find('#') != std::string::npos)
				at--; // the comments just above hermetic_steps stay with it
			beforeLine = at;
		}
	} else {
		auto step = findStep(root, displayName, stepId);
		if (!step)
			return step.error();
		scope.reset(*step);
		scopeLine = static_cast<size_t>(step->Mark().line);
		scopeCol = static_cast<size_t>(step->Mark().column);
	}

	std::vector<Insert> inserts;
	auto allow = member(scope, "allow");
	if (!allow || allow->value.IsNull()) {
		// A new allow: with every list.
		size_t at = 0;
		std::vector<std::string> lines;
		if (allow) {
			at = static_cast<size_t>(allow->keyMark.line) + 1;
		} else {
			std::string key(scopeCol, ' ');
			lines.push_back(key.append("allow:"));
			if (stepId.empty())
				at = beforeLine ? *beforeLine : text.lines.size();
			else
				at = blockEnd(text, scopeLine, scopeCol > 0 ? scopeCol - 1 : 0, false);
		}
		for (const AllowInsertion &list : lists)
			for (const std::string &l : newList(list, scopeCol + unit, unit))
				lines.push_back(l);
		inserts.push_back(Insert{ at, lines });
	} else {
		if (!allow->value.IsMap() || allow->value.Style() == YAML::EmitterStyle::Flow)
			return flowError(displayName, allow->value.Mark(), "allow");
		size_t allowLine = static_cast<size_t>(allow->keyMark.line);
		size_t keyCol = static_cast<size_t>(allow->value.Mark().column);
		size_t childUnit = keyCol - static_cast<size_t>(allow->keyMark.column);
		for (const AllowInsertion &list : lists) {
			auto ins = intoAllow(text, displayName, allow->value, allowLine, keyCol, childUnit, list);
			if (!ins)
				return ins.error();
			inserts.push_back(*ins);
		}
	}

	applyInserts(text, std::move(inserts));
	return text.join();
}

} // namespace hg
