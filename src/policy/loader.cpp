#include "policy/loader.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstring>
#include <ctime>
#include <fcntl.h>
#include <map>
#include <optional>
#include <sstream>
#include <tuple>
#include <unistd.h>

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include "base/shell_quote.h"
#include "base/sha256.h"
#include "base/unique_fd.h"

namespace hg {

namespace {

/* Large enough for any hand-written policy, small enough to refuse a log file passed by mistake. */
constexpr size_t kMaxPolicyBytes = 1 << 20;
constexpr size_t kMaxStepIdLength = 128;

bool isDigit(char c)
{
	return c >= '0' && c <= '9';
}

std::string lowerAscii(std::string_view s)
{
	std::string out(s);
	for (char &c : out)
		if (c >= 'A' && c <= 'Z')
			c = char(c - 'A' + 'a');
	return out;
}

size_t editDistance(std::string_view a, std::string_view b)
{
	std::vector<size_t> row(b.size() + 1);
	for (size_t j = 0; j <= b.size(); j++)
		row[j] = j;
	for (size_t i = 1; i <= a.size(); i++) {
		size_t diag = row[0];
		row[0] = i;
		for (size_t j = 1; j <= b.size(); j++) {
			size_t up = row[j];
			size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
			row[j] = std::min({ row[j] + 1, row[j - 1] + 1, diag + cost });
			diag = up;
		}
	}
	return row[b.size()];
}

/* The closest candidate within a third of the word's length (at least 1, at most 3 edits). */
std::optional<std::string> closest(std::string_view word, const std::vector<std::string> &candidates)
{
	std::string w = lowerAscii(word);
	size_t limit = std::clamp<size_t>(w.size() / 3, 1, 3);
	std::optional<std::string> best;
	size_t bestDist = limit + 1;
	for (const std::string &c : candidates) {
		size_t d = editDistance(w, lowerAscii(c));
		if (d < bestDist) {
			bestDist = d;
			best = c;
		}
	}
	return best;
}

std::string joined(const std::vector<std::string> &items, const char *sep)
{
	std::string out;
	for (const std::string &item : items) {
		if (!out.empty())
			out += sep;
		out += item;
	}
	return out;
}

/*
 * Messages quote keys and values from the file (and yaml-cpp quotes raw characters), so a
 * quoted "a\nb" would split one error over two lines: escape control characters.
 */
std::string oneLine(std::string_view text)
{
	static const char kHex[] = "0123456789abcdef";
	std::string out;
	out.reserve(text.size());
	for (char c : text) {
		unsigned char u = static_cast<unsigned char>(c);
		if (c == '\n')
			out += "\\n";
		else if (c == '\t')
			out += "\\t";
		else if (c == '\r')
			out += "\\r";
		else if (u < 0x20 || u == 0x7f) {
			out += "\\x";
			out += kHex[u >> 4];
			out += kHex[u & 0xf];
		} else
			out += c;
	}
	return out;
}

const char *typeName(ScalarType t)
{
	switch (t) {
	case ScalarType::Null:
		return "null";
	case ScalarType::Bool:
		return "a boolean";
	case ScalarType::Int:
		return "an integer";
	case ScalarType::Float:
		return "a number";
	case ScalarType::String:
		return "a string";
	}
	return "a value";
}

/* A key/value pair (or a list item, with no key) and how messages name it. */
struct Field {
	YAML::Node key;
	YAML::Node value;
	std::string name; /* "'timeout_seconds' in step 'unit'" */

	/* Where to point: the value, or its key when the value is empty (yaml-cpp gives an empty
	 * value the position of the next token, which is confusing). */
	YAML::Mark mark() const
	{
		if (value.IsDefined() && !value.IsNull() && !value.Mark().is_null())
			return value.Mark();
		if (key.IsDefined() && !key.Mark().is_null())
			return key.Mark();
		return value.IsDefined() ? value.Mark() : YAML::Mark::null_mark();
	}
};

struct MapFields {
	std::vector<Field> list; /* known keys, file order */

	const Field *find(std::string_view key) const
	{
		for (const Field &f : list)
			if (f.key.Scalar() == key)
				return &f;
		return nullptr;
	}
};

/* Parser events we only count: where the latest document started. */
class DocumentCounter : public YAML::EventHandler {
public:
	void OnDocumentStart(const YAML::Mark &mark) override { lastStart = mark; }
	void OnDocumentEnd() override {}
	void OnNull(const YAML::Mark &, YAML::anchor_t) override {}
	void OnAlias(const YAML::Mark &, YAML::anchor_t) override {}
	void OnScalar(const YAML::Mark &, const std::string &, YAML::anchor_t, const std::string &) override {}
	void OnSequenceStart(const YAML::Mark &, const std::string &, YAML::anchor_t, YAML::EmitterStyle::value) override {}
	void OnSequenceEnd() override {}
	void OnMapStart(const YAML::Mark &, const std::string &, YAML::anchor_t, YAML::EmitterStyle::value) override {}
	void OnMapEnd() override {}

	YAML::Mark lastStart = YAML::Mark::null_mark();
};

struct Message {
	int line;
	int column;
	std::string text;
};

class Loader {
public:
	Loader(std::string file, std::string today)
		: file_(std::move(file)), today_(std::move(today))
	{
	}

	void load(std::string_view text);

