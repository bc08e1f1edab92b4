#include "policy/decide.h"

namespace hg {

const char *decisionName(Decision d)
{
	switch (d) {
	case Decision::Logged:
		return "logged";
	case Decision::Allowed:
		return "allowed";
	case Decision::Audited:
		return "audited";
	case Decision::Denied:
		return "denied";
	}
	return "unknown";
}

int decisionRank(Decision d)
{
	switch (d) {
	case Decision::Logged:
		return 0;
	case Decision::Allowed:
		return 1;
	case Decision::Audited:
	case Decision::Denied:
		return 2;
	}
	return 2;
}

namespace {

// The exception of the allowed name the destination was an answer for, when its port fits.
int resolvedException(const Endpoint &dest, const Allowlist &allow, const ResolvedNames &resolved)
{
	const Resolution *r = resolved.find(dest);
	if (!r || r->exception < 0 || static_cast<size_t>(r->exception) >= allow.entries().size())
		return -1;
	const Exception &e = allow.entries()[static_cast<size_t>(r->exception)];
	return !e.port || *e.port == dest.port ? r->exception : -1;
}

Judgement refuseOrAudit(const DecisionRules &rules, bool unmodelled)
{
	Judgement j;
	j.decision = rules.canRefuse && (rules.enforce || unmodelled) ? Decision::Denied : Decision::Audited;
	return j;
}

} // namespace

Judgement decideQuery(const std::string &name, const DecisionRules &rules)
{
	int exception = rules.allow ? rules.allow->matchName(name) : -1;
	if (exception >= 0)
		return Judgement{ exception, Decision::Allowed };
	return refuseOrAudit(rules, false);
}

Judgement decide(NetCall call, const Classification &cls, const Endpoint &matched, const DecisionRules &rules,
		 const Endpoint *listener, const UnixTarget *socket)
{
	Judgement j;
	if (!cls.violation)
		return j;
	if (call != NetCall::Other && rules.allow && cls.direction == Direction::Delegated) {
		if (socket)
			j.exception = rules.allow->match(*socket);
	} else if (call != NetCall::Other && rules.allow && cls.direction != Direction::Raw) {
		const Allowlist &allow = *rules.allow;
		if (cls.direction == Direction::Inbound)
			j.exception = allow.match(matched, ExceptionScope::Inbound);
		else if (cls.direction == Direction::Self && listener)
			j.exception = allow.match(*listener, ExceptionScope::Inbound);
		if (j.exception < 0 && cls.direction != Direction::Inbound)
			j.exception = allow.match(matched, ExceptionScope::Outbound);
		if (j.exception < 0 && cls.direction == Direction::Outbound && rules.resolved)
			j.exception = resolvedException(matched, allow, *rules.resolved);
	}
	if (j.exception >= 0) {
		j.decision = Decision::Allowed;
		return j;
	}
	return refuseOrAudit(rules, call == NetCall::Other);
}

} // namespace hg
