#pragma once
// JSON renderers: report.json (the auditor's record, deterministic) and
// process_tree.json (a per-step log: pids and duration allowed). Both are
// pretty-printed with a 2-space indent, keys in a fixed order, ending in a newline,
// and validate against evidence-schema/report.schema.json and
// evidence-schema/process_tree.schema.json.

#include <string>

#include "base/error.h"
#include "evidence/run_report.h"

namespace hg {

// report.json. Top-level keys, in order: schema_version, tool {name, version}, sha,
// policy {path, sha256} (null members without a policy file), detector,
// kernel_release, mode, result, complete, incomplete_reason (null when complete),
// enforcement_health [{check, status, detail}], steps [...], stale_exceptions
// [{spec, source}].
// Each step: id, command, result, exit_code (null unless it exited), signal ("SIGKILL"
// or null), timed_out, error (null or text), env_removed (sorted), violations
// (aggregateViolations: kind, syscall, family, protocol, address|null, port|null,
// executable, decision, count, processes [argv...]), exceptions_used [{spec, source,
// hits}], exceptions_unused [{spec, source}].
// Fails only when validateRun() fails.
Expected<std::string> renderReportJson(const RunEvidence &run);

// logs/<id>/process_tree.json: schema_version, step, root_pid, duration_ms, processes
// in spawn order [{pid, ppid, spawn_seq, argv, executable, exited, exit_code|null,
// signal|null, killed_by_gate}].
std::string renderProcessTreeJson(const StepEvidence &step);

} // namespace hg