	Policy policy_;
	std::vector<Message> errors_;

private:
	/* YAML text -> one non-empty document, or errors. */
	std::optional<YAML::Node> parse(std::string_view text);
	void secondDocument(std::string_view text, const YAML::Mark &at);
	/* The document -> policy_, or errors. */
	void readPolicy(const YAML::Node &doc);
	bool readVersion(const Field &f); /* false: stop reading, the rest may mean something else */
	void readMode(const Field &f);

	std::string location(const YAML::Mark &mark) const;
	void error(const YAML::Mark &mark, const std::string &message);
	void error(const Field &f, const std::string &message) { error(f.mark(), message); }

	std::string describe(const YAML::Node &n) const;
	bool checkTag(const Field &f);
	std::optional<MapFields> readMap(const Field &f, const std::vector<std::string> &allowed,
					 const std::string &where);
	std::optional<std::vector<Field>> readList(const Field &f, const std::string &itemName);
	std::optional<std::string> readString(const Field &f, const std::string &example);
	std::optional<std::string> readText(const Field &f, const std::string &example);
	std::optional<long long> readInt(const Field &f, const std::string &example);
	std::optional<bool> readBool(const Field &f);
	bool requireKeys(const Field &map, const MapFields &fields, const std::vector<std::string> &keys,
			 const std::string &what, const std::vector<std::string> &examples);

	void readEnvRules(const Field &f);
	std::optional<EnvPairs> readEnvMap(const Field &f, const std::string &what);
	void readAllow(const Field &f, const std::string &stepId, const std::string &where,
		       std::vector<Exception> &out);
	void readHost(const Field &item, const std::string &sourceSuffix, std::vector<Exception> &out,
		      ExceptionScope scope = ExceptionScope::Outbound);
	void readPort(const Field &item, const std::string &sourceSuffix, std::vector<Exception> &out);
	void readInbound(const Field &item, const std::string &sourceSuffix, std::vector<Exception> &out);
	void readDelegated(const Field &item, const std::string &sourceSuffix, std::vector<Exception> &out);
	void readDelegatedSockets(const Field &f);
	const Field *entryValue(const Field &item, const std::string &key, const std::string &example,
				std::optional<MapFields> &fields);
	bool readMetadata(const MapFields &fields, const std::string &what, Exception &e);
	void readSteps(const Field &f);
	std::optional<Step> readStep(const Field &f, size_t index,
				     std::map<std::string, int> &seenIds);
	std::string stepName(const Field &f, size_t index) const;
	void readStepId(const Field &f, std::map<std::string, int> &seenIds, Step &step);
	void readRun(const Field &f, const std::string &what, Step &step);
	void readCwd(const Field &f, const std::string &what, Step &step);
	void readTimeout(const Field &f, const std::string &what, Step &step);
	void readPassFds(const Field &f, const std::string &what, std::vector<int> &out, std::string &where);

