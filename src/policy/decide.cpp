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

Judgement decide(NetCall call, const Classification &cls, const Endpoint &matched, const DecisionRules &rules)
{
	Judgement j;
	if (!cls.violation)
		return j;
	if (call != NetCall::Other) {
		const Allowlist *allow = cls.direction == Direction::Inbound ? rules.inbound : rules.outbound;
		if (allow)
			j.exception = allow->match(matched);
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
