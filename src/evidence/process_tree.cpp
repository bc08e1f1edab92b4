#include "evidence/process_tree.h"

#include <algorithm>
#include <map>
#include <set>
#include <tuple>
#include <utility>

#include "base/shell_quote.h"
#include "evidence/text.h"

namespace hg {

namespace {

struct Proc {
	const ProcessRecord *rec = nullptr;
	int parent = -1;
	std::vector<int> children;
	bool violating = false;
	bool onPath = false;
	uint64_t size = 1;           // processes in its subtree, itself included
	uint64_t violatingBelow = 0; // violating processes in its subtree, itself included
	uint64_t others = 0;         // processes below it on no path to a violation
	std::set<TreeDestination> destinations;
	std::vector<int> pathChildren; // sorted by compare()
};

std::string baseName(const std::string &path)
{
	size_t slash = path.rfind('/');
	return slash == std::string::npos ? path : path.substr(slash + 1);
}

std::string exeLabel(const ProcessRecord &p)
{
	std::string exe = baseName(p.exe);
	if (exe.empty() && !p.argv.empty())
		exe = baseName(p.argv[0]);
	return exe.empty() ? "(unknown)" : validUtf8(exe);
}

// The first `limit` characters of valid UTF-8 text, "..." marking a cut.
std::string shortened(const std::string &text, size_t limit)
{
	size_t chars = 0;
	for (size_t i = 0; i < text.size(); i++) {
		if ((static_cast<unsigned char>(text[i]) & 0xc0) == 0x80)
			continue;
		if (chars++ == limit)
			return text.substr(0, i) + "...";
	}
	return text;
}

int compareText(const std::string &a, const std::string &b)
{
	return a < b ? -1 : b < a ? 1 : 0;
}

class TreeBuilder {
public:
	explicit TreeBuilder(const std::vector<ProcessRecord> &processes);
	void markViolations(const StepAggregates &aggregates);
	void countAndOrder();
	ProcessTreeSummary emit() const;

private:
	int owner(pid_t pid) const;
	int parentOf(const ProcessRecord &p) const;
	int compare(int a, int b) const;
	TreeNode node(int i, int parent) const;

