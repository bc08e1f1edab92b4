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

Judgement decide(NetCall call, const Classification &cls, const Endpoint &matched, const DecisionRules &rules,
		 const Endpoint *listener, const UnixTarget *socket)
{
	Judgement j;
	if (!cls.violation)
		return j;
	if (call != NetCall::Other && rules.allow && cls.direction == Direction::Delegated) {
		if (socket)
			j.exception = rules.allow->match(*socket);
	} else if (call != NetCall::Other && rules.allow) {
		const Allowlist &allow = *rules.allow;
		if (cls.direction == Direction::Inbound)
			j.exception = allow.match(matched, ExceptionScope::Inbound);
		else if (cls.direction == Direction::Self && listener)
			j.exception = allow.match(*listener, ExceptionScope::Inbound);
		if (j.exception < 0 && cls.direction != Direction::Inbound)
			j.exception = allow.match(matched, ExceptionScope::Outbound);
	}
	if (j.exception >= 0)
		j.decision = Decision::Allowed;
	else if (rules.canRefuse && (rules.enforce || call == NetCall::Other))
		j.decision = Decision::Denied;
	else
		j.decision = Decision::Audited;
	return j;
}

} // namespace hg
