#include "cli/merge_command.h"

#include <fmt/core.h>

#include <filesystem>
#include <map>
#include <system_error>

#include "base/read_file.h"
#include "cli/verdict.h"
#include "evidence/atomic_file.h"
#include "evidence/merge.h"
#include "evidence/report_reader.h"
#include "evidence/writer.h"

namespace hg {

namespace {

namespace fs = std::filesystem;

// What a shard's logs/ holds, relative to logs/: folders (parents first) and files.
struct LogTree {
	std::vector<std::string> dirs;
	std::vector<std::string> files;
};

int refuse(const std::string &message, int code)
{
	fmt::print(stderr, "hermetic-gate: error: {}\n", message);
	return code;
}

// Removes a folder on scope exit unless it was published.
struct TempDir {
	std::string path;
	~TempDir()
	{
		std::error_code ignored;
		if (!path.empty())
			fs::remove_all(path, ignored);
	}
};

std::string withoutTrailingSlashes(std::string path)
{
	while (path.size() > 1 && path.back() == '/')
		path.pop_back();
	return path;
}

Expected<void> checkOutFree(const std::string &out)
{
	std::error_code ec;
	fs::file_status st = fs::symlink_status(out, ec);
	if (st.type() == fs::file_type::not_found)
		return {};
	if (ec)
		return Error::msg(out + ": cannot inspect it: " + ec.message() + " (choose another --out folder)");
	if (!fs::is_directory(st) || !fs::is_empty(out, ec) || ec)
		return Error::msg(out + ": exists and is not an empty folder (choose a new --out folder: merge never "
					"overwrites evidence)");
	return {};
}

// A shard's report.json, checked against the schema and read back into a run.
Expected<Shard> loadShard(const std::string &dir)
{
	std::string path = dir + "/report.json";
	auto text = readWholeFile(path, "report", " (pass the evidence folder of a hermetic-gate run, with its report.json)");
	if (!text)
		return text.error();
	rapidjson::Document doc;
	if (auto parsed = parseReport(*text, path, doc); !parsed)
		return parsed.error();
	auto run = readRunEvidence(doc, path);
	if (!run)
		return run.error();
	if (auto valid = validateRun(*run); !valid)
		return Error::msg(path + ": " + valid.error().message + " (pass the report.json of a hermetic-gate run)");
	return Shard{ dir, std::move(*text), std::move(*run) };
}

Expected<LogTree> scanLogs(const std::string &dir)
{
	LogTree tree;
	fs::path root = fs::path(dir) / "logs";
	std::error_code ec;
	if (fs::symlink_status(root, ec).type() == fs::file_type::not_found)
		return tree;
	for (fs::recursive_directory_iterator it(root, ec), end; !ec && it != end; it.increment(ec)) {
		fs::file_status st = it->symlink_status(ec);
		std::string rel = it->path().lexically_relative(root).string();
		if (!ec && fs::is_directory(st))
			tree.dirs.push_back(rel);
		else if (!ec && fs::is_regular_file(st))
			tree.files.push_back(rel);
		else if (!ec)
			return Error::msg(it->path().string() + ": neither a file nor a folder (an evidence folder's logs "
								"hold plain files only: pass the folder hermetic-gate run wrote)");
	}
	if (ec)
		return Error::msg(root.string() + ": cannot list it: " + ec.message() +
				  " (pass a readable evidence folder)");
	return tree;
}

// Two shards may not both have logs/<name>: the merged folder has one.
Expected<void> checkLogsApart(const std::vector<std::string> &dirs, const std::vector<LogTree> &trees)
{
	std::map<std::string, size_t> owner;
	for (size_t i = 0; i < trees.size(); i++) {
		std::vector<std::string> top = trees[i].dirs;
		for (const std::string &file : trees[i].files)
			top.push_back(file);
		for (const std::string &entry : top) {
			if (entry.find('/') != std::string::npos)
				continue;
			auto [it, added] = owner.try_emplace(entry, i);
			if (!added && it->second != i)
				return Error::msg("shards " + dirs[it->second] + " and " + dirs[i] + " both have logs/" + entry +
						  ": run each step in one shard only (hermetic-gate run --step ID)");
		}
	}
	return {};
}

Expected<void> copyLogs(const std::string &from, const LogTree &tree, const std::string &to)
{
	for (const std::string &dir : tree.dirs)
		if (auto made = makeDirs(to + "/logs/" + dir); !made)
			return made;
	for (const std::string &file : tree.files)
		if (auto copied = copyFileDurable(from + "/logs/" + file, to + "/logs/" + file); !copied)
			return copied;
	for (const std::string &dir : tree.dirs)
		if (auto synced = fsyncDir(to + "/logs/" + dir); !synced)
			return synced;
	return {};
}

// The merged folder, built aside and renamed to out once whole.
Expected<void> writeMerged(const RunEvidence &run, const MergeOptions &opts, const std::vector<LogTree> &trees,
			   const std::string &out)
{
	std::string parent = fs::path(out).parent_path().string();
	if (!parent.empty())
		if (auto made = makeDirs(parent); !made)
			return made;
	auto tmp = makeTempDirBeside(out);
	if (!tmp)
		return tmp.error();
	TempDir guard{ *tmp };
	if (auto logs = makeDirs(*tmp + "/logs"); !logs)
		return logs;
	for (size_t i = 0; i < trees.size(); i++)
		if (auto copied = copyLogs(opts.shards[i], trees[i], *tmp); !copied)
			return copied;
	if (auto synced = fsyncDir(*tmp + "/logs"); !synced)
		return synced;
	auto writer = EvidenceWriter::open(*tmp);
	if (!writer)
		return writer.error();
	if (auto reported = writer->writeReport(run); !reported)
		return reported;
	if (auto published = publishDir(*tmp, out); !published)
		return published;
	guard.path.clear();
	return {};
}

int resultExitCode(StepResult result)
{
	switch (result) {
	case StepResult::Pass:
		return kExitClean;
	case StepResult::Failed:
		return kExitFailed;
	case StepResult::Violation:
		return kExitViolation;
	case StepResult::Error:
		return kExitInternal;
	}
	return kExitInternal;
}

} // namespace

int runMerge(const MergeOptions &opts)
{
	std::string out = withoutTrailingSlashes(opts.out);
	if (auto outFree = checkOutFree(out); !outFree)
		return refuse(outFree.error().message, kExitUsage);
	std::vector<Shard> shards;
	std::vector<LogTree> trees;
	for (const std::string &dir : opts.shards) {
		auto shard = loadShard(dir);
		if (!shard)
			return refuse(shard.error().message, kExitEvidence);
		auto tree = scanLogs(dir);
		if (!tree)
			return refuse(tree.error().message, kExitEvidence);
		shards.push_back(std::move(*shard));
		trees.push_back(std::move(*tree));
	}
	auto merged = mergeRuns(std::move(shards));
	if (!merged)
		return refuse(merged.error().message, kExitApart);
	if (auto apart = checkLogsApart(opts.shards, trees); !apart)
		return refuse(apart.error().message, kExitApart);
	if (auto written = writeMerged(*merged, opts, trees, out); !written)
		return refuse("cannot write the merged evidence to '" + out + "': " + written.error().message +
				      " (choose a writable --out folder)",
			      kExitUsage);
	StepResult result = overallResult(*merged);
	if (!opts.quiet)
		fmt::print(stderr, "hermetic-gate: merged {} shard(s), {} step(s): result {}; evidence in {}\n",
			   opts.shards.size(), merged->steps.size(), stepResultName(result), out);
	return resultExitCode(result);
}

} // namespace hg