	std::vector<Proc> procs_;
	std::vector<int> latestFirst_; // indices by spawn order, latest first: children before parents
	std::map<pid_t, std::vector<std::pair<uint64_t, int>>> byPid_; // (spawnSeq, index), sorted
	std::vector<int> roots_;                                       // on a path, sorted
};

TreeBuilder::TreeBuilder(const std::vector<ProcessRecord> &processes)
{
	for (const ProcessRecord &p : processes) {
		byPid_[p.pid].emplace_back(p.spawnSeq, static_cast<int>(procs_.size()));
		procs_.push_back(Proc{ &p });
	}
	for (auto &[pid, list] : byPid_)
		std::sort(list.begin(), list.end());
	for (size_t i = 0; i < procs_.size(); i++) {
		procs_[i].parent = parentOf(*procs_[i].rec);
		if (procs_[i].parent >= 0)
			procs_[procs_[i].parent].children.push_back(static_cast<int>(i));
		latestFirst_.push_back(static_cast<int>(i));
	}
	std::stable_sort(latestFirst_.begin(), latestFirst_.end(),
			 [&](int a, int b) { return procs_[a].rec->spawnSeq > procs_[b].rec->spawnSeq; });
}

int TreeBuilder::owner(pid_t pid) const
{
	auto it = byPid_.find(pid);
	return it == byPid_.end() ? -1 : it->second.back().second;
}

int TreeBuilder::parentOf(const ProcessRecord &p) const
{
	auto it = byPid_.find(p.ppid);
	if (p.ppid == 0 || it == byPid_.end())
		return -1;
	// Created before the child, so the links cannot loop.
	int parent = -1;
	for (const auto &[seq, index] : it->second)
		if (seq < p.spawnSeq)
			parent = index;
	return parent;
}

void TreeBuilder::markViolations(const StepAggregates &aggregates)
{
	for (const auto &[key, tally] : aggregates.violations) {
		TreeDestination dest{ key.kind, validUtf8(rowEndpointText(key)), validUtf8(key.name) };
		for (pid_t pid : tally.pids) {
			int i = owner(pid);
			if (i < 0)
				continue;
			procs_[i].violating = true;
			procs_[i].destinations.insert(dest);
			for (int up = i; up >= 0 && !procs_[up].onPath; up = procs_[up].parent)
				procs_[up].onPath = true;
		}
	}
}

// Subtree sizes, the counts of processes off the paths, and the order of drawn siblings,
// children before parents (a parent was created before its children).
void TreeBuilder::countAndOrder()
{
	for (int i : latestFirst_) {
		Proc &p = procs_[i];
		p.violatingBelow += p.violating ? 1 : 0;
		for (int c : p.children) {
			const Proc &child = procs_[c];
			if (child.onPath)
				p.pathChildren.push_back(c);
			else
				p.others += child.size;
		}
		std::sort(p.pathChildren.begin(), p.pathChildren.end(), [&](int a, int b) { return compare(a, b) < 0; });
		if (p.parent >= 0) {
			procs_[p.parent].size += p.size;
			procs_[p.parent].violatingBelow += p.violatingBelow;
		} else if (p.onPath) {
			roots_.push_back(i);
		}
	}
	std::sort(roots_.begin(), roots_.end(), [&](int a, int b) { return compare(a, b) < 0; });
}

// A total order of drawn subtrees by what they show: executable, argv, destinations,
// counts, then their drawn children in order.
int TreeBuilder::compare(int a, int b) const
{
	const Proc &x = procs_[a], &y = procs_[b];
	if (int c = compareText(exeLabel(*x.rec), exeLabel(*y.rec)))
		return c;
	if (x.rec->argv != y.rec->argv)
		return x.rec->argv < y.rec->argv ? -1 : 1;
	if (x.violating != y.violating || x.destinations != y.destinations)
		return std::tie(x.violating, x.destinations) < std::tie(y.violating, y.destinations) ? -1 : 1;
	if (x.others != y.others || x.pathChildren.size() != y.pathChildren.size())
		return std::pair(x.others, x.pathChildren.size()) < std::pair(y.others, y.pathChildren.size()) ? -1 : 1;
	for (size_t k = 0; k < x.pathChildren.size(); k++)
		if (int c = compare(x.pathChildren[k], y.pathChildren[k]))
			return c;
	return 0;
}

TreeNode TreeBuilder::node(int i, int parent) const
{
	const Proc &p = procs_[i];
	TreeNode n;
	n.parent = parent;
	n.exe = exeLabel(*p.rec);
	n.command = shortened(validUtf8(shellJoin(p.rec->argv)), kMaxTreeCommandChars);
	n.violating = p.violating;
	for (const TreeDestination &d : p.destinations)
		if (n.destinations.size() < kMaxNodeDestinations)
			n.destinations.push_back(d);
	n.moreDestinations = p.destinations.size() - n.destinations.size();
	n.others = p.others;
	n.othersViolating = 0;
	return n;
}

// Depth first in sibling order; past kMaxTreeNodes a subtree is counted under its nearest
// drawn ancestor instead.
ProcessTreeSummary TreeBuilder::emit() const
{
	ProcessTreeSummary out;
	for (const Proc &p : procs_)
		out.pathProcesses += p.onPath ? 1 : 0;
	std::vector<std::pair<int, int>> stack; // (process, index of its drawn parent)
	for (auto it = roots_.rbegin(); it != roots_.rend(); ++it)
		stack.emplace_back(*it, -1);
	while (!stack.empty()) {
		auto [i, parent] = stack.back();
		stack.pop_back();
		if (out.nodes.size() >= kMaxTreeNodes) {
			if (parent >= 0) {
				out.nodes[parent].others += procs_[i].size;
				out.nodes[parent].othersViolating += procs_[i].violatingBelow;
			}
			continue;
		}
		out.nodes.push_back(node(i, parent));
		int drawn = static_cast<int>(out.nodes.size()) - 1;
		const std::vector<int> &children = procs_[i].pathChildren;
		for (auto it = children.rbegin(); it != children.rend(); ++it)
			stack.emplace_back(*it, drawn);
	}
	return out;
}

} // namespace

ProcessTreeSummary summarizeProcessTree(const std::vector<ProcessRecord> &processes, const StepAggregates &aggregates)
{
	TreeBuilder builder(processes);
	builder.markViolations(aggregates);
	builder.countAndOrder();
	return builder.emit();
}

std::string otherProcessesText(uint64_t count)
{
	std::string digits = std::to_string(count), grouped;
	for (size_t i = 0; i < digits.size(); i++) {
		if (i > 0 && (digits.size() - i) % 3 == 0)
			grouped += ',';
		grouped += digits[i];
	}
	return "+ " + grouped + (count == 1 ? " other process" : " other processes");
}

} // namespace hg
