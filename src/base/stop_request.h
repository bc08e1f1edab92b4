#pragma once
// Why the gate stops a step early: SIGINT/SIGTERM sent to the gate, or the step's timeout
// (SIGALRM). The handlers only set flags and SIGKILL the step's root process, whose exit
// wakes whichever detector is waiting; the detector then stops the rest of the tree.
// Shared by both detectors and the CLI.

#include <sys/types.h>

namespace hg {

// Installs the SIGINT, SIGTERM and SIGALRM handlers (no SA_RESTART, so a blocking wait
// returns EINTR). Call once, before the first step.
void installStopHandlers();

// The signal (SIGINT or SIGTERM) that asked the gate to stop, or 0.
int stopRequested();

// The process the handlers kill (a step's root), 0 for none.
void setStopTarget(pid_t pid);

// Starts the step's timeout (0: none): when it expires, stepTimedOut() turns true and the
// target is killed.
void armStepTimeout(int seconds);

// Stops the timeout and clears the target. Returns whether the timeout had fired.
bool disarmStepTimeout();

// Whether the running step's timeout has fired.
bool stepTimedOut();

} // namespace hg
