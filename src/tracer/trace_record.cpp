#include "tracer/trace_record.h"

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

} // namespace hg
