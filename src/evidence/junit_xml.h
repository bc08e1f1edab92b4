#pragma once
// `run --junit FILE`: the run as JUnit XML, the test-report format GitLab
// (artifacts:reports:junit), Jenkins (junit) and most CI systems read. Valid against the
// Jenkins xunit plugin's junit-10.xsd (tests/schemas/). Layout:
//     <testsuites name="hermetic-gate" tests= failures= errors=>
//       <testsuite name="hermetic-gate" tests= failures= errors= skipped="0">
//         <properties> sha, mode, policy, result, complete (and why not) </properties>
//         <testcase classname="hermetic-gate.<sha>" name="<step id>">
//           <failure type="violation" message="<exe>: outbound connect to ADDR:PORT (...)">...
//           <failure type="failed" message="exited 1"/> or <error type="error" message="..."/>
//           <system-err>the last lines of logs/<id>/stderr.txt</system-err>
// A step counts once: in failures when its result is violation or failed, in errors when
// it is error. There is no time attribute: durations differ from run to run, and the file
// is as deterministic as report.json (the stderr tails aside, which are the step's own).

#include <map>
#include <string>

#include "base/error.h"
#include "evidence/run_report.h"

namespace hg {

// Step id -> the tail of its stderr.txt to show (a step missing here gets no system-err).
using StderrTails = std::map<std::string, std::string>;

// Fails only when validateRun() fails.
Expected<std::string> renderJunitXml(const RunEvidence &run, const StderrTails &stderrTails);

// s escaped for XML 1.0 text (attribute false) or an attribute value: valid UTF-8
// (text.h), & < > (and in attributes " ') as entities, CR (and in attributes tab and
// newline, which parsers would turn into spaces) as character references, and every
// other control character, which XML 1.0 cannot carry at all, as the four characters "\xNN".
std::string xmlEscape(const std::string &s, bool attribute = false);

} // namespace hg