	std::string file_;
	std::string today_;
};

std::string Loader::location(const YAML::Mark &mark) const
{
	if (mark.is_null())
		return file_;
	return file_ + ":" + std::to_string(mark.line + 1) + ":" + std::to_string(mark.column + 1);
}

void Loader::error(const YAML::Mark &mark, const std::string &message)
{
	errors_.push_back({ mark.is_null() ? -1 : mark.line, mark.is_null() ? -1 : mark.column,
			    oneLine(location(mark) + ": " + message) });
}

std::string Loader::describe(const YAML::Node &n) const
{
	if (!n.IsDefined() || n.IsNull())
		return "empty";
	if (n.IsMap())
		return "a mapping";
	if (n.IsSequence())
		return "a list";
	return typeName(scalarType(n.Scalar(), n.Tag() != "?"));
}

bool Loader::checkTag(const Field &f)
{
	/* "?" marks a plain scalar, "!" a quoted one; explicit tags would change the type behind
	 * the editor's back, so they are refused rather than interpreted. */
	const std::string &tag = f.value.Tag();
	if (!f.value.IsScalar() || tag == "?" || tag == "!")
		return true;
	error(f, "YAML tag '" + tag + "' on " + f.name + " is not supported (remove the tag; quote the value to make it a string)");
	return false;
}

std::optional<MapFields> Loader::readMap(const Field &f, const std::vector<std::string> &allowed,
					 const std::string &where)
{
	if (!f.value.IsMap()) {
		error(f, f.name + " must be a mapping of keys, not " + describe(f.value) +
				 " (allowed keys: " + joined(allowed, ", ") + ")");
		return std::nullopt;
	}

	MapFields fields;
	std::map<std::string, YAML::Mark> seen;
	for (const auto &kv : f.value) {
		const YAML::Node &key = kv.first;
		if (!key.IsScalar()) {
			error(key.Mark(), "a key " + where + " is " + describe(key) +
						  " (keys are plain names: " + joined(allowed, ", ") + ")");
			continue;
		}
		const std::string &name = key.Scalar();
		auto [it, inserted] = seen.emplace(name, key.Mark());
		if (!inserted) {
			error(key.Mark(), "duplicate key '" + name + "' " + where + " (first at line " +
						  std::to_string(it->second.line + 1) + "; keep one of them)");
			continue;
		}
		if (std::find(allowed.begin(), allowed.end(), name) == allowed.end()) {
			std::optional<std::string> guess = closest(name, allowed);
			error(key.Mark(), "unknown key '" + name + "' " + where +
						  (guess ? " (did you mean '" + *guess + "'?)"
							 : " (allowed keys: " + joined(allowed, ", ") + ")"));
			continue;
		}
		fields.list.push_back({ key, kv.second, "'" + name + "' " + where });
	}
	return fields;
}

std::optional<std::vector<Field>> Loader::readList(const Field &f, const std::string &itemName)
{
	if (!f.value.IsSequence()) {
		error(f, f.name + " must be a list, not " + describe(f.value) +
				 " (write one item per line starting with '- ', or [a, b])");
		return std::nullopt;
	}
	std::vector<Field> items;
	size_t i = 0;
	for (const YAML::Node &item : f.value)
		items.push_back({ YAML::Node(), item, itemName + " #" + std::to_string(++i) });
	return items;
}

std::optional<std::string> Loader::readString(const Field &f, const std::string &example)
{
	if (!checkTag(f))
		return std::nullopt;
	if (f.value.IsScalar() && scalarType(f.value.Scalar(), f.value.Tag() != "?") == ScalarType::String)
		return f.value.Scalar();
	if (f.value.IsScalar())
		error(f, f.name + " must be a string, not " + describe(f.value) + " (quote it: \"" +
				 f.value.Scalar() + "\")");
	else
		error(f, f.name + " must be a string, not " + describe(f.value) + " (e.g. " + example + ")");
	return std::nullopt;
}

std::optional<std::string> Loader::readText(const Field &f, const std::string &example)
{
	if (!checkTag(f))
		return std::nullopt;
	if (!f.value.IsScalar() || f.value.IsNull()) {
		error(f, f.name + " must be a string, number or boolean, not " + describe(f.value) +
				 " (e.g. " + example + "; write \"\" for an empty value)");
		return std::nullopt;
	}
	if (f.value.Scalar().find('\0') != std::string::npos) {
		error(f, f.name + " contains a NUL character (commands and environment variables cannot carry one)");
		return std::nullopt;
	}
	return f.value.Scalar();
}

std::optional<long long> Loader::readInt(const Field &f, const std::string &example)
{
	if (!checkTag(f))
		return std::nullopt;
	if (!f.value.IsScalar() || scalarType(f.value.Scalar(), f.value.Tag() != "?") != ScalarType::Int) {
		error(f, f.name + " must be an integer, not " + describe(f.value) + " (e.g. " + example + ")");
		return std::nullopt;
	}
	const std::string &text = f.value.Scalar();
	const char *begin = text.data() + (text[0] == '+' ? 1 : 0);
	long long v = 0;
	auto [ptr, ec] = std::from_chars(begin, text.data() + text.size(), v);
	if (ec != std::errc() || ptr != text.data() + text.size()) {
		error(f, f.name + " " + text + " is out of range (e.g. " + example + ")");
		return std::nullopt;
	}
	return v;
}

std::optional<bool> Loader::readBool(const Field &f)
{
	if (!checkTag(f))
		return std::nullopt;
	if (!f.value.IsScalar() || scalarType(f.value.Scalar(), f.value.Tag() != "?") != ScalarType::Bool) {
		error(f, f.name + " must be true or false, not " + describe(f.value) +
				 (f.value.IsScalar() ? " '" + f.value.Scalar() + "'" : std::string()) +
				 " (YAML 1.2: yes/no/on/off are strings)");
		return std::nullopt;
	}
	return lowerAscii(f.value.Scalar()) == "true";
}

bool Loader::requireKeys(const Field &map, const MapFields &fields, const std::vector<std::string> &keys,
			 const std::string &what, const std::vector<std::string> &examples)
{
	bool ok = true;
	for (size_t i = 0; i < keys.size(); i++) {
		if (fields.find(keys[i]))
			continue;
		/* Point at the mapping itself: its mark is its first key. */
		error(map.value.Mark(), what + " is missing required key '" + keys[i] + "' (add " + examples[i] + ")");
		ok = false;
	}
	return ok;
}

void Loader::load(std::string_view text)
{
	policy_.path = file_;
	policy_.sha256 = sha256Hex(text);
	if (std::optional<YAML::Node> doc = parse(text))
		readPolicy(*doc);
}

std::optional<YAML::Node> Loader::parse(std::string_view text)
{
	YAML::Node doc;
	std::optional<YAML::Mark> secondDoc;
	try {
		std::string copy(text);
		doc = YAML::Load(copy);

		/*
		 * Not YAML::LoadAll(): in yaml-cpp 0.7 it loops forever, allocating, on inputs such
		 * as "\n,\n" (jbeder/yaml-cpp#1319, fixed in 0.8.0). Asking the parser for at most
		 * two documents is bounded.
		 */
		std::istringstream in(copy);
		YAML::Parser parser(in);
		DocumentCounter counter;
		if (parser.HandleNextDocument(counter) && parser.HandleNextDocument(counter))
			secondDoc = counter.lastStart;
	} catch (const YAML::ParserException &e) {
		error(e.mark, "YAML syntax error: " + e.msg + " (check indentation, quoting and brackets)");
		return std::nullopt;
	} catch (const YAML::Exception &e) {
		error(e.mark, "YAML error: " + e.msg);
		return std::nullopt;
	}

	if (secondDoc) {
		secondDocument(text, *secondDoc);
		return std::nullopt;
	}
	if (!doc.IsDefined() || doc.IsNull()) {
		error(YAML::Mark::null_mark(), "the policy is empty (start with version: 1 and hermetic_steps:)");
		return std::nullopt;
	}
	return doc;
}

void Loader::secondDocument(std::string_view text, const YAML::Mark &at)
{
	/* yaml-cpp 0.7 also "starts a document" at a token it cannot place, e.g. a stray ','. */
	size_t pos = at.pos < 0 ? text.size() : size_t(at.pos);
	if (text.substr(pos, 3) == "---")
		error(at, "the policy has more than one YAML document (remove the second '---' and what follows)");
	else if (pos < text.size())
		error(at, std::string("YAML syntax error: unexpected '") + text[pos] +
				  "' (check indentation, quoting and brackets)");
	else
		error(at, "YAML syntax error: unexpected end of the file (check indentation, quoting and brackets)");
}

void Loader::readPolicy(const YAML::Node &doc)
{
	Field root{ YAML::Node(), doc, "the policy" };
	static const std::vector<std::string> kRootKeys = {
		"version", "mode", "strict", "env", "delegated_sockets", "allow", "pass_fds", "hermetic_steps",
	};
	std::optional<MapFields> fields = readMap(root, kRootKeys, "at the top level");
	if (!fields)
		return;
	requireKeys(root, *fields, { "version", "hermetic_steps" }, "the policy",
		    { "version: 1 at the top", "hermetic_steps: with at least one step" });

	/* A different version may mean different keys: report only that, nothing else. */
	if (const Field *f = fields->find("version"); f && !readVersion(*f))
		return;
	if (const Field *f = fields->find("mode"))
		readMode(*f);
	if (const Field *f = fields->find("strict")) {
		if (std::optional<bool> b = readBool(*f))
			policy_.strict = *b;
	}
	if (const Field *f = fields->find("env"))
		readEnvRules(*f);
	if (const Field *f = fields->find("delegated_sockets"))
		readDelegatedSockets(*f);
	if (const Field *f = fields->find("allow"))
		readAllow(*f, "", "in allow", policy_.allow);
	if (const Field *f = fields->find("pass_fds"))
		readPassFds(*f, "'pass_fds'", policy_.passFds, policy_.passFdsLocation);
	if (const Field *f = fields->find("hermetic_steps"))
		readSteps(*f);
}

bool Loader::readVersion(const Field &f)
{
	std::optional<long long> v = readInt(f, "version: 1");
	if (!v)
		return false;
	if (*v != kPolicyVersion) {
		error(f, "unsupported policy version " + std::to_string(*v) +
				 " (this gate reads version: " + std::to_string(kPolicyVersion) + ")");
		return false;
	}
	policy_.version = int(*v);
	return true;
}

void Loader::readMode(const Field &f)
{
	std::optional<std::string> m = readString(f, "mode: audit");
	if (!m)
		return;
	if (*m == "audit")
		policy_.mode = Mode::Audit;
	else if (*m == "enforce")
		policy_.mode = Mode::Enforce;
	else
		error(f, "mode must be 'audit' or 'enforce', not '" + *m + "'" +
				 (lowerAscii(*m).starts_with("enf") ? " (did you mean 'enforce'?)"
								     : " (audit records, enforce denies)"));
}

void Loader::readEnvRules(const Field &f)
{
	static const std::vector<std::string> kKeys = { "remove", "keep", "set" };
	std::optional<MapFields> fields = readMap(f, kKeys, "in env");
	if (!fields)
		return;

	for (const char *listName : { "remove", "keep" }) {
		const Field *lf = fields->find(listName);
		if (!lf)
			continue;
		std::optional<std::vector<Field>> items = readList(*lf, std::string("env.") + listName + " entry");
		if (!items)
			continue;
		std::vector<std::string> &out = listName == std::string("remove") ? policy_.env.remove
										   : policy_.env.keep;
		for (const Field &item : *items) {
			std::optional<std::string> glob = readString(item, "\"MY_CORP_*\"");
			if (!glob)
				continue;
			if (glob->empty() || glob->find_first_of(std::string("=\0", 2)) != std::string::npos) {
				error(item, item.name + " '" + *glob +
						    "' is not a variable name or glob (use letters, digits, _ and the wildcards * and ?; no '=')");
				continue;
			}
			out.push_back(*glob);
		}
	}

	if (const Field *sf = fields->find("set")) {
		if (std::optional<EnvPairs> pairs = readEnvMap(*sf, "in env.set"))
			policy_.env.set = std::move(*pairs);
	}
}

std::optional<EnvPairs> Loader::readEnvMap(const Field &f, const std::string &where)
{
	if (!f.value.IsMap()) {
		error(f, f.name + " must be a mapping of NAME: value, not " + describe(f.value) +
				 " (e.g. {LANG: C.UTF-8})");
		return std::nullopt;
	}

	EnvPairs pairs;
	std::map<std::string, YAML::Mark> seen;
	bool ok = true;
	for (const auto &kv : f.value) {
		const YAML::Node &key = kv.first;
		std::string name = key.IsScalar() ? key.Scalar() : std::string();
		bool valid = !name.empty() && !isDigit(name[0]) &&
			     std::all_of(name.begin(), name.end(), [](char c) {
				     return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
			     });
		if (!valid) {
			error(key.Mark(), "'" + name + "' " + where +
						  " is not a valid variable name (use letters, digits and _, not starting with a digit)");
			ok = false;
			continue;
		}
		auto [it, inserted] = seen.emplace(name, key.Mark());
		if (!inserted) {
			error(key.Mark(), "duplicate variable '" + name + "' " + where + " (first at line " +
						  std::to_string(it->second.line + 1) + "; keep one of them)");
			ok = false;
			continue;
		}
		std::optional<std::string> value = readText({ key, kv.second, "'" + name + "' " + where },
							    name + ": value");
		if (!value) {
			ok = false;
			continue;
		}
		pairs.emplace_back(name, *value);
	}
	if (!ok)
		return std::nullopt;
	return pairs;
}

void Loader::readAllow(const Field &f, const std::string &stepId, const std::string &where,
		       std::vector<Exception> &out)
{
	static const std::vector<std::string> kKeys = { "outbound_hosts", "outbound_ports", "inbound", "delegated" };
	std::optional<MapFields> fields = readMap(f, kKeys, where);
	if (!fields)
		return;

	std::string suffix = stepId.empty() ? std::string() : " (step " + stepId + ")";
	if (const Field *hf = fields->find("outbound_hosts")) {
		if (std::optional<std::vector<Field>> items = readList(*hf, "outbound_hosts entry"))
			for (const Field &item : *items)
				readHost(item, suffix, out);
	}
	if (const Field *pf = fields->find("outbound_ports")) {
		if (std::optional<std::vector<Field>> items = readList(*pf, "outbound_ports entry"))
			for (const Field &item : *items)
				readPort(item, suffix, out);
	}
	if (const Field *inf = fields->find("inbound")) {
		if (std::optional<std::vector<Field>> items = readList(*inf, "inbound entry"))
			for (const Field &item : *items)
				readInbound(item, suffix, out);
	}
	if (const Field *df = fields->find("delegated")) {
		if (std::optional<std::vector<Field>> items = readList(*df, "delegated entry"))
			for (const Field &item : *items)
				readDelegated(item, suffix, out);
	}
}

/* An exception entry in its short form (the value itself) or its long form (a mapping of key
 * and reason/owner/expires): the field that holds the value, with the mapping's fields in
 * `fields` for the long form; nullptr once an error is reported. */
const Field *Loader::entryValue(const Field &item, const std::string &key, const std::string &example,
				std::optional<MapFields> &fields)
{
	if (!item.value.IsMap())
		return &item;
	fields = readMap(item, { key, "reason", "owner", "expires" }, "in " + item.name);
	if (!fields || !requireKeys(item, *fields, { key }, item.name, { example }))
		return nullptr;
	return fields->find(key);
}

/* A delegated entry: a socket path string, or {socket: PATH, reason:, owner:, expires:}. */
void Loader::readDelegated(const Field &item, const std::string &sourceSuffix, std::vector<Exception> &out)
{
	std::optional<MapFields> fields;
	const Field *sf = entryValue(item, "socket", "socket: /run/docker.sock", fields);
	if (!sf)
		return;
	std::optional<std::string> spec = readString(*sf, "/run/docker.sock or {socket: ..., reason: ...}");
	if (!spec)
		return;
	Expected<Exception> e = parseDelegatedException(*spec, location(item.mark()) + sourceSuffix);
	if (!e) {
		error(*sf, sf->name + ": " + e.error().message);
		return;
	}
	if (fields && !readMetadata(*fields, "exception for socket '" + *spec + "'", *e))
		return;
	out.push_back(std::move(*e));
}

void Loader::readDelegatedSockets(const Field &f)
{
	std::optional<std::vector<Field>> items = readList(f, "delegated_sockets entry");
	if (!items)
		return;
	for (const Field &item : *items) {
		std::optional<std::string> spec = readString(item, "/run/my-daemon.sock or @abstract-name");
		if (!spec)
			continue;
		Expected<std::string> path = parseSocketPath(*spec);
		if (!path) {
			error(item, item.name + ": " + path.error().message);
			continue;
		}
		DaemonSocket s;
		s.ref.path = *path;
		s.daemon = "a daemon listed in the policy";
		s.source = location(item.mark());
		policy_.delegatedSockets.push_back(std::move(s));
	}
}

/* An inbound entry: the host forms (a string or {host: ...}), or a port (a number, a string
 * of digits, or {port: ...}). */
void Loader::readInbound(const Field &item, const std::string &sourceSuffix, std::vector<Exception> &out)
{
	const YAML::Node &v = item.value;
	bool port = v.IsMap() ? v["port"] && !v["host"]
			      : v.IsScalar() && scalarType(v.Scalar(), v.Tag() != "?") == ScalarType::Int;
	if (!port) {
		readHost(item, sourceSuffix, out, ExceptionScope::Inbound);
		return;
	}
	size_t before = out.size();
	readPort(item, sourceSuffix, out);
	for (size_t i = before; i < out.size(); i++)
		out[i].scope = ExceptionScope::Inbound;
}

bool Loader::readMetadata(const MapFields &fields, const std::string &what, Exception &e)
{
	bool ok = true;
	if (const Field *f = fields.find("reason")) {
		std::optional<std::string> s = readString(*f, "reason: \"why this is needed\"");
		ok = ok && s;
		if (s)
			e.reason = *s;
	}
	if (const Field *f = fields.find("owner")) {
		std::optional<std::string> s = readString(*f, "owner: \"@team\"");
		ok = ok && s;
		if (s)
			e.owner = *s;
	}
	if (const Field *f = fields.find("expires")) {
		std::optional<std::string> s = readString(*f, "expires: 2027-06-30");
		if (!s)
			return false;
		if (!isValidDate(*s)) {
			error(*f, "expires '" + *s + "' of " + what +
					  " is not a real date (write YYYY-MM-DD, e.g. 2027-06-30)");
			return false;
		}
		/* Fixed-width ISO dates compare correctly as strings. */
		if (!today_.empty() && *s < today_) {
			error(*f, what + " expired on " + *s + " (today is " + today_ +
					  ": renew it with a later date after review, or remove it)");
			return false;
		}
		e.expires = *s;
	}
	return ok;
}

void Loader::readHost(const Field &item, const std::string &sourceSuffix, std::vector<Exception> &out,
		      ExceptionScope scope)
{
	const bool inbound = scope == ExceptionScope::Inbound;
	auto parse = inbound ? parseInboundException : parseHostException;
	static const std::vector<std::string> kKeys = { "host", "reason", "owner", "expires" };
	std::string source = location(item.mark()) + sourceSuffix;

	if (item.value.IsMap()) {
		std::optional<MapFields> fields = readMap(item, kKeys, "in " + item.name);
		if (!fields)
			return;
		if (!requireKeys(item, *fields, { "host" }, item.name, { "host: HOST" }))
			return;
		const Field *hf = fields->find("host");
		std::optional<std::string> spec = readString(*hf, "host: registry.example.com");
		if (!spec)
			return;
		Expected<Exception> e = parse(*spec, source);
		if (!e) {
			error(*hf, e.error().message);
			return;
		}
		if (readMetadata(*fields, "exception '" + *spec + "'", *e))
			out.push_back(std::move(*e));
		return;
	}

	if (item.value.IsScalar() && scalarType(item.value.Scalar(), item.value.Tag() != "?") != ScalarType::String) {
		error(item, item.name + (inbound ? " must be a local address, a port or a mapping with host: or port:, not "
						 : " must be a host string or a mapping with host:, not ") +
				    describe(item.value) + (inbound ? " (e.g. \"127.0.0.1\" or 8080)" : " (ports go in outbound_ports)"));
		return;
	}
	std::optional<std::string> spec = readString(item, "registry.example.com, 198.51.100.0/24 or {host: ..., reason: ...}");
	if (!spec)
		return;
	Expected<Exception> e = parse(*spec, source);
	if (!e) {
		error(item, e.error().message);
		return;
	}
	out.push_back(std::move(*e));
}

void Loader::readPort(const Field &item, const std::string &sourceSuffix, std::vector<Exception> &out)
{
	std::string source = location(item.mark()) + sourceSuffix;
	std::optional<MapFields> fields;
	const Field *pf = entryValue(item, "port", "port: 443", fields);
	if (!pf)
		return;

	std::optional<long long> port = readInt(*pf, "443");
	if (!port)
		return;
	if (*port < 1 || *port > 65535) {
		error(*pf, "port " + std::to_string(*port) + " in " + item.name +
				   " is out of range (ports are 1-65535)");
		return;
	}
	Expected<Exception> e = parsePortException(std::to_string(*port), source);
	if (!e) {
		error(*pf, e.error().message);
		return;
	}
	if (fields && !readMetadata(*fields, "exception for port " + std::to_string(*port), *e))
		return;
	out.push_back(std::move(*e));
}

void Loader::readSteps(const Field &f)
{
	policy_.stepsLocation = location(f.key.Mark());
	std::optional<std::vector<Field>> items = readList(f, "step");
	if (!items)
		return;
	if (items->empty()) {
		error(f, "hermetic_steps is empty (add at least one step with id: and run:)");
		return;
	}

	std::map<std::string, int> seenIds;
	for (size_t i = 0; i < items->size(); i++) {
		if (std::optional<Step> step = readStep((*items)[i], i, seenIds))
			policy_.steps.push_back(std::move(*step));
	}
}

std::optional<Step> Loader::readStep(const Field &f, size_t index, std::map<std::string, int> &seenIds)
{
	static const std::vector<std::string> kKeys = {
		"id", "run", "cwd", "env", "timeout_seconds", "allow", "pass_fds",
	};
	size_t errorsBefore = errors_.size();
	Step step;
	step.location = location(f.value.Mark());
	if (!f.value.Mark().is_null()) {
		step.line = f.value.Mark().line + 1;
		step.column = f.value.Mark().column + 1;
	}
	std::string what = stepName(f, index);

	std::optional<MapFields> fields = readMap(f, kKeys, "in " + what);
	if (!fields)
		return std::nullopt;
	requireKeys(f, *fields, { "id", "run" }, what, { "id: NAME", "run: COMMAND" });

	if (const Field *idf = fields->find("id"))
		readStepId(*idf, seenIds, step);
	if (const Field *rf = fields->find("run"))
		readRun(*rf, what, step);
	if (const Field *cf = fields->find("cwd"))
		readCwd(*cf, what, step);
	if (const Field *ef = fields->find("env")) {
		if (std::optional<EnvPairs> pairs = readEnvMap(*ef, "in env of " + what))
			step.env = std::move(*pairs);
	}
	if (const Field *tf = fields->find("timeout_seconds"))
		readTimeout(*tf, what, step);
	if (const Field *af = fields->find("allow"))
		readAllow(*af, step.id.empty() ? what : step.id, "in allow of " + what, step.allow);
	if (const Field *pf = fields->find("pass_fds"))
		readPassFds(*pf, "'pass_fds' in " + what, step.passFds, step.passFdsLocation);

	if (errors_.size() != errorsBefore)
		return std::nullopt;
	return step;
}

std::string Loader::stepName(const Field &f, size_t index) const
{
	/* Name the step by its id in every message when the id is usable. */
	if (f.value.IsMap()) {
		const YAML::Node idNode = f.value["id"];
		if (idNode.IsDefined() && idNode.IsScalar() && !idNode.IsNull())
			return "step '" + idNode.Scalar() + "'";
	}
	return "step #" + std::to_string(index + 1);
}

void Loader::readStepId(const Field &f, std::map<std::string, int> &seenIds, Step &step)
{
	std::optional<std::string> id = readString(f, "id: unit");
	if (!id)
		return;
	bool badChar = std::any_of(id->begin(), id->end(), [](char c) {
		return !(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-');
	});
	if (id->empty()) {
		error(f, "step id is empty (ids name the step's evidence folder: use e.g. unit)");
	} else if (badChar) {
		error(f, "step id '" + *id + "' has characters other than A-Z a-z 0-9 . _ - (ids become folder names)");
	} else if ((*id)[0] == '.') {
		error(f, "step id '" + *id + "' starts with '.' (ids become folder names: start with a letter or digit)");
	} else if (id->size() > kMaxStepIdLength) {
		error(f, "step id is longer than " + std::to_string(kMaxStepIdLength) +
				 " characters (ids become folder names: shorten it)");
	} else {
		auto [it, inserted] = seenIds.emplace(*id, f.value.Mark().line + 1);
		if (!inserted)
			error(f, "duplicate step id '" + *id + "' (first defined at line " + std::to_string(it->second) +
					 "; step ids must be unique)");
		step.id = *id;
	}
}

void Loader::readRun(const Field &f, const std::string &what, Step &step)
{
	if (f.value.IsSequence()) {
		std::optional<std::vector<Field>> items = readList(f, "'run' argument in " + what);
		for (const Field &item : *items) {
			if (std::optional<std::string> arg = readText(item, "\"--flag\""))
				step.argv.push_back(*arg);
		}
		if (items->empty())
			error(f, "'run' in " + what + " is an empty list (give the program and its arguments, e.g. [make, test])");
		else if (step.argv.size() == items->size() && step.argv[0].empty())
			error((*items)[0], "'run' in " + what + " starts with an empty program name (e.g. [make, test])");
		step.runText = shellJoin(step.argv);
		step.shell = false;
	} else if (std::optional<std::string> cmd = readString(f, "run: make test")) {
		if (cmd->find_first_not_of(" \t\r\n") == std::string::npos)
			error(f, "'run' in " + what + " is empty (give a command, e.g. run: make test)");
		else if (cmd->find('\0') != std::string::npos)
			error(f, "'run' in " + what + " contains a NUL character (a command cannot carry one)");
		step.runText = *cmd;
		step.shell = true;
		step.argv = { "/bin/sh", "-c", *cmd };
	}
}

void Loader::readCwd(const Field &f, const std::string &what, Step &step)
{
	std::optional<std::string> cwd = readString(f, "cwd: packages/app");
	if (!cwd)
		return;
	if (cwd->empty())
		error(f, "'cwd' in " + what + " is empty (omit it to run in the current directory, or write cwd: .)");
	else if (cwd->find('\0') != std::string::npos)
		error(f, "'cwd' in " + what + " contains a NUL character (a path cannot carry one)");
	step.cwd = *cwd;
}

void Loader::readTimeout(const Field &f, const std::string &what, Step &step)
{
	std::optional<long long> t = readInt(f, "timeout_seconds: 900");
	if (!t)
		return;
	if (*t <= 0)
		error(f, "'timeout_seconds' in " + what + " must be positive, not " + std::to_string(*t) +
				 " (omit it for no timeout)");
	else if (*t > kMaxTimeoutSeconds)
		error(f, "'timeout_seconds' in " + what + " is " + std::to_string(*t) + ", more than 7 days (at most " +
				 std::to_string(kMaxTimeoutSeconds) + ")");
	else
		step.timeoutSeconds = int(*t);
}

void Loader::readPassFds(const Field &f, const std::string &what, std::vector<int> &out, std::string &where)
{
	where = location(f.key.Mark());
	std::optional<std::vector<Field>> items = readList(f, "descriptor in " + what);
	if (!items)
		return;
	std::map<long long, int> seen; /* fd -> line */
	for (const Field &item : *items) {
		std::optional<long long> fd = readInt(item, "pass_fds: [3, 5]");
		if (!fd)
			continue;
		if (*fd >= 0 && *fd <= 2) {
			error(item, "descriptor " + std::to_string(*fd) + " in " + what +
					    " is the step's standard input, output or error, which it always gets (list descriptors from 3 up)");
		} else if (*fd < 0 || *fd > kMaxPassFd) {
			error(item, "descriptor " + std::to_string(*fd) + " in " + what + " is out of range (3 to " +
					    std::to_string(kMaxPassFd) + ")");
		} else if (auto [it, inserted] = seen.emplace(*fd, item.value.Mark().line + 1); !inserted) {
			error(item, "descriptor " + std::to_string(*fd) + " is listed twice in " + what + " (first at line " +
					    std::to_string(it->second) + "; keep one)");
		} else {
			out.push_back(int(*fd));
		}
	}
}

} // namespace

ScalarType scalarType(std::string_view s, bool quoted)
{
	if (quoted)
		return ScalarType::String;
	if (s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL")
		return ScalarType::Null;
	if (s == "true" || s == "True" || s == "TRUE" || s == "false" || s == "False" || s == "FALSE")
		return ScalarType::Bool;

	std::string_view body = s;
	if (body[0] == '+' || body[0] == '-')
		body.remove_prefix(1);
	if (!body.empty() && std::all_of(body.begin(), body.end(), isDigit))
		return ScalarType::Int;
	if (s.size() > 2 && s[0] == '0' && (s[1] == 'o' || s[1] == 'x')) {
		bool hex = s[1] == 'x';
		bool all = std::all_of(s.begin() + 2, s.end(), [hex](char c) {
			return hex ? std::isxdigit(static_cast<unsigned char>(c)) != 0 : (c >= '0' && c <= '7');
		});
		/* Core-schema hex and octal integers: the loader wants decimal, so call them numbers. */
		if (all)
			return ScalarType::Float;
	}

	/* [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?  and  [-+]?\.inf, .nan */
	if (body == ".inf" || body == ".Inf" || body == ".INF")
		return ScalarType::Float;
	if (s == ".nan" || s == ".NaN" || s == ".NAN")
		return ScalarType::Float;
	size_t i = 0;
	size_t intDigits = 0, fracDigits = 0;
	while (i < body.size() && isDigit(body[i])) {
		i++;
		intDigits++;
	}
	if (i < body.size() && body[i] == '.') {
		i++;
		while (i < body.size() && isDigit(body[i])) {
			i++;
			fracDigits++;
		}
	}
	if (intDigits == 0 && fracDigits == 0)
		return ScalarType::String;
	if (i < body.size() && (body[i] == 'e' || body[i] == 'E')) {
		i++;
		if (i < body.size() && (body[i] == '+' || body[i] == '-'))
			i++;
		size_t expDigits = 0;
		while (i < body.size() && isDigit(body[i])) {
			i++;
			expDigits++;
		}
		if (expDigits == 0)
			return ScalarType::String;
	}
	return i == body.size() ? ScalarType::Float : ScalarType::String;
}

bool isValidDate(std::string_view d)
{
	if (d.size() != 10 || d[4] != '-' || d[7] != '-')
		return false;
	for (size_t i : { 0, 1, 2, 3, 5, 6, 8, 9 })
		if (!isDigit(d[i]))
			return false;
	auto number = [d](size_t at, size_t len) {
		unsigned v = 0;
		std::from_chars(d.data() + at, d.data() + at + len, v);
		return v;
	};
	unsigned year = number(0, 4);
	std::chrono::year_month_day date{ std::chrono::year(int(year)), std::chrono::month(number(5, 2)),
					  std::chrono::day(number(8, 2)) };
	/* year_month_day also takes year 0 (1 BC); a policy date never means that. */
	return year >= 1 && date.ok();
}

Expected<Policy> loadPolicyFromString(std::string_view text, const std::string &displayName,
				      const std::string &today)
{
	Loader loader(displayName, today);
	loader.load(text);
	if (loader.errors_.empty())
		return std::move(loader.policy_);

	/* Report in file order, whatever order the checks ran in. */
	std::stable_sort(loader.errors_.begin(), loader.errors_.end(),
			 [](const Message &a, const Message &b) {
				 return std::tie(a.line, a.column) < std::tie(b.line, b.column);
			 });
	std::vector<std::string> lines;
	for (const Message &m : loader.errors_)
		lines.push_back(m.text);
	return Error::msg(joined(lines, "\n"));
}

Expected<Policy> loadPolicy(const std::string &path, const std::string &today)
{
	auto fail = [&](int err) -> Error {
		std::string hint;
		if (err == ENOENT)
			hint = std::string(" (pass --policy PATH or create ") + kDefaultPolicyPath + ")";
		else if (err == EACCES)
			hint = " (make the file readable by the user running the gate)";
		else if (err == EISDIR)
			hint = " (this is a directory: pass the policy file itself)";
		return Error{ err, oneLine(path + ": cannot read policy: " + std::strerror(err) + hint) };
	};

	UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
	if (!fd)
		return fail(errno);

	std::string text;
	char buf[65536];
	for (;;) {
		ssize_t n = ::read(fd.get(), buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return fail(errno);
		if (n == 0)
			break;
		text.append(buf, size_t(n));
		if (text.size() > kMaxPolicyBytes)
			return Error::msg(oneLine(path + ": cannot read policy: larger than " +
						  std::to_string(kMaxPolicyBytes) + " bytes (is this the policy file?)"));
	}
	return loadPolicyFromString(text, path, today);
}

std::string currentDateUtc()
{
	std::time_t now = std::time(nullptr);
	std::tm tm{};
	::gmtime_r(&now, &tm);
	char buf[16];
	std::strftime(buf, sizeof(buf), "%Y-%m-%d", &tm);
	return buf;
}

} // namespace hg
